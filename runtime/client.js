// Metamon HMR client, served at `/@metamon/client`: the entry the page loads. It wires the
// pieces in `hmr/` to this page — the socket, the shared HMRClient, the overlay, the feedback
// — and dispatches the server's messages (`hmr/protocol.js` describes them). A plain-JS port of
// Vite's browser client; its shared HMR logic (Vite's HMRContext / HMRClient) is in
// hmr/hot-context.js and hmr/update.js.
//
// Every hot-updatable module starts with
//   import { createHotContext as __mtm_hot } from "/@metamon/client";import.meta.hot = __mtm_hot("/src/App.mtm");
// and compiled CSS modules import `updateStyle` / `removeStyle` from here too.
//
// It stays at the top of runtime/ (not in hmr/): relative imports resolve against the URL
// `/@metamon/client`, whose folder is runtime/ itself.
//
// This file can be imported in Node (tests): nothing touches `window`,
// `document` or `WebSocket` at import time unless they exist.
//
// Events dispatched on `window` (for other runtime pieces / a later recovery layer):
//   metamon:hmr-error          detail: { phase, path, acceptedPath, timestamp, error, message }
//   metamon:before-full-reload detail: { path }
//   metamon:after-update       detail: { updates, files, timing, receivedAt, appliedAt, ok }
//   metamon:errors             detail: { errors }   (each `errors` message, also an empty list)
// Debug surface: window.__METAMON_HMR__ (hmr/debug.js); the stable surface for tools and
// tests is window.__METAMON__ (hmr/introspection.js, built on these events).

import './hmr/state.js';
import './hmr/introspection.js';
import { clientOptions } from './hmr/recovery.js';
import { createFeedback } from './hmr/feedback.js';
import { debugState, dispatchWindowEvent, nowMs } from './hmr/debug.js';
import { HMRClient } from './hmr/update.js';
import { HMRContext } from './hmr/hot-context.js';
import { applyCssUpdate } from './hmr/css.js';
import { showErrors, setClientErrors } from './hmr/overlay.js';
import { watchWindowErrors, locateInBrowser } from './hmr/error-capture.js';
import { sendToServer, flushMessageBuffer, startSocket } from './hmr/socket.js';

export { debugState } from './hmr/debug.js';
export { stripTimestamp, withTimestamp } from './hmr/urls.js';
export { HMRContext } from './hmr/hot-context.js';
export { HMRClient } from './hmr/update.js';
export { updateStyle, removeStyle } from './hmr/css.js';
export { overlayTagName, errorsToText, clearErrorOverlay, hasErrorOverlay, showErrors } from './hmr/overlay.js';
export { clientOptions } from './hmr/recovery.js';

/**
 * @typedef {import('./hmr/protocol.js').HMRPayload} HMRPayload
 * @typedef {import('./hmr/protocol.js').ConnectedPayload} ConnectedPayload
 * @typedef {import('./hmr/protocol.js').UpdatePayload} UpdatePayload
 * @typedef {import('./hmr/protocol.js').CustomPayload} CustomPayload
 * @typedef {import('./hmr/protocol.js').FullReloadPayload} FullReloadPayload
 * @typedef {import('./hmr/protocol.js').PrunePayload} PrunePayload
 * @typedef {import('./hmr/protocol.js').ErrorsPayload} ErrorsPayload
 * @typedef {import('./hmr/protocol.js').ViteErrorPayload} ViteErrorPayload
 */

const hasWindow = typeof window !== 'undefined';
const g = typeof globalThis !== 'undefined' ? globalThis : {};

const feedback = createFeedback({ options: clientOptions });

export const hmrClient = new HMRClient({
  send: sendToServer,
  debugState,
  dispatch: dispatchWindowEvent,
  options: () => (hasWindow ? window.__METAMON_CONFIG__ : undefined),
  feedback,
  onErrorsChanged: setClientErrors,
  snapshotRunningVersion: true,
  reload: (path, detail) => pageReload(path, detail),
  watchErrors: watchWindowErrors,
  locate: hasWindow && typeof fetch === 'function' ? locateInBrowser : undefined,
  settle: async () => {
    const pending = g.__METAMON_HMR_PENDING__;
    if (pending && pending.size) await Promise.allSettled([...pending]);
    // One task more: Vue / Svelte re-render on microtasks; errors they raise land here.
    if (hasWindow) await new Promise((r) => setTimeout(r, 0));
  },
});

/** `import.meta.hot` for the module served at `ownerPath`. */
export function createHotContext(ownerPath) {
  return new HMRContext(hmrClient, ownerPath);
}

let pendingReload = null;
function pageReload(path, detail = {}) {
  if (pendingReload) return;
  dispatchWindowEvent('metamon:before-full-reload', { path, ...detail });
  pendingReload = setTimeout(() => {
    if (hasWindow) window.location.reload();
  }, 20);
}

/** Runs `fn` once the page has loaded (its entries evaluated, with bundled dev serving) and is
 * idle (rendered). */
function whenLoadedAndIdle(fn) {
  const idle = () => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => fn(), { timeout: 5000 });
    else setTimeout(fn, 1000);
  };
  if (typeof document === 'undefined') return;
  const registry = globalThis.__METAMON_REGISTRY__;
  if (registry?.pageLoaded) registry.pageLoaded.then(idle);
  else if (document.readyState === 'complete') idle();
  else window.addEventListener('load', idle, { once: true });
}

/** What each server message does, by `type`. */
const messageHandlers = {
  /** @param {ConnectedPayload} payload */
  connected(payload) {
    console.log('[metamon] connected.');
    debugState.connected = true;
    flushMessageBuffer();
    whenLoadedAndIdle(() => sendToServer({ type: 'custom', event: 'metamon:page-loaded' }));
  },

  /** @param {UpdatePayload} payload */
  async update(payload) {
    // Introspection (__METAMON__.lastUpdate()): when the message arrived (set by the
    // socket listener; now for direct calls) and whether every entry applied.
    const receivedAt = payload.receivedAt ?? nowMs();
    const failedBefore = debugState.failed;
    await hmrClient.notifyListeners('beforeUpdate', payload);
    await Promise.all(
      (payload.updates || []).map((update) =>
        update.type === 'css-update'
          ? applyCssUpdate(update, (phase, u, e) => hmrClient.reportError(phase, u, e))
          : hmrClient.queueUpdate(update),
      ),
    );
    await hmrClient.notifyListeners('afterUpdate', payload);
    // Applied (queueUpdate waited for __METAMON_HMR_PENDING__, i.e. React's re-render).
    dispatchWindowEvent('metamon:after-update', {
      updates: payload.updates,
      files: payload.files || [],
      timing: payload.timing || null,
      receivedAt,
      appliedAt: nowMs(),
      ok: debugState.failed === failedBefore,
    });
  },

  /** @param {CustomPayload} payload */
  async custom(payload) {
    if (payload.event === 'metamon:notice' && typeof payload.data?.message === 'string') feedback.warn(payload.data.message);
    await hmrClient.notifyListeners(payload.event, payload.data);
  },

  /** @param {FullReloadPayload} payload */
  async 'full-reload'(payload) {
    await hmrClient.notifyListeners('beforeFullReload', payload);
    if (!hasWindow) return;
    if (payload.path && payload.path.endsWith('.html')) {
      // Only reload if the browser is on the edited page.
      const pagePath = decodeURI(window.location.pathname);
      if (
        pagePath === payload.path ||
        payload.path === '/index.html' ||
        (pagePath.endsWith('/') && pagePath + 'index.html' === payload.path)
      ) {
        pageReload(payload.path);
      }
    } else {
      pageReload(payload.path);
    }
  },

  /** @param {PrunePayload} payload */
  async prune(payload) {
    await hmrClient.notifyListeners('beforePrune', payload);
    await hmrClient.prunePaths(payload.paths || []);
  },

  /** @param {ErrorsPayload} payload */
  async errors(payload) {
    const errors = payload.errors || [];
    const before = new Set((debugState.serverErrors || []).map(errorKey));
    showErrors(errors);
    dispatchWindowEvent('metamon:errors', { errors }); // for introspection
    // Vite's `vite:error` payload, once for each error new to the list.
    for (const error of errors) {
      if (before.has(errorKey(error))) continue;
      const err = {
        message: error.message,
        stack: '',
        id: error.file,
        frame: error.frame,
        loc: { file: error.file, line: error.line, column: error.column },
      };
      await hmrClient.notifyListeners('vite:error', { type: 'error', err });
    }
  },

  /** @param {ViteErrorPayload} payload */
  async error(payload) {
    await hmrClient.notifyListeners('vite:error', payload);
    // Vite-style single error: show it too.
    const err = payload.err || payload.error || {};
    showErrors([
      {
        kind: 'error',
        file: err.loc?.file || err.id || '',
        line: err.loc?.line,
        column: err.loc?.column,
        message: err.message || String(err),
        frame: err.frame || '',
      },
    ]);
  },
};

const errorKey = (e) => `${e.file}:${e.line}:${e.column}:${e.message}`;

/**
 * Handles one server → client message (exported for tests/tools); unknown types are ignored.
 * @param {HMRPayload} payload
 */
export async function handleMessage(payload) {
  const handler = Object.hasOwn(messageHandlers, payload.type) ? messageHandlers[payload.type] : null;
  if (handler) await handler(payload);
}

// Updates are applied one message at a time, in order.
let messageChain = Promise.resolve();
function enqueueMessage(payload) {
  messageChain = messageChain
    .then(() => handleMessage(payload))
    .catch((e) => console.error('[metamon] failed to handle HMR message', payload, e));
  return messageChain;
}

if (hasWindow && typeof WebSocket !== 'undefined' && window.location && !g.__METAMON_CLIENT_STARTED__) {
  g.__METAMON_CLIENT_STARTED__ = true;
  startSocket({
    onMessage: enqueueMessage,
    onConnect: (webSocket) => hmrClient.notifyListeners('ws:connect', { webSocket }),
    onDisconnect: (webSocket) => hmrClient.notifyListeners('ws:disconnect', { webSocket }),
  });
}
