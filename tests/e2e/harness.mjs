// Browser end-to-end harness: copies a fixture app to a scratch folder inside the repo (so
// that its imports resolve to the repo's node_modules), starts `metamon dev` on it, and drives
// Debian's headless Chromium with playwright-core.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const binary = process.env.METAMON_BIN || path.join(repo, 'target/debug/metamon');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function copyFixture(name) {
  const dir = path.join(repo, 'tests/.scratch', `${name}-${process.pid}-${Date.now()}`);
  fs.cpSync(path.join(repo, 'tests/fixtures', name), dir, { recursive: true });
  return dir;
}

/** Starts `metamon dev` and resolves once it prints its URL. */
export async function startServer(root, args = []) {
  const port = args.includes('--port') ? [] : ['--port', String(20000 + Math.floor(Math.random() * 20000))];
  const child = spawn(binary, ['dev', root, ...port, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`metamon dev did not start:\n${output}`)), 120000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/Local: (http:\/\/\S+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`metamon dev exited (${code}):\n${output}`)); });
  });
  return {
    url,
    child,
    output: () => output,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    },
  };
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

export function cleanup(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A copy of fixture `name` served by `metamon dev` and opened in a fresh browser, once every
 * `ready` selector is on the page; the window is marked (`window.__marker = 'kept'`) so a test
 * can tell that no reload happened. Close it with `closeFixture`.
 */
export async function openFixture(name, ready) {
  const app = { dir: copyFixture(name) };
  try {
    app.server = await startServer(app.dir);
    app.browser = await launchBrowser();
    Object.assign(app, await openPage(app.browser, app.server.url));
    for (const selector of [ready].flat()) {
      await app.page.waitForSelector(selector, { timeout: 30000 }).catch((e) => {
        throw new Error(`${e.message}\npage log:\n${app.log.join('\n')}\nserver:\n${app.server.output()}`);
      });
    }
    await app.page.evaluate(() => { window.__marker = 'kept'; });
    return app;
  } catch (error) {
    // Nothing may outlive a failed start: a running server would keep the test file alive.
    await closeFixture(app);
    throw error;
  }
}

export async function closeFixture({ browser, server, dir } = {}) {
  await browser?.close();
  await server?.close();
  if (dir) cleanup(dir);
}
