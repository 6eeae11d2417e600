// Vue, Svelte and Solid under `metamon dev`, as `.mtm` and as native files: an edit updates
// the DOM through the framework's own HMR runtime, without a page reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openFixture, closeFixture, save, overlayText } from './harness.mjs';

let dir, server, browser, page, log;

before(async () => {
  ({ dir, server, browser, page, log } = await openFixture('frameworks-app', ['react-mtm', 'vue-mtm', 'vue-native', 'svelte-mtm', 'svelte-native', 'solid-mtm', 'solid-native'].map((id) => `#${id} .label`)));
});

after(() => closeFixture({ browser, server, dir }));

const cases = [
  { id: 'vue-mtm', file: 'src/Board.vue.mtm', from: 'Vue mtm v1', to: 'Vue mtm v2', keepsCounter: true },
  { id: 'vue-native', file: 'src/NativeVue.vue', from: 'Vue native v1', to: 'Vue native v2', keepsCounter: true },
  { id: 'svelte-mtm', file: 'src/Users.mtm', from: 'Svelte mtm v1', to: 'Svelte mtm v2', keepsCounter: true },
  { id: 'svelte-native', file: 'src/NativeSvelte.svelte', from: 'Svelte native v1', to: 'Svelte native v2', keepsCounter: true },
  { id: 'solid-mtm', file: 'src/Toggle.mtm', from: 'Solid mtm v1', to: 'Solid mtm v2', keepsCounter: true },
  { id: 'solid-native', file: 'src/solid/NativeSolid.jsx', from: 'Solid native v1', to: 'Solid native v2', keepsCounter: true },
];

for (const c of cases) {
  test(`${c.id}: an edit updates the DOM without a page reload`, async () => {
    await page.click(`#${c.id} .local`);
    await page.click(`#${c.id} .local`);
    assert.equal(await page.textContent(`#${c.id} .local`), '2');
    save(path.join(dir, c.file), (s) => s.replace(c.from, c.to));
    await page
      .waitForFunction(([id, text]) => document.querySelector(`#${id} .label`)?.textContent === text, [c.id, c.to], { timeout: 15000 })
      .catch((e) => assert.fail(`${e.message}\n${log.join('\n')}\n${server.output()}`));
    assert.equal(await page.evaluate(() => window.__marker), 'kept', 'no page reload');
    if (c.keepsCounter) assert.equal(await page.textContent(`#${c.id} .local`), '2', 'local state kept');
    // The other islands were not disturbed.
    assert.equal(await page.textContent('#react-mtm .label'), 'React mtm v1');
  });
}

test('component styles of Vue and Svelte are applied', async () => {
  const colors = await page.evaluate(() => [getComputedStyle(document.querySelector('#vue-mtm .label')).color, getComputedStyle(document.querySelector('#svelte-mtm .label')).color]);
  assert.deepEqual(colors, ['rgb(0, 128, 0)', 'rgb(0, 0, 255)']);
});

for (const c of cases.filter((c) => c.id.startsWith('solid'))) {
  test(`${c.id}: a render that throws after an edit is reported; the last good version keeps working and the next save applies`, async () => {
    const file = path.join(dir, c.file);
    const label = await page.textContent(`#${c.id} .label`);
    const count = Number(await page.textContent(`#${c.id} .local`));
    save(file, (s) => s.replace('return (', 'if (Date.now() > 0) throw new Error("render boom");\n  return ('));
    await page
      .waitForFunction(() => document.querySelector('metamon-error-overlay'), null, { timeout: 15000 })
      .catch((e) => assert.fail(`${e.message}\n${log.join('\n')}\n${server.output()}`));
    assert.match(await overlayText(page), /render boom/);
    assert.equal(await page.textContent(`#${c.id} .label`), label, 'the last good version is on the page');
    await page.click(`#${c.id} .local`);
    await page
      .waitForFunction(([id, want]) => document.querySelector(`#${id} .local`)?.textContent === want, [c.id, String(count + 1)], { timeout: 5000 })
      .catch(() => assert.fail('the component still reacts to clicks'));
    save(file, (s) => s.replace('if (Date.now() > 0) throw new Error("render boom");\n', '').replace(label, `${label} fixed`));
    await page
      .waitForFunction(([id, text]) => document.querySelector(`#${id} .label`)?.textContent === text, [c.id, `${label} fixed`], { timeout: 15000 })
      .catch((e) => assert.fail(`${e.message}\n${log.join('\n')}\n${server.output()}`));
    await page.waitForFunction(() => !document.querySelector('metamon-error-overlay'), null, { timeout: 15000 });
    assert.equal(await page.textContent(`#${c.id} .local`), String(count + 1), 'local state kept');
    assert.equal(await page.evaluate(() => window.__marker), 'kept', 'no page reload');
  });
}

for (const c of cases.filter((c) => c.id.startsWith('vue'))) {
  test(`${c.id}: a setup that throws after an edit is shown at its line; the last good version comes back with its state; the fix applies`, async () => {
    const file = path.join(dir, c.file);
    const label = await page.textContent(`#${c.id} .label`);
    const count = await page.textContent(`#${c.id} .local`);
    save(file, (s) => s.replace('const count = ref(0);', 'const count = ref(0);\nconst broken = null;\nconsole.log(broken.boom);'));
    const line = (await import('node:fs')).readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('broken.boom')) + 1;
    await page
      .waitForFunction(() => document.querySelector('metamon-error-overlay'), null, { timeout: 15000 })
      .catch((e) => assert.fail(`${e.message}\n${log.join('\n')}\n${server.output()}`));
    const overlay = await overlayText(page);
    assert.match(overlay, new RegExp(`${c.file.replace(/\./g, '\\.')}:${line}:`), overlay);
    await page.waitForFunction(([id, text]) => document.querySelector(`#${id} .label`)?.textContent === text, [c.id, label], { timeout: 15000 });
    assert.equal(await page.textContent(`#${c.id} .local`), count, 'local state kept');
    save(file, (s) => s.replace('\nconst broken = null;\nconsole.log(broken.boom);', '').replace(label, `${label} fixed`));
    await page
      .waitForFunction(([id, text]) => document.querySelector(`#${id} .label`)?.textContent === text, [c.id, `${label} fixed`], { timeout: 15000 })
      .catch((e) => assert.fail(`${e.message}\n${log.join('\n')}\n${server.output()}`));
    await page.waitForFunction(() => !document.querySelector('metamon-error-overlay'), null, { timeout: 15000 });
    assert.equal(await page.textContent(`#${c.id} .local`), count, 'local state kept after the fix');
    assert.equal(await page.evaluate(() => window.__marker), 'kept', 'no page reload');
  });
}
