// The dev server's walking skeleton in a real browser: React `.mtm` and native `.jsx`
// components hot-update with their state, a module nothing accepts reloads the page, a syntax
// error shows an overlay at the `.mtm` line while the page keeps working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { openFixture } from './harness.mjs';

let app, page, server;

before(async () => {
  app = await openFixture('react-app', '#mtm .label');
  ({ page, server } = app);
});

after(() => app?.close());

async function clickTimes(selector, times) {
  for (let i = 0; i < times; i++) await page.click(selector);
}

test('a React .mtm component hot-updates and keeps its useState value, without a reload', async () => {
  await clickTimes('#mtm button', 3);
  assert.equal(await page.textContent('#mtm button'), '3');
  app.save('src/Counter.mtm', (s) => s.replace('Counter v1', 'Counter v2'));
  await app.waitForText('#mtm .label', 'Counter v2');
  assert.equal(await page.textContent('#mtm button'), '3', 'local state survived');
  await app.assertNoReload();
});

test('a native .jsx component hot-updates and keeps its useState value', async () => {
  await clickTimes('#native button', 2);
  app.save('src/Native.jsx', (s) => s.replace('Native v1', 'Native v2'));
  await app.waitForText('#native .label', 'Native v2');
  assert.equal(await page.textContent('#native button'), '2');
  assert.equal(await page.textContent('#mtm button'), '3');
  await app.assertNoReload();
});

test('a syntax error shows the overlay at the .mtm line; the page keeps working; the fix clears it', async () => {
  const { original: good, line: broken } = app.replaceLine('src/Counter.mtm', 'const [count, setCount]', '  const [count, setCount] = useState(0;');
  const text = await app.waitForOverlay();
  assert.match(text, new RegExp(`src/Counter\\.mtm:${broken}:`), text);
  const line = await page.evaluate(() => document.querySelector('metamon-error-overlay').dataset.line);
  assert.equal(line, String(broken));
  // The last good code still runs, with its state.
  await page.click('#native button');
  assert.equal(await page.textContent('#native button'), '3');
  assert.equal(await page.textContent('#mtm .label'), 'Counter v2');
  await app.edit('src/Counter.mtm', good.replace('Counter v2', 'Counter v3'), () => !document.querySelector('metamon-error-overlay') && document.querySelector('#mtm .label')?.textContent === 'Counter v3');
  assert.equal(await page.textContent('#mtm button'), '3');
  await app.assertNoReload();
});

test('a module without an accept boundary reloads the page, which still works', async () => {
  await app.edit('src/setup.js', (s) => s.replace('setup v1', 'setup v2'), () => document.title === 'setup v2' && window.__marker === undefined);
  await page.waitForSelector('#mtm button');
  // The .mtm counter's local state came back from the runtime's snapshot (it was 3).
  assert.equal(await page.textContent('#mtm button'), '3');
  await page.click('#mtm button');
  assert.equal(await page.textContent('#mtm button'), '4');
});

function rawGet(url, requestPath, headers = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, path: requestPath, headers, method: 'GET' }, (response) => {
      let body = '';
      response.on('data', (c) => { body += c; });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

test('paths outside the root, dot-files and foreign hosts are refused', async () => {
  for (const requestPath of ['/../Cargo.toml', '/.env', '/%2e%2e/', '/%2e%2e/%2e%2e/Cargo.toml', '/.git/config', '/src/..%2f..%2fCargo.toml']) {
    const { status, body } = await rawGet(server.url, requestPath);
    assert.ok(status === 403 || status === 404, `${requestPath} → ${status}`);
    assert.doesNotMatch(body, /\[workspace\]|\[package\]/);
  }
  assert.equal((await rawGet(server.url, '/src/setup.js', { host: 'evil.example:80' })).status, 403);
  assert.equal((await rawGet(server.url, '/src/setup.js')).status, 200);
});

function upgrade(url, origin) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const headers = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: origin };
    const request = http.request({ hostname, port, path: '/@metamon/ws', headers });
    request.on('upgrade', (response, socket) => { socket.destroy(); resolve(response.statusCode); });
    request.on('response', (response) => { response.resume(); resolve(response.statusCode); });
    request.on('error', reject);
    request.end();
  });
}

test('the HMR WebSocket refuses pages of other origins', async () => {
  assert.equal(await upgrade(server.url, 'http://evil.example'), 403);
  assert.equal(await upgrade(server.url, server.url.replace(/\/$/, '')), 101);
});
