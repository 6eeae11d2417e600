// Vue, Svelte and Solid under `metamon dev`, as `.mtm` and as native files: an edit updates
// the DOM through the framework's own HMR runtime, without a page reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture } from './harness.mjs';

let app, page;

before(async () => {
  app = await openFixture('frameworks-app', ['react-mtm', 'vue-mtm', 'vue-native', 'svelte-mtm', 'svelte-native', 'solid-mtm', 'solid-native'].map((id) => `#${id} .label`));
  ({ page } = app);
});

after(() => app?.close());

const cases = [
  { id: 'vue-mtm', file: 'src/Board.vue.mtm', from: 'Vue mtm v1', to: 'Vue mtm v2' },
  { id: 'vue-native', file: 'src/NativeVue.vue', from: 'Vue native v1', to: 'Vue native v2' },
  { id: 'svelte-mtm', file: 'src/Users.mtm', from: 'Svelte mtm v1', to: 'Svelte mtm v2' },
  { id: 'svelte-native', file: 'src/NativeSvelte.svelte', from: 'Svelte native v1', to: 'Svelte native v2' },
  { id: 'solid-mtm', file: 'src/Toggle.mtm', from: 'Solid mtm v1', to: 'Solid mtm v2' },
  { id: 'solid-native', file: 'src/solid/NativeSolid.jsx', from: 'Solid native v1', to: 'Solid native v2' },
];

for (const c of cases) {
  test(`${c.id}: an edit updates the DOM without a page reload`, async () => {
    await page.click(`#${c.id} .local`);
    await page.click(`#${c.id} .local`);
    assert.equal(await page.textContent(`#${c.id} .local`), '2');
    app.save(c.file, (s) => s.replace(c.from, c.to));
    await app.waitForText(`#${c.id} .label`, c.to);
    await app.assertNoReload();
    assert.equal(await page.textContent(`#${c.id} .local`), '2', 'local state kept');
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
    const label = await page.textContent(`#${c.id} .label`);
    const count = Number(await page.textContent(`#${c.id} .local`));
    app.save(c.file, (s) => s.replace('return (', 'if (Date.now() > 0) throw new Error("render boom");\n  return ('));
    assert.match(await app.waitForOverlay(), /render boom/);
    assert.equal(await page.textContent(`#${c.id} .label`), label, 'the last good version is on the page');
    await page.click(`#${c.id} .local`);
    await page
      .waitForFunction(([id, want]) => document.querySelector(`#${id} .local`)?.textContent === want, [c.id, String(count + 1)], { timeout: 5000 })
      .catch(() => assert.fail('the component still reacts to clicks'));
    app.save(c.file, (s) => s.replace('if (Date.now() > 0) throw new Error("render boom");\n', '').replace(label, `${label} fixed`));
    await app.waitForText(`#${c.id} .label`, `${label} fixed`);
    await app.waitFor(() => !document.querySelector('metamon-error-overlay'));
    assert.equal(await page.textContent(`#${c.id} .local`), String(count + 1), 'local state kept');
    await app.assertNoReload();
  });
}

for (const c of cases.filter((c) => c.id.startsWith('vue'))) {
  test(`${c.id}: a setup that throws after an edit is shown at its line; the last good version comes back with its state; the fix applies`, async () => {
    const label = await page.textContent(`#${c.id} .label`);
    const count = await page.textContent(`#${c.id} .local`);
    app.save(c.file, (s) => s.replace('const count = ref(0);', 'const count = ref(0);\nconst broken = null;\nconsole.log(broken.boom);'));
    const line = app.read(c.file).split('\n').findIndex((l) => l.includes('broken.boom')) + 1;
    const overlay = await app.waitForOverlay();
    assert.match(overlay, new RegExp(`${c.file.replace(/\./g, '\\.')}:${line}:`), overlay);
    await app.waitForText(`#${c.id} .label`, label);
    assert.equal(await page.textContent(`#${c.id} .local`), count, 'local state kept');
    app.save(c.file, (s) => s.replace('\nconst broken = null;\nconsole.log(broken.boom);', '').replace(label, `${label} fixed`));
    await app.waitForText(`#${c.id} .label`, `${label} fixed`);
    await app.waitFor(() => !document.querySelector('metamon-error-overlay'));
    assert.equal(await page.textContent(`#${c.id} .local`), count, 'local state kept after the fix');
    await app.assertNoReload();
  });
}
