import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  HMRClient, HMRContext, createHotContext, hmrClient, withTimestamp, stripTimestamp,
  errorsToText, showErrors, debugState, handleMessage, updateStyle, removeStyle,
} from './client.js';

function setup({ importer } = {}) {
  const sent = [];
  const logs = [];
  const events = [];
  const modules = new Map(); // acceptedPath → function(update) returning the new module namespace
  const client = new HMRClient({
    send: (p) => sent.push(p),
    logger: {
      log: (...a) => logs.push(['log', a.join(' ')]),
      debug: (...a) => logs.push(['debug', a.join(' ')]),
      error: (...a) => logs.push(['error', a.map(String).join(' ')]),
    },
    dispatch: (name, detail) => events.push([name, detail]),
    importUpdatedModule:
      importer ||
      (async (update) => {
        const factory = modules.get(update.acceptedPath);
        if (!factory) throw new Error('no module ' + update.acceptedPath);
        return factory(update);
      }),
  });
  return { client, sent, logs, events, modules };
}

const upd = (path, acceptedPath = path, timestamp = 1) => ({
  type: 'js-update', path, acceptedPath, timestamp,
});

test('withTimestamp / stripTimestamp keep other query params', () => {
  assert.equal(withTimestamp('/src/App.jsx', 5), '/src/App.jsx?t=5');
  assert.equal(withTimestamp('/src/a.css?import', 5), '/src/a.css?import&t=5');
  assert.equal(withTimestamp('/src/a.js?t=1', 7), '/src/a.js?t=7');
  assert.equal(withTimestamp('/src/a.js?x=1&t=1&y=2', 7), '/src/a.js?x=1&y=2&t=7');
  assert.equal(stripTimestamp('/src/a.js?t=1'), '/src/a.js');
  assert.equal(stripTimestamp('/src/a.vue?vue&t=1&type=style'), '/src/a.vue?vue&type=style');
});

test('createHotContext uses the shared client and is importable without a browser', () => {
  const hot = createHotContext('/src/__node_test__.jsx');
  assert.ok(hot instanceof HMRContext);
  assert.equal(hot.hmrClient, hmrClient);
  assert.deepEqual(hot.data, {});
  assert.equal(typeof globalThis.__METAMON_HMR__, 'object');
  assert.equal(globalThis.__METAMON_HMR__, debugState);
});

test('self-accept: dispose(data) → import → accept(newModule); data persists; new context clears old callbacks', async () => {
  const { client, modules, logs } = setup();
  const calls = [];
  const path = '/src/App.jsx';

  // First evaluation of the module.
  const evaluate = (version) => {
    const hot = new HMRContext(client, path);
    hot.data.evaluations = (hot.data.evaluations || 0) + 1;
    hot.accept((mod) => calls.push(['accept', version, mod && mod.version]));
    hot.dispose((data) => {
      calls.push(['dispose', version]);
      data.lastVersion = version;
    });
    return { version };
  };
  evaluate(1);
  modules.set(path, (u) => evaluate(u.timestamp));

  await client.queueUpdate(upd(path, path, 2));
  assert.deepEqual(calls, [['dispose', 1], ['accept', 1, 2]]);
  assert.equal(client.dataMap.get(path).lastVersion, 1);
  assert.equal(client.dataMap.get(path).evaluations, 2);
  // Only the new instance's accept callback remains.
  assert.equal(client.hotModulesMap.get(path).callbacks.length, 1);

  calls.length = 0;
  await client.queueUpdate(upd(path, path, 3));
  assert.deepEqual(calls, [['dispose', 2], ['accept', 2, 3]]);
  assert.equal(client.debug.updates, 2);
  assert.deepEqual(client.debug.lastUpdate, { ...upd(path, path, 3), ok: true });
  assert.ok(logs.some(([k, m]) => k === 'log' && m === '[metamon] hot updated: /src/App.jsx'));
});

test('accept() with no callback and acceptExports() are self-accepting', async () => {
  const { client, modules } = setup();
  const a = new HMRContext(client, '/src/a.js');
  a.accept();
  const b = new HMRContext(client, '/src/b.js');
  const got = [];
  b.acceptExports(['default'], (m) => got.push(m));
  modules.set('/src/a.js', () => ({ a: 1 }));
  modules.set('/src/b.js', () => ({ b: 1 }));
  await client.queueUpdate(upd('/src/a.js'));
  await client.queueUpdate(upd('/src/b.js'));
  assert.deepEqual(got, [{ b: 1 }]);
  assert.equal(client.debug.updates, 2);
});

test('accept(dep, cb) and accept([deps], cb), relative deps resolved against the owner', async () => {
  const { client, modules, logs } = setup();
  const owner = new HMRContext(client, '/src/App.jsx');
  const single = [];
  const multi = [];
  owner.accept('./util.js', (m) => single.push(m));
  owner.accept(['/src/a.js', '/src/lib/b.js'], (mods) => multi.push(mods));
  const disposed = [];
  const dep = new HMRContext(client, '/src/util.js');
  dep.dispose(() => disposed.push('util'));
  modules.set('/src/util.js', () => ({ util: 2 }));
  modules.set('/src/lib/b.js', () => ({ b: 2 }));

  await client.queueUpdate(upd('/src/App.jsx', '/src/util.js'));
  assert.deepEqual(single, [{ util: 2 }]);
  assert.deepEqual(disposed, ['util']);
  assert.deepEqual(multi, []);

  await client.queueUpdate(upd('/src/App.jsx', '/src/lib/b.js'));
  assert.deepEqual(multi, [[undefined, { b: 2 }]]);
  assert.ok(logs.some(([, m]) => m === '[metamon] hot updated: /src/lib/b.js via /src/App.jsx'));
});

test('accept registered asynchronously (React Refresh wrapper style) is found when the update arrives', async () => {
  const { client, modules } = setup();
  const path = '/src/Counter.jsx';
  const got = [];
  const evaluate = (v) => {
    const hot = new HMRContext(client, path);
    const currentExports = { v };
    Promise.resolve(currentExports).then((cur) => {
      hot.accept((next) => got.push([cur.v, next && next.v]));
    });
    return currentExports;
  };
  evaluate(1);
  await new Promise((r) => setTimeout(r, 0));
  modules.set(path, (u) => evaluate(u.timestamp));
  await client.queueUpdate(upd(path, path, 2));
  await new Promise((r) => setTimeout(r, 0));
  await client.queueUpdate(upd(path, path, 3));
  assert.deepEqual(got, [[1, 2], [2, 3]]);
});

test('queued updates are fetched in parallel and applied in the order sent', async () => {
  const order = [];
  const resolvers = new Map();
  const { client } = setup({
    importer: (u) =>
      new Promise((resolve) => {
        order.push('fetch ' + u.acceptedPath);
        resolvers.set(u.acceptedPath, () => resolve({ p: u.acceptedPath }));
      }),
  });
  for (const p of ['/src/a.js', '/src/b.js', '/src/c.js']) {
    new HMRContext(client, p).accept((m) => order.push('apply ' + m.p));
  }
  const all = Promise.all([
    client.queueUpdate(upd('/src/a.js')),
    client.queueUpdate(upd('/src/b.js')),
    client.queueUpdate(upd('/src/c.js')),
  ]);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(order, ['fetch /src/a.js', 'fetch /src/b.js', 'fetch /src/c.js']);
  // Resolve out of order.
  resolvers.get('/src/c.js')();
  resolvers.get('/src/a.js')();
  resolvers.get('/src/b.js')();
  await all;
  assert.deepEqual(order.slice(3), ['apply /src/a.js', 'apply /src/b.js', 'apply /src/c.js']);
});

test('update for a module that is not loaded is skipped', async () => {
  const { client } = setup();
  await client.queueUpdate(upd('/src/NotLoaded.jsx'));
  assert.equal(client.debug.updates, 0);
  assert.equal(client.debug.skipped, 1);
});

test('a failing import or accept callback is reported and the client keeps working', async () => {
  const { client, modules, events, logs } = setup();
  const path = '/src/Broken.jsx';
  const got = [];
  new HMRContext(client, path).accept((m) => got.push(m));
  // No module registered → the importer throws: nothing is swapped, no callback runs.
  await client.queueUpdate(upd(path, path, 1));
  assert.equal(client.debug.failed, 1);
  assert.equal(client.debug.updates, 0);
  assert.equal(client.debug.errors[0].phase, 'import');
  assert.equal(client.debug.errors[0].acceptedPath, path);
  assert.equal(events[0][0], 'metamon:hmr-error');
  assert.equal(events[0][1].phase, 'import');
  assert.ok(events[0][1].error instanceof Error);
  assert.ok(events.some(([n, d]) => n === 'metamon:rollback' && d.path === path && d.reapplied === false));
  assert.ok(logs.some(([k, m]) => k === 'error' && m.includes(path)));
  assert.deepEqual(got, [], 'the running version keeps its callbacks, which are not called');

  // The new version's callback throws: reported as an accept error.
  modules.set(path, () => {
    const hot = new HMRContext(client, path);
    hot.accept(() => { throw new Error('render exploded'); });
    return {};
  });
  await client.queueUpdate(upd(path, path, 2)); // runs the old (non-throwing) callback
  assert.equal(got.length, 1);
  await client.queueUpdate(upd(path, path, 3)); // runs the throwing one
  assert.equal(client.debug.failed, 2);
  assert.equal(client.debug.errors[1].phase, 'accept');
  assert.match(client.debug.errors[1].message, /render exploded/);

  // Still works afterwards.
  modules.set(path, () => {
    new HMRContext(client, path).accept();
    return { ok: true };
  });
  await client.queueUpdate(upd(path, path, 4)); // the callbacks of the last version (via rollback: 4) still throw
  await client.queueUpdate(upd(path, path, 5)); // version 4 is healthy
  assert.equal(client.debug.lastUpdate.ok, true);
  assert.equal(client.debug.lastUpdate.timestamp, 5);
});

test('dispose errors are reported; several dispose callbacks all run', async () => {
  const { client, modules } = setup();
  const path = '/src/D.js';
  const ran = [];
  const hot = new HMRContext(client, path);
  hot.accept();
  hot.dispose(() => ran.push('one'));
  hot.dispose(() => ran.push('two'));
  modules.set(path, () => {
    const h = new HMRContext(client, path);
    h.accept();
    h.dispose(() => { throw new Error('dispose failed'); });
    return {};
  });
  await client.queueUpdate(upd(path, path, 1));
  assert.deepEqual(ran, ['one', 'two']);
  assert.equal(client.debug.updates, 1);
  await client.queueUpdate(upd(path, path, 2));
  assert.equal(client.debug.errors.at(-1).phase, 'dispose');
});

test('invalidate sends {type:"invalidate", path, message} and notifies listeners', () => {
  const { client, sent } = setup();
  const hot = new HMRContext(client, '/src/Inv.jsx');
  const seen = [];
  hot.on('vite:invalidate', (d) => seen.push(d));
  hot.invalidate('Could not Fast Refresh');
  assert.equal(sent.length, 1);
  assert.equal(sent[0].type, 'invalidate');
  assert.equal(sent[0].path, '/src/Inv.jsx');
  assert.equal(sent[0].message, 'Could not Fast Refresh');
  assert.equal(seen[0].path, '/src/Inv.jsx');
});

test('on/off/send; stale listeners of a re-created context are removed', async () => {
  const { client, sent } = setup();
  const got = [];
  const h1 = new HMRContext(client, '/src/L.js');
  const cb = (d) => got.push(['old', d]);
  h1.on('my:event', cb);
  await client.notifyListeners('my:event', 1);
  const h2 = new HMRContext(client, '/src/L.js');
  h2.on('my:event', (d) => got.push(['new', d]));
  await client.notifyListeners('my:event', 2);
  assert.deepEqual(got, [['old', 1], ['new', 2]]);
  const other = new HMRContext(client, '/src/M.js');
  const cb2 = () => got.push('m');
  other.on('my:event', cb2);
  other.off('my:event', cb2);
  got.length = 0;
  await client.notifyListeners('my:event', 3);
  assert.deepEqual(got, [['new', 3]]);
  h2.send('my:custom', { a: 1 });
  assert.deepEqual(sent.at(-1), { type: 'custom', event: 'my:custom', data: { a: 1 } });
});

test('prunePaths runs dispose then prune callbacks', async () => {
  const { client } = setup();
  const ran = [];
  const h = new HMRContext(client, '/src/P.js');
  h.dispose(() => ran.push('dispose'));
  h.prune(() => ran.push('prune'));
  await client.prunePaths(['/src/P.js']);
  assert.deepEqual(ran, ['dispose', 'prune']);
});

test('the client awaits globalThis.__METAMON_HMR_PENDING__ before counting an update as applied', async () => {
  const { client, modules } = setup();
  const path = '/src/R.jsx';
  let rendered = false;
  new HMRContext(client, path).accept(() => {
    const set = (globalThis.__METAMON_HMR_PENDING__ ||= new Set());
    const p = new Promise((r) => setTimeout(() => { rendered = true; set.delete(p); r(); }, 20));
    set.add(p);
  });
  modules.set(path, () => ({}));
  await client.queueUpdate(upd(path));
  assert.equal(rendered, true);
  assert.equal(client.debug.updates, 1);
});

test('errors message without a DOM records serverErrors; errorsToText formats file:line:column', async () => {
  const errors = [
    { kind: 'compile', file: 'src/App.mtm', line: 7, column: 12, message: 'Unexpected token', frame: '7 | <div>\n  |    ^' },
  ];
  await handleMessage({ type: 'errors', errors });
  assert.deepEqual(debugState.serverErrors, errors);
  const text = errorsToText(errors);
  assert.match(text, /src\/App\.mtm:7:12/);
  assert.match(text, /Unexpected token/);
  showErrors([]);
  assert.deepEqual(debugState.serverErrors, []);
  // No document: style helpers are no-ops.
  updateStyle('x', 'a{}');
  removeStyle('x');
});
