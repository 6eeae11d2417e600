// Modules reached only through import() are compiled when first requested, not at start: a
// page that needs no framework compiler loads with no Node worker running, and the lazy
// module's own dependencies were found from its source at start, so its first load bundles
// nothing and reloads nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openFixture, workerPids } from './harness.mjs';

test('import() targets compile on first request; their dependencies are bundled at start', async () => {
  const app = await openFixture('lazy-app', '#status:not(:empty)');
  try {
    const atStart = app.server.output().length;
    // Let the warm-up and the page settle: still no compiler process (the .vue file is lazy).
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(workerPids(app.server), [], `a Node worker ran before the lazy module was asked for\n${app.server.output()}\n${workerPids(app.server).map((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8')).join('\n')}`);
    await app.page.click('#open');
    await app.waitForText('.panel', 'Lazy panel in vue');
    assert.ok(workerPids(app.server).length >= 1, 'the Vue component compiled on its first request');
    await app.assertNoReload('the lazy module loaded without a re-bundle and a reload');
    const later = app.server.output().slice(atStart);
    assert.doesNotMatch(later, /pre-bundling/, `@vue/shared was found from the lazy module's source at start\n${app.server.output()}`);
  } finally {
    await app.close();
  }
});
