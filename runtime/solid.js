// Metamon Solid adapter, served for `import … from 'metamon/solid'`.
//
//   const [count, setCount] = useMetamonSignal('cart:count', 0);   // count() in JSX, setCount(n => n + 1)
//   const { emit, subscribe } = useMetamonPubSub();
//   subscribe('cart:add', (item) => …);                              // removed by onCleanup
//
// `solid-js` is rewritten by the dev server to the pre-bundled dependency.

import { createSignal, getOwner, onCleanup } from 'solid-js';
import { ownerFile, signal } from './core.js';
import { pubSubOwners } from './component-pubsub.js';

/**
 * The named global signal `key` (see `signal()` in core.js) as a Solid signal:
 * `[accessor, setter]`. The accessor is a `createSignal` accessor kept in sync
 * with the Metamon signal (changes from any framework update it); the setter
 * writes the Metamon signal and, like Solid's, accepts a value or an updater
 * `(prev) => next`; it returns the new value.
 * Under a reactive owner (component, createRoot, …) the subscription is removed
 * by `onCleanup`; without an owner it lives as long as the page.
 * @returns {[() => any, (valueOrUpdater: any) => any]}
 */
export function useMetamonSignal(key, initial) {
  const sig = signal(key, initial);
  // The Metamon signal already drops equal writes (Object.is); every
  // notification is a real change.
  const [value, setLocal] = createSignal(sig.get(), { equals: false });
  // Wrapped in a function: a function-valued signal must not be taken for an updater.
  const unsubscribe = sig.subscribe((v) => setLocal(() => v));
  if (getOwner()) onCleanup(unsubscribe);
  const setValue = (next) => {
    if (typeof next === 'function') sig.update(next);
    else sig.set(next);
    return sig.get();
  };
  return [value, setValue];
}

const createOwner = pubSubOwners('solid');

/**
 * Pub/sub bound to the calling component (the current reactive owner):
 * subscriptions made through `subscribe` are owned by it and removed by
 * `onCleanup`. Without an owner it still works, without automatic cleanup.
 * @returns {{ emit: (event: string, payload?: any) => number, subscribe: (event: string, handler: Function) => () => void, ownerId: string }}
 */
export function useMetamonPubSub(where) {
  return getOwner() ? createOwner(ownerFile(where), onCleanup) : createOwner(null);
}
