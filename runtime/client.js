import './state.js';
import './introspection.js';
import {
  resolveOptions, createLimiter, raceTimeout, TIMED_OUT, errorMessage, displayFile,
  errorMentions, locateInStack, LastGood, ERROR_KINDS,
} from './recovery.js';
import { inlineSourceMap, originalPosition, codeFrame } from './sourcemap.js';
import { createFeedback } from './feedback.js';
import { clearSubscriptions } from './core.js';
// Metamon HMR client, served at `/@metamon/client`.
//
// A plain-JS port of Vite's client (packages/vite/src/client/client.ts) and of
// its shared HMR logic (packages/vite/src/shared/hmr.ts: HMRClient, HMRContext).
// Message shapes and URLs: docs/internals.md.
//
// Every hot-updatable module starts with
//   import { createHotContext as __mtm_hot } from "/@metamon/client";import.meta.hot = __mtm_hot("/src/App.mtm");
//
// This file can be imported in Node (tests): nothing touches `window`,
// `document` or `WebSocket` at import time unless they exist.
//
// Events dispatched on `window` (for other runtime pieces / a later recovery layer):
//   metamon:hmr-error          detail: { phase, path, acceptedPath, timestamp, error, message }
//   metamon:before-full-reload detail: { path }
//   metamon:after-update       detail: { updates, files, timing, receivedAt, appliedAt, ok }
//   metamon:errors             detail: { errors }   (each `errors` message, also an empty list)
// Debug surface: window.__METAMON_HMR__ (see `debugState` below); the stable surface for
// tools and tests is window.__METAMON__ (introspection.js, built on these events).
//
// Error overlay (for tests): `document.querySelector('metamon-error-overlay')`
// has `data-file`, `data-line`, `data-column` (first error) and `data-count`
// attributes; its light-DOM `textContent` holds a plain-text copy of all errors
// ("[kind] file:line:column\nmessage\nframe", not rendered), and the visible UI
// is in `el.shadowRoot` (so `el.shadowRoot.textContent` works as well).

const hasWindow = typeof window !== 'undefined';
const hasDocument = typeof document !== 'undefined';
const g = typeof globalThis !== 'undefined' ? globalThis : {};

// ---------------------------------------------------------------------------
// Debug surface
// ---------------------------------------------------------------------------

/**
 * window.__METAMON_HMR__ (globalThis in Node):
 *   updates       number of update entries applied successfully (js + css)
 *   failed        number of update entries whose import / callbacks threw
 *   skipped       number of js-updates for modules that are not loaded (ignored, like Vite)
 *   lastUpdate    { type, path, acceptedPath, timestamp, ok, error? } of the last processed entry
 *   errors        errors raised while applying updates: { phase, path, acceptedPath, message, timestamp }
 *   serverErrors  the last `errors` list received from the server (what the overlay shows)
 *   connected     whether the WebSocket is open
 */
function createDebugState() {
  return {
    updates: 0,
    failed: 0,
    skipped: 0,
    lastUpdate: null,
    errors: [],
    serverErrors: [],
    connected: false,
  };
}
export const debugState =
  g.__METAMON_HMR__ && typeof g.__METAMON_HMR__ === 'object'
    ? g.__METAMON_HMR__
    : (g.__METAMON_HMR__ = createDebugState());

/** Epoch milliseconds (introspection timings; the same clock as the server's `timing`). */
const nowMs = () => Date.now();

function dispatchWindowEvent(name, detail) {
  if (!hasWindow || typeof window.dispatchEvent !== 'function') return;
  try {
    const ev =
      typeof CustomEvent === 'function'
        ? new CustomEvent(name, { detail })
        : Object.assign(new Event(name), { detail });
    window.dispatchEvent(ev);
  } catch (e) {
    console.error(e);
  }
}

// ---------------------------------------------------------------------------
// URL helpers
// ---------------------------------------------------------------------------

/** Removes any `t=<timestamp>` query parameter (and an empty `?`). */
export function stripTimestamp(url) {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hashIdx = url.indexOf('#', q);
  const hash = hashIdx >= 0 ? url.slice(hashIdx) : '';
  const query = url.slice(q + 1, hashIdx >= 0 ? hashIdx : undefined);
  const kept = query.split('&').filter((p) => p && !/^t=/.test(p));
  return url.slice(0, q) + (kept.length ? '?' + kept.join('&') : '') + hash;
}

/** `/src/a.js` → `/src/a.js?t=1`, `/src/a.css?import` → `/src/a.css?import&t=1`. */
export function withTimestamp(url, timestamp) {
  const clean = stripTimestamp(url);
  const hashIdx = clean.indexOf('#');
  const base = hashIdx >= 0 ? clean.slice(0, hashIdx) : clean;
  const hash = hashIdx >= 0 ? clean.slice(hashIdx) : '';
  return base + (base.includes('?') ? '&' : '?') + 't=' + timestamp + hash;
}

function cleanUrl(url) {
  return url.replace(/[?#].*$/, '');
}

/** Resolves `./dep.js` against the owner path; absolute paths are kept. */
function resolveDep(dep, ownerPath) {
  if (typeof dep !== 'string') return dep;
  if (dep.startsWith('./') || dep.startsWith('../')) {
    try {
      const u = new URL(dep, 'http://metamon.invalid' + cleanUrl(ownerPath));
      return u.pathname + u.search;
    } catch {
      return dep;
    }
  }
  return dep;
}

// ---------------------------------------------------------------------------
// HMRContext: `import.meta.hot`
// ---------------------------------------------------------------------------

export class HMRContext {
  constructor(hmrClient, ownerPath) {
    this.hmrClient = hmrClient;
    this.ownerPath = ownerPath;
    if (!hmrClient.dataMap.has(ownerPath)) hmrClient.dataMap.set(ownerPath, {});

    // When a file is hot updated, a new context is created: clear its stale callbacks.
    const mod = hmrClient.hotModulesMap.get(ownerPath);
    if (mod) mod.callbacks = [];
    // Dispose/prune callbacks of the previous instance already ran (or are stale).
    for (const [listMap, fnMap] of [
      [hmrClient.disposeCallbacks, hmrClient.disposeMap],
      [hmrClient.pruneCallbacks, hmrClient.pruneMap],
    ]) {
      if (listMap.has(ownerPath)) {
        listMap.delete(ownerPath);
        fnMap.delete(ownerPath);
      }
    }

    // Clear stale custom event listeners.
    const staleListeners = hmrClient.ctxToListenersMap.get(ownerPath);
    if (staleListeners) {
      for (const [event, staleFns] of staleListeners) {
        const listeners = hmrClient.customListenersMap.get(event);
        if (listeners) {
          hmrClient.customListenersMap.set(
            event,
            listeners.filter((l) => !staleFns.includes(l)),
          );
        }
      }
    }
    this.newListeners = new Map();
    hmrClient.ctxToListenersMap.set(ownerPath, this.newListeners);
  }

  get data() {
    return this.hmrClient.dataMap.get(this.ownerPath);
  }

  accept(deps, callback) {
    if (typeof deps === 'function' || !deps) {
      // self-accept: hot.accept() / hot.accept((mod) => {})
      this.acceptDeps([this.ownerPath], ([mod]) => deps?.(mod));
    } else if (typeof deps === 'string') {
      // explicit dep: hot.accept('./dep.js', (mod) => {})
      this.acceptDeps([deps], ([mod]) => callback?.(mod));
    } else if (Array.isArray(deps)) {
      // hot.accept(['./a.js', './b.js'], ([a, b]) => {})
      this.acceptDeps(deps, callback);
    } else {
      throw new Error('invalid hot.accept() usage.');
    }
  }

  // Partial accepts are treated as self-accepting.
  acceptExports(_, callback) {
    this.acceptDeps([this.ownerPath], ([mod]) => callback?.(mod));
  }

  // Unlike Vite (last call wins), several dispose/prune callbacks per module
  // are kept (e.g. one from the user and one from `defineChannels`); they are
  // cleared when the module is re-evaluated (see the constructor).
  dispose(cb) {
    this.addCallback(this.hmrClient.disposeCallbacks, this.hmrClient.disposeMap, cb);
  }

  prune(cb) {
    this.addCallback(this.hmrClient.pruneCallbacks, this.hmrClient.pruneMap, cb);
  }

  addCallback(listMap, fnMap, cb) {
    const list = listMap.get(this.ownerPath) || [];
    list.push(cb);
    listMap.set(this.ownerPath, list);
    fnMap.set(this.ownerPath, async (data) => {
      for (const fn of list) await fn(data);
    });
  }

  // Kept for backward compatibility (a no-op in Vite too).
  decline() {}

  invalidate(message) {
    const firstInvalidatedBy = this.hmrClient.currentFirstInvalidatedBy ?? this.ownerPath;
    const payload = { path: this.ownerPath, message, firstInvalidatedBy };
    this.hmrClient.notifyListeners('invalidate', payload);
    this.hmrClient.send({ type: 'invalidate', path: this.ownerPath, message, firstInvalidatedBy });
    this.hmrClient.logger.debug(
      `[metamon] invalidate ${this.ownerPath}${message ? `: ${message}` : ''}`,
    );
  }

  on(event, cb) {
    const addToMap = (map) => {
      const existing = map.get(event) || [];
      existing.push(cb);
      map.set(event, existing);
    };
    addToMap(this.hmrClient.customListenersMap);
    addToMap(this.newListeners);
  }

  off(event, cb) {
    const removeFromMap = (map) => {
      const existing = map.get(event);
      if (existing === undefined) return;
      const pruned = existing.filter((l) => l !== cb);
      if (pruned.length === 0) {
        map.delete(event);
        return;
      }
      map.set(event, pruned);
    };
    removeFromMap(this.hmrClient.customListenersMap);
    removeFromMap(this.newListeners);
  }

  send(event, data) {
    this.hmrClient.send({ type: 'custom', event, data });
  }

  acceptDeps(deps, callback = () => {}) {
    const resolved = deps.map((d) => resolveDep(d, this.ownerPath));
    const mod = this.hmrClient.hotModulesMap.get(this.ownerPath) || {
      id: this.ownerPath,
      callbacks: [],
    };
    mod.callbacks.push({ deps: resolved, fn: callback });
    this.hmrClient.hotModulesMap.set(this.ownerPath, mod);
  }
}

// ---------------------------------------------------------------------------
// HMRClient: bookkeeping + update application
// ---------------------------------------------------------------------------

const defaultLogger = {
  log: (...a) => console.log(...a),
  debug: (...a) => console.debug(...a),
  error: (...a) => console.error(...a),
};

export class HMRClient {
  /**
   * @param {object} options
   * @param {(update) => Promise<object>} [options.importUpdatedModule] re-imports `update.acceptedPath`
   * @param {(payload) => void} [options.send] sends a JSON-able payload to the server
   * @param {{log, debug, error}} [options.logger]
   * @param {object} [options.debugState] the object to count updates on (defaults to a fresh one)
   * @param {(name, detail) => void} [options.dispatch] reports events (window events in the browser)
   */
  constructor(options = {}) {
    this.hotModulesMap = new Map();
    this.disposeMap = new Map();
    this.pruneMap = new Map();
    this.disposeCallbacks = new Map();
    this.pruneCallbacks = new Map();
    this.dataMap = new Map();
    this.customListenersMap = new Map();
    this.ctxToListenersMap = new Map();
    this.currentFirstInvalidatedBy = undefined;
    this.updateQueue = [];
    this.currentBatch = null;
    this.applyChain = Promise.resolve();
    this.logger = options.logger || defaultLogger;
    this.sendImpl = options.send || (() => {});
    this.dispatch = options.dispatch || (() => {});
    this.debug = options.debugState || createDebugState();
    this.importUpdatedModule =
      options.importUpdatedModule ||
      ((update) =>
        import(
          /* @vite-ignore */ update.timestamp == null
            ? stripTimestamp(update.acceptedPath)
            : withTimestamp(update.acceptedPath, update.timestamp)
        ));
    // Recovery (see applyBatch / finishJob / rollback):
    const opts = options.options;
    this.getOptions = typeof opts === 'function' ? () => resolveOptions(opts()) : () => resolveOptions(opts);
    this.lastGood = new LastGood(); // acceptedPath → last version that applied
    this.latestApplied = new Map(); // acceptedPath → timestamp of the latest version tried
    this.clientErrors = new Map(); // acceptedPath → overlay record of its current failure
    this.onErrorsChanged = options.onErrorsChanged || (() => {});
    this.snapshotRunningVersion = !!options.snapshotRunningVersion;
    this.feedback = options.feedback || { start() {}, progress() {}, finish() {}, warn() {} };
    this.reload = options.reload || (() => {});
    this.timers = options.timers || g;
    this.now = options.now || nowMs;
    // (onError) => stop: reports errors raised outside the callbacks (React render errors).
    this.watchErrors = options.watchErrors || (() => () => {});
    // Waits for work the runtimes scheduled from the callbacks (e.g. the debounced React
    // Refresh), so that "applied" means rendered.
    this.settle =
      options.settle ||
      (async () => {
        const pending = g.__METAMON_HMR_PENDING__;
        if (pending && pending.size) await Promise.allSettled([...pending]);
      });
    // (error, acceptedPath) → { file, line, column, frame } | null
    this.locate = options.locate || (async (error, path) => {
      const loc = locateInStack(error, path);
      return loc ? { file: displayFile(path), line: null, column: null, served: loc } : null;
    });
  }

  send(payload) {
    this.sendImpl(payload);
  }

  /** Calls listeners registered with hot.on(event). Built-in events are
   * named `metamon:<x>` and also delivered as `vite:<x>` for libraries that
   * listen to Vite's names. */
  async notifyListeners(event, data) {
    const names = event.includes(':') ? [event] : [`metamon:${event}`, `vite:${event}`];
    const cbs = names.flatMap((n) => this.customListenersMap.get(n) || []);
    if (cbs.length) await Promise.allSettled(cbs.map((cb) => cb(data)));
  }

  /** After an update some modules may no longer be imported; clean up their side effects. */
  async prunePaths(paths) {
    await Promise.all(
      paths.map((path) => {
        const disposer = this.disposeMap.get(path);
        if (disposer) return disposer(this.dataMap.get(path));
      }),
    );
    paths.forEach((path) => {
      const fn = this.pruneMap.get(path);
      if (fn) fn(this.dataMap.get(path));
    });
  }

  reportError(phase, update, error) {
    const message = error && error.message ? error.message : String(error);
    const file = update.acceptedPath || update.path;
    this.logger.error(`[metamon] hot update failed (${phase}) for ${file}:`, error);
    if (phase === 'import') {
      this.logger.error(
        `[metamon] Failed to reload ${file}. This could be due to syntax errors or importing non-existent modules. (see errors above)`,
      );
    }
    const entry = {
      phase,
      path: update.path,
      acceptedPath: update.acceptedPath,
      timestamp: update.timestamp,
      message,
    };
    this.debug.errors.push(entry);
    this.dispatch('metamon:hmr-error', { ...entry, error });
  }

  /**
   * Buffers the hot updates of one message (same tick) into a batch; batches are applied
   * one after the other. Each update of a batch is fetched and applied on its own (a failing
   * one does not stop the others); see `applyBatch`. Resolves with `{ ok, results }` once
   * every update of the batch applied, failed or timed out.
   */
  queueUpdate(update) {
    this.updateQueue.push(update);
    if (!this.currentBatch) {
      this.currentBatch = (async () => {
        await Promise.resolve();
        const updates = this.updateQueue;
        this.updateQueue = [];
        this.currentBatch = null;
        // While a batch applies, components torn down are being replaced, not removed: the
        // local-state carrier (local.js) keeps them for their successors.
        const run = this.applyChain.then(async () => {
          g.__METAMON_HMR_UPDATING__ = (g.__METAMON_HMR_UPDATING__ || 0) + 1;
          try {
            return await this.applyBatch(updates);
          } finally {
            g.__METAMON_HMR_UPDATING__ -= 1;
          }
        });
        this.applyChain = run.catch(() => {});
        return run;
      })();
    }
    return this.currentBatch;
  }

  /** What applying `update` needs, or undefined when there is nothing to apply (skipped). */
  prepareJob(update) {
    const { path, acceptedPath } = update;
    const mod = this.hotModulesMap.get(path);
    const skip = () => {
      this.debug.skipped++;
      this.debug.lastUpdate = { ...update, ok: false, skipped: true };
      return undefined;
    };
    // The module is not loaded on this page (code splitting): nothing to do.
    if (!mod) return skip();
    const isSelfUpdate = path === acceptedPath;
    // Determine the qualified callbacks before re-importing: the re-import
    // re-creates the hot context, which clears the module's callbacks.
    const callbacks = mod.callbacks.filter(({ deps }) => deps.includes(acceptedPath));
    // The boundary has no accept callback for this dep (anymore): nothing to apply.
    if (!isSelfUpdate && callbacks.length === 0) return skip();
    return { update, path, acceptedPath, isSelfUpdate, mod, callbacks, file: displayFile(acceptedPath) };
  }

  /** dispose → import (bounded by the limiter); records `job.module` or `job.error`. */
  async fetchJob(job) {
    const { update, acceptedPath, mod } = job;
    // A top-level throw leaves the module's hot context re-created (callbacks cleared):
    // keep what the running version registered, to put it back.
    const saved = {
      callbacks: mod.callbacks.slice(),
      dispose: this.disposeCallbacks.get(acceptedPath),
      disposeFn: this.disposeMap.get(acceptedPath),
    };
    const good = this.lastGood.get(acceptedPath);
    if (!good.snapshot && this.snapshotRunningVersion) {
      // Vue updates component objects in place: copy the running version's first (the
      // browser's module cache returns the evaluated instance; no request, no re-evaluation).
      try {
        this.lastGood.ensureSnapshot(acceptedPath, await this.importUpdatedModule({ ...update, timestamp: good.timestamp }));
      } catch {
        // not importable again: a rollback will re-import it (and may fail)
      }
    }
    const disposer = this.disposeMap.get(acceptedPath);
    if (disposer) {
      try {
        await disposer(this.dataMap.get(acceptedPath));
      } catch (e) {
        // The old version's clean-up failed: report it, apply the new one anyway.
        this.reportError('dispose', update, e);
      }
    }
    try {
      job.module = await this.importUpdatedModule(update);
    } catch (e) {
      job.error = e;
      job.phase = 'import';
      if (mod.callbacks.length === 0) mod.callbacks = saved.callbacks;
      if (saved.dispose && !this.disposeCallbacks.has(acceptedPath)) {
        this.disposeCallbacks.set(acceptedPath, saved.dispose);
        this.disposeMap.set(acceptedPath, saved.disposeFn);
      }
    }
    return job;
  }

  /**
   * Runs the accept callbacks of `jobs` (fetched), together, then waits for the framework
   * runtimes (React Refresh's re-render) and for errors reported on the window meanwhile.
   * Failed jobs are rolled back (graceful) or reload the page (strict).
   */
  async applyJobs(jobs) {
    const ready = jobs.filter((job) => !job.error);
    const captured = [];
    const stop = this.watchErrors((error, filename) => captured.push({ error, filename }));
    try {
      for (const job of ready) {
        try {
          this.currentFirstInvalidatedBy = job.update.firstInvalidatedBy;
          for (const { deps, fn } of job.callbacks) {
            await fn(deps.map((dep) => (dep === job.acceptedPath ? job.module : undefined)));
          }
        } catch (e) {
          job.error = e;
          job.phase = 'accept';
        } finally {
          this.currentFirstInvalidatedBy = undefined;
        }
      }
      await this.settle();
    } finally {
      stop();
    }
    attributeErrors(captured, ready);
    await Promise.all(jobs.map((job) => this.finishJob(job)));
  }

  async finishJob(job) {
    const { update, acceptedPath, path, isSelfUpdate } = job;
    if (this.superseded(job)) return;
    this.latestApplied.set(acceptedPath, update.timestamp);
    if (!job.error) {
      this.lastGood.set(acceptedPath, update.timestamp, job.module);
      this.clearClientError(acceptedPath);
      this.debug.updates++;
      this.debug.lastUpdate = { ...update, ok: true };
      this.logger.log(`[metamon] hot updated: ${isSelfUpdate ? path : `${acceptedPath} via ${path}`}`);
      job.ok = true;
      return;
    }
    this.debug.failed++;
    this.debug.lastUpdate = { ...update, ok: false };
    job.ok = false;
    this.reportError(job.phase, update, job.error);
    const record = await this.describeError('runtime', job, job.error);
    if (this.getOptions().errorRecoveryMode === 'strict') {
      this.setClientError(acceptedPath, record);
      this.reload(path, { reason: 'hmr-error', phase: job.phase, file: job.file, message: record.message });
      return;
    }
    if (job.phase === 'import') {
      // Nothing was swapped: the last good version keeps running.
      this.setClientError(acceptedPath, record);
      this.dispatch('metamon:rollback', { path: acceptedPath, boundary: path, phase: job.phase, error: job.error, message: record.message, reapplied: false, restored: true });
      this.feedback.warn(`${job.file} failed to load (${record.message}); kept the last working version.`);
      return;
    }
    await this.rollback(job, record);
  }

  /** Re-applies the last good version of a module whose new version failed after the swap. */
  async rollback(job, record) {
    const { update, acceptedPath, path } = job;
    const good = this.lastGood.get(acceptedPath);
    let rollbackError = null;
    try {
      // The browser's module cache returns the already evaluated instance: no re-evaluation.
      const namespace = await this.importUpdatedModule({ ...update, timestamp: good.timestamp });
      // `__metamonRollback` tells the accept code this is not the usual next version (Vue must
      // re-mount the last good component, not just re-render with its template). Not
      // enumerable: boundary checks that look at every export (React Refresh) never see it.
      const module = Object.defineProperty({ ...namespace, ...(good.snapshot || {}) }, '__metamonRollback', { value: true });
      for (const hook of g.__METAMON_ROLLBACK_HOOKS__ || []) await hook(acceptedPath, namespace);
      const mod = this.hotModulesMap.get(path);
      const current = mod ? mod.callbacks.filter(({ deps }) => deps.includes(acceptedPath)) : [];
      const callbacks = current.length ? current : job.callbacks;
      const captured = [];
      const stop = this.watchErrors((error, filename) => captured.push({ error, filename }));
      try {
        for (const { deps, fn } of callbacks) await fn(deps.map((dep) => (dep === acceptedPath ? module : undefined)));
        await this.settle();
      } finally {
        stop();
      }
      if (captured.length) throw captured[0].error;
    } catch (e) {
      rollbackError = e;
      this.logger.error(`[metamon] rollback of ${job.file} failed:`, e);
    }
    const restored = !rollbackError;
    const shown = restored
      ? record
      : { ...record, message: `${record.message}\n(rolling back also failed: ${errorMessage(rollbackError)}; reload the page to recover)` };
    this.setClientError(acceptedPath, shown);
    this.dispatch('metamon:rollback', { path: acceptedPath, boundary: path, phase: job.phase, error: job.error, message: record.message, reapplied: true, restored });
    this.feedback.warn(
      restored
        ? `Rolled back to the last working version of ${job.file}.`
        : `Could not restore ${job.file} after an error; reload the page to recover.`,
    );
  }

  /** A later version of the same module was applied meanwhile (a late, timed-out job). */
  superseded(job) {
    const latest = this.latestApplied.get(job.acceptedPath);
    return latest != null && job.update.timestamp != null && latest > job.update.timestamp;
  }

  /** The overlay record `{ kind, file, line, column, message, frame, phase }` for an error. */
  async describeError(kind, job, error) {
    const base = { kind, file: job.file, line: null, column: null, message: errorMessage(error), frame: '', phase: job.phase };
    if (error && typeof error === 'object' && error.frame) base.frame = String(error.frame);
    try {
      const loc = await this.locate(error, job.acceptedPath);
      if (loc) Object.assign(base, { file: loc.file || base.file, line: loc.line ?? null, column: loc.column ?? null, frame: loc.frame || base.frame });
    } catch {
      // keep the module path
    }
    return base;
  }

  setClientError(acceptedPath, record) {
    this.clientErrors.set(acceptedPath, record);
    this.send({ type: 'custom', event: 'metamon:client-error', data: record });
    this.onErrorsChanged([...this.clientErrors.values()]);
  }

  clearClientError(acceptedPath) {
    if (this.clientErrors.delete(acceptedPath)) this.onErrorsChanged([...this.clientErrors.values()]);
  }

  /**
   * Applies one batch: updates are fetched at most `maxConcurrentReloads` at a time; with
   * `syncFrameworks` their accept callbacks run together once all arrived (or `syncTimeout`
   * passed: what arrived is applied, the rest as it arrives), otherwise each as it arrives.
   * An update not applied within `reloadTimeout` is reported as a timeout (cleared if it
   * completes later); the batch does not wait for it.
   */
  async applyBatch(updates) {
    const opts = this.getOptions();
    if (opts.preserveSubscriptions === false || opts.preserveState === false) clearSubscriptions();
    const startedAt = this.now();
    const jobs = updates.map((u) => this.prepareJob(u)).filter(Boolean);
    if (!jobs.length) return { ok: true, results: [] };
    const files = jobs.map((j) => j.file);
    this.feedback.start(files);
    const limiter = createLimiter(opts.maxConcurrentReloads);
    const fetched = jobs.map((job) => limiter.run(() => this.fetchJob(job)));
    let finished;
    if (opts.syncFrameworks) {
      const arrived = new Set();
      fetched.forEach((p, i) => p.then(() => arrived.add(jobs[i])));
      const all = Promise.all(fetched);
      const result = await raceTimeout(all, opts.syncTimeout, this.timers);
      const group = jobs.filter((j) => arrived.has(j));
      const main = this.applyJobs(group);
      finished = jobs.map((job, i) =>
        result !== TIMED_OUT || arrived.has(job) ? main : fetched[i].then(() => main.then(() => this.applyJobs([job]))),
      );
    } else {
      finished = fetched.map((p) => p.then((job) => this.applyJobs([job])));
    }
    const results = await Promise.all(
      jobs.map(async (job, i) => {
        const left = Math.max(0, opts.reloadTimeout - (this.now() - startedAt));
        const done = finished[i].then(() => {
          this.feedback.progress(job.file, job.ok ? 'done' : 'failed');
          return job;
        });
        const outcome = await raceTimeout(done, left, this.timers);
        if (outcome !== TIMED_OUT) return { update: job.update, ok: !!job.ok, file: job.file };
        this.reportTimeout(job, opts.reloadTimeout);
        done.then(() => {
          // Completed late: its own result replaces the timeout error.
          const current = this.clientErrors.get(job.acceptedPath);
          if (current && current.kind === 'timeout' && current.timestamp === job.update.timestamp) this.clearClientError(job.acceptedPath);
        });
        return { update: job.update, ok: false, timedOut: true, file: job.file };
      }),
    );
    const ok = results.every((r) => r.ok);
    this.feedback.finish({ ok, files, ms: this.now() - startedAt });
    return { ok, results };
  }

  reportTimeout(job, ms) {
    const message = `${job.file} was not applied within ${ms} ms (reloadTimeout)`;
    this.logger.error(`[metamon] ${message}`);
    this.debug.failed++;
    this.debug.lastUpdate = { ...job.update, ok: false, timedOut: true };
    const entry = { phase: 'timeout', path: job.path, acceptedPath: job.acceptedPath, timestamp: job.update.timestamp, message };
    this.debug.errors.push(entry);
    this.dispatch('metamon:hmr-error', { ...entry, error: new Error(message) });
    this.setClientError(job.acceptedPath, { kind: 'timeout', file: job.file, line: null, column: null, message, frame: '', phase: 'timeout', timestamp: job.update.timestamp });
    this.feedback.warn(`Timed out: ${message}.`);
  }
}

/** Attributes errors reported on the window during an apply to the jobs they mention. */
function attributeErrors(captured, jobs) {
  for (const { error, filename } of captured) {
    const open = jobs.filter((job) => !job.error);
    if (!open.length) return;
    const mentioned = open.filter((job) => errorMentions(error, job.acceptedPath, filename) || errorMentions(error, job.path, filename));
    for (const job of mentioned.length ? mentioned : open) {
      job.error = error;
      job.phase = 'render';
    }
  }
}

// ---------------------------------------------------------------------------
// CSS: <link> swapping and <style> injection
// ---------------------------------------------------------------------------

const outdatedLinkTags = new WeakSet();

function updateLinkStylesheet(update) {
  const { path, timestamp } = update;
  const searchUrl = cleanUrl(path);
  const el = Array.from(document.querySelectorAll('link')).find(
    (e) =>
      !outdatedLinkTags.has(e) &&
      /(^|\s)stylesheet(\s|$)/i.test(e.rel || '') &&
      cleanUrl(e.href).endsWith(searchUrl),
  );
  if (!el) return Promise.resolve(false);
  const newPath = withTimestamp(path, timestamp);
  return new Promise((resolve) => {
    const newLinkTag = el.cloneNode();
    newLinkTag.href = new URL(newPath, el.href).href;
    let done = false;
    const removeOldEl = () => {
      if (done) return;
      done = true;
      el.remove();
      resolve(true);
    };
    newLinkTag.addEventListener('load', removeOldEl);
    newLinkTag.addEventListener('error', removeOldEl);
    outdatedLinkTags.add(el);
    el.after(newLinkTag);
  });
}

const sheetsMap = new Map();
let lastInsertedStyle;

/** Inserts or replaces `<style data-metamon-id=id>` in <head> (CSS served as JS). */
export function updateStyle(id, content) {
  if (!hasDocument) return;
  let style = sheetsMap.get(id);
  if (!style) {
    style = Array.from(document.querySelectorAll('style[data-metamon-id]')).find(
      (s) => s.getAttribute('data-metamon-id') === id,
    );
  }
  if (!style) {
    style = document.createElement('style');
    style.setAttribute('type', 'text/css');
    style.setAttribute('data-metamon-id', id);
    style.textContent = content;
    if (!lastInsertedStyle || !lastInsertedStyle.isConnected) {
      document.head.appendChild(style);
      // Reset after the current task: styles of one import batch stay in order.
      setTimeout(() => {
        lastInsertedStyle = undefined;
      }, 0);
    } else {
      lastInsertedStyle.insertAdjacentElement('afterend', style);
    }
    lastInsertedStyle = style;
  } else if (style.textContent !== content) {
    style.textContent = content;
  }
  sheetsMap.set(id, style);
}

export function removeStyle(id) {
  if (!hasDocument) return;
  const style =
    sheetsMap.get(id) ||
    Array.from(document.querySelectorAll('style[data-metamon-id]')).find(
      (s) => s.getAttribute('data-metamon-id') === id,
    );
  if (style) {
    style.remove();
    sheetsMap.delete(id);
    if (lastInsertedStyle === style) lastInsertedStyle = undefined;
  }
}

// ---------------------------------------------------------------------------
// Error overlay
// ---------------------------------------------------------------------------

export const overlayTagName = 'metamon-error-overlay';

function escapeHtml(s) {
  return String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function errorLocation(err) {
  let loc = err.file || '<unknown>';
  if (err.line != null) loc += ':' + err.line;
  if (err.line != null && err.column != null) loc += ':' + err.column;
  return loc;
}

/** Plain-text rendering of the error list (also put in the overlay's light DOM). */
export function errorsToText(errors) {
  return errors
    .map((e) => {
      const head = `${e.kind ? `[${e.kind}] ` : ''}${errorLocation(e)}`;
      return [head, e.message || '', e.frame || ''].filter(Boolean).join('\n');
    })
    .join('\n\n');
}

const overlayStyle = `
:host {
  all: initial;
  /* A panel docked at the bottom, not a modal: the app above keeps working with its state. */
  position: fixed; left: 0; right: 0; bottom: 0; z-index: 2147483647;
  display: block;
  font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #e8e8e8;
}
.backdrop {
  max-height: 55vh; overflow-y: auto; padding: 0 16px 16px; box-sizing: border-box;
}
.window {
  max-width: 960px; margin: 0 auto; background: #181818; border-radius: 8px;
  border-top: 6px solid #ff5555; box-shadow: 0 16px 48px rgba(0, 0, 0, 0.5);
  padding: 20px 24px; box-sizing: border-box; outline: none;
}
.window:focus-visible { box-shadow: 0 0 0 3px #ffcc66, 0 16px 48px rgba(0, 0, 0, 0.5); }
header { display: flex; align-items: center; justify-content: space-between; gap: 16px; }
h2 { margin: 0; font-size: 16px; font-weight: 600; color: #ff7777; }
button.close {
  font: inherit; font-size: 14px; color: #e8e8e8; background: #333; border: 1px solid #555;
  border-radius: 4px; padding: 4px 10px; cursor: pointer;
}
button.close:hover, button.close:focus-visible { background: #444; outline: 2px solid #ffcc66; }
ol { list-style: none; margin: 0; padding: 0; }
li { margin-top: 18px; }
.file { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #66ccff; font-size: 13px; }
.kind { color: #aaa; font-size: 12px; margin-right: 6px; }
.message { margin: 6px 0; font-size: 14px; color: #ffaaaa; white-space: pre-wrap; word-break: break-word; }
pre.frame {
  margin: 8px 0 0; padding: 12px; background: #111; border-radius: 4px; overflow-x: auto;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px;
  line-height: 1.45; color: #ddd;
}
.tip { margin-top: 18px; font-size: 12px; color: #999; }
`;

function defineOverlayElement() {
  if (typeof customElements === 'undefined' || typeof HTMLElement === 'undefined') return null;
  const existing = customElements.get(overlayTagName);
  if (existing) return existing;

  class MetamonErrorOverlay extends HTMLElement {
    constructor() {
      super();
      this.root = this.attachShadow({ mode: 'open' });
      this.errors = [];
      this.onKeydown = (e) => {
        if (e.key === 'Escape') this.close();
      };
    }

    connectedCallback() {
      // No focus stealing: the developer may be typing in the app.
      document.addEventListener('keydown', this.onKeydown);
    }

    disconnectedCallback() {
      document.removeEventListener('keydown', this.onKeydown);
    }

    setErrors(errors) {
      this.errors = errors;
      const first = errors[0] || {};
      this.setAttribute('data-file', first.file ?? '');
      this.setAttribute('data-line', first.line != null ? String(first.line) : '');
      this.setAttribute('data-column', first.column != null ? String(first.column) : '');
      this.setAttribute('data-count', String(errors.length));
      // Light DOM copy of the text (not rendered: there is no <slot>), so tests
      // and tools can read `el.textContent` without going into the shadow root.
      this.textContent = errorsToText(errors);

      const items = errors
        .map(
          (e) => `<li>
  <div class="file"><span class="kind">${escapeHtml(ERROR_KINDS[e.kind] || e.kind || 'error')}</span>${escapeHtml(errorLocation(e))}</div>
  <div class="message">${escapeHtml(e.message)}</div>
  ${e.frame ? `<pre class="frame">${escapeHtml(e.frame)}</pre>` : ''}
</li>`,
        )
        .join('');
      const title =
        errors.length === 1 ? '1 error' : `${errors.length} errors`;
      this.root.innerHTML = `<style>${overlayStyle}</style>
<div class="backdrop" part="backdrop">
  <div class="window" role="alertdialog" aria-modal="false" aria-label="Metamon: ${escapeHtml(title)}" tabindex="-1" part="window">
    <header>
      <h2>${escapeHtml(title)}</h2>
      <button class="close" type="button" aria-label="Close error overlay">Close</button>
    </header>
    <ol>${items}</ol>
    <div class="tip">Fix the code and save: the overlay updates by itself. Press Esc to dismiss; the page keeps running its last good code.</div>
  </div>
</div>`;
      this.root.querySelector('button.close').addEventListener('click', () => this.close());
      this.root.querySelector('.window').addEventListener('click', (e) => e.stopPropagation());
    }

    close() {
      if (this.parentNode) this.parentNode.removeChild(this);
    }
  }

  customElements.define(overlayTagName, MetamonErrorOverlay);
  return MetamonErrorOverlay;
}

export function clearErrorOverlay() {
  if (!hasDocument) return;
  document.querySelectorAll(overlayTagName).forEach((n) => n.remove());
}

export function hasErrorOverlay() {
  return hasDocument && document.querySelectorAll(overlayTagName).length > 0;
}

let clientErrorList = [];

/** The client options (`window.__METAMON_CONFIG__` over the defaults). */
export function clientOptions() {
  return resolveOptions(hasWindow ? window.__METAMON_CONFIG__ : undefined);
}

/**
 * Shows the server's `errors` ([{kind, file, line, column, message, frame}]) merged with the
 * client's own (failed updates: runtime errors, timeouts) in one overlay; no errors (or
 * `showErrorOverlay: false`) removes it. Errors are logged to the console either way.
 */
export function showErrors(errors) {
  debugState.serverErrors = errors || [];
  renderErrors();
}

function setClientErrors(errors) {
  clientErrorList = errors || [];
  debugState.clientErrors = clientErrorList;
  renderErrors();
}

let lastLogged = '';
function renderErrors() {
  const all = [...(debugState.serverErrors || []), ...clientErrorList];
  const text = errorsToText(all);
  if (all.length && text !== lastLogged) console.error('[metamon] errors:\n' + text);
  lastLogged = text;
  if (!hasDocument) return;
  if (!all.length || !clientOptions().showErrorOverlay) {
    clearErrorOverlay();
    return;
  }
  const Overlay = defineOverlayElement();
  if (!Overlay || !document.body) return;
  let el = document.querySelector(overlayTagName);
  if (!el) {
    el = document.createElement(overlayTagName);
    el.setErrors(all);
    document.body.appendChild(el);
  } else {
    el.setErrors(all);
  }
}

// ---------------------------------------------------------------------------
// Browser wiring: WebSocket, message handling
// ---------------------------------------------------------------------------

let socket = null;
let wasConnected = false;
let isUnloading = false;
let pollingForRestart = false;
const messageBuffer = [];

function sendToServer(payload) {
  const data = JSON.stringify(payload);
  if (socket && typeof WebSocket !== 'undefined' && socket.readyState === WebSocket.OPEN) {
    socket.send(data);
  } else {
    messageBuffer.push(data);
  }
}

function flushMessageBuffer() {
  if (!socket || typeof WebSocket === 'undefined' || socket.readyState !== WebSocket.OPEN) return;
  while (messageBuffer.length) socket.send(messageBuffer.shift());
}

/**
 * Reports errors raised while an update is applied to `onError` until the returned stop():
 * `error` / `unhandledrejection` window events (React 19 reports render errors with
 * `reportError`; Vue's scheduler rejects) and Error objects logged with `console.error`
 * (Vue's HMR runtime catches a failing re-render and only logs it).
 */
function watchWindowErrors(onError) {
  if (!hasWindow || typeof window.addEventListener !== 'function') return () => {};
  const seen = new Set();
  const report = (error, filename) => {
    if (seen.has(error)) return;
    seen.add(error);
    onError(error, filename);
  };
  const onErr = (ev) => report(ev.error || new Error(ev.message || 'error'), ev.filename);
  const onRejection = (ev) => report(ev.reason instanceof Error ? ev.reason : new Error(String(ev.reason)));
  window.addEventListener('error', onErr);
  window.addEventListener('unhandledrejection', onRejection);
  const originalError = console.error;
  const patched = function (...args) {
    for (const a of args) if (a instanceof Error) report(a);
    return originalError.apply(this, args);
  };
  console.error = patched;
  return () => {
    window.removeEventListener('error', onErr);
    window.removeEventListener('unhandledrejection', onRejection);
    if (console.error === patched) console.error = originalError;
  };
}

/** The `.mtm` position of `error` (stack frame in `path` + the module's inline source map). */
async function locateInBrowser(error, path) {
  const served = locateInStack(error, path);
  if (!served) return null;
  const out = { file: displayFile(path), line: null, column: null, frame: '' };
  try {
    const res = await fetch(served.url);
    const map = inlineSourceMap(await res.text());
    const pos = originalPosition(map, served.line, served.column);
    if (pos) {
      out.line = pos.line;
      out.column = pos.column;
      out.frame = codeFrame(pos.content, pos.line, pos.column);
    }
  } catch {
    // no map: the module path only
  }
  return out;
}

const feedback = createFeedback({ options: clientOptions });

export const hmrClient = new HMRClient({
  send: sendToServer,
  debugState,
  dispatch: dispatchWindowEvent,
  options: () => (hasWindow ? window.__METAMON_CONFIG__ : undefined),
  feedback,
  onErrorsChanged: setClientErrors,
  snapshotRunningVersion: true,
  reload: (path, detail) => pageReload(path, detail),
  watchErrors: watchWindowErrors,
  locate: hasWindow && typeof fetch === 'function' ? locateInBrowser : undefined,
  settle: async () => {
    const pending = g.__METAMON_HMR_PENDING__;
    if (pending && pending.size) await Promise.allSettled([...pending]);
    // One task more: Vue / Svelte re-render on microtasks; errors they raise land here.
    if (hasWindow) await new Promise((r) => setTimeout(r, 0));
  },
});

/** `import.meta.hot` for the module served at `ownerPath`. */
export function createHotContext(ownerPath) {
  return new HMRContext(hmrClient, ownerPath);
}

let pendingReload = null;
function pageReload(path, detail = {}) {
  if (pendingReload) return;
  dispatchWindowEvent('metamon:before-full-reload', { path, ...detail });
  pendingReload = setTimeout(() => {
    if (hasWindow) window.location.reload();
  }, 20);
}

async function applyCssUpdate(update) {
  let ok = true;
  try {
    const found = hasDocument ? await updateLinkStylesheet(update) : false;
    if (!found) {
      // Not a <link>: CSS imported from JS is a JS module calling updateStyle();
      // nothing to swap here (the server sends a js-update for those).
      debugState.skipped++;
      debugState.lastUpdate = { ...update, ok: false, skipped: true };
      return;
    }
  } catch (e) {
    ok = false;
    hmrClient.reportError('css', update, e);
  }
  if (ok) {
    debugState.updates++;
    debugState.lastUpdate = { ...update, ok: true };
    console.log(`[metamon] css hot updated: ${update.path}`);
  } else {
    debugState.failed++;
    debugState.lastUpdate = { ...update, ok: false };
  }
}

/** Handles one server → client message (exported for tests/tools). */
export async function handleMessage(payload) {
  switch (payload.type) {
    case 'connected':
      console.log('[metamon] connected.');
      debugState.connected = true;
      flushMessageBuffer();
      hmrClient.notifyListeners('ws:connect', payload);
      break;
    case 'update': {
      // Introspection (__METAMON__.lastUpdate()): when the message arrived (set by the
      // socket listener; now for direct calls) and whether every entry applied.
      const receivedAt = payload.receivedAt ?? nowMs();
      const failedBefore = debugState.failed;
      await hmrClient.notifyListeners('beforeUpdate', payload);
      await Promise.all(
        (payload.updates || []).map((update) =>
          update.type === 'css-update' ? applyCssUpdate(update) : hmrClient.queueUpdate(update),
        ),
      );
      await hmrClient.notifyListeners('afterUpdate', payload);
      // Applied (queueUpdate waited for __METAMON_HMR_PENDING__, i.e. React's re-render).
      dispatchWindowEvent('metamon:after-update', {
        updates: payload.updates,
        files: payload.files || [],
        timing: payload.timing || null,
        receivedAt,
        appliedAt: nowMs(),
        ok: debugState.failed === failedBefore,
      });
      break;
    }
    case 'custom':
      await hmrClient.notifyListeners(payload.event, payload.data);
      break;
    case 'full-reload': {
      await hmrClient.notifyListeners('beforeFullReload', payload);
      if (!hasWindow) break;
      if (payload.path && payload.path.endsWith('.html')) {
        // Only reload if the browser is on the edited page.
        const pagePath = decodeURI(window.location.pathname);
        if (
          pagePath === payload.path ||
          payload.path === '/index.html' ||
          (pagePath.endsWith('/') && pagePath + 'index.html' === payload.path)
        ) {
          pageReload(payload.path);
        }
      } else {
        pageReload(payload.path);
      }
      break;
    }
    case 'prune':
      await hmrClient.notifyListeners('beforePrune', payload);
      await hmrClient.prunePaths(payload.paths || []);
      break;
    case 'errors':
      showErrors(payload.errors || []);
      dispatchWindowEvent('metamon:errors', { errors: payload.errors || [] }); // for introspection
      await hmrClient.notifyListeners('error', payload);
      break;
    case 'error': {
      // Vite-style single error: show it too.
      const err = payload.err || payload.error || {};
      showErrors([
        {
          kind: 'error',
          file: err.loc?.file || err.id || '',
          line: err.loc?.line,
          column: err.loc?.column,
          message: err.message || String(err),
          frame: err.frame || '',
        },
      ]);
      break;
    }
    default:
      break;
  }
}

// Updates are applied one message at a time, in order.
let messageChain = Promise.resolve();
function enqueueMessage(payload) {
  messageChain = messageChain
    .then(() => handleMessage(payload))
    .catch((e) => console.error('[metamon] failed to handle HMR message', payload, e));
  return messageChain;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitForServer() {
  for (;;) {
    if (document.visibilityState !== 'hidden') {
      try {
        const res = await fetch('/', { cache: 'no-store' });
        if (res.ok || res.status < 500) return;
      } catch {
        // still down
      }
    }
    await sleep(500);
  }
}

function connect() {
  const protocol = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${protocol}://${window.location.host}/@metamon/ws`;
  let closed = false;
  try {
    socket = new WebSocket(url);
  } catch (e) {
    console.error('[metamon] failed to open the HMR WebSocket', e);
    setTimeout(connect, 1000);
    return;
  }
  socket.addEventListener('open', () => {
    wasConnected = true;
    debugState.connected = true;
    flushMessageBuffer();
  });
  socket.addEventListener('message', (ev) => {
    let payload;
    try {
      payload = JSON.parse(ev.data);
    } catch (e) {
      console.error('[metamon] bad HMR message', ev.data);
      return;
    }
    // Introspection: arrival time, before waiting behind earlier messages (transfer phase).
    if (payload && payload.type === 'update') payload.receivedAt = nowMs();
    enqueueMessage(payload);
  });
  const onClose = async () => {
    if (closed) return;
    closed = true;
    debugState.connected = false;
    if (isUnloading) return;
    hmrClient.notifyListeners('ws:disconnect', {});
    if (!wasConnected) {
      // Never connected (server not ready yet): just try again, no reload.
      setTimeout(connect, 1000);
      return;
    }
    if (pollingForRestart) return;
    pollingForRestart = true;
    console.log('[metamon] server connection lost. Polling for restart...');
    await waitForServer();
    dispatchWindowEvent('metamon:before-full-reload', { path: null, reason: 'server-restart' });
    window.location.reload();
  };
  socket.addEventListener('close', onClose);
  socket.addEventListener('error', () => {
    // a `close` event follows
  });
}

if (hasWindow && typeof WebSocket !== 'undefined' && window.location && !g.__METAMON_CLIENT_STARTED__) {
  g.__METAMON_CLIENT_STARTED__ = true;
  window.addEventListener('beforeunload', () => {
    isUnloading = true;
  });
  connect();
}
