// Hot updates of `.mtm` frontmatter: switching `target` across the four frameworks in place,
// channels, a removed emit still called, an invalid target/body combination, a new npm import.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openFixture, closeFixture, save, overlayText } from './harness.mjs';

let dir, server, browser, page, log;
const widget = () => path.join(dir, 'src/Widget.mtm');
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
  ({ dir, server, browser, page, log } = await openFixture('hot-app', '#widget .shared'));
});

after(() => closeFixture({ browser, server, dir }));

const details = () => `\npage log:\n${log.join('\n')}\nserver:\n${server.output()}`;
const core = (expression) => page.evaluate(async (expression) => { const core = await import('/@metamon/core.js'); return new Function('core', `return ${expression}`)(core); }, expression);
const pingSubscriptions = () => core("Object.values(core.subscriptions()).reduce((n, e) => n + (e.ping || 0), 0)");

test('switching target across all four frameworks swaps the component in place, keeping signals and the parent state', async () => {
  await page.click('#parent > .local');
  await page.click('#parent > .local');
  await page.click('#widget .shared');
  assert.equal(await page.textContent('#widget .shared'), '1');
  assert.equal(await pingSubscriptions(), 1);
  for (const target of ['vue', 'svelte', 'solid', 'react']) {
    save(widget(), front(target) + bodies[target]);
    await page.waitForFunction((t) => document.querySelector('#widget .widget-label')?.textContent === `Widget ${t}`, target, { timeout: 15000 }).catch((e) => assert.fail(`${target}: ${e.message}${details()}`));
    assert.equal(await page.evaluate(() => document.querySelectorAll('#widget').length), 1, `${target}: the old instance is gone`);
    assert.equal(await page.textContent('#widget .shared'), '1', `${target}: signal kept`);
    assert.equal(await page.textContent('#parent > .local'), '2', `${target}: parent state kept${details()}`);
    assert.equal(await pingSubscriptions(), 1, `${target}: the old framework's subscriptions were released`);
    assert.equal(await page.evaluate(() => window.__marker), 'kept', `${target}: no page reload`);
    // The emit function still publishes on the bus.
    await page.click('#widget .shared');
    await page.waitForFunction(() => document.querySelector('#widget .shared')?.textContent === '2');
    await page.click('#widget .shared'); // back to an odd count…
    await page.evaluate(async () => { const core = await import('/@metamon/core.js'); core.signal('shared').set(1); });
    await page.waitForFunction(() => document.querySelector('#widget .shared')?.textContent === '1');
  }
});

test('a new target with the old body is a compile error; the page keeps the last good component', async () => {
  save(widget(), front('vue') + bodies.react);
  await page.waitForFunction(() => document.querySelector('metamon-error-overlay'), null, { timeout: 15000 }).catch((e) => assert.fail(e.message + details()));
  assert.match(await overlayText(page), /src\/Widget\.mtm:\d+/);
  const before = Number(await page.textContent('#parent > .local'));
  await page.click('#parent > .local');
  assert.equal(await page.textContent('#parent > .local'), String(before + 1), 'the page still responds');
  assert.equal(await page.textContent('#widget .widget-label'), 'Widget react');
  save(widget(), front('react') + bodies.react.replace('Widget react', 'Widget react again'));
  await page.waitForFunction(() => !document.querySelector('metamon-error-overlay') && document.querySelector('#widget .widget-label')?.textContent === 'Widget react again', null, { timeout: 15000 }).catch((e) => assert.fail(e.message + details()));
});

test('renaming a channel updates the bus registry at once', async () => {
  const events = () => core("core.channels().filter((c) => String(c.owner).includes('Widget.mtm')).map((c) => c.event)");
  assert.deepEqual(await events(), ['hello']);
  save(widget(), front('react', 'greet') + bodies.react);
  await page.waitForFunction(() => window.__METAMON__.channels().some((c) => c.event === 'greet'), null, { timeout: 15000 }).catch((e) => assert.fail(e.message + details()));
  assert.deepEqual(await events(), ['greet'], JSON.stringify(await core('core.channels()')) + details());
});

test('an emit removed from the frontmatter but still called is an error at the line of the call', async () => {
  const text = `---\ntarget: react\nstyles:\n  - ./widget.css\n---\n` + bodies.react;
  save(widget(), text);
  const line = text.split('\n').findIndex((l) => l.includes('onHello(shared)')) + 1;
  await page.waitForFunction(() => document.querySelector('metamon-error-overlay'), null, { timeout: 15000 }).catch((e) => assert.fail(e.message + details()));
  const overlay = await overlayText(page);
  assert.match(overlay, new RegExp(`src/Widget\\.mtm:${line}:`), overlay);
  assert.match(overlay, /onHello/);
  save(widget(), front('react') + bodies.react);
  await page.waitForFunction(() => !document.querySelector('metamon-error-overlay'), null, { timeout: 15000 });
});

test('adding an import of a new component of another framework resolves on the fly, without a reload', async () => {
  fs.writeFileSync(path.join(dir, 'src/Extra.vue'), '<script setup>\nconst props = defineProps({ note: String });\n</script>\n<template><p id="extra">Extra vue: {{ props.note }}</p></template>\n');
  const parent = await page.textContent('#parent > .local');
  save(path.join(dir, 'src/App.jsx'), (s) => s.replace("import './app.css';", "import './app.css';\nimport Extra from './Extra.vue';").replace('<Styled />', '<Styled />\n      <Extra note="from react" />'));
  await page.waitForFunction(() => document.querySelector('#extra')?.textContent === 'Extra vue: from react', null, { timeout: 15000 }).catch((e) => assert.fail(e.message + details()));
  assert.equal(await page.textContent('#parent > .local'), parent, 'the parent kept its state');
  assert.equal(await page.evaluate(() => window.__marker), 'kept', 'no page reload');
});

test('importing an npm package that is not pre-bundled yet bundles it without a restart; state is restored after the reload', async () => {
  await page.click('#widget .shared');
  const shared = await page.textContent('#widget .shared');
  save(path.join(dir, 'src/Styled.jsx'), (s) => s.replace("import classes from './styled.module.css';", "import classes from './styled.module.css';\nimport { capitalize } from '@vue/shared';").replace('<section id="styled"', '<section id="styled" data-store={typeof capitalize}'));
  await page.waitForFunction(() => document.querySelector('#styled')?.dataset.store === 'function', null, { timeout: 30000 }).catch((e) => assert.fail(e.message + details()));
  assert.equal(await page.textContent('#widget .shared'), shared, 'the signal survived the reload');
  assert.match(server.output(), /pre-bundling dependencies: .*@vue\/shared/);
});
