// An app shaped like the official Vite TypeScript templates: Vue `<script setup lang="ts">`
// and Svelte `<script lang="ts">` without semicolons, files in `public/`, and a
// `vite.config.ts` beside them. It renders, hot-updates with state kept, and a runtime error
// in typed code names the component's own line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture, overlayText } from './harness.mjs';

let app, page;

before(async () => {
  app = await openFixture('ts-app', ['.vue-count', '.svelte-count']);
  ({ page } = app);
});

after(() => app?.close());

const text = (selector) => page.textContent(selector).then((t) => t.trim());

test('typed Vue and Svelte components render; public/ files are served at the root', async () => {
  assert.equal(await text('.vue-count'), 'Vue in TypeScript: 0', app.details());
  assert.equal(await text('.svelte-count'), 'Count is 0');
  assert.equal(await page.evaluate(() => document.querySelector('#logo').naturalWidth), 32, `public/logo.svg${app.details()}`);
  const favicon = await page.evaluate(() => fetch('/favicon.svg').then((r) => r.status));
  assert.equal(favicon, 200);
  assert.ok(!app.log.some((line) => line.startsWith('[http 4')), `no failed request${app.details()}`);
  // vite.config.ts is not part of the app: nothing it imports is pre-bundled.
  assert.doesNotMatch(app.server.output(), /vite-that-is-not-installed|pre-bundling failed/, app.server.output());
});

test('hot updates of typed components keep their state', async () => {
  await page.click('.vue-count');
  await page.click('.vue-count');
  for (let i = 0; i < 3; i++) await page.click('.svelte-count');
  app.save('src/Hello.vue', (s) => s.replace('Hello v1', 'Hello v2').replace('`${props.msg}: ${count.value}`', '`${props.msg} = ${count.value}`'));
  await app.waitFor(() => document.querySelector('.title')?.textContent === 'Hello v2');
  assert.equal(await text('.vue-count'), 'Vue in TypeScript = 2', 'Vue script edit kept the ref');
  app.save('src/Counter.svelte', (s) => s.replace('Counter v1', 'Counter v2'));
  await app.waitFor(() => document.querySelector('.svelte-title')?.textContent === 'Counter v2');
  assert.equal(await text('.svelte-count'), 'Count is 3', 'Svelte edit kept the $state');
  await app.assertNoReload();
});

test('a typed Vue setup that throws names its line in Hello.vue; the fix applies', async () => {
  const good = app.read('src/Hello.vue');
  const broken = good.replace('ref<number>(0)', 'ref<number>((props as any).missing.deep)');
  const line = broken.split('\n').findIndex((l) => l.includes('missing.deep')) + 1;
  app.save('src/Hello.vue', broken);
  await app.waitFor((where) => document.querySelector('metamon-error-overlay')?.shadowRoot?.textContent.includes(where), `src/Hello.vue:${line}:`);
  assert.match(await overlayText(page), /missing/);
  assert.equal(await text('.vue-count'), 'Vue in TypeScript = 2', 'the last good version runs with its state');
  app.save('src/Hello.vue', good.replace('Hello v2', 'Hello v3'));
  await app.waitFor(() => document.querySelector('.title')?.textContent === 'Hello v3' && !document.querySelector('metamon-error-overlay'));
});
