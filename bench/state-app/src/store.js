// A store by hand: a counter at module level and its subscribers.
let count = 0;
const listeners = new Set();

export const label = 'clicks';

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getCount() {
  return count;
}

export function increment() {
  count += 1;
  for (const listener of listeners) listener();
}
