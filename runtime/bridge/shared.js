// Shared logic of the framework bridges (runtime/bridge/<framework>.js).
//
// A component of framework G imported by a component of framework F (F ≠ G) is
// served to the importer as
//
//   import Component from "/src/Child.vue";
//   import { mount } from "/@metamon/bridge/vue.js";     // guest side (G)
//   import { host } from "/@metamon/bridge/react.js";    // host side (F)
//   export default host((target, props) => mount(Component, target, props), "/src/Child.vue");
//
// Every bridge file exports the same two functions:
//   mount(Component, target, props) → handle { update(props), unmount() }
//   host(mountGuest, name)          → a component of its framework that renders
//       <div data-metamon-bridge={name} style="display:contents">, calls
//       mountGuest(div, props) once it is rendered, handle.update(props) when the
//       host passes new props (shallow comparison, no re-mount), handle.unmount()
//       when it is destroyed.
// This file holds what they share: prop snapshots and diffing, the handle
// contract (`guestMount`: each framework only renders), the props a host forwards
// (`hostProps`) and the host-side controller.

export const BRIDGE_ATTR = 'data-metamon-bridge';
export const CONTAINER_STYLE = 'display:contents';

/** Props a host never forwards: children / slots / framework bookkeeping. */
export const HOST_SKIPPED_PROPS = Object.freeze(['children', '$$slots', '$$events', '$$legacy']);

const NOTHING_SKIPPED = Object.freeze([]);

/**
 * A plain snapshot `{ key: value }` of the own enumerable string keys of
 * `source` (getters are read, so inside a reactive context of the host framework
 * every key is tracked), leaving out the keys in `skip`.
 */
export function readProps(source, skip = NOTHING_SKIPPED) {
  const out = {};
  if (source == null) return out;
  for (const key of Object.keys(source)) {
    if (skip.includes(key)) continue;
    out[key] = source[key];
  }
  return out;
}

/** Same keys, `Object.is`-equal values. */
export function shallowEqual(a, b) {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const key of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, key) || !Object.is(a[key], b[key])) return false;
  }
  return true;
}

/**
 * What changed from `prev` to `next`: `changed` — keys of `next` that are new or
 * have another value (`Object.is`), `removed` — keys of `prev` missing in `next`.
 */
export function diffProps(prev, next) {
  const changed = [];
  const removed = [];
  for (const key of Object.keys(next)) {
    if (!Object.prototype.hasOwnProperty.call(prev, key) || !Object.is(prev[key], next[key])) changed.push(key);
  }
  for (const key of Object.keys(prev)) {
    if (!Object.prototype.hasOwnProperty.call(next, key)) removed.push(key);
  }
  return { changed, removed };
}

/** Throws unless `target` looks like a DOM element. */
export function assertTarget(target, framework) {
  if (!target || typeof target.appendChild !== 'function' || target.nodeType !== 1) {
    throw new TypeError(`[metamon] bridge/${framework}: mount(Component, target, props) needs a DOM element as target`);
  }
}

/**
 * The guest-side handle: `update(props)` diffs against the last props and calls
 * `impl.update(next, { changed, removed }, prev)` only when something changed;
 * after `unmount()` (idempotent) both are no-ops.
 * @param {object} initial the (snapshot of the) props the guest was mounted with
 * @param {{ update(next: object, diff: { changed: string[], removed: string[] }, prev: object): void, unmount(): void }} impl
 * @returns {{ update(props: object): void, unmount(): void }}
 */
export function createHandle(initial, impl) {
  let props = initial;
  let live = true;
  return Object.freeze({
    update(next) {
      if (!live) return;
      const snapshot = readProps(next);
      const diff = diffProps(props, snapshot);
      if (diff.changed.length === 0 && diff.removed.length === 0) return;
      const prev = props;
      props = snapshot;
      impl.update(snapshot, diff, prev);
    },
    unmount() {
      if (!live) return;
      live = false;
      impl.unmount();
    },
  });
}

/**
 * The `mount(Component, target, props)` of one framework's bridge: checks `target`, takes a
 * snapshot of `props`, and wraps what `render(Component, target, initial)` returns — the
 * guest's `{ update(next, diff, prev), unmount() }` — in the handle (see createHandle).
 * @param {string} framework
 * @param {(Component: any, target: Element, initial: object) => { update(next: object, diff: { changed: string[], removed: string[] }, prev: object): void, unmount(): void }} render
 */
export function guestMount(framework, render) {
  return function mount(Component, target, props = {}) {
    assertTarget(target, framework);
    const initial = readProps(props);
    return createHandle(initial, render(Component, target, initial));
  };
}

/** The props a host passes to its guest: all of `source` but children / slots (and `extra`). */
export function hostProps(source, extra = NOTHING_SKIPPED) {
  return readProps(source, extra.length ? [...HOST_SKIPPED_PROPS, ...extra] : HOST_SKIPPED_PROPS);
}

/**
 * Host-side state of one host component instance:
 *   mount(container, props) — calls mountGuest once (again only after unmount()),
 *   update(props)           — forwards to the guest handle when props changed (shallow),
 *   sync(container, props)  — mount the first time, update after (hosts whose one effect
 *                             does both),
 *   unmount()               — unmounts the guest (errors are logged, not thrown, so
 *                             the host framework's own unmount goes on).
 */
export function createHostController(mountGuest, name) {
  if (typeof mountGuest !== 'function') {
    throw new TypeError(`[metamon] bridge "${name}": host(mountGuest, name) needs a function`);
  }
  let handle = null;
  let last = null;
  return {
    get mounted() {
      return handle !== null;
    },
    mount(container, props) {
      if (handle) return;
      last = { ...props };
      const h = mountGuest(container, { ...last });
      if (!h || typeof h.update !== 'function' || typeof h.unmount !== 'function') {
        throw new TypeError(`[metamon] bridge "${name}": mount must return { update(props), unmount() }`);
      }
      handle = h;
    },
    update(props) {
      if (!handle || shallowEqual(last, props)) return;
      last = { ...props };
      handle.update({ ...last });
    },
    sync(container, props) {
      if (handle) this.update(props);
      else this.mount(container, props);
    },
    unmount() {
      const h = handle;
      handle = null;
      last = null;
      if (!h) return;
      try {
        h.unmount();
      } catch (err) {
        console.error(`[metamon] bridge "${name}": error while unmounting the guest component:`, err);
      }
    },
  };
}
