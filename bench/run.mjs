// Benchmarks `metamon dev` against Vite on the same generated apps, one server after the
// other, in headless Chromium: cold start (empty and warm dependency cache), leaf and root
// save→DOM latency, whether local state survived, dev-server peak RSS.
// usage: node bench/run.mjs [--quick] [--apps react,react-mtm,react-10k] [--rounds N] [--only build|state] [--bundle|--no-bundle]
// Output: a table on stdout, bench/results/latest.json and bench/results/latency.svg.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { CASES, runStateCases, verdict } from './state.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const shared = path.resolve(repo, '../shared/bench');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const rounds = Number(option('--rounds', quick ? 2 : 20));
// `--only build`: just the production builds (no dev-server figures).
const onlyBuild = option('--only', '') === 'build';
// `--only state`: just the state-across-edits cases (bench/state.mjs); a full run includes them.
const onlyState = option('--only', '') === 'state';
const appNames = onlyState ? [] : option('--apps', quick ? 'react,react-mtm' : 'react,react-mtm,react-10k,vue,svelte,solid').split(',');
const runState = onlyState || (!quick && !onlyBuild && !args.includes('--apps'));
// Vite's full-bundle dev mode (`vite --experimentalBundle`) as a third dev server: the prior art
// for cold starts. Not in quick mode; `--no-bundled` leaves it out.
const bundled = !quick && !onlyBuild && !args.includes('--no-bundled');
const SERVERS = ['metamon', 'vite', ...(bundled ? ['vite-bundled'] : [])];
// `--bundle` / `--no-bundle`: metamon's dev serving mode (packs to a module registry, or one
// request per module); without either, its default.
const metamonArgs = ['--bundle', '--no-bundle'].filter((flag) => args.includes(flag));
const metamonBin = process.env.METAMON_BIN ? path.resolve(process.env.METAMON_BIN) : path.join(repo, 'target/release/metamon');
const work = path.join(here, '.work');
// Every server started, so none outlives a failed run.
const servers = new Set();
// What the run is doing now, for the watchdog's message (and in quick mode, printed).
let doing = 'starting';
function step(what) {
  doing = what;
  if (quick) process.stderr.write(`  ${what}\n`);
}

const APPS = {
  react: { gen: 'gen-react-app.mjs', n: quick ? 20 : 1000, leaf: (n) => `src/comps/Comp${Math.floor(n / 2)}.jsx`, root: 'src/App.jsx' },
  'react-mtm': { gen: 'gen-react-app.mjs', n: quick ? 20 : 1000, mtm: true, build: false, leaf: (n) => `src/comps/Comp${Math.floor(n / 2)}.mtm`, root: 'src/App.jsx', viteApp: 'react' },
  'react-10k': { gen: 'gen-react-app.mjs', n: quick ? 40 : 10000, build: false, leaf: (n) => `src/comps/Comp${Math.floor(n / 2)}.jsx`, root: 'src/App.jsx' },
  vue: { gen: 'gen-vue-app.mjs', n: quick ? 20 : 1000, leaf: (n) => `src/comps/Comp${Math.floor(n / 2)}.vue`, root: 'src/App.vue', plugin: ['@vitejs/plugin-vue', 'vue'] },
  svelte: { gen: 'gen-svelte-app.mjs', n: quick ? 20 : 1000, leaf: (n) => `src/comps/Comp${Math.floor(n / 2)}.svelte`, root: 'src/App.svelte', plugin: ['@sveltejs/vite-plugin-svelte', '{ svelte }', 'svelte'] },
  // Solid components are plain .jsx: the config tells Metamon they are Solid, not React.
  solid: { gen: 'gen-solid-app.mjs', n: quick ? 20 : 1000, leaf: (n) => `src/comps/Comp${Math.floor(n / 2)}.jsx`, root: 'src/App.jsx', plugin: ['vite-plugin-solid', 'solid'], metamonConfig: { solidInclude: ['src/**/*.jsx'] } },
};

/** Turns the generated React app's components into `.mtm` files (same ids, labels, counters). */
function toMtm(dir, n) {
  for (let i = 0; i < n; i++) {
    const jsx = path.join(dir, `src/comps/Comp${i}.jsx`);
    fs.writeFileSync(path.join(dir, `src/comps/Comp${i}.mtm`), `---\ntarget: react\n---\n${fs.readFileSync(jsx, 'utf8')}`);
    fs.rmSync(jsx);
  }
  const app = path.join(dir, 'src/App.jsx');
  fs.writeFileSync(app, fs.readFileSync(app, 'utf8').replaceAll('.jsx\';', '.mtm\';'));
}

function generate(name, server) {
  const app = APPS[name];
  const dir = path.join(work, `${name}-${server}`);
  fs.rmSync(dir, { recursive: true, force: true });
  execFileSync('node', [path.join(shared, app.gen), dir, String(app.n)]);
  if (app.mtm && server === 'metamon') toMtm(dir, app.n);
  if (server.startsWith('vite')) {
    const [pkg, binding = 'plugin', call = binding] = app.plugin || ['@vitejs/plugin-react', 'react'];
    const name = binding.startsWith('{') ? binding : 'plugin';
    const invoke = binding.startsWith('{') ? call : 'plugin';
    fs.writeFileSync(path.join(dir, 'vite.config.js'), `import ${name} from '${pkg}';\nexport default { plugins: [${invoke}()], logLevel: 'warn' };\n`);
  }
  if (server === 'metamon' && app.metamonConfig) fs.writeFileSync(path.join(dir, 'metamon.config.json'), JSON.stringify(app.metamonConfig));
  return dir;
}

function clearCaches(dir) {
  for (const cache of [path.join(here, 'node_modules/.metamon'), path.join(here, 'node_modules/.vite'), path.join(dir, 'node_modules')]) fs.rmSync(cache, { recursive: true, force: true });
}

/** Resident memory of a process and its children, in MB. */
function treeRss(pid) {
  let total = 0;
  const visit = (p) => {
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
      total += Number(status.match(/VmRSS:\s+(\d+)/)?.[1] || 0);
      // Children of every thread (the Node worker is started from a worker thread).
      for (const task of fs.readdirSync(`/proc/${p}/task`)) {
        for (const child of fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(child);
      }
    } catch { /* gone */ }
  };
  visit(pid);
  return total / 1024;
}

/** A port free right now (Vite runs with --strictPort: a random one was sometimes taken). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(kind, dir) {
  const port = await freePort();
  const started = performance.now();
  const child = kind === 'metamon'
    ? spawn(metamonBin, ['dev', dir, '--port', String(port), ...metamonArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('node', [path.join(here, 'node_modules/vite/bin/vite.js'), '--port', String(port), '--strictPort', ...(kind === 'vite-bundled' ? ['--experimentalBundle'] : [])], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.add(child);
  const spawnFailed = new Promise((_, reject) => child.once('error', (error) => reject(new Error(`cannot start ${kind}: ${error.message}`))));
  spawnFailed.catch(() => {});
  child.once('exit', () => servers.delete(child));
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; });
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, treeRss(child.pid)); }, 50);
  const close = async () => { clearInterval(sampler); child.kill('SIGTERM'); await exited(child, 10000) || (child.kill('SIGKILL'), await exited(child, 10000)); };
  // Ready when the server answers on the address it printed (metamon takes the next free port
  // when the asked one is taken, as Vite does without --strictPort).
  const deadline = performance.now() + 180000;
  for (;;) {
    const url = kind === 'metamon' ? output.match(/Local: (http:\/\/\S+)/)?.[1] : `http://127.0.0.1:${port}/`;
    if (child.exitCode !== null) throw new Error(`${kind} exited:\n${output}`);
    if (performance.now() > deadline) { await close(); throw new Error(`${kind} did not answer within 180 s:\n${output}`); }
    try { if (url && (await fetch(url, { signal: AbortSignal.timeout(10000) })).ok) return { url, started, readyMs: Math.round(performance.now() - started), peak: () => peak, output: () => output, close }; } catch { /* not yet */ }
    await Promise.race([new Promise((r) => setTimeout(r, 20)), spawnFailed]);
  }
}

/** Waits up to `ms` for a child process to end; true when it has. */
function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(timer); resolve(true); });
  });
}

async function measureEdits(page, file, re, make, selector, counter, before) {
  const out = [];
  const phases = [];
  let kept = true;
  const start = Number((fs.readFileSync(file, 'utf8').match(re)?.[0].match(/(\d+)$/) || [0, 0])[1]);
  for (let r = start + 1; r <= start + rounds; r++) {
    const want = make(r);
    await page.evaluate(([sel, want]) => {
      window.__seen = 0;
      const obs = new MutationObserver(() => {
        const el = document.querySelector(sel);
        if (el && el.textContent.includes(want)) { window.__seen = performance.timeOrigin + performance.now(); obs.disconnect(); }
      });
      obs.observe(document.body, { subtree: true, childList: true, characterData: true });
    }, [selector, want]);
    const text = fs.readFileSync(file, 'utf8').replace(re, want);
    const written = performance.timeOrigin + performance.now();
    fs.writeFileSync(file, text);
    await page.waitForFunction(() => window.__seen > 0, null, { timeout: 30000, polling: 2 });
    out.push((await page.evaluate(() => window.__seen)) - written);
    if ((await page.textContent(counter)) !== before) kept = false;
    await new Promise((r) => setTimeout(r, 150));
    // Metamon's trace of the update (`__METAMON__.lastUpdate()`): where the time went.
    const update = await page.evaluate(() => window.__METAMON__?.lastUpdate?.() ?? null);
    if (update?.phases) phases.push(update.phases);
  }
  out.sort((a, b) => a - b);
  const trace = phases.length ? Object.fromEntries(['debounce', 'compile', 'transfer', 'apply'].map((k) => [k, median(phases.map((p) => p[k]).filter((v) => v != null))])) : null;
  return { median: +out[Math.floor(out.length / 2)].toFixed(1), p95: +out[Math.min(out.length - 1, Math.floor(out.length * 0.95))].toFixed(1), kept, trace };
}

function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return +sorted[Math.floor(sorted.length / 2)].toFixed(1);
}

/**
 * Where a cold start goes: the page's module requests, and how long this Chromium takes just to
 * fetch those URLs again (no evaluation) — the floor any unbundled dev server shares.
 */
async function coldTrace(page) {
  return page.evaluate(async () => {
    const urls = performance.getEntriesByType('resource').map((e) => e.name).filter((u) => new URL(u).origin === location.origin);
    // Where the load went: the last response (network and server), before the refetch below.
    const lastResponseMs = Math.round(Math.max(0, ...performance.getEntriesByType('resource').map((e) => e.responseEnd)));
    const started = performance.now();
    const queue = [...urls];
    await Promise.all(Array.from({ length: 6 }, async () => {
      while (queue.length) await fetch(queue.shift(), { cache: 'no-store' }).then((r) => r.arrayBuffer());
    }));
    // With bundled dev serving, the registry's own split.
    const stats = window.__METAMON_REGISTRY__?.stats;
    return {
      requests: urls.length,
      refetchMs: Math.round(performance.now() - started),
      lastResponseMs,
      registry: stats && { packs: stats.packs, packMs: Math.round(stats.packMs), dependenciesMs: Math.round(stats.dependenciesMs), evaluateMs: Math.round(stats.evaluateMs) },
    };
  });
}

async function coldStart(browser, kind, dir, n) {
  // The tab is open before the server starts (a new browser context takes 100–200 ms, which is
  // the harness's, not the server's).
  const page = await browser.newPage();
  // Every module request is kept (the default buffer stops at 250 entries).
  await page.addInitScript(() => performance.setResourceTimingBufferSize(100000));
  // Its renderer started and idle, as a tab a developer has open, and the previous run's page
  // torn down: closing a page of 1000 components keeps a core busy for a few hundred ms, which
  // a server starting then would pay for.
  await page.goto('about:blank');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  step(`${kind}: starting the server on ${path.basename(dir)}`);
  const server = await startServer(kind, dir);
  step(`${kind}: loading the page (${server.url})`);
  await page.goto(server.url, { waitUntil: 'commit', timeout: quick ? 60000 : 300000 });
  await page.waitForSelector(`#c${n - 1}`, { timeout: quick ? 60000 : 300000 });
  const ms = performance.now() - server.started;
  return { server, page, ms };
}

/** Runs a command to its end; its wall time in ms, or an error with its output. */
function timed(command, argv, cwd) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${command} ${argv.join(' ')} failed (${code}):\n${output}`))));
  });
}

/** Total gzipped size of the built JavaScript, in kB. */
function gzippedJs(dist) {
  const files = fs.readdirSync(dist, { recursive: true }).filter((f) => f.endsWith('.js'));
  return Math.round(files.reduce((sum, f) => sum + zlib.gzipSync(fs.readFileSync(path.join(dist, f))).length, 0) / 100) / 10;
}

/** The production build: wall time of the whole command, gzipped JS, and whether the built app renders every component. */
async function benchBuild(browser, kind, dir, n) {
  step(`${kind}: production build`);
  const dist = path.join(dir, 'dist');
  fs.rmSync(dist, { recursive: true, force: true });
  const buildMs = kind === 'metamon'
    ? await timed(metamonBin, ['build', dir], dir)
    : await timed('node', [path.join(here, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], dir);
  // Both builds are static files: one static server for both.
  const port = await freePort();
  const server = spawn(metamonBin, ['preview', dir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.add(server);
  let output = '';
  server.stdout.on('data', (c) => { output += c; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`preview did not start: ${output}`)), 30000);
    server.stdout.on('data', () => { const m = output.match(/Local: (http:\/\/\S+)/); if (m) { clearTimeout(timer); resolve(m[1]); } });
  });
  const page = await browser.newPage();
  let renders = true;
  try {
    await page.goto(url);
    await page.waitForSelector(`#c${n - 1}`, { timeout: 60000 });
    renders = (await page.$$eval('[id^="c"] .label', (labels) => labels.length)) >= n;
  } catch { renders = false; }
  await page.close();
  server.kill('SIGKILL');
  servers.delete(server);
  // The same build again, nothing changed (after an edit, only what changed compiles again
  // where a compile cache exists; Vite has none).
  step(`${kind}: production build again`);
  const rebuildMs = kind === 'metamon'
    ? await timed(metamonBin, ['build', dir], dir)
    : await timed('node', [path.join(here, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], dir);
  return { buildMs: Math.round(buildMs), rebuildMs: Math.round(rebuildMs), gzipKb: gzippedJs(dist), renders };
}

async function benchApp(browser, name, kind) {
  const app = APPS[name];
  const dir = generate(name, kind);
  clearCaches(dir);
  if (onlyBuild) return { app: name, server: kind, n: app.n, build: await benchBuild(browser, kind, dir, app.n) };
  const coldRun = await coldStart(browser, kind, dir, app.n);
  await coldRun.page.close();
  await coldRun.server.close();
  const warm = await coldStart(browser, kind, dir, app.n);
  const { page, server } = warm;
  const cold = { ...(await coldTrace(page)), pageLoadMs: Math.round(warm.ms), serverReadyMs: warm.server.readyMs };
  // A full reload with the server warm: what strict mode, a config edit or an update nothing
  // accepts costs.
  step(`${kind}: full reload`);
  const reloadStarted = performance.now();
  await page.reload({ waitUntil: 'commit' });
  await page.waitForSelector(`#c${app.n - 1}`, { timeout: quick ? 60000 : 300000 });
  const fullReloadMs = Math.round(performance.now() - reloadStarted);
  const leafIndex = Math.floor(app.n / 2);
  const counter = `#c${leafIndex} button`;
  for (let k = 0; k < 3; k++) await page.click(counter);
  const before = await page.textContent(counter);
  const leafFile = path.join(dir, kind === 'metamon' || !app.mtm ? app.leaf(app.n) : APPS.react.leaf(app.n));
  // Vite's bundled mode is experimental: an edit it does not show is reported, not fatal.
  const edits = (run) => (kind === 'vite-bundled' ? run().catch((error) => ({ failed: error.message.split('\n')[0] })) : run());
  step(`${kind}: leaf saves`);
  const leaf = await edits(() => measureEdits(page, leafFile, new RegExp(`Comp${leafIndex} v\\d+`), (r) => `Comp${leafIndex} v${r}`, `#c${leafIndex} .label`, counter, before));
  step(`${kind}: root saves`);
  const root = await edits(() => measureEdits(page, path.join(dir, app.root), /Root v\d+/, (r) => `Root v${r}`, '#root-title', counter, before));
  // The same reload after the saves: what the browser kept of the first load still serves.
  step(`${kind}: full reload after the saves`);
  const afterSavesStarted = performance.now();
  await page.reload({ waitUntil: 'commit' });
  await page.waitForSelector(`#c${app.n - 1}`, { timeout: quick ? 60000 : 300000 });
  const reloadAfterSavesMs = Math.round(performance.now() - afterSavesStarted);
  const peakRss = server.peak();
  await page.close();
  await server.close();
  const build = app.build === false || kind === 'vite-bundled' ? null : await benchBuild(browser, kind, dir, app.n);
  return { app: name, server: kind, n: app.n, coldMs: Math.round(coldRun.ms), warmMs: Math.round(warm.ms), fullReloadMs, reloadAfterSavesMs, leaf, root, stateKept: leaf.kept && root.kept, peakRssMb: Math.round(peakRss), coldTrace: cold, build };
}

/** The state cases on a fresh copy of bench/state-app, under one server. */
async function benchState(browser, kind) {
  const dir = path.join(work, `state-${kind}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(here, 'state-app'), dir, { recursive: true });
  clearCaches(dir);
  step(`${kind}: state cases`);
  const server = await startServer(kind, dir);
  const page = await browser.newPage();
  try {
    await page.goto(server.url);
    return await runStateCases(page, dir, { fs, path });
  } finally {
    await page.close();
    await server.close();
  }
}

// A run that stops making progress fails with what it was doing, instead of hanging CI.
const watchdog = setTimeout(() => {
  console.error(`bench: no result after ${quick ? 5 : 240} minutes, while ${doing}`);
  for (const child of servers) child.kill('SIGKILL');
  process.exit(1);
}, (quick ? 5 : 240) * 60000);
watchdog.unref();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', timeout: 120000, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const results = [];
const stateResults = {};
try {
  for (const name of appNames) {
    for (const kind of SERVERS) {
      process.stderr.write(`bench ${name} on ${kind}…\n`);
      results.push(await benchApp(browser, name, kind));
    }
  }
  if (runState) {
    for (const kind of ['metamon', 'vite']) {
      process.stderr.write(`bench state cases on ${kind}…\n`);
      stateResults[kind] = await benchState(browser, kind);
    }
  }
} finally {
  for (const child of servers) child.kill('SIGKILL');
  await browser.close();
}
clearTimeout(watchdog);

// The report: printed, and written beside the JSON.
const report = [];
const print = (text) => { report.push(text); console.log(text); };
const rows = [];
const ratio = (a, b) => (b ? (a / b).toFixed(2) : '-');
for (const name of appNames) {
  const m = results.find((r) => r.app === name && r.server === 'metamon');
  const v = results.find((r) => r.app === name && r.server === 'vite');
  const b = results.find((r) => r.app === name && r.server === 'vite-bundled');
  for (const [label, get] of [
    ['cold start, empty dep cache (ms)', (r) => r.coldMs],
    ['cold start, warm dep cache (ms)', (r) => r.warmMs],
    ['full reload, warm server (ms)', (r) => r.fullReloadMs],
    ['full reload after the saves (ms)', (r) => r.reloadAfterSavesMs],
    ['leaf save→DOM median (ms)', (r) => r.leaf.median],
    ['leaf save→DOM p95 (ms)', (r) => r.leaf.p95],
    ['root save→DOM median (ms)', (r) => r.root.median],
    ['root save→DOM p95 (ms)', (r) => r.root.p95],
    ['local state kept', (r) => r.stateKept],
    ['dev-server peak RSS (MB)', (r) => r.peakRssMb],
    ['build, whole command (ms)', (r) => r.build?.buildMs],
    ['build again, nothing changed (ms)', (r) => r.build?.rebuildMs],
    ['build, gzipped JS (kB)', (r) => r.build?.gzipKb],
    ['built app renders all components', (r) => r.build?.renders],
  ]) {
    if ((onlyBuild ? label.startsWith('build') || label.startsWith('built') : true) && get(m) !== undefined) {
      const figure = (r) => { try { return r ? get(r) : undefined; } catch { return undefined; } };
      const cells = [`${name} (${m.n})`, label, String(figure(m)), String(figure(v)), typeof figure(m) === 'number' ? ratio(figure(m), figure(v)) : ''];
      if (bundled) cells.push(String(figure(b) ?? '-'), typeof figure(m) === 'number' && typeof figure(b) === 'number' ? ratio(figure(m), figure(b)) : '');
      rows.push(cells);
    }
  }
}
const header = ['app', 'figure', 'metamon', 'vite', 'metamon/vite', ...(bundled ? ['vite bundled', 'metamon/bundled'] : [])];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
if (rows.length) {
  print(line(header));
  for (const row of rows) print(line(row));
}

if (runState) {
  // Same app (bench/state-app), same edits, one server after the other.
  const stateRows = CASES.map((c, i) => [c.name, verdict(stateResults.metamon?.[i]), verdict(stateResults.vite?.[i])]);
  const stateHeader = ['state across an edit', 'metamon', 'vite'];
  const w = stateHeader.map((h, i) => Math.max(h.length, ...stateRows.map((r) => r[i].length)));
  print(`\n${stateHeader.map((c, i) => c.padEnd(w[i])).join('  ')}`);
  for (const row of stateRows) print(row.map((c, i) => c.padEnd(w[i])).join('  '));
}

// Where the time goes, from metamon's own trace of each update and of the cold start.
if (results.length) print('\ntrace (metamon, medians in ms): debounce = watcher to batch, compile = server work, transfer = WebSocket, apply = import + framework re-render');
for (const r of results.filter((r) => r.server === 'metamon' && r.leaf)) {
  for (const kind of ['leaf', 'root']) {
    const t = r[kind].trace;
    if (t) print(`  ${r.app} ${kind}: debounce ${t.debounce}, compile ${t.compile}, transfer ${t.transfer}, apply ${t.apply}`);
  }
}
if (results.length) print('cold start: module requests, and the time this Chromium takes only to fetch them again (6 connections, no evaluation)');
for (const r of results.filter((r) => r.coldTrace)) print(`  ${r.app} ${r.server}: ${r.coldTrace.requests} requests, refetch ${r.coldTrace.refetchMs} ms, page load ${r.coldTrace.pageLoadMs} ms`);
if (results.length) print('cold start, where the time goes: server start to ready; then in the page: last response, and (metamon, bundled) packs fetched and parsed, dependencies loaded, module code run; the rest is rendering');
for (const r of results.filter((r) => r.coldTrace?.serverReadyMs != null)) {
  const t = r.coldTrace;
  const registry = t.registry ? `, ${t.registry.packs} pack(s) ${t.registry.packMs}, dependencies ${t.registry.dependenciesMs}, module code ${t.registry.evaluateMs}` : '';
  print(`  ${r.app} ${r.server}: server ready ${t.serverReadyMs}, last response ${t.lastResponseMs}${registry}, total ${t.pageLoadMs}`);
}

// The goals of the benchmark issue, checked on this run.
const get = (app, server) => results.find((r) => r.app === app && r.server === server);
const goals = [];
const goal = (label, value, limit) => value != null && !Number.isNaN(value) && goals.push(`  ${value <= limit ? 'met    ' : 'not met'}  ${label}: ${value.toFixed(2)} (goal ≤ ${limit})`);
const rel = (app, pick) => { try { return get(app, 'metamon') && get(app, 'vite') ? pick(get(app, 'metamon')) / pick(get(app, 'vite')) : null; } catch { return null; } };
const size = (app) => get(app, 'metamon')?.n;
goal(`leaf save→DOM, React ${size('react')}, metamon/vite`, rel('react', (r) => r.leaf.median), 0.25);
goal(`root save→DOM, React ${size('react')}, metamon/vite`, rel('react', (r) => r.root.median), 0.5);
goal(`cold start (warm dep cache), React ${size('react')}, metamon/vite`, rel('react', (r) => r.warmMs), 0.33);
goal(`dev-server peak RSS, React ${size('react')}, metamon/vite`, rel('react', (r) => r.peakRssMb), 0.33);
if (get('react-10k', 'metamon')?.leaf && get('react', 'metamon')?.leaf) goal(`leaf save→DOM, metamon ${size('react-10k')} / ${size('react')} components`, get('react-10k', 'metamon').leaf.median / get('react', 'metamon').leaf.median, 1.2);
const relBundled = (app, pick) => { try { return get(app, 'metamon') && get(app, 'vite-bundled') ? pick(get(app, 'metamon')) / pick(get(app, 'vite-bundled')) : null; } catch { return null; } };
for (const app of ['react', 'react-10k', 'vue', 'svelte', 'solid']) {
  if (!get(app, 'metamon')) continue;
  goal(`cold start (warm dep cache), ${app} ${size(app)}, metamon/vite`, rel(app, (r) => r.warmMs), 0.15);
  goal(`cold start (warm dep cache), ${app} ${size(app)}, metamon/vite bundled`, relBundled(app, (r) => r.warmMs), 0.7);
  goal(`full reload, ${app} ${size(app)}, metamon/vite`, rel(app, (r) => r.fullReloadMs), 0.2);
}
for (const app of ['vue', 'svelte', 'solid']) {
  goal(`leaf save→DOM, ${app}, metamon/vite`, rel(app, (r) => r.leaf.median), 0.2);
  goal(`root save→DOM, ${app}, metamon/vite`, rel(app, (r) => r.root.median), 0.3);
  goal(`dev-server peak RSS, ${app}, metamon/vite`, rel(app, (r) => r.peakRssMb), 0.33);
  const react = rel('react', (r) => r.warmMs);
  if (react != null) goal(`cold start (warm dep cache), ${app}, metamon/vite, against React's ratio ${react.toFixed(2)}`, rel(app, (r) => r.warmMs), +react.toFixed(2));
}
for (const app of ['react', 'vue', 'svelte', 'solid']) {
  if (!get(app, 'metamon')?.build) continue;
  goal(`build time, ${app} ${size(app)}, metamon/vite`, rel(app, (r) => r.build.buildMs), 0.5);
  goal(`built JS gzipped, ${app} ${size(app)}, metamon/vite`, rel(app, (r) => r.build.gzipKb), 1.1);
}
if (goals.length) print(`\ngoals (this run${quick ? ', quick mode: small apps, not the goal sizes' : ''}):\n${goals.join('\n')}`);

fs.mkdirSync(path.join(here, 'results'), { recursive: true });
const stem = quick ? 'quick' : onlyBuild ? 'build' : onlyState ? 'state' : 'latest';
fs.writeFileSync(path.join(here, 'results', `${stem}.json`), JSON.stringify({ date: new Date().toISOString(), rounds, results, state: stateResults }, null, 2));
if (!onlyBuild && !onlyState) fs.writeFileSync(path.join(here, 'results', quick ? 'quick.svg' : 'latency.svg'), chart(results));
fs.writeFileSync(path.join(here, 'results', `${stem}.txt`), `${report.join('\n')}\n`);

/** A small grouped bar chart: leaf and root save→DOM medians per app, metamon beside Vite. */
function chart(results) {
  const groups = appNames.flatMap((name) => ['leaf', 'root'].map((kind) => ({ label: `${name} ${kind}`, m: results.find((r) => r.app === name && r.server === 'metamon')[kind].median, v: results.find((r) => r.app === name && r.server === 'vite')[kind].median })));
  const max = Math.max(...groups.flatMap((g) => [g.m, g.v]), 1);
  const width = 120 + groups.length * 110, height = 320, base = 260, scale = 200 / max;
  const bars = groups.map((g, i) => {
    const x = 100 + i * 110;
    return `<rect x="${x}" y="${base - g.m * scale}" width="36" height="${g.m * scale}" fill="#5b5bd6"/><text x="${x + 18}" y="${base - g.m * scale - 4}" font-size="11" text-anchor="middle">${g.m}</text>` +
      `<rect x="${x + 40}" y="${base - g.v * scale}" width="36" height="${g.v * scale}" fill="#f5a524"/><text x="${x + 58}" y="${base - g.v * scale - 4}" font-size="11" text-anchor="middle">${g.v}</text>` +
      `<text x="${x + 38}" y="${base + 16}" font-size="11" text-anchor="middle">${g.label}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><text x="20" y="24" font-size="14">save→DOM median (ms): metamon (blue) vs Vite (orange)</text><line x1="90" y1="${base}" x2="${width - 10}" y2="${base}" stroke="#999"/>${bars}<text x="20" y="${height - 16}" font-size="11">${new Date().toISOString()}, ${rounds} saves per figure</text></svg>\n`;
}
