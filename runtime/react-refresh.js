// Metamon: React Refresh runtime + the boundary helpers that @vitejs/plugin-react
// adds around it (refresh-runtime.js / refreshUtils.js), served at
// `/@metamon/react-refresh`. No npm `react-refresh` package is needed in the
// user's project: the runtime is vendored in ./vendor/react-refresh-runtime.js.
//
// The server wraps every React module as plugin-react does, in fewer bytes (a page of
// 10 000 components evaluates each wrapper once):
//
//   import * as RefreshRuntime from "/@metamon/react-refresh";
//   const [$RefreshReg$, $RefreshSig$] = RefreshRuntime.refreshScope(import.meta.hot, "/src/App.jsx");
//   ... the module, whose registrations call the two names above ...
//   RefreshRuntime.inWebWorker || import.meta.hot?.accept(RefreshRuntime.refreshBoundary(import.meta, "/src/App.jsx"));
//
// plugin-react sets `window.$RefreshReg$`/`$RefreshSig$` around the module instead; module
// scope gives the same registrations, and the `accept` call stays in the module's text,
// where the server finds it (a self-accepting module).
//
// and index.html gets the preamble:
//
//   import { injectIntoGlobalHook } from "/@metamon/react-refresh";
//   injectIntoGlobalHook(window);
//   window.$RefreshReg$ = () => {};
//   window.$RefreshSig$ = () => (type) => type;

import RefreshRuntime from './vendor/react-refresh-runtime.js';

export default RefreshRuntime;

export const {
  injectIntoGlobalHook,
  register,
  setSignature,
  isLikelyComponentType,
  collectCustomHooksForSignature,
  getFamilyByID,
  getFamilyByType,
  hasUnrecoverableErrors,
  // Runs a refresh right now (not debounced). Prefer `enqueueUpdate()`.
  performReactRefresh,
} = RefreshRuntime;

const g = typeof globalThis !== 'undefined' ? globalThis : window;

function debounce(fn, delay) {
  let handle;
  return () => {
    clearTimeout(handle);
    handle = setTimeout(fn, delay);
  };
}

// Hooks run (and awaited) before each refresh, like plugin-react's
// `window.__registerBeforePerformReactRefresh`.
const beforeRefreshHooks = [];
export function registerBeforePerformReactRefresh(cb) {
  beforeRefreshHooks.push(cb);
}
if (typeof g.__registerBeforePerformReactRefresh !== 'function') {
  g.__registerBeforePerformReactRefresh = registerBeforePerformReactRefresh;
}

// A promise for the refresh that is scheduled but not done yet. The HMR client
// (runtime/client.js) awaits everything in `globalThis.__METAMON_HMR_PENDING__`
// after running accept callbacks, so "update applied" means "React re-rendered".
let pending = null;
let resolvePending = null;

function pendingSet() {
  if (!(g.__METAMON_HMR_PENDING__ instanceof Set)) g.__METAMON_HMR_PENDING__ = new Set();
  return g.__METAMON_HMR_PENDING__;
}

const runRefresh = debounce(async () => {
  const done = resolvePending;
  const p = pending;
  pending = null;
  resolvePending = null;
  try {
    if (beforeRefreshHooks.length) await Promise.all(beforeRefreshHooks.map((cb) => cb()));
    RefreshRuntime.performReactRefresh();
  } catch (err) {
    console.error('[metamon] React Refresh failed:', err);
  } finally {
    pendingSet().delete(p);
    done && done();
  }
}, 0);

/** Debounced `performReactRefresh` (next task: the updates of one batch make one refresh); returns a promise resolved after the refresh ran. */
export function enqueueUpdate() {
  if (!pending) {
    pending = new Promise((resolve) => {
      resolvePending = resolve;
    });
    pendingSet().add(pending);
  }
  const p = pending;
  runRefresh();
  return p;
}
export const performReactRefreshDebounced = enqueueUpdate;

function predicateOnExport(ignoredExports, moduleExports, predicate) {
  for (const key in moduleExports) {
    if (key === '__esModule') continue;
    if (ignoredExports.includes(key)) continue;
    const desc = Object.getOwnPropertyDescriptor(moduleExports, key);
    // A getter may have side effects, except a module namespace's: the registry of bundled dev
    // serving gives its live bindings as getters.
    if (desc && desc.get && moduleExports[Symbol.toStringTag] !== 'Module') return key;
    if (!predicate(key, moduleExports[key])) return key;
  }
  return true;
}

/**
 * Whether a non-component export of a new module version is the same as the old one, so the
 * importers holding the old one need nothing: equal primitives, functions with the same source,
 * and arrays / plain objects of such values (a route table naming the module's components).
 * Plugin-react compares identity, so any `export const HEADLINE = …` forces a reload.
 */
export function sameExportValue(prev, next, depth = 0) {
  if (Object.is(prev, next)) return true;
  if (depth > 8 || typeof prev !== typeof next || prev === null || next === null) return false;
  if (typeof prev === 'function') {
    if (RefreshRuntime.isLikelyComponentType(prev) && RefreshRuntime.isLikelyComponentType(next)) return true;
    return Function.prototype.toString.call(prev) === Function.prototype.toString.call(next);
  }
  if (typeof prev !== 'object') return false;
  if (Array.isArray(prev)) {
    return Array.isArray(next) && prev.length === next.length && prev.every((item, i) => sameExportValue(item, next[i], depth + 1));
  }
  const plain = (o) => Object.getPrototypeOf(o) === Object.prototype || Object.getPrototypeOf(o) === null;
  if (!plain(prev) || !plain(next)) return false;
  const keys = Object.keys(prev);
  if (keys.length !== Object.keys(next).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(next, key) && sameExportValue(prev[key], next[key], depth + 1));
}

/**
 * Returns undefined when the module is a valid Fast Refresh boundary (and a
 * refresh is enqueued), or an invalidation message string otherwise.
 */
export function validateRefreshBoundaryAndEnqueueUpdate(id, prevExports, nextExports) {
  const ignoredExports =
    (typeof g.__getReactRefreshIgnoredExports === 'function' &&
      g.__getReactRefreshIgnoredExports({ id })) ||
    [];
  if (predicateOnExport(ignoredExports, prevExports, (key) => key in nextExports) !== true) {
    return 'Could not Fast Refresh (export removed)';
  }
  if (predicateOnExport(ignoredExports, nextExports, (key) => key in prevExports) !== true) {
    return 'Could not Fast Refresh (new export)';
  }

  let hasExports = false;
  const allExportsAreComponentsOrUnchanged = predicateOnExport(
    ignoredExports,
    nextExports,
    (key, value) => {
      hasExports = true;
      if (RefreshRuntime.isLikelyComponentType(value)) return true;
      return sameExportValue(prevExports[key], value);
    },
  );
  if (hasExports && allExportsAreComponentsOrUnchanged === true) {
    enqueueUpdate();
    return undefined;
  }
  if (!hasExports) return 'Could not Fast Refresh (no exports)';
  return `Could not Fast Refresh ("${allExportsAreComponentsOrUnchanged}" export is incompatible). Only export React components from a module to keep state on edit.`;
}

// Rollback support (the HMR client re-applies the last good version of a module whose
// new version failed to render). React Refresh ignores a second registration of a type, so
// the old types cannot simply be registered again: each old component is wrapped in a new
// function with the old signature and registered under the old id, which makes React
// Refresh swap the family back (failed roots are re-mounted by performReactRefresh).
const idByType = new WeakMap(); // component type → React Refresh id (first registration wins)
const signatureByType = new WeakMap(); // component type → [key, forceReset, getCustomHooks]
const pendingRegistrations = new Map(); // filename → Map(id → type) since its last registerExports
const registrationsByExports = new WeakMap(); // module namespace → Map(id → type)

function recordRegistration(type, id, filename) {
  if (type == null || (typeof type !== 'function' && typeof type !== 'object')) return;
  if (!idByType.has(type)) idByType.set(type, id);
  if (filename != null) {
    if (!pendingRegistrations.has(filename)) pendingRegistrations.set(filename, new Map());
    pendingRegistrations.get(filename).set(id, type);
  }
}

/** `$RefreshSig$`: the runtime's, recording each type's signature (for rollback wrappers). */
export function createSignatureFunctionForTransform() {
  const inner = RefreshRuntime.createSignatureFunctionForTransform();
  return function (type, key, forceReset, getCustomHooks) {
    if (typeof key === 'string' && type != null && !signatureByType.has(type)) {
      signatureByType.set(type, [key, forceReset, getCustomHooks]);
    }
    return inner.apply(this, arguments);
  };
}

/**
 * Makes React Refresh render the components of `moduleExports` (an already evaluated, older
 * version of `filename`) again, with a refresh enqueued. Returns the number of families
 * swapped back. Only plain function components can be wrapped; others are left as they are.
 */
export function rollbackModule(filename, moduleExports) {
  const registered = registrationsByExports.get(moduleExports);
  const entries = new Map(registered || []);
  for (const key in moduleExports || {}) {
    const type = moduleExports[key];
    if (RefreshRuntime.isLikelyComponentType(type) && idByType.has(type)) entries.set(idByType.get(type), type);
  }
  let swapped = 0;
  for (const [id, type] of entries) {
    if (typeof type !== 'function' || (type.prototype && type.prototype.isReactComponent)) continue;
    const family = RefreshRuntime.getFamilyByID(id);
    if (!family || family.current === type) continue;
    const Wrapped = function (props, secondArg) {
      return type(props, secondArg);
    };
    Object.defineProperty(Wrapped, 'name', { value: type.name || 'Component' });
    if (type.displayName) Wrapped.displayName = type.displayName;
    const sig = signatureByType.get(type);
    if (sig) RefreshRuntime.setSignature(Wrapped, sig[0], sig[1], sig[2]);
    RefreshRuntime.register(Wrapped, id);
    swapped++;
  }
  if (swapped) enqueueUpdate();
  return swapped;
}

// The HMR client calls these hooks (path, moduleNamespace) before re-running accept
// callbacks with the last good version of a module.
if (!Array.isArray(g.__METAMON_ROLLBACK_HOOKS__)) g.__METAMON_ROLLBACK_HOOKS__ = [];
if (!g.__METAMON_ROLLBACK_HOOKS__.some((h) => h && h.metamonReact)) {
  const hook = (path, moduleExports) => rollbackModule(path, moduleExports);
  hook.metamonReact = true;
  g.__METAMON_ROLLBACK_HOOKS__.push(hook);
}

export const inWebWorker =
  typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope;

const noRegistration = () => {};
const noSignature = () => (type) => type;

/** `[$RefreshReg$, $RefreshSig$]` of the module `id` (no-ops without HMR, or in a worker). */
export function refreshScope(hot, id) {
  if (!hot || inWebWorker) return [noRegistration, noSignature];
  return [getRefreshReg(id), createSignatureFunctionForTransform];
}

/**
 * The module's `import.meta.hot.accept` callback: it is a React Refresh boundary when its
 * exports are components (or unchanged values); otherwise the update is passed on to its
 * importers (`invalidate`), as plugin-react's footer does.
 */
export function refreshBoundary(meta, id) {
  let currentExports;
  __hmr_import(meta.url).then((moduleExports) => {
    currentExports = moduleExports;
    registerExportsForReactRefresh(id, moduleExports);
  });
  return (nextExports) => {
    if (!nextExports || !currentExports) return;
    const invalidateMessage = validateRefreshBoundaryAndEnqueueUpdate(id, currentExports, nextExports);
    if (invalidateMessage) meta.hot.invalidate(invalidateMessage);
  };
}

export function getRefreshReg(filename) {
  return (type, id) => {
    recordRegistration(type, filename + ' ' + id, filename);
    return RefreshRuntime.register(type, filename + ' ' + id);
  };
}

export function registerExportsForReactRefresh(filename, moduleExports) {
  const pending = pendingRegistrations.get(filename);
  pendingRegistrations.delete(filename);
  if (moduleExports && typeof moduleExports === 'object') registrationsByExports.set(moduleExports, pending || new Map());
  for (const key in moduleExports) {
    if (key === '__esModule') continue;
    const exportValue = moduleExports[key];
    if (RefreshRuntime.isLikelyComponentType(exportValue)) {
      // 'export' avoids a key collision when a renamed export shadows a local
      // component name; register() ignores a second registration of the same type.
      recordRegistration(exportValue, filename + ' export ' + key, null);
      RefreshRuntime.register(exportValue, filename + ' export ' + key);
    }
  }
}

export const __hmr_import = (url) => {
  // Bundled dev serving: the module is an instance of the page's registry, not a native one.
  const registry = globalThis.__METAMON_REGISTRY__;
  if (!registry) return import(/* @vite-ignore */ url);
  const { pathname, search } = new URL(url);
  return registry.import(pathname + search);
};

// Constant elements (see crates/compile/src/constant_elements.rs): the compiler turns every
// element whose props are literals and module-level names into
//   __metamon_el(id, () => [deps], () => jsx(...))
// On the first render after a hot update of the module, an element whose JSX text and
// dependencies (compared by identity) are unchanged comes back as the very object React
// already rendered, so React skips that subtree (a root edit does not re-render every child).
// Every other render creates fresh elements, as React expects.
function sameDeps(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

const NO_DEPS = [];

/** `element(id, deps, make)` for one evaluation of a module, given its `import.meta.hot`. */
export function constantElements(hot) {
  const data = hot && hot.data;
  if (!data) return (id, deps, make) => make();
  const cache = data.metamonElements || (data.metamonElements = new Map());
  const version = (data.metamonElementsVersion = (data.metamonElementsVersion || 0) + 1);
  return (id, deps, make) => {
    const values = deps ? deps() : NO_DEPS;
    const entry = cache.get(id);
    if (entry && entry.version !== version && sameDeps(entry.deps, values)) {
      entry.version = version;
      return entry.element;
    }
    const element = make();
    cache.set(id, { version, deps: values, element });
    return element;
  };
}
