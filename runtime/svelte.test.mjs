import { test } from 'node:test';
import assert from 'node:assert/strict';

// Default conditions: `svelte`, `svelte/store` resolve to their server builds
// here (the reactive client builds are tested in svelte-runes.test.mjs).
// The packages are devDependencies (npm ci): a missing one fails this file, it is never skipped.
const Store = await import('svelte/store');
const { compile } = await import('svelte/compiler');
const { render } = await import('svelte/server');
const adapter = await import('./svelte.js');
const core = await import('./core.js');

const subscriberCount = (key) => globalThis.__METAMON_STATE__.signals.get(key).subscribers.size;

/** Compiles a component for SSR and imports it, with 'metamon/svelte' → ./svelte.js. */
async function compileComponent(source, filename) {
  const { js } = compile(source, { generate: 'server', filename });
  const code = js.code.replace(/from\s*(['"])([^'"]+)\1/g, (_, _q, spec) =>
    `from ${JSON.stringify(spec === 'metamon/svelte' ? new URL('./svelte.js', import.meta.url).href : import.meta.resolve(spec))}`);
  return (await import('data:text/javascript,' + encodeURIComponent(code))).default;
}

test('useMetamonSignal follows the store contract', () => {
  const key = 'svelte-test:count';
  const store = adapter.useMetamonSignal(key, 5);
  assert.equal(Store.get(store), 5);
  assert.equal(subscriberCount(key), 0, 'get() unsubscribes again');

  const seen = [];
  const unsubscribe = store.subscribe((v) => seen.push(v));
  assert.equal(typeof unsubscribe, 'function');
  assert.deepEqual(seen, [5], 'the subscriber is called at once');
  assert.equal(subscriberCount(key), 1);

  store.set(6);
  store.update((n) => n + 1);
  core.signal(key).set(10);
  core.signal(key).set(10); // equal: not notified
  assert.deepEqual(seen, [5, 6, 7, 10]);
  assert.equal(core.signal(key).get(), 10);

  unsubscribe();
  assert.equal(subscriberCount(key), 0);
  store.set(11);
  assert.deepEqual(seen, [5, 6, 7, 10]);

  // initial is ignored for an existing key; derived stores work on it.
  const again = adapter.useMetamonSignal(key, 100);
  assert.equal(Store.get(again), 11);
  assert.equal(Store.get(Store.derived(again, (n) => n * 2)), 22);
});

test('fromStore(useMetamonSignal(…)) reads and writes; metamonSignal has .value and is a store', () => {
  const key = 'svelte-test:fromStore';
  const box = Store.fromStore(adapter.useMetamonSignal(key, 'a'));
  assert.equal(box.current, 'a');
  box.current = 'b';
  assert.equal(core.signal(key).get(), 'b');

  const sig = adapter.metamonSignal(key, 'ignored');
  assert.equal(sig.value, 'b');
  sig.value = 'c';
  assert.equal(core.signal(key).get(), 'c');
  assert.equal(Store.get(sig), 'c');
  assert.equal(Store.fromStore(sig).current, 'c');
  sig.update((s) => s + '!');
  assert.equal(box.current, 'c!');
});

test('$store renders in a Svelte 5 component (SSR)', async () => {
  const key = 'svelte-test:ssr';
  const Comp = await compileComponent(
    `<script>
      import { useMetamonSignal, metamonSignal } from 'metamon/svelte';
      const count = useMetamonSignal('${key}', 3);
      const label = metamonSignal('${key}:label', 'n');
      const doubled = $derived($count * 2);
    </script><b>{label.value}={$count},{doubled}</b>`,
    'Counter.svelte',
  );
  assert.match(render(Comp).body, /<b>n=3,6<\/b>/);
  core.signal(key).set(4);
  assert.match(render(Comp).body, /<b>n=4,8<\/b>/);
  assert.equal(subscriberCount(key), 0, 'the component unsubscribed its store');
});

test('useMetamonPubSub: unique owner per component, removed by onDestroy', async () => {
  const owners = (globalThis.__svelteTestOwners = []);
  const Child = await compileComponent(
    `<script>
      import { useMetamonPubSub } from 'metamon/svelte';
      const ps = useMetamonPubSub();
      ps.subscribe('svelte-test:evt', () => {});
      globalThis.__svelteTestOwners.push([ps.ownerId, ps.emit('svelte-test:evt')]);
    </script><i></i>`,
    'Child.svelte',
  );
  void render(Child).body; // the result is lazy: reading body renders
  void render(Child).body; // the result is lazy: reading body renders
  assert.equal(owners.length, 2);
  assert.notEqual(owners[0][0], owners[1][0]);
  assert.match(owners[0][0], /^svelte:#\d+$/);
  assert.equal(owners[0][1], 1, 'subscribed while the component lives');
  // SSR destroys the component after rendering: onDestroy removed the subscriptions.
  assert.equal(core.subscriptions()[owners[0][0]], undefined);
  assert.equal(core.subscriptions()[owners[1][0]], undefined);
  assert.equal(core.emit('svelte-test:evt'), 0);
});

test('useMetamonPubSub outside a component works (no lifecycle error)', () => {
  const { ownerId, emit, subscribe } = adapter.useMetamonPubSub();
  assert.match(ownerId, /^svelte:global#\d+$/);
  const got = [];
  const off = subscribe('svelte-test:outside', (p) => got.push(p));
  assert.equal(emit('svelte-test:outside', 1), 1);
  off();
  assert.equal(emit('svelte-test:outside', 2), 0);
  assert.deepEqual(got, [1]);
});
