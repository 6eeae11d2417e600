// Saving a React component that renders many children re-renders the component, not the
// children whose elements did not change (constant elements are handed back to React as the
// same objects on the first render after a hot update). Children whose props changed in the
// edit re-render; outside hot updates React re-renders as usual.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture } from './harness.mjs';

let app, page;

before(async () => {
  app = await openFixture('root-app', '.child[data-name="note v1"]');
  ({ page } = app);
});

after(() => app?.close());

const renders = () => page.evaluate(() => ({ ...window.__renders }));
const counter = (name) => page.textContent(`.child[data-name="${name}"] button`);

test('editing the root re-renders the root only: children keep their state and are not re-rendered', async () => {
  await page.click('.child[data-name="a"] button');
  await page.click('.child[data-name="a"] button');
  await page.click('.child[data-name="b"] button');
  const before = await renders();
  await app.edit('src/App.jsx', (s) => s.replace('Root v1', 'Root v2'), () => document.querySelector('#title')?.textContent === 'Root v2');
  assert.deepEqual(await renders(), before, 'no child rendered again');
  assert.equal(await counter('a'), '2');
  assert.equal(await counter('b'), '1');
  await app.assertNoReload();
});

test('a child whose props changed in the edit re-renders; the others do not', async () => {
  const before = await renders();
  await app.edit('src/App.jsx', (s) => s.replace('<Child name="b" />', '<Child name="b2" />'), () => document.querySelector('.child[data-name="b2"] .label')?.textContent === 'child b2');
  const after = await renders();
  assert.equal(after.a, before.a, 'child a not re-rendered');
  assert.equal(after['note v1'], before['note v1'], 'child "note v1" not re-rendered');
  assert.equal(after.b2, 1, 'child b2 rendered');
  assert.equal(await counter('a'), '2', 'child a kept its state');
});

test('a changed module-level value used as a prop reaches the child', async () => {
  await app.edit('src/App.jsx', (s) => s.replace("const NOTE = 'note v1';", "const NOTE = 'note v2';"), () => document.querySelector('.child[data-name="note v2"] .label')?.textContent === 'child note v2');
  assert.equal(await counter('a'), '2');
});

test('outside hot updates React re-renders children as usual (a root state change)', async () => {
  const before = await renders();
  await page.click('#tick');
  await app.waitForText('#tick', '1');
  const after = await renders();
  assert.equal(after.a, before.a + 1, 'child a rendered again with its parent');
  assert.equal(after.b2, before.b2 + 1, 'child b2 rendered again with its parent');
});

test('a child edited after root edits still hot-updates every instance with their state', async () => {
  await app.edit('src/Child.jsx', (s) => s.replace('child {name}', 'kid {name}'), () => document.querySelector('.child[data-name="a"] .label')?.textContent === 'kid a');
  assert.equal(await page.textContent('.child[data-name="b2"] .label'), 'kid b2');
  assert.equal(await counter('a'), '2');
  assert.equal(await page.textContent('#title'), 'Root v2');
  await app.assertNoReload();
});
