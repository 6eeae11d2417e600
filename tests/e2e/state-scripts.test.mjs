// Local state of native Vue and Svelte components across edits of their scripts, templates and
// styles: `ref`, `reactive` (and what `computed` derives from them), `v-model` and `bind:value`
// inputs and `$state` values keep their values when their declaration did not change; editing a
// declaration's initialiser resets that one value.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture } from './harness.mjs';

let app, page;
before(async () => {
  app = await openFixture('state-scripts-app', ['#vue .count', '#svelte .step']);
  ({ page } = app);
});
after(() => app?.close());

const text = (selector) => page.textContent(selector);
const value = (selector) => page.inputValue(selector);

async function vueState() {
  return { count: await text('#vue .count'), name: await value('#vue .name'), summary: await text('#vue .summary') };
}

test('Vue: ref, reactive, computed and a v-model input survive script, template and style edits', async () => {
  await page.click('#vue .count');
  await page.click('#vue .count');
  await page.fill('#vue .name', 'ada');
  await page.click('#vue .tag');
  const kept = { count: '2', name: 'ada', summary: 'ada has 1 tags' };
  assert.deepEqual(await vueState(), kept);

  await app.edit('src/Form.vue', (code) => code.replace("'script v1'", "'script v2'"), () => document.querySelector('#vue .label')?.textContent === 'script v2');
  assert.deepEqual(await vueState(), kept, 'after a script edit');
  await app.edit('src/Form.vue', (code) => code.replace('template v1', 'template v2'), () => document.querySelector('#vue .template')?.textContent === 'template v2');
  assert.deepEqual(await vueState(), kept, 'after a template edit');
  await app.edit('src/Form.vue', (code) => code.replace('rgb(1, 1, 1)', 'rgb(2, 2, 2)'), () => getComputedStyle(document.querySelector('#vue .template')).color === 'rgb(2, 2, 2)');
  assert.deepEqual(await vueState(), kept, 'after a style edit that follows a template edit');
  await app.assertNoReload();
});

test('Vue: editing one initialiser resets that value only', async () => {
  await app.edit('src/Form.vue', (code) => code.replace('const count = ref(0);', 'const count = ref(10);'), () => document.querySelector('#vue .count')?.textContent === '10');
  assert.deepEqual(await vueState(), { count: '10', name: 'ada', summary: 'ada has 1 tags' });
  await app.assertNoReload();
});

test('Svelte: $state values and a bound input survive a script edit; an edited initialiser resets its value', async () => {
  await page.click('#svelte .step');
  await page.click('#svelte .step');
  await page.click('#svelte .step');
  await page.fill('#svelte .draft', 'notes');
  await app.edit('src/Steps.svelte', (code) => code.replace("'script v1'", "'script v2'"), () => document.querySelector('#svelte .label')?.textContent === 'script v2');
  assert.equal(await text('#svelte .step'), '3');
  assert.equal(await value('#svelte .draft'), 'notes');
  await app.edit('src/Steps.svelte', (code) => code.replace('let steps = $state(0);', 'let steps = $state(5);'), () => document.querySelector('#svelte .step')?.textContent === '5');
  assert.equal(await value('#svelte .draft'), 'notes');
  await app.assertNoReload();
});
