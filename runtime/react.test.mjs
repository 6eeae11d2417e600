import { test } from 'node:test';
import assert from 'node:assert/strict';

// The packages are devDependencies (npm ci): a missing one fails this file, it is never skipped.
const React = await import('react');
const ReactDOMServer = await import('react-dom/server');
const adapter = await import('./react.js');
const core = await import('./core.js');

test('useMetamonSignal renders the signal value and writes through the setter', () => {
  const h = React.createElement;
  const key = 'react-test:count';
  let setter;
  function Counter({ label }) {
    const [count, setCount] = adapter.useMetamonSignal(key, 5);
    setter = setCount;
    return h('span', null, `${label}=${count}`);
  }
  assert.equal(ReactDOMServer.renderToString(h(Counter, { label: 'a' })), '<span>a=5</span>');
  assert.equal(core.signal(key).get(), 5);

  setter(7);
  assert.equal(core.signal(key).get(), 7);
  setter((n) => n + 1);
  assert.equal(core.signals()[key], 8);
  // Two components with the same key share the value; `initial` is ignored for an existing key.
  function Other() {
    const [count] = adapter.useMetamonSignal(key, 100);
    return h('b', null, String(count));
  }
  assert.equal(
    ReactDOMServer.renderToString(h('div', null, h(Counter, { label: 'b' }), h(Other))),
    '<div><span>b=8</span><b>8</b></div>',
  );
  core.destroySignal(key);
});

test('useMetamonPubSub subscriptions are owned by the component instance', () => {
  const h = React.createElement;
  const owners = [];
  const got = [];
  function Listener({ name }) {
    const { subscribe, emit, ownerId } = adapter.useMetamonPubSub();
    owners.push(ownerId);
    // Subscribing during render only for the test (effects do not run in SSR).
    subscribe('react-test:ping', (p) => got.push(`${name}:${p}`));
    assert.equal(typeof emit, 'function');
    return null;
  }
  ReactDOMServer.renderToString(h('div', null, h(Listener, { name: 'x' }), h(Listener, { name: 'y' })));
  assert.equal(owners.length, 2);
  assert.notEqual(owners[0], owners[1]);
  assert.match(owners[0], /^react:/);
  const counts = core.subscriptions();
  assert.deepEqual(counts[owners[0]], { 'react-test:ping': 1 });
  assert.deepEqual(counts[owners[1]], { 'react-test:ping': 1 });
  core.emit('react-test:ping', 1);
  assert.deepEqual(got, ['x:1', 'y:1']);
  // What the unmount cleanup does:
  assert.equal(core.unsubscribeAll(owners[0]), 1);
  core.emit('react-test:ping', 2);
  assert.deepEqual(got, ['x:1', 'y:1', 'y:2']);
  core.unsubscribeAll(owners[1]);
});
