// Vite's `import.meta.hot` contract, case by case, each on a small app of tests/fixtures shaped
// like Vite's own HMR playground: dispose and hot.data of an accepted dependency, optional
// chaining, invalidate in import cycles, linked stylesheets, modules never loaded, deleted and
// late files, assets, per-page errors, and the events and custom messages.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launchBrowser, openFixture, overlayText } from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The page's console lines (`[log] …` without the prefix) from index `from` on. */
const logsSince = (app, from) => app.log.slice(from).filter((line) => line.startsWith('[log] ')).map((line) => line.slice(6));

/** Waits until the page logged every line of `expected` after `from`, then returns those lines in order. */
async function untilLogged(app, from, expected, pick) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const lines = logsSince(app, from).filter(pick);
    if (expected.every((line) => lines.includes(line))) return lines;
    if (Date.now() > deadline) assert.fail(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(lines)}${app.details()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const hmrLine = (line) => line.startsWith('(') || line.startsWith('>>>') || line.startsWith('[metamon] hot updated');

describe('dispose and hot.data of the updated module', () => {
  let app;
  before(async () => {
    app = await openFixture('hmr-dispose-app', '.dep:not(:empty)', { browser });
  });
  after(() => app?.close());

  test('accepted dep: its dispose runs with its hot.data, then the new version reads it, then the accept callbacks', async () => {
    const from = app.log.length;
    app.save('hmrDep.js', (code) => code.replace('const foo = 1', 'const foo = 2 '));
    const expected = [
      '>>> vite:beforeUpdate -- update',
      '(dep) foo was: 1',
      '(dep) foo from dispose: 1',
      '(single dep) foo is now: 2',
      '(single dep) nested foo is now: 1',
      '(multi deps) foo is now: 2',
      '(multi deps) nested foo is now: 1',
      '[metamon] hot updated: /hmrDep.js via /main.js',
      '>>> vite:afterUpdate -- update',
    ];
    assert.deepEqual(await untilLogged(app, from, expected, hmrLine), expected);
    assert.equal(await app.text('.dep'), '2');
    await app.assertNoReload();
  });

  test('nested dep re-exported by the accepted dep: the accepted dep is disposed and re-imported', async () => {
    const from = app.log.length;
    app.save('hmrNestedDep.js', (code) => code.replace('const foo = 1', 'const foo = 2 '));
    const expected = [
      '>>> vite:beforeUpdate -- update',
      '(dep) foo was: 2',
      '(dep) foo from dispose: 2',
      '(single dep) foo is now: 2',
      '(single dep) nested foo is now: 2',
      '(multi deps) foo is now: 2',
      '(multi deps) nested foo is now: 2',
      '[metamon] hot updated: /hmrDep.js via /main.js',
      '>>> vite:afterUpdate -- update',
    ];
    assert.deepEqual(await untilLogged(app, from, expected, hmrLine), expected);
    assert.equal(await app.text('.nested'), '2');
    await app.assertNoReload();
  });

  test('a self-accepting module: hot.data persists across its versions', async () => {
    for (const [was, now] of [[1, 2], [2, 3]]) {
      const from = app.log.length;
      app.save('hotData.js', (code) => code.replace(`const value = ${was}`, `const value = ${now}`));
      const expected = [
        '>>> vite:beforeUpdate -- update',
        `(hot data) value from execution: ${was}`,
        `(hot data) value from dispose: ${was}`,
        '[metamon] hot updated: /hotData.js',
        '>>> vite:afterUpdate -- update',
      ];
      assert.deepEqual(await untilLogged(app, from, expected, hmrLine), expected);
      await app.waitForText('.hot-data', String(now));
    }
    await app.assertNoReload();
  });
});

test('import.meta.hot?.accept(…) (optional chaining) accepts the dependency', async () => {
  const app = await openFixture('hmr-optional-chaining-app', '.optional-chaining:not(:empty)', { browser });
  try {
    const from = app.log.length;
    app.save('child.ts', (code) => code.replace('foo = 1', 'foo = 2'));
    await app.waitForText('.optional-chaining', '2');
    await untilLogged(app, from, ['(optional-chaining) child update'], hmrLine);
    await app.assertNoReload();
  } finally {
    await app.close();
  }
});

describe('invalidate() inside an import cycle', () => {
  let app;
  before(async () => {
    app = await openFixture('hmr-circular-invalidate-app', ['.invalidation-circular-deps:not(:empty)', '.invalidation-circular-deps-handled:not(:empty)'], { browser });
  });
  after(() => app?.close());

  test('a module of the cycle that accepts takes the update in place', async () => {
    app.save('invalidate-handled-in-circle/child.js', (code) => code.replace("'child'", "'child updated'"));
    await app.waitForText('.invalidation-circular-deps-handled', 'child updated');
    await app.assertNoReload();
  });

  test('every module of the cycle invalidating: the invalidation propagates once, then the page reloads', async () => {
    const loaded = app.page.waitForEvent('load');
    app.save('circular-invalidate/child.js', (code) => code.replace("'child'", "'child updated'"));
    await loaded;
    await app.waitForText('.invalidation-circular-deps', 'child updated');
    // Settled: no further invalidation rounds after the reload.
    await new Promise((r) => setTimeout(r, 500));
    const rounds = app.server.output().match(/hmr invalidate circular-invalidate/g) || [];
    assert.ok(rounds.length <= 2, `invalidated ${rounds.length} times${app.details()}`);
    assert.equal((app.server.output().match(/page reload circular-invalidate\//g) || []).length, 1, app.details());
  });
});

test('a <link rel=stylesheet> of the page hot-swaps: the new sheet loads before the old one goes, the query stays', async () => {
  const app = await openFixture('hmr-css-link-app', '.styled', { browser });
  try {
    const color = () => app.page.evaluate(() => getComputedStyle(document.querySelector('.styled')).color);
    assert.equal(await color(), 'rgb(255, 99, 71)');
    app.save('global.css', (code) => code.replace('rgb(255, 99, 71)', 'rgb(1, 2, 3)'));
    await app.waitFor(() => document.querySelector('.link-tag-removed').textContent.startsWith('yes'));
    assert.equal(await app.text('.link-tag-added'), 'yes');
    assert.equal(await app.text('.link-tag-removed'), 'yes, color then rgb(1, 2, 3)', 'the new sheet applied before the old one went');
    assert.match(await app.text('.css-prev'), /\/global\.css\?param=required$/);
    assert.match(await app.text('.css-post'), /\/global\.css\?param=required&t=\d+$/);
    assert.equal(await app.page.locator('link[rel=stylesheet]').count(), 1);
    assert.equal(await color(), 'rgb(1, 2, 3)');
    await app.assertNoReload();
  } finally {
    await app.close();
  }
});

test('a self-accepting module the page never loaded (behind an import() that never ran): editing it does nothing', async () => {
  const app = await openFixture('hmr-not-loaded-app', 'button', { browser });
  try {
    await app.page.click('button');
    await app.waitForText('button', 'Counter 1');
    app.save('dep.ts', (code) => `${code}\nexport const edited = true;\n`);
    // The update arrives and is skipped: nothing on this page runs that module.
    await app.waitFor(() => (window.__METAMON_HMR__?.skipped ?? 0) > 0);
    await new Promise((r) => setTimeout(r, 300));
    await app.assertNoReload();
    assert.equal(await app.text('button'), 'Counter 1');
  } finally {
    await app.close();
  }
});

describe('files deleted and restored, and files created late', () => {
  let app;
  before(async () => {
    app = await openFixture('hmr-delete-restore-app', '.file-delete-restore:not(:empty)', { browser });
  });
  after(() => app?.close());

  test('an import of a file missing at start works once the file is created, without a restart', async () => {
    assert.equal(await app.text('.late'), 'not yet');
    assert.match(await app.waitForOverlay(), /late\.js/, 'the failing import is this page\'s error');
    fs.writeFileSync(app.file('missing/late.js'), "export const late = 'late';\n");
    await app.waitForText('.late', 'late', 20000);
    await app.waitFor(() => !document.querySelector('metamon-error-overlay'));
    await app.page.evaluate(() => { window.__marker = 'kept'; });
  });

  test('deleting an imported file: the importer\'s update fails in the overlay, dispose and prune run; restoring it resumes HMR', async () => {
    assert.equal(await app.text('.file-delete-restore'), 'parent:child');
    app.save('file-delete-restore/child.js', (code) => code.replace("value = 'child'", "value = 'child1'"));
    await app.waitForText('.file-delete-restore', 'parent:child1');
    const original = app.read('file-delete-restore/child.js');
    const from = app.log.length;
    fs.rmSync(app.file('file-delete-restore/child.js'));
    await untilLogged(app, from, ['file-delete-restore/child.js is disposed', 'file-delete-restore/child.js is pruned'], (l) => l.startsWith('file-delete'));
    const overlay = await app.waitForOverlay();
    assert.match(overlay, /file-delete-restore\/parent\.js/);
    assert.match(overlay, /child\.js/);
    assert.equal(await app.text('.file-delete-restore'), 'parent:child1', 'the last good version keeps running');
    const restoredFrom = app.log.length;
    fs.writeFileSync(app.file('file-delete-restore/child.js'), original.replace("value = 'child1'", "value = 'child'"));
    await untilLogged(app, restoredFrom, ['file-delete-restore/child.js hot data after prune: undefined'], (l) => l.startsWith('file-delete'));
    await app.waitForText('.file-delete-restore', 'parent:child');
    await app.waitFor(() => !document.querySelector('metamon-error-overlay'));
    app.save('file-delete-restore/child.js', (code) => code.replace("value = 'child'", "value = 'child2'"));
    await app.waitForText('.file-delete-restore', 'parent:child2');
    await app.assertNoReload();
  });
});

test('assets imported as URLs hot-update: hot.accept(\'./logo.svg\') receives the new URL', async () => {
  const app = await openFixture('hmr-asset-app', '#logo[src]', { browser });
  try {
    const height = (selector) => app.page.evaluate((s) => document.querySelector(s).clientHeight, selector);
    await app.waitFor(() => document.querySelector('#logo').complete && document.querySelector('#logo-url').complete);
    assert.equal(await height('#logo'), 30);
    for (const [file, selector, message] of [['logo.svg', '#logo', 'Logo updated'], ['badge.svg', '#logo-url', 'Badge updated']]) {
      const from = app.log.length;
      app.save(file, (code) => code.replace('height="30px"', 'height="40px"'));
      const [line] = await untilLogged(app, from, [], (l) => l.startsWith(message));
      await app.waitFor((s) => document.querySelector(s).clientHeight === 40, selector);
      assert.match(logsSince(app, from).find((l) => l.startsWith(message)) ?? line ?? '', new RegExp(`^${message} /${file.replace('.', '\\.')}\\?t=\\d+$`));
    }
    await app.assertNoReload();
  } finally {
    await app.close();
  }
});

test('the error overlay shows the errors of modules this page loaded; others go to the terminal until the page imports them', async () => {
  const app = await openFixture('hmr-errors-app', '#status', { browser });
  try {
    await app.waitFor(() => window.__METAMON_HMR__?.connected);
    assert.match(app.server.output(), /scratch\/wip\.js/, 'the broken scratch file is reported in the terminal');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await overlayText(app.page), null, 'no overlay for a file the page never loaded');
    app.save('lazy/broken.js', 'export default (;\n');
    await app.waitFor((n) => (window.__METAMON_HMR__?.serverErrors?.length ?? 0) >= n, 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await overlayText(app.page), null, 'a broken module not loaded yet stays out of the overlay');
    await app.page.click('#load-broken');
    // The import gets the last good version, and the module's error is now this page's.
    await app.waitForText('#broken', 'broken loaded');
    const overlay = await app.waitForOverlay();
    assert.match(overlay, /lazy\/broken\.js/);
    assert.doesNotMatch(overlay, /scratch\/wip\.js/);
    app.save('lazy/broken.js', 'export default "broken fixed";\n');
    await app.waitFor(() => !document.querySelector('metamon-error-overlay'));
    await app.assertNoReload();
  } finally {
    await app.close();
  }
});

describe('events and custom messages', () => {
  let app;
  before(async () => {
    app = await openFixture('hmr-events-app', '.app:not(:empty)', { browser });
  });
  after(() => app?.close());

  const eventLine = (line) => line.startsWith('>>>') || line.startsWith('[metamon] hot updated');

  test('a page\'s hot.send reaches the server, and the server\'s events reach hot.on', async () => {
    await app.waitFor(() => window.__METAMON_HMR__?.connected);
    const received = await app.server.waitForEvent('custom:remote-add');
    assert.deepEqual(received.data, { a: 1, b: 2 });
    await app.server.send('custom:remote-add-result', { result: received.data.a + received.data.b });
    await app.waitForText('.custom-communication', '3');
    await app.server.send('custom:foo', { msg: 'from the server' });
    await app.waitForText('.custom', 'from the server');
  });

  test('vite:beforeUpdate / afterUpdate around the update, vite:invalidate before the importers take it', async () => {
    let from = app.log.length;
    app.save('label.js', (code) => code.replace("'label 1'", "'label 2'"));
    let expected = ['>>> vite:beforeUpdate -- update', '[metamon] hot updated: /label.js', '>>> vite:afterUpdate -- update'];
    assert.deepEqual(await untilLogged(app, from, expected, eventLine), expected);
    from = app.log.length;
    app.save('label.js', (code) => code.replace("'label 2'", "'label invalidate'"));
    expected = [
      '>>> vite:beforeUpdate -- update',
      '>>> vite:invalidate -- /label.js',
      '[metamon] hot updated: /label.js',
      '>>> vite:afterUpdate -- update',
      '>>> vite:beforeUpdate -- update',
      '[metamon] hot updated: /panel.js',
      '>>> vite:afterUpdate -- update',
    ];
    assert.deepEqual(await untilLogged(app, from, expected, eventLine), expected);
    await app.waitForText('.app', 'label invalidate');
    await app.assertNoReload();
  });

  test('vite:error carries the compile error; vite:beforeFullReload comes before a reload; the server sees the pages connect and go', async () => {
    let from = app.log.length;
    app.save('label.js', (code) => code.replace("'label invalidate'", "'label (;"));
    await untilLogged(app, from, [], (l) => l.startsWith('>>> vite:error'));
    await app.waitFor(() => document.querySelector('metamon-error-overlay'));
    assert.ok(logsSince(app, from).some((l) => /^>>> vite:error -- .+/.test(l)), app.details());
    app.save('label.js', (code) => code.replace("'label (;", "'label 3';"));
    await app.waitFor(() => !document.querySelector('metamon-error-overlay'));
    from = app.log.length;
    const loaded = app.page.waitForEvent('load');
    app.save('index.html', (code) => code.replace('<title>events</title>', '<title>events 2</title>'));
    await untilLogged(app, from, ['>>> vite:beforeFullReload -- full-reload'], eventLine);
    await loaded;
    // The server saw the old page's connection close and the new page's open.
    await app.waitFor(() => window.__METAMON_HMR__?.connected);
    const deadline = Date.now() + 10000;
    let seen;
    do {
      seen = (await app.server.events()).map((e) => e.event).filter((e) => e.startsWith('vite:client:'));
    } while (seen.length < 3 && Date.now() < deadline && (await new Promise((r) => setTimeout(r, 25)), true));
    assert.deepEqual(seen, ['vite:client:connect', 'vite:client:disconnect', 'vite:client:connect']);
  });
});

describe('cross-framework imports by use', () => {
  // The React entry mounts a Vue, a Svelte, a Solid and a Vue `.mtm` component with their own
  // APIs and renders the first three as JSX children; each of them does the same with a
  // component of another framework (a React `.mtm`, Solid, Svelte).
  let app;
  before(async () => {
    app = await openFixture('cross-use-app', ['#vue .badge', '#svelte .star', '#react .clock .star', '#mtm .note-direct .star'], { browser });
  });
  after(() => app?.close());

  const texts = (selector) => app.page.$$eval(selector, (nodes) => nodes.map((n) => n.textContent.trim()));

  test('an import is the real component for its framework API, and a bridge where it is rendered', async () => {
    // Mounted by createApp / mount / render from the React entry.
    assert.equal(await app.text('#vue .poll-text'), 'Poll v1 vue');
    assert.equal(await app.text('#svelte .tally-text'), 'Tally v1 svelte');
    assert.equal(await app.text('#solid .clock-text'), 'Clock v1 solid');
    assert.equal(await app.text('#mtm .note-text'), 'Note v1');
    // Rendered as JSX children of the React entry.
    assert.deepEqual(await texts('#react .poll-text, #react .tally-text, #react > .jsx > div > .clock > .clock-text'), ['Poll v1 jsx', 'Tally v1 jsx', 'Clock v1 jsx']);
    // Vue → React: a template child and React's createRoot; Svelte → Solid: a markup child and
    // Solid's render; Solid → React child and Svelte's mount; a Vue .mtm → Svelte both ways.
    await app.waitFor(() => document.querySelectorAll('#vue .poll-direct .badge').length === 1);
    assert.deepEqual(await texts('#vue .badge'), ['react in vue 0', 'react by value in vue 0']);
    await app.waitFor(() => document.querySelector('#svelte .tally-direct .clock-text'));
    assert.deepEqual(await texts('#svelte .clock-text'), ['Clock v1 solid in svelte', 'Clock v1 solid by value in svelte']);
    assert.deepEqual(await texts('#solid .star'), ['star by value in solid']);
    assert.deepEqual(await texts('#solid > .clock .badge'), ['react in solid 0']);
    assert.deepEqual(await texts('#mtm .star'), ['star by value in note template', 'star by value in note']);
    const errors = app.log.filter((line) => /pageerror|\[error\]|Invalid hook call/.test(line));
    assert.deepEqual(errors, [], app.details());
  });

  test('both kinds of use work: clicks update, and a save updates each in place with its state', async () => {
    await app.page.click('#vue .poll-vote');
    await app.page.click('#react .poll-vote');
    await app.page.click('#react .poll-vote');
    await app.page.click('#svelte .tally-add');
    await app.page.click('#solid > .clock > .clock-tick');
    await app.waitForText('#react .poll-vote', '2');
    assert.equal(await app.text('#vue .poll-vote'), '1');
    assert.equal(await app.text('#svelte .tally-add'), '1');
    assert.equal(await app.text('#solid > .clock > .clock-tick'), '1');
    await app.edit('src/Poll.vue', (code) => code.replace('Poll v1', 'Poll v2'),
      () => [...document.querySelectorAll('.poll-text')].every((n) => n.textContent.startsWith('Poll v2')));
    await app.edit('src/Tally.svelte', (code) => code.replace('Tally v1', 'Tally v2'),
      () => [...document.querySelectorAll('.tally-text')].every((n) => n.textContent.startsWith('Tally v2')));
    assert.equal(await app.text('#vue .poll-vote'), '1');
    assert.equal(await app.text('#react .poll-vote'), '2');
    assert.equal(await app.text('#svelte .tally-add'), '1');
    await app.assertNoReload();
  });
});
