// After the dev server restarts, an open page reconnects and reloads once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFixture, startServer, launchBrowser, openPage, cleanup } from './harness.mjs';

test('the client reconnects after a server restart and reloads once', async () => {
  const dir = copyFixture('react-app');
  let server = await startServer(dir);
  const browser = await launchBrowser();
  try {
    const { page } = await openPage(browser, server.url);
    await page.waitForSelector('#mtm button');
    await page.evaluate(() => {
      window.__marker = 'before restart';
      sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads') || 0) + 1));
    });
    await page.addInitScript(() => sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads') || 0) + 1)));
    const port = new URL(server.url).port;
    await server.close();
    await new Promise((r) => setTimeout(r, 700));
    server = await startServer(dir, ['--port', port]);
    assert.equal(new URL(server.url).port, port);
    await page.waitForFunction(() => window.__marker === undefined && document.querySelector('#mtm button'), null, { timeout: 20000 });
    await new Promise((r) => setTimeout(r, 1500));
    // One reload only: the first load counted once, the reload once more.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('loads')), '2');
    await page.click('#mtm button');
    assert.equal(await page.textContent('#mtm button'), '1');
  } finally {
    await browser.close();
    await server.close();
    cleanup(dir);
  }
});
