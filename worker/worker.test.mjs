// node --test worker/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..'); // has node_modules with all compilers
const WORKER = path.join(here, 'worker.mjs');
const PAD = '\n'.repeat(8); // like the Rust side's frontmatter padding: content starts on line 9

// ------------------------------------------------------------ worker client
function startWorker() {
  const child = spawn(process.execPath, [WORKER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting = new Map();
  const stray = [];
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const msg = JSON.parse(line); // every stdout line must be JSON
      const w = waiting.get(msg.id);
      if (w) {
        waiting.delete(msg.id);
        w(msg);
      } else stray.push(msg);
    }
  });
  let next = 1;
  return {
    child,
    stray,
    get stderr() {
      return stderr;
    },
    request(req) {
      const id = next++;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timeout for request ${id}`)), 30000);
        waiting.set(id, (m) => {
          clearTimeout(t);
          resolve(m);
        });
        child.stdin.write(JSON.stringify({ id, ...req }) + '\n');
      });
    },
    writeRaw(s) {
      child.stdin.write(s);
    },
  };
}

let w;
let tmp; // temp dir inside the repo so that evaluated modules can import 'vue'
before(() => {
  w = startWorker();
  tmp = fs.mkdtempSync(path.join(here, '.tmp-test-'));
});
after(() => {
  w.child.stdin.end();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function file(name) {
  return path.join(ROOT, 'src', name);
}

let n = 0;
function writeTmp(code) {
  const f = path.join(tmp, `m${n++}.mjs`);
  fs.writeFileSync(f, code);
  return f;
}
/** Syntax-check an ES module with `node --check`. */
// Vue's `lang="ts"` output comes back typed (the server strips it with oxc); Babel stands in
// for that here so the module can be checked and run in Node.
const require = createRequire(import.meta.url);
function js(r) {
  if (r.lang !== 'ts') return r.code;
  const babel = require('@babel/core');
  return babel.transformSync(r.code, { filename: 'm.ts', babelrc: false, configFile: false, presets: [[require.resolve('@babel/preset-typescript'), { allExtensions: true }]] }).code;
}

function checkModule(code) {
  const f = writeTmp(code);
  execFileSync(process.execPath, ['--check', f], { stdio: 'pipe' });
}

// ------------------------------------------------------------ Vue
const VUE_SFC = (tpl) => `${PAD}<script setup lang="ts">
import { ref } from 'vue'
const count = ref<number>(3)
</script>

<template>
  ${tpl}
</template>

<style scoped>
.btn { color: red; }
</style>
`;

test('ping', async () => {
  assert.deepEqual(await w.request({ kind: 'ping' }), { id: 1, ok: true });
});

test('vue: script setup (ts) + template + scoped style', async () => {
  const filename = file('Board.vue.mtm');
  const r = await w.request({ kind: 'vue', filename, root: ROOT, dev: true, hmr: true, source: VUE_SFC('<button class="btn" @click="count++">{{ (count as number) + 1 }}</button>') });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.match(r.code, /function _sfc_render\(/);
  assert.match(r.code, /_sfc_main\.render = _sfc_render/);
  assert.match(r.code, /__hmrId/);
  assert.match(r.code, /__VUE_HMR_RUNTIME__\.createRecord/);
  assert.match(r.code, /import\.meta\.hot\.accept/);
  assert.match(r.code, /from ['"]vue['"]/);
  assert.doesNotMatch(r.code, /export const _rerender_only/);
  assert.equal(r.lang, 'ts', 'typed output is marked for the server to strip');
  assert.match(r.code, /ref<number>\(3\)/);
  assert.doesNotMatch(js(r), /<number>|as number/, 'TypeScript stripped');
  const scope = /__scopeId = "(data-v-[0-9a-f]{8})"/.exec(r.code)[1];
  assert.ok(r.css.includes(`.btn[${scope}]`), r.css);
  assert.doesNotMatch(r.code, /\.btn/, 'the JS must not inject css');

  // evaluate it for real: import the module (import.meta.hot is undefined in node) and SSR-render
  const mod = await import(pathToFileURL(writeTmp(js(r))).href);
  const { createSSRApp } = await import('vue');
  const { renderToString } = await import('vue/server-renderer');
  const html = await renderToString(createSSRApp(mod.default));
  assert.match(html, new RegExp(`<button class="btn" ${scope}[^>]*>4</button>`));
  assert.equal(mod.default.__file, filename);

  // same file, only the template changed → _rerender_only
  const r2 = await w.request({ kind: 'vue', filename, root: ROOT, dev: true, hmr: true, source: VUE_SFC('<button class="btn" @click="count++">clicked {{ count }}</button>') });
  assert.equal(r2.ok, true, JSON.stringify(r2.error));
  assert.match(r2.code, /export const _rerender_only = true/);
  assert.equal(/__hmrId = "([0-9a-f]+)"/.exec(r2.code)[1], /__hmrId = "([0-9a-f]+)"/.exec(r.code)[1], 'stable id');
  checkModule(js(r2));

  // script changed → full reload (no _rerender_only)
  const r3 = await w.request({ kind: 'vue', filename, root: ROOT, source: VUE_SFC('<button class="btn" @click="count++">clicked {{ count }}</button>').replace('ref<number>(3)', 'ref<number>(5)') });
  assert.equal(r3.ok, true);
  assert.doesNotMatch(r3.code, /export const _rerender_only/);

  // style changed → not rerender-only either
  const r4 = await w.request({ kind: 'vue', filename, root: ROOT, source: VUE_SFC('<button class="btn" @click="count++">clicked {{ count }}</button>').replace('ref<number>(3)', 'ref<number>(5)').replace('red', 'blue') });
  assert.equal(r4.ok, true);
  assert.doesNotMatch(r4.code, /export const _rerender_only/);
  assert.match(r4.css, /blue/);
});

test('vue: plain-JS script and template come with their maps in the .vue file\'s lines, and the line each starts on', async () => {
  const source = '<script setup>\nimport { ref } from "vue";\nconst count = ref(0);\nconst boom = () => count.value.missing.deep;\n</script>\n\n<template>\n  <p>{{ count }}</p>\n  <p>{{ missing.deep }}</p>\n</template>\n';
  const r = await w.request({ kind: 'vue', filename: file('Mapped.vue'), root: ROOT, dev: true, hmr: true, source });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.equal(r.mapParts.length, 2, 'the script\'s and the template\'s');
  const vlq = (text) => { const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'; const out = []; let value = 0, shift = 0; for (const c of text) { const d = chars.indexOf(c); value += (d & 31) << shift; if (d & 32) shift += 5; else { out.push(value & 1 ? -(value >> 1) : value >> 1); value = 0; shift = 0; } } return out; };
  // The .vue line a generated line comes from, through the part that starts at or before it.
  const sourceLineOf = (needle) => {
    const generated = r.code.split('\n').findIndex((l) => l.includes(needle));
    assert.ok(generated >= 0, needle);
    const part = r.mapParts.filter((p) => p.line <= generated).at(-1);
    const lines = part.map.mappings.split(';');
    assert.ok(lines[generated - part.line], `${needle}: the line has mappings`);
    let line = 0;
    for (const text of lines.slice(0, generated - part.line + 1)) for (const segment of text.split(',').filter(Boolean)) { const f = vlq(segment); if (f.length >= 3) line += f[2]; }
    return line + 1;
  };
  assert.equal(sourceLineOf('count.value.missing'), 4);
  assert.equal(sourceLineOf('_ctx.missing.deep'), 9);
  assert.ok(r.mapParts.every((part) => !('sourcesContent' in part.map)), 'the server embeds the file\'s text: the parts come without it');
});

test('vue: template only, plain js, no style', async () => {
  const r = await w.request({ kind: 'vue', filename: file('Plain.vue.mtm'), root: ROOT, dev: true, hmr: true, source: '<template><p>hi</p></template>\n' });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.equal(r.css, null);
  assert.match(r.code, /const _sfc_main = \{\}/);
  checkModule(r.code);
});

test('vue: errors carry 1-based file line/column', async () => {
  const cases = [
    // [source, line, column]
    [`${PAD}<template>\n  <div>\n</template>\n`, 10, 3], // missing end tag
    [`${PAD}<script setup>\nconst x = ;\n</script>\n<template><div/></template>\n`, 10, 11], // script syntax
    [`${PAD}<template>\n  <div>{{ a + }}</div>\n</template>\n`, 10, 11], // bad template expression
    // syntax error in the normal <script> next to a longer <script setup>
    [`${PAD}<script setup>\nconst a = 1\nconst b = 2\nconst c = 3\n</script>\n<script>\nexport const x = ;\n</script>\n`, 15, 18],
    // compiler-sfc semantic error (reported with a code frame)
    [`${PAD}<script setup>\nconst p = defineProps(['a'])\n  const q = defineProps(['b'])\n</script>\n`, 11, 13],
    // css syntax error inside <style>
    [`${PAD}<template><div/></template>\n<style>\n.a { color: red\n</style>\n`, 11, 1],
  ];
  for (const [source, line, column] of cases) {
    const r = await w.request({ kind: 'vue', filename: file('Bad.vue.mtm'), root: ROOT, source });
    assert.equal(r.ok, false, source);
    assert.equal(typeof r.error.message, 'string');
    assert.deepEqual([r.error.line, r.error.column], [line, column], `${r.error.message}\n${source}`);
    assert.equal(r.error.package, null);
  }
});

// ------------------------------------------------------------ Svelte
test('svelte 5: $state component', async () => {
  const source = `${PAD}<script>\n  let n = $state(0);\n</script>\n<button onclick={() => n++}>{n}</button>\n<style>button { color: red }</style>\n`;
  const r = await w.request({ kind: 'svelte', filename: file('Counter.svelte.mtm'), root: ROOT, dev: true, hmr: true, source });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.match(r.code, /svelte\/internal\/client/);
  assert.match(r.code, /import\.meta\.hot/);
  assert.match(r.code, /\$\.hmr\(/);
  assert.match(r.code, /export default Counter/);
  assert.match(r.css, /button\.svelte-[a-z0-9]+\s*\{\s*color:\s*red/);
  assert.ok(r.map && r.map.mappings, 'source map');
  checkModule(r.code);
});

test('svelte 5: syntax error position', async () => {
  const source = `${PAD}<div>\n  {#if x}\n</div>\n`;
  const r = await w.request({ kind: 'svelte', filename: file('Bad.svelte.mtm'), root: ROOT, source });
  assert.equal(r.ok, false);
  assert.deepEqual([r.error.line, r.error.column], [11, 1], r.error.message);
  const r2 = await w.request({ kind: 'svelte', filename: file('Bad.svelte.mtm'), root: ROOT, source: `${PAD}<p>\n   {n +}</p>\n` });
  assert.equal(r2.ok, false);
  assert.equal(r2.error.line, 10, r2.error.message);
});

// ------------------------------------------------------------ Solid
test('solid: tsx component with solid-refresh', async () => {
  const source = `${PAD}import { createSignal } from 'solid-js'\nexport default function Counter(props: { label: string }) {\n  const [c, setC] = createSignal<number>(0)\n  return <button onClick={() => setC(c() + 1)}>{props.label} {c()}</button>\n}\n`;
  const r = await w.request({ kind: 'solid', filename: file('Counter.solid.mtm'), root: ROOT, dev: true, hmr: true, source });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.match(r.code, /from "solid-js\/web"/);
  assert.match(r.code, /from "metamon\/solid-refresh"/);
  assert.match(r.code, /import\.meta\.hot/);
  assert.equal(r.lang, 'ts', 'typed output is marked for the server to strip');
  assert.doesNotMatch(js(r), /<number>/);
  assert.equal(r.css, null);
  assert.ok(r.map && r.map.mappings, 'source map');
  checkModule(js(r));
});

test('solid: syntax error position', async () => {
  const r = await w.request({ kind: 'solid', filename: file('Bad.solid.mtm'), root: ROOT, source: `${PAD}const a = 1\n  const b = ;\n` });
  assert.equal(r.ok, false);
  assert.deepEqual([r.error.line, r.error.column], [10, 13], r.error.message);
  assert.doesNotMatch(r.error.message, /\n|\(\d+:\d+\)/);
  const r2 = await w.request({ kind: 'solid', filename: file('Bad.solid.mtm'), root: ROOT, source: `${PAD}export default () => (\n  <div>\n    <span>\n  </div>\n)\n` });
  assert.equal(r2.ok, false);
  assert.equal(r2.error.line, 12, r2.error.message);
});

// ------------------------------------------------------------ missing compilers
test('missing compilers name the npm package', async () => {
  const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'mtm-bare-'));
  try {
    fs.writeFileSync(path.join(bare, 'package.json'), '{"name":"bare","private":true}');
    const expect = { vue: '@vue/compiler-sfc', svelte: 'svelte', solid: '@babel/core' };
    for (const [kind, pkg] of Object.entries(expect)) {
      const r = await w.request({ kind, filename: path.join(bare, `X.${kind}.mtm`), root: bare, source: '<template><div/></template>' });
      assert.equal(r.ok, false, kind);
      assert.equal(r.error.package, pkg);
      assert.ok(r.error.message.includes(`npm install -D ${pkg}`), r.error.message);
    }
    // style preprocessors the project has not installed
    for (const [name, pkg] of [['x.scss', 'sass'], ['x.less', 'less']]) {
      const r = await w.request({ kind: 'style', filename: path.join(bare, name), root: bare, source: '.a { .b { color: red } }\n' });
      assert.equal(r.ok, false, name);
      assert.equal(r.error.package, pkg);
    }
  } finally {
    fs.rmSync(bare, { recursive: true, force: true });
  }
});

test('vue: a template edit keeps the compiled script, unless the template now uses an import the script dropped', async () => {
  const filename = file('Reuse.vue');
  const sfc = (template) => `<script setup lang="ts">\nimport { ref } from 'vue'\nimport { helper } from './helper'\nconst count = ref(1)\n</script>\n<template>${template}</template>\n`;
  const exposed = (r) => /const __returned__ = \{([^}]*)\}/.exec(js(r))?.[1] ?? '';
  const r1 = await w.request({ kind: 'vue', filename, root: ROOT, dev: true, hmr: true, source: sfc('<p>{{ count }}</p>') });
  assert.equal(r1.ok, true, JSON.stringify(r1.error));
  assert.doesNotMatch(exposed(r1), /helper/, 'an import the template does not use may be a type: not exposed');
  const r2 = await w.request({ kind: 'vue', filename, root: ROOT, dev: true, hmr: true, source: sfc('<p>count: {{ count }}</p>') });
  assert.match(r2.code, /export const _rerender_only = true/);
  assert.match(js(r2), /count: /);
  const script = (r) => r.code.slice(0, r.code.indexOf('function _sfc_render'));
  assert.equal(script(r2), script(r1), 'the same script');
  const r3 = await w.request({ kind: 'vue', filename, root: ROOT, dev: true, hmr: true, source: sfc('<p>{{ helper(count) }}</p>') });
  assert.equal(r3.ok, true, JSON.stringify(r3.error));
  assert.match(exposed(r3), /helper/, 'the script is compiled again: the template uses `helper` now');
  assert.doesNotMatch(r3.code, /export const _rerender_only/);
});

test('vue: defineProps with a type imported from another file (read from disk, listed as a dependency)', async () => {
  fs.writeFileSync(path.join(tmp, 'card-types.ts'), 'export interface CardProps { title: string; count?: number }\n');
  const source = "<script setup lang=\"ts\">\nimport type { CardProps } from './card-types'\nconst props = defineProps<CardProps>()\n</script>\n<template><p>{{ props.title }}</p></template>\n";
  const r = await w.request({ kind: 'vue', filename: path.join(tmp, 'Card.vue'), root: ROOT, dev: true, hmr: true, source });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.match(r.code, /props: \{\s*title: \{ type: String, required: true \},\s*count: \{ type: Number, required: false \}/);
  assert.deepEqual(r.deps.map((d) => path.basename(d)), ['card-types.ts']);
  // The types changed, the file did not: compiled again (the script read the types).
  fs.writeFileSync(path.join(tmp, 'card-types.ts'), 'export interface CardProps { title: string; total?: number }\n');
  const again = await w.request({ kind: 'vue', filename: path.join(tmp, 'Card.vue'), root: ROOT, dev: true, hmr: true, source });
  assert.match(again.code, /total: \{ type: Number, required: false \}/);
});

// ------------------------------------------------------------ Sass
test('style: SCSS and Sass through the project\'s sass, errors at their line', async () => {
  const scss = await w.request({ kind: 'style', filename: file('a.scss'), root: ROOT, source: '$c: red;\n.a { .b { color: $c; } }\n' });
  assert.equal(scss.ok, true, JSON.stringify(scss.error));
  assert.match(scss.code, /\.a \.b \{\s*color: red;\s*\}/);
  const indented = await w.request({ kind: 'style', filename: file('b.sass'), root: ROOT, source: '.a\n  color: blue\n' });
  assert.match(indented.code, /\.a \{\s*color: blue;\s*\}/);
  const broken = await w.request({ kind: 'style', filename: file('c.scss'), root: ROOT, source: '.a {\n  color: $missing;\n}\n' });
  assert.equal(broken.ok, false);
  assert.equal(broken.error.line, 2);
  assert.match(broken.error.message, /Undefined variable/);
  // the partials it read, so the server can update it when one changes
  fs.writeFileSync(path.join(tmp, '_partial.scss'), '$p: green;\n');
  const using = await w.request({ kind: 'style', filename: path.join(tmp, 'd.scss'), root: ROOT, source: "@use './partial';\n.a { color: partial.$p; }\n" });
  assert.equal(using.ok, true, JSON.stringify(using.error));
  assert.match(using.code, /color: green/);
  assert.deepEqual(using.deps, [fs.realpathSync(path.join(tmp, '_partial.scss'))]);
  // Vue <style lang="scss"> uses the same package
  const vue = await w.request({ kind: 'vue', filename: file('Sass.vue.mtm'), root: ROOT, source: `${PAD}<template><div/></template>\n<style lang="scss">\n.a { .b { color: red } }\n</style>\n` });
  assert.equal(vue.ok, true, JSON.stringify(vue.error));
  assert.match(vue.css, /\.a \.b/);
  // Svelte <style lang="scss"> too
  const svelte = await w.request({ kind: 'svelte', filename: file('Sass.svelte'), root: ROOT, source: '<script>\n  let n = $state(0);\n</script>\n<p class="a"><b>{n}</b></p>\n<style lang="scss">\n  $c: red;\n  .a { b { color: $c; } }\n</style>\n' });
  assert.equal(svelte.ok, true, JSON.stringify(svelte.error));
  assert.match(svelte.css, /\.a\.svelte-[a-z0-9]+ b:where\(\.svelte-[a-z0-9]+\) \{\s*color: red;/);
});

// ------------------------------------------------------------ robustness
test('garbage input does not kill the worker', async () => {
  w.writeRaw('this is not json\n');
  w.writeRaw('[1,2]\n');
  const r = await w.request({ kind: 'nope' });
  assert.equal(r.ok, false);
  assert.match(r.error.message, /unknown kind/);
  const r2 = await w.request({ kind: 'vue', filename: file('X.vue.mtm'), root: ROOT });
  assert.equal(r2.ok, false);
  assert.deepEqual(await w.request({ kind: 'ping' }), { id: r2.id + 1, ok: true });
  // Each bad line got its own error response, with id null (answered in order, before the ping).
  assert.deepEqual(w.stray.map((s) => [s.id, s.ok]), [[null, false], [null, false]], JSON.stringify(w.stray));
  assert.match(w.stray[0].error.message, /invalid JSON request/);
  assert.match(w.stray[1].error.message, /unknown kind/);
});

test('exits when stdin closes', async () => {
  const w2 = startWorker();
  assert.equal((await w2.request({ kind: 'ping' })).ok, true);
  const code = await new Promise((resolve) => {
    w2.child.on('exit', resolve);
    w2.child.stdin.end();
  });
  assert.equal(code, 0);
});
