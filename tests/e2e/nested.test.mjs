// Components of four frameworks nested in one another (React › Vue › Svelte › Solid) through
// the runtime's bridges: props flow down across frameworks, an edit of the innermost child
// updates it without re-mounting its ancestors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openFixture, closeFixture, save } from './harness.mjs';

const levels = ['react-level', 'vue-level', 'svelte-level', 'solid-level'];
let dir, server, browser, page, log;

before(async () => {
  ({ dir, server, browser, page, log } = await openFixture('nested-app', '#solid-level .label'));
});

after(() => closeFixture({ browser, server, dir }));

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
  await page.waitForFunction(() => document.querySelector('#solid-level .got')?.textContent === 'react says 1', null, { timeout: 10000 });
  assert.equal(await page.textContent('#vue-level > .got'), 'react says 1');
});

test('counters at every level keep their values across a prop update', async () => {
  for (const id of levels.slice(1)) await page.click(`#${id} > .local`);
  await page.click('#react-level > .local');
  await page.waitForFunction(() => document.querySelector('#solid-level .got')?.textContent === 'react says 2');
  assert.deepEqual(await counters(), ['2', '1', '1', '1']);
});

test('editing the innermost child updates it without re-mounting its ancestors', async () => {
  const before = await counters();
  const ancestors = await page.evaluate(() => { window.__vueNode = document.querySelector('#vue-level'); window.__svelteNode = document.querySelector('#svelte-level'); return true; });
  assert.ok(ancestors);
  save(path.join(dir, 'src/solid/Leaf.jsx'), (s) => s.replace('Leaf v1', 'Leaf v2'));
  await page.waitForFunction(() => document.querySelector('#solid-level .label')?.textContent === 'Leaf v2', null, { timeout: 15000 }).catch((e) => assert.fail(`${e.message}\n${log.join('\n')}\n${server.output()}`));
  const after = await counters();
  assert.deepEqual(after.slice(0, 3), before.slice(0, 3), 'ancestors kept their state');
  assert.ok(await page.evaluate(() => window.__vueNode === document.querySelector('#vue-level') && window.__svelteNode === document.querySelector('#svelte-level')), 'ancestor DOM nodes are the same');
  assert.equal(await page.evaluate(() => window.__marker), 'kept', 'no page reload');
  assert.equal(await page.textContent('#solid-level .got'), 'react says 2', 'the child still gets its props');
});

test('editing a middle level (Svelte .mtm) keeps the levels above and its own state', async () => {
  const before = await counters();
  save(path.join(dir, 'src/Inner.mtm'), (s) => s.replace('<div id="svelte-level">', '<div id="svelte-level" data-edited="yes">'));
  await page.waitForFunction(() => document.querySelector('#svelte-level')?.dataset.edited === 'yes', null, { timeout: 15000 }).catch((e) => assert.fail(`${e.message}\n${log.join('\n')}\n${server.output()}`));
  const after = await counters();
  assert.deepEqual(after.slice(0, 3), before.slice(0, 3));
  assert.equal(await page.evaluate(() => window.__marker), 'kept');
});
