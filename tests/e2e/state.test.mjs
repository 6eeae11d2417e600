// Cross-framework state in the browser: one signal and one event bus shared by React, Vue,
// Svelte and Solid `.mtm` components; signals, subscriptions and local state survive hot
// updates of every component, and a full reload restores signals and `.mtm` local state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture, pingSubscriptions } from './harness.mjs';

const ids = ['react-mtm', 'vue-mtm', 'svelte-mtm', 'solid-mtm'];
const files = { 'react-mtm': 'src/Counter.mtm', 'vue-mtm': 'src/Board.vue.mtm', 'svelte-mtm': 'src/Users.mtm', 'solid-mtm': 'src/Toggle.mtm' };
let app, page;

before(async () => {
  app = await openFixture('frameworks-app', ids.map((id) => `#${id} .shared`));
  ({ page } = app);
});

after(() => app?.close());

const texts = (selector) => page.evaluate((selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent), selector);
async function waitForTexts(selector, expected) {
  await page
    .waitForFunction(([selector, expected]) => JSON.stringify([...document.querySelectorAll(selector)].map((e) => e.textContent)) === JSON.stringify(expected), [selector, expected], { timeout: 15000 })
    .catch(async (e) => assert.fail(`${e.message}: ${JSON.stringify(await texts(selector))} != ${JSON.stringify(expected)}${app.details()}`));
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
  assert.equal(await pingSubscriptions(page), 4, 'one subscription per component');
});

for (const id of ids) {
  test(`editing ${id} keeps signals, subscriptions and local state`, async () => {
    await page.click(`#${id} .local`);
    const before = { shared: await texts('.shared'), pings: await texts('.pings'), local: await texts('section[id$="-mtm"] .local'), subscriptions: await pingSubscriptions(page) };
    await page.evaluate(() => { window.__marker = 'kept'; });
    const label = await page.textContent(`#${id} .label`);
    const next = label.replace(/v(\d+)$/, (_, n) => `v${Number(n) + 1}`);
    app.save(files[id], (s) => s.replace(label, next));
    await app.waitForText(`#${id} .label`, next);
    await new Promise((r) => setTimeout(r, 200));
    await app.assertNoReload();
    assert.deepEqual(await texts('.shared'), before.shared, 'signal values');
    assert.deepEqual(await texts('section[id$="-mtm"] .local'), before.local, 'local counters');
    assert.deepEqual(await texts('.pings'), before.pings, 'local event counts');
    assert.equal(await pingSubscriptions(page), before.subscriptions, 'no subscription lost or doubled');
    // Events still cross frameworks after the swap.
    await page.click(`#${id} .ping`);
    const pings = String(Number(before.pings[0]) + 1);
    await waitForTexts('section[id$="-mtm"] .pings', ids.map(() => pings));
  });
}

test('a Vue script edit (the component is reloaded, not re-rendered) keeps its local state', async () => {
  const before = { local: await texts('section[id$="-mtm"] .local'), pings: await texts('.pings'), subscriptions: await pingSubscriptions(page) };
  const updates = await app.hmrUpdates();
  app.save(files['vue-mtm'], (s) => s.replace("const pings = ref(0);", "const pings = ref(0);\nconst extra = 'script edit';"));
  await app.waitForUpdateAfter(updates);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await texts('section[id$="-mtm"] .local'), before.local);
  assert.deepEqual(await texts('.pings'), before.pings);
  assert.equal(await pingSubscriptions(page), before.subscriptions);
});

test('a full reload restores signal values and .mtm local state', async () => {
  const before = { shared: await texts('.shared'), local: await texts('section[id$="-mtm"] .local') };
  assert.ok(before.local.some((value) => value !== '0'));
  await page.evaluate(() => { window.__marker = 'before reload'; });
  // The Vue entry accepts no update: editing it reloads the page.
  await app.edit('src/main-vue.js', (s) => `${s}\n// edited\n`, () => window.__marker === undefined && document.querySelector('#solid-mtm .shared'), null, 20000);
  await waitForTexts('.shared', before.shared);
  await waitForTexts('section[id$="-mtm"] .local', before.local);
});
