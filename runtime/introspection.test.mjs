// window.__METAMON__ (introspection.js) with a fake window: the client's window events feed
// lastUpdate() / on(); components() reads the `.mtm` local-state registry and pub/sub owners.
import { test } from 'node:test';
import assert from 'node:assert/strict';

// A fake browser window, set up before the client is imported (the client must not connect).
const win = new EventTarget();
win.location = { origin: 'http://localhost:5173', protocol: 'http:', host: 'localhost:5173', pathname: '/' };
globalThis.window = win;
globalThis.__METAMON_CLIENT_STARTED__ = true;

const { handleMessage } = await import('./client.js');
const { describeUpdate, createIntrospection, install, components, EVENT_TYPES } = await import('./hmr/introspection.js');
const core = await import('./core.js');
const { localInstance } = await import('./local.js');

const M = () => win.__METAMON__;

test('importing the client installs window.__METAMON__ with the documented surface', () => {
  assert.equal(typeof M(), 'object');
  assert.equal(M().version, 1);
  for (const fn of ['signals', 'subscriptions', 'channels', 'components', 'lastUpdate', 'errors', 'on', 'off']) {
    assert.equal(typeof M()[fn], 'function', fn);
  }
  assert.deepEqual(EVENT_TYPES, ['update', 'error', 'rollback', 'full-reload']);
  assert.equal(install(win), M(), 'a second install re-uses the first');
  assert.equal(install(null), null, 'nothing without a window');
  assert.equal(M().lastUpdate(), null);
});

test('describeUpdate computes the phases from the server timing and the client times', () => {
  const u = describeUpdate({
    updates: [{ type: 'js-update', path: '/src/App.jsx', acceptedPath: '/src/B.jsx', timestamp: 1 }],
    files: ['src/B.jsx'],
    timing: { changedAt: 1000, compileMs: 12, sentAt: 1042 },
    receivedAt: 1045,
    appliedAt: 1070,
    ok: true,
  }, 7);
  assert.equal(u.seq, 7);
  assert.equal(u.ok, true);
  assert.deepEqual(u.files, ['src/B.jsx']);
  assert.deepEqual(u.paths, ['/src/App.jsx']);
  assert.deepEqual(u.acceptedPaths, ['/src/B.jsx']);
  assert.deepEqual(u.phases, { debounce: 30, compile: 12, transfer: 3, apply: 25 });
  assert.equal(u.total, 70);
  assert.equal(u.changedAt, 1000);
  assert.equal(u.sentAt, 1042);
});

test('describeUpdate without timing (an invalidate) leaves server phases null and clamps negatives', () => {
  const u = describeUpdate({ updates: [], receivedAt: 500, appliedAt: 510 });
  assert.deepEqual(u.phases, { debounce: null, compile: null, transfer: null, apply: 10 });
  assert.equal(u.total, 10, 'measured from arrival');
  assert.deepEqual(u.files, []);
  const skewed = describeUpdate({ timing: { changedAt: 100, compileMs: 5, sentAt: 120 }, receivedAt: 119, appliedAt: 130 });
  assert.equal(skewed.phases.transfer, 0);
});

test('an update message handled by the client becomes lastUpdate() and an `update` event', async () => {
  const seen = [];
  const off = M().on('update', (u) => seen.push(u));
  const now = Date.now();
  await handleMessage({
    type: 'update',
    updates: [],
    files: ['src/Counter.mtm'],
    timing: { changedAt: now - 40, compileMs: 9, sentAt: now - 5 },
  });
  const last = M().lastUpdate();
  assert.ok(last, 'recorded');
  assert.deepEqual(last.files, ['src/Counter.mtm']);
  assert.equal(last.ok, true);
  assert.ok(last.receivedAt >= now && last.appliedAt >= last.receivedAt);
  for (const [name, value] of Object.entries(last.phases)) assert.ok(value >= 0, `${name} = ${value}`);
  assert.ok(last.total >= last.phases.apply);
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0], last);
  // lastUpdate() hands out copies.
  last.files.push('mutated');
  assert.deepEqual(M().lastUpdate().files, ['src/Counter.mtm']);
  off();
  await handleMessage({ type: 'update', updates: [], files: ['src/Other.mtm'] });
  assert.equal(seen.length, 1, 'unsubscribed');
  assert.equal(M().lastUpdate().seq, last.seq + 1);
  assert.equal(M().lastUpdate().phases.compile, null);
});

test('compile errors, failed updates and rollbacks are `error` / `rollback` events', async () => {
  const events = [];
  const offs = ['error', 'rollback', 'full-reload'].map((t) => M().on(t, (e) => events.push([t, e])));
  const error = { kind: 'compile', file: 'src/A.mtm', line: 7, column: 3, message: 'Unexpected token', frame: '' };
  await handleMessage({ type: 'errors', errors: [error] });
  assert.deepEqual(M().errors(), [error]);
  await handleMessage({ type: 'errors', errors: [] });
  assert.deepEqual(M().errors(), []);
  win.dispatchEvent(new CustomEvent('metamon:hmr-error', {
    detail: { phase: 'import', path: '/src/A.mtm', acceptedPath: '/src/A.mtm', timestamp: 1, message: 'boom', error: new Error('boom') },
  }));
  win.dispatchEvent(new CustomEvent('metamon:rollback', { detail: { path: '/src/A.mtm', reason: 'test' } }));
  win.dispatchEvent(new CustomEvent('metamon:before-full-reload', { detail: { path: '/src/main.js' } }));
  offs.forEach((off) => off());
  assert.deepEqual(events, [
    ['error', { source: 'server', errors: [error] }],
    ['error', { source: 'client', phase: 'import', path: '/src/A.mtm', acceptedPath: '/src/A.mtm', timestamp: 1, message: 'boom' }],
    ['rollback', { path: '/src/A.mtm', reason: 'test' }],
    ['full-reload', { path: '/src/main.js' }],
  ]);
});

test('a throwing listener does not stop the others; on() validates its arguments', () => {
  const api = createIntrospection(null);
  const calls = [];
  const origError = console.error;
  console.error = () => {};
  try {
    api.on('update', () => { throw new Error('listener'); });
    api.on('update', (u) => calls.push(u.seq));
    api._recordUpdate({ updates: [] });
  } finally {
    console.error = origError;
  }
  assert.deepEqual(calls, [1]);
  assert.throws(() => api.on('nope', () => {}), /type must be one of/);
  assert.throws(() => api.on('update', 1), /fn must be a function/);
});

test('components(): live .mtm instances from the local-state registry and pub/sub owners', () => {
  const meta = { url: 'http://localhost:5173/src/Users.mtm?t=1' };
  const a = localInstance(meta, 'default');
  let count = 2;
  a.keep('count:1f2e3d', () => count);
  const b = localInstance(meta, 'default');
  b.keep('count:1f2e3d', () => 5);
  b.keep('broken', () => { throw new Error('torn down'); });
  const unsubscribe = core.subscribe('ping', () => {}, 'svelte:#42');
  try {
    const list = M().components();
    const mtm = list.filter((c) => c.kind === 'mtm' && c.module === '/src/Users.mtm');
    assert.deepEqual(mtm.map((c) => [c.id, c.values]), [
      ['/src/Users.mtm#default#0', { count: 2 }],
      ['/src/Users.mtm#default#1', { count: 5 }],
    ]);
    assert.equal(mtm[0].url, 'http://localhost:5173/src/Users.mtm');
    count = 3;
    assert.equal(M().components().find((c) => c.id === '/src/Users.mtm#default#0').values.count, 3, 'live values');
    const owner = list.find((c) => c.kind === 'owner' && c.id === 'svelte:#42');
    assert.deepEqual(owner, { kind: 'owner', id: 'svelte:#42', framework: 'svelte', subscriptions: { ping: 1 } });
    // A new generation of the module (a hot update) replaces the instances.
    const c = localInstance({ url: 'http://localhost:5173/src/Users.mtm?t=2' }, 'default');
    c.keep('count', () => 9);
    assert.deepEqual(
      M().components().filter((x) => x.module === '/src/Users.mtm').map((x) => [x.id, x.values]),
      [['/src/Users.mtm#default#0', { count: 9 }]],
    );
    // Another origin keeps its full URL.
    assert.equal(components({ location: { origin: 'http://elsewhere' } }).find((x) => x.kind === 'mtm').module, 'http://localhost:5173/src/Users.mtm');
  } finally {
    unsubscribe();
  }
  assert.deepEqual(M().signals(), core.signals());
  assert.deepEqual(M().subscriptions(), core.subscriptions());
  assert.deepEqual(M().channels(), core.channels());
});
