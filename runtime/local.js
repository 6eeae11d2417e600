// Local state of components carried across hot updates and full reloads, served at `/@metamon/local.js` for `metamon/local`.
//
// The compiler instruments a `.mtm` body's local state declarations — Svelte `$state`, Vue
// `ref`, Solid `createSignal`, React `useState` — so that each instance
//   - registers a getter for each value:  local.keep("count", () => count)
//   - starts from the carried value:      $state(local.take("count", 0))
// Instances are keyed by module (URL without its version query), component name and creation
// order. A new evaluation of the module (a hot update: a new `import.meta`) starts a new
// generation; its instances take the values of the previous generation's instances in the same
// order — which is the order the framework re-creates them in. Before a full reload the values
// go into the runtime's sessionStorage snapshot and seed the first generation after it.

import { registerComponentState, takeRestoredComponentState, isJsonSerialisable } from './hmr/state.js';

const g = globalThis;
const SNAPSHOT_ID = 'metamon:local';
/** The name under which a module's top-level state is kept (`localInstance(meta, '<module>')`). */
export const MODULE_STATE = '#<module>';

function registry() {
  const state = (g.__METAMON_STATE__ ||= {});
  if (!(state.local instanceof Map)) {
    state.local = new Map(); // "url#Component" → entry (see newEntry)
    const restored = takeRestoredComponentState(SNAPSHOT_ID);
    if (restored && typeof restored === 'object') {
      for (const [key, instances] of Object.entries(restored)) {
        if (Array.isArray(instances)) state.local.set(key, newEntry(null, instances.map(valuesAsGetters)));
      }
    }
    registerComponentState(SNAPSHOT_ID, snapshotValues);
  }
  return state.local;
}

/**
 * One component of one module. `live`: its mounted instances (getters maps, in creation order).
 * `replaced`: instances unmounted during a hot update (a parent re-created them, or the
 * framework re-mounts the new version) whose successors have not been created yet.
 * `successors`: what the instances of a new module version take over, in order.
 */
function newEntry(meta, successors = []) {
  return { meta, live: [], replaced: [], successors };
}

function updating() {
  return (g.__METAMON_HMR_UPDATING__ || 0) > 0;
}

function valuesAsGetters(values) {
  const getters = new Map();
  for (const [name, value] of Object.entries(values || {})) getters.set(name, () => value);
  return getters;
}

function enabled() {
  const config = g.window && g.window.__METAMON_CONFIG__;
  return !config || (config.preserveComponentState !== false && config.preserveState !== false);
}

function stripVersion(url) {
  return String(url).replace(/[?&]t=\d+/, '').replace(/\?$/, '');
}

/** Values of every live instance, JSON-serialisable ones only. */
export function snapshotValues() {
  const out = {};
  for (const [key, entry] of registry()) {
    // A module's top-level state lives across hot updates only: a reload starts it afresh.
    if (key.endsWith(MODULE_STATE)) continue;
    const generation = entry.live.length ? entry.live : entry.successors;
    out[key] = generation.map((getters) => {
      const values = {};
      for (const [name, get] of getters) {
        try {
          const value = get();
          if (isJsonSerialisable(value)) values[name] = value;
        } catch { /* a getter of a torn-down instance: skip */ }
      }
      return values;
    });
  }
  return out;
}

/**
 * Called once per component instance (at its creation). `meta` is the module's `import.meta`,
 * `name` the component's name in the module.
 */
export function localInstance(meta, name = 'default') {
  const key = `${stripVersion(meta && meta.url)}#${name}`;
  const map = registry();
  let entry = map.get(key);
  if (!entry) map.set(key, (entry = newEntry(meta)));
  if (entry.meta !== meta) {
    // A new version of the module: its instances take over from all of the previous one's,
    // in creation order, whether these are unmounted already or not yet.
    if (entry.meta !== null) {
      entry.successors = [...entry.replaced, ...entry.live].sort((a, b) => a.seq - b.seq);
      for (const old of entry.successors) old.succeeded = true;
      entry.replaced = [];
      entry.live = [];
    }
    entry.meta = meta;
  }
  // Same version: an instance re-created during a hot update takes over from a replaced one.
  const carried = entry.successors.length ? entry.successors.shift() : updating() ? entry.replaced.shift() : undefined;
  // The carried getters stand in until `keep` registers this instance's own: a version whose
  // setup throws before reaching its `keep` (or its `take`) hands the values on to the rollback.
  const getters = new Map(carried && enabled() ? carried : []);
  getters.seq = (entry.seq = (entry.seq || 0) + 1);
  entry.live.push(getters);
  return {
    /**
     * The instance unmounted. During a hot update it is being replaced: its successor takes
     * its values. Otherwise (navigation, a closed panel) it is gone and leaves the order.
     */
    release() {
      const index = entry.live.indexOf(getters);
      if (index < 0) return;
      entry.live.splice(index, 1);
      if (updating() && !getters.succeeded) entry.replaced.push(getters);
    },
    /** Mounted again (React re-runs effects in development). */
    revive() {
      if (!entry.live.includes(getters)) entry.live.push(getters);
      entry.live.sort((a, b) => a.seq - b.seq);
      const index = entry.replaced.indexOf(getters);
      if (index >= 0) entry.replaced.splice(index, 1);
    },
    /** The carried value of `name`, else `initial`. */
    take(slot, initial) {
      if (!enabled() || !carried || !carried.has(slot)) return initial;
      try {
        return carried.get(slot)();
      } catch {
        return initial;
      }
    },
    /** Like `take`, for lazy initialisers (`useState(() => …)`). */
    lazy(slot, initial) {
      return () => {
        const value = this.take(slot, undefined);
        if (value !== undefined) return value;
        return typeof initial === 'function' ? initial() : initial;
      };
    },
    /**
     * The carried value of `slot` (the same object: a module's store or context keeps its
     * identity), else `create()`'s, which the next version takes in turn.
     */
    hold(slot, create) {
      let value;
      if (enabled() && carried && carried.has(slot)) {
        try {
          value = carried.get(slot)();
        } catch {
          value = create();
        }
      } else {
        value = create();
      }
      getters.set(slot, () => value);
      return value;
    },
    /** Registers the getter that reads the live value of `slot`. */
    keep(slot, get) {
      getters.set(slot, get);
    },
  };
}

/**
 * Rollback (the HMR client re-applies an older, already evaluated version of a module): the
 * instances it creates carry on from the live ones, so the next `localInstance` of that
 * module starts a new generation even though its `import.meta` was seen before.
 */
export function startNewGeneration(modulePath) {
  const clean = String(modulePath).replace(/[?#].*$/, '');
  for (const [key, entry] of registry()) {
    const url = key.slice(0, key.lastIndexOf('#'));
    let pathname = url;
    try {
      pathname = new URL(url, 'http://metamon.invalid').pathname;
    } catch {
      // keep the raw key
    }
    if (pathname === clean && entry.meta !== null) entry.meta = ROLLED_BACK;
  }
}
const ROLLED_BACK = Object.freeze({ url: 'metamon:rolled-back' });

if (!Array.isArray(g.__METAMON_ROLLBACK_HOOKS__)) g.__METAMON_ROLLBACK_HOOKS__ = [];
if (!g.__METAMON_ROLLBACK_HOOKS__.some((h) => h && h.metamonLocal)) {
  const hook = (path) => startNewGeneration(path);
  hook.metamonLocal = true;
  g.__METAMON_ROLLBACK_HOOKS__.push(hook);
}
