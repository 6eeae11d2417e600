// Metamon bridge, Solid side (served at /@metamon/bridge/solid.js).
//   mount(Component, target, props) — a Solid component as a guest in a foreign host
//   host(mountGuest, name)          — a Solid component hosting a foreign guest
// See shared.js for the contract. Imports `solid-js`, `solid-js/web`.

import { $PROXY, batch, createComponent, createEffect, createSignal, onCleanup, untrack } from 'solid-js';
import { render } from 'solid-js/web';
import { BRIDGE_ATTR, CONTAINER_STYLE, createHostController, guestMount, hostProps } from './shared.js';

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Renders the Solid component `Component` into `target` (`render` from
 * solid-js/web). Props are a proxy over one signal per key (created on first
 * read, so a key added later is tracked by readers that ran without it) and
 * `update(props)` sets only the signals of changed keys: fine-grained updates, no
 * re-run of the component function. Values are passed as they are (no store
 * wrapping). The proxy answers `$PROXY`, so `splitProps` / `mergeProps` treat it
 * as dynamic props. A removed key reads as `undefined`. `unmount()` disposes the
 * root and clears `target`.
 */
export const mount = guestMount('solid', (Component, target, initial) => {
  let values = { ...initial };
  const signals = new Map(); // key → [get, set]
  const signalOf = (key) => {
    let s = signals.get(key);
    if (!s) {
      s = createSignal(values[key]);
      signals.set(key, s);
    }
    return s;
  };
  const [keys, setKeys] = createSignal(Object.keys(values), { equals: false });
  const view = new Proxy(
    {},
    {
      get(_, key) {
        if (key === $PROXY) return view;
        if (typeof key !== 'string') return undefined;
        return signalOf(key)[0]();
      },
      has(_, key) {
        if (key === $PROXY) return true;
        return typeof key === 'string' && keys().includes(key);
      },
      ownKeys: () => [...keys()],
      getOwnPropertyDescriptor(_, key) {
        if (typeof key !== 'string' || !hasOwn(values, key)) return undefined;
        return { enumerable: true, configurable: true, get: () => view[key] };
      },
      set: () => false,
      deleteProperty: () => false,
    },
  );
  const dispose = render(() => createComponent(Component, view), target);
  return {
    update(next, { changed, removed }, prev) {
      values = { ...next };
      batch(() => {
        // Setters get a function so that function-valued props are not taken for updaters.
        for (const key of changed) signals.get(key)?.[1](() => next[key]);
        for (const key of removed) signals.get(key)?.[1](() => undefined);
        if (removed.length || changed.some((key) => !hasOwn(prev, key))) setKeys(Object.keys(next));
      });
    },
    unmount() {
      dispose();
    },
  };
});

/**
 * A Solid component rendering `<div data-metamon-bridge style="display:contents">`;
 * an effect reads every prop (except `children`, which is ignored), so the guest
 * is mounted when the effect first runs (after the div is inserted) and updated
 * when any prop changes; `onCleanup` unmounts it.
 */
export function host(mountGuest, name) {
  function MetamonBridge(props) {
    const container = document.createElement('div');
    container.setAttribute(BRIDGE_ATTR, name);
    container.setAttribute('style', CONTAINER_STYLE);
    const ctrl = createHostController(mountGuest, name);
    createEffect(() => {
      const next = hostProps(props); // tracks every prop
      untrack(() => ctrl.sync(container, next));
    });
    onCleanup(() => ctrl.unmount());
    return container;
  }
  return MetamonBridge;
}
