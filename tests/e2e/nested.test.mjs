// Components of four frameworks nested in one another (React › Vue › Svelte › Solid) through
// the runtime's bridges: props flow down across frameworks, an edit of the innermost child
// updates it without re-mounting its ancestors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture } from './harness.mjs';

const levels = ['react-level', 'vue-level', 'svelte-level', 'solid-level'];
let app, page;

before(async () => {
  app = await openFixture('nested-app', '#solid-level .label');
  ({ page } = app);
});

after(() => app?.close());

const counters = () => page.evaluate((levels) => levels.map((id) => document.querySelector(`#${id} > .local`)?.textContent), levels);

test('all four levels render, nested in order', async () => {
  const nested = await page.evaluate(() => {
    const solid = document.querySelector('#solid-level');
    return ['#svelte-level', '#vue-level', '#react-level'].every((selector) => document.querySelector(selector).contains(solid));
  });
  assert.ok(nested);
});

test('a parent prop change reaches children of other frameworks', async () => {
  await page.click('#react-level > .local');
  await app.waitForText('#solid-level .got', 'react says 1', 10000);
  assert.equal(await page.textContent('#vue-level > .got'), 'react says 1');
});

test('counters at every level keep their values across a prop update', async () => {
  for (const id of levels.slice(1)) await page.click(`#${id} > .local`);
  await page.click('#react-level > .local');
  await app.waitForText('#solid-level .got', 'react says 2');
  assert.deepEqual(await counters(), ['2', '1', '1', '1']);
});

test('editing the innermost child updates it without re-mounting its ancestors', async () => {
  const before = await counters();
  const ancestors = await page.evaluate(() => {
    window.__vueNode = document.querySelector('#vue-level');
    window.__svelteNode = document.querySelector('#svelte-level');
    return Boolean(window.__vueNode && window.__svelteNode);
  });
  assert.ok(ancestors, 'the Vue and Svelte ancestors are on the page');
  app.save('src/solid/Leaf.jsx', (s) => s.replace('Leaf v1', 'Leaf v2'));
  await app.waitForText('#solid-level .label', 'Leaf v2');
  const after = await counters();
  assert.deepEqual(after.slice(0, 3), before.slice(0, 3), 'ancestors kept their state');
  assert.ok(await page.evaluate(() => window.__vueNode === document.querySelector('#vue-level') && window.__svelteNode === document.querySelector('#svelte-level')), 'ancestor DOM nodes are the same');
  await app.assertNoReload();
  assert.equal(await page.textContent('#solid-level .got'), 'react says 2', 'the child still gets its props');
});

test('editing a middle level (Svelte .mtm) keeps the levels above and its own state', async () => {
  const before = await counters();
  await app.edit('src/Inner.mtm', (s) => s.replace('<div id="svelte-level">', '<div id="svelte-level" data-edited="yes">'), () => document.querySelector('#svelte-level')?.dataset.edited === 'yes');
  const after = await counters();
  assert.deepEqual(after.slice(0, 3), before.slice(0, 3));
  await app.assertNoReload();
});
