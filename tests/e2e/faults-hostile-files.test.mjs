// Hostile source files: 10 000 generated .mtm / .vue / .svelte / .jsx files (random bytes,
// truncated real files, huge frontmatter, deeply nested JSX, 10 MB lines, invalid UTF-8 in the
// middle) checked with `metamon check`: no panic, no hang, every failing file reported with its
// file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { binary, repo, cleanup } from './harness.mjs';

const COUNT = Number(process.env.METAMON_HOSTILE_COUNT || 10000);
const BATCHES = 4;
const EXTENSIONS = ['mtm', 'vue', 'svelte', 'jsx'];

/** A small deterministic PRNG, so a failure names a file that can be generated again. */
function random(seed) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >> 17;
    state ^= state << 5; state >>>= 0;
    return state / 0x100000000;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (list) => list[Math.floor(next() * list.length)] };
}

function realSources() {
  const dirs = ['examples/showcase/src', 'tests/fixtures'];
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(mtm|vue|svelte|jsx)$/.test(entry.name)) found.push({ ext: entry.name.split('.').pop(), bytes: fs.readFileSync(full) });
    }
  };
  for (const dir of dirs) walk(path.join(repo, dir));
  return found;
}

/** What file `index` holds: `{ name, bytes, kind }`. */
function generate(index, sources, rng) {
  const kinds = ['random-bytes', 'truncated', 'invalid-utf8', 'huge-frontmatter', 'nested-jsx', 'junk-lines', 'yaml-bomb'];
  // The few very large inputs are fixed: 10 MB lines (one per extension) and deep nesting.
  let kind = kinds[index % kinds.length];
  if (index < EXTENSIONS.length) kind = 'ten-megabyte-line';
  const ext = kind === 'huge-frontmatter' || kind === 'yaml-bomb' ? 'mtm' : kind === 'nested-jsx' ? rng.pick(['jsx', 'mtm']) : EXTENSIONS[index % EXTENSIONS.length];
  const name = `f${String(index).padStart(5, '0')}-${kind}.${ext}`;
  const real = () => rng.pick(sources.filter((s) => s.ext === ext).concat(sources).slice(0, 40)).bytes;
  switch (kind) {
    case 'ten-megabyte-line': {
      const head = ext === 'mtm' ? '---\ntarget: react\n---\n' : ext === 'vue' ? '<template>\n' : ext === 'svelte' ? '<script>\n' : '';
      return { name, kind, bytes: Buffer.from(`${head}const x = "${'a'.repeat(10 * 1024 * 1024)}\n`) };
    }
    case 'random-bytes': {
      const bytes = Buffer.alloc(1 + rng.int(2048));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      return { name, kind, bytes };
    }
    case 'truncated': {
      const bytes = real();
      return { name, kind, bytes: bytes.subarray(0, Math.max(1, rng.int(bytes.length - 1))) };
    }
    case 'invalid-utf8': {
      const bytes = real();
      const at = rng.int(bytes.length);
      return { name, kind, bytes: Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]), bytes.subarray(at)]) };
    }
    case 'huge-frontmatter': {
      // A few huge ones; the rest moderate, so 10 000 files stay quick to check.
      const keys = Array.from({ length: index < 300 ? 5000 : 100 + rng.int(300) }, (_, i) => `key${i}: ${'v'.repeat(rng.int(50))}`).join('\n');
      const nested = Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i)}n${i}:`).join('\n');
      return { name, kind, bytes: Buffer.from(`---\ntarget: react\n${rng.next() < 0.5 ? keys : nested}\nchannels: [${'['.repeat(rng.int(500))}\n---\nexport default () => <p/>;\n`) };
    }
    case 'yaml-bomb': {
      const lines = ['---', 'target: vue', 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
      lines.push('channels: *l', '---', '<template><p/></template>');
      return { name, kind, bytes: Buffer.from(lines.join('\n')) };
    }
    case 'nested-jsx': {
      const depth = index < 300 ? rng.pick([5000, 20000]) : rng.pick([50, 200, 1000]);
      const jsx = '<div>'.repeat(depth) + 'x' + (rng.next() < 0.5 ? '</div>'.repeat(depth) : '</div>'.repeat(depth - 1));
      const parens = '('.repeat(rng.int(index < 300 ? 3000 : 200)) + '1' + ')'.repeat(rng.int(index < 300 ? 3000 : 200));
      const body = `export default function App() { const n = ${parens}; return ${jsx}; }\n`;
      return { name, kind, bytes: Buffer.from(ext === 'mtm' ? `---\ntarget: ${rng.pick(['react', 'solid'])}\n---\n${body}` : body) };
    }
    default: {
      const bytes = real().toString('utf8').split('\n');
      for (let i = 0; i < 5; i++) bytes.splice(rng.int(bytes.length), 0, rng.pick(['<<<', '{{{', '---', '</template>', '<script>', '`${', '/*', '"', "'", 'target: cobol', '\t\u0000', '}}}}', '<style>']));
      return { name, kind, bytes: Buffer.from(bytes.join('\n')) };
    }
  }
}

function runCheck(folder) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(binary, ['check', folder], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 150000);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, ms: Date.now() - started }); });
  });
}

test(`${COUNT} hostile files: metamon check reports each failing one with file and line, no panic, no hang`, { timeout: 180000 }, async () => {
  const root = path.join(repo, 'tests/.scratch', `hostile-${process.pid}-${Date.now()}`);
  try {
    const sources = realSources();
    assert.ok(sources.length > 10, 'real files to truncate');
    const rng = random(20260421);
    const kindOf = new Map();
    for (let index = 0; index < COUNT; index++) {
      const file = generate(index, sources, rng);
      const batch = path.join(root, `batch${index % BATCHES}`);
      fs.mkdirSync(batch, { recursive: true });
      fs.writeFileSync(path.join(batch, file.name), file.bytes);
      kindOf.set(file.name, file.kind);
    }
    // Two checks at a time on this machine's two cores.
    const results = [];
    for (let b = 0; b < BATCHES; b += 2) {
      results.push(...(await Promise.all([b, b + 1].filter((n) => n < BATCHES).map((n) => runCheck(path.join(root, `batch${n}`))))));
    }
    let checked = 0;
    const reported = new Set();
    for (const result of results) {
      const output = result.stdout + result.stderr;
      assert.equal(result.signal, null, `metamon check was killed (hang?) after ${result.ms} ms\n${output.slice(-2000)}`);
      assert.doesNotMatch(output, /panicked|RUST_BACKTRACE|stack overflow/, output.slice(-3000));
      assert.equal(result.code, 1, `exit code ${result.code}\n${output.slice(-2000)}`);
      const summary = /checked (\d+) files?, (\d+) errors?/.exec(result.stdout);
      assert.ok(summary, result.stdout.slice(-2000));
      checked += Number(summary[1]);
      // Diagnostics name `file:line:column` (a path ending in one of the generated names).
      for (const match of output.matchAll(/(f\d{5}-[a-z0-9-]+\.(?:mtm|vue|svelte|jsx)):(\d+):(\d+)/g)) {
        assert.ok(Number(match[2]) >= 1 && Number(match[3]) >= 1, match[0]);
        reported.add(match[1]);
      }
      assert.doesNotMatch(output, /cannot read f\d{5}/, 'every file is read (invalid UTF-8 included)');
    }
    assert.equal(checked, COUNT, 'every generated file was checked');
    const byKind = {};
    for (const [name, kind] of kindOf) {
      byKind[kind] ??= { files: 0, reported: 0 };
      byKind[kind].files++;
      if (reported.has(name)) byKind[kind].reported++;
    }
    console.log(`# ${COUNT} files in ${results.map((r) => r.ms).join(' + ')} ms of checks; with a diagnostic (file:line:col): ${reported.size}; by kind ${JSON.stringify(byKind)}`);
    // Inputs that cannot be valid must all be reported, with a position.
    for (const kind of ['random-bytes', 'invalid-utf8', 'ten-megabyte-line', 'yaml-bomb']) {
      assert.equal(byKind[kind].reported, byKind[kind].files, `every ${kind} file has a diagnostic with file and line`);
    }
    // Truncated and mangled real files are almost all invalid; the rest compiled cleanly.
    for (const kind of ['truncated', 'junk-lines', 'huge-frontmatter', 'nested-jsx']) {
      assert.ok(byKind[kind].reported > 0, `${kind}: some reported`);
    }
  } finally {
    cleanup(root);
  }
});
