#!/usr/bin/env node
// Runs the metamon binary with this command's arguments: the one in this package's `bin/`
// folder (`bin/metamon-<platform>-<arch>` or `bin/metamon`), else METAMON_BINARY, else
// `metamon` on PATH (`cargo install --path crates/cli`). Its exit code is this command's.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const suffix = process.platform === 'win32' ? '.exe' : '';

function findBinary() {
  if (process.env.METAMON_BINARY) return process.env.METAMON_BINARY;
  for (const name of [`metamon-${process.platform}-${process.arch}${suffix}`, `metamon${suffix}`]) {
    const candidate = path.join(here, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  const self = fs.realpathSync(fileURLToPath(import.meta.url));
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, `metamon${suffix}`);
    // The `metamon` on PATH may be this very script (node_modules/.bin): skip it.
    if (fs.existsSync(candidate) && fs.realpathSync(candidate) !== self) return candidate;
  }
  return null;
}

const binary = findBinary();
if (!binary) {
  console.error(
    'metamon: no metamon binary found. Install it with `cargo install --path crates/cli` from a ' +
      'checkout of metamon (it lands on PATH), copy it to ' + path.join(here, `metamon${suffix}`) +
      ', or set METAMON_BINARY to its path.',
  );
  process.exit(1);
}
const result = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit' });
if (result.error) {
  console.error(`metamon: could not run ${binary}: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
