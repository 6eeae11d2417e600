// Update feedback for the HMR client: `<metamon-feedback>`, fixed at the top-right corner,
// in its own open shadow root (app CSS cannot reach it), `pointer-events: none` except its
// close buttons, `aria-live="polite"`.
//
//   - an indicator while an update is applied, shown only once it has taken longer than
//     INDICATOR_DELAY_MS (no flashing for fast updates); with several files, one row per file
//     (pending / done / failed);
//   - a success notice ("Updated src/Counter.mtm in 42 ms"), removed after SUCCESS_MS,
//     unless `showSuccessNotice` is false;
//   - warning notices (rollback, timeout, partial restore), removed after WARNING_MS or
//     with their close button.
//
// For tests and tools the host element has `data-state` (`applying` while the indicator
// shows, else `warning` / `success` while such a notice shows, else `idle`) and a plain-text
// copy of what it shows in its (unrendered) light DOM. Importable in Node: without a
// document nothing is rendered, but `controller.view()` still describes the state.

export const feedbackTagName = 'metamon-feedback';
export const INDICATOR_DELAY_MS = 100;
export const SUCCESS_MS = 2000;
export const WARNING_MS = 8000;

const hasDocument = () => typeof document !== 'undefined' && typeof customElements !== 'undefined';

const style = `
:host { all: initial; position: fixed; top: 12px; right: 12px; z-index: 2147483646; display: block;
  pointer-events: none; font: 13px/1.4 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.stack { display: flex; flex-direction: column; align-items: flex-end; gap: 8px; max-width: 360px; }
.card { background: rgba(24, 24, 24, 0.94); color: #eee; border-radius: 6px; padding: 8px 12px;
  box-shadow: 0 4px 16px rgba(0, 0, 0, 0.25); border-left: 4px solid #66ccff; display: flex; gap: 10px; align-items: flex-start; }
.card.success { border-left-color: #4caf50; }
.card.warning { border-left-color: #ffb74d; }
.card .text { white-space: pre-wrap; word-break: break-word; }
.dot { width: 8px; height: 8px; margin-top: 5px; border-radius: 50%; background: #66ccff; flex: none;
  animation: pulse 1s ease-in-out infinite; }
@keyframes pulse { 50% { opacity: 0.3; } }
@media (prefers-reduced-motion: reduce) { .dot { animation: none; } }
ul { list-style: none; margin: 4px 0 0; padding: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
li[data-status="done"] { color: #8bc34a; }
li[data-status="failed"] { color: #ff8a80; }
li[data-status="pending"] { color: #bbb; }
button { pointer-events: auto; font: inherit; color: #eee; background: transparent; border: 1px solid #555;
  border-radius: 4px; padding: 0 6px; cursor: pointer; line-height: 1.4; }
button:hover, button:focus-visible { background: #333; outline: 2px solid #ffcc66; }
`;

const escapeHtml = (s) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const STATUS_TEXT = { pending: 'pending', done: 'done', failed: 'failed' };

function defineElement() {
  if (!hasDocument()) return null;
  const existing = customElements.get(feedbackTagName);
  if (existing) return existing;
  class MetamonFeedback extends HTMLElement {
    constructor() {
      super();
      this.root = this.attachShadow({ mode: 'open' });
      this.onClose = null;
    }
    render(view) {
      this.setAttribute('data-state', view.state);
      this.textContent = viewToText(view);
      const cards = [];
      if (view.applying) {
        const rows = view.applying.files.length > 1
          ? `<ul>${view.applying.files.map((f) => `<li data-status="${f.status}">${escapeHtml(f.file)}: ${STATUS_TEXT[f.status]}</li>`).join('')}</ul>`
          : '';
        cards.push(`<div class="card applying" role="status"><span class="dot" aria-hidden="true"></span><div class="text">${escapeHtml(view.applying.title)}${rows}</div></div>`);
      }
      for (const n of view.notices) {
        const close = n.kind === 'warning' ? `<button type="button" data-id="${n.id}" aria-label="Dismiss notice">×</button>` : '';
        cards.push(`<div class="card ${n.kind}" role="${n.kind === 'warning' ? 'alert' : 'status'}"><div class="text">${escapeHtml(n.message)}</div>${close}</div>`);
      }
      this.root.innerHTML = `<style>${style}</style><div class="stack" aria-live="polite">${cards.join('')}</div>`;
      this.root.querySelectorAll('button[data-id]').forEach((b) =>
        b.addEventListener('click', () => this.onClose && this.onClose(Number(b.dataset.id))),
      );
    }
  }
  customElements.define(feedbackTagName, MetamonFeedback);
  return MetamonFeedback;
}

/** Plain text of a view (the element's light-DOM copy). */
export function viewToText(view) {
  const parts = [];
  if (view.applying) {
    parts.push(view.applying.title);
    if (view.applying.files.length > 1) for (const f of view.applying.files) parts.push(`${f.file}: ${f.status}`);
  }
  for (const n of view.notices) parts.push(n.message);
  return parts.join('\n');
}

/**
 * The feedback controller. `options()` returns the client options (read on each use);
 * `timers` defaults to the global timers (tests pass fakes).
 */
export function createFeedback({ options = () => ({}), timers = globalThis } = {}) {
  let applying = null; // { title, files: [{ file, status }], visible }
  let indicatorTimer = null;
  let notices = []; // { id, kind, message }
  let nextId = 1;
  let el = null;

  const view = () => {
    const visibleApplying = applying && applying.visible ? applying : null;
    const state = visibleApplying
      ? 'applying'
      : notices.some((n) => n.kind === 'warning')
        ? 'warning'
        : notices.length
          ? 'success'
          : 'idle';
    return {
      state,
      applying: visibleApplying && { title: visibleApplying.title, files: visibleApplying.files.map((f) => ({ ...f })) },
      notices: notices.map((n) => ({ ...n })),
    };
  };

  const render = () => {
    if (!hasDocument() || !document.body) return;
    const v = view();
    if (v.state === 'idle') {
      if (el) el.remove();
      el = null;
      return;
    }
    if (!defineElement()) return;
    if (!el || !el.isConnected) {
      el = document.querySelector(feedbackTagName) || document.createElement(feedbackTagName);
      el.onClose = (id) => dismiss(id);
      if (!el.isConnected) document.body.appendChild(el);
    }
    el.render(v);
  };

  function dismiss(id) {
    const before = notices.length;
    notices = notices.filter((n) => n.id !== id);
    if (notices.length !== before) render();
  }

  function notice(kind, message, ms) {
    const id = nextId++;
    notices = [...notices.filter((n) => !(n.kind === kind && n.message === message)), { id, kind, message }];
    // Success notices replace each other; only the latest stays.
    if (kind === 'success') notices = notices.filter((n) => n.kind !== 'success' || n.id === id);
    timers.setTimeout(() => dismiss(id), ms);
    render();
    return id;
  }

  return {
    view,
    /** An update of `files` starts; the indicator appears if it is still running after INDICATOR_DELAY_MS. */
    start(files) {
      const list = [...new Set(files)];
      if (indicatorTimer) timers.clearTimeout(indicatorTimer);
      applying = {
        title: list.length > 1 ? `Updating ${list.length} files…` : `Updating ${list[0] || 'modules'}…`,
        files: list.map((file) => ({ file, status: 'pending' })),
        visible: false,
      };
      const current = applying;
      indicatorTimer = timers.setTimeout(() => {
        indicatorTimer = null;
        if (applying === current) {
          current.visible = true;
          render();
        }
      }, INDICATOR_DELAY_MS);
    },
    /** Per-file progress: status is 'pending' | 'done' | 'failed'. */
    progress(file, status) {
      if (!applying) return;
      const row = applying.files.find((f) => f.file === file);
      if (row) row.status = status;
      else applying.files.push({ file, status });
      if (applying.visible) render();
    },
    /** The update ended; `ok` with `ms` shows the success notice (when enabled). */
    finish({ ok, files = [], ms = 0 } = {}) {
      if (indicatorTimer) timers.clearTimeout(indicatorTimer);
      indicatorTimer = null;
      applying = null;
      if (ok && options().showSuccessNotice !== false) {
        const list = [...new Set(files)];
        const what = list.length === 1 ? list[0] : list.length ? `${list.length} files` : 'modules';
        notice('success', `Updated ${what} in ${Math.round(ms)} ms`, SUCCESS_MS);
      } else {
        render();
      }
    },
    warn(message) {
      return notice('warning', message, WARNING_MS);
    },
    dismiss,
  };
}
