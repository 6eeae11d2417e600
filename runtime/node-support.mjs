// Shared set-up for the runtime's Node tests (not served: only `.js` files are embedded).

import { register, createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Under Node, `solid-js` and `svelte` resolve (`node` condition) to their server builds, which
 * are not reactive. Registers a resolve hook adding the `browser` condition for `packages`, for
 * the test and for the runtime files it imports — before either imports them. `prelude` is extra
 * resolve code run first (e.g. stand-ins for server URLs). Each test file runs in its own process.
 */
export function useBrowserBuilds(packages, prelude = '') {
  const test = packages.map((p) => `specifier === ${JSON.stringify(p)} || specifier.startsWith(${JSON.stringify(`${p}/`)})`).join(' || ');
  const hook = `
export async function resolve(specifier, context, next) {
  ${prelude}
  if (${test}) {
    return next(specifier, { ...context, conditions: ['browser', ...context.conditions.filter((c) => c !== 'node')] });
  }
  return next(specifier, context);
}`;
  register('data:text/javascript,' + encodeURIComponent(hook), import.meta.url);
}

/**
 * happy-dom from the repo (a devDependency), or from the path in METAMON_TEST_DOM. Throws when
 * neither loads: the DOM tests fail then, they are never skipped.
 */
export async function loadDom() {
  const fromEnv = process.env.METAMON_TEST_DOM;
  try {
    if (fromEnv) {
      const resolved = createRequire(pathToFileURL(fromEnv.replace(/\/?$/, '/')).href).resolve(fromEnv);
      return await import(pathToFileURL(resolved).href);
    }
    return await import('happy-dom');
  } catch (err) {
    throw new Error(`no DOM library: happy-dom is a devDependency (npm ci), or set METAMON_TEST_DOM to its path: ${err.code || err.message}`, { cause: err });
  }
}

/**
 * A happy-dom window whose globals (document, Node, HTMLElement, …) are installed on
 * `globalThis` — before any framework is imported: react-dom and Vue look for `document` at load.
 */
export function installDom(HappyDOM) {
  const domWindow = new HappyDOM.Window({ url: 'http://localhost/' });
  const names = new Set();
  for (let o = domWindow; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) names.add(name);
  }
  const override = new Set(['Event', 'CustomEvent', 'EventTarget', 'navigator']);
  for (const name of names) {
    if (name === 'constructor' || name === 'window' || name === 'globalThis' || name === 'self') continue;
    if (name in globalThis && !override.has(name)) continue;
    let value;
    try {
      value = domWindow[name];
    } catch {
      continue;
    }
    Object.defineProperty(globalThis, name, {
      value: typeof value === 'function' && !/^[A-Z]/.test(name) ? value.bind(domWindow) : value,
      configurable: true,
      writable: true,
    });
  }
  globalThis.window = domWindow;
  globalThis.self = domWindow;
  return domWindow;
}
