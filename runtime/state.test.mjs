import { test } from 'node:test';
import assert from 'node:assert/strict';

// A fake browser: sessionStorage and a window event target, installed before
// state.js is first imported. Every "page load" below is simulated by dropping
// `__METAMON_STATE__` and importing fresh copies of core.js and state.js
// (query strings give new module instances) on a fresh window.
class FakeStorage {
  constructor() {
    this.map = new Map();
    this.quota = Infinity;
  }
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    v = String(v);
    if (v.length > this.quota) {
      const err = new Error('The quota has been exceeded.');
      err.name = 'QuotaExceededError';
      throw err;
    }
    this.map.set(k, v);
  }
  removeItem(k) {
    this.map.delete(k);
  }
}

globalThis.sessionStorage = new FakeStorage();
globalThis.window = new EventTarget();

const infos = [];
const origInfo = console.info;
console.info = (...args) => infos.push(args.map(String).join(' '));
test.after(() => {
  console.info = origInfo;
});

let pageCounter = 0;
/** A new "page": fresh window, fresh core state, fresh core.js + state.js instances. */
async function newPage() {
  const n = ++pageCounter;
  globalThis.window = new EventTarget();
  delete globalThis.__METAMON_STATE__;
  const core = await import(`./core.js?fresh=${n}`);
  const state = await import(`./hmr/state.js?fresh=${n}`);
  return { core, state };
}

const reload = () => globalThis.window.dispatchEvent(new Event('metamon:before-full-reload'));

test('client.js still imports in Node and pulls state.js in', async () => {
  const client = await import('./client.js');
  assert.equal(typeof client.createHotContext, 'function');
  const state = await import('./hmr/state.js');
  assert.equal(typeof state.snapshot, 'function');
});

test('signals and component state survive an announced full reload', async () => {
  let { core, state } = await newPage();
  core.signal('st:count', 0).set(3);
  core.signal('st:cart', []).set([{ id: 1, qty: 2 }]);
  core.signal('st:live', 'old');
  core.signal('st:fn', () => 1); // not JSON: skipped
  core.signal('st:date', new Date(0)); // would not round-trip: skipped
  core.signal('st:undef', undefined); // skipped
  const off = state.registerComponentState('src/Panel.vue', () => ({ open: true }));
  state.registerComponentState('src/Bad.vue', () => {
    throw new Error('boom');
  });
  state.registerComponentState('src/Fn.vue', () => () => {}); // not JSON: skipped

  const before = Date.now();
  const origError = console.error;
  console.error = () => {};
  try {
    reload();
  } finally {
    console.error = origError;
  }
  const text = sessionStorage.getItem('metamon:snapshot');
  assert.ok(text, 'snapshot saved');
  const snap = JSON.parse(text);
  assert.equal(snap.version, 1);
  assert.ok(snap.timestamp >= before && snap.timestamp <= Date.now());
  assert.deepEqual(snap.signals, { 'st:count': 3, 'st:cart': [{ id: 1, qty: 2 }], 'st:live': 'old' });
  assert.deepEqual(snap.components, { 'src/Panel.vue': { open: true } });
  off();

  ({ core, state } = await newPage());
  assert.equal(sessionStorage.getItem('metamon:snapshot'), null, 'read and removed');
  assert.equal(core.signal('st:count', 0).get(), 3, 'restored value wins over initial');
  assert.deepEqual(core.signal('st:cart', []).get(), [{ id: 1, qty: 2 }]);
  assert.equal(core.signal('st:fn', 'fresh').get(), 'fresh');
  assert.deepEqual(state.takeRestoredComponentState('src/Panel.vue'), { open: true });
  assert.equal(state.takeRestoredComponentState('src/Panel.vue'), undefined, 'taken once');
  // Unclaimed restored values ('st:live') are carried into the next snapshot.
  assert.deepEqual(state.snapshot().signals, { 'st:count': 3, 'st:cart': [{ id: 1, qty: 2 }], 'st:live': 'old', 'st:fn': 'fresh' });
  // Consumed once: after destroySignal the key starts from initial again.
  core.destroySignal('st:count');
  assert.equal(core.signal('st:count', 0).get(), 0);
});

test('a live signal keeps its live value', async () => {
  const { core, state } = await newPage();
  core.signal('st:a', 1);
  assert.equal(state.restore({ version: 1, timestamp: Date.now(), signals: { 'st:a': 99, 'st:b': 2 } }), true);
  assert.equal(core.signal('st:a').get(), 1);
  assert.equal(core.signal('st:b', 0).get(), 2);
  // The StatePreservationManager names.
  assert.equal(state.backupSignalState, state.snapshot);
  assert.equal(state.restoreSignalState, state.restore);
});

test('pagehide / beforeunload save only after an announced reload', async () => {
  const { core } = await newPage();
  core.signal('st:x', 1);
  window.dispatchEvent(new Event('pagehide'));
  window.dispatchEvent(new Event('beforeunload'));
  assert.equal(sessionStorage.getItem('metamon:snapshot'), null);
  reload();
  core.signal('st:x').set(2); // changed between announcement and unload
  window.dispatchEvent(new Event('pagehide'));
  assert.equal(JSON.parse(sessionStorage.getItem('metamon:snapshot')).signals['st:x'], 2);
  sessionStorage.removeItem('metamon:snapshot');
});

test('corrupt, other-version, stale and bad-shape snapshots are dropped with a notice', async () => {
  const cases = [
    ['{not json', /invalid JSON/],
    [JSON.stringify({ version: 2, timestamp: Date.now(), signals: { 'st:v': 1 } }), /version 2/],
    [JSON.stringify({ version: 1, timestamp: Date.now() - 24 * 3600e3, signals: { 'st:v': 1 } }), /stale/],
    [JSON.stringify({ version: 1, timestamp: Date.now(), signals: [1] }), /must be objects/],
    ['null', /not an object/],
  ];
  for (const [text, notice] of cases) {
    infos.length = 0;
    sessionStorage.setItem('metamon:snapshot', text);
    const { core } = await newPage(); // must not throw
    assert.equal(sessionStorage.getItem('metamon:snapshot'), null, 'removed');
    assert.equal(core.signal('st:v', 'init').get(), 'init');
    assert.equal(infos.length, 1, text);
    assert.match(infos[0], notice);
  }
});

test('a snapshot over the storage quota is not saved, with a notice', async () => {
  const { core } = await newPage();
  core.signal('st:big', 'x'.repeat(1000));
  sessionStorage.quota = 100;
  infos.length = 0;
  try {
    reload(); // must not throw
  } finally {
    sessionStorage.quota = Infinity;
  }
  assert.equal(sessionStorage.getItem('metamon:snapshot'), null);
  assert.equal(infos.length, 1);
  assert.match(infos[0], /not saved/);
});
