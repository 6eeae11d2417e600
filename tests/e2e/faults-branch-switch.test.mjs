// A branch switch: 300 component files rewritten together make one batched hot update (state
// kept) and the DOM equals the final sources; when the entry changes too (nothing accepts),
// one full reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repo, cleanup, startServer, launchBrowser, openPage } from './harness.mjs';

const COUNT = 300;
let dir, server, browser, page, log;
const name = (i) => `C${String(i).padStart(3, '0')}`;

function component(i, branch) {
  return `import { useState } from 'react';

export default function ${name(i)}() {
  const [n, setN] = useState(0);
  return <li id="${name(i).toLowerCase()}" onClick={() => setN(n + 1)}>${branch} ${i}:{n}</li>;
}
`;
}

function writeAll(branch) {
  for (let i = 0; i < COUNT; i++) fs.writeFileSync(path.join(dir, 'src/items', `${name(i)}.jsx`), component(i, branch));
}

const expectedTexts = (branch, clicked) => Array.from({ length: COUNT }, (_, i) => `${branch} ${i}:${clicked.has(i) ? 1 : 0}`);
const domTexts = () => page.evaluate(() => [...document.querySelectorAll('#list li')].map((li) => li.textContent));

before(async () => {
  dir = path.join(repo, 'tests/.scratch', `branch-${process.pid}-${Date.now()}`);
  fs.mkdirSync(path.join(dir, 'src/items'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><title>branch</title></head><body><div id="app"></div><script type="module" src="/src/main.jsx"></script></body></html>\n');
  fs.writeFileSync(path.join(dir, 'src/main.jsx'), "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\nexport const entry = 'main';\ncreateRoot(document.getElementById('app')).render(<App />);\n");
  const imports = Array.from({ length: COUNT }, (_, i) => `import ${name(i)} from './items/${name(i)}.jsx';`).join('\n');
  const items = Array.from({ length: COUNT }, (_, i) => `<${name(i)} />`).join('');
  fs.writeFileSync(path.join(dir, 'src/App.jsx'), `${imports}\n\nexport default function App() {\n  return <ul id="list">${items}</ul>;\n}\n`);
  writeAll('main');
  server = await startServer(dir);
  browser = await launchBrowser();
  ({ page, log } = await openPage(browser, server.url));
  await page.waitForFunction((n) => document.querySelectorAll('#list li').length === n, COUNT, { timeout: 60000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) cleanup(dir);
});

test(`${COUNT} files changed at once: one batched hot update, the DOM equals the sources, state kept`, async () => {
  const clicked = new Set([0, 7, 150, 299]);
  for (const i of clicked) await page.click(`#${name(i).toLowerCase()}`);
  assert.deepEqual(await domTexts(), expectedTexts('main', clicked));
  await page.evaluate(() => { window.__marker = 'kept'; });
  // One record per update message the page applied.
  await page.evaluate(() => { window.__updates = []; window.__METAMON__.on('update', (u) => window.__updates.push(u.files.length)); });
  const since = Date.now();
  writeAll('feature');
  await page.waitForFunction((n) => [...document.querySelectorAll('#list li')].filter((li) => li.textContent.startsWith('feature ')).length === n, COUNT, { timeout: 30000, polling: 20 })
    .catch((e) => assert.fail(`${e.message}\n${log.slice(-20).join('\n')}\n${server.output().slice(-3000)}`));
  const appliedMs = Date.now() - since;
  await new Promise((r) => setTimeout(r, 1000));
  const updates = await page.evaluate(() => window.__updates);
  console.log(`# ${COUNT} files rewritten: ${updates.length} update(s) of ${updates.join(', ')} files, DOM final after ${appliedMs} ms`);
  assert.deepEqual(updates, [COUNT], 'one batched update of every file');
  assert.deepEqual(await domTexts(), expectedTexts('feature', clicked));
  assert.equal(await page.evaluate(() => window.__marker), 'kept', 'no reload');
});

test(`${COUNT} files and the entry changed at once: one full reload, the DOM equals the sources`, async () => {
  await page.evaluate(() => {
    sessionStorage.setItem('loads', '0');
    window.__marker = 'before';
  });
  await page.addInitScript(() => sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads') || 0) + 1)));
  writeAll('release');
  fs.writeFileSync(path.join(dir, 'src/main.jsx'), fs.readFileSync(path.join(dir, 'src/main.jsx'), 'utf8').replace("'main'", "'release'"));
  await page.waitForFunction((n) => window.__marker === undefined && [...document.querySelectorAll('#list li')].filter((li) => li.textContent.startsWith('release ')).length === n, COUNT, { timeout: 60000, polling: 50 })
    .catch((e) => assert.fail(`${e.message}\n${log.slice(-20).join('\n')}\n${server.output().slice(-3000)}`));
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await page.evaluate(() => sessionStorage.getItem('loads')), '1', 'exactly one reload');
  const texts = await domTexts();
  assert.equal(texts.length, COUNT);
  assert.ok(texts.every((t, i) => t.startsWith(`release ${i}:`)), texts.slice(0, 3).join());
});
