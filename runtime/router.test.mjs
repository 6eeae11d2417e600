import { test, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowserBuilds, loadDom, installDom } from './node-support.mjs';

// The client router (runtime/router.js). Matching is pure; the rest needs a DOM: `happy-dom`
// resolved from the repo (devDependency) or its path in METAMON_TEST_DOM; without one the file fails.
//
// A resolve hook stands in for the server: `/@metamon/routes.js` (the generated route table)
// becomes an empty table — the tests hand their own table to startRouter — and
// `/@metamon/bridge/<fw>.js` the real bridge files. Like bridge.test.mjs it adds the `browser`
// condition for solid-js / svelte. This file runs in its own process under `node --test`.
const bridgeDir = new URL('./bridge/', import.meta.url).href;
useBrowserBuilds(
  ['solid-js', 'svelte'],
  `if (specifier === '/@metamon/routes.js') {
    return { url: 'data:text/javascript,export const routes = []; export const layouts = {}; export const notFound = null;', shortCircuit: true };
  }
  if (specifier.startsWith('/@metamon/bridge/')) {
    return { url: ${JSON.stringify(bridgeDir)} + specifier.slice('/@metamon/bridge/'.length), shortCircuit: true };
  }`,
);

// The packages are devDependencies (npm ci): a missing one fails this file, it is never skipped.
const domWindow = installDom(await loadDom());

const router = await import('./router.js');
const { matchRoute, compilePattern, normalizePath, startRouter } = router;

after(async () => {
  globalThis.__METAMON_ROUTER__?.stop();
  await domWindow.happyDOM.close();
});

// ---------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------

const table = [
  { path: '/', file: '/pages/index.mtm' },
  { path: '/about-metamon', file: '/pages/about.mtm' },
  { path: '/users', file: '/pages/users/index.mtm' },
  { path: '/users/:id', file: '/pages/users/[id].mtm' },
  { path: '/users/new', file: '/pages/users/new.mtm' },
  { path: '/posts/:year/:slug', file: '/pages/posts/[year]/[slug].mtm' },
  { path: '/docs/*', file: '/pages/docs.mtm' },
];
const hit = (path) => {
  const m = matchRoute(table, path);
  return m && { file: m.route.file, params: m.params };
};

test('matching: static paths, trailing slashes, query and hash ignored', () => {
  assert.deepEqual(hit('/'), { file: '/pages/index.mtm', params: {} });
  assert.deepEqual(hit('/about-metamon'), { file: '/pages/about.mtm', params: {} });
  assert.deepEqual(hit('/about-metamon/'), { file: '/pages/about.mtm', params: {} });
  assert.deepEqual(hit('/users?x=1#top'), { file: '/pages/users/index.mtm', params: {} });
  assert.equal(hit('/about'), null);
  assert.equal(hit('/about-metamon/more'), null);
  assert.equal(normalizePath(''), '/');
  assert.equal(normalizePath('//a//b/'), '/a/b');
});

test('matching: params, decoding, static segments win over params, rest', () => {
  assert.deepEqual(hit('/users/42'), { file: '/pages/users/[id].mtm', params: { id: '42' } });
  assert.deepEqual(hit('/users/ada%20lovelace'), { file: '/pages/users/[id].mtm', params: { id: 'ada lovelace' } });
  assert.deepEqual(hit('/users/new'), { file: '/pages/users/new.mtm', params: {} }, 'static beats :id even when listed later');
  assert.deepEqual(hit('/posts/2024/hello'), { file: '/pages/posts/[year]/[slug].mtm', params: { year: '2024', slug: 'hello' } });
  assert.equal(hit('/posts/2024'), null);
  assert.deepEqual(hit('/docs/a/b'), { file: '/pages/docs.mtm', params: { '*': 'a/b' } });
  assert.deepEqual(compilePattern('/files/:rest*').match('/files/x/y%2Fz'), { rest: 'x/y/z' });
  assert.ok(compilePattern('/a/b').score > compilePattern('/a/:x').score);
  assert.ok(compilePattern('/a/:x').score > compilePattern('/a/*').score);
});

// ---------------------------------------------------------------------------
// The router with fake framework bridges
// ---------------------------------------------------------------------------

// A "framework" for tests: components are functions (el, props, instance) → { update?, unmount? };
// its bridge counts mounts and unmounts.
const log = [];
const fake = {
  mount(Component, target, props) {
    const instance = { props, name: Component.displayName };
    log.push(`mount ${Component.displayName}`);
    const impl = Component(target, props, instance) || {};
    return {
      update(next) {
        instance.props = next;
        log.push(`update ${Component.displayName} ${next.path}`);
        impl.update?.(next);
      },
      unmount() {
        log.push(`unmount ${Component.displayName}`);
        impl.unmount?.();
        target.replaceChildren();
      },
    };
  },
};

function named(name, fn) {
  fn.displayName = name;
  return fn;
}

// A layout with a header, a nav, a layout-local counter (state) and an outlet. `remountOutlet()`
// replaces its whole DOM like a hot update re-mounting the layout.
const layoutState = { instances: 0, remount: null };
const Layout = named('Layout', (el, props) => {
  layoutState.instances++;
  let clicks = 0;
  const draw = () => {
    el.innerHTML = `<header><nav>
      <a id="l-home" href="/">Home</a>
      <a id="l-user" href="/users/7">User 7</a>
      <a id="l-about" href="/about-metamon">About</a>
      <a id="l-ext" href="https://example.com/x">Elsewhere</a>
      <a id="l-new-tab" href="/about-metamon" target="_blank">About (new tab)</a>
      <a id="l-download" href="/about-metamon" download>Download</a>
      <a id="l-marked" href="/about-metamon" data-external>Marked</a>
      <a id="l-missing" href="/nope">Missing</a>
    </nav><button id="l-count">${clicks}</button><span id="l-path">${props.path}</span></header><main data-outlet></main>`;
    el.querySelector('#l-count').onclick = () => {
      clicks++;
      el.querySelector('#l-count').textContent = String(clicks);
    };
  };
  draw();
  layoutState.remount = () => draw();
  return {
    update(next) {
      el.querySelector('#l-path').textContent = next.path;
    },
  };
});
const Other = named('Other', (el) => {
  el.innerHTML = '<div class="other-layout"><section data-outlet></section></div>';
});
const page = (name) =>
  named(name, (el, props) => {
    let n = 0;
    el.innerHTML = `<h1>${name}</h1><p class="params">${JSON.stringify(props.params)}</p><button class="local">0</button>`;
    el.querySelector('.local').onclick = () => {
      n++;
      el.querySelector('.local').textContent = String(n);
    };
    return {
      update(next) {
        el.querySelector('.params').textContent = JSON.stringify(next.params);
      },
    };
  });
const Home = page('Home');
const User = page('User');
const About = page('About');
const Missing = page('Missing');

const mod = (component) => () => Promise.resolve({ default: component });
function routeTable({ withNotFound = true } = {}) {
  return {
    routes: [
      { path: '/', file: '/pages/index.mtm', layout: 'default', framework: 'fake', load: mod(Home) },
      { path: '/users/:id', file: '/pages/users/[id].mtm', layout: 'default', framework: 'fake', load: mod(User) },
      { path: '/about-metamon', file: '/pages/about.mtm', layout: 'other', framework: 'fake', load: mod(About) },
    ],
    layouts: {
      default: { file: '/layouts/default.mtm', framework: 'fake', load: mod(Layout) },
      other: { file: '/layouts/other.mtm', framework: 'fake', load: mod(Other) },
    },
    notFound: withNotFound ? { path: '*', file: '/pages/404.mtm', layout: 'default', framework: 'fake', load: mod(Missing) } : null,
  };
}

let app;
function start(options = routeTable()) {
  app = document.createElement('div');
  app.id = 'app';
  document.body.replaceChildren(app);
  return startRouter(app, { ...options, loadBridge: async (fw) => (fw === 'fake' ? fake : import(`/@metamon/bridge/${fw}.js`)) });
}
const settle = async (r) => {
  await r.ready;
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 1));
};
const click = (el, init = {}) => {
  const event = new window.MouseEvent('click', { bubbles: true, cancelable: true, button: 0, ...init });
  el.dispatchEvent(event);
  return event;
};
const $ = (selector) => document.querySelector(selector);

beforeEach(() => {
  globalThis.__METAMON_ROUTER__?.stop();
  log.length = 0;
  layoutState.instances = 0;
  window.history.replaceState(null, '', '/');
});

test('mounts the layout, the page inside its [data-outlet], registers __METAMON_ROUTER__', async () => {
  window.history.replaceState(null, '', '/users/7?tab=1');
  const r = start();
  assert.equal(globalThis.__METAMON_ROUTER__, r);
  await settle(r);
  const layoutEl = app.querySelector('[data-metamon-layout="default"]');
  assert.ok(layoutEl, 'layout container');
  const pageEl = app.querySelector('main[data-outlet] > div[data-page]');
  assert.ok(pageEl, 'page container inside the outlet');
  assert.equal(pageEl.getAttribute('data-route'), '/users/:id');
  assert.equal(pageEl.querySelector('h1').textContent, 'User');
  assert.equal(pageEl.querySelector('.params').textContent, '{"id":"7"}');
  assert.equal($('#l-path').textContent, '/users/7', 'the layout gets { params, path }');
  assert.deepEqual(r.currentRoute(), { path: '/users/7', pattern: '/users/:id', params: { id: '7' }, file: '/pages/users/[id].mtm', layout: 'default', framework: 'fake', notFound: false });
  assert.deepEqual(router.currentRoute(), r.currentRoute());
  assert.deepEqual(log, ['mount Layout', 'mount User']);
});

test('links: same-origin clicks navigate without reload; modifiers, target, download, data-external and other origins are left alone', async () => {
  const r = start();
  await settle(r);
  const length = window.history.length;
  let event = click($('#l-user'));
  assert.equal(event.defaultPrevented, true);
  await settle(r);
  assert.equal(window.location.pathname, '/users/7');
  assert.equal($('[data-page] h1').textContent, 'User');
  assert.equal(window.history.length, length + 1, 'pushState');

  for (const [id, init] of [['l-home', { ctrlKey: true }], ['l-home', { metaKey: true }], ['l-home', { shiftKey: true }], ['l-home', { button: 1 }], ['l-ext', {}], ['l-new-tab', {}], ['l-download', {}], ['l-marked', {}]]) {
    // A window listener runs after the router's (document) one: it records whether the router
    // took the click, then keeps happy-dom from following the link.
    let prevented = null;
    const guard = (e) => {
      prevented = e.defaultPrevented;
      e.preventDefault();
    };
    window.addEventListener('click', guard);
    click($(`#${id}`), init);
    window.removeEventListener('click', guard);
    assert.equal(prevented, false, `${id} ${JSON.stringify(init)} is not intercepted`);
  }
  assert.equal(window.location.pathname, '/users/7');

  // A click a component already handled is left alone too.
  const handled = (e) => e.preventDefault();
  $('#l-home').addEventListener('click', handled);
  click($('#l-home'));
  $('#l-home').removeEventListener('click', handled);
  await settle(r);
  assert.equal(window.location.pathname, '/users/7');

  // Nested element inside a link.
  const span = document.createElement('span');
  $('#l-home').appendChild(span);
  click(span);
  await settle(r);
  assert.equal(window.location.pathname, '/');
  assert.equal($('[data-page] h1').textContent, 'Home');
});

test('aria-current="page" follows the current path', async () => {
  const r = start();
  await settle(r);
  assert.equal($('#l-home').getAttribute('aria-current'), 'page');
  assert.equal($('#l-user').getAttribute('aria-current'), null);
  await r.navigate('/users/7');
  await settle(r);
  assert.equal($('#l-home').getAttribute('aria-current'), null);
  assert.equal($('#l-user').getAttribute('aria-current'), 'page');
});

test('the layout stays mounted (and keeps its state) across pages of the same layout; the old page is unmounted', async () => {
  const r = start();
  await settle(r);
  click($('#l-count'));
  click($('#l-count'));
  const header = $('header');
  click($('#l-user'));
  await settle(r);
  assert.equal($('#l-count').textContent, '2', 'layout state kept');
  assert.strictEqual($('header'), header, 'same layout DOM');
  assert.equal(layoutState.instances, 1);
  assert.deepEqual(log, ['mount Layout', 'mount Home', 'update Layout /users/7', 'unmount Home', 'mount User']);
  assert.equal(app.querySelectorAll('[data-page]').length, 1, 'one page on screen');

  // Same route, other params: props update, no re-mount (page state kept).
  click($('[data-page] .local'));
  log.length = 0;
  await r.navigate('/users/8');
  await settle(r);
  assert.equal($('[data-page] .params').textContent, '{"id":"8"}');
  assert.equal($('[data-page] .local').textContent, '1');
  assert.deepEqual(log, ['update Layout /users/8', 'update User /users/8']);

  // Another layout: both swapped.
  log.length = 0;
  click($('#l-about'));
  await settle(r);
  assert.deepEqual(log, ['unmount User', 'unmount Layout', 'mount Other', 'mount About']);
  assert.ok(app.querySelector('[data-metamon-layout="other"] section[data-outlet] > [data-page]'));
  assert.equal(app.querySelector('[data-metamon-layout="default"]'), null);
});

test('popstate (back / forward) renders the URL', async () => {
  const r = start();
  await settle(r);
  await r.navigate('/users/3');
  await settle(r);
  window.history.pushState(null, '', '/');
  window.dispatchEvent(new window.PopStateEvent('popstate', { state: null }));
  await settle(r);
  assert.equal($('[data-page] h1').textContent, 'Home');
  assert.equal(r.currentRoute().path, '/');
});

test('not found: the notFound page in its layout, or a built-in message', async () => {
  let r = start();
  await settle(r);
  click($('#l-missing'));
  await settle(r);
  assert.equal(window.location.pathname, '/nope');
  assert.equal($('main[data-outlet] [data-page] h1').textContent, 'Missing');
  assert.equal(r.currentRoute().notFound, true);
  assert.equal(r.currentRoute().file, '/pages/404.mtm');
  assert.equal(layoutState.instances, 1, 'same layout kept');

  r.stop();
  window.history.replaceState(null, '', '/nowhere/at/all');
  r = start(routeTable({ withNotFound: false }));
  await settle(r);
  const box = $('main[data-outlet] [data-page] [data-metamon-not-found]');
  assert.ok(box, 'built-in not-found inside the default layout');
  assert.match(box.textContent, /Page not found/);
  assert.match(box.textContent, /\/nowhere\/at\/all/);

  // Without any layout, straight into the target.
  r.stop();
  r = start({ routes: [], layouts: {}, notFound: null });
  await settle(r);
  assert.ok(app.querySelector(':scope > [data-page] [data-metamon-not-found]'));
});

test('a layout that re-renders its outlet gets the page element back (page state kept)', async () => {
  const r = start();
  await settle(r);
  const pageEl = $('[data-page]');
  click(pageEl.querySelector('.local'));
  const oldOutlet = $('main[data-outlet]');
  layoutState.remount();
  const newOutlet = $('main[data-outlet]');
  assert.notStrictEqual(newOutlet, oldOutlet);
  await settle(r);
  assert.strictEqual(newOutlet.firstElementChild, pageEl, 'the same page element, in the new outlet');
  assert.equal(pageEl.querySelector('.local').textContent, '1');
  assert.equal($('#l-home').getAttribute('aria-current'), 'page', 'fresh links marked');
  assert.deepEqual(log, ['mount Layout', 'mount Home']);
});

test('setRoutes (the hot update of routes.js): new pages, changed layouts, current page kept when unchanged', async () => {
  window.history.replaceState(null, '', '/fresh');
  const r = start();
  await settle(r);
  assert.equal($('[data-page] h1').textContent, 'Missing');
  const Fresh = page('Fresh');
  const next = routeTable();
  next.routes.push({ path: '/fresh', file: '/pages/fresh.mtm', layout: 'default', framework: 'fake', load: mod(Fresh) });
  log.length = 0;
  await globalThis.__METAMON_ROUTER__.setRoutes(next);
  await settle(r);
  assert.equal($('[data-page] h1').textContent, 'Fresh');
  assert.deepEqual(log, ['update Layout /fresh', 'unmount Missing', 'mount Fresh']);

  // A new table object with the same page: nothing re-mounted.
  log.length = 0;
  const again = routeTable();
  again.routes.push({ path: '/fresh', file: '/pages/fresh.mtm', layout: 'default', framework: 'fake', load: mod(Fresh) });
  await r.setRoutes(again);
  await settle(r);
  assert.deepEqual(log.filter((l) => !l.startsWith('update')), [], 'nothing mounted or unmounted');

  // Its layout changed in the frontmatter.
  log.length = 0;
  const moved = routeTable();
  moved.routes.push({ path: '/fresh', file: '/pages/fresh.mtm', layout: 'other', framework: 'fake', load: mod(Fresh) });
  await r.setRoutes(moved);
  await settle(r);
  assert.deepEqual(log, ['unmount Fresh', 'unmount Layout', 'mount Other', 'mount Fresh']);
});

test('a page that fails to load shows an error in the outlet; the next navigation works', async () => {
  const t = routeTable();
  t.routes.push({ path: '/broken', file: '/pages/broken.mtm', layout: 'default', framework: 'fake', load: () => Promise.reject(new Error('boom')) });
  const r = start(t);
  await settle(r);
  const errors = [];
  const original = console.error;
  console.error = (...args) => errors.push(args.join(' '));
  try {
    await r.navigate('/broken');
    await settle(r);
  } finally {
    console.error = original;
  }
  assert.match($('main[data-outlet] [data-metamon-router-error]').textContent, /boom/);
  assert.ok(errors.some((e) => e.includes('/pages/broken.mtm')));
  await r.navigate('/');
  await settle(r);
  assert.equal($('[data-page] h1').textContent, 'Home');
});

test('a newer navigation wins over a slower earlier one', async () => {
  const t = routeTable();
  let release;
  t.routes.push({ path: '/slow', file: '/pages/slow.mtm', layout: 'default', framework: 'fake', load: () => new Promise((resolve) => { release = () => resolve({ default: page('Slow') }); }) });
  const r = start(t);
  await settle(r);
  r.navigate('/slow');
  await r.navigate('/users/1');
  release();
  await settle(r);
  assert.equal($('[data-page] h1').textContent, 'User');
  assert.equal(app.querySelectorAll('[data-page]').length, 1);
});

// ---------------------------------------------------------------------------
// Real bridges: a React layout with state, Vue and Solid pages
// ---------------------------------------------------------------------------

const frameworks = { React: await import('react'), Vue: await import('vue'), Solid: await import('solid-js') };

test('real bridges: React layout keeps its state while Vue and Solid pages come and go', async () => {
  const { React, Vue, Solid } = frameworks;
  const h = React.createElement;
  function ReactLayout({ path }) {
    const [n, setN] = React.useState(0);
    return h('div', { className: 'shell' },
      h('nav', null, h('a', { id: 'r-home', href: '/' }, 'Home'), h('a', { id: 'r-solid', href: '/solid' }, 'Solid')),
      h('button', { id: 'r-count', onClick: () => setN(n + 1) }, String(n)),
      h('span', { id: 'r-path' }, path),
      h('main', { 'data-outlet': '' }));
  }
  const VuePage = Vue.defineComponent({
    props: ['params', 'path'],
    setup(props) {
      const n = Vue.ref(0);
      return () => Vue.h('section', { id: 'vue-page' }, [Vue.h('button', { class: 'local', onClick: () => n.value++ }, String(n.value)), Vue.h('span', props.path)]);
    },
  });
  function SolidPage(props) {
    const section = document.createElement('section');
    section.id = 'solid-page';
    Solid.createRenderEffect(() => { section.textContent = `solid at ${props.path}`; });
    return section;
  }
  const r = start({
    routes: [
      { path: '/', file: '/pages/index.vue', layout: 'default', framework: 'vue', load: mod(VuePage) },
      { path: '/solid', file: '/pages/solid/page.jsx', layout: 'default', framework: 'solidjs', load: mod(SolidPage) },
    ],
    layouts: { default: { file: '/layouts/default.jsx', framework: 'react', load: mod(ReactLayout) } },
    notFound: null,
  });
  await settle(r);
  assert.ok($('main[data-outlet] > [data-page] #vue-page'));
  click($('#r-count'));
  click($('#vue-page .local'));
  await settle(r);
  assert.equal($('#r-count').textContent, '1');
  assert.equal($('#vue-page .local').textContent, '1');
  click($('#r-solid'));
  await settle(r);
  assert.equal($('#vue-page'), null, 'the Vue page is unmounted');
  assert.equal($('main[data-outlet] > [data-page] #solid-page').textContent, 'solid at /solid');
  assert.equal($('#r-count').textContent, '1', 'React layout state kept');
  assert.equal($('#r-path').textContent, '/solid', 'the layout re-rendered with the new path');
  assert.equal($('#r-solid').getAttribute('aria-current'), 'page');
  click($('#r-home'));
  await settle(r);
  assert.equal($('#vue-page .local').textContent, '0', 'a fresh Vue page');
  assert.equal($('#r-count').textContent, '1');
  r.stop();
  assert.equal(app.children.length, 0, 'stop() unmounts everything');
});
