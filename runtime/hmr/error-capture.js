// Where the errors of an update come from in the page: those the runtimes report on the
// window while it is applied, and the `.mtm` position of an error's stack frame.

import { displayFile, locateInStack } from './recovery.js';
import { inlineSourceMap, originalPosition, codeFrame } from './sourcemap.js';

const hasWindow = typeof window !== 'undefined';

/**
 * Reports errors raised while an update is applied to `onError` until the returned stop():
 * `error` / `unhandledrejection` window events (React 19 reports render errors with
 * `reportError`; Vue's scheduler rejects) and Error objects logged with `console.error`
 * (Vue's HMR runtime catches a failing re-render and only logs it).
 */
export function watchWindowErrors(onError) {
  if (!hasWindow || typeof window.addEventListener !== 'function') return () => {};
  const seen = new Set();
  const report = (error, filename) => {
    if (seen.has(error)) return;
    seen.add(error);
    onError(error, filename);
  };
  const onErr = (ev) => report(ev.error || new Error(ev.message || 'error'), ev.filename);
  const onRejection = (ev) => report(ev.reason instanceof Error ? ev.reason : new Error(String(ev.reason)));
  window.addEventListener('error', onErr);
  window.addEventListener('unhandledrejection', onRejection);
  const originalError = console.error;
  const patched = function (...args) {
    for (const a of args) if (a instanceof Error) report(a);
    return originalError.apply(this, args);
  };
  console.error = patched;
  return () => {
    window.removeEventListener('error', onErr);
    window.removeEventListener('unhandledrejection', onRejection);
    if (console.error === patched) console.error = originalError;
  };
}

/** The `.mtm` position of `error` (stack frame in `path` + the module's inline source map). */
export async function locateInBrowser(error, path) {
  const served = locateInStack(error, path);
  if (!served) return null;
  const out = { file: displayFile(path), line: null, column: null, frame: '' };
  try {
    const res = await fetch(served.url);
    const map = inlineSourceMap(await res.text());
    const pos = originalPosition(map, served.line, served.column);
    if (pos) {
      out.line = pos.line;
      out.column = pos.column;
      out.frame = codeFrame(pos.content, pos.line, pos.column);
    }
  } catch {
    // no map: the module path only
  }
  return out;
}
