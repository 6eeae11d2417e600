// React modules where plugin-react gives up: a component module that also exports other
// values (a constant, a route-like table, a helper) imported by the entry, and a module inside
// an import cycle. Editing the component updates it in place with its state; an export whose
// value changed still reaches its importers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture } from './harness.mjs';

let app, page;
before(async () => {
  app = await openFixture('state-exports-app', ['.panel-count', '.tab-b']);
  ({ page } = app);
});
after(() => app?.close());

const text = (selector) => page.textContent(selector);

test('a component module with other exports: an edit of the component keeps its state and the page', async () => {
  await page.click('.panel-count');
  await page.click('.panel-count');
  await app.edit('src/Panel.jsx', (code) => code.replace('panel v1', 'panel v2'), () => document.querySelector('.panel-text')?.textContent === 'panel v2');
  assert.equal(await text('.panel-count'), '2');
  assert.equal(await text('.sections'), 'one,two #1');
  assert.equal(await page.title(), 'Panels');
  await app.assertNoReload();
});

test('a module in an import cycle: an edit updates it in place, its importer keeps its state', async () => {
  await page.click('.tabs-next');
  await page.click('.tab-a');
  await app.edit('src/Tab.jsx', (code) => code.replace('tab v1', 'tab v2'), () => document.querySelector('.tab-a')?.textContent.startsWith('tab v2'));
  assert.equal(await text('.tab-a'), 'tab v2 a of 2: 1');
  assert.equal(await text('.tabs-next'), '1');
  assert.equal(await text('.panel-count'), '2');
  await app.assertNoReload();
});

test('an export whose value changed reaches the importer', async () => {
  await app.edit('src/Panel.jsx', (code) => code.replace("{ name: 'two' }", "{ name: 'three' }"), () => document.querySelector('.sections')?.textContent === 'one,three #1', undefined, 20000);
});
