// Real Vite apps run unchanged: vite.config.* (alias, define, the official plugins, env, public
// dir, extensions, preprocessor options, Vue custom elements), tsconfig paths,
// process.env.NODE_ENV, PostCSS and Tailwind (class changes hot-update the generated CSS),
// dependencies found from what the pages import (tests and tool files ignored), a dependency
// that cannot be bundled shown at its import while the rest runs, one added at run time, and
// a dependency whose file is Latin-1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openFixture, launchBrowser, copyFixture, startServer, openPage, cleanup } from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

const computed = (page, selector, property) =>
  page.evaluate(([selector, property]) => getComputedStyle(document.querySelector(selector))[property], [selector, property]);

test('a Vite React app with vite.config.ts: alias, define, Tailwind, process.env.NODE_ENV, Node built-ins externalized; its test file is ignored', async () => {
  const app = await openFixture('vite-app', '#badge', { browser });
  try {
    const { page } = app;
    assert.equal(await app.text('#version'), 'version 1.2.3', app.details());
    assert.equal(await app.text('#command'), 'serve:development', 'a function config gets { command, mode }');
    assert.equal(await app.text('#env'), 'env development');
    assert.equal(await computed(page, '#title', 'fontWeight'), '700', `Tailwind's utilities apply${app.details()}`);
    assert.equal(await computed(page, '#title', 'fontSize'), '30px');
    const output = app.server.output();
    assert.match(output, /do not run under metamon: vite-plugin-inspect;/, 'the unknown plugin is named');
    assert.doesNotMatch(output, /@vitejs\/plugin-react[^\n]*do not run/, 'the official plugins are understood');
    assert.doesNotMatch(output, /vitest|@testing-library/, 'the test file is not crawled');
    // Node built-ins are externalized for the browser, as Vite does: no overlay, a clear error
    // only where one is used.
    await app.waitForText('#storage', 'browser storage');
    assert.match(await app.text('#builtin'), /Module "os" has been externalized for browser compatibility\. Cannot access "os\.cpus"/);
    assert.equal(await page.evaluate(() => document.querySelector('metamon-error-overlay')), null);
    // A class used nowhere before: the generated stylesheet follows the component.
    app.save('src/components/Badge.tsx', (s) => s.replace('rounded p-2', 'rounded p-2 bg-red-500'));
    await app.waitFor(() => getComputedStyle(document.getElementById('badge')).backgroundColor !== 'rgba(0, 0, 0, 0)');
    assert.match(await computed(page, '#badge', 'backgroundColor'), /^(oklch|rgb|color)/);
    await app.assertNoReload();
  } finally {
    await app.close();
  }
});

test('vite.config.mjs: regex alias, extensions, base, define in Vue/Svelte/Solid output, css.modules, envPrefix/envDir, publicDir, scss additionalData, Vue isCustomElement; tsconfig paths', async () => {
  const app = await openFixture('vite-config-app', '#custom', { browser });
  try {
    const { page } = app;
    assert.equal(await app.text('#regex-alias'), 'from lib', app.details());
    assert.equal(await app.text('#paths'), 'PATHS!');
    assert.equal(await app.text('#extension'), 'answer 42');
    assert.equal(await app.text('#env'), 'from env dir');
    assert.equal(await app.text('#hidden'), 'undefined', 'only the envPrefix variables are exposed');
    assert.equal(await computed(page, '#scss', 'color'), 'rgb(4, 5, 6)');
    // css.modules: generateScopedName and localsConvention 'camelCaseOnly'.
    assert.match(await page.getAttribute('#card', 'class'), /^Card-module__card-title___\S+$/);
    assert.equal(await page.getAttribute('#card', 'data-keys'), 'cardTitle');
    assert.equal(await computed(page, '#card', 'color'), 'rgb(7, 8, 9)');
    assert.equal(await app.text('#custom'), 'custom element');
    // `define` reaches what each framework's compiler produced, as it does plain scripts.
    assert.equal(await app.text('#script-define'), 'script defined');
    assert.equal(await app.text('#vue-define'), 'vue defined plain');
    assert.equal(await app.text('#svelte-define'), 'svelte defined development');
    assert.equal(await app.text('#solid-define'), 'solid defined plain');
    assert.ok(!app.log.some((line) => line.includes('Failed to resolve component')), `my-widget is a custom element${app.details()}`);
    // base: the app is served under /app/ (public files too), `/` redirects there.
    assert.equal(await app.text('#base'), '/app/');
    assert.equal(new URL(page.url()).pathname, '/app/');
    const served = await page.evaluate(() => fetch('/app/hello.txt').then((r) => r.text()));
    assert.equal(served.trim(), 'public file');
    const root = await fetch(new URL('/', page.url()), { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/app/');
  } finally {
    await app.close();
  }
});

test('dependencies come from what the pages import; a missing one is shown at its import and the rest runs; a new one is bundled at run time', async () => {
  const app = await openFixture('vite-deps-app', '#ok:not(:empty)', { browser });
  try {
    const { page } = app;
    assert.equal(await app.text('#ok'), 'hello world');
    const overlay = await app.waitForOverlay();
    assert.match(overlay, /left-pad-that-is-not-installed/, app.details());
    assert.match(overlay, /src\/broken\.js:3/);
    assert.match(overlay, /not installed: run `npm install left-pad-that-is-not-installed`/);
    const output = app.server.output();
    assert.doesNotMatch(output, /vitest|msw|@testing-library|cypress/, 'test files are not crawled');
    // Fixing the import clears the error.
    app.save('src/broken.js', (s) => s.replace("import pad from 'left-pad-that-is-not-installed';", "const pad = (s, n) => s.padStart(n, '-');"));
    await app.waitFor(() => !document.querySelector('metamon-error-overlay')?.shadowRoot?.textContent?.includes('left-pad'));
    // A bare import first seen at run time: bundled with the others, and the page reloads (its
    // other modules came from the previous bundle). Fixing broken.js above reloaded it too
    // (nothing accepts it), so the page settles before it is checked and closed.
    let lastNavigation = Date.now();
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) lastNavigation = Date.now(); });
    app.save('src/added.js', () => "import { capitalize } from '@vue/shared';\nexport const added = () => capitalize('bundled at run time');\n");
    await app.waitForText('#added', 'Bundled at run time', 30000);
    while (Date.now() - lastNavigation < 600) await new Promise((resolve) => setTimeout(resolve, 100));
    await page.waitForLoadState('load');
    await app.waitForText('#added', 'Bundled at run time', 30000);
    assert.match(app.server.output(), /pre-bundling dependencies:[^\n]*@vue\/shared/);
  } finally {
    await app.close();
  }
});

test('PostCSS: postcss.config.mjs with @tailwindcss/postcss, a local plugin and autoprefixer, in stylesheets and Vue/Svelte style blocks; a plugin that is not installed says what to install', async () => {
  const app = await openFixture('vite-postcss-app', '#box[data-ready]', { browser });
  try {
    const { page } = app;
    assert.equal(await computed(page, '#box', 'color'), 'rgb(1, 2, 3)', `the local plugin ran${app.details()}`);
    assert.equal(await computed(page, '#tw', 'fontWeight'), '700', 'Tailwind through PostCSS');
    // Component style blocks go through the same PostCSS config, as in Vite.
    assert.equal(await computed(page, '.vue-box', 'color'), 'rgb(1, 2, 3)', 'a Vue <style scoped> block');
    assert.equal(await computed(page, '.svelte-box', 'color'), 'rgb(1, 2, 3)', 'a Svelte <style> block');
    app.save('postcss.config.mjs', (s) => s.replace('autoprefixer: {},', "autoprefixer: {},\n    'postcss-plugin-not-installed': {},"));
    app.save('src/app.css', (s) => `${s}\n.later { color: red; }\n`);
    const overlay = await app.waitForOverlay();
    assert.match(overlay, /postcss-plugin-not-installed/);
    assert.match(overlay, /npm install -D postcss-plugin-not-installed/);
  } finally {
    await app.close();
  }
});

test('a dependency file that is not UTF-8 (Latin-1) is bundled', async () => {
  const dir = copyFixture('vite-latin1-app');
  const pkg = path.join(dir, 'node_modules/latin1-locale');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'latin1-locale', version: '1.0.0', main: 'index.js' }));
  fs.writeFileSync(path.join(pkg, 'index.js'), Buffer.from("module.exports = 'caf\xe9 cr\xe8me';\n", 'latin1'));
  const server = await startServer(dir);
  try {
    const { page } = await openPage(browser, server.url);
    await page.waitForFunction(() => document.getElementById('word').textContent !== '', null, { timeout: 15000 })
      .catch((e) => assert.fail(`${e.message}\n${server.output()}`));
    assert.equal(await page.textContent('#word'), 'café crème');
    await page.close();
  } finally {
    await server.close();
    cleanup(dir);
  }
});
