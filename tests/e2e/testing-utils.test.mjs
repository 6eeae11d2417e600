// The app-author test helpers (testing/index.mjs), used the way an app's own test would use
// them, against the four-framework fixture: changes detected without sleeps, compile errors
// with their line, state preservation verified (and failing when state is reset on purpose),
// reload time with its phases.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  simulateFileChange, simulateCompilationError, captureState, verifyStatePreservation, measureReloadTime,
} from '../../testing/index.mjs';
import { openFixture } from './harness.mjs';

const apps = [
  { id: 'react-mtm', framework: 'React', file: 'src/Counter.mtm', component: '/src/Counter.mtm#Counter#0' },
  { id: 'vue-mtm', framework: 'Vue', file: 'src/Board.vue.mtm', component: '/src/Board.vue.mtm#default#0' },
  { id: 'svelte-mtm', framework: 'Svelte', file: 'src/Users.mtm', component: '/src/Users.mtm#default#0' },
  { id: 'solid-mtm', framework: 'Solid', file: 'src/Toggle.mtm', component: '/src/Toggle.mtm#Toggle#0' },
];
let app, page;

// The harness starts the server with startDevServer, so relative file names resolve against
// the app's root as they do in a user's own test.
before(async () => {
  app = await openFixture('frameworks-app', apps.map(({ id }) => `#${id} .shared`));
  ({ page } = app);
});

after(() => app?.close());

const details = () => app.details();
const text = (selector) => page.textContent(selector);

/** Clicks a button and waits until its number went up (the framework re-rendered). */
async function clickCounter(selector) {
  const before = Number(await text(selector));
  await page.click(selector);
  await page.waitForFunction(([s, n]) => Number(document.querySelector(s)?.textContent) > n, [selector, before]);
}

for (const app of apps) {
  test(`${app.framework}: an edit is applied and detected without sleeps, state preserved`, async () => {
    await clickCounter(`#${app.id} .local`);
    await clickCounter(`#${app.id} .shared`);
    const before = await captureState(page);
    assert.ok(before.components[app.component]?.count > 0, `local state captured: ${JSON.stringify(before.components)}`);
    const label = await text(`#${app.id} .label`);
    const next = label.replace(/v(\d+)$/, (_, n) => `v${Number(n) + 1}`);

    const result = await simulateFileChange(page, app.file, (s) => s.replace(label, next));

    assert.equal(result.kind, 'updated', JSON.stringify(result) + details());
    assert.ok(result.update.files.includes(app.file), JSON.stringify(result.update));
    assert.ok(result.ms >= 0);
    // Resolved after the update was applied: the DOM shows it now, no waiting.
    assert.equal(await text(`#${app.id} .label`), next);
    const after = await captureState(page);
    assert.deepEqual(verifyStatePreservation(before, after), [], details());
  });
}

for (const app of apps) {
  test(`${app.framework}: a compile error is reported with its line, and restore() clears it`, async () => {
    const before = await captureState(page);
    const error = await simulateCompilationError(page, app.file);
    try {
      assert.equal(error.file, app.file);
      assert.equal(error.line, error.expectedLine, `${JSON.stringify(error)}${details()}`);
      assert.ok(error.overlay, 'shown in the overlay');
      assert.ok(error.message.length > 0);
      assert.equal(await page.getAttribute('metamon-error-overlay', 'data-line'), String(error.expectedLine));
    } finally {
      const restored = await error.restore();
      assert.equal(restored.kind, 'updated', JSON.stringify(restored));
    }
    assert.equal(await page.$('metamon-error-overlay'), null, 'overlay gone once restore() resolved');
    assert.deepEqual(verifyStatePreservation(before, await captureState(page)), [], 'the error kept the running app');
  });
}

test('a compile error at a chosen line', async () => {
  const error = await simulateCompilationError(page, 'src/Counter.mtm', { line: 12, code: '  const = ;' });
  try {
    assert.equal(error.line, 12, JSON.stringify(error));
    assert.equal(error.expectedLine, 12);
  } finally {
    await error.restore();
  }
});

for (const app of apps) {
  test(`${app.framework}: measureReloadTime returns the phases`, async () => {
    const timing = await measureReloadTime(page, {
      file: app.file,
      content: (s) => s.replace(/mtm v(\d+)/, (_, n) => `mtm v${Number(n) + 1}`),
    });
    for (const [name, value] of Object.entries(timing.phases)) {
      assert.equal(typeof value, 'number', `${name}: ${JSON.stringify(timing)}`);
      assert.ok(value >= 0, `${name} = ${value}`);
    }
    assert.ok(timing.ms >= 0 && timing.total >= 0, JSON.stringify(timing));
    assert.ok(timing.total >= timing.phases.apply, JSON.stringify(timing));
    assert.ok(timing.total >= timing.phases.compile, JSON.stringify(timing));
  });
}

test('a change nothing accepts is reported as a full reload, state restored from the snapshot', async () => {
  const before = await captureState(page);
  await page.evaluate(() => { window.__beforeReload = true; });
  const result = await simulateFileChange(page, 'src/main-vue.js', (s) => `${s}\n// edited\n`);
  assert.equal(result.kind, 'full-reload', JSON.stringify(result) + details());
  assert.equal(await page.evaluate(() => window.__beforeReload), undefined, 'a new document');
  for (const { id } of apps) await page.waitForSelector(`#${id} .shared`);
  assert.deepEqual(verifyStatePreservation(before, await captureState(page)), [], details());
});

test('verifyStatePreservation fails with a clear diff when state is reset on purpose', async () => {
  for (const { id } of apps) await clickCounter(`#${id} .local`);
  const before = await captureState(page);
  const shared = before.signals.shared;
  assert.ok(shared > 0);

  // A signal reset through the runtime, and a doubled subscription.
  await page.evaluate(async () => {
    const core = await import('/@metamon/core.js');
    core.signal('shared', 0).set(0);
    const owner = Object.keys(core.subscriptions()).find((o) => o.startsWith('solid:'));
    core.subscribe('ping', () => {}, owner);
  });
  let diff = verifyStatePreservation(before, await captureState(page));
  assert.ok(diff.includes(`signal "shared": ${shared} → 0`), diff.join('\n'));
  assert.ok(diff.some((line) => /^subscriptions of solid:\S*#\d+ for "ping": 1 → 2 \(doubled\)$/.test(line)), diff.join('\n'));

  // A reload nobody announced: no snapshot, every component starts over.
  await page.reload();
  for (const { id } of apps) await page.waitForSelector(`#${id} .shared`);
  diff = verifyStatePreservation(before, await captureState(page));
  for (const app of apps) {
    const count = before.components[app.component].count;
    assert.ok(diff.includes(`component ${app.component} "count": ${count} → 0`), `${app.component}:\n${diff.join('\n')}`);
  }
});
