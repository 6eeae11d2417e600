// After the dev server restarts, an open page reconnects and reloads once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture, startServer } from './harness.mjs';

test('the client reconnects after a server restart and reloads once', async () => {
  const app = await openFixture('react-app', '#mtm button');
  try {
    const { page } = app;
    await page.evaluate(() => {
      window.__marker = 'before restart';
      sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads') || 0) + 1));
    });
    await page.addInitScript(() => sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads') || 0) + 1)));
    const { port } = app.server;
    await app.server.close();
    await new Promise((r) => setTimeout(r, 700));
    app.server = await startServer(app.dir, { port });
    assert.equal(app.server.port, port);
    await app.waitFor(() => window.__marker === undefined && document.querySelector('#mtm button'), null, 20000);
    await new Promise((r) => setTimeout(r, 1500));
    // One reload only: the first load counted once, the reload once more.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('loads')), '2');
    await page.click('#mtm button');
    assert.equal(await page.textContent('#mtm button'), '1');
  } finally {
    await app.close();
  }
});
