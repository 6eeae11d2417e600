import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowserBuilds } from './node-support.mjs';

// Cross-framework: the Vue, Svelte, Solid and React adapters all sit on core.js's
// signals, so a write through any of them reaches readers in all the others.
// `solid-js` needs its reactive (browser) build: see solid.test.mjs.
useBrowserBuilds(['solid-js']);

// The packages are devDependencies (npm ci): a missing one fails this file, it is never skipped.
const Vue = await import('vue');
const Solid = await import('solid-js');
const Store = await import('svelte/store');
const React = await import('react');
const ReactDOMServer = await import('react-dom/server');
const vue = await import('./vue.js');
const svelte = await import('./svelte.js');
const solid = await import('./solid.js');
const react = await import('./react.js');

test('a write in one framework is seen by readers in all the others', () => {
  const key = 'cross:count';
  const vueSeen = [];
  const solidSeen = [];
  const svelteSeen = [];

  const vueRef = vue.useMetamonSignal(key, 1);
  Vue.effect(() => vueSeen.push(vueRef.value));

  const store = svelte.useMetamonSignal(key, 100); // initial ignored: the key exists
  const unsubscribe = store.subscribe((v) => svelteSeen.push(v));

  let setSolid;
  const dispose = Solid.createRoot((dispose) => {
    const [count, set] = solid.useMetamonSignal(key, 200);
    setSolid = set;
    Solid.createEffect(() => solidSeen.push(count()));
    return dispose;
  });

  function ReactReader() {
    const [count] = react.useMetamonSignal(key, 300);
    return React.createElement('b', null, String(count));
  }
  const reactHtml = () => ReactDOMServer.renderToString(React.createElement(ReactReader));

  vueRef.value = 2; // Vue → Svelte, Solid, React
  assert.equal(Store.get(store), 2);
  assert.equal(reactHtml(), '<b>2</b>');

  setSolid((n) => n + 1); // Solid → Vue, Svelte, React
  assert.equal(vueRef.value, 3);
  assert.equal(reactHtml(), '<b>3</b>');

  store.set(4); // Svelte → Vue, Solid
  assert.deepEqual(vueSeen, [1, 2, 3, 4]);
  assert.deepEqual(svelteSeen, [1, 2, 3, 4]);
  assert.deepEqual(solidSeen, [1, 2, 3, 4]);

  unsubscribe();
  dispose();
});

test('pub/sub across adapters: every owner receives, unique owner ids', () => {
  const a = vue.useMetamonPubSub();
  const b = svelte.useMetamonPubSub();
  const c = solid.useMetamonPubSub();
  const got = [];
  for (const ps of [a, b, c]) ps.subscribe('cross:evt', (p) => got.push([ps.ownerId, p]));
  assert.equal(new Set([a.ownerId, b.ownerId, c.ownerId]).size, 3);
  assert.equal(b.emit('cross:evt', 'x'), 3);
  assert.deepEqual(got.map((g) => g[0]), [a.ownerId, b.ownerId, c.ownerId]);
});
