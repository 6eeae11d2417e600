// Recovery logic of the HMR client without a browser: rollback bookkeeping, per-update
// isolation, timeouts, concurrency, framework sync; plus the source-map and feedback helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { HMRClient, HMRContext } from './client.js';
import { resolveOptions, createLimiter, locateInStack, snapshotModule, DEFAULT_OPTIONS } from './hmr/recovery.js';
import { decodeVlq, originalPosition, inlineSourceMap, codeFrame } from './hmr/sourcemap.js';
import { createFeedback, INDICATOR_DELAY_MS } from './hmr/feedback.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const upd = (path, timestamp, acceptedPath = path) => ({ type: 'js-update', path, acceptedPath, timestamp });

/**
 * A client with a fake browser module cache: `define(path, ts, factory)`; importing a version
 * evaluates its factory once (ts null = the version the page loaded), like `import()`.
 */
function setup(options = {}, { delays = {} } = {}) {
  const events = [];
  const errors = [];
  const reloads = [];
  const notices = [];
  const factories = new Map();
  const cache = new Map();
  const imports = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let onWindowError = null;
  const client = new HMRClient({
    logger: { log() {}, debug() {}, error() {} },
    dispatch: (name, detail) => events.push([name, detail]),
    options: { ...options },
    onErrorsChanged: (list) => errors.splice(0, errors.length, ...list),
    reload: (path, detail) => reloads.push([path, detail]),
    feedback: { start() {}, progress() {}, finish(r) { notices.push(['finish', r.ok]); }, warn(m) { notices.push(['warn', m]); } },
    snapshotRunningVersion: true,
    watchErrors: (fn) => {
      onWindowError = fn;
      return () => { onWindowError = null; };
    },
    importUpdatedModule: async (u) => {
      const key = `${u.acceptedPath}@${u.timestamp ?? 'initial'}`;
      imports.push(key);
      if (cache.has(key)) return cache.get(key);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        const delay = delays[key] ?? delays[u.acceptedPath];
        if (delay) await sleep(delay);
        const factory = factories.get(key);
        if (!factory) throw new Error('no module ' + key);
        const ns = Object.freeze(factory());
        cache.set(key, ns);
        return ns;
      } finally {
        inFlight--;
      }
    },
  });
  const define = (path, ts, factory) => factories.set(`${path}@${ts ?? 'initial'}`, factory);
  /** A self-accepting module whose accept callback records which version is live. */
  const component = (path, ts, { label, throwOnAccept, renderError } = {}) => {
    define(path, ts, () => {
      const hot = new HMRContext(client, path);
      // Like React Refresh / Vue: the callback hands the module it gets to the runtime,
      // whose behaviour depends on that module's code.
      hot.accept((mod) => {
        if (mod.throwOnAccept) throw new Error(`accept of ${mod.label} threw`);
        if (mod.renderError) {
          const e = new Error(`render of ${mod.label} threw`);
          e.stack = `Error: render of ${mod.label} threw\n    at Comp (http://localhost:5173${path}?t=${mod.ts}:3:9)`;
          onWindowError && onWindowError(e);
        }
        live.set(path, mod.label);
      });
      return { label, throwOnAccept, renderError, ts };
    });
  };
  const live = new Map();
  const load = async (path, label = 'v0') => {
    component(path, null, { label });
    await client.importUpdatedModule({ acceptedPath: path, timestamp: null });
    live.set(path, label);
  };
  return { client, events, errors, reloads, notices, define, component, live, load, imports, stats: () => ({ maxInFlight }) };
}

test('resolveOptions: defaults of crates/config, bad values replaced', () => {
  assert.deepEqual(resolveOptions(undefined), { ...DEFAULT_OPTIONS });
  const o = resolveOptions({ errorRecoveryMode: 'STRICT', reloadTimeout: -1, maxConcurrentReloads: 0, showSuccessNotice: false, syncTimeout: 'x' });
  assert.equal(o.errorRecoveryMode, 'graceful');
  assert.equal(o.reloadTimeout, 5000);
  assert.equal(o.maxConcurrentReloads, 1);
  assert.equal(o.showSuccessNotice, false);
  assert.equal(o.syncTimeout, 1000);
  assert.equal(resolveOptions({ errorRecoveryMode: 'strict' }).errorRecoveryMode, 'strict');
});

test('top-level throw on update: nothing swapped, the old callbacks stay, the fix applies', async () => {
  const { client, live, load, define, component, errors, events } = setup();
  await load('/src/A.mtm');
  define('/src/A.mtm', 1, () => {
    new HMRContext(client, '/src/A.mtm'); // line 1 of every module: re-creates the hot context
    throw new Error('top-level boom');
  });
  const r = await client.queueUpdate(upd('/src/A.mtm', 1));
  assert.equal(r.ok, false);
  assert.equal(live.get('/src/A.mtm'), 'v0');
  assert.equal(errors.length, 1);
  assert.equal(errors[0].kind, 'runtime');
  assert.equal(errors[0].file, 'src/A.mtm');
  assert.match(errors[0].message, /top-level boom/);
  assert.ok(events.some(([n, d]) => n === 'metamon:rollback' && d.path === '/src/A.mtm' && d.reapplied === false));
  component('/src/A.mtm', 2, { label: 'v2' });
  assert.equal((await client.queueUpdate(upd('/src/A.mtm', 2))).ok, true);
  assert.equal(live.get('/src/A.mtm'), 'v2', 'the callbacks of the running version applied the fix');
  assert.equal(errors.length, 0, 'a good update clears the error');
});

test('accept callback throws: the last good version is re-imported and re-applied', async () => {
  const { client, live, load, component, errors, events, imports, notices } = setup();
  await load('/src/A.mtm');
  component('/src/A.mtm', 1, { label: 'v1' });
  await client.queueUpdate(upd('/src/A.mtm', 1));
  assert.equal(live.get('/src/A.mtm'), 'v1');
  component('/src/A.mtm', 2, { label: 'v2', throwOnAccept: true });
  const r = await client.queueUpdate(upd('/src/A.mtm', 2));
  assert.equal(r.ok, false);
  assert.equal(live.get('/src/A.mtm'), 'v1', 'rolled back to v1');
  assert.equal(imports.at(-1), '/src/A.mtm@1', 'the last good URL was imported again (module cache)');
  const rollback = events.find(([n]) => n === 'metamon:rollback')[1];
  assert.equal(rollback.path, '/src/A.mtm');
  assert.equal(rollback.restored, true);
  assert.match(rollback.error.message, /accept of v2 threw/);
  assert.equal(errors[0].phase, 'accept');
  assert.ok(notices.some(([k, m]) => k === 'warn' && /Rolled back to the last working version of src\/A\.mtm/.test(m)));
  // The next good version applies over the rolled-back one.
  component('/src/A.mtm', 3, { label: 'v3' });
  await client.queueUpdate(upd('/src/A.mtm', 3));
  assert.equal(live.get('/src/A.mtm'), 'v3');
  assert.equal(errors.length, 0);
});

test('a render error reported on the window during the apply rolls back the module it mentions', async () => {
  const { client, live, load, component, errors } = setup();
  await load('/src/A.mtm');
  await load('/src/B.mtm');
  component('/src/A.mtm', 1, { label: 'a1', renderError: true });
  component('/src/B.mtm', 1, { label: 'b1' });
  await Promise.all([client.queueUpdate(upd('/src/A.mtm', 1)), client.queueUpdate(upd('/src/B.mtm', 1))]);
  assert.equal(live.get('/src/A.mtm'), 'v0', 'A rolled back to the initial version');
  assert.equal(live.get('/src/B.mtm'), 'b1', 'B (not mentioned by the error) kept its update');
  assert.equal(errors.length, 1);
  assert.equal(errors[0].phase, 'render');
});

test('isolation: one failing update of a batch does not stop the others', async () => {
  const { client, live, load, component, define } = setup();
  for (const p of ['/src/R.mtm', '/src/V.mtm', '/src/S.mtm']) await load(p);
  component('/src/R.mtm', 1, { label: 'r1' });
  define('/src/V.mtm', 1, () => { throw new SyntaxError('broken vue'); });
  component('/src/S.mtm', 1, { label: 's1', throwOnAccept: true });
  const r = await Promise.all(['/src/R.mtm', '/src/V.mtm', '/src/S.mtm'].map((p) => client.queueUpdate(upd(p, 1))));
  assert.deepEqual(r[0].results.map((x) => x.ok), [true, false, false]);
  assert.equal(live.get('/src/R.mtm'), 'r1');
  assert.equal(live.get('/src/V.mtm'), 'v0');
  assert.equal(live.get('/src/S.mtm'), 'v0');
});

test('reloadTimeout: a slow update is reported as a timeout, then cleared when it completes', async () => {
  const { client, live, load, component, errors, events } = setup({ reloadTimeout: 40, syncTimeout: 10 }, { delays: { '/src/Slow.mtm@1': 120 } });
  await load('/src/Slow.mtm');
  await load('/src/Fast.mtm');
  component('/src/Slow.mtm', 1, { label: 'slow1' });
  component('/src/Fast.mtm', 1, { label: 'fast1' });
  const started = Date.now();
  const [r] = await Promise.all([client.queueUpdate(upd('/src/Slow.mtm', 1)), client.queueUpdate(upd('/src/Fast.mtm', 1))]);
  assert.ok(Date.now() - started < 110, 'the batch did not wait for the slow update');
  assert.equal(r.results.find((x) => x.file === 'src/Slow.mtm').timedOut, true);
  assert.equal(live.get('/src/Fast.mtm'), 'fast1');
  assert.equal(errors[0].kind, 'timeout');
  assert.ok(events.some(([n, d]) => n === 'metamon:hmr-error' && d.phase === 'timeout'));
  await sleep(150);
  assert.equal(live.get('/src/Slow.mtm'), 'slow1', 'applied late');
  assert.equal(errors.length, 0, 'timeout error cleared');
});

test('reloadTimeout is what decides: with a longer one the same update is just slow', async () => {
  const { client, load, component, errors } = setup({ reloadTimeout: 1000 }, { delays: { '/src/Slow.mtm@1': 60 } });
  await load('/src/Slow.mtm');
  component('/src/Slow.mtm', 1, { label: 'slow1' });
  const r = await client.queueUpdate(upd('/src/Slow.mtm', 1));
  assert.equal(r.ok, true);
  assert.equal(errors.length, 0);
});

for (const max of [1, 2, 4]) {
  test(`maxConcurrentReloads: ${max} bounds the parallel imports of a batch`, async () => {
    const paths = ['/a', '/b', '/c', '/d', '/e', '/f'].map((p) => `/src${p}.mtm`);
    const delays = Object.fromEntries(paths.map((p) => [p + '@1', 20]));
    const { client, load, component, stats } = setup({ maxConcurrentReloads: max }, { delays });
    for (const p of paths) await load(p);
    for (const p of paths) component(p, 1, { label: p });
    await Promise.all(paths.map((p) => client.queueUpdate(upd(p, 1))));
    assert.equal(stats().maxInFlight, max);
  });
}

test('syncFrameworks: callbacks of a batch run together once all modules arrived', async () => {
  const order = [];
  const run = async (syncFrameworks) => {
    const { client, load, component, live } = setup({ syncFrameworks, syncTimeout: 1000 }, { delays: { '/src/Vue.mtm@1': 60 } });
    await load('/src/React.mtm');
    await load('/src/Vue.mtm');
    component('/src/React.mtm', 1, { label: 'r1' });
    component('/src/Vue.mtm', 1, { label: 'v1' });
    const batch = Promise.all([client.queueUpdate(upd('/src/React.mtm', 1)), client.queueUpdate(upd('/src/Vue.mtm', 1))]);
    await sleep(30);
    order.push([syncFrameworks, live.get('/src/React.mtm'), live.get('/src/Vue.mtm')]);
    await batch;
    order.push([syncFrameworks, live.get('/src/React.mtm'), live.get('/src/Vue.mtm')]);
  };
  await run(true);
  await run(false);
  assert.deepEqual(order, [
    [true, 'v0', 'v0'], // React's module is here but waits for Vue's: no half update
    [true, 'r1', 'v1'],
    [false, 'r1', 'v0'], // without sync, React applies as soon as it arrived
    [false, 'r1', 'v1'],
  ]);
});

test('syncTimeout: what arrived is applied when it passes; the slow one follows', async () => {
  const { client, load, component, live } = setup({ syncFrameworks: true, syncTimeout: 20 }, { delays: { '/src/Vue.mtm@1': 100 } });
  await load('/src/React.mtm');
  await load('/src/Vue.mtm');
  component('/src/React.mtm', 1, { label: 'r1' });
  component('/src/Vue.mtm', 1, { label: 'v1' });
  const batch = Promise.all([client.queueUpdate(upd('/src/React.mtm', 1)), client.queueUpdate(upd('/src/Vue.mtm', 1))]);
  await sleep(60);
  assert.equal(live.get('/src/React.mtm'), 'r1', 'applied after syncTimeout, not after the slow module');
  assert.equal(live.get('/src/Vue.mtm'), 'v0');
  await batch;
  assert.equal(live.get('/src/Vue.mtm'), 'v1');
});

test('errorRecoveryMode strict: a failing update reloads the page instead of rolling back', async () => {
  const { client, load, component, reloads, events, live } = setup({ errorRecoveryMode: 'strict' });
  await load('/src/A.mtm');
  component('/src/A.mtm', 1, { label: 'v1', throwOnAccept: true });
  await client.queueUpdate(upd('/src/A.mtm', 1));
  assert.equal(reloads.length, 1);
  assert.equal(reloads[0][1].reason, 'hmr-error');
  assert.ok(!events.some(([n]) => n === 'metamon:rollback'));
  assert.equal(live.get('/src/A.mtm'), 'v0', 'not rolled back (the page reloads)');
});

test('rollback re-applies a snapshot of in-place updated component objects (Vue)', async () => {
  const { client, define } = setup();
  const def = { __hmrId: 'x', render: 'render v0' }; // Vue's initialDef, mutated in place by reload()
  const applied = [];
  const vueModule = (ts, render) =>
    define('/src/B.vue', ts, () => {
      const hot = new HMRContext(client, '/src/B.vue');
      hot.accept((mod) => {
        Object.assign(def, { render: mod.default.render });
        applied.push(mod.default.render);
        if (mod.default.render === 'render v1') throw new Error('vue render threw');
      });
      return { default: ts == null ? def : { __hmrId: 'x', render } };
    });
  vueModule(null, 'render v0');
  await client.importUpdatedModule({ acceptedPath: '/src/B.vue', timestamp: null });
  vueModule(1, 'render v1');
  await client.queueUpdate(upd('/src/B.vue', 1));
  assert.deepEqual(applied, ['render v1', 'render v0']);
  assert.equal(def.render, 'render v0');
});

test('snapshotModule copies objects with __hmrId only', () => {
  const fn = () => {};
  const comp = { __hmrId: 'a', render: fn };
  const snap = snapshotModule({ default: comp, helper: fn, list: [1] });
  assert.notEqual(snap.default, comp);
  assert.equal(snap.default.render, fn);
  assert.equal(snap.helper, fn);
});

test('createLimiter runs at most max at once', async () => {
  const limiter = createLimiter(2);
  let active = 0;
  let peak = 0;
  await Promise.all([1, 2, 3, 4, 5].map(() => limiter.run(async () => { active++; peak = Math.max(peak, active); await sleep(5); active--; })));
  assert.equal(peak, 2);
});

test('source maps: VLQ, original position, code frame, stack location', () => {
  assert.deepEqual(decodeVlq('AAgBC'), [0, 0, 16, 1]);
  // Generated line 1 ← original line 3 col 1 (0-based 2, 0); generated line 2 col 5 ← original line 5 col 3.
  const map = { version: 3, sources: ['src/A.mtm'], sourcesContent: ['---\ntarget: react\n---\nconst a = 1;\nthrow new Error("x");\n'], mappings: 'AAEA;IAEE' };
  assert.deepEqual(originalPosition(map, 2, 7), { source: 'src/A.mtm', line: 5, column: 3, content: map.sourcesContent[0] });
  const code = `x\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
  assert.equal(inlineSourceMap(code).mappings, map.mappings);
  const frame = codeFrame(map.sourcesContent[0], 5, 3);
  assert.match(frame, /> 5 \| throw new Error/);
  assert.match(frame, /\|   \^/);
  const err = new Error('x');
  err.stack = 'Error: x\n    at f (http://127.0.0.1:5173/@metamon/client:1:1)\n    at http://127.0.0.1:5173/src/A.mtm?t=12:9:15';
  assert.deepEqual(locateInStack(err, '/src/A.mtm'), { url: 'http://127.0.0.1:5173/src/A.mtm?t=12', line: 9, column: 15 });
  assert.equal(locateInStack(err, '/src/B.mtm'), null);
});

test('feedback: indicator only after the delay, success notice unless disabled, warnings', async () => {
  let show = true;
  const fb = createFeedback({ options: () => ({ showSuccessNotice: show }) });
  fb.start(['src/A.mtm']);
  assert.equal(fb.view().state, 'idle', 'no indicator for a fast update');
  fb.finish({ ok: true, files: ['src/A.mtm'], ms: 12 });
  assert.equal(fb.view().state, 'success');
  assert.equal(fb.view().notices[0].message, 'Updated src/A.mtm in 12 ms');
  fb.start(['src/A.mtm', 'src/B.vue']);
  await sleep(INDICATOR_DELAY_MS + 30);
  assert.equal(fb.view().state, 'applying');
  fb.progress('src/A.mtm', 'done');
  assert.deepEqual(fb.view().applying.files, [{ file: 'src/A.mtm', status: 'done' }, { file: 'src/B.vue', status: 'pending' }]);
  show = false;
  fb.finish({ ok: true, files: ['src/A.mtm', 'src/B.vue'], ms: 150 });
  assert.ok(!fb.view().notices.some((n) => /2 files/.test(n.message)), 'no success notice when disabled');
  const id = fb.warn('Rolled back');
  assert.equal(fb.view().state, 'warning');
  fb.dismiss(id);
  assert.ok(!fb.view().notices.some((n) => n.kind === 'warning'));
});

test('preserveSubscriptions: false clears the bus before a hot update', async () => {
  const core = await import('./core.js');
  const { HMRClient } = await import('./client.js');
  core.subscribe('preserve-test', () => {}, 'owner-a');
  const count = () => Object.values(core.subscriptions()).reduce((n, events) => n + (events['preserve-test'] || 0), 0);
  assert.equal(count(), 1);
  const keep = new HMRClient({ importUpdatedModule: async () => ({}), send() {}, options: () => ({ preserveSubscriptions: true }) });
  await keep.applyBatch([{ type: 'js-update', path: '/a.js', acceptedPath: '/a.js', timestamp: 1 }]);
  assert.equal(count(), 1, 'kept by default');
  const clear = new HMRClient({ importUpdatedModule: async () => ({}), send() {}, options: () => ({ preserveSubscriptions: false }) });
  clear.hotModulesMap.set('/a.js', { id: '/a.js', callbacks: [{ deps: ['/a.js'], fn: () => {} }] });
  await clear.applyBatch([{ type: 'js-update', path: '/a.js', acceptedPath: '/a.js', timestamp: 2 }]);
  assert.equal(count(), 0, 'cleared');
});

test('preserveSignals: false leaves signals out of the full-reload snapshot', async () => {
  const core = await import('./core.js');
  const state = await import('./hmr/state.js');
  core.signal('preserve-signals-test', 1).set(7);
  const hadWindow = 'window' in globalThis;
  const previous = globalThis.window;
  try {
    globalThis.window = { __METAMON_CONFIG__: { preserveSignals: true } };
    assert.equal(state.snapshot().signals['preserve-signals-test'], 7);
    globalThis.window = { __METAMON_CONFIG__: { preserveSignals: false } };
    assert.deepEqual(state.snapshot().signals, {});
  } finally {
    if (hadWindow) globalThis.window = previous;
    else delete globalThis.window;
  }
});
