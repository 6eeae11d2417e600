// Metamon React adapter, served for `import … from 'metamon/react'`.
//
//   const [count, setCount] = useMetamonSignal('cart:count', 0);
//   const { emit, subscribe } = useMetamonPubSub();
//   useEffect(() => subscribe('cart:add', (item) => …), [subscribe]);
//
// `react` is rewritten by the dev server to the pre-bundled dependency.

import { useCallback, useEffect, useId, useRef, useSyncExternalStore } from 'react';
import { ownerFile, signal, unsubscribeAll } from './core.js';
import { pubSubOwners } from './component-pubsub.js';
import { localInstance } from './local.js';

/**
 * Reads and writes the named global signal `key` (see `signal()` in core.js).
 * Like useState, the setter also accepts an updater function `(prev) => next`.
 * @returns {[any, (valueOrUpdater: any) => void]}
 */
export function useMetamonSignal(key, initial) {
  // signal() is an idempotent lookup: calling it on every render also picks
  // up a fresh signal after destroySignal(key).
  const sig = signal(key, initial);
  const value = useSyncExternalStore(sig.subscribe, sig.get, sig.get);
  const setValue = useCallback(
    (next) => (typeof next === 'function' ? sig.update(next) : sig.set(next)),
    [sig],
  );
  return [value, setValue];
}

const createOwner = pubSubOwners('react');

/**
 * Pub/sub bound to the calling component: subscriptions made through
 * `subscribe` are owned by this component instance and removed on unmount.
 * @returns {{ emit: (event: string, payload?: any) => number, subscribe: (event: string, handler: Function) => () => void, ownerId: string }}
 */
export function useMetamonPubSub(where) {
  const reactId = useId();
  // useId() is unique within one React root only; the counter makes the owner
  // id unique across roots too. With `where` (the module's import.meta) the id names the file.
  // The cleanup is an effect's (hooks cannot be registered from a callback).
  const ref = useRef(null);
  if (ref.current === null) ref.current = createOwner(`${ownerFile(where)}${reactId}`);
  const pubsub = ref.current;

  useEffect(() => () => {
    unsubscribeAll(pubsub.ownerId);
  }, [pubsub]);

  return pubsub;
}

/**
 * The local-state carrier of one `.mtm` component instance (see local.js); the compiler calls
 * it at the top of each component of a React `.mtm` file.
 */
export function useLocalState(meta, name) {
  const instance = useRef(null);
  if (instance.current === null) instance.current = localInstance(meta, name);
  useEffect(() => {
    const carrier = instance.current;
    carrier.revive();
    return () => carrier.release();
  }, []);
  return instance.current;
}
