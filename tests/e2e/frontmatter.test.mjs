// Hot updates of `.mtm` frontmatter: switching `target` across the four frameworks in place,
// channels, a removed emit still called, an invalid target/body combination, a new npm import.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openFixture, pingSubscriptions } from './harness.mjs';

let app, page;
const saveWidget = (text) => app.save('src/Widget.mtm', text);
const front = (target, channel = 'hello') => `---\ntarget: ${target}\nchannels:\n  - event: ${channel}\n    emit: onHello\nstyles:\n  - ./widget.css\n---\n`;
const bodies = {
  react: `import { useEffect } from 'react';

export default function Widget() {
  const [shared, setShared] = useMetamonSignal('shared', 0);
  const bus = useMetamonPubSub();
  useEffect(() => bus.subscribe('ping', () => {}), []);
  return (
    <section id="widget">
      <span className="widget-label">Widget react</span>
      <button className="shared" onClick={() => { setShared(shared + 1); onHello(shared); }}>{shared}</button>
    </section>
  );
}
`,
  vue: `<script setup>
const shared = useMetamonSignal('shared', 0);
const bus = useMetamonPubSub();
bus.subscribe('ping', () => {});
function bump() { shared.value++; onHello(shared.value); }
</script>

<template>
  <section id="widget">
    <span class="widget-label">Widget vue</span>
    <button class="shared" @click="bump">{{ shared }}</button>
  </section>
</template>
`,
  svelte: `<script>
  const shared = useMetamonSignal('shared', 0);
  const bus = useMetamonPubSub();
  bus.subscribe('ping', () => {});
</script>

<section id="widget">
  <span class="widget-label">Widget svelte</span>
  <button class="shared" onclick={() => { $shared++; onHello($shared); }}>{$shared}</button>
</section>
`,
  solid: `export default function Widget() {
  const [shared, setShared] = useMetamonSignal('shared', 0);
  const bus = useMetamonPubSub();
  bus.subscribe('ping', () => {});
  return (
    <section id="widget">
      <span class="widget-label">Widget solid</span>
      <button class="shared" onClick={() => { setShared(shared() + 1); onHello(shared()); }}>{shared()}</button>
    </section>
  );
}
`,
};

before(async () => {
  app = await openFixture('hot-app', '#widget .shared');
  ({ page } = app);
});

after(() => app?.close());

const core = (expression) => page.evaluate(async (expression) => { const core = await import('/@metamon/core.js'); return new Function('core', `return ${expression}`)(core); }, expression);

test('switching target across all four frameworks swaps the component in place, keeping signals and the parent state', async () => {
  await page.click('#parent > .local');
  await page.click('#parent > .local');
  await page.click('#widget .shared');
  assert.equal(await page.textContent('#widget .shared'), '1');
  assert.equal(await pingSubscriptions(page), 1);
  for (const target of ['vue', 'svelte', 'solid', 'react']) {
    saveWidget(front(target) + bodies[target]);
    await app.waitForText('#widget .widget-label', `Widget ${target}`);
    assert.equal(await page.evaluate(() => document.querySelectorAll('#widget').length), 1, `${target}: the old instance is gone`);
    assert.equal(await page.textContent('#widget .shared'), '1', `${target}: signal kept`);
    assert.equal(await page.textContent('#parent > .local'), '2', `${target}: parent state kept${app.details()}`);
    assert.equal(await pingSubscriptions(page), 1, `${target}: the old framework's subscriptions were released`);
    await app.assertNoReload(`${target}: no page reload`);
    // The emit function still publishes on the bus.
    await page.click('#widget .shared');
    await app.waitForText('#widget .shared', '2');
    await page.click('#widget .shared'); // back to an odd count…
    await page.evaluate(async () => { const core = await import('/@metamon/core.js'); core.signal('shared').set(1); });
    await app.waitForText('#widget .shared', '1');
  }
});

test('a new target with the old body is a compile error; the page keeps the last good component', async () => {
  saveWidget(front('vue') + bodies.react);
  assert.match(await app.waitForOverlay(), /src\/Widget\.mtm:\d+/);
  const before = Number(await page.textContent('#parent > .local'));
  await page.click('#parent > .local');
  assert.equal(await page.textContent('#parent > .local'), String(before + 1), 'the page still responds');
  assert.equal(await page.textContent('#widget .widget-label'), 'Widget react');
  await app.edit('src/Widget.mtm', front('react') + bodies.react.replace('Widget react', 'Widget react again'), () => !document.querySelector('metamon-error-overlay') && document.querySelector('#widget .widget-label')?.textContent === 'Widget react again');
});

test('renaming a channel updates the bus registry at once', async () => {
  const events = () => core("core.channels().filter((c) => String(c.owner).includes('Widget.mtm')).map((c) => c.event)");
  assert.deepEqual(await events(), ['hello']);
  await app.edit('src/Widget.mtm', front('react', 'greet') + bodies.react, () => window.__METAMON__.channels().some((c) => c.event === 'greet'));
  assert.deepEqual(await events(), ['greet'], JSON.stringify(await core('core.channels()')) + app.details());
});

test('an emit removed from the frontmatter but still called is an error at the line of the call', async () => {
  const text = `---\ntarget: react\nstyles:\n  - ./widget.css\n---\n` + bodies.react;
  saveWidget(text);
  const line = text.split('\n').findIndex((l) => l.includes('onHello(shared)')) + 1;
  const overlay = await app.waitForOverlay();
  assert.match(overlay, new RegExp(`src/Widget\\.mtm:${line}:`), overlay);
  assert.match(overlay, /onHello/);
  await app.edit('src/Widget.mtm', front('react') + bodies.react, () => !document.querySelector('metamon-error-overlay'));
});

test('adding an import of a new component of another framework resolves on the fly, without a reload', async () => {
  fs.writeFileSync(app.file('src/Extra.vue'), '<script setup>\nconst props = defineProps({ note: String });\n</script>\n<template><p id="extra">Extra vue: {{ props.note }}</p></template>\n');
  const parent = await page.textContent('#parent > .local');
  app.save('src/App.jsx', (s) => s.replace("import './app.css';", "import './app.css';\nimport Extra from './Extra.vue';").replace('<Styled />', '<Styled />\n      <Extra note="from react" />'));
  await app.waitForText('#extra', 'Extra vue: from react');
  assert.equal(await page.textContent('#parent > .local'), parent, 'the parent kept its state');
  await app.assertNoReload();
});

test('importing an npm package that is not pre-bundled yet bundles it without a restart; state is restored after the reload', async () => {
  await page.click('#widget .shared');
  const shared = await page.textContent('#widget .shared');
  app.save('src/Styled.jsx', (s) => s.replace("import classes from './styled.module.css';", "import classes from './styled.module.css';\nimport { capitalize } from '@vue/shared';").replace('<section id="styled"', '<section id="styled" data-store={typeof capitalize}'));
  await app.waitFor(() => document.querySelector('#styled')?.dataset.store === 'function', null, 30000);
  assert.equal(await page.textContent('#widget .shared'), shared, 'the signal survived the reload');
  assert.match(app.server.output(), /pre-bundling dependencies: .*@vue\/shared/);
});
