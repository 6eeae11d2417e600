// Metamon test helpers for app authors: check in your own tests, against a real browser, that
// hot reload keeps your app's state. Plain ESM, Node built-ins only; every page helper takes
// the Playwright `page` you pass in (playwright-core or @playwright/test). See README.md here.
//
// Everything in the page goes through `window.__METAMON__` (runtime/introspection.js), the
// runtime's stable introspection surface under `metamon dev`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_TIMEOUT = 15000;
/** origin (`http://127.0.0.1:5173`) → root folder of a server started by startDevServer */
const roots = new Map();

// ---------------------------------------------------------------------------
// Dev server
// ---------------------------------------------------------------------------

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The `metamon` binary: options.binary, $METAMON_BIN, `metamon` on PATH, the repo's target/debug/metamon. */
export function findBinary(binary) {
  if (binary) return binary;
  if (process.env.METAMON_BIN) return process.env.METAMON_BIN;
  const exe = process.platform === 'win32' ? 'metamon.exe' : 'metamon';
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, exe))) return path.join(dir, exe);
  }
  const local = path.resolve(here, '..', 'target', 'debug', exe);
  if (isExecutable(local)) return local;
  throw new Error(
    'metamon binary not found: pass { binary }, set METAMON_BIN, put `metamon` on PATH, or build it (cargo build -p metamon)',
  );
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs `metamon dev ROOT --port N` and resolves once it prints its `Local: http://…` URL.
 * @param {string} root the app folder (with its index.html)
 * @param {{ binary?: string, port?: number, args?: string[], env?: object, timeout?: number }} [options]
 * @returns {Promise<{ url: string, port: number, root: string, process: import('node:child_process').ChildProcess, output(): string, close(): Promise<void> }>}
 */
export async function startDevServer(root, options = {}) {
  const binary = findBinary(options.binary);
  const absRoot = path.resolve(root);
  const args = options.args || [];
  const port = options.port ?? (args.includes('--port') ? null : await freePort());
  const child = spawn(binary, ['dev', absRoot, ...(port != null ? ['--port', String(port)] : []), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(options.env || {}) },
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const killOnExit = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.once('exit', killOnExit);
  let url;
  try {
    url = await new Promise((resolve, reject) => {
      const timeout = options.timeout ?? 120000;
      const timer = setTimeout(() => reject(new Error(`metamon dev did not print its URL within ${timeout} ms:\n${output}`)), timeout);
      const onData = () => {
        const match = output.match(/Local:\s+(https?:\/\/\S+)/);
        if (match) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.off('exit', onExit);
          resolve(match[1].replace(/\/$/, ''));
        }
      };
      const onExit = (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`metamon dev exited (${code ?? signal}) before printing its URL:\n${output}`));
      };
      child.stdout.on('data', onData);
      child.on('exit', onExit);
      child.on('error', (err) => { clearTimeout(timer); reject(new Error(`cannot run ${binary}: ${err.message}`)); });
    });
  } catch (err) {
    killOnExit();
    process.off('exit', killOnExit);
    throw err;
  }
  const origin = new URL(url).origin;
  roots.set(origin, absRoot);
  return {
    url,
    port: Number(new URL(url).port),
    root: absRoot,
    process: child,
    output: () => output,
    /** Sends a custom event to every page: their `import.meta.hot.on(event)` listeners get `data`. */
    async send(event, data) {
      const res = await fetch(`${url}/@metamon/events`, { method: 'POST', body: JSON.stringify({ event, data }) });
      if (!res.ok) throw new Error(`sending ${event} failed: ${res.status} ${await res.text()}`);
    },
    /** What pages sent with `import.meta.hot.send` (and `vite:client:connect` / `disconnect`), oldest first: `[{ event, data }]`. */
    async events() {
      const res = await fetch(`${url}/@metamon/events`);
      return res.json();
    },
    /** Resolves with the first event named `event` a page sent (`{ event, data }`), polling `events()`. */
    async waitForEvent(event, { timeout = 15000 } = {}) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const found = (await this.events()).find((e) => e.event === event);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no page sent ${event} within ${timeout} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      roots.delete(origin);
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/** Absolute path of `file`: as is, or relative to the root of the server `page` is on (else cwd). */
function resolveFile(page, file, root) {
  if (path.isAbsolute(file)) return file;
  if (root) return path.resolve(root, file);
  try {
    const base = roots.get(new URL(page.url()).origin);
    if (base) return path.resolve(base, file);
  } catch {
    // about:blank or the like
  }
  return path.resolve(file);
}

/** Writes like an editor: a temp file next to it, renamed over it. */
function atomicWrite(file, content) {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  fs.writeFileSync(temp, content);
  fs.renameSync(temp, file);
}

// ---------------------------------------------------------------------------
// Page side
// ---------------------------------------------------------------------------

async function ensureRuntime(page, timeout) {
  await page
    .waitForFunction(() => !!(window.__METAMON__ && window.__METAMON_HMR__ && window.__METAMON_HMR__.connected), null, { timeout, polling: 20 })
    .catch((err) => {
      throw new Error(
        `the page has no connected Metamon runtime (window.__METAMON__): is it served by \`metamon dev\`? (${err.message})`,
      );
    });
}

/** Installs a recorder of __METAMON__ events on the page; `token` identifies this page load. */
function arm(page, token) {
  return page.evaluate((token) => {
    const M = window.__METAMON__;
    const old = window.__METAMON_TEST__;
    if (old && typeof old.stop === 'function') old.stop();
    const rec = { token, events: [], errorsBefore: M.errors() };
    const offs = ['update', 'error', 'full-reload'].map((type) =>
      M.on(type, (detail) => rec.events.push({ type, at: Date.now(), detail })),
    );
    rec.stop = () => offs.forEach((off) => off());
    window.__METAMON_TEST__ = rec;
    return { errorsBefore: rec.errorsBefore, lastSeq: M.lastUpdate() ? M.lastUpdate().seq : 0 };
  }, token);
}

/** In-page predicate (serialised by Playwright): the outcome of the change, or null. */
function outcomePredicate({ token, file }) {
  const sameFile = (f) => {
    if (typeof f !== 'string' || !f) return false;
    const clean = f.replace(/[?#].*$/, '').replace(/^\/+/, '');
    return file === f || file.endsWith('/' + clean);
  };
  const rec = window.__METAMON_TEST__;
  // The recorder is gone: this is a new document (the page reloaded).
  if (!rec || rec.token !== token) {
    return document.readyState === 'complete' && window.__METAMON__ ? { kind: 'full-reload', at: Date.now() } : null;
  }
  for (const ev of rec.events) {
    if (ev.type === 'update') {
      const u = ev.detail;
      const touches = u.files.some(sameFile) || (u.files.length === 0 && u.acceptedPaths.some(sameFile));
      if (touches && u.ok) return { kind: 'updated', at: u.appliedAt ?? ev.at, update: u };
      if (touches) {
        const failure = rec.events.find((e) => e.type === 'error' && e.detail.source === 'client');
        return {
          kind: 'error',
          at: ev.at,
          update: u,
          error: { file: failure ? failure.detail.acceptedPath || failure.detail.path : u.files[0] || null, line: null, column: null, message: failure ? failure.detail.message : 'the update failed to apply' },
        };
      }
    } else if (ev.type === 'error' && ev.detail.source === 'server') {
      const e = ev.detail.errors.find((x) => sameFile(x.file));
      if (e) return { kind: 'error', at: ev.at, error: { kind: e.kind, file: e.file, line: e.line ?? null, column: e.column ?? null, message: e.message, frame: e.frame || '' } };
    } else if (ev.type === 'error' && ev.detail.source === 'client' && (sameFile(ev.detail.acceptedPath) || sameFile(ev.detail.path))) {
      return { kind: 'error', at: ev.at, error: { file: ev.detail.acceptedPath || ev.detail.path, line: null, column: null, message: ev.detail.message } };
    }
  }
  // The file was failing before and its error is gone, with nothing to re-send (the fixed
  // code compiles to what the page already runs).
  const hadError = rec.errorsBefore.some((e) => sameFile(e.file));
  if (hadError && !window.__METAMON__.errors().some((e) => sameFile(e.file))) {
    return { kind: 'updated', at: Date.now(), recovered: true, update: null };
  }
  return null;
}

/** Lets the frameworks' scheduled work (Vue / Svelte flush on microtasks) run: one task. */
function settle(page) {
  return page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
}

async function disarm(page) {
  await page.evaluate(() => {
    const rec = window.__METAMON_TEST__;
    if (rec && typeof rec.stop === 'function') rec.stop();
    delete window.__METAMON_TEST__;
  }).catch(() => {});
}

async function applyChange(page, file, content, options = {}) {
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  const abs = resolveFile(page, file, options.root);
  const previous = fs.readFileSync(abs, 'utf8');
  const next = typeof content === 'function' ? await content(previous) : content;
  if (typeof next !== 'string') throw new TypeError('simulateFileChange: the new content must be a string (or a function returning one)');
  if (next === previous) throw new Error(`simulateFileChange: the edit of ${abs} changes nothing`);
  await ensureRuntime(page, timeout);
  const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  await arm(page, token);
  const savedAt = Date.now();
  atomicWrite(abs, next);
  let outcome;
  try {
    const handle = await page.waitForFunction(outcomePredicate, { token, file: abs.split(path.sep).join('/') }, { timeout, polling: 20 });
    outcome = await handle.jsonValue();
  } catch (err) {
    const reason = /Timeout/i.test(err.message)
      ? `no update, full reload or error for ${abs} was seen within ${timeout} ms (is the file imported by the page? an edit that compiles to the same code sends no update)`
      : err.message;
    throw new Error(`simulateFileChange: ${reason}`);
  } finally {
    await disarm(page);
  }
  if (outcome.kind === 'full-reload') {
    await page.waitForLoadState('load', { timeout });
    await ensureRuntime(page, timeout);
    outcome.at = Date.now();
  } else if (outcome.kind === 'updated') {
    await settle(page);
  }
  const result = { kind: outcome.kind, ms: Math.max(0, outcome.at - savedAt), file: abs, savedAt, previous };
  if (outcome.update !== undefined) result.update = outcome.update;
  if (outcome.recovered) result.recovered = true;
  if (outcome.error) result.error = outcome.error;
  return result;
}

/**
 * Writes `file` (absolute, or relative to the root of the server the page is on) the way an
 * editor saves, and resolves once the page has applied the change (no fixed sleep).
 * @param {import('playwright-core').Page} page
 * @param {string} file
 * @param {string | ((old: string) => string | Promise<string>)} content
 * @param {{ timeout?: number, root?: string }} [options]
 * @returns {Promise<{ kind: 'updated' | 'full-reload' | 'error', ms: number, file: string, savedAt: number,
 *   update?: object | null, recovered?: boolean, error?: { file: string, line: number | null, column: number | null, message: string } }>}
 */
export async function simulateFileChange(page, file, content, options = {}) {
  const { previous, ...result } = await applyChange(page, file, content, options);
  return result;
}

const SYNTAX_ERROR = 'let __metamon_syntax_error = ;';

/** Where to put a syntax error: [lineIndex (0-based insertion point), code]. */
function syntaxErrorSite(source, file) {
  const lines = source.split('\n');
  // After the opening <script> tag of Vue / Svelte bodies (`.vue`, `.svelte`, `.mtm`).
  const script = lines.findIndex((l) => /<script\b[^>]*>\s*$/.test(l));
  if (script >= 0) return [script + 1, SYNTAX_ERROR];
  if (/\.(m?[jt]sx?|mtm)$/.test(file)) {
    // After a `.mtm` frontmatter, else at the top of the module.
    if (lines[0].trim() === '---') {
      const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
      if (end > 0) return [end + 1, SYNTAX_ERROR];
    }
    return [0, SYNTAX_ERROR];
  }
  throw new Error(`simulateCompilationError: no default syntax error for ${file}; pass { line, code }`);
}

/**
 * Introduces a syntax error into `file` and resolves with the error the overlay shows.
 * `restore()` writes the original content back and resolves once the error is gone.
 * @param {{ line?: number, code?: string, timeout?: number, root?: string }} [options]
 *   line: 1-based line to insert `code` at (default: the first line of script code)
 * @returns {Promise<{ file: string, line: number | null, column: number | null, message: string, frame: string,
 *   kind: string, expectedLine: number, overlay: boolean, ms: number, restore(): Promise<object> }>}
 */
export async function simulateCompilationError(page, file, options = {}) {
  const abs = resolveFile(page, file, options.root);
  const original = fs.readFileSync(abs, 'utf8');
  let index;
  let code;
  if (options.line != null) {
    index = options.line - 1;
    code = options.code ?? SYNTAX_ERROR;
  } else {
    [index, code] = syntaxErrorSite(original, abs);
    if (options.code != null) code = options.code;
  }
  const lines = original.split('\n');
  lines.splice(index, 0, code);
  const broken = lines.join('\n');
  const restore = async () => {
    if (fs.readFileSync(abs, 'utf8') === original) return { kind: 'updated', ms: 0, file: abs, restored: true };
    return simulateFileChange(page, abs, original, options);
  };
  let result;
  try {
    result = await simulateFileChange(page, abs, broken, options);
  } catch (err) {
    atomicWrite(abs, original);
    throw err;
  }
  if (result.kind !== 'error') {
    await restore().catch(() => {});
    throw new Error(`simulateCompilationError: expected an error for ${abs}, the page reported "${result.kind}"`);
  }
  // What the overlay shows for this file (falls back to the reported error).
  const shown = await page.evaluate((file) => {
    const el = document.querySelector('metamon-error-overlay');
    const list = el && Array.isArray(el.errors) ? el.errors : [];
    const clean = (f) => String(f || '').replace(/^\/+/, '');
    const e = list.find((x) => x.file && (file === x.file || file.endsWith('/' + clean(x.file))));
    return { overlay: !!el, error: e ? { kind: e.kind, file: e.file, line: e.line ?? null, column: e.column ?? null, message: e.message, frame: e.frame || '' } : null };
  }, abs.split(path.sep).join('/'));
  const error = shown.error || result.error;
  return {
    kind: error.kind || 'error',
    file: error.file,
    line: error.line ?? null,
    column: error.column ?? null,
    message: error.message,
    frame: error.frame || '',
    expectedLine: index + 1,
    overlay: shown.overlay && !!shown.error,
    ms: result.ms,
    restore,
  };
}

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------

/**
 * Snapshot of the page's shared and component state, as plain JSON:
 *   signals        { [key]: value }
 *   subscriptions  { [ownerId]: { [event]: count } }
 *   components     { ["/src/Users.mtm#default#0"]: { [slot]: value } }  (live `.mtm` instances)
 * Values that are not JSON (functions, Maps, …) are replaced by a "[unserialisable …]" string.
 */
export async function captureState(page) {
  await ensureRuntime(page, DEFAULT_TIMEOUT);
  return page.evaluate(() => {
    const M = window.__METAMON__;
    const plain = (value, seen = new Set()) => {
      if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
      if (typeof value === 'number') return Number.isFinite(value) ? value : `[unserialisable ${value}]`;
      if (typeof value !== 'object') return `[unserialisable ${typeof value}]`;
      if (seen.has(value)) return '[unserialisable cycle]';
      const proto = Object.getPrototypeOf(value);
      if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
        return `[unserialisable ${(value.constructor && value.constructor.name) || 'object'}]`;
      }
      seen.add(value);
      try {
        if (Array.isArray(value)) return value.map((v) => plain(v, seen));
        const out = {};
        for (const k of Object.keys(value)) out[k] = plain(value[k], seen);
        return out;
      } finally {
        seen.delete(value);
      }
    };
    const components = {};
    for (const c of M.components()) if (c.kind === 'mtm') components[c.id] = plain(c.values);
    return { signals: plain(M.signals()), subscriptions: M.subscriptions(), components };
  });
}

const show = (value) => {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function countChange(from, to) {
  if (to === 0) return 'lost';
  if (from === 0) return 'added';
  if (to === 2 * from) return 'doubled';
  if (to > from) return `${to - from} extra`;
  return `${from - to} lost`;
}

/**
 * Groups pub/sub owners of the same component across re-creations: the adapters number
 * instances (`svelte:#3`, `react:«r1»#2`, `vue:12:/src/A.vue#4`), so a component re-created by
 * a hot update has a new owner id with the same subscriptions.
 */
function ownerGroup(owner) {
  const vue = /^vue:\d+:(.*)#\d+$/.exec(owner);
  if (vue) return `vue:${vue[1]}`;
  const framework = /^([a-z]+):/.exec(owner);
  if (framework && /#\d+$/.test(owner)) return owner.includes('global#') ? `${framework[1]}:global` : framework[1];
  return owner;
}

/**
 * Compares two captureState() snapshots. Returns readable differences, [] when preserved:
 *   signal "shared": 3 → 0
 *   signal "cart" disappeared (was [1,2])
 *   subscriptions of react:«r1»#1 for "ping": 1 → 2 (doubled)
 *   subscriptions of svelte components for "ping": 1 → 0 (lost; owners svelte:#2 → none)
 *   component /src/Users.mtm#default#0 "count": 2 → 0
 *   component /src/Users.mtm#default#0 disappeared (had {"count":2})
 * New signals and new components are not differences; new subscriptions are (leaks).
 * @param {{ ignore?: Array<string | RegExp> }} [options] drop lines containing a string / matching a RegExp
 */
export function verifyStatePreservation(before, after, options = {}) {
  const out = [];
  const b = before || {};
  const a = after || {};

  // Signals.
  const sb = b.signals || {};
  const sa = a.signals || {};
  for (const key of Object.keys(sb)) {
    if (!(key in sa)) out.push(`signal "${key}" disappeared (was ${show(sb[key])})`);
    else if (!same(sb[key], sa[key])) out.push(`signal "${key}": ${show(sb[key])} → ${show(sa[key])}`);
  }

  // Subscriptions: owners in both are compared one by one; owners that went away and owners
  // that appeared are compared per component group and event.
  const pb = b.subscriptions || {};
  const pa = a.subscriptions || {};
  const groups = new Map(); // group → { gone: {owner: counts}, added: {owner: counts} }
  const groupOf = (g) => groups.get(g) || (groups.set(g, { gone: {}, added: {} }), groups.get(g));
  for (const owner of Object.keys(pb)) {
    if (owner in pa) {
      const events = new Set([...Object.keys(pb[owner]), ...Object.keys(pa[owner])]);
      for (const event of events) {
        const from = pb[owner][event] || 0;
        const to = pa[owner][event] || 0;
        if (from !== to) out.push(`subscriptions of ${owner} for "${event}": ${from} → ${to} (${countChange(from, to)})`);
      }
    } else {
      groupOf(ownerGroup(owner)).gone[owner] = pb[owner];
    }
  }
  for (const owner of Object.keys(pa)) {
    if (!(owner in pb)) groupOf(ownerGroup(owner)).added[owner] = pa[owner];
  }
  for (const [group, { gone, added }] of groups) {
    const sum = (owners, event) => Object.values(owners).reduce((n, byEvent) => n + (byEvent[event] || 0), 0);
    const events = new Set([...Object.values(gone), ...Object.values(added)].flatMap((x) => Object.keys(x)));
    for (const event of events) {
      const from = sum(gone, event);
      const to = sum(added, event);
      if (from === to) continue;
      const names = (owners) => Object.keys(owners).filter((o) => owners[o][event]).join(', ') || 'none';
      const owners = [...Object.keys(gone), ...Object.keys(added)];
      const label = owners.every((o) => o === group) ? group : `${group} components`;
      out.push(`subscriptions of ${label} for "${event}": ${from} → ${to} (${countChange(from, to)}; owners ${names(gone)} → ${names(added)})`);
    }
  }

  // `.mtm` component state.
  const cb = b.components || {};
  const ca = a.components || {};
  for (const id of Object.keys(cb)) {
    if (!(id in ca)) {
      out.push(`component ${id} disappeared (had ${show(cb[id])})`);
      continue;
    }
    for (const slot of Object.keys(cb[id] || {})) {
      const from = cb[id][slot];
      if (!(slot in (ca[id] || {}))) out.push(`component ${id} "${slot}" disappeared (was ${show(from)})`);
      else if (!same(from, ca[id][slot])) out.push(`component ${id} "${slot}": ${show(from)} → ${show(ca[id][slot])}`);
    }
  }

  const ignore = options.ignore || [];
  return out.filter((line) => !ignore.some((p) => (p instanceof RegExp ? p.test(line) : line.includes(p))));
}

// ---------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------

/**
 * Saves a change and measures save → applied from the runtime's own records
 * (`__METAMON__.lastUpdate()`): `change` is `{ file, content }` (content: string or
 * `(old) => new`). Resolves with
 *   { ms, total, phases: { debounce, compile, transfer, apply }, kind, update }
 * where `ms` runs from the write to the page's `appliedAt`, `total` from the server's
 * `changedAt` (watcher) to `appliedAt`, and the phases are the server's and runtime's
 * (see runtime/introspection.js). Throws if the change was not applied as a hot update.
 */
export async function measureReloadTime(page, change, options = {}) {
  if (!change || typeof change.file !== 'string' || change.content === undefined) {
    throw new TypeError('measureReloadTime(page, { file, content }): content is a string or (old) => new');
  }
  const result = await simulateFileChange(page, change.file, change.content, options);
  if (result.kind !== 'updated' || !result.update) {
    const detail = result.error ? `: ${result.error.file}:${result.error.line ?? '?'} ${result.error.message}` : '';
    throw new Error(`measureReloadTime: the change was not applied as a hot update (${result.kind}${detail})`);
  }
  const u = result.update;
  return {
    ms: result.ms,
    total: u.total,
    phases: { ...u.phases },
    kind: result.kind,
    file: result.file,
    update: u,
  };
}
