// Faults of the compiler worker: killed in the middle of a compile, or stuck on an input.
// The worker's test hook (METAMON_WORKER_TEST_STALL_FILE, worker/worker.mjs) holds a compile of
// a source containing `metamon-test-stall` for as long as the stall file exists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyFixture, cleanup, startServer, launchBrowser, openPage, save, overlayText, workerPids } from './harness.mjs';

const RELOAD_TIMEOUT = 1500;
let dir, server, browser, page, log, stallFile;

const feedbackText = () => page.evaluate(() => document.querySelector('metamon-feedback')?.textContent ?? '');
const vueFile = () => path.join(dir, 'src/NativeVue.vue');
const setLabel = (label, extra = '') => save(vueFile(), (s) => s.replace(/Vue native [^<]*/, label).replace(/\n<!-- metamon-test-stall -->\n?/, '') + extra);
const waitFor = (fn, arg, timeout = 15000) =>
  page.waitForFunction(fn, arg, { timeout, polling: 10 }).catch((e) => assert.fail(`${e.message}\npage:\n${log.slice(-30).join('\n')}\nserver:\n${server.output().slice(-3000)}`));
const label = () => page.textContent('#vue-native .label');


/** Waits until the stalled worker has written its pid. */
async function stalledWorker() {
  const pidFile = `${stallFile}.pid`;
  const until = Date.now() + 10000;
  while (Date.now() < until) {
    if (fs.existsSync(pidFile)) {
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      fs.rmSync(pidFile);
      return pid;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`no worker stalled on the marker\n${server.output().slice(-3000)}`);
}

const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

before(async () => {
  dir = copyFixture('frameworks-app');
  stallFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'metamon-stall-')), 'stall');
  fs.writeFileSync(path.join(dir, 'metamon.config.json'), JSON.stringify({ reloadTimeout: RELOAD_TIMEOUT }));
  server = await startServer(dir, { env: { METAMON_WORKER_TEST_STALL_FILE: stallFile } });
  browser = await launchBrowser();
  ({ page, log } = await openPage(browser, server.url));
  await page.waitForSelector('#vue-native button', { timeout: 30000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) cleanup(dir);
  if (stallFile) fs.rmSync(path.dirname(stallFile), { recursive: true, force: true });
});

test('a worker killed in the middle of a .vue compile: the save applies within 1 s, the page says so, later saves work', async () => {
  await page.click('#vue-native button');
  await page.click('#vue-native button');
  assert.equal(await page.textContent('#vue-native button'), '2');
  fs.writeFileSync(stallFile, '');
  setLabel('Vue native crash', '\n<!-- metamon-test-stall -->\n');
  const pid = await stalledWorker();
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  fs.rmSync(stallFile);
  await waitFor(() => document.querySelector('#vue-native .label')?.textContent === 'Vue native crash');
  const recoveredMs = Date.now() - killedAt;
  console.log(`# worker SIGKILL → save applied in the page: ${recoveredMs} ms`);
  assert.ok(recoveredMs < 1000, `the save applied ${recoveredMs} ms after the worker died`);
  assert.equal(await page.textContent('#vue-native button'), '2', 'the Vue count survived the hot update');
  await waitFor(() => /compiler .*restarted/.test(document.querySelector('metamon-feedback')?.textContent ?? ''), null, 5000);
  assert.match(await feedbackText(), /vue compiler \(Node worker\) stopped while compiling src\/NativeVue\.vue and was restarted/);
  assert.equal(alive(pid), false);
  setLabel('Vue native after crash');
  await waitFor(() => document.querySelector('#vue-native .label')?.textContent === 'Vue native after crash');
  assert.equal(await page.textContent('#vue-native button'), '2');
  assert.equal(await overlayText(page), null, 'no error shown');
});

test('a compile that never returns is abandoned after reloadTimeout, the overlay names the file, the worker is replaced', async () => {
  const workersBefore = workerPids(server);
  fs.writeFileSync(stallFile, '');
  const savedAt = Date.now();
  setLabel('Vue native stuck', '\n<!-- metamon-test-stall -->\n');
  const pid = await stalledWorker();
  await waitFor(() => /NativeVue\.vue/.test(document.querySelector('metamon-error-overlay')?.shadowRoot.textContent ?? ''), null, RELOAD_TIMEOUT + 8000);
  const shownMs = Date.now() - savedAt;
  const overlay = await overlayText(page);
  console.log(`# stuck compile → overlay after ${shownMs} ms (reloadTimeout ${RELOAD_TIMEOUT} ms)`);
  assert.match(overlay, /src\/NativeVue\.vue/);
  assert.match(overlay, new RegExp(`took longer than ${RELOAD_TIMEOUT} ms \\(reloadTimeout\\)`));
  assert.ok(shownMs >= RELOAD_TIMEOUT, `shown after ${shownMs} ms`);
  assert.equal(await label(), 'Vue native after crash', 'the last good version keeps running');
  assert.equal(alive(pid), false, 'the stuck worker was stopped');
  fs.rmSync(stallFile);
  setLabel('Vue native unstuck');
  await waitFor(() => document.querySelector('#vue-native .label')?.textContent === 'Vue native unstuck');
  await waitFor(() => !document.querySelector('metamon-error-overlay'), null, 5000);
  assert.equal(await page.textContent('#vue-native button'), '2');
  const workersAfter = workerPids(server);
  assert.ok(workersAfter.length <= Math.max(workersBefore.length, 1), `workers before ${workersBefore}, after ${workersAfter}`);
  assert.ok(!workersAfter.includes(pid));
});
