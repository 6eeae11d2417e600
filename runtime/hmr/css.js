// CSS hot updates: `<link rel=stylesheet>` swapped for a new version (`css-update`), and
// `<style data-metamon-id>` elements the compiled CSS modules keep up to date themselves
// (`updateStyle` / `removeStyle`, imported from `/@metamon/client`).

import { cleanUrl, withTimestamp } from './urls.js';
import { debugState } from './debug.js';

/** @typedef {import('./protocol.js').Update} Update */

const hasDocument = typeof document !== 'undefined';

const outdatedLinkTags = new WeakSet();

function updateLinkStylesheet(update) {
  const { path, timestamp } = update;
  const searchUrl = cleanUrl(path);
  const el = Array.from(document.querySelectorAll('link')).find(
    (e) =>
      !outdatedLinkTags.has(e) &&
      /(^|\s)stylesheet(\s|$)/i.test(e.rel || '') &&
      cleanUrl(e.href).endsWith(searchUrl),
  );
  if (!el) return Promise.resolve(false);
  return new Promise((resolve) => {
    const newLinkTag = el.cloneNode();
    // The link's own query (`?param=required`) stays; only the version changes.
    const current = new URL(el.href);
    newLinkTag.href = current.origin + withTimestamp(current.pathname + current.search, timestamp) + current.hash;
    let done = false;
    const removeOldEl = () => {
      if (done) return;
      done = true;
      el.remove();
      resolve(true);
    };
    newLinkTag.addEventListener('load', removeOldEl);
    newLinkTag.addEventListener('error', removeOldEl);
    outdatedLinkTags.add(el);
    el.after(newLinkTag);
  });
}

const sheetsMap = new Map();
let lastInsertedStyle;

/** Inserts or replaces `<style data-metamon-id=id>` in <head> (CSS served as JS). */
export function updateStyle(id, content) {
  if (!hasDocument) return;
  let style = sheetsMap.get(id);
  if (!style) {
    style = Array.from(document.querySelectorAll('style[data-metamon-id]')).find(
      (s) => s.getAttribute('data-metamon-id') === id,
    );
  }
  if (!style) {
    style = document.createElement('style');
    style.setAttribute('type', 'text/css');
    style.setAttribute('data-metamon-id', id);
    style.textContent = content;
    if (!lastInsertedStyle || !lastInsertedStyle.isConnected) {
      document.head.appendChild(style);
      // Reset after the current task: styles of one import batch stay in order.
      setTimeout(() => {
        lastInsertedStyle = undefined;
      }, 0);
    } else {
      lastInsertedStyle.insertAdjacentElement('afterend', style);
    }
    lastInsertedStyle = style;
  } else if (style.textContent !== content) {
    style.textContent = content;
  }
  sheetsMap.set(id, style);
}

export function removeStyle(id) {
  if (!hasDocument) return;
  const style =
    sheetsMap.get(id) ||
    Array.from(document.querySelectorAll('style[data-metamon-id]')).find(
      (s) => s.getAttribute('data-metamon-id') === id,
    );
  if (style) {
    style.remove();
    sheetsMap.delete(id);
    if (lastInsertedStyle === style) lastInsertedStyle = undefined;
  }
}

/**
 * Applies a `css-update` entry (a `<link rel=stylesheet>` to swap) and counts it on the debug
 * state; `reportError(phase, update, error)` gets a failure.
 * @param {Update} update
 */
export async function applyCssUpdate(update, reportError) {
  let ok = true;
  try {
    const found = hasDocument ? await updateLinkStylesheet(update) : false;
    if (!found) {
      // Not a <link>: CSS imported from JS is a JS module calling updateStyle();
      // nothing to swap here (the server sends a js-update for those).
      debugState.skipped++;
      debugState.lastUpdate = { ...update, ok: false, skipped: true };
      return;
    }
  } catch (e) {
    ok = false;
    reportError('css', update, e);
  }
  if (ok) {
    debugState.updates++;
    debugState.lastUpdate = { ...update, ok: true };
    console.log(`[metamon] css hot updated: ${update.path}`);
  } else {
    debugState.failed++;
    debugState.lastUpdate = { ...update, ok: false };
  }
}
