// `import.meta.hot` of one module: a port of Vite's HMRContext. It only
// records what the module registers (accept / dispose / prune callbacks, `data`, custom
// event listeners) in the maps of its HMRClient (update.js), which applies updates.

import { resolveDep } from './urls.js';

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
