// CSS hot updates: stylesheets linked from index.html, imported from JS, CSS modules, `.mtm`
// `styles`, Vue `<style scoped>` and Svelte styles are swapped without re-mounting anything;
// a theme change reaches all four frameworks; siblings are not re-rendered; CSS errors show.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openFixture } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const open = (fixture, ready) => openFixture(fixture, ready, { browser });

const color = (page, selector, property = 'color') => page.evaluate(([s, p]) => getComputedStyle(document.querySelector(s))[p], [selector, property]);

/** Edits a stylesheet and checks: the style applied, counters kept, the DOM node is the same one, no reload. */
async function swap(app, file, from, to, selector, property, expected, counters) {
  const { page } = app;
  await page.evaluate((selector) => { window.__node = document.querySelector(selector); }, selector);
  const before = await page.evaluate((c) => c.map((s) => document.querySelector(s).textContent), counters);
  app.save(file, (s) => {
    assert.ok(s.includes(from), `${file} contains ${from}`);
    return s.replace(from, to);
  });
  await page
    .waitForFunction(([s, p, want]) => getComputedStyle(document.querySelector(s))[p] === want, [selector, property, expected], { timeout: 15000 })
    .catch((e) => assert.fail(`${file}: ${e.message}${app.details()}`));
  assert.ok(await page.evaluate((selector) => window.__node === document.querySelector(selector), selector), `${file}: same DOM node`);
  assert.deepEqual(await page.evaluate((c) => c.map((s) => document.querySelector(s).textContent), counters), before, `${file}: counters kept`);
  await app.assertNoReload(`${file}: no reload`);
}

describe('React app stylesheets', () => {
  let app;
  before(async () => {
    app = await open('hot-app', '#widget .shared');
    await app.page.click('#parent > .local');
    await app.page.click('#styled .local');
  });
  after(async () => app?.close());
  const counters = ['#parent > .local', '#styled .local', '#widget .shared'];

  test('a stylesheet linked from index.html', async () => {
    await swap(app, 'src/global.css', 'rgb(200, 0, 0)', 'rgb(201, 0, 0)', 'h1', 'color', 'rgb(201, 0, 0)', counters);
  });
  test('a stylesheet imported from JS', async () => {
    await swap(app, 'src/app.css', 'padding: 4px', 'padding: 7px', 'main', 'padding-top', '7px', counters);
  });
  test('a CSS module keeps its class names and swaps its rules', async () => {
    await swap(app, 'src/styled.module.css', 'rgb(0, 100, 0)', 'rgb(0, 101, 0)', '#styled', 'color', 'rgb(0, 101, 0)', counters);
    assert.match(await app.page.getAttribute('#styled', 'class'), /box/);
  });
  test('a .mtm `styles` stylesheet', async () => {
    await swap(app, 'src/widget.css', 'rgb(0, 0, 150)', 'rgb(0, 0, 151)', '#widget .widget-label', 'color', 'rgb(0, 0, 151)', counters);
  });
  test('a CSS syntax error is shown with file and line, and the last good styles stay', async () => {
    app.save('src/app.css', 'main { padding: 7px; }\n.broken..selector { color: red }\n');
    assert.match(await app.waitForOverlay(), /src\/app\.css:2:/);
    assert.equal(await color(app.page, 'main', 'padding-top'), '7px');
    await app.edit('src/app.css', 'main { padding: 9px; }\n', () => !document.querySelector('metamon-error-overlay') && getComputedStyle(document.querySelector('main')).paddingTop === '9px');
  });
});

describe('framework styles and a theme across four frameworks', () => {
  let app;
  const counters = ['#react-mtm .local', '#vue-mtm .local', '#svelte-mtm .local', '#solid-mtm .local', '#vue-native .local'];
  before(async () => {
    app = await open('frameworks-app', '#solid-mtm .shared');
    for (const selector of counters) await app.page.click(selector);
  });
  after(async () => app?.close());

  test('Vue <style scoped> of a .mtm component', async () => {
    const renders = await app.page.evaluate(() => ({ ...window.__renders }));
    await swap(app, 'src/Board.vue.mtm', 'rgb(0, 128, 0)', 'rgb(0, 129, 0)', '#vue-mtm .label', 'color', 'rgb(0, 129, 0)', counters);
    const after = await app.page.evaluate(() => ({ ...window.__renders }));
    assert.equal(after.react, renders.react, 'the React island did not re-render');
  });
  test('Svelte styles of a .mtm component', async () => {
    const renders = await app.page.evaluate(() => ({ ...window.__renders }));
    await swap(app, 'src/Users.mtm', 'rgb(0, 0, 255)', 'rgb(0, 0, 254)', '#svelte-mtm .label', 'color', 'rgb(0, 0, 254)', counters);
    const after = await app.page.evaluate(() => ({ ...window.__renders }));
    assert.deepEqual(after, renders, 'neither React nor Vue re-rendered');
  });
  test('a theme change (CSS custom property on :root) reaches all four frameworks', async () => {
    await swap(app, 'src/theme.css', 'rgb(10, 20, 30)', 'rgb(11, 22, 33)', '#react-mtm .shared', 'background-color', 'rgb(11, 22, 33)', counters);
    for (const id of ['vue-mtm', 'svelte-mtm', 'solid-mtm']) assert.equal(await color(app.page, `#${id} .shared`, 'background-color'), 'rgb(11, 22, 33)', id);
  });
  test('editing one component does not re-render its siblings or other islands', async () => {
    const renders = await app.page.evaluate(() => ({ ...window.__renders }));
    app.save('src/Toggle.mtm', (s) => s.replace(/Solid mtm v\d+/, 'Solid mtm v9'));
    await app.waitForText('#solid-mtm .label', 'Solid mtm v9');
    assert.deepEqual(await app.page.evaluate(() => ({ ...window.__renders })), renders);
  });
});
