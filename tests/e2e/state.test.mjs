// Cross-framework state in the browser: one signal and one event bus shared by React, Vue,
// Svelte and Solid `.mtm` components; signals, subscriptions and local state survive hot
// updates of every component, and a full reload restores signals and `.mtm` local state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openFixture, closeFixture, save } from './harness.mjs';

const ids = ['react-mtm', 'vue-mtm', 'svelte-mtm', 'solid-mtm'];
const files = { 'react-mtm': 'src/Counter.mtm', 'vue-mtm': 'src/Board.vue.mtm', 'svelte-mtm': 'src/Users.mtm', 'solid-mtm': 'src/Toggle.mtm' };
let dir, server, browser, page, log;

before(async () => {
  ({ dir, server, browser, page, log } = await openFixture('frameworks-app', ids.map((id) => `#${id} .shared`)));
});

after(() => closeFixture({ browser, server, dir }));

const details = () => `\npage log:\n${log.join('\n')}\nserver:\n${server.output()}`;
const texts = (selector) => page.evaluate((selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent), selector);
const pingSubscriptions = () =>
  page.evaluate(async () => {
    const core = await import('/@metamon/core.js');
    return Object.values(core.subscriptions()).reduce((sum, events) => sum + (events.ping || 0), 0);
  });
async function waitForTexts(selector, expected) {
  await page
    .waitForFunction(([selector, expected]) => JSON.stringify([...document.querySelectorAll(selector)].map((e) => e.textContent)) === JSON.stringify(expected), [selector, expected], { timeout: 15000 })
    .catch(async (e) => assert.fail(`${e.message}: ${JSON.stringify(await texts(selector))} != ${JSON.stringify(expected)}${details()}`));
}

test('a signal written in any framework re-renders the readers in all four', async () => {
  let expected = 0;
  for (const id of ids) {
    await page.click(`#${id} .shared`);
    expected += 1;
    await waitForTexts('section[id$="-mtm"] .shared', ids.map(() => String(expected)));
  }
});

test('an event emitted in one framework is handled in all four', async () => {
  await page.click('#vue-mtm .ping');
  await waitForTexts('section[id$="-mtm"] .pings', ['1', '1', '1', '1']);
  await page.click('#solid-mtm .ping');
  await waitForTexts('section[id$="-mtm"] .pings', ['2', '2', '2', '2']);
  assert.equal(await pingSubscriptions(), 4, 'one subscription per component');
});

for (const id of ids) {
  test(`editing ${id} keeps signals, subscriptions and local state`, async () => {
    await page.click(`#${id} .local`);
    const before = { shared: await texts('.shared'), pings: await texts('.pings'), local: await texts('section[id$="-mtm"] .local'), subscriptions: await pingSubscriptions() };
    await page.evaluate(() => { window.__marker = 'kept'; });
    const label = await page.textContent(`#${id} .label`);
    const next = label.replace(/v(\d+)$/, (_, n) => `v${Number(n) + 1}`);
    save(path.join(dir, files[id]), (s) => s.replace(label, next));
    await page.waitForFunction(([id, next]) => document.querySelector(`#${id} .label`)?.textContent === next, [id, next], { timeout: 15000 }).catch((e) => assert.fail(e.message + details()));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await page.evaluate(() => window.__marker), 'kept', 'no page reload');
    assert.deepEqual(await texts('.shared'), before.shared, 'signal values');
    assert.deepEqual(await texts('section[id$="-mtm"] .local'), before.local, 'local counters');
    assert.deepEqual(await texts('.pings'), before.pings, 'local event counts');
    assert.equal(await pingSubscriptions(), before.subscriptions, 'no subscription lost or doubled');
    // Events still cross frameworks after the swap.
    await page.click(`#${id} .ping`);
    const pings = String(Number(before.pings[0]) + 1);
    await waitForTexts('section[id$="-mtm"] .pings', ids.map(() => pings));
  });
}

test('a Vue script edit (the component is reloaded, not re-rendered) keeps its local state', async () => {
  const before = { local: await texts('section[id$="-mtm"] .local'), pings: await texts('.pings'), subscriptions: await pingSubscriptions() };
  const updates = await page.evaluate(() => window.__METAMON_HMR__.updates);
  save(path.join(dir, files['vue-mtm']), (s) => s.replace("const pings = ref(0);", "const pings = ref(0);\nconst extra = 'script edit';"));
  await page.waitForFunction((n) => window.__METAMON_HMR__.updates > n, updates, { timeout: 15000 }).catch((e) => assert.fail(e.message + details()));
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await texts('section[id$="-mtm"] .local'), before.local);
  assert.deepEqual(await texts('.pings'), before.pings);
  assert.equal(await pingSubscriptions(), before.subscriptions);
});

test('a full reload restores signal values and .mtm local state', async () => {
  const before = { shared: await texts('.shared'), local: await texts('section[id$="-mtm"] .local') };
  assert.ok(before.local.some((value) => value !== '0'));
  await page.evaluate(() => { window.__marker = 'before reload'; });
  // The Vue entry accepts no update: editing it reloads the page.
  save(path.join(dir, 'src/main-vue.js'), (s) => `${s}\n// edited\n`);
  await page.waitForFunction(() => window.__marker === undefined && document.querySelector('#solid-mtm .shared'), null, { timeout: 20000 }).catch((e) => assert.fail(e.message + details()));
  await waitForTexts('.shared', before.shared);
  await waitForTexts('section[id$="-mtm"] .local', before.local);
});
