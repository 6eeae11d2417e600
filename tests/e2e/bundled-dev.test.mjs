// Bundled dev serving (`metamon dev --bundle`, the default), whatever mode the suite runs in: the
// showcase's modules reach the page in packs, evaluated by the page's module registry; state is
// shared across the four frameworks, routes load lazily in a pack of their own, saves update in
// place keeping state, a broken save shows the overlay at its line and the page recovers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture } from './harness.mjs';

let app, page;
const byId = (id) => `[data-testid="${id}"]`;
const text = (id) => page.textContent(byId(id));
const waitText = (id, expected) => app.waitForText(byId(id), String(expected));

/** The page's requests so far: `{ path, type }` from the Resource Timing entries. */
const requests = () =>
  page.evaluate(() => performance.getEntriesByType('resource').map((entry) => {
    const url = new URL(entry.name);
    return { path: url.pathname + url.search, type: entry.initiatorType };
  }));
const packRequests = async () => (await requests()).filter((r) => r.path.startsWith('/@metamon/pack'));

before(async () => {
  app = await openFixture('examples/showcase', ['page-home', 'react-counter', 'vue-board', 'svelte-users', 'solid-theme'].map(byId), { args: ['--bundle'] });
  ({ page } = app);
});

after(() => app?.close());

test('bundled: the page loads its modules in one pack; only dependencies are module requests', async () => {
  assert.equal(await page.evaluate(() => typeof window.__METAMON_REGISTRY__?.import), 'function', 'the page has a module registry');
  const all = await requests();
  const scripts = all.filter((r) => r.type === 'script').map((r) => r.path);
  const appScripts = scripts.filter((path) => !path.startsWith('/@deps/') && path !== '/@metamon/registry.js');
  assert.deepEqual(appScripts, [], `no app or runtime module is requested on its own (scripts: ${scripts.join(', ')})`);
  const packs = (await packRequests()).map((r) => r.path);
  assert.equal(packs.filter((path) => path.includes('?m=')).length, 1, `one pack for the page, then one per lazy import (${packs.join(', ')})`);
  assert.ok(all.length < 40, `a few requests in all (${all.length})`);
});

test('bundled: DevTools finds each module\'s source map, linked from the pack rather than inlined', async () => {
  const cdp = await page.context().newCDPSession(page);
  const scripts = [];
  cdp.on('Debugger.scriptParsed', (event) => scripts.push(event));
  await cdp.send('Debugger.enable'); // reports the scripts already parsed: the registry's evals
  await cdp.send('Debugger.disable');
  await cdp.detach();
  const counter = scripts.find((script) => URL.canParse(script.url) && new URL(script.url).pathname === '/src/components/Counter.mtm');
  assert.ok(counter, `the Counter module is a script of its own in DevTools (${scripts.length} scripts)`);
  assert.match(counter.sourceMapURL, /^\/@metamon\/map\?m=/, 'its map is linked, not a data: URL');
  const map = await page.evaluate(async (url) => (await fetch(url)).json(), new URL(counter.sourceMapURL, counter.url).href);
  const source = map.sources.findIndex((name) => name.endsWith('Counter.mtm'));
  assert.ok(source >= 0, `the map names the .mtm file (${map.sources})`);
  assert.match(map.sourcesContent[source], /Team counter/, 'with its original text');
  const packs = await page.evaluate(async () => {
    const list = await (await fetch('/@metamon/pack?m=%2Fsrc%2Fmain.js')).json();
    return (await fetch(list.stable)).text();
  });
  assert.ok(packs.includes('sourceMappingURL=/@metamon/map?m='), 'the pack links its modules\' maps');
  assert.doesNotMatch(packs, /\/\/# sourceMappingURL=data:application\/json;base64,[A-Za-z0-9+/]{16}/, 'and carries none inline');
});

test('bundled: one signal across the four frameworks, events and theme', async () => {
  const count = Number(await text('react-user-count'));
  await page.click(byId('bump-users'));
  for (const id of ['react-user-count', 'svelte-user-count', 'strip-users']) await waitText(id, count + 1);
  await page.click(byId('theme-toggle'));
  await app.waitFor(() => document.documentElement.dataset.theme === 'dark');
  await waitText('strip-theme', 'dark');
});

test('bundled: a save updates the component in place, keeping its local state and the signals', async () => {
  await page.click(byId('bump-local'));
  await page.click(byId('bump-local'));
  const local = await text('react-local-count');
  const users = await text('react-user-count');
  await page.fill(byId('message-input'), 'draft kept');
  for (const [file, from, to, card] of [
    ['src/components/Counter.mtm', '<h2>Team counter</h2>', '<h2>Team counter (edited)</h2>', 'react-counter'],
    ['src/components/MessageBoard.mtm', '<h2>Message board</h2>', '<h2>Message board (edited)</h2>', 'vue-board'],
  ]) {
    const packs = (await packRequests()).length;
    const updates = await app.hmrUpdates();
    await app.edit(file, (s) => s.replace(from, to), ([sel, want]) => document.querySelector(sel)?.textContent.includes(want), [byId(card), to.replace(/<\/?h2>/g, '')]);
    await app.waitForUpdateAfter(updates);
    assert.equal((await packRequests()).length, packs, `${file}: the new version came with the update, no pack request`);
  }
  assert.equal(await text('react-local-count'), local, 'React local state kept');
  assert.equal(await text('react-user-count'), users, 'the signal kept');
  assert.equal(await page.inputValue(byId('message-input')), 'draft kept', 'Vue local state kept');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'theme kept');
  await app.assertNoReload();
});

test('bundled: a route loads its page lazily, in a pack, with no module request', async () => {
  const packs = (await packRequests()).length;
  await page.click(byId('nav-nested'));
  await app.waitForSelector(byId('nest-solid'));
  assert.equal(await text('nest-solid-message'), 'HELLO FROM REACT', 'props passed React › Vue › Svelte › Solid');
  assert.ok((await packRequests()).length > packs, 'the page came in a pack of its own');
  const scripts = (await requests()).filter((r) => r.type === 'script' && !r.path.startsWith('/@deps/') && r.path !== '/@metamon/registry.js');
  assert.deepEqual(scripts, []);
  await page.click(byId('nav-home'));
  await app.waitForSelector(byId('react-counter'));
  await app.assertNoReload();
});

test('bundled: a broken save shows the overlay at its line; the fix applies with state kept', async () => {
  const users = await text('react-user-count');
  const { original, line } = app.replaceLine('src/components/Counter.mtm', '<h2>', '    <h2>{oops</h2>');
  const overlay = await app.waitForOverlay();
  assert.match(overlay, new RegExp(`Counter\\.mtm:${line}`), overlay);
  app.save('src/components/Counter.mtm', original.replace(/<h2>[^<]*<\/h2>/, '<h2>Team counter (fixed)</h2>'));
  await app.waitFor(() => !document.querySelector('metamon-error-overlay'));
  await app.waitForText(`${byId('react-counter')} h2`, 'Team counter (fixed)');
  assert.equal(await text('react-user-count'), users);
  await app.assertNoReload();
});

/** The content-hashed packs of this page load: `{ path, transferSize, size }`. */
const hashedPacks = () =>
  page.evaluate(() => performance.getEntriesByType('resource')
    .filter((entry) => /\/@metamon\/pack\/[0-9a-f]{16}\.json$/.test(entry.name))
    .map((entry) => ({ path: new URL(entry.name).pathname, transferSize: entry.transferSize, size: entry.decodedBodySize })));

test('bundled: a reload after saves downloads only what changed; a new visitor gets the current code', async () => {
  // Every pack of the first load (the page's, then its route's) is a stable pack.
  const before = new Set((await hashedPacks()).map((p) => p.path));
  assert.ok(before.size >= 2, `the page and its route came in content-hashed packs (${[...before].join(', ')})`);
  // The tests above saved Counter.mtm and MessageBoard.mtm: a reload gets their current code.
  await page.reload();
  const current = (p) => Promise.all([
    p.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('Team counter (fixed)'), `${byId('react-counter')} h2`),
    p.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('Message board (edited)'), byId('vue-board')),
  ]);
  await current(page).catch((e) => assert.fail(e.message + app.details()));
  const after = await hashedPacks();
  const stable = after.filter((p) => before.has(p.path));
  const recent = after.filter((p) => !before.has(p.path));
  assert.ok(stable.length >= 2, `the page's and its route's stable packs keep their URLs (${JSON.stringify(after)})`);
  for (const pack of stable) assert.equal(pack.transferSize, 0, `${pack.path} came from the browser cache, not the server`);
  assert.ok(recent.length >= 1 && recent.every((p) => p.transferSize > 0), `what changed came from the server (${JSON.stringify(recent)})`);
  const bytes = (packs) => packs.reduce((sum, p) => sum + p.size, 0);
  assert.ok(bytes(recent) * 4 < bytes(stable), `the recent packs hold only what changed (${bytes(recent)} against ${bytes(stable)} bytes)`);
  // A new visitor (no cache) gets the same two packs: the stable pack's old versions give way.
  const visitor = await app.browser.newPage();
  try {
    await visitor.goto(app.server.url);
    await current(visitor);
  } finally {
    await visitor.close();
  }
});
