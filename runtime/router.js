// Metamon client router, served at /@metamon/router.js for `import … from 'metamon/router'`.
//
//   import { startRouter } from 'metamon/router';
//   startRouter();                       // renders into #app
//
// The route table comes from the server's generated module `/@metamon/routes.js` (built from
// the project's `pages/` and `layouts/` folders; see runtime/README.md, "Router"):
//
//   routes   = [{ path: '/users/:id', file, layout: 'default', framework: 'vue', load }]
//   layouts  = { default: { file, framework: 'svelte', load } }
//   notFound = { path: '*', file, layout, framework, load } | null
//
// A route's layout is mounted with its framework's bridge (`/@metamon/bridge/<fw>.js`,
// `mount(Component, element, { params, path })`) into a router-owned
// `<div data-metamon-layout>`; the page is mounted, with its own framework's bridge, into a
// router-owned `<div data-page>` placed inside the layout's `[data-outlet]` element.
// Navigating between pages of the same layout keeps the layout mounted (its state too) and
// only swaps the page; the same route with other params updates the page's props in place.
// A MutationObserver on the layout container puts the page element back into the outlet when
// the layout re-renders its outlet (a hot update re-mounting the layout), so the page keeps
// its state. `routes.js` hot-updates itself and calls `__METAMON_ROUTER__.setRoutes(next)`.

import * as routesTable from '/@metamon/routes.js';

const { routes: initialRoutes, layouts: initialLayouts, notFound: initialNotFound } = routesTable;

const FRAMEWORK_ALIASES = { reactjs: 'react', solidjs: 'solid', 'solid-js': 'solid' };

// ---------------------------------------------------------------------------
// Matching (pure, exported for tests and tools)
// ---------------------------------------------------------------------------

/** `/a//b/` → `/a/b`; always starts with `/`, no trailing slash except for `/` itself. */
export function normalizePath(path) {
  let p = String(path || '/').split(/[?#]/)[0];
  if (!p.startsWith('/')) p = `/${p}`;
  p = p.replace(/\/{2,}/g, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

function splitSegments(path) {
  const p = normalizePath(path);
  return p === '/' ? [] : p.slice(1).split('/');
}

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Compiles a route pattern: static segments, `:name` parameters, a final `*` or `:name*`
 * (the rest of the path). Returns `{ match(pathname) → params | null, score }`; a higher score is
 * more specific (static segments beat parameters, parameters beat a rest).
 */
export function compilePattern(pattern) {
  const segments = splitSegments(pattern);
  let score = 0;
  const parts = segments.map((segment, i) => {
    const last = i === segments.length - 1;
    if (last && (segment === '*' || /^:\w+\*$/.test(segment))) {
      return { kind: 'rest', name: segment === '*' ? '*' : segment.slice(1, -1) };
    }
    if (segment.startsWith(':')) {
      score += 2;
      return { kind: 'param', name: segment.slice(1) };
    }
    score += 3;
    return { kind: 'static', value: segment };
  });
  const rest = parts.length > 0 && parts[parts.length - 1].kind === 'rest';
  score = score * 10 + (rest ? 0 : 5) + parts.length;
  return {
    score,
    match(pathname) {
      const input = splitSegments(pathname);
      const fixed = rest ? parts.length - 1 : parts.length;
      if (rest ? input.length < fixed : input.length !== fixed) return null;
      const params = {};
      for (let i = 0; i < fixed; i++) {
        const part = parts[i];
        if (part.kind === 'static') {
          if (decode(input[i]) !== part.value) return null;
        } else {
          params[part.name] = decode(input[i]);
        }
      }
      if (rest) params[parts[parts.length - 1].name] = input.slice(fixed).map(decode).join('/');
      return params;
    },
  };
}

const compiled = new WeakMap();
function patternOf(route) {
  let entry = compiled.get(route);
  if (!entry || entry.path !== route.path) {
    entry = { path: route.path, pattern: compilePattern(route.path) };
    compiled.set(route, entry);
  }
  return entry.pattern;
}

/**
 * The most specific route matching `pathname`: `{ route, params }`, or `null`. Routes of equal
 * specificity keep their order.
 */
export function matchRoute(routes, pathname) {
  let best = null;
  for (const route of routes || []) {
    if (!route || typeof route.path !== 'string') continue;
    const pattern = patternOf(route);
    const params = pattern.match(pathname);
    if (params && (!best || pattern.score > best.score)) best = { route, params, score: pattern.score };
  }
  return best && { route: best.route, params: best.params };
}

// ---------------------------------------------------------------------------
// The router
// ---------------------------------------------------------------------------

let active = null;

/** The live router's current route: `{ path, pattern, params, file, layout, framework, notFound }`, or null. */
export function currentRoute() {
  return active ? active.currentRoute() : null;
}

/** Navigates the live router (history.pushState, no reload). Resolves once the page is mounted. */
export function navigate(path, options) {
  if (!active) throw new Error('[metamon] navigate(): no router running; call startRouter() first');
  return active.navigate(path, options);
}

// The routes table imports the bridges of the frameworks its pages use, with literal
// specifiers, so a production build bundles exactly those; any other is fetched by URL.
function defaultLoadBridge(framework) {
  const load = routesTable.bridges && routesTable.bridges[framework];
  return load ? load() : import(/* @vite-ignore */ `/@metamon/bridge/${framework}.js`);
}

function frameworkName(framework) {
  const name = String(framework || 'react').toLowerCase();
  return FRAMEWORK_ALIASES[name] || name;
}

function componentOf(module) {
  if (module && typeof module === 'object' && 'default' in module) return module.default;
  return module;
}

/**
 * Starts the router in `target` (default `#app`). `options` may replace the generated table
 * (`{ routes, layouts, notFound }`, for tests and tools) and `loadBridge(framework)` (returns a
 * module with `mount`). Returns the router (`navigate`, `currentRoute`, `setRoutes`, `ready`,
 * `stop`), also installed as `globalThis.__METAMON_ROUTER__`.
 */
export function startRouter(target, options = {}) {
  if (target === undefined || target === null) target = document.getElementById('app');
  if (!target) throw new Error('[metamon] startRouter(): no target element (is there a <div id="app">?)');
  if (active) active.stop();

  const win = target.ownerDocument.defaultView || globalThis;
  const doc = target.ownerDocument;
  const loadBridge = options.loadBridge || defaultLoadBridge;
  const bridgeCache = new Map();
  const table = { routes: [], layouts: {}, notFound: null };
  const setTable = (next) => {
    table.routes = Array.isArray(next && next.routes) ? next.routes : [];
    table.layouts = (next && next.layouts) || {};
    table.notFound = (next && next.notFound) || null;
  };
  setTable(
    'routes' in options || 'layouts' in options || 'notFound' in options
      ? options
      : { routes: initialRoutes, layouts: initialLayouts, notFound: initialNotFound },
  );

  // What is on screen.
  const view = {
    layoutName: null, // name of the mounted layout ('' = none)
    layoutFile: null,
    layoutEl: null, // <div data-metamon-layout>
    layoutHandle: null,
    observer: null,
    pageKey: null, // file (or '#builtin-not-found') of the mounted page
    pageEl: null, // <div data-page>
    pageHandle: null,
    route: null,
  };
  let generation = 0; // bumps on every render request; a stale async render stops
  let stopped = false;
  let ready = Promise.resolve();

  function bridge(framework) {
    const name = frameworkName(framework);
    let promise = bridgeCache.get(name);
    if (!promise) {
      promise = Promise.resolve(loadBridge(name)).then((module) => {
        if (!module || typeof module.mount !== 'function') throw new Error(`[metamon] router: /@metamon/bridge/${name}.js has no mount()`);
        return module;
      });
      promise.catch(() => bridgeCache.delete(name));
      bridgeCache.set(name, promise);
    }
    return promise;
  }

  function resolve(pathname) {
    const path = normalizePath(pathname);
    const hit = matchRoute(table.routes, path);
    if (hit) return { path, params: hit.params, route: hit.route, notFound: false };
    if (table.notFound) return { path, params: {}, route: table.notFound, notFound: true };
    // Built-in not-found page, inside the default layout when there is one.
    const layout = table.layouts && table.layouts.default ? 'default' : null;
    return { path, params: {}, route: { path: '*', file: null, layout, framework: null, builtin: true }, notFound: true };
  }

  function layoutNameOf(route) {
    const name = route.layout;
    if (!name || !table.layouts || !table.layouts[name]) {
      if (name && table.layouts && !table.layouts[name]) console.warn(`[metamon] router: layout "${name}" (for ${route.file || route.path}) not found; rendering the page without a layout`);
      return '';
    }
    return name;
  }

  function outletIn(container) {
    if (!container) return null;
    for (const el of container.querySelectorAll('[data-outlet]')) {
      // An outlet rendered by the page itself does not count.
      if (!view.pageEl || !view.pageEl.contains(el)) return el;
    }
    return null;
  }

  /** Puts the page element into the layout's outlet (or straight into the container without one). */
  function placePage() {
    if (!view.pageEl) return;
    const container = view.layoutEl || target;
    const outlet = view.layoutEl ? outletIn(container) : target;
    const parent = outlet || container;
    if (view.pageEl.parentNode !== parent) parent.appendChild(view.pageEl);
  }

  function markLinks() {
    const path = view.route ? view.route.path : normalizePath(win.location.pathname);
    for (const a of doc.querySelectorAll('a[href]')) {
      let url;
      try {
        url = new URL(a.getAttribute('href'), win.location.href);
      } catch {
        continue;
      }
      const current = url.origin === win.location.origin && normalizePath(url.pathname) === path && !a.hasAttribute('data-external');
      if (current) {
        if (a.getAttribute('aria-current') !== 'page') a.setAttribute('aria-current', 'page');
      } else if (a.getAttribute('aria-current') === 'page') {
        a.removeAttribute('aria-current');
      }
    }
  }

  function watchLayout() {
    if (view.observer) view.observer.disconnect();
    view.observer = null;
    if (!view.layoutEl || typeof win.MutationObserver !== 'function') return;
    const layoutEl = view.layoutEl;
    view.observer = new win.MutationObserver(() => {
      if (view.layoutEl !== layoutEl || !view.pageEl) return;
      const outlet = outletIn(layoutEl);
      if (outlet && view.pageEl.parentNode !== outlet) outlet.appendChild(view.pageEl);
      else if (!outlet && !view.pageEl.isConnected) layoutEl.appendChild(view.pageEl);
      markLinks();
    });
    view.observer.observe(layoutEl, { childList: true, subtree: true });
  }

  function unmountPage() {
    const { pageHandle, pageEl } = view;
    view.pageHandle = null;
    view.pageEl = null;
    view.pageKey = null;
    if (pageHandle) {
      try {
        pageHandle.unmount();
      } catch (err) {
        console.error('[metamon] router: error unmounting the page', err);
      }
    }
    if (pageEl) pageEl.remove();
  }

  function unmountLayout() {
    if (view.observer) view.observer.disconnect();
    view.observer = null;
    const { layoutHandle, layoutEl } = view;
    view.layoutHandle = null;
    view.layoutEl = null;
    view.layoutName = null;
    view.layoutFile = null;
    if (layoutHandle) {
      try {
        layoutHandle.unmount();
      } catch (err) {
        console.error('[metamon] router: error unmounting the layout', err);
      }
    }
    if (layoutEl) layoutEl.remove();
  }

  function builtinNotFound(element, props) {
    const box = doc.createElement('section');
    box.setAttribute('data-metamon-not-found', '');
    const h1 = doc.createElement('h1');
    h1.textContent = 'Page not found';
    const p = doc.createElement('p');
    p.append('Nothing lives at ');
    const code = doc.createElement('code');
    code.textContent = props.path;
    p.append(code, '.');
    const home = doc.createElement('a');
    home.href = '/';
    home.textContent = 'Back to the home page';
    box.append(h1, p, home);
    element.appendChild(box);
    return {
      update(next) {
        code.textContent = next.path;
      },
      unmount() {
        box.remove();
      },
    };
  }

  function errorBox(element, message) {
    const box = doc.createElement('pre');
    box.setAttribute('data-metamon-router-error', '');
    box.textContent = message;
    element.appendChild(box);
    return { update() {}, unmount: () => box.remove() };
  }

  async function render(pathname) {
    const token = ++generation;
    const next = resolve(pathname);
    const { route, params, path } = next;
    const props = { params, path };
    const layoutName = layoutNameOf(route);
    const layoutDef = layoutName ? table.layouts[layoutName] : null;
    const pageKey = route.builtin ? '#builtin-not-found' : route.file || route.path;

    // Load what is needed before touching the screen (the old page stays up meanwhile).
    let layoutComponent = null;
    let layoutBridge = null;
    const layoutChanges = layoutName !== view.layoutName || (layoutDef && layoutDef.file !== view.layoutFile);
    let pageComponent = null;
    let pageBridge = null;
    let loadError = null;
    try {
      const samePage = pageKey === view.pageKey && !layoutChanges && view.pageHandle;
      await Promise.all([
        layoutChanges && layoutDef
          ? Promise.all([layoutDef.load(), bridge(layoutDef.framework)]).then(([m, b]) => {
              layoutComponent = componentOf(m);
              layoutBridge = b;
            })
          : null,
        !samePage && !route.builtin
          ? Promise.all([route.load(), bridge(route.framework)]).then(([m, b]) => {
              pageComponent = componentOf(m);
              pageBridge = b;
            })
          : null,
      ]);
    } catch (err) {
      loadError = err;
    }
    if (token !== generation || stopped) return;

    // Layout: keep it when it is the same one, otherwise swap it.
    if (layoutChanges) {
      unmountPage();
      unmountLayout();
      view.layoutName = layoutName;
      view.layoutFile = layoutDef ? layoutDef.file : null;
      if (layoutDef && layoutComponent) {
        const el = doc.createElement('div');
        el.setAttribute('data-metamon-layout', layoutName);
        el.style.display = 'contents';
        target.appendChild(el);
        view.layoutEl = el;
        try {
          view.layoutHandle = layoutBridge.mount(layoutComponent, el, props);
        } catch (err) {
          console.error(`[metamon] router: could not mount layout "${layoutName}"`, err);
          view.layoutHandle = errorBox(el, `Could not mount layout ${layoutDef.file}: ${err && err.message}`);
        }
        watchLayout();
      }
    } else if (view.layoutHandle) {
      view.layoutHandle.update(props);
    }

    // Page.
    view.route = {
      path,
      pattern: route.path,
      params,
      file: route.file || null,
      layout: layoutName || null,
      framework: route.framework ? frameworkName(route.framework) : null,
      notFound: next.notFound,
    };
    if (pageKey === view.pageKey && view.pageHandle && !loadError) {
      view.pageHandle.update(props);
      if (view.pageEl) view.pageEl.setAttribute('data-path', path);
    } else {
      unmountPage();
      const el = doc.createElement('div');
      el.setAttribute('data-page', '');
      el.setAttribute('data-route', route.path);
      el.setAttribute('data-path', path);
      if (route.file) el.setAttribute('data-file', route.file);
      view.pageEl = el;
      view.pageKey = pageKey;
      placePage();
      if (loadError) {
        console.error(`[metamon] router: could not load ${route.file || path}`, loadError);
        view.pageHandle = errorBox(el, `Could not load ${route.file || path}: ${loadError && loadError.message}`);
        view.pageKey = null; // try again on the next navigation
      } else if (route.builtin) {
        view.pageHandle = builtinNotFound(el, props);
      } else {
        try {
          view.pageHandle = pageBridge.mount(pageComponent, el, props);
        } catch (err) {
          console.error(`[metamon] router: could not mount ${route.file}`, err);
          view.pageHandle = errorBox(el, `Could not mount ${route.file}: ${err && err.message}`);
          view.pageKey = null;
        }
      }
    }
    placePage();
    markLinks();
    if (typeof win.dispatchEvent === 'function' && typeof win.CustomEvent === 'function') {
      win.dispatchEvent(new win.CustomEvent('metamon:route', { detail: { ...view.route } }));
    }
  }

  function schedule(pathname) {
    const run = render(pathname);
    ready = run.catch((err) => console.error('[metamon] router:', err));
    return ready;
  }

  function go(path, { replace = false, state = null } = {}) {
    if (stopped) return Promise.resolve();
    const url = new URL(String(path), win.location.href);
    if (url.origin !== win.location.origin) {
      win.location.assign(url.href);
      return Promise.resolve();
    }
    const href = url.pathname + url.search + url.hash;
    const here = win.location.pathname + win.location.search + win.location.hash;
    if (replace) win.history.replaceState(state, '', href);
    else if (href !== here) win.history.pushState(state, '', href);
    const rendered = schedule(url.pathname);
    if (!replace && !url.hash && typeof win.scrollTo === 'function') {
      try {
        win.scrollTo(0, 0);
      } catch { /* not implemented (tests) */ }
    }
    return rendered;
  }

  function onClick(event) {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    let node = event.target;
    while (node && node.nodeName !== 'A' && node.nodeName !== 'a') node = node.parentNode;
    if (!node || !node.hasAttribute || !node.hasAttribute('href')) return;
    const a = node;
    if (a.hasAttribute('download') || a.hasAttribute('data-external')) return;
    const targetAttr = a.getAttribute('target');
    if (targetAttr && targetAttr !== '_self') return;
    const rel = a.getAttribute('rel');
    if (rel && /\bexternal\b/.test(rel)) return;
    let url;
    try {
      url = new URL(a.getAttribute('href'), win.location.href);
    } catch {
      return;
    }
    if (url.origin !== win.location.origin) return;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
    // Only the hash changes: let the browser scroll.
    if (url.pathname === win.location.pathname && url.search === win.location.search && url.hash) return;
    event.preventDefault();
    go(url.pathname + url.search + url.hash);
  }

  function onPopState() {
    schedule(win.location.pathname);
  }

  doc.addEventListener('click', onClick);
  win.addEventListener('popstate', onPopState);

  const router = {
    navigate: (path, opts) => go(path, opts),
    currentRoute: () => (view.route ? { ...view.route, params: { ...view.route.params } } : null),
    /** Replaces the route table (the hot update of /@metamon/routes.js) and re-renders the current URL. */
    setRoutes(next) {
      setTable(next);
      return schedule(win.location.pathname);
    },
    /** Resolves once the last navigation is on screen. */
    get ready() {
      return ready;
    },
    /** Removes the listeners and unmounts page and layout. */
    stop() {
      if (stopped) return;
      stopped = true;
      generation++;
      doc.removeEventListener('click', onClick);
      win.removeEventListener('popstate', onPopState);
      unmountPage();
      unmountLayout();
      view.route = null;
      if (active === router) active = null;
      if (globalThis.__METAMON_ROUTER__ === router) delete globalThis.__METAMON_ROUTER__;
    },
  };
  active = router;
  globalThis.__METAMON_ROUTER__ = router;
  schedule(win.location.pathname);
  return router;
}
