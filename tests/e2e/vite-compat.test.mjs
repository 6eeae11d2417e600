// What a Vite app expects of its dev server beyond components: inline module scripts in the
// page, `import.meta.env` from `.env` files (only `VITE_` variables), JSON with named exports,
// `?raw` and `?url` imports, dynamic imports, import.meta.glob (updated when a matching file is
// added or removed), and stylesheets whose `@import` and `url()` resolve from the stylesheet,
// with a hot update of an `@import`ed sheet; SCSS through the project's own `sass`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openFixture } from './harness.mjs';

let app, page;

before(async () => {
  app = await openFixture('vite-compat-app', '#lazy:not(:empty)');
  ({ page } = app);
});

after(() => app?.close());

const text = (id) => page.textContent(`#${id}`);

test('import.meta.env has the VITE_ variables of .env files (.env.local wins), nothing else', async () => {
  assert.equal(await text('env'), 'hello from .env.local (development, dev=true)', app.details());
  assert.equal(await text('secret'), 'undefined');
});

test('JSON named exports and key order, ?raw, ?url and dynamic imports', async () => {
  assert.equal(await text('json'), 'Settings: a,b / title,zeta,items,not-a-name');
  assert.equal(await text('raw'), 'first line of notes');
  assert.equal(await text('url'), '/src/assets/icon.svg');
  assert.equal(await text('lazy'), 'loaded lazily');
});

test('an inline <script type="module"> in index.html resolves bare imports like any module', async () => {
  await app.waitFor(() => document.getElementById('inline').textContent !== '');
  assert.equal(await text('inline'), 'inline Settings');
});

test('@import and url() resolve from the stylesheet; an edit of the imported sheet applies without a reload', async () => {
  const style = () => page.evaluate(() => {
    const s = getComputedStyle(document.getElementById('box'));
    return { color: s.color, border: s.borderTopColor, background: s.backgroundImage };
  });
  const before = await style();
  assert.equal(before.color, 'rgb(10, 20, 30)', `the @import-ed sheet applies${app.details()}`);
  assert.equal(before.border, 'rgb(0, 0, 255)');
  assert.match(before.background, /\/src\/assets\/icon\.svg/);
  const icon = await page.evaluate((url) => fetch(url).then((r) => r.status), new URL(before.background.match(/url\("(.*)"\)/)[1]).pathname);
  assert.equal(icon, 200);
  assert.ok(!app.log.some((line) => line.startsWith('[http 404]') && !line.includes('favicon')), app.details());
  app.save('src/styles/base.css', (s) => s.replace('rgb(10, 20, 30)', 'rgb(200, 0, 0)'));
  await app.waitFor(() => getComputedStyle(document.getElementById('box')).color === 'rgb(200, 0, 0)');
  assert.equal((await style()).border, 'rgb(0, 0, 255)', 'the importing sheet still applies');
  await app.assertNoReload();
});

test('import.meta.glob: eager and lazy; a file added or removed updates the globbing module without a reload', async () => {
  assert.equal(await text('glob'), './widgets/one.js=one ./widgets/two.js=two', app.details());
  await page.waitForFunction(() => document.getElementById('glob-lazy').textContent === 'one,two');
  fs.writeFileSync(app.file('src/widgets/three.js'), 'export default "three";\n');
  await app.waitFor(() => document.getElementById('glob').textContent.includes('three.js=three'));
  assert.equal(await text('glob'), './widgets/one.js=one ./widgets/three.js=three ./widgets/two.js=two');
  fs.rmSync(app.file('src/widgets/one.js'));
  await app.waitFor(() => document.getElementById('glob').textContent === './widgets/three.js=three ./widgets/two.js=two');
  await page.waitForFunction(() => document.getElementById('glob-lazy').textContent === 'three,two');
  assert.equal(await page.evaluate(() => document.querySelector('metamon-error-overlay')), null, 'a removed globbed file is no error');
  await app.assertNoReload();
});

test('SCSS (with the project\'s sass): compiled, hot-updated with its partials, and an error names its line', async () => {
  const color = () => page.evaluate(() => getComputedStyle(document.querySelector('#box .label')).color);
  assert.equal(await color(), 'rgb(0, 90, 0)', app.details());
  const good = app.read('src/styles/theme.scss');
  app.save('src/styles/theme.scss', good.replace('color: vars.$accent;', 'color: rgb(0, 0, 120);'));
  await app.waitFor(() => getComputedStyle(document.querySelector('#box .label')).color === 'rgb(0, 0, 120)');
  app.save('src/styles/theme.scss', good.replace('color: vars.$accent;', 'color: vars.$missing;'));
  const line = good.split('\n').findIndex((l) => l.includes('vars.$accent')) + 1;
  await app.waitFor((where) => document.querySelector('metamon-error-overlay')?.shadowRoot?.textContent.includes(where), `src/styles/theme.scss:${line}:`);
  assert.equal(await color(), 'rgb(0, 0, 120)', 'the last good stylesheet stays');
  app.save('src/styles/theme.scss', good);
  await app.waitFor(() => getComputedStyle(document.querySelector('#box .label')).color === 'rgb(0, 90, 0)' && !document.querySelector('metamon-error-overlay'));
  // A partial it @use-s: the sheet that uses it updates.
  app.save('src/styles/_vars.scss', (s) => s.replace('rgb(0, 90, 0)', 'rgb(90, 0, 90)'));
  await app.waitFor(() => getComputedStyle(document.querySelector('#box .label')).color === 'rgb(90, 0, 90)');
  await app.assertNoReload();
});

test('a package\'s stylesheet imported by name is served as CSS, its url()s from the package', async () => {
  // A package installed in the app (written here: node_modules is not part of the fixture).
  const pkg = app.file('node_modules/fake-ui');
  fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), '{"name":"fake-ui","version":"1.0.0","main":"index.js"}');
  fs.writeFileSync(path.join(pkg, 'index.js'), 'export const ui = "fake-ui";\n');
  fs.writeFileSync(path.join(pkg, 'dist/ui.css'), '.ui-badge { color: rgb(3, 4, 5); background-image: url(./dot.svg); }\n');
  fs.writeFileSync(path.join(pkg, 'dist/dot.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>\n');
  fs.writeFileSync(app.file('src/ui.js'), "import 'fake-ui/dist/ui.css';\nimport { ui } from 'fake-ui';\nconst badge = document.createElement('span');\nbadge.className = 'ui-badge';\nbadge.textContent = ui;\ndocument.body.append(badge);\n");
  app.save('src/main.js', (s) => `${s}\nimport('./ui.js');\n`);
  await app.waitFor(() => document.querySelector('.ui-badge')?.textContent === 'fake-ui', null, 20000);
  const style = await page.evaluate(() => { const s = getComputedStyle(document.querySelector('.ui-badge')); return { color: s.color, background: s.backgroundImage }; });
  assert.equal(style.color, 'rgb(3, 4, 5)', app.details());
  assert.match(style.background, /\/node_modules\/fake-ui\/dist\/dot\.svg/);
  assert.doesNotMatch(app.server.output(), /pre-bundling failed/, app.server.output());
});
