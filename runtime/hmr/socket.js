// The WebSocket to the dev server: messages the client sends wait in a buffer until it is
// open; server messages are parsed and handed on; a lost connection polls for the restarted
// server, then reloads the page.

import { debugState, dispatchWindowEvent, nowMs } from './debug.js';

/** @typedef {import('./protocol.js').HMRPayload} HMRPayload */
/** @typedef {import('./protocol.js').ClientPayload} ClientPayload */

let socket = null;
let wasConnected = false;
let isUnloading = false;
let pollingForRestart = false;
const messageBuffer = [];

/** @param {ClientPayload} payload sent now, or once the socket is open */
export function sendToServer(payload) {
  const data = JSON.stringify(payload);
  if (socket && typeof WebSocket !== 'undefined' && socket.readyState === WebSocket.OPEN) {
    socket.send(data);
  } else {
    messageBuffer.push(data);
  }
}

export function flushMessageBuffer() {
  if (!socket || typeof WebSocket === 'undefined' || socket.readyState !== WebSocket.OPEN) return;
  while (messageBuffer.length) socket.send(messageBuffer.shift());
}

/** @type {{ onMessage(payload: HMRPayload): void, onConnect(socket: WebSocket): void, onDisconnect(socket: WebSocket): void }} */
let handlers = { onMessage() {}, onConnect() {}, onDisconnect() {} };

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitForServer() {
  for (;;) {
    if (document.visibilityState !== 'hidden') {
      try {
        const res = await fetch('/', { cache: 'no-store' });
        if (res.ok || res.status < 500) return;
      } catch {
        // still down
      }
    }
    await sleep(500);
  }
}

function connect() {
  const protocol = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${protocol}://${window.location.host}/@metamon/ws`;
  let closed = false;
  try {
    socket = new WebSocket(url);
  } catch (e) {
    console.error('[metamon] failed to open the HMR WebSocket', e);
    setTimeout(connect, 1000);
    return;
  }
  socket.addEventListener('open', () => {
    wasConnected = true;
    debugState.connected = true;
    flushMessageBuffer();
    handlers.onConnect(socket);
  });
  socket.addEventListener('message', (ev) => {
    let payload;
    try {
      payload = JSON.parse(ev.data);
    } catch (e) {
      console.error('[metamon] bad HMR message', ev.data);
      return;
    }
    // Introspection: arrival time, before waiting behind earlier messages (transfer phase).
    if (payload && payload.type === 'update') {
      payload.receivedAt = nowMs();
      // Bundled dev serving: the new versions come with the update (no pack request).
      if (payload.modules) globalThis.__METAMON_REGISTRY__?.offer(payload.modules);
    }
    handlers.onMessage(payload);
  });
  const onClose = async () => {
    if (closed) return;
    closed = true;
    debugState.connected = false;
    if (isUnloading) return;
    handlers.onDisconnect(socket);
    if (!wasConnected) {
      // Never connected (server not ready yet): just try again, no reload.
      setTimeout(connect, 1000);
      return;
    }
    if (pollingForRestart) return;
    pollingForRestart = true;
    console.log('[metamon] server connection lost. Polling for restart...');
    await waitForServer();
    dispatchWindowEvent('metamon:before-full-reload', { path: null, reason: 'server-restart' });
    window.location.reload();
  };
  socket.addEventListener('close', onClose);
  socket.addEventListener('error', () => {
    // a `close` event follows
  });
}

/**
 * Connects to the dev server's `/@metamon/ws` and keeps connected: a socket that never opened
 * is retried; one that closes after being open means the server went away, so the page waits
 * for it to answer again and reloads.
 * @param {{ onMessage(payload: HMRPayload): void, onConnect(socket: WebSocket): void, onDisconnect(socket: WebSocket): void }} messageHandlers
 */
export function startSocket(messageHandlers) {
  handlers = messageHandlers;
  window.addEventListener('beforeunload', () => {
    isUnloading = true;
  });
  connect();
}
