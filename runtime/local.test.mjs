// The local-state carrier (local.js) across hot updates and rollbacks, without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const { localInstance, startNewGeneration, snapshotValues } = await import('./local.js');

test('a version whose setup throws before its keep still hands the values to the rollback', () => {
  const good = { url: 'http://localhost:5173/src/Hello.vue?t=1' };
  const first = localInstance(good, 'default');
  let count = 2;
  first.keep('count', () => count);
  globalThis.__METAMON_HMR_UPDATING__ = 1;
  try {
    // The broken version: its setup throws while computing the initial value, so it never
    // reaches take or keep; Vue unmounts the good instance and then the broken one.
    first.release();
    const broken = localInstance({ url: 'http://localhost:5173/src/Hello.vue?t=2' }, 'default');
    broken.release();
    // Rollback: the good version is applied again and re-creates its instance.
    startNewGeneration('/src/Hello.vue');
    const rolledBack = localInstance(good, 'default');
    assert.equal(rolledBack.take('count', 0), 2);
    count = 7;
    assert.equal(rolledBack.take('count', 0), 7, 'the carried getter reads the live value');
  } finally {
    globalThis.__METAMON_HMR_UPDATING__ = 0;
  }
});

test('a new version takes the values kept by the previous one, in creation order', () => {
  const v1 = { url: 'http://localhost:5173/src/List.svelte?t=1' };
  const a = localInstance(v1, 'default');
  const b = localInstance(v1, 'default');
  a.keep('n', () => 1);
  b.keep('n', () => 2);
  const v2 = { url: 'http://localhost:5173/src/List.svelte?t=2' };
  assert.deepEqual([localInstance(v2, 'default').take('n', 0), localInstance(v2, 'default').take('n', 0)], [1, 2]);
  assert.equal(localInstance(v2, 'default').take('n', 0), 0, 'a third instance starts fresh');
});

test("a module's top-level state: the same object across versions, a let's live value, not in the reload snapshot", () => {
  const v1 = { url: 'http://localhost:5173/src/store.js?t=1' };
  const first = localInstance(v1, '<module>');
  const listeners = first.hold('listeners:abc', () => new Set());
  let count = first.hold('count:abc', () => 0);
  first.keep('count:abc', () => count);
  listeners.add('subscriber');
  count = 5;
  const second = localInstance({ url: 'http://localhost:5173/src/store.js?t=2' }, '<module>');
  assert.equal(second.hold('listeners:abc', () => new Set()), listeners, 'same object');
  assert.equal(second.hold('count:abc', () => 0), 5, 'live value of the let');
  assert.equal(second.hold('count:def', () => 1), 1, 'an edited initialiser is a new slot');
  assert.ok(!Object.keys(snapshotValues()).some((key) => key.endsWith('#<module>')));
});
