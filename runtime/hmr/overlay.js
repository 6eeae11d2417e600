// The error overlay: `<metamon-error-overlay>`, a panel docked at the bottom of the page in
// an open shadow root, listing the server's compile errors (`errors` messages) merged with
// the client's own (updates that failed to apply, timeouts).
//
// For tests and tools: `data-file`, `data-line`, `data-column` (first error) and `data-count`
// attributes; its light-DOM `textContent` holds a plain-text copy of all errors
// ("[kind] file:line:column\nmessage\nframe", not rendered), and the visible UI is in
// `el.shadowRoot` (so `el.shadowRoot.textContent` works as well).

import { ERROR_KINDS, clientOptions } from './recovery.js';
import { debugState } from './debug.js';

/** @typedef {import('./protocol.js').CompileError} CompileError */

const hasDocument = typeof document !== 'undefined';

export const overlayTagName = 'metamon-error-overlay';

function escapeHtml(s) {
  return String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function errorLocation(err) {
  let loc = err.file || '<unknown>';
  if (err.line != null) loc += ':' + err.line;
  if (err.line != null && err.column != null) loc += ':' + err.column;
  return loc;
}

/** Plain-text rendering of the error list (also put in the overlay's light DOM). */
export function errorsToText(errors) {
  return errors
    .map((e) => {
      const head = `${e.kind ? `[${e.kind}] ` : ''}${errorLocation(e)}`;
      return [head, e.message || '', e.frame || ''].filter(Boolean).join('\n');
    })
    .join('\n\n');
}

const overlayStyle = `
:host {
  all: initial;
  /* A panel docked at the bottom, not a modal: the app above keeps working with its state. */
  position: fixed; left: 0; right: 0; bottom: 0; z-index: 2147483647;
  display: block;
  font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #e8e8e8;
}
.backdrop {
  max-height: 55vh; overflow-y: auto; padding: 0 16px 16px; box-sizing: border-box;
}
.window {
  max-width: 960px; margin: 0 auto; background: #181818; border-radius: 8px;
  border-top: 6px solid #ff5555; box-shadow: 0 16px 48px rgba(0, 0, 0, 0.5);
  padding: 20px 24px; box-sizing: border-box; outline: none;
}
.window:focus-visible { box-shadow: 0 0 0 3px #ffcc66, 0 16px 48px rgba(0, 0, 0, 0.5); }
header { display: flex; align-items: center; justify-content: space-between; gap: 16px; }
h2 { margin: 0; font-size: 16px; font-weight: 600; color: #ff7777; }
button.close {
  font: inherit; font-size: 14px; color: #e8e8e8; background: #333; border: 1px solid #555;
  border-radius: 4px; padding: 4px 10px; cursor: pointer;
}
button.close:hover, button.close:focus-visible { background: #444; outline: 2px solid #ffcc66; }
ol { list-style: none; margin: 0; padding: 0; }
li { margin-top: 18px; }
.file { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #66ccff; font-size: 13px; }
.kind { color: #aaa; font-size: 12px; margin-right: 6px; }
.message { margin: 6px 0; font-size: 14px; color: #ffaaaa; white-space: pre-wrap; word-break: break-word; }
pre.frame {
  margin: 8px 0 0; padding: 12px; background: #111; border-radius: 4px; overflow-x: auto;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px;
  line-height: 1.45; color: #ddd;
}
.tip { margin-top: 18px; font-size: 12px; color: #999; }
`;

function defineOverlayElement() {
  if (typeof customElements === 'undefined' || typeof HTMLElement === 'undefined') return null;
  const existing = customElements.get(overlayTagName);
  if (existing) return existing;

  class MetamonErrorOverlay extends HTMLElement {
    constructor() {
      super();
      this.root = this.attachShadow({ mode: 'open' });
      this.errors = [];
      this.onKeydown = (e) => {
        if (e.key === 'Escape') this.close();
      };
    }

    connectedCallback() {
      // No focus stealing: the developer may be typing in the app.
      document.addEventListener('keydown', this.onKeydown);
    }

    disconnectedCallback() {
      document.removeEventListener('keydown', this.onKeydown);
    }

    setErrors(errors) {
      this.errors = errors;
      const first = errors[0] || {};
      this.setAttribute('data-file', first.file ?? '');
      this.setAttribute('data-line', first.line != null ? String(first.line) : '');
      this.setAttribute('data-column', first.column != null ? String(first.column) : '');
      this.setAttribute('data-count', String(errors.length));
      // Light DOM copy of the text (not rendered: there is no <slot>), so tests
      // and tools can read `el.textContent` without going into the shadow root.
      this.textContent = errorsToText(errors);

      const items = errors
        .map(
          (e) => `<li>
  <div class="file"><span class="kind">${escapeHtml(ERROR_KINDS[e.kind] || e.kind || 'error')}</span>${escapeHtml(errorLocation(e))}</div>
  <div class="message">${escapeHtml(e.message)}</div>
  ${e.frame ? `<pre class="frame">${escapeHtml(e.frame)}</pre>` : ''}
</li>`,
        )
        .join('');
      const title =
        errors.length === 1 ? '1 error' : `${errors.length} errors`;
      this.root.innerHTML = `<style>${overlayStyle}</style>
<div class="backdrop" part="backdrop">
  <div class="window" role="alertdialog" aria-modal="false" aria-label="Metamon: ${escapeHtml(title)}" tabindex="-1" part="window">
    <header>
      <h2>${escapeHtml(title)}</h2>
      <button class="close" type="button" aria-label="Close error overlay">Close</button>
    </header>
    <ol>${items}</ol>
    <div class="tip">Fix the code and save: the overlay updates by itself. Press Esc to dismiss; the page keeps running its last good code.</div>
  </div>
</div>`;
      this.root.querySelector('button.close').addEventListener('click', () => this.close());
      this.root.querySelector('.window').addEventListener('click', (e) => e.stopPropagation());
    }

    close() {
      if (this.parentNode) this.parentNode.removeChild(this);
    }
  }

  customElements.define(overlayTagName, MetamonErrorOverlay);
  return MetamonErrorOverlay;
}

export function clearErrorOverlay() {
  if (!hasDocument) return;
  document.querySelectorAll(overlayTagName).forEach((n) => n.remove());
}

export function hasErrorOverlay() {
  return hasDocument && document.querySelectorAll(overlayTagName).length > 0;
}

let clientErrorList = [];

// The paths of what this page has requested (module scripts, stylesheets, the page itself): a
// server error is this page's when it names a module the page loaded, so a broken file that
// only another page (or no page) uses stays in the terminal.
const loadedPaths = new Set();
function noteLoaded(url) {
  try {
    const parsed = new URL(url, location.href);
    if (parsed.origin !== location.origin) return false;
    const path = decodeURIComponent(parsed.pathname);
    if (loadedPaths.has(path)) return false;
    loadedPaths.add(path);
    if (path.endsWith('/')) loadedPaths.add(path + 'index.html');
    return true;
  } catch {
    return false;
  }
}
if (hasDocument && typeof location !== 'undefined' && typeof PerformanceObserver !== 'undefined') {
  noteLoaded(location.href);
  try {
    new PerformanceObserver((list) => {
      let added = false;
      for (const entry of list.getEntries()) added = noteLoaded(entry.name) || added;
      // An import of a failing module: its error joins the overlay.
      if (added && (debugState.serverErrors || []).some((e) => e.module && isThisPagesError(e))) renderErrors();
    }).observe({ type: 'resource', buffered: true });
  } catch {
    // No resource timing: every error is shown.
    loadedPaths.clear();
  }
}

if (hasDocument) {
  // Bundled dev serving: modules arrive in packs; an error of one of them is now this page's.
  addEventListener('metamon:modules-loaded', () => {
    if ((debugState.serverErrors || []).some((e) => e.module && isThisPagesError(e))) renderErrors();
  });
}

/** Whether a server error belongs on this page: errors without a module (the config) always do. */
export function isThisPagesError(error) {
  if (!error.module || !loadedPaths.size) return true;
  // Bundled dev serving: modules arrive in packs, the page's registry knows them.
  return loadedPaths.has(error.module) || !!globalThis.__METAMON_REGISTRY__?.hasPath(error.module);
}

/**
 * Shows the server's `errors` ([{kind, file, line, column, message, frame}]) merged with the
 * client's own (failed updates: runtime errors, timeouts) in one overlay; no errors (or
 * `showErrorOverlay: false`) removes it. Errors are logged to the console either way.
 */
export function showErrors(errors) {
  debugState.serverErrors = errors || [];
  renderErrors();
}

export function setClientErrors(errors) {
  clientErrorList = errors || [];
  debugState.clientErrors = clientErrorList;
  renderErrors();
}

let lastLogged = '';
function renderErrors() {
  const all = [...(debugState.serverErrors || []).filter(isThisPagesError), ...clientErrorList];
  const text = errorsToText(all);
  if (all.length && text !== lastLogged) console.error('[metamon] errors:\n' + text);
  lastLogged = text;
  if (!hasDocument) return;
  if (!all.length || !clientOptions().showErrorOverlay) {
    clearErrorOverlay();
    return;
  }
  const Overlay = defineOverlayElement();
  if (!Overlay || !document.body) return;
  let el = document.querySelector(overlayTagName);
  if (!el) {
    el = document.createElement(overlayTagName);
    el.setErrors(all);
    document.body.appendChild(el);
  } else {
    el.setErrors(all);
  }
}
