import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowserBuilds } from './node-support.mjs';

// Under Node, `solid-js` resolves (`node` export condition) to its server build,
// which is not reactive. This file runs in its own process under `node --test`,
// so it registers a resolve hook that adds the `browser` condition for
// `solid-js` — for this test *and* for `./solid.js`, which imports 'solid-js'
// exactly as it is served — before importing either.
useBrowserBuilds(['solid-js']);

// The packages are devDependencies (npm ci): a missing one fails this file, it is never skipped.
const Solid = await import('solid-js');
const adapter = await import('./solid.js');
const core = await import('./core.js');

const subscriberCount = (key) => globalThis.__METAMON_STATE__.signals.get(key).subscribers.size;

test('solid-js resolves to the reactive (browser) build', () => {
  const { createRoot, createSignal, createEffect } = Solid;
  const seen = [];
  const { set, dispose } = createRoot((dispose) => {
    const [s, set] = createSignal(1);
    createEffect(() => seen.push(s()));
    return { set, dispose };
  });
  set(2);
  dispose();
  set(3);
  assert.deepEqual(seen, [1, 2], 'the server build would not re-run the effect');
});

test('useMetamonSignal: accessor follows the core signal, setter takes values and updaters', () => {
  const { createRoot, createEffect, createMemo } = Solid;
  const key = 'solid-test:count';
  const seen = [];
  let api;
  const dispose = createRoot((dispose) => {
    api = adapter.useMetamonSignal(key, 5);
    const doubled = createMemo(() => api[0]() * 2);
    createEffect(() => seen.push(doubled()));
    return dispose;
  });
  const [count, setCount] = api;
  assert.equal(count(), 5);
  assert.deepEqual(seen, [10]);

  core.signal(key).set(6);
  assert.equal(count(), 6);
  assert.deepEqual(seen, [10, 12]);

  assert.equal(setCount(7), 7);
  assert.equal(core.signal(key).get(), 7);
  setCount((n) => n + 1);
  assert.equal(core.signals()[key], 8);
  assert.deepEqual(seen, [10, 12, 14, 16]);
  setCount(8); // equal write: nothing
  assert.deepEqual(seen, [10, 12, 14, 16]);

  assert.equal(subscriberCount(key), 1, 'one core subscription per hook call');
  dispose();
  assert.equal(subscriberCount(key), 0, 'onCleanup unsubscribes');
  core.signal(key).set(9);
  assert.deepEqual(seen, [10, 12, 14, 16]);
});

test('useMetamonSignal keeps function values as values', () => {
  const key = 'solid-test:fn';
  const f = () => 'f';
  const g = () => 'g';
  Solid.createRoot((dispose) => {
    const [get] = adapter.useMetamonSignal(key, f);
    assert.equal(get(), f);
    core.signal(key).set(g);
    assert.equal(get(), g);
    dispose();
  });
});

test('useMetamonSignal without an owner still works', () => {
  const key = 'solid-test:global';
  const [get, set] = adapter.useMetamonSignal(key, 'a');
  set('b');
  assert.equal(core.signal(key).get(), 'b');
  core.signal(key).set('c');
  assert.equal(get(), 'c');
});

test('useMetamonPubSub: unique owners, removed by onCleanup', () => {
  const { createRoot } = Solid;
  const got = [];
  const roots = [1, 2].map(() =>
    createRoot((dispose) => {
      const api = adapter.useMetamonPubSub();
      api.subscribe('solid-test:evt', (p) => got.push([api.ownerId, p]));
      return { api, dispose };
    }),
  );
  const [a, b] = roots.map((r) => r.api.ownerId);
  assert.notEqual(a, b);
  assert.match(a, /^solid:#\d+$/);
  assert.equal(core.emit('solid-test:evt', 1), 2);
  roots[0].dispose();
  assert.equal(core.subscriptions()[a], undefined);
  assert.equal(core.emit('solid-test:evt', 2), 1);
  roots[1].dispose();
  assert.equal(core.emit('solid-test:evt', 3), 0);
  assert.deepEqual(got, [[a, 1], [b, 1], [b, 2]]);

  const outside = adapter.useMetamonPubSub();
  assert.match(outside.ownerId, /^solid:global#\d+$/);
  const off = outside.subscribe('solid-test:evt', () => {});
  assert.equal(outside.emit('solid-test:evt'), 1);
  off();
});
