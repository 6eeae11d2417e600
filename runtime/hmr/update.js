// HMRClient: the bookkeeping of every module's hot context (the maps HMRContext fills) and
// the application of `js-update` entries: batches queued one after the other, each update
// fetched and applied on its own, rolled back to its last good version when it fails (see
// runtime/README.md, "Update lifecycle"). A port of Vite's HMRClient with
// Metamon's recovery. Everything page-specific (socket, window errors, source maps, feedback,
// overlay) comes in through the constructor's options, so Node tests drive it with fakes.

import {
  resolveOptions, createLimiter, raceTimeout, TIMED_OUT, errorMessage, displayFile,
  errorMentions, locateInStack, LastGood,
} from './recovery.js';
import { stripTimestamp, withTimestamp } from './urls.js';
import { createDebugState, nowMs } from './debug.js';
import { clearSubscriptions } from '../core.js';

/** @typedef {import('./protocol.js').Update} Update */
/** @typedef {import('./protocol.js').ClientPayload} ClientPayload */

const g = typeof globalThis !== 'undefined' ? globalThis : {};

const defaultLogger = {
  log: (...a) => console.log(...a),
  debug: (...a) => console.debug(...a),
  error: (...a) => console.error(...a),
};

export class HMRClient {
  /**
   * @param {object} options
   * @param {(update) => Promise<object>} [options.importUpdatedModule] re-imports `update.acceptedPath`
   * @param {(payload: ClientPayload) => void} [options.send] sends a message to the server
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
      ((update) => {
        const url = update.timestamp == null
          ? stripTimestamp(update.acceptedPath)
          : withTimestamp(update.acceptedPath, update.timestamp);
        // Bundled dev serving: the page's modules live in the registry, not the module map.
        const registry = g.__METAMON_REGISTRY__;
        return registry ? registry.import(url) : import(/* @vite-ignore */ url);
      });
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

  /** @param {ClientPayload} payload */
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
    try {
      await Promise.all(
        paths.map((path) => {
          const disposer = this.disposeMap.get(path);
          if (disposer) return disposer(this.dataMap.get(path));
        }),
      );
      await Promise.all(
        paths.map((path) => {
          const fn = this.pruneMap.get(path);
          if (fn) return fn(this.dataMap.get(path));
        }),
      );
    } finally {
      // A pruned module that comes back starts with fresh `hot.data`.
      paths.forEach((path) => this.dataMap.delete(path));
    }
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
   * @param {Update} update a `js-update`
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
