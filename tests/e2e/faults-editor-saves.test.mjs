// How editors save: atomic rename, write in place, truncate then write, a 2 MB file written in
// chunks over 300 ms, two saves within 1 ms, a save that leaves the file empty for a moment.
// The page always ends on the final content, shows no error once the file is complete, and
// never applies an intermediate version after the final one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openFixture, overlayText } from './harness.mjs';

const FILE = 'src/Native.jsx';
let app, original, version = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Native.jsx with its label set to `label` (and `padding` bytes of comment before it). */
function source(label, padding = 0) {
  const pad = padding ? `/* ${'x'.repeat(padding)} */\n` : '';
  return pad + original.replace('Native v1', label);
}

before(async () => {
  app = await openFixture('react-app', '#native .label');
  original = app.read(FILE);
  await app.page.click('#native button');
  await app.page.click('#native button');
  // Every label the page shows, in order.
  await app.page.evaluate(() => {
    window.__labels = [document.querySelector('#native .label').textContent];
    new MutationObserver(() => {
      const text = document.querySelector('#native .label')?.textContent;
      if (text !== undefined && text !== window.__labels.at(-1)) window.__labels.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
});

after(async () => {
  await app?.close();
});

/** Runs `write(file, finalText)`, then checks what the page shows. */
async function saveLike(name, write, { padding = 0 } = {}) {
  version += 1;
  const final = `Native ${name} ${version}`;
  const startedAt = Date.now();
  await write(app.file(FILE), source(final, padding), final);
  const completeAt = Date.now();
  await app.waitForText('#native .label', final, 20000);
  const shownMs = Date.now() - completeAt;
  await sleep(600); // anything late would show up now
  const labels = await app.page.evaluate(() => window.__labels);
  const after = labels.slice(labels.indexOf(final));
  assert.deepEqual(after, [final], `after the final version the page showed ${JSON.stringify(after)}`);
  assert.equal(await app.text('#native .label'), final);
  assert.equal(await overlayText(app.page), null, `no error once the file is complete${app.details()}`);
  assert.equal(await app.text('#native button'), '2', 'the count survived');
  await app.assertNoReload();
  console.log(`# ${name}: final content shown ${shownMs} ms after the save completed (save took ${completeAt - startedAt} ms)`);
}

test('atomic rename (temp file renamed over the original)', async () => {
  await saveLike('rename', (file, text) => {
    const temp = `${file}~`;
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, file);
  });
  // JetBrains safe write: temp in the same folder, original moved away first, then renamed.
  await saveLike('safe-write', (file, text) => {
    const temp = `${file}___jb_tmp___`;
    const old = `${file}___jb_old___`;
    fs.writeFileSync(temp, text);
    fs.renameSync(file, old);
    fs.renameSync(temp, file);
    fs.rmSync(old);
  });
});

test('write in place (same inode, no truncation first)', async () => {
  await saveLike('in-place', (file, text) => {
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, text, 0);
    fs.ftruncateSync(fd, Buffer.byteLength(text));
    fs.closeSync(fd);
  });
});

test('truncate, then write', async () => {
  await saveLike('truncate', async (file, text) => {
    fs.truncateSync(file, 0);
    await sleep(5);
    fs.appendFileSync(file, text);
  });
});

test('a 2 MB file written in chunks over 300 ms', async () => {
  await saveLike('chunked', async (file, text) => {
    const bytes = Buffer.from(text);
    const fd = fs.openSync(file, 'w');
    const chunks = 12;
    for (let i = 0; i < chunks; i++) {
      fs.writeSync(fd, bytes.subarray(Math.floor((i * bytes.length) / chunks), Math.floor(((i + 1) * bytes.length) / chunks)));
      await sleep(300 / chunks);
    }
    fs.closeSync(fd);
  }, { padding: 2 * 1024 * 1024 });
});

test('a file saved twice within 1 ms: the second save wins', async () => {
  await saveLike('twice', (file, text, final) => {
    fs.writeFileSync(file, text.replace(final, `${final} (first)`));
    fs.writeFileSync(file, text);
  });
});

test('a save that leaves the file empty for a moment', async () => {
  await saveLike('emptied', async (file, text) => {
    fs.writeFileSync(file, '');
    await sleep(80);
    fs.writeFileSync(file, text);
  });
});
