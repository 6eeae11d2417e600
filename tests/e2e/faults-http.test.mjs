// Hostile HTTP and WebSocket input: traversal in every encoding, over-long URLs, bad query
// strings, Host and Origin variants, WebSocket messages that are not JSON or far too large.
// Refused or ignored, the server keeps serving, nothing outside the root is ever returned.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { copyFixture, cleanup, startServer, save } from './harness.mjs';
import { rawGet, rawWebSocket } from './wire.mjs';

const TOKEN = `outside-the-root-${process.pid}-${Date.now()}`;
let dir, server, port, outside;

function assertNothingOutside(response, target) {
  assert.ok(!response.body.includes(TOKEN), `${target} returned a file outside the root (status ${response.status})`);
  assert.ok(!/root:x:0:0:/.test(response.body), `${target} returned /etc/passwd`);
}

async function assertStillServing() {
  const response = await rawGet(port, '/src/main.jsx');
  assert.equal(response.status, 200, 'the server still serves modules');
  assert.match(response.body, /import/);
}

before(async () => {
  dir = copyFixture('react-app');
  outside = path.join(path.dirname(dir), `secret-${process.pid}`);
  fs.mkdirSync(outside, { recursive: true });
  for (const name of ['secret.txt', 'secret.js', 'secret.html', 'secret.mtm']) fs.writeFileSync(path.join(outside, name), TOKEN);
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'src/link.txt'));
  fs.symlinkSync(outside, path.join(dir, 'src/linked-dir'));
  fs.writeFileSync(path.join(dir, '.env.local'), `SECRET_TOKEN=${TOKEN}\n`);
  server = await startServer(dir);
  port = server.port;
});

after(async () => {
  await server?.close();
  if (dir) cleanup(dir);
  if (outside) fs.rmSync(outside, { recursive: true, force: true });
});

test('`..` in every encoding, symlinks and dot-files: nothing outside the root is returned', async () => {
  const ups = ['..', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%252e%252e', '%c0%ae%c0%ae', '%e0%80%ae%e0%80%ae', '..%00', '%2e%2e%00', '..;', '...'];
  const separators = ['/', '%2f', '%2F', '%5c', '%5C', '\\', '%252f', '%c0%af', '//', '/./'];
  const prefixes = ['/', '/src/', '/public/', '/@deps/', '/@metamon/', '/node_modules/', '/src/App.jsx/'];
  const suffixes = ['secret-PID/secret.txt', 'secret-PID/secret.js', 'secret-PID/secret.html', 'secret-PID/secret.mtm', 'etc/passwd'];
  const targets = [];
  for (const prefix of prefixes) for (const up of ups) for (const sep of separators) for (const depth of [1, 2, 6]) {
    const suffix = suffixes[(targets.length) % suffixes.length].replace('PID', String(process.pid));
    targets.push(prefix + `${up}${sep}`.repeat(depth) + suffix.replaceAll('/', sep === '\\' ? '\\' : sep.includes('%') ? sep : '/'));
  }
  targets.push('/src/link.txt', '/src/linked-dir/secret.txt', '/src/linked-dir/secret.js', '/src/linked-dir/secret.html', '/.env.local', '/%2eenv.local', '/src/../.env.local', '/.git/config', '/@fs/etc/passwd', '//etc/passwd', '/etc/passwd', '/src/link.txt?raw', '/src/link.txt?import', '/src/linked-dir/secret.js?import', '/src/linked-dir/secret.mtm?bridge=react', `/${'..%2f'.repeat(8)}etc%2fpasswd?raw`);
  const statuses = {};
  for (const target of targets) {
    const response = await rawGet(port, target, { Accept: target.length % 2 ? 'text/html' : '*/*' });
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    assertNothingOutside(response, target);
    // A navigation (Accept: text/html) to a path without a file gets the app's own page.
    const appPage = response.status === 200 && response.body.includes('<title>react fixture</title>');
    assert.ok(response.status === 0 || response.status >= 400 || appPage, `${target} answered ${response.status}: ${response.body.slice(0, 100)}`);
  }
  console.log(`# traversal: ${targets.length} requests, statuses ${JSON.stringify(statuses)}`);
  await assertStillServing();
});

test('over-long URLs and bad query strings are refused or ignored, and the server keeps serving', async () => {
  const statuses = {};
  for (const length of [8 * 1024, 64 * 1024, 1024 * 1024]) {
    const response = await rawGet(port, `/src/${'a'.repeat(length)}.jsx`);
    statuses[`path ${length}`] = response.status;
    assert.ok(response.status === 0 || response.status >= 400, `a ${length}-byte path answered ${response.status}`);
    const query = await rawGet(port, `/src/main.jsx?${'t=1&'.repeat(length / 4)}`);
    statuses[`query ${length}`] = query.status;
    assert.ok(query.status === 0 || query.status < 500, `a ${length}-byte query answered ${query.status}`);
  }
  const queries = ['%zz', '%', '%ff%fe', 't=abc', 't=-1', 't=99999999999999999999999', 'import&&&', '=&=&', 'raw=%ff', 'url&raw', 'bridge=', 'bridge=cobol', 'bridge=vue&bridge=react', 'css', 'html-proxy&index=99.js', 'html-proxy&index=-1.js', 'html-proxy&index=abc', 'import=%00', '?', '#', 't=1?t=2', `${'%41'.repeat(4000)}`];
  for (const query of queries) {
    for (const file of ['/src/main.jsx', '/src/Counter.mtm', '/src/app.css', '/index.html']) {
      const response = await rawGet(port, `${file}?${query}`);
      statuses[`${file}?${query.slice(0, 20)}`] = response.status;
      // Refused: a 4xx, or the compile-error answer naming the file and position.
      const diagnostic = response.status === 500 && new RegExp(`^${file.slice(1).replace('.', '\\.')}:\\d+:\\d+: `).test(response.body);
      assert.ok((response.status > 0 && response.status < 500) || diagnostic, `${file}?${query} answered ${response.status}: ${response.body.slice(0, 200)}`);
      assertNothingOutside(response, `${file}?${query}`);
    }
  }
  console.log(`# long URLs and bad queries: ${Object.keys(statuses).length} requests, ${JSON.stringify(Object.fromEntries(Object.entries(statuses).filter(([k]) => /^(path|query)/.test(k))))}`);
  await assertStillServing();
});

test('Host variants: only loopback names are served (DNS rebinding refused)', async () => {
  const refusedHosts = ['evil.com', `evil.com:${port}`, `127.0.0.1.nip.io:${port}`, `localhost.evil.com:${port}`, `evil.com#@localhost:${port}`, '[::ffff:7f00:1]', `[::ffff:127.0.0.1]:${port}`, '0.0.0.0', '2130706433', '127.1', `localhost@evil.com:${port}`, 'evil.com:80:localhost', '', ' ', `[::1].evil.com:${port}`];
  for (const host of refusedHosts) {
    const response = await rawGet(port, '/src/main.jsx', { Host: host });
    assert.ok(response.status === 400 || response.status === 403, `Host ${JSON.stringify(host)} answered ${response.status}`);
    assert.ok(!/import/.test(response.body), `Host ${JSON.stringify(host)} got the module`);
  }
  const noHost = await rawGet(port, '/src/main.jsx', { Host: null });
  assert.ok(noHost.status === 400 || noHost.status === 403, `no Host answered ${noHost.status}`);
  for (const host of ['localhost', `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`]) {
    const response = await rawGet(port, '/src/main.jsx', { Host: host });
    assert.equal(response.status, 200, `Host ${host}`);
  }
  console.log(`# hosts: ${refusedHosts.length + 1} refused, 5 served`);
});

test('module responses never carry Access-Control-Allow-Origin: *', async () => {
  for (const target of ['/src/main.jsx', '/src/Counter.mtm', '/src/app.css?import', '/src/app.css', '/@metamon/client', '/', '/index.html']) {
    for (const origin of [undefined, 'http://evil.com', 'null', `http://localhost:${port}`]) {
      const response = await rawGet(port, target, origin ? { Origin: origin } : {});
      assert.equal(response.status, 200, target);
      const allowed = response.headers['access-control-allow-origin'];
      assert.notEqual(allowed, '*', `${target} (Origin ${origin})`);
      if (origin && origin !== `http://localhost:${port}`) assert.equal(allowed, undefined, `${target} is readable from ${origin}`);
    }
  }
});

test('the HMR socket: other origins refused; non-JSON and far too large messages change nothing', async () => {
  for (const origin of ['http://evil.com', 'null', `http://localhost.evil.com:${port}`, `http://127.0.0.1.nip.io:${port}`, `http://localhost:${port}@evil.com`, 'file://', 'chrome-extension://abcdef', `ws://evil.com`, `https://evil.com:${port}`, `http://[::ffff:127.0.0.1]:${port}`]) {
    await assert.rejects(rawWebSocket(port, { Origin: origin }), (error) => error.status === 403, `Origin ${origin}`);
  }
  for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://[::1]:${port}`]) {
    const ws = await rawWebSocket(port, { Origin: origin });
    ws.close();
  }
  const listener = await rawWebSocket(port, { Origin: `http://127.0.0.1:${port}` });
  const hostile = await rawWebSocket(port, { Origin: `http://127.0.0.1:${port}` });
  const junk = ['not json', '{', '}', '[]', 'null', '42', '"str"', '{"type":"nope"}', '{"type":"invalidate"}', '{"type":"invalidate","path":123}', '{"type":"custom"}', '{"type":"custom","event":"metamon:client-error","data":42}', '{"type":"custom","event":"metamon:client-error","data":{"file":7,"line":"x","frame":{}}}', '['.repeat(100000), '{"a":'.repeat(50000), '\u0000\u0001\u0002', 'x'.repeat(60000)];
  for (const message of junk) await hostile.send(message);
  await hostile.send(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]), 2);
  // Far too large: 8 MB in one message.
  await hostile.send('{"type":"custom","event":"x","data":"' + 'y'.repeat(8 * 1024 * 1024) + '"}');
  const closed = await Promise.race([hostile.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
  console.log(`# socket: ${junk.length + 2} junk messages ignored, an 8 MB one closed the socket: ${closed}`);
  assert.ok(closed, 'the server closes a socket that sends a far too large message');
  await assertStillServing();
  // The page's socket still gets updates: nothing above broke the channel.
  const before = listener.messages.length;
  save(path.join(dir, 'src/Native.jsx'), (s) => s.replace(/<\/span>|<\/p>|<\/button>|<\/div>/, (m) => ` edited${m}`));
  const until = Date.now() + 10000;
  while (Date.now() < until && !listener.messages.slice(before).some((m) => /"type":"(update|full-reload)"/.test(m))) await new Promise((r) => setTimeout(r, 20));
  const received = listener.messages.slice(before).map((m) => JSON.parse(m).type);
  assert.ok(received.includes('update') || received.includes('full-reload'), `the listening socket got ${JSON.stringify(received)}\n${server.output().slice(-2000)}`);
  assert.ok(!received.includes('full-reload'), `junk messages made pages reload: ${JSON.stringify(listener.messages.slice(0, 5))}`);
  listener.close();
  hostile.close();
  assert.equal(server.process.exitCode, null, 'the server is running');
});
