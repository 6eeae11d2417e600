import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowserBuilds, loadDom, installDom } from './node-support.mjs';

// Bridges (runtime/bridge/*.js): components of one framework rendered inside
// components of another. Needs a DOM: `happy-dom` resolved from the repo
// (devDependency), or a path to it in METAMON_TEST_DOM (e.g.
// METAMON_TEST_DOM=/tmp/dom/node_modules/happy-dom); without one the file fails.
//
// Like solid.test.mjs / svelte-runes.test.mjs, a resolve hook adds the `browser`
// condition for `solid-js*` and `svelte*` (their Node builds are server builds).
// This file runs in its own process under `node --test`.
useBrowserBuilds(['solid-js', 'svelte']);

// The packages are devDependencies (npm ci): a missing one fails this file, it is never skipped.
const domWindow = installDom(await loadDom());

const React = await import('react');
const ReactDOM = await import('react-dom');
const ReactDOMClient = await import('react-dom/client');
const Vue = await import('vue');
const Solid = await import('solid-js');
const SolidWeb = await import('solid-js/web');
const Svelte = await import('svelte');
const { compile } = await import('svelte/compiler');
const bridges = {
  react: await import('./bridge/react.js'),
  vue: await import('./bridge/vue.js'),
  svelte: await import('./bridge/svelte.js'),
  solid: await import('./bridge/solid.js'),
};
const adapters = {
  react: await import('./react.js'),
  vue: await import('./vue.js'),
  svelte: await import('./svelte.js'),
  solid: await import('./solid.js'),
};
const core = await import('./core.js');
const shared = await import('./bridge/shared.js');

after(async () => {
  await domWindow.happyDOM.close();
});

const FRAMEWORKS = ['react', 'vue', 'svelte', 'solid'];

// Test fixtures share this (compiled Svelte components reach it through globalThis).
const T = (globalThis.__bridgeTest = { mounts: { react: 0, vue: 0, svelte: 0, solid: 0 }, children: [] });

/** Lets React's scheduler, Vue's and Svelte's microtask flushes run. */
async function settle() {
  for (let i = 0; i < 4; i++) await new Promise((r) => setTimeout(r, 1));
}

function newTarget() {
  const el = document.createElement('div');
  document.body.appendChild(el);
  return el;
}

/** Compiles a Svelte 5 component for the client and imports it; `Child` (if any) is importable as 'child'. */
async function compileSvelte(source, filename, Child) {
  const { js } = compile(source, { generate: 'client', filename });
  const id = T.children.push(Child) - 1;
  const code = js.code.replace(/from\s*(['"])([^'"]+)\1|import\s*(['"])([^'"]+)\3/g, (m, _q, spec, _q2, bare) => {
    const s = spec ?? bare;
    let url;
    if (s === 'child') url = `data:text/javascript,export default globalThis.__bridgeTest.children[${id}]`;
    else if (s === 'metamon/svelte') url = new URL('./svelte.js', import.meta.url).href;
    else url = import.meta.resolve(s);
    return spec ? `from ${JSON.stringify(url)}` : `import ${JSON.stringify(url)}`;
  });
  return (await import('data:text/javascript,' + encodeURIComponent(code))).default;
}

// A "level" of framework fw: shows `fw:label:n`, where n counts `evt` events
// (subscribed through the Metamon adapter, so owned by the component), and
// renders `Child` (a bridge host) with the same label.
const levels = {
  async react(evt, Child) {
    const h = React.createElement;
    return function Level({ label }) {
      React.useState(() => T.mounts.react++);
      const [n, setN] = React.useState(0);
      const { subscribe } = adapters.react.useMetamonPubSub();
      React.useEffect(() => subscribe(evt, () => setN((x) => x + 1)), [subscribe]);
      return h('section', { 'data-fw': 'react' }, h('span', null, `react:${label}:${n}`), Child ? h(Child, { label }) : null);
    };
  },
  async vue(evt, Child) {
    return Vue.defineComponent({
      props: ['label'],
      setup(props) {
        T.mounts.vue++;
        const n = Vue.ref(0);
        adapters.vue.useMetamonPubSub().subscribe(evt, () => n.value++);
        return () =>
          Vue.h('section', { 'data-fw': 'vue' }, [
            Vue.h('span', `vue:${props.label}:${n.value}`),
            Child ? Vue.h(Child, { label: props.label }) : null,
          ]);
      },
    });
  },
  async svelte(evt, Child) {
    const source = `<script>
  ${Child ? "import Child from 'child';" : ''}
  import { useMetamonPubSub } from 'metamon/svelte';
  let { label } = $props();
  let n = $state(0);
  globalThis.__bridgeTest.mounts.svelte++;
  useMetamonPubSub().subscribe(${JSON.stringify(evt)}, () => n++);
</script>
<section data-fw="svelte"><span>svelte:{label}:{n}</span>${Child ? '<Child {label} />' : ''}</section>`;
    return compileSvelte(source, 'Level.svelte', Child);
  },
  async solid(evt, Child) {
    // What compiled Solid JSX does: a DOM template, a render effect, createComponent with getters.
    return function Level(props) {
      T.mounts.solid++;
      const [n, setN] = Solid.createSignal(0);
      adapters.solid.useMetamonPubSub().subscribe(evt, () => setN((x) => x + 1));
      const section = document.createElement('section');
      section.setAttribute('data-fw', 'solid');
      const span = document.createElement('span');
      section.appendChild(span);
      Solid.createRenderEffect(() => {
        span.textContent = `solid:${props.label}:${n()}`;
      });
      if (Child) {
        SolidWeb.insert(section, Solid.createComponent(Child, { get label() { return props.label; } }));
      }
      return section;
    };
  },
};

/** What the server generates for a component of framework `guest` imported from framework `hostFw`. */
function bridgeModule(Component, guest, hostFw, name = `/src/Child.${guest}`) {
  return bridges[hostFw].host((target, props) => bridges[guest].mount(Component, target, props), name);
}

const ownersOf = (evt) => Object.entries(core.subscriptions()).filter(([, byEvent]) => byEvent[evt]);

// ---------------------------------------------------------------------------

test('shared: diffProps / shallowEqual / createHandle', () => {
  assert.deepEqual(shared.diffProps({ a: 1, b: 2 }, { a: 1, b: 3, c: 4 }), { changed: ['b', 'c'], removed: [] });
  assert.deepEqual(shared.diffProps({ a: 1, b: 2 }, { a: 1 }), { changed: [], removed: ['b'] });
  assert.ok(shared.shallowEqual({ a: NaN }, { a: NaN }));
  assert.ok(!shared.shallowEqual({ a: 1 }, { a: 1, b: undefined }));
  const calls = [];
  const handle = shared.createHandle({ a: 1 }, {
    update: (next, diff) => calls.push(['update', next, diff]),
    unmount: () => calls.push(['unmount']),
  });
  handle.update({ a: 1 });
  handle.update({ a: 2 });
  handle.unmount();
  handle.unmount();
  handle.update({ a: 3 });
  assert.deepEqual(calls, [['update', { a: 2 }, { changed: ['a'], removed: [] }], ['unmount']]);
  assert.deepEqual(shared.readProps({ a: 1, children: 'x', $$slots: {} }, shared.HOST_SKIPPED_PROPS), { a: 1 });
});

for (const hostFw of FRAMEWORKS) {
  for (const guest of FRAMEWORKS) {
    test(`${hostFw} host › ${guest} guest: props flow, update without re-mount, unmount cleans up`, async () => {
      const evt = `bridge-test:${hostFw}>${guest}`;
      const Guest = await levels[guest](evt, null);
      const Child = bridgeModule(Guest, guest, hostFw);
      const Parent = await levels[hostFw](evt, Child);
      const target = newTarget();
      const before = { ...T.mounts };

      // The parent (a component of the host framework) is itself mounted through its bridge.
      const handle = bridges[hostFw].mount(Parent, target, { label: 'a' });
      await settle();
      assert.equal(target.textContent, `${hostFw}:a:0${guest}:a:0`);
      const container = target.querySelector('[data-metamon-bridge]');
      assert.ok(container, 'the host renders a container div');
      assert.equal(container.getAttribute('data-metamon-bridge'), `/src/Child.${guest}`);
      assert.match(container.getAttribute('style'), /display:\s*contents/);
      assert.equal(container.querySelector('[data-fw]').getAttribute('data-fw'), guest, 'the guest renders inside the container');
      const mounted = { ...T.mounts };
      const total = (m) => Object.values(m).reduce((a, b) => a + b, 0);
      assert.equal(total(mounted) - total(before), 2, 'parent and guest mounted once each');

      assert.equal(core.emit(evt), 2, 'parent and guest subscribed');
      await settle();
      assert.equal(target.textContent, `${hostFw}:a:1${guest}:a:1`);

      handle.update({ label: 'b' });
      await settle();
      assert.equal(target.textContent, `${hostFw}:b:1${guest}:b:1`, 'new props reach the guest, its state is kept');
      assert.strictEqual(target.querySelector('[data-metamon-bridge]'), container, 'same container');
      assert.deepEqual(T.mounts, mounted, 'nothing re-mounted');

      handle.update({ label: 'b' }); // same props: nothing to do
      handle.update({ label: 'c' });
      await settle();
      assert.equal(target.textContent, `${hostFw}:c:1${guest}:c:1`);
      assert.deepEqual(T.mounts, mounted);

      handle.unmount();
      await settle();
      assert.equal(target.innerHTML, '', 'guest DOM removed');
      assert.deepEqual(ownersOf(evt), [], 'Metamon subscriptions removed');
      assert.equal(core.emit(evt), 0);
      handle.update({ label: 'd' }); // after unmount: no-op
      target.remove();
    });
  }
}

test('nesting React › Vue › Svelte › Solid', async () => {
  const evt = 'bridge-test:nested';
  const SolidLevel = await levels.solid(evt, null);
  const SvelteLevel = await levels.svelte(evt, bridgeModule(SolidLevel, 'solid', 'svelte'));
  const VueLevel = await levels.vue(evt, bridgeModule(SvelteLevel, 'svelte', 'vue'));
  const ReactLevel = await levels.react(evt, bridgeModule(VueLevel, 'vue', 'react'));

  const target = newTarget();
  const root = ReactDOMClient.createRoot(target); // a plain React app at the top
  const render = (label) => ReactDOM.flushSync(() => root.render(React.createElement(ReactLevel, { label })));
  render('x');
  await settle();
  assert.equal(target.textContent, 'react:x:0vue:x:0svelte:x:0solid:x:0');
  assert.equal(target.querySelectorAll('[data-metamon-bridge]').length, 3);
  const mounted = { ...T.mounts };

  assert.equal(core.emit(evt), 4);
  await settle();
  assert.equal(target.textContent, 'react:x:1vue:x:1svelte:x:1solid:x:1');

  render('y');
  await settle();
  assert.equal(target.textContent, 'react:y:1vue:y:1svelte:y:1solid:y:1');
  assert.deepEqual(T.mounts, mounted, 'no level re-mounted');

  root.unmount();
  await settle();
  assert.equal(target.innerHTML, '');
  assert.deepEqual(ownersOf(evt), []);
  assert.equal(core.emit(evt), 0);
  target.remove();
});

test('Svelte host in a compiled Svelte parent: <Child label={x} /> in {#if} and keyed {#each}', async () => {
  const evt = 'bridge-test:svelte-parent';
  const ReactLevel = await levels.react(evt, null);
  const Child = bridgeModule(ReactLevel, 'react', 'svelte', '/src/Child.jsx');
  const Parent = await compileSvelte(
    `<script>
  import Child from 'child';
  let x = $state('p');
  let show = $state(true);
  let items = $state(['i1', 'i2']);
</script>
<button id="inc" onclick={() => (x += '+')}>inc</button>
<button id="toggle" onclick={() => (show = !show)}>toggle</button>
<button id="reverse" onclick={() => items.reverse()}>reverse</button>
{#if show}<div id="single"><Child label={x} /></div>{/if}
<ul>{#each items as item (item)}<li><Child label={item + x} /></li>{/each}</ul>`,
    'Parent.svelte',
    Child,
  );
  const target = newTarget();
  const instance = Svelte.mount(Parent, { target });
  const click = (id) => target.querySelector(`#${id}`).click();
  const texts = () => [...target.querySelectorAll('[data-metamon-bridge]')].map((el) => el.textContent);
  await settle();
  assert.deepEqual(texts(), ['react:p:0', 'react:i1p:0', 'react:i2p:0']);
  const mounted = T.mounts.react;

  core.emit(evt);
  click('inc');
  await settle();
  assert.deepEqual(texts(), ['react:p+:1', 'react:i1p+:1', 'react:i2p+:1'], 'prop update, state kept');
  assert.equal(T.mounts.react, mounted);

  click('reverse');
  await settle();
  assert.deepEqual(texts(), ['react:p+:1', 'react:i2p+:1', 'react:i1p+:1'], 'bridge DOM moves with {#each} items');
  assert.equal(T.mounts.react, mounted);

  click('toggle');
  await settle();
  assert.equal(target.querySelector('#single'), null);
  assert.deepEqual(texts(), ['react:i2p+:1', 'react:i1p+:1']);
  assert.equal(ownersOf(evt)[0] && core.emit(evt), 2, 'the guest in {#if} unsubscribed');

  click('toggle');
  await settle();
  assert.deepEqual(texts(), ['react:p+:0', 'react:i2p+:2', 'react:i1p+:2'], 'a fresh guest');
  assert.equal(T.mounts.react, mounted + 1);

  await Svelte.unmount(instance);
  await settle();
  assert.equal(target.innerHTML, '');
  assert.deepEqual(ownersOf(evt), []);
  target.remove();
});

test('guests see added and removed props; Vue host camelCases attribute names', async () => {
  const seen = { react: [], vue: [], svelte: [], solid: [] };
  const probes = {
    react: ({ a, b }) => {
      seen.react.push([a, b]);
      return null;
    },
    vue: Vue.defineComponent({
      props: ['a', 'b'],
      setup(props) {
        Vue.watchEffect(() => seen.vue.push([props.a, props.b]));
        return () => null;
      },
    }),
    svelte: await compileSvelte(
      `<script>let { a, b } = $props(); $effect(() => { globalThis.__bridgeTest.svelteSeen.push([a, b]); });</script>`,
      'Probe.svelte',
    ),
    solid: (props) => {
      Solid.createRenderEffect(() => seen.solid.push([props.a, props.b]));
      return null;
    },
  };
  T.svelteSeen = seen.svelte;
  for (const fw of FRAMEWORKS) {
    const target = newTarget();
    const handle = bridges[fw].mount(probes[fw], target, { a: 1 });
    await settle();
    handle.update({ a: 1, b: 2 });
    await settle();
    handle.update({ b: 3 });
    await settle();
    assert.deepEqual(seen[fw].at(0), [1, undefined], fw);
    assert.deepEqual(seen[fw].at(-1), [undefined, 3], fw);
    assert.ok(seen[fw].some(([a, b]) => a === 1 && b === 2), fw);
    handle.unmount();
    target.remove();
  }

  // Vue: `<Child initial-count="1" data-x="y" />` → { initialCount: '1', 'data-x': 'y' }
  const got = [];
  const Host = bridges.vue.host((_target, props) => {
    got.push(props);
    return { update: (p) => got.push(p), unmount() {} };
  }, 'probe');
  const target = newTarget();
  const count = Vue.ref(1);
  const app = Vue.createApp({ render: () => Vue.h(Host, { 'initial-count': count.value, 'data-x': 'y' }) });
  app.mount(target);
  count.value = 2;
  await settle();
  assert.deepEqual(got, [{ initialCount: 1, 'data-x': 'y' }, { initialCount: 2, 'data-x': 'y' }]);
  app.unmount();
  target.remove();
});
