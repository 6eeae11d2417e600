// The parts of the test helpers that need no browser: verifyStatePreservation's diff, binary
// lookup, and startDevServer's spawn / ready / close against a stand-in for `metamon`.
// The browser side is tested in tests/e2e/testing-utils.test.mjs (and every e2e test starts
// its server with startDevServer).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyStatePreservation, findBinary, freePort, startDevServer } from './index.mjs';

const base = () => ({
  signals: { shared: 3, user: { name: 'Ada' } },
  subscriptions: { 'react:«r1»#1': { ping: 1 }, 'svelte:#2': { ping: 1 }, 'vue:3:/src/Board.vue.mtm#1': { ping: 1 } },
  components: { '/src/Users.mtm#default#0': { count: 2, pings: 1 }, '/src/Counter.mtm#Counter#0': { count: 1 } },
});

test('identical snapshots: no differences', () => {
  assert.deepEqual(verifyStatePreservation(base(), base()), []);
});

test('re-created components (new owner ids, same subscriptions) and new signals / components are preserved', () => {
  const after = base();
  after.subscriptions = { 'react:«r1»#1': { ping: 1 }, 'svelte:#7': { ping: 1 }, 'vue:9:/src/Board.vue.mtm#4': { ping: 1 } };
  after.signals.added = 1;
  after.components['/src/New.mtm#default#0'] = { x: 1 };
  assert.deepEqual(verifyStatePreservation(base(), after), []);
});

test('changed signals, lost or doubled subscriptions and reset component state are listed', () => {
  const after = base();
  after.signals.shared = 0;
  delete after.signals.user;
  after.subscriptions = {
    'react:«r1»#1': { ping: 2 },
    'svelte:#2': { ping: 1 },
    'svelte:#8': { ping: 1 },
    'vue:9:/src/Board.vue.mtm#4': {},
  };
  after.components['/src/Users.mtm#default#0'] = { count: 0, pings: 1 };
  delete after.components['/src/Counter.mtm#Counter#0'];
  assert.deepEqual(verifyStatePreservation(base(), after), [
    'signal "shared": 3 → 0',
    'signal "user" disappeared (was {"name":"Ada"})',
    'subscriptions of react:«r1»#1 for "ping": 1 → 2 (doubled)',
    'subscriptions of vue:/src/Board.vue.mtm components for "ping": 1 → 0 (lost; owners vue:3:/src/Board.vue.mtm#1 → none)',
    'subscriptions of svelte components for "ping": 0 → 1 (added; owners none → svelte:#8)',
    'component /src/Users.mtm#default#0 "count": 2 → 0',
    'component /src/Counter.mtm#Counter#0 disappeared (had {"count":1})',
  ]);
});

test('ignore drops matching lines', () => {
  const after = base();
  after.signals.shared = 4;
  after.components['/src/Users.mtm#default#0'].count = 9;
  assert.deepEqual(verifyStatePreservation(base(), after, { ignore: ['"shared"', /Users\.mtm/] }), []);
});

test('findBinary prefers the option, then METAMON_BIN', () => {
  assert.equal(findBinary('/x/metamon'), '/x/metamon');
  const saved = process.env.METAMON_BIN;
  process.env.METAMON_BIN = '/y/metamon';
  try {
    assert.equal(findBinary(), '/y/metamon');
  } finally {
    if (saved === undefined) delete process.env.METAMON_BIN;
    else process.env.METAMON_BIN = saved;
  }
});

test('freePort returns a port; startDevServer reports a binary that cannot run', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  await assert.rejects(startDevServer('.', { binary: '/nonexistent/metamon', timeout: 5000 }), /cannot run|exited/);
});

// A stand-in for `metamon dev`: prints its arguments on stderr, then (unless told to fail) the
// URL line the real server prints, and serves nothing until it is terminated.
const fakes = fs.mkdtempSync(path.join(os.tmpdir(), 'metamon-fake-'));
after(() => fs.rmSync(fakes, { recursive: true, force: true }));
function fakeBinary(name, body) {
  const file = path.join(fakes, name);
  fs.writeFileSync(file, `#!${process.execPath}\n${body}\n`, { mode: 0o755 });
  return file;
}
const fakeServer = fakeBinary('serves', `
const args = process.argv.slice(2);
console.error('args: ' + JSON.stringify(args));
console.log('  Local: http://127.0.0.1:' + args[args.indexOf('--port') + 1] + '/');
setInterval(() => {}, 1000);
`);

test('startDevServer: resolves with the printed URL (no trailing slash), the port, the output; close() ends the process', async () => {
  const port = await freePort();
  const server = await startDevServer('testing', { binary: fakeServer, port });
  try {
    assert.equal(server.url, `http://127.0.0.1:${port}`);
    assert.equal(server.port, port);
    assert.equal(server.root, path.resolve('testing'));
    assert.match(server.output(), new RegExp(`args: \\["dev","${server.root.replace(/[\\/.]/g, '\\$&')}","--port","${port}"\\]`));
    assert.match(server.output(), /Local: http/, 'stdout is in the output too');
  } finally {
    await server.close();
  }
  assert.ok(server.process.exitCode !== null || server.process.signalCode !== null, 'the process ended');
  await server.close(); // a second close is harmless
});

test('startDevServer: a --port in args is used as given, without a second one', async () => {
  const port = await freePort();
  const server = await startDevServer('.', { binary: fakeServer, args: ['--port', String(port)] });
  try {
    assert.equal(server.port, port);
    assert.equal((server.output().match(/--port/g) || []).length, 1, server.output());
  } finally {
    await server.close();
  }
});

test('startDevServer: a server that exits before printing its URL rejects with its exit code and output', async () => {
  const failing = fakeBinary('fails', "console.error('error: no index.html'); process.exit(3);");
  await assert.rejects(startDevServer('.', { binary: failing, timeout: 10000 }), (error) => {
    assert.match(error.message, /exited \(3\) before printing its URL/);
    assert.match(error.message, /error: no index\.html/);
    return true;
  });
});
