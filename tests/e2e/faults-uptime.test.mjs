// Hours of uptime in a bounded loop: 10 000 saves spread over the showcase's files, no browser.
// Server RSS after them stays within 1.1x of RSS after the first 500; open file descriptors,
// threads and compiler workers do not grow, and neither does the module graph (`/@metamon/graph`)
// after the first pass over the files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { copyFixture, cleanup, startServer } from './harness.mjs';
import { rawGet } from './wire.mjs';

const SAVES = Number(process.env.METAMON_UPTIME_SAVES || 10000);
const SAVES_PER_FILE_PER_ROUND = 2; // each file saved twice in a row, as editors often do
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** The module graph's size: `{ modules, imports }`. */
const graphSize = async (port) => JSON.parse((await rawGet(port, '/@metamon/graph')).body);

function sourceFiles(dir) {
  const out = [];
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(mtm|vue|svelte|jsx|js|css)$/.test(entry.name)) out.push(full);
    }
  };
  for (const folder of ['src', 'pages', 'layouts']) walk(path.join(dir, folder));
  return out;
}

/** The file with a small real change numbered `n` (so every save compiles to new code). */
function edited(file, text, n) {
  if (file.endsWith('.css')) return `${text}\n:root { --save: ${n}; }\n`;
  const vue = file.endsWith('.vue') || /^target:\s*vue\b/m.test(text);
  if (vue) {
    const at = text.lastIndexOf('</template>');
    return `${text.slice(0, at)}<i hidden>save ${n}</i>\n${text.slice(at)}`;
  }
  if (file.endsWith('.svelte') || /^target:\s*svelte\b/m.test(text)) return `${text}\n<i hidden>save ${n}</i>\n`;
  return `${text}\n;globalThis.__save = ${n};\n`;
}

function processFigures(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)[1]);
  // Children of every thread (workers are started from the runtime's threads).
  const children = fs.readdirSync(`/proc/${pid}/task`).flatMap((task) => fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
  const [utime, stime] = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).map(Number);
  return { rssKb: field('VmRSS'), threads: field('Threads'), fds: fs.readdirSync(`/proc/${pid}/fd`).length, workers: children.length, cpu: utime + stime };
}

/** Waits until the server has used no CPU for 600 ms (every batch handled), then reads its figures. */
async function settled(pid) {
  let last = processFigures(pid).cpu;
  let quietSince = Date.now();
  const until = Date.now() + 120000;
  while (Date.now() < until) {
    await sleep(100);
    const now = processFigures(pid).cpu;
    if (now !== last) { last = now; quietSince = Date.now(); }
    else if (Date.now() - quietSince >= 600) return processFigures(pid);
  }
  assert.fail('the server never went quiet');
}

test(`${SAVES} saves over the showcase: RSS, fds, threads and workers stay flat`, { timeout: 240000 }, async () => {
  const dir = copyFixture('examples/showcase');
  const server = await startServer(dir);
  try {
    const pid = server.process.pid;
    const files = sourceFiles(dir).map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));
    assert.ok(files.length >= 15, `${files.length} files`);
    // Every module compiled once, as the pages would request them: the warm-up compiles what
    // the page loads at once, the router's pages (reached through import()) when first asked.
    for (const { file } of files) assert.equal((await rawGet(server.port, `/${path.relative(dir, file)}`)).status, 200, file);
    let saves = 0;
    let round = 0;
    let early = null;
    let firstPass = null;
    const started = Date.now();
    while (saves < SAVES) {
      round += 1;
      for (const { file, text } of files) {
        for (let i = 0; i < SAVES_PER_FILE_PER_ROUND && saves < SAVES; i++) {
          saves += 1;
          fs.writeFileSync(file, edited(file, text, saves));
        }
      }
      // Paced like a busy editing session; the server handles each round as a batch.
      await sleep(25);
      if (round === 1) {
        await settled(pid);
        firstPass = await graphSize(server.port);
      }
      if (!early && saves >= 500) early = { saves, ...(await settled(pid)) };
    }
    // Back to the original text, so the graph ends as it started.
    for (const { file, text } of files) fs.writeFileSync(file, text);
    const late = { saves, ...(await settled(pid)) };
    const graph = await graphSize(server.port);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const still = await rawGet(server.port, '/src/components/Counter.mtm');
    assert.equal(still.status, 200, 'still serving');
    console.log(`# ${saves} saves over ${files.length} files in ${round} rounds, ${seconds} s`);
    console.log(`# after ${early.saves} saves: RSS ${early.rssKb} kB, fds ${early.fds}, threads ${early.threads}, workers ${early.workers}`);
    console.log(`# module graph after the first pass: ${JSON.stringify(firstPass)}, at the end: ${JSON.stringify(graph)}`);
    console.log(`# after ${late.saves} saves: RSS ${late.rssKb} kB (${(late.rssKb / early.rssKb).toFixed(3)}x), fds ${late.fds}, threads ${late.threads}, workers ${late.workers}`);
    assert.ok(late.rssKb <= early.rssKb * 1.1, `RSS grew from ${early.rssKb} kB to ${late.rssKb} kB`);
    assert.ok(firstPass.modules >= files.length, `${firstPass.modules} modules in the graph`);
    assert.deepEqual(graph, firstPass, 'the module graph does not grow');
    assert.ok(late.fds <= early.fds, `file descriptors grew from ${early.fds} to ${late.fds}`);
    assert.ok(late.workers <= early.workers, `worker processes grew from ${early.workers} to ${late.workers}`);
    assert.ok(late.threads <= early.threads + 2, `threads grew from ${early.threads} to ${late.threads}`);
    const handled = server.output().match(/hmr update|page reload/g)?.length ?? 0;
    console.log(`# batches that made an update or a page reload: ${handled}`);
    // Rounds closer than the watcher's burst quiet time share a batch (and a burst closes
    // every 500 ms): how many batches there are depends on the machine's speed, not on
    // whether saves were handled, which a handful of batches already shows.
    assert.ok(handled >= 10, `only ${handled} updates for ${round} rounds`);
    assert.ok(late.workers >= 1, 'the Vue and Svelte files went through a compiler worker');
  } finally {
    await server.close();
    cleanup(dir);
  }
});
