import { test } from 'node:test';
import assert from 'node:assert/strict';

import * as core from './core.js';
const {
  signal, batch, destroySignal, emit, subscribe, unsubscribeAll,
  defineChannels, signals, subscriptions, channels,
} = core;

let n = 0;
const uniq = (name) => `${name}:${++n}`;

test('signal: get/set/update and initial value', () => {
  const key = uniq('count');
  const s = signal(key, 1);
  assert.equal(s.key, key);
  assert.equal(s.get(), 1);
  s.set(2);
  assert.equal(s.get(), 2);
  s.update((v) => v * 10);
  assert.equal(s.get(), 20);
});

test('signal: same key → same signal; initial only applies to a new key', () => {
  const key = uniq('shared');
  const a = signal(key, 'first');
  const b = signal(key, 'second');
  assert.equal(a, b);
  assert.equal(b.get(), 'first');
  b.set('x');
  assert.equal(a.get(), 'x');
});

test('signal: subscribe / unsubscribe; no notification for identical values', () => {
  const s = signal(uniq('sub'), 0);
  const seen = [];
  const off = s.subscribe((v) => seen.push(v));
  s.set(1);
  s.set(1);
  s.update((v) => v + 1);
  off();
  s.set(99);
  assert.deepEqual(seen, [1, 2]);
});

test('signal: a throwing subscriber does not stop the others', (t) => {
  t.mock.method(console, 'error', () => {});
  const s = signal(uniq('throw'), 0);
  const seen = [];
  s.subscribe(() => { throw new Error('boom'); });
  s.subscribe((v) => seen.push(v));
  s.set(1);
  assert.deepEqual(seen, [1]);
});

test('batch: notifies once per signal after the outermost batch, returns the result', () => {
  const a = signal(uniq('ba'), 0);
  const b = signal(uniq('bb'), 0);
  const seenA = [];
  const seenB = [];
  a.subscribe((v) => seenA.push(v));
  b.subscribe((v) => seenB.push(v));
  const result = batch(() => {
    a.set(1);
    a.set(2);
    batch(() => b.set(5));
    assert.deepEqual(seenB, [], 'nested batch does not flush');
    return 'done';
  });
  assert.equal(result, 'done');
  assert.deepEqual(seenA, [2]);
  assert.deepEqual(seenB, [5]);
});

test('batch: flushes even if fn throws', () => {
  const a = signal(uniq('bt'), 0);
  const seen = [];
  a.subscribe((v) => seen.push(v));
  assert.throws(() => batch(() => { a.set(3); throw new Error('x'); }), /x/);
  assert.deepEqual(seen, [3]);
  a.set(4);
  assert.deepEqual(seen, [3, 4], 'batch depth restored');
});

test('destroySignal: removes the signal; the key can be re-created', () => {
  const key = uniq('gone');
  const s = signal(key, 1);
  const seen = [];
  s.subscribe((v) => seen.push(v));
  assert.equal(destroySignal(key), true);
  assert.equal(destroySignal(key), false);
  assert.ok(!(key in signals()));
  s.set(5); // detached handle: nobody notified
  assert.deepEqual(seen, []);
  const fresh = signal(key, 'new');
  assert.notEqual(fresh, s);
  assert.equal(fresh.get(), 'new');
});

test('signals(): key → value', () => {
  const key = uniq('intro');
  signal(key, { a: 1 });
  assert.deepEqual(signals()[key], { a: 1 });
});

test('pub/sub: emit reaches subscribers; unsubscribe works', () => {
  const ev = uniq('ev');
  const got = [];
  const off = subscribe(ev, (p, e) => got.push([p, e]), 'owner-a');
  assert.equal(emit(ev, 1), 1);
  off();
  off(); // idempotent
  assert.equal(emit(ev, 2), 0);
  assert.deepEqual(got, [[1, ev]]);
});

test('pub/sub: ownership, counts and unsubscribeAll', () => {
  const ev1 = uniq('ev1');
  const ev2 = uniq('ev2');
  const A = uniq('A');
  const B = uniq('B');
  const got = [];
  subscribe(ev1, (p) => got.push('A1:' + p), A);
  subscribe(ev1, (p) => got.push('A1b:' + p), A);
  subscribe(ev2, (p) => got.push('A2:' + p), A);
  subscribe(ev1, (p) => got.push('B1:' + p), B);

  const counts = subscriptions();
  assert.deepEqual(counts[A], { [ev1]: 2, [ev2]: 1 });
  assert.deepEqual(counts[B], { [ev1]: 1 });

  emit(ev1, 'x');
  assert.deepEqual(got, ['A1:x', 'A1b:x', 'B1:x']);

  assert.equal(unsubscribeAll(A), 3);
  assert.equal(subscriptions()[A], undefined);
  assert.deepEqual(subscriptions()[B], { [ev1]: 1 });
  got.length = 0;
  emit(ev1, 'y');
  emit(ev2, 'y');
  assert.deepEqual(got, ['B1:y']);
  assert.equal(unsubscribeAll(B), 1);
});

test('pub/sub: subscriptions without owner are counted under "anonymous"', () => {
  const ev = uniq('anon');
  const off = subscribe(ev, () => {});
  assert.equal(subscriptions().anonymous[ev], 1);
  off();
});

test('pub/sub: unsubscribing during emit is safe', () => {
  const ev = uniq('during');
  const got = [];
  let offB;
  subscribe(ev, () => { got.push('a'); offB(); }, 'x');
  offB = subscribe(ev, () => got.push('b'), 'x');
  emit(ev);
  assert.deepEqual(got, ['a']);
  unsubscribeAll('x');
});

test('defineChannels: returns emitters, registers, unregisters on hot dispose', () => {
  const disposers = [];
  const owner = {
    url: 'http://localhost:5173/src/Cart.jsx?t=123',
    hot: { dispose: (cb) => disposers.push(cb) },
  };
  const api = defineChannels(owner, [
    { event: 'cart:add', emit: 'addToCart' },
    { event: 'cart:clear', emit: 'clearCart' },
  ]);
  assert.deepEqual(Object.keys(api).sort(), ['addToCart', 'clearCart']);

  const key = 'http://localhost:5173/src/Cart.jsx';
  const mine = channels().filter((c) => c.owner === key);
  assert.deepEqual(mine, [
    { owner: key, event: 'cart:add', emit: 'addToCart' },
    { owner: key, event: 'cart:clear', emit: 'clearCart' },
  ]);

  const got = [];
  const off = subscribe('cart:add', (p) => got.push(p), 'test');
  assert.equal(api.addToCart({ id: 1 }), 1);
  assert.deepEqual(got, [{ id: 1 }]);
  off();

  assert.equal(disposers.length, 1);
  disposers[0]({});
  assert.equal(channels().filter((c) => c.owner === key).length, 0);
});

test('defineChannels: re-definition (hot update) replaces; stale dispose keeps the new entries', () => {
  const disposers = [];
  const mk = (t) => ({ url: `/src/Nav.jsx?t=${t}`, hot: { dispose: (cb) => disposers.push(cb) } });
  defineChannels(mk(1), [{ event: 'nav:go', emit: 'go' }]);
  defineChannels(mk(2), [{ event: 'nav:go', emit: 'go' }, { event: 'nav:back', emit: 'back' }]);
  assert.equal(channels().filter((c) => c.owner === '/src/Nav.jsx').length, 2);
  disposers[0]({}); // the old instance's disposer must not remove the new registration
  assert.equal(channels().filter((c) => c.owner === '/src/Nav.jsx').length, 2);
  disposers[1]({});
  assert.equal(channels().filter((c) => c.owner === '/src/Nav.jsx').length, 0);
});

test('defineChannels: works without hot, validates input', () => {
  const api = defineChannels({ url: '/src/NoHot.js' }, [{ event: 'x:y', emit: 'xy' }]);
  assert.equal(typeof api.xy, 'function');
  assert.throws(() => defineChannels({}, []), TypeError);
  assert.throws(() => defineChannels({ url: '/a.js' }, [{ event: 'e' }]), TypeError);
});

test('state is shared through globalThis.__METAMON_STATE__ (module loaded twice)', async () => {
  const key = uniq('twice');
  signal(key, 42);
  const copy = await import('./core.js?copy=' + Date.now());
  assert.notEqual(copy.signal, signal, 'a second module instance');
  assert.equal(copy.signal(key, 0).get(), 42);
  assert.equal(copy.signal(key), signal(key));
  assert.ok(globalThis.__METAMON_STATE__);
});
