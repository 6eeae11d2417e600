// Metamon Vue adapter, served for `import … from 'metamon/vue'`.
//
//   const count = useMetamonSignal('cart:count', 0);   // a writable ref: count.value, {{ count }}
//   count.value++;                                      // writes the global signal
//   const { emit, subscribe } = useMetamonPubSub();
//   subscribe('cart:add', (item) => …);                 // removed when the component unmounts
//
// `vue` is rewritten by the dev server to the pre-bundled dependency.

import { customRef, getCurrentInstance, getCurrentScope, onScopeDispose, onUnmounted } from 'vue';
import { ownerFile, signal } from './core.js';
import { pubSubOwners } from './component-pubsub.js';

/**
 * The named global signal `key` (see `signal()` in core.js) as a writable Vue ref
 * (`customRef`): reading `.value` tracks, writing `.value` sets the signal, and
 * every change of the signal (from any framework) triggers Vue's dependents.
 * Refs are unwrapped in templates like any other ref.
 *
 * In a component's setup (or any effect scope) the subscription to the signal is
 * removed when the scope is disposed (component unmount); outside a scope it lives
 * as long as the page.
 * The signal handle is taken once: after `destroySignal(key)` the ref is detached.
 */
export function useMetamonSignal(key, initial) {
  const sig = signal(key, initial);
  let unsubscribe = null;
  const ref = customRef((track, trigger) => {
    unsubscribe = sig.subscribe(() => trigger());
    return {
      get() {
        track();
        return sig.get();
      },
      set(next) {
        sig.set(next);
      },
    };
  });
  if (getCurrentScope()) {
    onScopeDispose(() => {
      if (unsubscribe) unsubscribe();
      unsubscribe = null;
    });
  }
  return ref;
}

const createOwner = pubSubOwners('vue');
/** component instance → its pub/sub api (one owner and one cleanup per instance) */
const perInstance = new WeakMap();

function componentFile(instance) {
  const type = instance && instance.type;
  const file = type && (type.__file || type.__name || type.name);
  return typeof file === 'string' && file ? file : '';
}

/**
 * Pub/sub bound to the calling component: subscriptions made through
 * `subscribe` are owned by this component instance and removed in `onUnmounted`.
 * Called outside a component it still works, without automatic cleanup (call the
 * function returned by `subscribe`, or `unsubscribeAll(ownerId)` from 'metamon').
 * @returns {{ emit: (event: string, payload?: any) => number, subscribe: (event: string, handler: Function) => () => void, ownerId: string }}
 */
export function useMetamonPubSub(where) {
  const instance = getCurrentInstance();
  if (instance && perInstance.has(instance)) return perInstance.get(instance);

  if (!instance) return createOwner(null);
  const file = ownerFile(where) || componentFile(instance);
  const api = createOwner(`${instance.uid}${file ? `:${file}` : ''}`, (release) => onUnmounted(release, instance));
  perInstance.set(instance, api);
  return api;
}
