import { test } from 'node:test';
import assert from 'node:assert/strict';

import RefreshRuntimeDefault from './vendor/react-refresh-runtime.js';
import * as RefreshRuntime from './react-refresh.js';

test('the vendored React Refresh runtime loads in Node as an ES module', () => {
  for (const name of [
    'injectIntoGlobalHook', 'register', 'createSignatureFunctionForTransform',
    'performReactRefresh', 'isLikelyComponentType', 'getFamilyByType',
  ]) {
    assert.equal(typeof RefreshRuntimeDefault[name], 'function', name);
  }
  assert.equal(RefreshRuntime.default, RefreshRuntimeDefault);
});

test('react-refresh.js exports what the server-side wrapper and the preamble use', () => {
  for (const name of [
    'injectIntoGlobalHook', 'getRefreshReg', 'createSignatureFunctionForTransform',
    'registerExportsForReactRefresh', 'validateRefreshBoundaryAndEnqueueUpdate',
    '__hmr_import', 'performReactRefresh', 'enqueueUpdate',
  ]) {
    assert.equal(typeof RefreshRuntime[name], 'function', name);
  }
});

test('injectIntoGlobalHook installs a DevTools hook on the given global', () => {
  const fakeWindow = {};
  RefreshRuntime.injectIntoGlobalHook(fakeWindow);
  const hook = fakeWindow.__REACT_DEVTOOLS_GLOBAL_HOOK__;
  assert.ok(hook);
  assert.equal(typeof hook.inject, 'function');
  assert.equal(typeof hook.onCommitFiberRoot, 'function');
});

test('getRefreshReg / registerExportsForReactRefresh register component families', () => {
  function App() { return null; }
  function Other() { return null; }
  RefreshRuntime.getRefreshReg('/src/App.jsx')(App, 'App');
  assert.ok(RefreshRuntime.getFamilyByID('/src/App.jsx App'));
  RefreshRuntime.registerExportsForReactRefresh('/src/Other.jsx', { default: Other, notAComponent: 42 });
  assert.ok(RefreshRuntime.getFamilyByID('/src/Other.jsx export default'));
  assert.equal(RefreshRuntime.getFamilyByID('/src/Other.jsx export notAComponent'), undefined);
});

test('createSignatureFunctionForTransform returns the $RefreshSig$ helper', () => {
  const sig = RefreshRuntime.createSignatureFunctionForTransform();
  function C() { return null; }
  assert.equal(sig(C, 'useState{[n, setN](0)}'), C);
});

test('validateRefreshBoundaryAndEnqueueUpdate: components only → refresh enqueued; otherwise a message', async () => {
  function A() { return null; }
  function A2() { return null; }
  assert.equal(RefreshRuntime.validateRefreshBoundaryAndEnqueueUpdate('/src/A.jsx', { default: A }, { default: A2 }), undefined);
  const pending = globalThis.__METAMON_HMR_PENDING__;
  assert.ok(pending instanceof Set && pending.size === 1, 'a pending refresh is registered for the client');
  await Promise.all([...pending]);
  assert.equal(pending.size, 0);

  const same = { x: 1 };
  assert.equal(RefreshRuntime.validateRefreshBoundaryAndEnqueueUpdate('/src/B.jsx', { default: A, cfg: same }, { default: A2, cfg: same }), undefined);

  // Other exports equal in value (a new object, a helper with the same source, a route table
  // naming the module's components) keep the module a boundary; a changed value does not.
  const helper = () => (x) => x + 1;
  assert.equal(RefreshRuntime.validateRefreshBoundaryAndEnqueueUpdate('/src/G.jsx',
    { default: A, cfg: { x: [1, 'a'] }, fmt: helper(), routes: [{ path: '/', component: A }] },
    { default: A2, cfg: { x: [1, 'a'] }, fmt: helper(), routes: [{ path: '/', component: A2 }] }), undefined);
  assert.match(RefreshRuntime.validateRefreshBoundaryAndEnqueueUpdate('/src/H.jsx', { default: A, cfg: { x: 1 } }, { default: A2, cfg: { x: 2 } }), /"cfg" export is incompatible/);
  assert.match(RefreshRuntime.validateRefreshBoundaryAndEnqueueUpdate('/src/I.jsx', { default: A, fmt: (x) => x + 1 }, { default: A2, fmt: (x) => x + 2 }), /"fmt" export is incompatible/);
  assert.match(RefreshRuntime.validateRefreshBoundaryAndEnqueueUpdate('/src/C.jsx', { default: A, n: 1 }, { default: A2, n: 2 }), /"n" export is incompatible/);
  assert.match(RefreshRuntime.validateRefreshBoundaryAndEnqueueUpdate('/src/D.jsx', { default: A, B: A }, { default: A2 }), /export removed/);
  assert.match(RefreshRuntime.validateRefreshBoundaryAndEnqueueUpdate('/src/E.jsx', { default: A }, { default: A2, B: A }), /new export/);
  assert.match(RefreshRuntime.validateRefreshBoundaryAndEnqueueUpdate('/src/F.js', {}, {}), /Could not Fast Refresh/);
  if (pending.size) await Promise.all([...pending]);
});

test('__hmr_import imports a module by URL', async () => {
  const mod = await RefreshRuntime.__hmr_import(new URL('./core.js', import.meta.url).href);
  assert.equal(typeof mod.signal, 'function');
});

test('constantElements: an unchanged element is handed back once after a module update, a changed one is made fresh', () => {
  const hot = { data: {} };
  let made = 0;
  const make = (label) => () => ({ label, serial: ++made });
  let el = RefreshRuntime.constantElements(hot);
  const Child = () => null;
  const first = el('a:1', () => [Child], make('a'));
  const heading = el('h:1', null, make('h'));
  // The same evaluation renders again: fresh elements, as React expects.
  assert.notEqual(el('a:1', () => [Child], make('a')), first);
  // The module is evaluated again (a hot update): the kept elements come back once.
  el = RefreshRuntime.constantElements(hot);
  const kept = el('a:1', () => [Child], make('a'));
  assert.equal(kept.label, 'a');
  assert.equal(el('h:1', null, make('h')), heading);
  assert.notEqual(el('h:1', null, make('h')), heading, 'once per version');
  // A named value that changed identity (a swapped component) makes the element afresh.
  el = RefreshRuntime.constantElements(hot);
  const OtherChild = () => null;
  const changed = el('a:1', () => [OtherChild], make('a'));
  assert.notEqual(changed, kept);
  // Without import.meta.hot nothing is kept.
  const plain = RefreshRuntime.constantElements(undefined);
  assert.notEqual(plain('h:1', null, make('h')), plain('h:1', null, make('h')));
});

test('refreshScope / refreshBoundary: a module registers its components and accepts component-only updates', async () => {
  // Without HMR the registrations are no-ops.
  const [noReg, noSig] = RefreshRuntime.refreshScope(undefined, '/src/Q.jsx');
  function Q() { return null; }
  noReg(Q, 'Q');
  assert.equal(RefreshRuntime.getFamilyByID('/src/Q.jsx Q'), undefined);
  assert.equal(noSig()(Q), Q);

  const invalidated = [];
  const meta = { url: new URL('./core.js', import.meta.url).href, hot: { invalidate: (m) => invalidated.push(m) } };
  const [reg, sig] = RefreshRuntime.refreshScope(meta.hot, '/src/core.js');
  function Panel() { return null; }
  reg(Panel, 'Panel');
  assert.ok(RefreshRuntime.getFamilyByID('/src/core.js Panel'), 'registered under the module id');
  assert.equal(typeof sig(), 'function');

  const accept = RefreshRuntime.refreshBoundary(meta, '/src/core.js');
  await new Promise((r) => setTimeout(r, 20)); // the module's own exports are read
  // core.js exports non-components: not a boundary, the update goes to its importers.
  accept({ signal: () => {} });
  assert.equal(invalidated.length, 1);
  assert.match(invalidated[0], /Fast Refresh|incompatible|export/);
  // No new exports (the module failed): nothing to do.
  accept(undefined);
  assert.equal(invalidated.length, 1);
});
