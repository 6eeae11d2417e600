// The module registry of the bundled dev mode: instead of one request per ES module, the server
// sends packs (JSON) of modules already turned into factory functions, and this registry
// evaluates them with ES-module semantics: one instance per URL (the `?t=` query included, like
// the browser's module map), depth-first evaluation driven by the factory's `__i` calls, live
// bindings, cycles seeing partially initialised namespaces, errors remembered, top-level await.
// External modules (`/@deps/*`, `/@metamon/*`, a pack's `externals`) stay native ES modules.
//
// Factory: `(function(__i,__e,__s,__meta,__dyn){ __e({name:()=>name}); const __0=__i(0); … })`
//   __i(n)   namespace of deps[n], evaluated first if needed (a promise for async factories)
//   __e(g)   defines the exports as getters (live bindings)
//   __s(ns)  `export * from`: every key of ns but `default` and those already defined
//   __meta   import.meta; __dyn(specifier) dynamic import() relative to the module

/**
 * @typedef {object} ModuleRecord one module of a pack
 * @property {string} url path + query on this origin, the instance's identity
 * @property {string[]} deps the static imports, in source order (`__i(n)` → `deps[n]`)
 * @property {boolean} [async] the factory is an async function (top-level await)
 * @property {string} [code] the factory's source text (one function expression)
 * @property {string} [error] instead of `code`: why the module failed to compile
 */

/** Paths served as native ES modules, never in a pack: dependencies, and this file. */
const NATIVE_PREFIXES = ['/@deps/', '/@metamon/registry.js'];

const indirectEval = eval;

/**
 * @param {object} [options]
 * @param {string} [options.origin] the dev server's origin (defaults to `location.origin`)
 * @param {typeof fetch} [options.fetch]
 * @param {(url: string) => Promise<object>} [options.importNative] native `import()`, given absolute URLs
 * @param {(code: string, url: string) => Function} [options.evaluate] turns factory code into the function
 * @param {(url: string) => void} [options.preload] fetches and compiles a native module without evaluating it
 */
export function createRegistry(options = {}) {
  const origin = options.origin ?? globalThis.location?.origin;
  const fetchImpl = options.fetch || ((...args) => globalThis.fetch(...args));
  const importNative = options.importNative || ((url) => import(/* @vite-ignore */ url));
  // The sourceURL names the module in stack traces and DevTools; its linked source map applies.
  const evaluate = options.evaluate || ((code, url) => indirectEval(`${code}\n//# sourceURL=${origin}${url}`));
  const preload = options.preload || ((url) => {
    if (typeof document === 'undefined') return;
    const link = document.createElement('link');
    link.rel = 'modulepreload';
    link.href = new URL(url, origin).href;
    document.head.append(link);
  });

  const defs = new Map(); // url → ModuleRecord (first definition wins)
  const paths = new Set(); // the paths of the defined URLs (without their query)
  const instances = new Map(); // url → { url, def, ns, meta, status, error, promise, waits }
  const externals = new Map(); // url → namespace of a loaded native module
  const externalLoads = new Map(); // url → its pending import, shared by concurrent loaders
  const listedExternal = new Set(); // urls a pack listed in `externals`
  // Where a page's loading time goes (the benchmark prints it): packs fetched and parsed,
  // native dependencies loaded, module code run (synchronous parts, nested imports included).
  const stats = { packs: 0, packMs: 0, dependenciesMs: 0, evaluateMs: 0 };
  const now = () => globalThis.performance?.now() ?? Date.now();
  // Modules whose `__i` is running, innermost last: the chain that asked for the current
  // evaluation. A module on it (or awaiting one on it) is in a cycle with the requester.
  const stack = [];

  const isExternal = (url) =>
    !defs.has(url) && (externals.has(url) || listedExternal.has(url) || !url.startsWith('/') || NATIVE_PREFIXES.some((p) => url.startsWith(p)));

  function loadExternal(url) {
    if (externals.has(url)) return Promise.resolve(externals.get(url));
    if (!externalLoads.has(url)) {
      const load = Promise.resolve()
        .then(() => importNative(new URL(url, origin).href))
        .then((ns) => (externals.set(url, ns), ns));
      load.catch(() => externalLoads.delete(url)); // a failed load may be retried later
      externalLoads.set(url, load);
    }
    return externalLoads.get(url);
  }

  function instance(url, importer) {
    let m = instances.get(url);
    if (m) return m;
    const def = defs.get(url);
    if (!def) throw new Error(`[metamon] ${url}${importer ? ` (imported by ${importer.url})` : ''} has no definition in the registry`);
    const ns = Object.create(null);
    Object.defineProperty(ns, Symbol.toStringTag, { value: 'Module' });
    const metaUrl = new URL(url, origin).href;
    const meta = { url: metaUrl, resolve: (specifier) => new URL(specifier, metaUrl).href };
    m = { url, def, ns, meta, async: !!def.async, status: 'new', error: undefined, promise: undefined, waits: new Set() };
    instances.set(url, m);
    return m;
  }

  /** True when evaluating `m` (already under way) is, through `stack` or awaits, what asks for it. */
  function inCycle(m) {
    const seen = new Set();
    const reaches = (x) => stack.includes(x) || (!seen.has(x) && (seen.add(x), [...x.waits].some(reaches)));
    return reaches(m);
  }

  function notReady(importer, m) {
    return new Error(
      `[metamon] ${importer.url} imports ${m.url}, an async module (top-level await) that has not finished evaluating; ${importer.url} should be async too`,
    );
  }

  /** The namespace of `url` for `importer` (null: the registry itself), evaluating it if needed;
   * a promise when it is an async module still evaluating. Throws an errored module's error. */
  function load(url, importer) {
    if (isExternal(url)) {
      if (externals.has(url)) return externals.get(url);
      throw new Error(`[metamon] external module ${url}${importer ? ` (imported by ${importer.url})` : ''} was not loaded`);
    }
    const m = instance(url, importer);
    if (m.status === 'done') return m.ns;
    if (m.status === 'errored') throw m.error;
    if (m.status === 'evaluating') {
      if (!m.async || inCycle(m)) return m.ns; // a cycle: the namespace as it is, like ESM
      if (importer && !importer.async) throw notReady(importer, m);
      return waitFor(importer, m);
    }
    if (m.async && importer && !importer.async) throw notReady(importer, m);
    return run(m, importer);
  }

  function waitFor(importer, m) {
    if (!importer) return m.promise;
    importer.waits.add(m);
    const done = () => importer.waits.delete(m);
    m.promise.then(done, done);
    return m.promise;
  }

  function fail(m, error) {
    m.status = 'errored';
    m.error = error;
    return error;
  }

  function run(m, importer) {
    const { def } = m;
    m.status = 'evaluating';
    const __i = (n) => {
      if (n >= def.deps.length) throw new Error(`[metamon] ${m.url}: no import #${n}`);
      stack.push(m);
      try {
        return load(def.deps[n], m);
      } finally {
        stack.pop();
      }
    };
    const __e = (getters) => {
      for (const key of Object.keys(getters)) Object.defineProperty(m.ns, key, { enumerable: true, get: getters[key] });
    };
    const __s = (source) => {
      for (const key of Object.keys(source)) {
        if (key !== 'default' && !(key in m.ns)) Object.defineProperty(m.ns, key, { enumerable: true, get: () => source[key] });
      }
    };
    const __dyn = (specifier) => dynamicImport(specifier, m.url);
    let result;
    try {
      const factory = def.error != null ? () => { throw new Error(def.error); } : evaluate(def.code, m.url);
      result = factory.call(undefined, __i, __e, __s, m.meta, __dyn);
    } catch (error) {
      throw fail(m, error);
    }
    if (!m.async) {
      m.status = 'done';
      return m.ns;
    }
    m.promise = Promise.resolve(result).then(
      () => ((m.status = 'done'), m.ns),
      (error) => { throw fail(m, error); },
    );
    m.promise.catch(() => {}); // rejections reach whoever imports it; none is unhandled here
    return waitFor(importer, m);
  }

  let loading = Promise.resolve(); // the packs under way: an import waits for them first

  /** Fetches the pack of `urls`: a GET for the first (a preload can serve it), then a POST
   * telling the server what the registry already has. A first load and an `import()`
   * (`cache`) are answered with the packs to fetch, content-hashed so that the browser keeps
   * them, and the URLs of theirs that are out of date. Only defines the modules: externals
   * load when a module needing them is imported (React Refresh must hook into the page before
   * react-dom evaluates). */
  function loadPack(urls, cache = false) {
    const missing = urls.filter((url) => !defs.has(url) && !isExternal(url));
    if (missing.length === 0) return loading;
    const first = defs.size === 0;
    const request = loading.then(async () => {
      const wanted = missing.filter((url) => !defs.has(url)); // a pack under way may have brought them
      if (wanted.length === 0) return;
      const started = now();
      const failed = async (res) => new Error(`[metamon] loading the pack of ${wanted.join(', ')} failed: ${res.status} ${await res.text()}`);
      const res = first
        ? await fetchImpl(`${origin}/@metamon/pack?${wanted.map((url) => `m=${encodeURIComponent(url)}`).join('&')}`)
        : await fetchImpl(`${origin}/@metamon/pack`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ modules: wanted, have: [...defs.keys()], ...(cache && { cache }) }),
          });
      if (!res.ok) throw await failed(res);
      const answer = await res.json();
      // `{recent?, stable, stale}`: packs to fetch, and the stable pack's out-of-date URLs.
      const listed = typeof answer.stable === 'string';
      const fetchPack = async (path) => {
        const part = await fetchImpl(`${origin}${path}`);
        if (!part.ok) throw await failed(part);
        return part.json();
      };
      const [recent, stable] = listed ? await Promise.all([answer.recent && fetchPack(answer.recent), fetchPack(answer.stable)]) : [answer, null];
      const stale = new Set(listed ? answer.stale : []);
      for (const pack of [recent, stable]) {
        for (const record of pack?.modules || []) if (pack === recent || !stale.has(record.url)) define(record);
        for (const ext of pack?.externals || []) {
          // A dependency downloads and compiles while the page's own modules evaluate; it is
          // evaluated only when a module imports it (React Refresh hooks in first).
          if (!listedExternal.has(ext) && !externalLoads.has(ext) && ext.startsWith('/@deps/')) preload(ext);
          listedExternal.add(ext);
        }
      }
      stats.packs += 1;
      stats.packMs += now() - started;
      // The overlay shows the errors of the modules a page loaded: these now are.
      if (typeof globalThis.dispatchEvent === 'function') globalThis.dispatchEvent(new Event('metamon:modules-loaded'));
    });
    loading = request.catch(() => {});
    return request;
  }

  /** Checks that every module `url` may evaluate is defined and loads the externals they import. */
  async function prepare(url) {
    const seen = new Set([url]);
    const queue = [url];
    const needed = [];
    for (const current of queue) {
      if ((instances.get(current)?.status ?? 'new') !== 'new') continue; // its imports were prepared
      const def = defs.get(current);
      if (!def) throw new Error(`[metamon] the server sent no definition for ${current}`);
      for (const dep of def.deps) {
        if (seen.has(dep)) continue;
        seen.add(dep);
        if (defs.has(dep)) queue.push(dep);
        else if (isExternal(dep)) needed.push(dep);
        else throw new Error(`[metamon] ${dep} (imported by ${current}) has no definition and is not an external module`);
      }
    }
    await Promise.all(needed.map(loadExternal));
  }

  /** The namespace of `url`; `cache`: an `import()`, whose packs the browser may keep. */
  async function importUrl(url, cache = false) {
    await loading;
    // Already evaluated (React Refresh asks each module for its own exports): nothing to do.
    const evaluated = instances.get(url);
    if (evaluated?.status === 'done') return evaluated.ns;
    if (!defs.has(url) && !isExternal(url)) await loadPack([url], cache);
    if (!defs.has(url) && isExternal(url)) return loadExternal(url);
    let started = now();
    await prepare(url);
    stats.dependenciesMs += now() - started;
    started = now();
    try {
      return load(url, null);
    } finally {
      stats.evaluateMs += now() - started;
    }
  }

  /** `import(specifier)` from the module at `importerUrl` (a path on this origin). */
  async function dynamicImport(specifier, importerUrl) {
    const target = new URL(specifier, new URL(importerUrl || '/', origin));
    if (target.origin !== new URL(origin).origin) return importNative(target.href);
    const path = target.pathname + target.search;
    return isExternal(path) ? loadExternal(path) : importUrl(path, true);
  }

  /** A `<script src>` as a path on this origin, or the absolute URL of another origin. */
  function toPath(src) {
    const target = new URL(src, globalThis.location?.href ?? `${origin}/`);
    return target.origin === new URL(origin).origin ? target.pathname + target.search : target.href;
  }

  /** A URL's file path, without its query (`hasPath` asks by it). */
  const pathOf = (url) => decodeURIComponent(url.split('?')[0]);

  /** Defines a module; a URL keeps its first definition. Returns whether it was new. */
  function define(record) {
    if (defs.has(record.url)) return false;
    paths.add(pathOf(record.url));
    defs.set(record.url, { ...record, deps: record.deps || [] });
    return true;
  }

  /** Modules sent ahead (a hot update's new versions, to every page): each is defined if the
   * page loaded a version of it and every module it imports is defined or external; else its
   * import (if any) asks for a pack, as without the offer (the pack holds what the page
   * lacks, top-level await included). */
  function offer(records) {
    for (const record of records || []) {
      const loaded = paths.has(pathOf(record.url));
      if (loaded && (record.deps || []).every((dep) => defs.has(dep) || isExternal(dep))) define(record);
    }
  }

  let markPageLoaded;
  const pageLoaded = new Promise((resolve) => (markPageLoaded = resolve));

  return {
    define,
    offer,
    /** Resolves once the page's entries have evaluated (the page's loader calls
     * `markPageLoaded`); the window's `load` event does not wait for them. */
    pageLoaded,
    markPageLoaded: () => markPageLoaded(),
    external(url, ns) {
      externals.set(url, ns);
    },
    import: (url) => importUrl(url),
    /** Fetches what `urls` need in one pack, without evaluating anything. */
    load: (urls) => loadPack(urls.map(toPath)),
    /** A `<script type=module src>`: through the registry on this origin, natively elsewhere. */
    importEntry(src) {
      const path = toPath(src);
      return path.startsWith('/') ? importUrl(path) : importNative(path);
    },
    dynamicImport,
    has: (url) => defs.has(url),
    stats,
    /** Whether a module of this path (any version, any query) was loaded: the page uses it. */
    hasPath: (path) => paths.has(path),
    namespaceOf: (url) => instances.get(url)?.ns ?? externals.get(url),
  };
}

// One registry per page (shared by every copy of this file); none outside a browser.
export const registry = globalThis.location ? (globalThis.__METAMON_REGISTRY__ ||= createRegistry()) : undefined;
