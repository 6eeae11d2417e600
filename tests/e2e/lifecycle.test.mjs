// The update lifecycle in a real browser: errors in the overlay (compile and runtime, with
// their kind and `.mtm` location), rollback of an update that throws (at top level or on
// render), framework isolation within a batch, strict mode's full reload with state, the
// update indicator / success notice, and the config options that switch these off.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openFixture, overlayText } from './harness.mjs';

// The request that brings Counter.mtm's new version: its own URL, or (bundled dev serving) a pack.
const IMPORT = "import { useState } from 'react';";
/** A top-level await that makes the module take `ms` to evaluate. */
const slowly = (ms) => `await new Promise((resolve) => setTimeout(resolve, ${ms}));`;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** A copy of the lifecycle fixture (with `config` as metamon.config.json) served and opened. */
async function start(config) {
  const app = await openFixture('lifecycle-app', ['#react-mtm .label', '#vue-mtm .label'], { browser, config });
  await app.page.evaluate(() => {
    window.__events = [];
    for (const type of ['rollback', 'error', 'update', 'full-reload']) {
      window.__METAMON__.on(type, (detail) => window.__events.push({ type, message: detail.message, phase: detail.phase, path: detail.path, restored: detail.restored }));
    }
  });
  return app;
}

const feedbackState = (page) =>
  page.evaluate(() => {
    const el = document.querySelector('metamon-feedback');
    return el ? { state: el.dataset.state, text: el.textContent } : null;
  });

describe('graceful (default config)', () => {
  let app;
  before(async () => {
    app = await start();
  });
  after(async () => {
    await app?.close();
  });

  test('a compile error shows the overlay at the .mtm line; the page works; the fix clears it', async () => {
    const { page } = app;
    await page.click('#react-mtm .local');
    const { original: good, line: broken } = app.replaceLine('src/Counter.mtm', 'const [count, setCount]', '  const [count, setCount] = useState(0;');
    await app.waitFor(() => document.querySelector('metamon-error-overlay'));
    const overlay = await page.evaluate(() => ({ ...document.querySelector('metamon-error-overlay').dataset }));
    assert.equal(overlay.file, 'src/Counter.mtm');
    assert.equal(overlay.line, String(broken));
    assert.match(await overlayText(page), /compilation error/);
    await page.click('#react-mtm .local');
    assert.equal(await app.text('#react-mtm .local'), '2', 'the page keeps working');
    app.save('src/Counter.mtm', good);
    await app.waitFor(() => !document.querySelector('metamon-error-overlay'));
    assert.equal(await app.text('#react-mtm .local'), '2');
  });

  test('a module that throws at top level on update: the old version keeps running with its state', async () => {
    const { page } = app;
    await page.click('#react-mtm .shared');
    const before = { local: await app.text('#react-mtm .local'), shared: await app.text('#vue-mtm .shared') };
    const good = app.read('src/Counter.mtm');
    app.save('src/Counter.mtm', good.replace('React v1', 'React v2').replace("export default function", "throw new Error('top-level boom');\nexport default function"));
    await app.waitFor(() => document.querySelector('metamon-error-overlay')?.textContent.includes('top-level boom'));
    const overlay = await page.evaluate(() => ({ ...document.querySelector('metamon-error-overlay').dataset, text: document.querySelector('metamon-error-overlay').textContent }));
    assert.match(overlay.text, /^\[runtime\] src\/Counter\.mtm/);
    const throwLine = good.replace("export default function", "throw new Error('top-level boom');\nexport default function").split('\n').findIndex((l) => l.includes('top-level boom')) + 1;
    assert.equal(overlay.line, String(throwLine), `the .mtm line of the throw (source map): ${overlay.text}`);
    assert.match(await overlayText(page), /runtime error/);
    assert.equal(await app.text('#react-mtm .label'), 'React v1');
    assert.equal(await app.text('#react-mtm .local'), before.local);
    assert.equal(await app.text('#react-mtm .shared'), before.shared);
    await page.click('#react-mtm .local');
    assert.equal(await app.text('#react-mtm .local'), String(Number(before.local) + 1), 'still interactive');
    const events = await page.evaluate(() => window.__events.filter((e) => e.type === 'rollback'));
    assert.equal(events.length, 1);
    assert.equal(events[0].path, '/src/Counter.mtm');
    // The fix applies on top of the running version.
    app.save('src/Counter.mtm', good.replace('React v1', 'React v3'));
    await app.waitFor(() => document.querySelector('#react-mtm .label')?.textContent === 'React v3' && !document.querySelector('metamon-error-overlay'));
    assert.equal(await app.text('#react-mtm .local'), String(Number(before.local) + 1));
    await app.assertNoReload();
  });

  test('a component that throws on render after the edit is rolled back to the last working version', async () => {
    const { page } = app;
    const before = { label: await app.text('#react-mtm .label'), local: await app.text('#react-mtm .local'), shared: await app.text('#react-mtm .shared') };
    const good = app.read('src/Counter.mtm');
    app.save('src/Counter.mtm', good.replace(before.label, 'React broken').replace('  return (', "  if (count >= 0) throw new Error('render boom');\n  return ("));
    await app.waitFor(() => document.querySelector('metamon-error-overlay')?.textContent.includes('render boom'));
    await app.waitFor(() => window.__events.some((e) => e.type === 'rollback' && /render boom/.test(e.message)));
    await app.waitFor((label) => document.querySelector('#react-mtm .label')?.textContent === label, before.label);
    assert.equal(await app.text('#react-mtm .local'), before.local, 'local state as before');
    assert.equal(await app.text('#react-mtm .shared'), before.shared, 'signal as before');
    const rollback = await page.evaluate(() => window.__events.filter((e) => e.type === 'rollback').at(-1));
    assert.equal(rollback.restored, true);
    const fb = await feedbackState(page);
    assert.match(fb?.text || '', /Rolled back to the last working version of src\/Counter\.mtm/);
    await page.click('#react-mtm .local');
    assert.equal(await app.text('#react-mtm .local'), String(Number(before.local) + 1));
    app.save('src/Counter.mtm', good.replace(before.label, 'React v4'));
    await app.waitFor(() => document.querySelector('#react-mtm .label')?.textContent === 'React v4' && !document.querySelector('metamon-error-overlay'));
    assert.equal(await app.text('#react-mtm .local'), String(Number(before.local) + 1));
    await app.assertNoReload();
  });

  test('React and Vue saved together, the Vue one broken: the React one still updates', async () => {
    const { page } = app;
    await page.click('#vue-mtm .local');
    const before = { vueLocal: await app.text('#vue-mtm .local'), reactLabel: await app.text('#react-mtm .label') };
    const vueGood = app.read('src/Panel.vue.mtm');
    const reactGood = app.read('src/Counter.mtm');
    app.save('src/Panel.vue.mtm', vueGood.replace('Vue v1', 'Vue broken {{ missing.deep }}'));
    app.save('src/Counter.mtm', reactGood.replace(before.reactLabel, 'React v5'));
    await app.waitFor(() => document.querySelector('#react-mtm .label')?.textContent === 'React v5');
    // The template's runtime error is shown at its line of the .mtm file (template source map).
    const brokenLine = vueGood.split('\n').findIndex((l) => l.includes('Vue v1')) + 1;
    await app.waitFor((where) => document.querySelector('metamon-error-overlay')?.shadowRoot?.textContent.includes(where), `src/Panel.vue.mtm:${brokenLine}:`);
    await app.waitFor(() => document.querySelector('#vue-mtm .label')?.textContent === 'Vue v1');
    assert.equal(await app.text('#vue-mtm .local'), before.vueLocal, 'Vue local state kept');
    await page.click('#vue-mtm .local');
    assert.equal(await app.text('#vue-mtm .local'), String(Number(before.vueLocal) + 1), 'Vue still interactive');
    app.save('src/Panel.vue.mtm', vueGood.replace('Vue v1', 'Vue v2'));
    await app.waitFor(() => document.querySelector('#vue-mtm .label')?.textContent === 'Vue v2' && !document.querySelector('metamon-error-overlay'));
    await app.assertNoReload();
  });

  test('feedback: an indicator while a slow update applies, then a success notice', async () => {
    const { page } = app;
    // Dismiss the warnings of the previous tests with their close buttons.
    await page.evaluate(() => document.querySelector('metamon-feedback')?.shadowRoot.querySelectorAll('button').forEach((b) => b.click()));
    await app.waitFor(() => !document.querySelector('metamon-feedback'));
    // A module that takes 600 ms to evaluate (top-level await): the update takes longer than
    // the indicator delay, however its code reaches the page.
    const label = await app.text('#react-mtm .label');
    app.save('src/Counter.mtm', (s) => s.replace(label, 'React v6').replace(IMPORT, `${IMPORT}\n${slowly(600)}`));
    await app.waitFor(() => document.querySelector('metamon-feedback')?.dataset.state === 'applying');
    assert.match((await feedbackState(page)).text, /Updating src\/Counter\.mtm/);
    await app.waitFor(() => document.querySelector('#react-mtm .label')?.textContent === 'React v6');
    await app.waitFor(() => document.querySelector('metamon-feedback')?.dataset.state === 'success');
    assert.match((await feedbackState(page)).text, /^Updated src\/Counter\.mtm in \d+ ms$/);
    // Fast again for the next tests.
    const updates = await app.hmrUpdates();
    app.save('src/Counter.mtm', (s) => s.replace(`\n${slowly(600)}`, ''));
    await app.waitForUpdateAfter(updates);
    // Auto-dismissed.
    await app.waitFor(() => !document.querySelector('metamon-feedback'), null, 5000);
  });

  test('feedback: a fast update shows no indicator, only the notice', async () => {
    const { page } = app;
    await page.evaluate(() => {
      window.__states = [];
      new MutationObserver(() => {
        const el = document.querySelector('metamon-feedback');
        if (el) window.__states.push(el.dataset.state);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
    app.save('src/Panel.vue.mtm', (s) => s.replace(/<span class="label">[^<]*<\/span>/, '<span class="label">Vue v3</span>'));
    await app.waitFor(() => document.querySelector('metamon-feedback')?.dataset.state === 'success');
    assert.match((await feedbackState(page)).text, /^Updated src\/Panel\.vue\.mtm in \d+ ms$/);
    const states = await page.evaluate(() => window.__states);
    // The observer saw the notice, so the absence of the indicator means something.
    assert.ok(states.includes('success'), `the observer recorded the notice: ${states}`);
    assert.ok(!states.includes('applying'), `no flashing indicator: ${states}`);
  });
});

test('errorRecoveryMode strict: a failing update reloads the page, signals and .mtm state restored', async () => {
  const app = await start({ errorRecoveryMode: 'strict' });
  try {
    const { page } = app;
    await page.click('#react-mtm .local');
    await page.click('#react-mtm .local');
    await page.click('#vue-mtm .shared');
    // Throws on its first render only (during the hot update), renders after the reload.
    app.save('src/Counter.mtm', (s) =>
      s.replace('React v1', 'React v2').replace('  return (', "  if (!sessionStorage.getItem('thrown')) { sessionStorage.setItem('thrown', '1'); throw new Error('render boom'); }\n  return ("),
    );
    await app.waitFor(() => window.__marker === undefined && document.querySelector('#react-mtm .label')?.textContent === 'React v2', null, 20000);
    await app.waitFor(() => document.querySelector('#react-mtm .local')?.textContent === '2' && document.querySelector('#vue-mtm .shared')?.textContent === '1');
    assert.equal(await app.text('#react-mtm .shared'), '1');
  } finally {
    await app.close();
  }
});

test('showSuccessNotice / showErrorOverlay false, reloadTimeout: no notice, no overlay, a timeout is reported', async () => {
  const app = await start({ showSuccessNotice: false, showErrorOverlay: false, reloadTimeout: 400 });
  try {
    const { page } = app;
    app.save('src/Counter.mtm', (s) => s.replace('React v1', 'React v2'));
    await app.waitFor(() => document.querySelector('#react-mtm .label')?.textContent === 'React v2');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await feedbackState(page), null, 'no success notice');
    // A compile error: reported (introspection) but no overlay.
    const good = app.read('src/Counter.mtm');
    app.save('src/Counter.mtm', good.replace('useState(0)', 'useState(0'));
    await app.waitFor(() => window.__METAMON__.errors().length === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await page.evaluate(() => !!document.querySelector('metamon-error-overlay')), false, 'no overlay');
    app.save('src/Counter.mtm', good);
    await app.waitFor(() => window.__METAMON__.errors().length === 0);
    // reloadTimeout: a module that takes longer than 400 ms is reported as a timeout.
    app.save('src/Counter.mtm', (s) => s.replace('React v2', 'React v3').replace(IMPORT, `${IMPORT}\n${slowly(1500)}`));
    await app.waitFor(() => window.__events.some((e) => e.type === 'error' && e.phase === 'timeout'));
    await app.waitFor(() => /Timed out: src\/Counter\.mtm was not applied within 400 ms/.test(document.querySelector('metamon-feedback')?.textContent || ''));
    assert.equal(await page.evaluate(() => document.querySelector('metamon-feedback').dataset.state), 'warning');
    // It still applies when the module arrives.
    await app.waitFor(() => document.querySelector('#react-mtm .label')?.textContent === 'React v3');
  } finally {
    await app.close();
  }
});
