// The npm launcher runs the binary it finds with the same arguments and exit code, and says
// how to install one when there is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const launcher = fileURLToPath(new URL('./metamon.js', import.meta.url));

test('passes arguments and the exit code through', () => {
  const run = spawnSync(process.execPath, [launcher, '-e', 'console.log(process.argv.length); process.exit(3)'], {
    env: { ...process.env, METAMON_BINARY: process.execPath },
    encoding: 'utf8',
  });
  assert.equal(run.status, 3);
  assert.equal(run.stdout.trim(), '1');
});

test('without a binary it says how to install one', () => {
  const run = spawnSync(process.execPath, [launcher, 'dev'], { env: { PATH: '' }, encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /cargo install --path crates\/cli/);
});
