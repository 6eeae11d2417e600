// Modules that hold state: a React context provider (context, hook and provider in one file)
// and module-level stores (a hand-written one read by a native component and a `.mtm` one, a
// Vue `reactive` store, a Svelte `writable`). Under Vite each edit re-creates the context or
// the store, so the tree below remounts or the values are gone; here they are kept, and an
// edit of a store's initialiser resets that one value.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture } from './harness.mjs';

let app, page;
before(async () => {
  app = await openFixture('state-modules-app', ['.provider-count', '.child-count', '.store-count', '.tally', '.cart', '.steps']);
  ({ page } = app);
});
after(() => app?.close());

const text = (selector) => page.textContent(selector);
async function clicks(selector, times) {
  for (let i = 0; i < times; i++) await page.click(selector);
}

test('a context provider edited: the provider and the tree below keep their state and the context', async () => {
  await clicks('.provider-count', 2);
  await clicks('.child-count', 3);
  await page.waitForFunction(() => document.querySelector('.child-theme')?.textContent === 'dark 2');
  await app.edit('src/theme.jsx', (code) => code.replace('provider v1', 'provider v2'), () => document.querySelector('.provider-label')?.textContent === 'provider v2');
  assert.equal(await text('.provider-count'), '2');
  assert.equal(await text('.child-count'), '3', 'the consumer under the provider was not remounted');
  assert.equal(await text('.child-theme'), 'dark 2', 'the consumer reads the provider, not the default');
  await page.click('.provider-count');
  await page.waitForFunction(() => document.querySelector('.child-theme')?.textContent === 'dark 3');
  await app.assertNoReload();
});

test('a module-level store edited: its value and subscribers survive, importers see the new exports', async () => {
  await clicks('.store-count', 2);
  await page.waitForFunction(() => document.querySelector('.tally')?.textContent === 'tally 2');
  await app.edit('src/store.js', (code) => code.replace("label = 'clicks'", "label = 'taps'"), () => document.querySelector('.store-count')?.textContent === 'taps: 2');
  assert.equal(await text('.tally'), 'tally 2', 'the .mtm reader keeps the same store');
  // The subscribers moved to the new version: a click reaches both readers.
  await page.click('.store-count');
  await page.waitForFunction(() => document.querySelector('.store-count')?.textContent === 'taps: 3' && document.querySelector('.tally')?.textContent === 'tally 3');
  assert.equal(await text('.child-count'), '3');
  await app.assertNoReload();
});

test("an edit of a store's initialiser resets that value only", async () => {
  await app.edit('src/store.js', (code) => code.replace('let count = 0;', 'let count = 10;'), () => document.querySelector('.store-count')?.textContent === 'taps: 10');
  await page.waitForFunction(() => document.querySelector('.tally')?.textContent === 'tally 10');
  assert.equal(await text('.provider-count'), '3');
  await app.assertNoReload();
});

test('Vue reactive and Svelte writable stores at module level keep their values', async () => {
  await clicks('.cart', 2);
  await clicks('.steps', 3);
  await page.waitForFunction(() => document.querySelector('.cart')?.textContent === 'cart v1: 2' && document.querySelector('.steps')?.textContent === 'steps v1: 3');
  await app.edit('src/cart.js', (code) => code.replace('cart v1', 'cart v2'), () => document.querySelector('.cart')?.textContent === 'cart v2: 2');
  await app.edit('src/steps.js', (code) => code.replace('steps v1', 'steps v2'), () => document.querySelector('.steps')?.textContent === 'steps v2: 3');
  await page.click('.cart');
  await page.waitForFunction(() => document.querySelector('.cart')?.textContent === 'cart v2: 3');
  assert.equal(await text('.store-count'), 'taps: 10');
  await app.assertNoReload();
});
