// `metamon build` and `metamon preview`: the production bundle of a mixed-framework app served
// as a static host would, driven in Chromium — the showcase's user journeys with no dev URLs
// and no WebSocket, hashed file names, extracted CSS, lazy pages as their own chunks; `--base`,
// `.env.production`, `public/`, inlined and hashed assets, CSS modules; a broken file fails the
// build at its line and leaves the last good `dist/` as it was.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { binary, cleanup, copyFixture, launchBrowser } from './harness.mjs';

const scratch = [];
let browser;
after(async () => {
  await browser?.close();
  for (const dir of scratch) cleanup(dir);
});

/** Runs the binary to its end: exit code and output. */
function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`metamon ${args.join(' ')} timed out:\n${stdout}\n${stderr}`)); }, 120000);
    child.on('error', reject);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** `metamon preview`, resolved once it prints its URL. */
function preview(root, args = []) {
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const child = spawn(binary, ['preview', root, '--port', port, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`metamon preview did not start:\n${output}`)), 30000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/Local: (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], close: () => new Promise((done) => { child.once('exit', done); child.kill(); }) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`metamon preview exited (${code}):\n${output}`)); });
  });
}

/** A page of the built app, recording every request and any WebSocket. */
async function open(url) {
  browser ??= await launchBrowser();
  const page = await browser.newPage();
  const requests = [];
  const sockets = [];
  const errors = [];
  page.on('request', (request) => requests.push(new URL(request.url()).pathname));
  page.on('websocket', (socket) => sockets.push(socket.url()));
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.goto(url);
  return { page, requests, sockets, errors };
}

/** The status of a GET with the given Host header (fetch cannot set one). */
function statusWithHost(url, host) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { Host: host } }, (response) => { response.resume(); resolve(response.statusCode); }).on('error', reject);
  });
}

function files(dir) {
  return fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

const byId = (id) => `[data-testid="${id}"]`;
const HASHED = /^assets\/[\w.-]+-[\w-]{8}\.(js|css|svg)(\.map)?$/;

test('the showcase, built and previewed: the four frameworks share state, route and theme with no dev server', async () => {
  const dir = copyFixture('examples/showcase');
  scratch.push(dir);
  const built = await run(['build', dir]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  assert.match(built.stdout, /dist\/index\.html\s+[\d.]+ kB │ gzip: +[\d.]+ kB/);
  assert.match(built.stdout, /✓ built in \d+ ms/);
  const dist = path.join(dir, 'dist');
  for (const file of files(dist).filter((f) => f !== 'index.html')) assert.match(file, HASHED, `${file} is hashed`);
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  assert.match(html, /<script type="module" crossorigin src="\/assets\/index-[\w-]{8}\.js"><\/script>/);
  assert.doesNotMatch(html, /@metamon|\/src\//);
  for (const js of files(dist).filter((f) => f.endsWith('.js'))) {
    const code = fs.readFileSync(path.join(dist, js), 'utf8');
    for (const devOnly of ['import.meta.hot', '/@metamon/client', '__VUE_HMR_RUNTIME__', '$RefreshReg$', '__metamon_local']) {
      assert.ok(!code.includes(devOnly), `${js} has ${devOnly}`);
    }
  }

  const server = await preview(dir);
  try {
    const { page, requests, sockets, errors } = await open(server.url);
    for (const id of ['page-home', 'react-counter', 'vue-board', 'svelte-users', 'solid-theme', 'event-log']) {
      await page.waitForSelector(byId(id), { timeout: 20000 });
    }
    await page.evaluate(() => { window.__marker = 'kept'; });
    // React bumps the shared signal: Svelte and the layout follow; the event log shows it.
    const users = Number(await page.textContent(byId('react-user-count')));
    await page.click(byId('bump-users'));
    for (const id of ['react-user-count', 'svelte-user-count', 'strip-users']) {
      await page.waitForFunction(([sel, n]) => document.querySelector(sel)?.textContent.trim() === n, [byId(id), String(users + 1)]);
    }
    assert.match(await page.textContent(byId('event-log')), /React published counted/);
    // Svelte adds a person, Vue posts a message: events cross frameworks.
    await page.fill(byId('user-input'), 'Margaret Hamilton');
    await page.click(byId('add-user'));
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('Margaret Hamilton'), byId('user-list'));
    await page.fill(byId('message-input'), 'built and shipped');
    await page.click(byId('post-message'));
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('built and shipped'), byId('message-list'));
    assert.match(await page.textContent(byId('event-log')), /Vue published messagePosted/);
    // Solid flips the theme: every framework's card changes colour (CSS from the extracted files).
    const colours = () => page.$$eval(['react-counter', 'vue-board', 'svelte-users', 'solid-theme'].map(byId).join(','), (cards) => cards.map((c) => getComputedStyle(c).backgroundColor));
    const light = await colours();
    await page.click(byId('theme-toggle'));
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await page.waitForTimeout(400);
    const dark = await colours();
    light.forEach((colour, i) => assert.notEqual(dark[i], colour, `card ${i} follows the theme`));
    // Routing with no reload; the page arrives as its own lazy chunk.
    const before = requests.length;
    await page.click(byId('nav-about'));
    await page.waitForSelector(byId('page-about'));
    assert.equal(new URL(page.url()).pathname, '/about-metamon');
    assert.ok(requests.slice(before).some((r) => /^\/assets\/about-[\w-]{8}\.js$/.test(r)), `the about page is a chunk of its own: ${requests.slice(before)}`);
    await page.click(byId('nav-home'));
    await page.waitForSelector(byId('page-home'));
    assert.equal(await page.evaluate(() => window.__marker), 'kept', 'no reload');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    // A router path loaded directly gets the page (SPA fallback).
    const direct = await open(`${server.url}about-metamon`);
    await direct.page.waitForSelector(byId('page-about'));
    // Nothing from the dev server: no module URLs, no dependency bundle, no socket.
    const all = [...requests, ...direct.requests];
    assert.deepEqual(all.filter((r) => /^\/(@metamon|@deps|src|pages|layouts)\//.test(r)), []);
    assert.ok(all.some((r) => /^\/assets\/[\w-]+-\w{8}\.css$/.test(r)), 'stylesheets come from extracted .css files');
    assert.deepEqual([...sockets, ...direct.sockets], []);
    assert.deepEqual([...errors, ...direct.errors], []);
    const asset = all.find((r) => r.endsWith('.js'));
    const response = await fetch(new URL(asset, server.url));
    assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(response.headers.get('content-type'), /^text\/javascript/);
    assert.equal((await fetch(new URL('/index.html', server.url))).headers.get('cache-control'), 'no-cache');
    assert.equal(await statusWithHost(server.url, 'evil.example'), 403, 'a foreign Host is refused');
  } finally {
    await server.close();
  }
});

test('--base, .env.production, public/, an inlined and a hashed asset, a CSS module, a lazy chunk with its CSS, source maps', async () => {
  const dir = copyFixture('build-app');
  scratch.push(dir);
  const built = await run(['build', dir, '--base', '/sub/', '--sourcemap']);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const dist = path.join(dir, 'dist');
  const written = files(dist);
  assert.ok(written.includes('robots.txt') && written.includes('favicon.svg'), `public/ copied: ${written}`);
  assert.equal(fs.readFileSync(path.join(dist, 'robots.txt'), 'utf8'), fs.readFileSync(path.join(dir, 'public/robots.txt'), 'utf8'));
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  assert.match(html, /src="\/sub\/assets\/index-[\w-]{8}\.js"/);
  assert.match(html, /href="\/sub\/favicon\.svg"/);
  assert.match(html, /<link rel="stylesheet" crossorigin href="\/sub\/assets\/index-\w{8}\.css">/);
  const bundle = written.filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(dist, f), 'utf8')).join('\n');
  assert.ok(!bundle.includes('do-not-ship'), 'only VITE_/METAMON_ variables reach the bundle');
  const map = JSON.parse(fs.readFileSync(path.join(dist, written.find((f) => /^assets\/index-.*\.js\.map$/.test(f))), 'utf8'));
  assert.ok(map.sources.includes('../../src/App.mtm'), `the map names the .mtm file: ${map.sources.slice(0, 8)}`);
  // The Vue compiler makes maps only when the build asks for them: here it must have.
  const widget = map.sources.indexOf('../../src/Widget.vue');
  assert.match(map.sourcesContent[widget] ?? '', /^<template>/, 'the map holds the .vue file itself');

  const server = await preview(dir, ['--base', '/sub/']);
  try {
    assert.match(server.url, /\/sub\/$/);
    const { page, requests, sockets, errors } = await open(server.url);
    await page.waitForFunction(() => document.getElementById('facts').textContent.length > 0);
    const facts = JSON.parse(await page.textContent('#facts'));
    assert.equal(facts.greeting, 'hello production');
    assert.equal(facts.fromEnv, 'env-file');
    assert.equal(facts.secret, 'undefined');
    assert.equal(facts.mode, 'production');
    assert.equal(facts.prod, true);
    assert.equal(facts.dev, false);
    assert.equal(facts.base, '/sub/');
    assert.equal(facts.nodeEnv, 'production');
    assert.match(facts.tiny, /^data:image\/svg\+xml;base64,/, 'a small asset is inlined');
    assert.match(facts.big, /^\/sub\/assets\/big-\w{8}\.svg$/, 'a large asset is hashed');
    assert.equal((await fetch(new URL(facts.big, server.url))).status, 200);
    assert.notEqual(facts.cardClass, 'card', 'CSS module class names are scoped');
    const colour = (selector) => page.$eval(selector, (el) => getComputedStyle(el).color);
    assert.equal(await colour('#card'), 'rgb(1, 2, 3)');
    assert.equal(await colour('#hero'), 'rgb(10, 20, 30)');
    assert.match(await page.$eval('#hero', (el) => getComputedStyle(el).backgroundImage), /data:image\/svg\+xml/);
    // The React .mtm renders its Vue child (scoped style) and keeps a shared signal.
    await page.waitForSelector('.widget');
    assert.equal(await page.textContent('.widget'), 'from react in vue');
    assert.equal(await colour('.widget'), 'rgb(4, 5, 6)');
    await page.click('#bump');
    await page.waitForFunction(() => document.getElementById('count').textContent === '1/1');
    // A dynamic import is a chunk of its own, and brings its CSS.
    const before = requests.length;
    await page.click('#load-lazy');
    await page.waitForFunction(() => document.getElementById('lazy').textContent === 'lazy loaded');
    assert.ok(requests.slice(before).some((r) => /^\/sub\/assets\/lazy-[\w-]{8}\.js$/.test(r)), `${requests.slice(before)}`);
    await page.waitForFunction(() => getComputedStyle(document.getElementById('lazy')).color === 'rgb(7, 8, 9)');
    assert.deepEqual(sockets, []);
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});

test('cross-framework imports by use, built: each framework API gets the real component, JSX and templates a bridge', async () => {
  const dir = copyFixture('cross-use-app');
  scratch.push(dir);
  const built = await run(['build', dir]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const server = await preview(dir);
  try {
    const { page, errors } = await open(server.url);
    await page.waitForSelector('#mtm .note-direct .star');
    await page.waitForSelector('#svelte .tally-direct .clock-text');
    await page.waitForFunction(() => document.querySelectorAll('#vue .badge').length === 2);
    const texts = (selector) => page.$$eval(selector, (nodes) => nodes.map((n) => n.textContent.trim()));
    assert.deepEqual(await texts('#vue .poll-text, #svelte .tally-text, #solid > .clock > .clock-text'), ['Poll v1 vue', 'Tally v1 svelte', 'Clock v1 solid']);
    assert.deepEqual(await texts('#react .poll-text, #react .tally-text'), ['Poll v1 jsx', 'Tally v1 jsx']);
    assert.deepEqual(await texts('#vue .badge'), ['react in vue 0', 'react by value in vue 0']);
    assert.deepEqual(await texts('#svelte .clock-text'), ['Clock v1 solid in svelte', 'Clock v1 solid by value in svelte']);
    assert.deepEqual(await texts('#mtm .star'), ['star by value in note template', 'star by value in note']);
    await page.click('#react .poll-vote');
    await page.waitForFunction(() => document.querySelector('#react .poll-vote').textContent === '1');
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});

test('a broken file fails the build at its line, every error is reported, and the last dist/ stays as it was', async () => {
  const dir = copyFixture('build-app');
  scratch.push(dir);
  const first = await run(['build', dir]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const dist = path.join(dir, 'dist');
  const snapshot = () => files(dist).map((f) => [f, fs.readFileSync(path.join(dist, f), 'utf8')]);
  const good = snapshot();

  const widget = path.join(dir, 'src/Widget.vue');
  fs.writeFileSync(widget, fs.readFileSync(widget, 'utf8').replace('<p class="widget">{{ label }} in vue</p>', '<p class="widget">{{ label  in vue</p>'));
  const css = path.join(dir, 'src/card.module.css');
  fs.writeFileSync(css, '.card {\n  color: rgb(1, 2, 3);\n}\n}\n.x { color: red; ');
  const broken = await run(['build', dir]);
  assert.equal(broken.code, 1, broken.stdout + broken.stderr);
  assert.match(broken.stderr, /src\/Widget\.vue:2:\d+/, broken.stderr);
  assert.match(broken.stderr, /src\/card\.module\.css:\d+:\d+/, 'every broken file is reported');
  assert.match(broken.stderr, /│|\|/, 'with a code frame');
  assert.match(broken.stderr, /build failed with 2 errors; the last build was left as it was/);
  assert.deepEqual(snapshot(), good, 'dist/ is untouched');

  fs.writeFileSync(widget, fs.readFileSync(path.join(dir, '../..', 'fixtures/build-app/src/Widget.vue'), 'utf8'));
  fs.writeFileSync(css, '.card { color: rgb(1, 2, 3); }\n');
  const main = path.join(dir, 'src/main.js');
  fs.writeFileSync(main, fs.readFileSync(main, 'utf8').replace("import App from './App.mtm';", "import App from './App.mtm';\nimport missing from './missing.js';"));
  const unresolved = await run(['build', dir]);
  assert.equal(unresolved.code, 1);
  assert.match(unresolved.stderr, /missing\.js/);
  assert.match(unresolved.stderr, /src\/main\.js:8/, `the importer and its line: ${unresolved.stderr}`);
  assert.deepEqual(snapshot(), good, 'dist/ is untouched');
});
