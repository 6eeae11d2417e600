// Metamon Svelte 5 adapter, served for `import … from 'metamon/svelte'`.
//
//   <script>
//     import { useMetamonSignal, metamonSignal, useMetamonPubSub } from 'metamon/svelte';
//     const count = useMetamonSignal('cart:count', 0);   // a store: {$count}, $count = 5, count.update(…)
//     const total = metamonSignal('cart:total', 0);      // rune-friendly: {total.value}, total.value = 5
//     const doubled = $derived(total.value * 2);         // `.value` is reactive in $derived / $effect / markup
//     const { emit, subscribe } = useMetamonPubSub();
//     subscribe('cart:add', (item) => …);                 // removed when the component is destroyed
//   </script>
//
// `fromStore(useMetamonSignal(key, initial))` from 'svelte/store' works too
// (`.current` is reactive and writable).
//
// `svelte`, `svelte/reactivity` are rewritten by the dev server to the pre-bundled dependency.

import { onDestroy } from 'svelte';
import { createSubscriber } from 'svelte/reactivity';
import { ownerFile, signal } from './core.js';
import { pubSubOwners } from './component-pubsub.js';

/**
 * The named global signal `key` (see `signal()` in core.js) as a writable Svelte
 * store. `subscribe(run)` follows the store contract: `run` is called at once with
 * the current value and again on every change (from any framework); it returns
 * the unsubscribe function. `set(v)` and `update(fn)` write the signal.
 * @returns {{ subscribe(run: (v: any) => void): () => void, set(v: any): void, update(fn: (v: any) => any): void, key: string }}
 */
export function useMetamonSignal(key, initial) {
  const sig = signal(key, initial);
  return {
    key,
    subscribe(run) {
      if (typeof run !== 'function') throw new TypeError('store.subscribe(run): run must be a function');
      run(sig.get());
      return sig.subscribe(run);
    },
    set: (v) => sig.set(v),
    update: (fn) => sig.update(fn),
  };
}

/**
 * Rune-friendly form of the signal `key`: `.value` reads it (and, inside Svelte
 * 5 reactive contexts — markup, `$derived`, `$effect` — registers a dependency,
 * via `createSubscriber` from 'svelte/reactivity'; the core subscription exists
 * only while something reactive reads it), `.value = x` writes it. It is also a
 * store (`subscribe`, `set`, `update`), so `$sig` and `fromStore(sig)` work.
 */
export function metamonSignal(key, initial) {
  const store = useMetamonSignal(key, initial);
  const sig = signal(key, initial);
  const track =
    typeof createSubscriber === 'function'
      ? createSubscriber((update) => sig.subscribe(() => update()))
      : () => {};
  return {
    key,
    get value() {
      track();
      return sig.get();
    },
    set value(v) {
      sig.set(v);
    },
    subscribe: store.subscribe,
    set: store.set,
    update: store.update,
  };
}

const createOwner = pubSubOwners('svelte');

/**
 * Pub/sub bound to the calling component: subscriptions made through
 * `subscribe` are owned by this component instance and removed in `onDestroy`.
 * Outside component initialisation (where Svelte's lifecycle functions throw)
 * it still works, without automatic cleanup.
 * @returns {{ emit: (event: string, payload?: any) => number, subscribe: (event: string, handler: Function) => () => void, ownerId: string }}
 */
export function useMetamonPubSub(where) {
  // onDestroy throws when not called during component initialisation: a global owner then.
  return createOwner(ownerFile(where), onDestroy);
}
