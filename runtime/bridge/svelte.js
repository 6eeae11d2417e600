// Metamon bridge, Svelte 5 side (served at /@metamon/bridge/svelte.js).
//   mount(Component, target, props) — a Svelte component as a guest in a foreign host
//   host(mountGuest, name)          — a Svelte component hosting a foreign guest
// See shared.js for the contract. Imports `svelte`, `svelte/reactivity` and
// `svelte/internal/client` (the module compiled components import; the host
// below is written the way the compiler writes a component — it must be the same
// module instance as the one the app's compiled components use).

import { mount as svelteMount, unmount as svelteUnmount, untrack } from 'svelte';
import { createSubscriber } from 'svelte/reactivity';
import * as $ from 'svelte/internal/client';
import { BRIDGE_ATTR, CONTAINER_STYLE, createHostController, guestMount, hostProps } from './shared.js';

// ---------------------------------------------------------------------------
// Guest
// ---------------------------------------------------------------------------

const KEYS = Symbol('keys');

/**
 * Reactive props for `mount` without runes: a Proxy whose reads register, inside
 * Svelte reactive contexts (markup, $derived, $effect, `$.prop`), a dependency on
 * that key through `createSubscriber` (public API, 'svelte/reactivity'). Values
 * are kept as they are (no deep $state proxying: objects keep their identity).
 * The component can still override a prop locally; it cannot write it back (no
 * setter: `$bindable` props behave as unbound).
 */
function reactiveProps(initial) {
  let values = { ...initial };
  const trackers = new Map(); // key (or KEYS) → { track, notify }
  const tracker = (key) => {
    let entry = trackers.get(key);
    if (!entry) {
      entry = { notify: null, track: null };
      const e = entry;
      e.track = createSubscriber((update) => {
        e.notify = update;
        return () => {
          e.notify = null;
        };
      });
      trackers.set(key, entry);
    }
    return entry;
  };
  const proxy = new Proxy(
    {},
    {
      get(_, key) {
        if (typeof key === 'string') tracker(key).track();
        return values[key];
      },
      has(_, key) {
        if (typeof key !== 'string') return false;
        tracker(KEYS).track();
        return Object.prototype.hasOwnProperty.call(values, key);
      },
      ownKeys() {
        tracker(KEYS).track();
        return Object.keys(values);
      },
      getOwnPropertyDescriptor(_, key) {
        if (typeof key !== 'string' || !Object.prototype.hasOwnProperty.call(values, key)) return undefined;
        return { value: values[key], writable: true, enumerable: true, configurable: true };
      },
      set(_, key, value) {
        // Svelte's mount() adds `$$events` when asked to; nothing else writes.
        values = { ...values, [key]: value };
        return true;
      },
      deleteProperty() {
        return true;
      },
    },
  );
  const update = (next, { changed, removed }, prev) => {
    values = { ...next };
    for (const key of [...changed, ...removed]) trackers.get(key)?.notify?.();
    const keysChanged = removed.length > 0 || changed.some((key) => !Object.prototype.hasOwnProperty.call(prev, key));
    if (keysChanged) trackers.get(KEYS)?.notify?.();
  };
  return { proxy, update };
}

/**
 * Mounts the Svelte 5 component `Component` into `target` (`mount` from 'svelte')
 * with reactive props (see reactiveProps): `update(props)` re-runs only what reads
 * the changed props; state is kept. Like Svelte's `mount`, effects (and the
 * updates) run on Svelte's scheduler (`flushSync()` from 'svelte' forces them).
 * `unmount()` calls Svelte's `unmount`, which removes the component's DOM.
 */
export const mount = guestMount('svelte', (Component, target, initial) => {
  const reactive = reactiveProps(initial);
  const instance = svelteMount(Component, { target, props: reactive.proxy });
  return {
    update: reactive.update,
    unmount() {
      svelteUnmount(instance);
    },
  };
});

// ---------------------------------------------------------------------------
// Host
// ---------------------------------------------------------------------------

function escapeAttr(value) {
  return String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * A Svelte 5 component (called by compiled code as `Component(anchor, props)`)
 * rendering `<div data-metamon-bridge style="display:contents">` before `anchor`.
 * Written like the compiler's output for
 *
 *   <script>
 *     let props = $props();
 *     let div;
 *     $effect(() => { const p = { ...props }; untrack(() => mount-or-update(div, p)); });
 *     $effect(() => () => unmount());
 *   </script>
 *   <div bind:this={div} data-metamon-bridge={name} style="display:contents"></div>
 *
 * using `$.push/$.pop` (component context), `$.from_html` (so the div is the
 * effect's DOM: removed and moved by `{#if}` / `{#each}`), `$.user_effect`
 * ($effect: runs after the DOM is inserted; re-runs when a prop read changes) and
 * `$.append`. Every prop except `children` (snippets are ignored) and Svelte's
 * `$$…` keys goes to the guest. Client-side rendering only (no hydration).
 */
export function host(mountGuest, name) {
  const template = $.from_html(`<div ${BRIDGE_ATTR}="${escapeAttr(name)}" style="${CONTAINER_STYLE}"></div>`);
  function MetamonBridge($$anchor, $$props) {
    $.push($$props, true, MetamonBridge);
    const ctrl = createHostController(mountGuest, name);
    const container = template();
    $.user_effect(() => {
      const next = hostProps($$props); // tracks every prop
      untrack(() => ctrl.sync(container, next));
    });
    $.user_effect(() => () => ctrl.unmount());
    $.append($$anchor, container);
    $.pop();
  }
  return MetamonBridge;
}
