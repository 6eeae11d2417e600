// Runtime introspection for tools and tests: `window.__METAMON__`, served at
// `/@metamon/hmr/introspection.js` and imported for its side effect by the HMR client
// (`client.js`), so it exists under `metamon dev` only (never in a production build).
//
// This is the stable surface for tools and tests (`testing/index.mjs` uses nothing else):
//
//   __METAMON__.version          1
//   __METAMON__.signals()        { [key]: value } of every live signal
//   __METAMON__.subscriptions()  { [ownerId]: { [event]: count } }
//   __METAMON__.channels()       [{ owner, event, emit }]
//   __METAMON__.components()     live `.mtm` instances (local-state registry) and pub/sub owners:
//                                  { kind: 'mtm', id: '/src/Users.mtm#default#0', url, module, name, index, values }
//                                  { kind: 'owner', id: 'svelte:#3', framework: 'svelte', subscriptions: { ping: 1 } }
//   __METAMON__.lastUpdate()     the last applied `update` message (null before the first one):
//                                  { seq, ok, files, paths, acceptedPaths, changedAt, compileMs, sentAt,
//                                    receivedAt, appliedAt, phases: { debounce, compile, transfer, apply }, total }
//   __METAMON__.errors()         the compile errors the server reports right now (what the overlay shows)
//   __METAMON__.on(type, fn)     subscribe to 'update' | 'error' | 'rollback' | 'full-reload'; returns an unsubscribe fn
//   __METAMON__.off(type, fn)
//
// Times are epoch milliseconds; the server's (`changedAt`, `sentAt`) and the page's
// (`receivedAt`, `appliedAt`) clocks are the same machine's under `metamon dev`. Phases:
//   debounce = sentAt - compileMs - changedAt   (watcher debounce / batching before the server's work)
//   compile  = compileMs                         (server work: transform + module graph)
//   transfer = receivedAt - sentAt               (WebSocket)
//   apply    = appliedAt - receivedAt            (re-import, accept callbacks, framework re-render)
//   total    = appliedAt - changedAt             (file saved → applied)
// A phase is null when the message carried no timing (e.g. an update caused by `hot.invalidate()`).
//
// Events: 'update' gets the same object as lastUpdate(); 'error' gets
//   { source: 'server', errors: [{ kind, file, line, column, message, frame }] }  (a compile error; non-empty lists only)
//   { source: 'client', phase, path, acceptedPath, message }                      (an update failed to apply)
// 'rollback' gets the detail of the client's `metamon:rollback` window event; 'full-reload' the
// detail of `metamon:before-full-reload`.
//
// The data comes from the window events the client dispatches (`metamon:after-update`,
// `metamon:errors`, `metamon:hmr-error`, `metamon:rollback`, `metamon:before-full-reload`),
// from core.js and from the `.mtm` local-state registry (`__METAMON_STATE__.local`, local.js).
// Importable in Node: nothing is installed without a `window`.

import { signals, subscriptions, channels } from '../core.js';

const g = globalThis;
export const INTROSPECTION_VERSION = 1;
export const EVENT_TYPES = ['update', 'error', 'rollback', 'full-reload'];

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const nonNegative = (v) => (v == null ? null : Math.max(0, v));

/** The `lastUpdate()` record for a `metamon:after-update` detail. */
export function describeUpdate(detail = {}, seq = 0) {
  const updates = Array.isArray(detail.updates) ? detail.updates : [];
  const timing = detail.timing && typeof detail.timing === 'object' ? detail.timing : {};
  const changedAt = num(timing.changedAt);
  const compileMs = num(timing.compileMs);
  const sentAt = num(timing.sentAt);
  const receivedAt = num(detail.receivedAt);
  const appliedAt = num(detail.appliedAt);
  const uniq = (list) => [...new Set(list.filter((x) => typeof x === 'string'))];
  const phases = {
    debounce: changedAt != null && sentAt != null && compileMs != null ? nonNegative(sentAt - compileMs - changedAt) : null,
    compile: compileMs != null ? nonNegative(compileMs) : null,
    transfer: sentAt != null && receivedAt != null ? nonNegative(receivedAt - sentAt) : null,
    apply: receivedAt != null && appliedAt != null ? nonNegative(appliedAt - receivedAt) : null,
  };
  const start = changedAt ?? receivedAt;
  return {
    seq,
    ok: detail.ok !== false,
    files: uniq(Array.isArray(detail.files) ? detail.files : []),
    paths: uniq(updates.map((u) => u && u.path)),
    acceptedPaths: uniq(updates.map((u) => u && u.acceptedPath)),
    updates: updates.map((u) => ({ ...u })),
    changedAt,
    compileMs,
    sentAt,
    receivedAt,
    appliedAt,
    phases,
    total: start != null && appliedAt != null ? nonNegative(appliedAt - start) : null,
  };
}

function localRegistry() {
  const state = g.__METAMON_STATE__;
  return state && state.local instanceof Map ? state.local : null;
}

/** `http://host/src/A.mtm` → `/src/A.mtm` when it is this page's origin (ids stay stable across ports). */
function shortUrl(url, win) {
  const origin = win && win.location && win.location.origin;
  if (origin && typeof url === 'string' && url.startsWith(origin + '/')) return url.slice(origin.length);
  return url;
}

/** A state slot is `name:<initialiser hash>`; tools see the variable's name. */
function variableName(slot) {
  const colon = slot.lastIndexOf(':');
  return colon > 0 ? slot.slice(0, colon) : slot;
}

/** Live `.mtm` component instances and pub/sub owners. */
export function components(win = g.window) {
  const out = [];
  const registry = localRegistry();
  if (registry) {
    for (const [key, entry] of registry) {
      if (key.endsWith('#<module>')) continue; // a module's top-level state, not a component
      const hash = key.lastIndexOf('#');
      const url = hash >= 0 ? key.slice(0, hash) : key;
      const name = hash >= 0 ? key.slice(hash + 1) : 'default';
      const module = shortUrl(url, win);
      const generation = entry && Array.isArray(entry.live) ? entry.live : [];
      generation.forEach((getters, index) => {
        const values = {};
        for (const [slot, get] of getters) {
          try {
            values[variableName(slot)] = get();
          } catch {
            // a getter of a torn-down instance: skip
          }
        }
        out.push({ kind: 'mtm', id: `${module}#${name}#${index}`, url, module, name, index, values });
      });
    }
  }
  for (const [owner, byEvent] of Object.entries(subscriptions())) {
    const colon = owner.indexOf(':');
    out.push({
      kind: 'owner',
      id: owner,
      framework: colon > 0 ? owner.slice(0, colon) : owner,
      subscriptions: byEvent,
    });
  }
  return out;
}

/** Creates the `__METAMON__` object listening on `win` (a window-like event target, or null). */
export function createIntrospection(win = null) {
  const listeners = new Map(EVENT_TYPES.map((t) => [t, new Set()]));
  let last = null;
  let seq = 0;

  function emit(type, payload) {
    for (const fn of [...listeners.get(type)]) {
      try {
        fn(payload);
      } catch (err) {
        console.error(`[metamon] error in __METAMON__.on('${type}') listener:`, err);
      }
    }
  }

  const api = {
    version: INTROSPECTION_VERSION,
    signals: () => signals(),
    subscriptions: () => subscriptions(),
    channels: () => channels(),
    components: () => components(win),
    lastUpdate: () => (last ? structuredCopy(last) : null),
    errors: () => {
      const list = g.__METAMON_HMR__ && g.__METAMON_HMR__.serverErrors;
      return Array.isArray(list) ? list.map((e) => ({ ...e })) : [];
    },
    on(type, fn) {
      if (!listeners.has(type)) throw new TypeError(`__METAMON__.on(type): type must be one of ${EVENT_TYPES.join(', ')}`);
      if (typeof fn !== 'function') throw new TypeError('__METAMON__.on(type, fn): fn must be a function');
      listeners.get(type).add(fn);
      return () => api.off(type, fn);
    },
    off(type, fn) {
      const set = listeners.get(type);
      return set ? set.delete(fn) : false;
    },
    /** For the client / tests: feed a `metamon:after-update` detail directly. */
    _recordUpdate(detail) {
      last = describeUpdate(detail, ++seq);
      emit('update', structuredCopy(last));
      return last;
    },
  };

  if (win && typeof win.addEventListener === 'function') {
    const detailOf = (ev) => (ev && ev.detail) || {};
    win.addEventListener('metamon:after-update', (ev) => api._recordUpdate(detailOf(ev)));
    win.addEventListener('metamon:errors', (ev) => {
      const errors = detailOf(ev).errors;
      if (Array.isArray(errors) && errors.length) emit('error', { source: 'server', errors: errors.map((e) => ({ ...e })) });
    });
    win.addEventListener('metamon:hmr-error', (ev) => {
      const { phase, path, acceptedPath, timestamp, message } = detailOf(ev);
      emit('error', { source: 'client', phase, path, acceptedPath, timestamp, message });
    });
    win.addEventListener('metamon:rollback', (ev) => emit('rollback', detailOf(ev)));
    win.addEventListener('metamon:before-full-reload', (ev) => emit('full-reload', detailOf(ev)));
  }
  return api;
}

function structuredCopy(update) {
  return {
    ...update,
    files: [...update.files],
    paths: [...update.paths],
    acceptedPaths: [...update.acceptedPaths],
    updates: update.updates.map((u) => ({ ...u })),
    phases: { ...update.phases },
  };
}

/** Installs `win.__METAMON__` once (a second copy of this module re-uses the first). */
export function install(win = g.window) {
  if (!win || typeof win !== 'object') return null;
  const existing = win.__METAMON__;
  if (existing && existing.version === INTROSPECTION_VERSION) return existing;
  const api = createIntrospection(win);
  try {
    win.__METAMON__ = api;
  } catch {
    // a frozen window-like object: nothing to install on
  }
  return api;
}

install();
