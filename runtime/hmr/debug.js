// What the HMR client reports about itself: the counters on `window.__METAMON_HMR__` (a
// debug surface that may change) and the `metamon:*` window events that introspection.js
// turns into the stable `window.__METAMON__`. Importable in Node: without a window the events
// go nowhere and the counters live on globalThis.

const hasWindow = typeof window !== 'undefined';
const g = typeof globalThis !== 'undefined' ? globalThis : {};

/**
 * window.__METAMON_HMR__ (globalThis in Node):
 *   updates       number of update entries applied successfully (js + css)
 *   failed        number of update entries whose import / callbacks threw
 *   skipped       number of js-updates for modules that are not loaded (ignored, like Vite)
 *   lastUpdate    { type, path, acceptedPath, timestamp, ok, error? } of the last processed entry
 *   errors        errors raised while applying updates: { phase, path, acceptedPath, message, timestamp }
 *   serverErrors  the last `errors` list received from the server (what the overlay shows)
 *   connected     whether the WebSocket is open
 */
export function createDebugState() {
  return {
    updates: 0,
    failed: 0,
    skipped: 0,
    lastUpdate: null,
    errors: [],
    serverErrors: [],
    connected: false,
  };
}
export const debugState =
  g.__METAMON_HMR__ && typeof g.__METAMON_HMR__ === 'object'
    ? g.__METAMON_HMR__
    : (g.__METAMON_HMR__ = createDebugState());

/** Epoch milliseconds (introspection timings; the same clock as the server's `timing`). */
export const nowMs = () => Date.now();

export function dispatchWindowEvent(name, detail) {
  if (!hasWindow || typeof window.dispatchEvent !== 'function') return;
  try {
    const ev =
      typeof CustomEvent === 'function'
        ? new CustomEvent(name, { detail })
        : Object.assign(new Event(name), { detail });
    window.dispatchEvent(ev);
  } catch (e) {
    console.error(e);
  }
}
