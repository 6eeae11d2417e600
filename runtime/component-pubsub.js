// The part of `useMetamonPubSub` the four framework adapters (react.js, vue.js, svelte.js,
// solid.js) share: owner ids, the `{ ownerId, emit, subscribe }` object, and the removal of
// an owner's subscriptions. Each adapter only ties that removal to its own lifecycle hook.
// No bare imports: the dev server pre-bundles the bare imports of the file a module imports
// (the adapter), not of the files that one imports in turn.

import { emit, subscribe, unsubscribeAll } from './core.js';

/**
 * The pub/sub owners of one framework, numbered in creation order:
 * `<framework>:<label>#<n>` for a component, `<framework>:global#<n>` outside one.
 * @param {string} framework the owner id prefix (`react`, `vue`, …)
 */
export function pubSubOwners(framework) {
  let created = 0;
  /**
   * A new owner's pub/sub. `label` names the component in its id (`null`: not in a
   * component); `bindCleanup(release)` ties the removal of its subscriptions to the component
   * (throwing means not in a component after all: the owner is a global one, never released).
   * @param {string | null} label
   * @param {(release: () => void) => void} [bindCleanup]
   * @returns {{ emit: (event: string, payload?: any) => number, subscribe: (event: string, handler: Function) => () => void, ownerId: string }}
   */
  return function createOwner(label, bindCleanup) {
    const n = ++created;
    let ownerId = label === null ? `${framework}:global#${n}` : `${framework}:${label}#${n}`;
    if (label !== null && bindCleanup) {
      const componentOwner = ownerId;
      try {
        bindCleanup(() => {
          unsubscribeAll(componentOwner);
        });
      } catch {
        ownerId = `${framework}:global#${n}`;
      }
    }
    return Object.freeze({
      ownerId,
      emit,
      subscribe: (event, handler) => subscribe(event, handler, ownerId),
    });
  };
}
