// Error recovery helpers for the HMR client (`client.js`): the client options, a
// concurrency limiter, timeouts, error records for the overlay, and the
// "last good version" bookkeeping used to roll back a failed update.
// Plain logic, importable in Node (tests: `recovery.test.mjs`, `client.test.mjs`).

const g = globalThis;

/** The defaults of `crates/config` (`Config::client_options`). */
export const DEFAULT_OPTIONS = Object.freeze({
  preserveState: true,
  showErrorOverlay: true,
  errorRecoveryMode: 'graceful',
  reloadTimeout: 5000,
  syncFrameworks: true,
  syncTimeout: 1000,
  maxConcurrentReloads: 4,
  preserveSignals: true,
  preserveSubscriptions: true,
  preserveComponentState: true,
  showSuccessNotice: true,
});

/** Readable names of the failure kinds (the overlay's and the notices' wording). */
export const ERROR_KINDS = Object.freeze({
  compile: 'compilation error',
  state: 'state preservation error',
  sync: 'framework sync error',
  adapter: 'adapter reload error',
  runtime: 'runtime error',
  timeout: 'timeout',
});

/** `window.__METAMON_CONFIG__` (or `config`) merged over the defaults, with bad values replaced. */
export function resolveOptions(config = g.window && g.window.__METAMON_CONFIG__) {
  const out = { ...DEFAULT_OPTIONS };
  if (!config || typeof config !== 'object') return out;
  for (const key of Object.keys(DEFAULT_OPTIONS)) {
    const value = config[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== typeof DEFAULT_OPTIONS[key]) continue;
    out[key] = value;
  }
  if (out.errorRecoveryMode !== 'strict') out.errorRecoveryMode = 'graceful';
  for (const key of ['reloadTimeout', 'syncTimeout']) {
    if (!(out[key] >= 0) || !Number.isFinite(out[key])) out[key] = DEFAULT_OPTIONS[key];
  }
  out.maxConcurrentReloads = Math.max(1, Math.floor(out.maxConcurrentReloads) || 1);
  return out;
}

/** The page's client options: `window.__METAMON_CONFIG__` over the defaults. */
export function clientOptions() {
  return resolveOptions(typeof window !== 'undefined' ? window.__METAMON_CONFIG__ : undefined);
}

/** A limiter: `run(fn)` starts `fn` when fewer than `max` runs are in flight. */
export function createLimiter(max) {
  let active = 0;
  const waiting = [];
  const next = () => {
    if (active >= max || !waiting.length) return;
    active++;
    const { fn, resolve, reject } = waiting.shift();
    Promise.resolve()
      .then(fn)
      .then(resolve, reject)
      .finally(() => {
        active--;
        next();
      });
  };
  return {
    run(fn) {
      return new Promise((resolve, reject) => {
        waiting.push({ fn, resolve, reject });
        next();
      });
    },
    get active() {
      return active;
    },
  };
}

export const TIMED_OUT = Symbol('metamon.timedOut');

/** Resolves with `promise`'s value, or with TIMED_OUT after `ms` (the promise keeps running). */
export function raceTimeout(promise, ms, timers = g) {
  let handle;
  const timeout = new Promise((resolve) => {
    handle = timers.setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => timers.clearTimeout(handle));
}

export function errorMessage(error) {
  if (error && typeof error === 'object' && typeof error.message === 'string') return error.message;
  return String(error);
}

/** `/src/App.mtm?t=1` → `src/App.mtm` (the way the server names files). */
export function displayFile(path) {
  return String(path || '').replace(/[?#].*$/, '').replace(/^\//, '');
}

/**
 * `{ file, line, column }` of the first stack frame in `modulePath` (any version of it),
 * in the served code's coordinates, plus its full URL; null when there is none.
 */
export function locateInStack(error, modulePath) {
  const stack = error && typeof error.stack === 'string' ? error.stack : '';
  if (!stack || !modulePath) return null;
  const clean = String(modulePath).replace(/[?#].*$/, '');
  // Chrome: "at fn (http://h/src/A.mtm?t=1:12:5)", Firefox/Safari: "fn@http://h/src/A.mtm?t=1:12:5".
  const re = /((?:https?|file):\/\/[^\s()]+?):(\d+):(\d+)/g;
  let m;
  while ((m = re.exec(stack))) {
    const url = m[1];
    let pathname = url;
    try {
      pathname = new URL(url).pathname;
    } catch {
      // keep the raw URL
    }
    if (pathname === clean) return { url, line: Number(m[2]), column: Number(m[3]) };
  }
  return null;
}

/** True when `error`'s stack or source mentions `modulePath` (used to attribute window errors). */
export function errorMentions(error, modulePath, filename) {
  const clean = String(modulePath || '').replace(/[?#].*$/, '');
  if (!clean) return false;
  const inUrl = (u) => {
    try {
      return new URL(u, 'http://metamon.invalid').pathname === clean;
    } catch {
      return false;
    }
  };
  if (filename && inUrl(filename)) return true;
  return locateInStack(error, clean) !== null;
}

/**
 * Bookkeeping of the last version of each module that applied without error:
 * accepted path → timestamp (null: the version the page loaded) and a snapshot
 * of its exports (framework runtimes such as Vue's mutate component objects in place).
 */
export class LastGood {
  constructor() {
    this.entries = new Map();
  }
  get(path) {
    return this.entries.get(path) || { timestamp: null, snapshot: null };
  }
  has(path) {
    return this.entries.has(path);
  }
  /** Records a version that applied; `module` is snapshotted. */
  set(path, timestamp, module) {
    this.entries.set(path, { timestamp: timestamp ?? null, snapshot: module ? snapshotModule(module) : null });
  }
  /** Records the snapshot of the current good version when there is none yet. */
  ensureSnapshot(path, module) {
    const entry = this.get(path);
    if (!entry.snapshot && module) this.entries.set(path, { ...entry, snapshot: snapshotModule(module) });
  }
}

/**
 * A copy of a module namespace in which plain component objects (Vue's `_sfc_main`: an
 * object with `__hmrId`) are shallow-copied, so a later in-place update does not alter them.
 */
export function snapshotModule(module) {
  const out = {};
  for (const key of Object.keys(module)) {
    const value = module[key];
    if (value && typeof value === 'object' && !Array.isArray(value) && '__hmrId' in value) {
      out[key] = { ...value };
    } else {
      out[key] = value;
    }
  }
  return out;
}
