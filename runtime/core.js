// Metamon core, served for `import … from 'metamon'`.
//
// Framework-neutral shared state between components written for different
// frameworks:
//   - named global signals:   signal(key, initial), batch(fn), destroySignal(key)
//   - pub/sub with owners:    emit(event, payload), subscribe(event, handler, ownerId), unsubscribeAll(ownerId)
//   - channel registry:       defineChannels(import.meta, [{ event, emit }])
//   - introspection:          signals(), subscriptions(), channels()
//
// All state lives on `globalThis.__METAMON_STATE__`, so two copies of this
// module (e.g. loaded under two URLs) still share it, and it survives hot
// updates of the modules that use it.

function createState() {
  return {
    version: 1,
    /** key → { key, value, subscribers: Set<fn>, api } */
    signals: new Map(),
    /** batch nesting depth and the signals changed inside the batch */
    batchDepth: 0,
    pendingSignals: new Set(),
    /** event → array of { event, handler, ownerId } */
    events: new Map(),
    /** owner key (module URL without query) → array of { owner, event, emit } */
    channels: new Map(),
    /** key → value restored from a snapshot (runtime/state.js); consulted once,
     *  when the signal is first created, instead of `initial` */
    restored: new Map(),
  };
}

const state =
  globalThis.__METAMON_STATE__ && globalThis.__METAMON_STATE__.version === 1
    ? globalThis.__METAMON_STATE__
    : (globalThis.__METAMON_STATE__ = createState());
// A state object created by an older copy of this module may lack newer fields.
if (!(state.restored instanceof Map)) state.restored = new Map();

const ANONYMOUS_OWNER = 'anonymous';

function reportHandlerError(kind, name, err) {
  console.error(`[metamon] error in ${kind} handler for "${name}":`, err);
}

// ---------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------

function notifySignal(record) {
  const value = record.value;
  for (const fn of [...record.subscribers]) {
    try {
      fn(value);
    } catch (err) {
      reportHandlerError('signal', record.key, err);
    }
  }
}

function createSignalRecord(key, initial) {
  const record = { key, value: initial, subscribers: new Set(), destroyed: false, api: null };
  const set = (v) => {
    // A handle kept after destroySignal(key) is detached: it keeps its last
    // value and notifies nobody; signal(key) creates a fresh signal.
    if (record.destroyed) {
      record.value = v;
      return;
    }
    if (Object.is(record.value, v)) return;
    record.value = v;
    if (state.batchDepth > 0) state.pendingSignals.add(record);
    else notifySignal(record);
  };
  record.api = Object.freeze({
    key,
    get: () => record.value,
    set,
    update: (fn) => set(fn(record.api.get())),
    subscribe: (fn) => {
      if (typeof fn !== 'function') throw new TypeError('signal.subscribe(fn): fn must be a function');
      const wrapped = (v) => fn(v);
      record.subscribers.add(wrapped);
      return () => {
        record.subscribers.delete(wrapped);
      };
    },
  });
  return record;
}

/**
 * A named global signal. The same key always returns the same signal; `initial`
 * is only used when the key does not exist yet. If a value for `key` was restored
 * from a snapshot taken before a full reload (runtime/state.js), that value is
 * used instead of `initial` (once: the entry is consumed).
 * @returns {{ key: string, get(): any, set(v: any): void, update(fn: (v: any) => any): void, subscribe(fn: (v: any) => void): () => void }}
 */
export function signal(key, initial) {
  if (typeof key !== 'string' || key === '') throw new TypeError('signal(key): key must be a non-empty string');
  let record = state.signals.get(key);
  if (!record) {
    if (state.restored.has(key)) {
      initial = state.restored.get(key);
      state.restored.delete(key);
    }
    record = createSignalRecord(key, initial);
    state.signals.set(key, record);
  }
  return record.api;
}

/** Runs `fn`; signal subscribers are notified once, after the outermost batch. Returns fn's result. */
export function batch(fn) {
  state.batchDepth++;
  try {
    return fn();
  } finally {
    state.batchDepth--;
    if (state.batchDepth === 0 && state.pendingSignals.size) {
      const pending = [...state.pendingSignals];
      state.pendingSignals.clear();
      for (const record of pending) {
        if (!record.destroyed) notifySignal(record);
      }
    }
  }
}

/** Removes a signal and its subscribers. Returns true if it existed. */
export function destroySignal(key) {
  const record = state.signals.get(key);
  if (!record) return false;
  record.destroyed = true;
  record.subscribers.clear();
  state.pendingSignals.delete(record);
  state.signals.delete(key);
  return true;
}

// ---------------------------------------------------------------------------
// Pub/sub
// ---------------------------------------------------------------------------

/** Calls every handler subscribed to `event`. Returns the number of handlers called. */
export function emit(event, payload) {
  const list = state.events.get(event);
  if (!list || list.length === 0) return 0;
  let called = 0;
  for (const entry of [...list]) {
    if (entry.removed) continue;
    called++;
    try {
      entry.handler(payload, event);
    } catch (err) {
      reportHandlerError('event', event, err);
    }
  }
  return called;
}

/**
 * Subscribes `handler(payload, event)` to `event` on behalf of `ownerId`
 * (a component instance id, a module URL, …). Returns an unsubscribe function.
 */
export function subscribe(event, handler, ownerId = ANONYMOUS_OWNER) {
  if (typeof event !== 'string' || event === '') throw new TypeError('subscribe(event): event must be a non-empty string');
  if (typeof handler !== 'function') throw new TypeError('subscribe(event, handler): handler must be a function');
  const entry = { event, handler, ownerId: ownerId ?? ANONYMOUS_OWNER, removed: false };
  const list = state.events.get(event) || [];
  list.push(entry);
  state.events.set(event, list);
  return () => removeEntry(entry);
}

function removeEntry(entry) {
  if (entry.removed) return false;
  entry.removed = true;
  const list = state.events.get(entry.event);
  if (!list) return true;
  const i = list.indexOf(entry);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) state.events.delete(entry.event);
  return true;
}

/** Removes every subscription owned by `ownerId`. Returns how many were removed. */
export function unsubscribeAll(ownerId) {
  let removed = 0;
  for (const list of [...state.events.values()]) {
    for (const entry of [...list]) {
      if (entry.ownerId === ownerId && removeEntry(entry)) removed++;
    }
  }
  return removed;
}

/**
 * The file part of a component's owner id: `where` is the module's `import.meta` (the compiler
 * passes it for `.mtm` components) or a path; '' when unknown.
 */
export function ownerFile(where) {
  const url = where && typeof where === 'object' ? where.url : where;
  if (typeof url !== 'string' || !url) return '';
  try {
    return new URL(url, 'http://metamon.invalid').pathname;
  } catch {
    return url.replace(/[?#].*$/, '');
  }
}

/**
 * Drops every subscription on the bus (`preserveSubscriptions: false` does this before each hot
 * update: components that subscribe again when their framework re-runs them get new ones).
 */
export function clearSubscriptions() {
  let removed = 0;
  for (const list of [...state.events.values()]) {
    for (const entry of [...list]) if (removeEntry(entry)) removed++;
  }
  return removed;
}

// ---------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------

function ownerKey(owner) {
  const url = owner && typeof owner === 'object' ? owner.url : owner;
  if (typeof url !== 'string' || url === '') {
    throw new TypeError('defineChannels(owner): pass `import.meta` (an object with a `url`)');
  }
  return url.replace(/[?#].*$/, '');
}

/**
 * Declares the events a module emits, e.g.
 *   const { addToCart } = defineChannels(import.meta, [{ event: 'cart:add', emit: 'addToCart' }]);
 * Re-defining for the same module (after a hot update) replaces its entries;
 * with `import.meta.hot` the entries are removed when the module is disposed.
 * @returns {Record<string, (payload: any) => number>}
 */
export function defineChannels(owner, channelDefs) {
  const key = ownerKey(owner);
  if (!Array.isArray(channelDefs)) throw new TypeError('defineChannels(owner, channels): channels must be an array');
  const entries = channelDefs.map((c, i) => {
    if (!c || typeof c.event !== 'string' || typeof c.emit !== 'string' || !c.event || !c.emit) {
      throw new TypeError(`defineChannels: channel #${i} needs string \`event\` and \`emit\``);
    }
    return Object.freeze({ owner: key, event: c.event, emit: c.emit });
  });
  state.channels.set(key, entries);

  const hot = owner && typeof owner === 'object' ? owner.hot : undefined;
  if (hot && typeof hot.dispose === 'function') {
    hot.dispose(() => {
      if (state.channels.get(key) === entries) state.channels.delete(key);
    });
  }

  const api = {};
  for (const entry of entries) {
    const event = entry.event;
    api[entry.emit] = (payload) => emit(event, payload);
  }
  return api;
}

// ---------------------------------------------------------------------------
// Introspection
// ---------------------------------------------------------------------------

/** `{ key: value }` of all live signals. */
export function signals() {
  const out = {};
  for (const [key, record] of state.signals) out[key] = record.value;
  return out;
}

/** Subscription counts: `{ [ownerId]: { [event]: count } }`. */
export function subscriptions() {
  const out = {};
  for (const [event, list] of state.events) {
    for (const entry of list) {
      const byEvent = out[entry.ownerId] || (out[entry.ownerId] = {});
      byEvent[event] = (byEvent[event] || 0) + 1;
    }
  }
  return out;
}

/** All declared channels: `[{ owner, event, emit }]`. */
export function channels() {
  const out = [];
  for (const entries of state.channels.values()) out.push(...entries.map((e) => ({ ...e })));
  return out;
}
