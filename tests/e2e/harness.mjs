// Browser end-to-end harness: copies an app to a scratch folder inside the repo (so that its
// imports resolve to the repo's node_modules), serves it with `metamon dev` through the public
// test helper (testing/index.mjs, so the suite exercises what users get), and drives Debian's
// headless Chromium with playwright-core.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startDevServer } from '../../testing/index.mjs';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The repo's own build, not a `metamon` that happens to be on PATH.
export const binary = process.env.METAMON_BIN || path.join(repo, 'target/debug/metamon');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DEFAULT_TIMEOUT = 15000;

/**
 * Copies an app into tests/.scratch: `name` is a folder of tests/fixtures, or a path from the
 * repo root (`examples/showcase`). Installed packages and build caches are left behind.
 */
export function copyFixture(name) {
  const source = name.includes('/') ? path.join(repo, name) : path.join(repo, 'tests/fixtures', name);
  const dir = path.join(repo, 'tests/.scratch', `${path.basename(name)}-${process.pid}-${Date.now()}`);
  fs.cpSync(source, dir, { recursive: true, filter: (file) => !/[\\/](node_modules|\.metamon)([\\/]|$)/.test(file) });
  return dir;
}

/** Pids of a dev server's `node` children (the compiler workers), started from any thread. */
export function workerPids(server) {
  const pid = server.process.pid;
  const children = fs.readdirSync(`/proc/${pid}/task`).flatMap((task) => fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
  return children.filter((child) => {
    try { return fs.readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'node'; } catch { return false; }
  }).map(Number);
}

export function cleanup(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** `metamon dev` on `root` (see startDevServer in testing/ for the options), with this repo's binary. */
export function startServer(root, options = {}) {
  // METAMON_BUNDLE=1 runs the suite with bundled dev serving, =0 with one request per module.
  // A test that names its mode keeps it.
  const named = (options.args || []).some((arg) => arg === '--bundle' || arg === '--no-bundle');
  const mode = named ? [] : { 1: ['--bundle'], 0: ['--no-bundle'] }[process.env.METAMON_BUNDLE] || [];
  return startDevServer(root, { binary, ...options, args: [...(options.args || []), ...mode] });
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens the app and collects the page's errors, for failure messages. */
export async function openPage(browser, url) {
  const page = await browser.newPage();
  const log = [];
  page.on('console', (message) => log.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => log.push(`[pageerror] ${error.message}`));
  page.on('response', (response) => { if (response.status() >= 400) log.push(`[http ${response.status()}] ${response.url()}`); });
  await page.goto(url);
  return { page, log };
}

/** Rewrites a file the way an editor saves: to a temp file, then renamed over it. */
export function save(file, transform) {
  const before = fs.readFileSync(file, 'utf8');
  const after = typeof transform === 'function' ? transform(before) : transform;
  if (after === before) throw new Error(`edit of ${file} changed nothing`);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, after);
  fs.renameSync(temp, file);
}

export const overlayText = (page) =>
  page.evaluate(() => {
    const overlay = document.querySelector('metamon-error-overlay');
    return overlay ? overlay.shadowRoot.textContent : null;
  });

/** How many subscriptions to the `ping` event the page's bus holds, across all owners. */
export const pingSubscriptions = (page) =>
  page.evaluate(async () => {
    const core = await import('/@metamon/core.js');
    return Object.values(core.subscriptions()).reduce((sum, events) => sum + (events.ping || 0), 0);
  });

/**
 * A copy of app `name` (see copyFixture) served by `metamon dev` and opened in a browser, once
 * every `ready` selector is on the page; the window is marked so that `assertNoReload` can tell
 * that no reload happened. Close it with `app.close()`.
 * @param {{ browser?: import('playwright-core').Browser, config?: object, args?: string[] }} [options]
 *   browser: a browser to open a page in (else the app launches and closes its own);
 *   config: written as the app's metamon.config.json before the server starts;
 *   args: more arguments of `metamon dev`
 */
export async function openFixture(name, ready, options = {}) {
  const app = new App(copyFixture(name), options.browser);
  try {
    if (options.config) fs.writeFileSync(app.file('metamon.config.json'), JSON.stringify(options.config));
    app.server = await startServer(app.dir, { args: options.args });
    app.browser = options.browser ?? (await launchBrowser());
    Object.assign(app, await openPage(app.browser, app.server.url));
    for (const selector of [ready].flat()) await app.waitForSelector(selector, 30000);
    await app.page.evaluate(() => { window.__marker = 'kept'; });
    return app;
  } catch (error) {
    // Nothing may outlive a failed start: a running server would keep the test file alive.
    await app.close();
    throw error;
  }
}

class App {
  constructor(dir, sharedBrowser) {
    this.dir = dir;
    this.sharedBrowser = sharedBrowser;
    this.server = null;
    this.browser = null;
    this.page = null;
    this.log = [];
  }

  /** The page's log and the server's output, to append to a failure message. */
  details() {
    return `\npage log:\n${this.log.slice(-60).join('\n')}\nserver:\n${this.server?.output().slice(-4000) ?? ''}`;
  }

  /** Absolute path of a file of the app. */
  file(name) {
    return path.join(this.dir, name);
  }

  text(selector) {
    return this.page.textContent(selector);
  }

  /** Waits until `predicate(arg)` holds in the page; fails with the page log and server output. */
  waitFor(predicate, arg, timeout = DEFAULT_TIMEOUT) {
    return this.page.waitForFunction(predicate, arg, { timeout }).catch((e) => assert.fail(e.message + this.details()));
  }

  waitForSelector(selector, timeout = DEFAULT_TIMEOUT) {
    return this.page.waitForSelector(selector, { timeout }).catch((e) => assert.fail(e.message + this.details()));
  }

  /** Waits until the element's text is `expected`. */
  waitForText(selector, expected, timeout) {
    return this.waitFor(([selector, expected]) => document.querySelector(selector)?.textContent === expected, [selector, expected], timeout);
  }

  /** The text of a file of the app. */
  read(name) {
    return fs.readFileSync(this.file(name), 'utf8');
  }

  /**
   * Saves a file of the app with its first line containing `needle` replaced by `replacement`.
   * Returns the text it had and the (1-based) line replaced.
   */
  replaceLine(name, needle, replacement) {
    const original = this.read(name);
    const lines = original.split('\n');
    const index = lines.findIndex((line) => line.includes(needle));
    assert.ok(index >= 0, `${name} has a line with ${needle}`);
    lines[index] = replacement;
    this.save(name, lines.join('\n'));
    return { original, line: index + 1 };
  }

  /** Saves a file of the app like an editor (see `save`). */
  save(name, transform) {
    save(this.file(name), transform);
  }

  /** Saves a file of the app and waits until `predicate(arg)` holds in the page. */
  async edit(name, transform, predicate, arg, timeout) {
    this.save(name, transform);
    await this.waitFor(predicate, arg, timeout);
  }

  /** Waits for the error overlay and returns its text. */
  async waitForOverlay(timeout) {
    await this.waitFor(() => document.querySelector('metamon-error-overlay'), null, timeout);
    return overlayText(this.page);
  }

  /** How many hot updates the page's HMR client has applied. */
  hmrUpdates() {
    return this.page.evaluate(() => window.__METAMON_HMR__?.updates ?? 0);
  }

  /** Waits until the HMR client has applied more than `count` updates. */
  waitForUpdateAfter(count, timeout) {
    return this.waitFor((n) => (window.__METAMON_HMR__?.updates ?? 0) > n, count, timeout);
  }

  /** The window marked by openFixture is still the one on screen. */
  async assertNoReload(message = 'no page reload') {
    assert.equal(await this.page.evaluate(() => window.__marker), 'kept', message);
  }

  async close() {
    if (this.sharedBrowser) await this.page?.close();
    else await this.browser?.close();
    await this.server?.close();
    cleanup(this.dir);
  }
}
