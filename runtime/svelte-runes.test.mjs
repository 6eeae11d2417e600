import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowserBuilds } from './node-support.mjs';

// The reactive (client) builds of `svelte`, `svelte/store`, `svelte/reactivity`
// are selected by the `browser` export condition. This file runs in its own
// process under `node --test`, so it registers a resolve hook adding that
// condition for `svelte*` before importing svelte or ./svelte.js.
useBrowserBuilds(['svelte']);

// The packages are devDependencies (npm ci): a missing one fails this file, it is never skipped.
const Svelte = await import('svelte');
const { compileModule } = await import('svelte/compiler');
const adapter = await import('./svelte.js');
const core = await import('./core.js');

const subscriberCount = (key) => globalThis.__METAMON_STATE__.signals.get(key)?.subscribers.size ?? 0;
const settle = () => new Promise((r) => setTimeout(r, 10));

/** Compiles a `.svelte.js` module (runes) for the client and imports it. */
async function compileRunes(source, filename) {
  const { js } = compileModule(source, { generate: 'client', filename });
  const code = js.code.replace(/from\s*(['"])([^'"]+)\1/g, (_, _q, spec) =>
    `from ${JSON.stringify(spec === 'metamon/svelte' ? new URL('./svelte.js', import.meta.url).href : import.meta.resolve(spec))}`);
  return import('data:text/javascript,' + encodeURIComponent(code));
}

test('metamonSignal(…).value and fromStore(useMetamonSignal(…)).current are reactive in $derived / $effect', async () => {
  const key = 'svelte-runes:total';
  const mod = await compileRunes(
    `import { metamonSignal, useMetamonSignal } from 'metamon/svelte';
     import { fromStore } from 'svelte/store';
     export function run(seen) {
       return $effect.root(() => {
         const total = metamonSignal('${key}', 1);
         const doubled = $derived(total.value * 2);
         const box = fromStore(useMetamonSignal('${key}', 1));
         $effect(() => { seen.push([doubled, box.current]); });
       });
     }`,
    'runes.svelte.js',
  );
  const seen = [];
  const stop = mod.run(seen);
  Svelte.flushSync();
  assert.deepEqual(seen, [[2, 1]]);

  core.signal(key).set(5); // a write from any framework
  Svelte.flushSync();
  assert.deepEqual(seen, [[2, 1], [10, 5]]);

  const outside = adapter.metamonSignal(key, 0);
  outside.value = 6;
  Svelte.flushSync();
  assert.deepEqual(seen, [[2, 1], [10, 5], [12, 6]]);

  assert.equal(subscriberCount(key), 2, 'one subscription for .value readers, one for fromStore');
  stop();
  await settle();
  assert.equal(subscriberCount(key), 0, 'unsubscribed when nothing reads any more');
  assert.equal(outside.value, 6, 'reading outside a reactive context does not subscribe');
  assert.equal(subscriberCount(key), 0);
});

test('useMetamonPubSub outside a component catches the client lifecycle error', () => {
  const { ownerId, subscribe, emit } = adapter.useMetamonPubSub();
  assert.match(ownerId, /^svelte:global#\d+$/);
  const off = subscribe('svelte-runes:evt', () => {});
  assert.equal(emit('svelte-runes:evt'), 1);
  off();
});
