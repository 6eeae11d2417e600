// Metamon state preservation across full reloads, served at `/@metamon/hmr/state.js`
// and imported for its side effect by the HMR client (`client.js`).
//
// Before a full reload announced by the client (`metamon:before-full-reload` on
// window; `pagehide` / `beforeunload` refresh the snapshot only after such an
// announcement) every signal whose value is JSON-serialisable, plus the entries
// registered with `registerComponentState(id, getState)`, are written to
// sessionStorage under `metamon:snapshot`:
//
//   { "version": 1, "timestamp": 1732512345678,
//     "signals": { "cart:count": 3, … },
//     "components": { "src/Counter.vue": { "open": true }, … } }
//
// When this module is evaluated (the next page load) the snapshot is read and
// removed; its signal values seed `__METAMON_STATE__.restored`, which `signal(key,
// initial)` in core.js consults when it first creates `key` (a restored value wins
// over `initial`; a signal that is already live keeps its live value). Component
// state is handed out once by `takeRestoredComponentState(id)`.
//
// A snapshot that is not valid JSON, has another version or a bad shape, is older
// than SNAPSHOT_MAX_AGE_MS, or cannot be saved (sessionStorage quota) is dropped
// with a `console.info` notice; nothing here throws into the page.
//
// Importable in Node: `window` / `sessionStorage` are only used if they exist.

// For its side effect: core.js creates `globalThis.__METAMON_STATE__`. The state
// object is looked up on every use (not captured), like core's own sharing.
import '../core.js';

export const SNAPSHOT_KEY = 'metamon:snapshot';
export const SNAPSHOT_VERSION = 1;
/** A snapshot older than this (ms) is stale (a reload that was announced but never happened). */
export const SNAPSHOT_MAX_AGE_MS = 10 * 60 * 1000;

const g = globalThis;

/** `__METAMON_STATE__` with the maps this module uses (kept there so copies of this module share them). */
function coreState() {
  const core = g.__METAMON_STATE__;
  if (!(core.restored instanceof Map)) core.restored = new Map(); // key → value (consulted by core's signal())
  if (!(core.componentState instanceof Map)) core.componentState = new Map(); // id → getState
  if (!(core.restoredComponents instanceof Map)) core.restoredComponents = new Map(); // id → state
  return core;
}

function notice(message, err) {
  if (err !== undefined) console.info(`[metamon] ${message}:`, err && err.message ? err.message : err);
  else console.info(`[metamon] ${message}`);
}

function storage() {
  try {
    const s = g.sessionStorage;
    return s && typeof s.getItem === 'function' ? s : null;
  } catch {
    // Accessing sessionStorage can throw (e.g. blocked storage).
    return null;
  }
}

/**
 * True for values that survive a JSON round trip unchanged: null, booleans,
 * finite numbers, strings, arrays and plain objects of those (no cycles).
 */
export function isJsonSerialisable(value, seen = new Set()) {
  if (value === null) return true;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (seen.has(value)) return false;
      const proto = Object.getPrototypeOf(value);
      const isArray = Array.isArray(value);
      if (!isArray && proto !== Object.prototype && proto !== null) return false;
      seen.add(value);
      try {
        if (isArray) {
          for (let i = 0; i < value.length; i++) {
            if (!(i in value) || !isJsonSerialisable(value[i], seen)) return false;
          }
          return true;
        }
        if (Object.getOwnPropertySymbols(value).length) return false;
        for (const k of Object.keys(value)) {
          if (!isJsonSerialisable(value[k], seen)) return false;
        }
        return true;
      } finally {
        seen.delete(value);
      }
    }
    default:
      return false; // undefined, function, symbol, bigint
  }
}

// ---------------------------------------------------------------------------
// Component state registry
// ---------------------------------------------------------------------------

/**
 * Registers `getState()` to be called when a snapshot is taken; its result (if
 * JSON-serialisable) is saved under `id`. Returns a function that unregisters
 * (only if `getState` is still the registered one). Re-registering an id
 * replaces the previous entry.
 */
export function registerComponentState(id, getState) {
  const core = coreState();
  if (typeof id !== 'string' || id === '') throw new TypeError('registerComponentState(id): id must be a non-empty string');
  if (typeof getState !== 'function') throw new TypeError('registerComponentState(id, getState): getState must be a function');
  core.componentState.set(id, getState);
  return () => {
    if (core.componentState.get(id) === getState) core.componentState.delete(id);
  };
}

/** The state restored for `id` from the last snapshot (once; then forgotten), or undefined. */
export function takeRestoredComponentState(id) {
  const core = coreState();
  if (!core.restoredComponents.has(id)) return undefined;
  const value = core.restoredComponents.get(id);
  core.restoredComponents.delete(id);
  return value;
}

// ---------------------------------------------------------------------------
// Snapshot / restore
// ---------------------------------------------------------------------------

/**
 * The current state as a snapshot object (not saved). Values restored earlier but
 * not yet claimed by a signal / component are carried over.
 * @returns {{ version: number, timestamp: number, signals: Record<string, any>, components: Record<string, any> }}
 */
export function snapshot() {
  const core = coreState();
  const out = { version: SNAPSHOT_VERSION, timestamp: Date.now(), signals: {}, components: {} };
  for (const [key, value] of core.restored) out.signals[key] = value;
  for (const [id, value] of core.restoredComponents) out.components[id] = value;
  for (const [key, record] of core.signals) {
    if (isJsonSerialisable(record.value)) out.signals[key] = record.value;
    else delete out.signals[key];
  }
  // `preserveSignals: false` (or `preserveState: false`): signals start afresh after a reload.
  const config = g.window && g.window.__METAMON_CONFIG__;
  if (config && (config.preserveSignals === false || config.preserveState === false)) out.signals = {};
  for (const [id, getState] of core.componentState) {
    let value;
    try {
      value = getState();
    } catch (err) {
      console.error(`[metamon] error in component state getter for "${id}":`, err);
      continue;
    }
    if (isJsonSerialisable(value)) out.components[id] = value;
  }
  return out;
}

/**
 * Seeds signals and component state from a snapshot object. Signals that are
 * already live keep their live value; the others get the restored value when
 * `signal(key, …)` first creates them. Returns false (with a console.info notice)
 * for a snapshot of another version or a bad shape.
 */
export function restore(snap) {
  if (!snap || typeof snap !== 'object' || Array.isArray(snap)) {
    notice('state snapshot dropped: not an object');
    return false;
  }
  if (snap.version !== SNAPSHOT_VERSION) {
    notice(`state snapshot dropped: version ${JSON.stringify(snap.version)}, expected ${SNAPSHOT_VERSION}`);
    return false;
  }
  const sigs = snap.signals ?? {};
  const comps = snap.components ?? {};
  if (typeof sigs !== 'object' || Array.isArray(sigs) || typeof comps !== 'object' || Array.isArray(comps)) {
    notice('state snapshot dropped: `signals` / `components` must be objects');
    return false;
  }
  const core = coreState();
  const live = core.signals;
  for (const key of Object.keys(sigs)) {
    if (live.has(key)) continue; // the live value wins
    core.restored.set(key, sigs[key]);
  }
  for (const id of Object.keys(comps)) core.restoredComponents.set(id, comps[id]);
  return true;
}

export const backupSignalState = snapshot;
export const restoreSignalState = restore;

/** Writes `snapshot()` to sessionStorage. Returns true if saved. */
export function saveSnapshot() {
  const s = storage();
  if (!s) return false;
  let text;
  try {
    text = JSON.stringify(snapshot());
  } catch (err) {
    notice('state snapshot not saved', err);
    return false;
  }
  try {
    s.setItem(SNAPSHOT_KEY, text);
    return true;
  } catch (err) {
    // QuotaExceededError (too large) or storage disabled.
    notice(`state snapshot not saved (${text.length} chars)`, err);
    try {
      s.removeItem(SNAPSHOT_KEY);
    } catch {
      // ignore
    }
    return false;
  }
}

/** Reads, removes and restores the snapshot from sessionStorage. Returns true if one was restored. */
export function loadSnapshot() {
  const s = storage();
  if (!s) return false;
  let text;
  try {
    text = s.getItem(SNAPSHOT_KEY);
    if (text == null) return false;
    s.removeItem(SNAPSHOT_KEY);
  } catch (err) {
    notice('state snapshot not read', err);
    return false;
  }
  let snap;
  try {
    snap = JSON.parse(text);
  } catch (err) {
    notice('state snapshot dropped: invalid JSON', err);
    return false;
  }
  if (snap && typeof snap === 'object' && typeof snap.timestamp === 'number' &&
      Date.now() - snap.timestamp > SNAPSHOT_MAX_AGE_MS) {
    notice('state snapshot dropped: stale');
    return false;
  }
  try {
    return restore(snap);
  } catch (err) {
    notice('state snapshot dropped', err);
    return false;
  }
}

// ---------------------------------------------------------------------------
// Wiring (browser)
// ---------------------------------------------------------------------------

loadSnapshot();

const win = typeof window !== 'undefined' ? window : null;
if (win && typeof win.addEventListener === 'function' && !win.__METAMON_SNAPSHOT_LISTENING__) {
  try {
    win.__METAMON_SNAPSHOT_LISTENING__ = true;
  } catch {
    // ignore
  }
  let announced = false;
  win.addEventListener('metamon:before-full-reload', () => {
    announced = true;
    saveSnapshot();
  });
  // Fallback / refresh: values may still change between the announcement and
  // the actual unload. Only after an announced reload: a normal navigation or a
  // manual reload must not carry state over.
  const onUnload = () => {
    if (announced) saveSnapshot();
  };
  win.addEventListener('pagehide', onUnload);
  win.addEventListener('beforeunload', onUnload);
}
