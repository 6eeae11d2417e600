// The compile cache and the compiler workers started as the load needs: a second start of the
// dev server shows the app without compiling its Vue, Svelte and Solid components again (no
// Node process runs while the page loads; one starts once it has loaded, for the saves), saves
// still hot-update with state kept, workers beyond the first stop when idle, and a build after
// a dev session still compiles for production.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { binary, copyFixture, cleanup, startServer, launchBrowser, openPage, save, workerPids } from './harness.mjs';

let dir, server, browser;


const ready = async (page) => {
  for (const selector of ['#vue-native button', '#svelte-native button', '#solid-native button']) await page.waitForSelector(selector, { timeout: 30000 });
};

before(async () => {
  dir = copyFixture('frameworks-app');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) cleanup(dir);
});

test('first start: the components compile in workers; extra workers stop once idle', async () => {
  server = await startServer(dir);
  const { page } = await openPage(browser, server.url);
  await ready(page);
  assert.ok(workerPids(server).length >= 1, 'the first start compiled its components in a Node worker');
  // IDLE_RETIREMENT (5 s) and a housekeeping tick: one worker at most is left.
  await new Promise((resolve) => setTimeout(resolve, 6500));
  assert.ok(workerPids(server).length <= 1, `workers left after idling: ${workerPids(server).length}`);
  await page.close();
  await server.close();
});

/** Seconds since boot, as /proc counts them (10 ms steps). */
const uptime = () => Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
/** When a process started, in seconds since boot (field 22 of /proc/<pid>/stat, in ticks of 1/100 s). */
const startedAt = (pid) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]) / 100;

test('second start: the page loads every framework with no compiler process; one starts once it has loaded, and a save keeps state', async () => {
  server = await startServer(dir);
  const { page, log } = await openPage(browser, server.url);
  await ready(page);
  // When the page had its last response (all its modules), in seconds since boot: the load
  // was served from the cache, with no compiler process.
  const lastResponseMs = await page.evaluate(() => performance.timeOrigin + Math.max(...performance.getEntriesByType('resource').map((entry) => entry.responseEnd)));
  const loaded = uptime() - (Date.now() - lastResponseMs) / 1000;
  assert.deepEqual(workerPids(server).filter((pid) => startedAt(pid) < loaded - 0.02), [], `a Node worker ran during a load served from the compile cache (${workerPids(server).map((pid) => startedAt(pid) - loaded)})\n${server.output()}`);
  // The page, loaded and idle, tells the server: the compiler its saves need loads now.
  const deadline = Date.now() + 10000;
  while (workerPids(server).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(workerPids(server).length, 1, 'a worker starts once the page has loaded, before any save');
  assert.equal(await page.textContent('#svelte-native .label'), 'Svelte native v1');
  await page.click('#svelte-native button');
  await page.click('#svelte-native button');
  save(path.join(dir, 'src/NativeSvelte.svelte'), (s) => s.replace('Svelte native v1', 'Svelte native v2'));
  await page.waitForFunction(() => document.querySelector('#svelte-native .label')?.textContent === 'Svelte native v2', null, { timeout: 20000 })
    .catch((e) => assert.fail(`${e.message}\n${log.join('\n')}\n${server.output()}`));
  assert.equal(await page.textContent('#svelte-native button'), '2', 'the Svelte count survived the hot update');
  assert.equal(workerPids(server).length, 1, 'one worker serves the save');
  await page.close();
  await server.close();
  server = null;
});

test('a build after dev sessions compiles for production (no dev output from the cache)', () => {
  execFileSync(binary, ['build', dir], { stdio: 'pipe' });
  const assets = path.join(dir, 'dist/assets');
  const js = fs.readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(assets, f), 'utf8')).join('\n');
  assert.match(js, /Svelte native v\d/);
  assert.doesNotMatch(js, /import\.meta\.hot/, 'production output has no HMR code');
});
