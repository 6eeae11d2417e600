import { test } from 'node:test';
import assert from 'node:assert/strict';

// The packages are devDependencies (npm ci): a missing one fails this file, it is never skipped.
const Vue = await import('vue');
const { renderToString } = await import('vue/server-renderer');
const adapter = await import('./vue.js');
const core = await import('./core.js');

test('useMetamonSignal renders the signal value in a template (SSR) and writes through .value', async () => {
  const { createSSRApp, h, defineComponent } = Vue;
  const key = 'vue-test:count';
  let ref;
  const Counter = defineComponent({
    props: { label: String },
    setup(props) {
      const count = adapter.useMetamonSignal(key, 5);
      ref = count;
      return () => h('span', null, `${props.label}=${count.value}`);
    },
  });
  assert.equal(await renderToString(createSSRApp(Counter, { label: 'a' })), '<span>a=5</span>');
  assert.equal(core.signal(key).get(), 5);

  ref.value = 7;
  assert.equal(core.signal(key).get(), 7);
  ref.value++;
  assert.equal(core.signals()[key], 8);

  // Unwrapped in templates like any ref (string template needs the compiler: use a render fn with unref).
  const Other = defineComponent({
    setup() {
      const count = adapter.useMetamonSignal(key, 100); // initial ignored for an existing key
      return { count };
    },
    render() {
      return h('b', null, String(this.count)); // proxy unwraps the ref
    },
  });
  assert.equal(await renderToString(createSSRApp(Other)), '<b>8</b>');
});

test('the ref is reactive: core writes trigger Vue effects, Vue writes reach core subscribers', () => {
  const { effect, effectScope } = Vue;
  const key = 'vue-test:reactive';
  const scope = effectScope();
  const seen = [];
  let r;
  scope.run(() => {
    r = adapter.useMetamonSignal(key, 1);
    effect(() => {
      seen.push(r.value);
    });
  });
  assert.deepEqual(seen, [1]);
  core.signal(key).set(2);
  assert.deepEqual(seen, [1, 2]);
  core.signal(key).set(2); // equal write: no trigger
  assert.deepEqual(seen, [1, 2]);

  const fromCore = [];
  const off = core.signal(key).subscribe((v) => fromCore.push(v));
  r.value = 3;
  assert.deepEqual(fromCore, [3]);
  assert.deepEqual(seen, [1, 2, 3]);
  off();

  // One core subscription per ref, removed when the scope is disposed.
  const before = countSubscribers(key);
  scope.stop();
  assert.equal(countSubscribers(key), before - 1);
  core.signal(key).set(4);
  assert.deepEqual(seen, [1, 2, 3]);
});

function countSubscribers(key) {
  return globalThis.__METAMON_STATE__.signals.get(key).subscribers.size;
}

test('useMetamonSignal outside a component / scope still works', () => {
  const key = 'vue-test:global';
  const r = adapter.useMetamonSignal(key, 'x');
  assert.equal(r.value, 'x');
  r.value = 'y';
  assert.equal(core.signal(key).get(), 'y');
  core.signal(key).set('z');
  assert.equal(r.value, 'z');
});

// A minimal in-memory renderer (createRenderer from vue), so components really
// mount, re-render and unmount without a DOM (SSR skips onUnmounted).
function memoryRenderer() {
  const { createRenderer } = Vue;
  const el = (tag) => ({ tag, children: [], parent: null, text: '' });
  const detach = (child) => {
    if (child.parent) child.parent.children.splice(child.parent.children.indexOf(child), 1);
    child.parent = null;
  };
  const nodeOps = {
    createElement: el,
    createText: (text) => ({ ...el('#text'), text }),
    createComment: (text) => ({ ...el('#comment'), text }),
    setText: (node, text) => { node.text = text; },
    setElementText: (node, text) => { node.children = []; node.text = text; },
    insert: (child, parent, anchor) => {
      detach(child);
      const i = anchor ? parent.children.indexOf(anchor) : -1;
      if (i >= 0) parent.children.splice(i, 0, child);
      else parent.children.push(child);
      child.parent = parent;
    },
    remove: detach,
    parentNode: (node) => node.parent,
    nextSibling: (node) => {
      if (!node.parent) return null;
      const sib = node.parent.children;
      return sib[sib.indexOf(node) + 1] || null;
    },
    patchProp: () => {},
  };
  const textOf = (node) =>
    node.tag === '#comment' ? '' : node.text + node.children.map(textOf).join('');
  return { ...createRenderer(nodeOps), root: () => el('root'), textOf };
}

test('mounted components re-render on signal writes from anywhere', async () => {
  const { h, defineComponent, nextTick } = Vue;
  const { createApp, root, textOf } = memoryRenderer();
  const key = 'vue-test:mounted';
  let ref;
  const App = defineComponent({
    setup() {
      ref = adapter.useMetamonSignal(key, 1);
      return () => h('span', null, `n=${ref.value}`);
    },
  });
  const container = root();
  const app = createApp(App);
  app.mount(container);
  assert.equal(textOf(container), 'n=1');
  core.signal(key).set(2);
  await nextTick();
  assert.equal(textOf(container), 'n=2');
  ref.value = 3;
  await nextTick();
  assert.equal(textOf(container), 'n=3');
  assert.equal(countSubscribers(key), 1);
  app.unmount();
  assert.equal(countSubscribers(key), 0);
});

test('useMetamonPubSub: owner per component instance, unique, cleaned up on unmount', async () => {
  const { h, defineComponent, ref, nextTick } = Vue;
  const { createApp, root } = memoryRenderer();
  const apis = [];
  const got = [];
  const Child = defineComponent({
    __file: 'src/Child.vue',
    setup() {
      const a = adapter.useMetamonPubSub();
      const b = adapter.useMetamonPubSub(); // same instance → same owner, one cleanup
      assert.equal(a, b);
      a.subscribe('vue-test:evt', (p) => got.push([a.ownerId, p]));
      apis.push(a);
      return () => h('i');
    },
  });
  const showSecond = ref(true);
  const Parent = defineComponent({
    setup: () => () => h('div', null, [h(Child), showSecond.value ? h(Child) : null]),
  });
  const app = createApp(Parent);
  app.mount(root());
  assert.equal(apis.length, 2);
  const [x, y] = apis.map((a) => a.ownerId);
  assert.notEqual(x, y);
  assert.match(x, /^vue:\d+:src\/Child\.vue#\d+$/);
  assert.deepEqual(core.subscriptions()[x], { 'vue-test:evt': 1 });
  assert.equal(core.emit('vue-test:evt', 1), 2);

  showSecond.value = false;
  await nextTick();
  assert.equal(core.subscriptions()[y], undefined);
  assert.deepEqual(core.subscriptions()[x], { 'vue-test:evt': 1 });
  assert.equal(core.emit('vue-test:evt', 2), 1);
  app.unmount();
  assert.equal(core.subscriptions()[x], undefined);
  assert.deepEqual(got, [[x, 1], [y, 1], [x, 2]]);
});

test('useMetamonPubSub outside a component works without cleanup', () => {
  const { ownerId, emit, subscribe } = adapter.useMetamonPubSub();
  assert.match(ownerId, /^vue:global#\d+$/);
  const got = [];
  const off = subscribe('vue-test:outside', (p) => got.push(p));
  assert.equal(emit('vue-test:outside', 1), 1);
  assert.deepEqual(got, [1]);
  off();
  assert.equal(emit('vue-test:outside', 2), 0);
});
