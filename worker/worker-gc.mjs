// Metamon compile worker: JSON lines on stdin → JSON lines on stdout.
// See worker/README.md for the protocol. Nothing but responses may reach stdout.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

// ---------------------------------------------------------------- stdout guard
const writeOut = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
for (const k of ['log', 'info', 'debug', 'warn', 'trace', 'dir']) {
  console[k] = (...args) => console.error(...args);
}

function send(obj) {
  writeOut(JSON.stringify(obj) + '\n');
}

// ---------------------------------------------------------------- errors
class WorkerError extends Error {
  constructor(message, { line = null, column = null, pkg = null } = {}) {
    super(message);
    this.line = line;
    this.column = column;
    this.pkg = pkg;
  }
}

function errorBody(e) {
  if (e instanceof WorkerError) {
    return { message: e.message, line: e.line, column: e.column, package: e.pkg };
  }
  const message = e && e.message ? String(e.message) : String(e);
  // e.g. a style preprocessor (sass, less, stylus) required by a compiler but not installed
  const missing = /Cannot find (?:module|package) '((?:@[^/'\s]+\/)?[^./'\s][^/'\s]*)/.exec(message);
  if (missing) {
    const pkg = missing[1];
    return {
      message: `This file needs the npm package ${pkg}: run \`npm install -D ${pkg}\``,
      line: null,
      column: null,
      package: pkg,
    };
  }
  return { message: message.split('\n')[0], line: null, column: null, package: null };
}

/** 1-based line/column of a 0-based character offset in `text`. */
function offsetToLineCol(text, offset) {
  let line = 1;
  let lastNl = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastNl = i;
    }
  }
  return { line, column: offset - lastNl };
}

// ---------------------------------------------------------------- compiler loading
const FEATURE = {
  '@vue/compiler-sfc': 'Vue support',
  'svelte/compiler': 'Svelte support',
  '@babel/core': 'Solid support',
  'babel-preset-solid': 'Solid support',
  'solid-refresh/babel': 'Solid hot reloading',
  '@babel/preset-typescript': 'TypeScript support',
};

function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const moduleCache = new Map(); // `${root}\0${spec}` -> Promise<module>

/**
 * Imports `spec` as the project at `root` resolves it. With an array, each package is resolved
 * from the one before it (a dependency of a dependency, which pnpm does not hoist to the root).
 */
function load(root, spec, feature) {
  const chain = Array.isArray(spec) ? spec : [spec];
  const key = `${root}\0${chain.join('\0')}`;
  let p = moduleCache.get(key);
  if (!p) {
    p = (async () => {
      let resolved = path.join(root, 'package.json');
      for (const step of chain) {
        try {
          resolved = createRequire(resolved).resolve(step);
        } catch {
          const pkg = packageName(step);
          throw new WorkerError(
            `${feature || FEATURE[step] || 'This file'} needs the npm package ${pkg}: run \`npm install -D ${pkg}\``,
            { pkg },
          );
        }
      }
      return import(pathToFileURL(resolved).href);
    })();
    moduleCache.set(key, p);
    // do not cache failures: the user may install the package and retry
    p.catch(() => moduleCache.delete(key));
  }
  return p;
}

const interop = (m) => (m && m.default != null ? m.default : m);
function fn(mod, name) {
  if (mod && typeof mod[name] === 'function') return mod[name];
  if (mod && mod.default && typeof mod.default[name] === 'function') return mod.default[name];
  throw new Error(`cannot find ${name}() in the loaded compiler`);
}

// ---------------------------------------------------------------- TypeScript stripping (Babel)
async function stripTs(root, code, filename, tsx, feature) {
  const babel = await load(root, '@babel/core', feature);
  const presetTs = await load(root, '@babel/preset-typescript', feature);
  const result = await fn(babel, 'transformAsync')(code, {
    filename,
    babelrc: false,
    configFile: false,
    sourceMaps: false,
    compact: false,
    presets: [[interop(presetTs), { isTSX: !!tsx, allExtensions: true }]],
  });
  return result.code;
}

// ---------------------------------------------------------------- Vue
const VUE_FS = {
  fileExists: (file) => fs.existsSync(file),
  readFile: (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined),
  realpath: (file) => fs.realpathSync(file),
};

const prevVue = new Map(); // filename -> previous successful descriptor

function isEqualBlock(a, b) {
  if (!a && !b) return true;
  if (!a || !b) return false;
  if (a.src && b.src && a.src === b.src) return true;
  if (a.content !== b.content) return false;
  const ka = Object.keys(a.attrs);
  const kb = Object.keys(b.attrs);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => a.attrs[k] === b.attrs[k]);
}

/** What the next compile compares with (not the template's AST: a thousand files' worth of it
 * would be most of the worker's memory). */
function comparedParts(descriptor) {
  const block = (b) => b && { content: b.content, attrs: b.attrs, src: b.src };
  return {
    script: block(descriptor.script),
    scriptSetup: block(descriptor.scriptSetup),
    styles: descriptor.styles.map(block),
    customBlocks: descriptor.customBlocks.map(block),
    __imports: descriptor.__imports,
    compiledScript: descriptor.__compiledScript,
  };
}

function hasScriptChanged(prev, next, prevImports) {
  if (!isEqualBlock(prev.script, next.script)) return true;
  if (!isEqualBlock(prev.scriptSetup, next.scriptSetup)) return true;
  // the template may use different imports: then the setup bindings change
  if (prevImports && typeof next.shouldForceReload === 'function') {
    return !next.template || next.shouldForceReload(prevImports);
  }
  return false;
}

function isOnlyTemplateChanged(prev, next, prevImports) {
  return (
    !hasScriptChanged(prev, next, prevImports) &&
    prev.styles.length === next.styles.length &&
    prev.styles.every((s, i) => isEqualBlock(s, next.styles[i])) &&
    prev.customBlocks.length === next.customBlocks.length &&
    prev.customBlocks.every((s, i) => isEqualBlock(s, next.customBlocks[i]))
  );
}

/**
 * Position from a code frame in an error message. Babel frames look like
 * "> 9 |   code" + "    |   ^" (one space after the pipe); Vue's generateCodeFrame
 * uses "9  |  code" + "   |  ^" (two spaces). Line numbers are the frame's own.
 */
function posFromFrame(message) {
  const lines = String(message || '').split('\n');
  const pad = lines.some((l) => /^\s*>\s*\d+\s*\|/.test(l)) ? 1 : 2;
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = /^\s*>?\s*(\d+)\s*\|/.exec(lines[i]);
    if (m && /^\s*\|\s*\^/.test(lines[i + 1])) {
      const after = lines[i + 1].slice(lines[i + 1].indexOf('|') + 1);
      return { line: Number(m[1]), column: Math.max(1, after.indexOf('^') - pad + 1) };
    }
  }
  return null;
}

function firstLine(message) {
  return String(message).split('\n')[0].replace(/^\[@?vue\/compiler-sfc\]\s*/, '').trim();
}

// plugin-vue's `template.compilerOptions.isCustomElement`, as the source of the config's function.
const customElementTests = new Map();
function customElementTest(source) {
  if (typeof source !== 'string' || !source) return null;
  if (!customElementTests.has(source)) {
    let test = null;
    try {
      test = new Function(`return (${source})`)();
    } catch (e) {
      console.error('[metamon worker] isCustomElement from the Vite config does not evaluate:', e.message);
    }
    customElementTests.set(source, typeof test === 'function' ? test : null);
  }
  return customElementTests.get(source);
}

async function compileVue(req) {
  const { filename, source, root } = req;
  const dev = req.dev !== false;
  const hmr = dev && req.hmr !== false;
  const sfc = await load(root, '@vue/compiler-sfc');
  const parse = fn(sfc, 'parse');
  const compileScript = fn(sfc, 'compileScript');
  const compileTemplate = fn(sfc, 'compileTemplate');
  const compileStyleAsync = fn(sfc, 'compileStyleAsync');

  const isCustomElement = customElementTest(req.isCustomElement);
  // The template is parsed here once and its AST reused: custom elements are known to the parse.
  const templateParseOptions = isCustomElement ? { isCustomElement } : undefined;
  const { descriptor, errors } = parse(source, { filename, sourceMap: false, ignoreEmpty: true, templateParseOptions });
  if (errors.length) {
    const e = errors[0];
    const loc = e.loc && e.loc.start;
    throw new WorkerError(firstLine(e.message), {
      line: loc ? loc.line : null,
      column: loc ? loc.column : null,
    });
  }
  const rel = path.normalize(path.relative(root, filename)).split(path.sep).join('/');
  const id = createHash('sha256').update(rel + (dev ? '' : source)).digest('hex').slice(0, 8);
  descriptor.id = id;
  const scopeId = `data-v-${id}`;
  const hasScoped = descriptor.styles.some((s) => s.scoped);
  const lang = (descriptor.scriptSetup && descriptor.scriptSetup.lang) || (descriptor.script && descriptor.script.lang);
  const isTS = lang === 'ts' || lang === 'tsx';
  const expressionPlugins = isTS ? (lang === 'tsx' ? ['typescript', 'jsx'] : ['typescript']) : undefined;
  const inlineTemplate = !dev && !!descriptor.scriptSetup && !!descriptor.template && !descriptor.template.src;

  // Maps cost a quarter of a compile: a production build without `--sourcemap` skips them.
  const maps = req.sourcemap !== false;
  const templateCompilerOptions = { expressionPlugins, isTS, sourceMap: maps };
  if (isCustomElement) templateCompilerOptions.isCustomElement = isCustomElement;
  const templateOptions = {
    id,
    filename,
    scoped: hasScoped,
    slotted: descriptor.slotted,
    isProd: !dev,
    compilerOptions: { ...templateCompilerOptions, scopeId: hasScoped ? scopeId : undefined },
  };

  // --- script
  const out = [];
  // The answer depends on the file's previous compile (a template-only change re-renders).
  let comparedWithPrevious = false;
  if (hmr) out.push("import { nextTick as __metamon_vueNextTick } from 'vue'");
  let bindings;
  let prevImports;
  // The script block's map (in the .vue file's own lines): runtime errors in setup name the line.
  let scriptMap = null;
  let scriptIndex = 0;
  let templateMap = null;
  let templateIndex = 0;
  let typeDeps = [];
  const prev = prevVue.get(filename);
  prevImports = prev && prev.__imports;
  // The script's compile is kept while its blocks (and the template's use of its imports) do
  // not change, as @vitejs/plugin-vue does: a template edit of a root importing a thousand
  // components then costs the template's compile alone. Not with the template inlined (a
  // production build): the script holds it.
  const scriptKey = JSON.stringify([id, dev, maps, inlineTemplate]);
  // Types read from other files for the previous compile may have changed since: Vue caches
  // them by file until told.
  const invalidateTypeCache = sfc.invalidateTypeCache || sfc.default?.invalidateTypeCache;
  for (const dep of prev?.compiledScript?.script.deps || []) invalidateTypeCache?.(dep);
  const reusable =
    !inlineTemplate &&
    prev?.compiledScript?.key === scriptKey &&
    !prev.compiledScript.script.deps?.length && // types read from other files may have changed
    !hasScriptChanged(prev, descriptor, prevImports);
  if (descriptor.script || descriptor.scriptSetup) {
    let script;
    try {
      script = reusable ? prev.compiledScript.script : compileScript(descriptor, {
        id,
        isProd: !dev,
        inlineTemplate,
        genDefaultAs: '_sfc_main',
        templateOptions: inlineTemplate ? templateOptions : undefined,
        sourceMap: maps,
        // `defineProps<Props>()` with `Props` imported from another file reads that file.
        fs: VUE_FS,
      });
    } catch (e) {
      throw vueScriptError(e, descriptor, source);
    }
    bindings = script.bindings;
    typeDeps = script.deps ? [...script.deps] : [];
    scriptMap = script.map;
    scriptIndex = out.length;
    out.push(script.content);
    descriptor.__imports = script.imports;
    if (!inlineTemplate) descriptor.__compiledScript = { key: scriptKey, script };
  } else {
    out.push('const _sfc_main = {}');
  }

  // --- template
  if (descriptor.template && !inlineTemplate) {
    const t = descriptor.template;
    const res = compileTemplate({
      ...templateOptions,
      source: t.content,
      ast: t.lang ? undefined : t.ast,
      preprocessLang: t.lang,
      compilerOptions: { ...templateOptions.compilerOptions, bindingMetadata: bindings },
    });
    if (res.errors && res.errors.length) {
      const e = res.errors[0];
      if (typeof e === 'string') throw new WorkerError(firstLine(e), { line: t.loc.start.line });
      const loc = e.loc && e.loc.start;
      let line = null;
      let column = null;
      if (loc) {
        if (t.ast && !t.lang) {
          // AST came from the whole-file parse: positions are already file coordinates
          ({ line, column } = offsetToLineCol(source, loc.offset));
        } else {
          ({ line, column } = offsetToLineCol(source, t.loc.start.offset + loc.offset));
        }
      }
      throw new WorkerError(cleanBabelMessage(firstLine(e.message)), { line, column });
    }
    for (const w of res.tips || []) console.error(`[vue] ${filename}: ${w}`);
    // Positions are the file's own when the template AST came from the whole-file parse.
    if (res.map && t.ast && !t.lang) {
      templateMap = res.map;
      templateIndex = out.length;
    }
    out.push(res.code.replace(/\nexport (function|const) (render|ssrRender)/, '\n$1 _sfc_$2'));
    out.push('_sfc_main.render = _sfc_render');
  }

  // --- styles
  const cssParts = [];
  const cssModules = {};
  for (const style of descriptor.styles) {
    let res;
    try {
      res = await compileStyleAsync({
      filename,
      source: style.content,
      id: scopeId,
      scoped: !!style.scoped,
      isProd: !dev,
      trim: true,
      modules: !!style.module,
      preprocessLang: style.lang,
      });
    } catch (e) {
      const body = errorBody(e);
      throw new WorkerError(body.message, { line: style.loc.start.line, column: style.loc.start.column, pkg: body.package });
    }
    if (res.errors && res.errors.length) {
      const e = res.errors[0];
      let line = style.loc.start.line;
      let column = null;
      if (typeof e.line === 'number') {
        line = style.loc.start.line + e.line - 1;
        column = e.line === 1 ? style.loc.start.column + (e.column || 1) - 1 : e.column || null;
      }
      const missing = /Cannot find module '([^']+)'|Preprocessor dependency "([^"]+)" not found/.exec(e.message || '');
      const pkg = missing ? missing[1] || missing[2] : null;
      throw new WorkerError(e.reason || firstLine(e.message), { line, column, pkg });
    }
    const post = await blockPostcss(req, res.code, style.loc.start.line);
    if (post) typeDeps.push(...post.deps);
    cssParts.push(post ? post.code : res.code);
    if (style.module) {
      const name = typeof style.module === 'string' ? style.module : '$style';
      cssModules[name] = res.modules || {};
    }
  }
  if (Object.keys(cssModules).length) {
    out.push(`_sfc_main.__cssModules = ${JSON.stringify(cssModules)}`);
  }

  if (hasScoped) out.push(`_sfc_main.__scopeId = ${JSON.stringify(scopeId)}`);
  if (dev) out.push(`_sfc_main.__file = ${JSON.stringify(filename)}`);

  if (hmr) {
    // A setup that throws (say, after a hot update) must not abort Vue's patch of the parent
    // halfway, which would leave a vnode tree no later update can patch: the error is reported
    // (the HMR client shows it and rolls the module back) and the component renders nothing.
    out.push(
      [
        'if (typeof _sfc_main.setup === "function") {',
        '  const __metamon_setup = _sfc_main.setup',
        '  _sfc_main.setup = function (props, context) {',
        '    try {',
        '      return __metamon_setup.call(this, props, context)',
        '    } catch (error) {',
        '      if (typeof reportError === "function") reportError(error)',
        '      else console.error(error)',
        '      return () => null',
        '    }',
        '  }',
        '}',
      ].join('\n'),
    );
    out.push(`_sfc_main.__hmrId = ${JSON.stringify(id)}`);
    out.push(
      `typeof __VUE_HMR_RUNTIME__ !== 'undefined' && __VUE_HMR_RUNTIME__.createRecord(_sfc_main.__hmrId, _sfc_main)`,
    );
    if (prev && isOnlyTemplateChanged(prev, descriptor, prevImports)) {
      out.push('export const _rerender_only = true');
      comparedWithPrevious = true;
    }
    out.push(
      [
        'if (import.meta.hot) import.meta.hot.accept(mod => {',
        '  if (!mod) return',
        '  const { default: updated, _rerender_only, __metamonRollback } = mod',
        '  if (typeof __VUE_HMR_RUNTIME__ === "undefined") return',
        '  if (_rerender_only && !__metamonRollback) {',
        '    __VUE_HMR_RUNTIME__.rerender(updated.__hmrId, updated.render)',
        '  } else {',
        '    __VUE_HMR_RUNTIME__.reload(updated.__hmrId, updated)',
        '  }',
        // Settles once Vue has re-rendered: an error in a re-mounted setup reaches the HMR
        // client (overlay, rollback) instead of being thrown from Vue's scheduler later.
        '  return __metamon_vueNextTick()',
        '})',
      ].join('\n'),
    );
  }
  out.push('export default _sfc_main');

  let code = out.join('\n');
  // `lang="ts"` goes back typed: the server strips the types with oxc and composes the maps.
  // TSX needs Vue's JSX transform, which only Babel has.
  if (lang === 'tsx') {
    code = await stripTs(root, code, filename, true, 'Vue with lang="tsx"');
  }
  prevVue.set(filename, comparedParts(descriptor));
  const css = cssParts.length ? cssParts.join('\n') : null;
  // The script block's and the template's maps, both in the .vue file's own lines, with the
  // line of the module each starts on: the server joins them into the module's map (TSX goes
  // without: Babel re-prints it).
  const mapParts = [];
  const lineOf = (index) => (index > 0 ? out.slice(0, index).join('\n').split('\n').length : 0);
  if (lang !== 'tsx') {
    if (scriptMap) mapParts.push({ map: scriptMap, line: lineOf(scriptIndex) });
    if (templateMap) mapParts.push({ map: templateMap, line: lineOf(templateIndex) });
  }
  return { code, map: null, mapParts, css, lang: lang === 'ts' ? 'ts' : null, deps: typeDeps, comparedWithPrevious };
}

function vueScriptError(e, descriptor, source) {
  const msg = String((e && e.message) || e);
  // Babel parse errors thrown from compileScript: pos is relative to the script block
  // compiler-sfc appends a code frame of the whole file: the most reliable position
  const framePos = posFromFrame(msg);
  if (framePos) return new WorkerError(cleanBabelMessage(firstLine(msg)), framePos);
  const blocks = [descriptor.scriptSetup, descriptor.script].filter(Boolean);
  if (e && typeof e.pos === 'number' && e.loc) {
    // find the block whose content contains the reported position (prefer matching line text)
    for (const b of blocks) {
      if (e.pos <= b.content.length) {
        const abs = b.loc.start.offset + e.pos;
        const { line, column } = offsetToLineCol(source, abs);
        return new WorkerError(cleanBabelMessage(firstLine(msg)), { line, column });
      }
    }
  }
  return new WorkerError(cleanBabelMessage(firstLine(msg)), {});
}

function cleanBabelMessage(m) {
  return m
    .replace(/^(?:[A-Za-z]:)?[\\/][^:\n]*:\s*/, '') // "/path/file.ext: "
    .replace(/\s*\(\d+:\d+\)\s*$/, '');
}

// ---------------------------------------------------------------- Svelte
function svelteName(filename) {
  const base = path.basename(filename).split('.')[0] || 'Component';
  let name = base.replace(/[^A-Za-z0-9_$]/g, '_');
  if (/^[0-9]/.test(name)) name = '_' + name;
  return name[0].toUpperCase() + name.slice(1);
}

async function compileSvelte(req) {
  const { filename, source, root } = req;
  const dev = req.dev !== false;
  const hmr = dev && req.hmr !== false;
  const svelte = await load(root, 'svelte/compiler');
  const compile = fn(svelte, 'compile');
  // `<style lang="scss">` (what vitePreprocess does for it): the style block through the
  // project's sass or less first; the map keeps the component's positions.
  let code = source;
  let sourcemap;
  let styleDeps = [];
  const styled = /<style[^>]*\slang=["']?(scss|sass|less)/.test(source);
  if (styled || ((req.postcss || TAILWIND_V4.test(source)) && /<style[\s>]/.test(source))) {
    const processed = await fn(svelte, 'preprocess')(source, {
      style: async ({ content, attributes }) => {
        const lang = attributes.lang;
        if (lang && !['scss', 'sass', 'less'].includes(lang)) return undefined;
        const out = lang ? await compileStyle({ filename: `${filename}.${lang}`, source: content, root }) : { code: content, deps: [] };
        const line = source.slice(0, source.indexOf(content)).split('\n').length;
        const post = await blockPostcss(req, out.code, line);
        return { code: post ? post.code : out.code, dependencies: [...out.deps, ...(post ? post.deps : [])] };
      },
    }, { filename });
    code = processed.code;
    sourcemap = processed.map;
    styleDeps = processed.dependencies || [];
  }
  let result;
  try {
    result = compile(code, {
      sourcemap,
      filename,
      rootDir: root,
      name: svelteName(filename),
      generate: 'client',
      dev,
      hmr,
      css: 'external',
    });
  } catch (e) {
    if (e && e.start && typeof e.start.line === 'number') {
      throw new WorkerError(svelteMessage(e), { line: e.start.line, column: e.start.column + 1 });
    }
    throw e;
  }
  for (const w of result.warnings || []) {
    const where = w.start ? `:${w.start.line}:${w.start.column + 1}` : '';
    console.error(`[svelte] ${filename}${where} ${w.message}`);
  }
  return {
    code: result.js.code,
    map: result.js.map ? JSON.parse(JSON.stringify(result.js.map)) : null,
    css: result.css && result.css.code ? result.css.code : null,
    deps: styleDeps,
  };
}

function svelteMessage(e) {
  // svelte 5 messages end with "\nhttps://svelte.dev/e/<code>"; keep the sentence
  return String(e.message || e).split('\n')[0].trim();
}

// ---------------------------------------------------------------- Solid
// Babel instantiates a preset or plugin once per identity of its options object: the same
// arrays for every file, or each compile pays for setting up the Solid preset again.
const solidItems = new Map();
async function solidBabelItems(root, dev, hmr) {
  const key = `${root}\0${dev}\0${hmr}`;
  if (!solidItems.has(key)) {
    const presetSolid = await load(root, 'babel-preset-solid');
    const plugins = hmr ? [[interop(await load(root, 'solid-refresh/babel')), { bundler: 'vite' }]] : [];
    solidItems.set(key, { plugins, presets: [[interop(presetSolid), { generate: 'dom', hydratable: false, dev }]] });
  }
  return solidItems.get(key);
}
async function compileSolid(req) {
  const { filename, source, root } = req;
  const dev = req.dev !== false;
  const hmr = dev && req.hmr !== false;
  const babel = await load(root, '@babel/core', 'Solid support');
  // TypeScript is parsed here and stripped by the server with oxc (as Vite does after
  // vite-plugin-solid), so a Solid project needs no Babel TypeScript preset.
  const typed = !/\.jsx?$/.test(filename);
  const { plugins, presets } = await solidBabelItems(root, dev, hmr);
  let result;
  try {
    result = await fn(babel, 'transformAsync')(source, {
      filename,
      root,
      cwd: root,
      babelrc: false,
      configFile: false,
      sourceMaps: req.sourcemap !== false,
      sourceFileName: filename,
      parserOpts: { plugins: typed ? ['jsx', 'typescript'] : ['jsx'] },
      plugins,
      presets,
    });
  } catch (e) {
    if (e && e.loc && typeof e.loc.line === 'number') {
      throw new WorkerError(cleanBabelMessage(firstLine(e.message)), {
        line: e.loc.line,
        column: e.loc.column + 1,
      });
    }
    const pos = posFromFrame(e && e.message);
    if (pos) throw new WorkerError(cleanBabelMessage(firstLine(e.message)), pos);
    throw e;
  }
  // solid-refresh's runtime through Metamon's guard (runtime/solid-refresh.js): a component
  // that throws while rendering after a hot update is reported and its last good version kept.
  const code = result.code.replace(/(from\s*)(["'])solid-refresh\2/g, '$1"metamon/solid-refresh"');
  return { code, map: result.map || null, css: null, lang: typed ? 'ts' : null };
}

// ---------------------------------------------------------------- PostCSS / Tailwind
const POSTCSS_CONFIGS = ['postcss.config.mjs', 'postcss.config.js', 'postcss.config.cjs', '.postcssrc.json', '.postcssrc'];
const TAILWIND_V4 = /@import\s+(?:url\()?["']tailwindcss(?:\/[^"']*)?["']/;

/** The app's PostCSS config: `{ plugins }` from postcss.config.* or package.json's `postcss`. */
async function postcssConfig(root, filename) {
  for (const name of POSTCSS_CONFIGS) {
    const file = path.join(root, name);
    if (!fs.existsSync(file)) continue;
    let config;
    if (name.startsWith('.postcssrc')) config = JSON.parse(fs.readFileSync(file, 'utf8'));
    else {
      const mtime = fs.statSync(file).mtimeMs;
      config = (await import(pathToFileURL(file).href + `?t=${mtime}`)).default;
    }
    if (typeof config === 'function') config = await config({ env: 'development', file: filename, cwd: root });
    return { file: name, config: config || {} };
  }
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    if (pkg.postcss) return { file: 'package.json', config: pkg.postcss };
  } catch {}
  return null;
}

/** The plugin objects a config names (`{ name: options }` or an array of plugins). */
async function postcssPlugins(root, config) {
  const listed = config.plugins || [];
  if (Array.isArray(listed)) {
    const out = [];
    for (const entry of listed) {
      if (!entry) continue;
      if (typeof entry === 'string') out.push(interop(await load(root, entry, 'The PostCSS config'))());
      else if (Array.isArray(entry)) out.push(interop(await load(root, entry[0], 'The PostCSS config'))(entry[1]));
      else out.push(entry);
    }
    return out;
  }
  const out = [];
  for (const [name, options] of Object.entries(listed)) {
    if (options === false) continue;
    const plugin = interop(await load(root, name, 'The PostCSS config'));
    out.push(typeof plugin === 'function' ? plugin(options === true ? {} : options || {}) : plugin);
  }
  return out;
}

const CONTENT_FILE = /\.(html|mtm|vue|svelte|[cm]?[jt]sx?|md|mdx|astro)$/;
/** The content files of a `dir-dependency` (what Tailwind scans for class names). */
function contentFiles(dir, out = [], limit = 20000) {
  let entries = [];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const entry of entries) {
    if (out.length >= limit) break;
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) contentFiles(full, out, limit);
    else if (CONTENT_FILE.test(entry.name)) out.push(full);
  }
  return out;
}

/**
 * A plain stylesheet through the app's PostCSS config, or Tailwind v4 (`@import "tailwindcss"`,
 * as `@tailwindcss/vite` does) when there is none. Returns null when neither applies.
 */
async function compilePostcss(req) {
  const { filename, source, root } = req;
  const found = await postcssConfig(root, filename);
  let plugins;
  if (found) plugins = await postcssPlugins(root, found.config);
  else if (TAILWIND_V4.test(source)) {
    const tailwind = await load(root, '@tailwindcss/postcss', 'Tailwind CSS (`@import "tailwindcss"`)');
    plugins = [interop(tailwind)({ base: root })];
  } else return null;
  if (!plugins.length) return null;
  const postcss = interop(await load(root, 'postcss', found ? `The PostCSS config (${found.file})` : 'Tailwind CSS'));
  let result;
  try {
    result = await postcss(plugins).process(source, { from: filename, map: false });
  } catch (e) {
    const here = !e.file || e.file === filename;
    throw new WorkerError(String(e.reason || e.message || e).split('\n')[0], {
      line: here && e.line ? e.line : 1,
      column: here && e.column ? e.column : 1,
    });
  }
  const deps = new Set();
  for (const message of result.messages || []) {
    if (message.type === 'dependency' && message.file) deps.add(message.file);
    if (message.type === 'dir-dependency' && message.dir) for (const file of contentFiles(message.dir)) deps.add(file);
  }
  deps.delete(filename);
  return { code: result.css, map: null, css: null, deps: [...deps] };
}

/**
 * A component's style block (Vue `<style>`, Svelte `<style>`) through the app's PostCSS config
 * or Tailwind v4, as Vite's CSS pipeline treats them; null when neither applies. `line` is the
 * block's first line in the component, so errors name the component's line.
 */
async function blockPostcss(req, css, line) {
  if (!req.postcss && !TAILWIND_V4.test(css)) return null;
  try {
    return await compilePostcss({ ...req, source: css });
  } catch (e) {
    if (e instanceof WorkerError && e.line) e.line += line - 1;
    throw e;
  }
}

// ---------------------------------------------------------------- Sass / Less
async function compileStyle(req) {
  const { filename, source, root } = req;
  if (/\.css$/.test(filename)) {
    const out = await compilePostcss(req);
    return out || { code: source, map: null, css: null, deps: [] };
  }
  if (/\.less$/.test(filename)) {
    const less = interop(await load(root, 'less', 'Less stylesheets'));
    try {
      const options = (req.preprocessorOptions && req.preprocessorOptions.less) || {};
      const out = await less.render(source, { ...options, filename, paths: [path.dirname(filename), ...(options.paths || [])] });
      return { code: out.css, map: null, css: null, deps: out.imports || [] };
    } catch (e) {
      throw new WorkerError(String(e.message || e), { line: e.line || 1, column: (e.column || 0) + 1 });
    }
  }
  const sass = await load(root, 'sass', 'Sass stylesheets');
  try {
    const lang = /\.sass$/.test(filename) ? 'sass' : 'scss';
    const { additionalData = '', ...options } = (req.preprocessorOptions && req.preprocessorOptions[lang]) || {};
    const out = fn(sass, 'compileString')((typeof additionalData === 'string' ? additionalData : '') + source, {
      ...options,
      url: pathToFileURL(filename),
      syntax: /\.sass$/.test(filename) ? 'indented' : 'scss',
      loadPaths: [path.dirname(filename), path.join(root, 'node_modules')],
    });
    const deps = (out.loadedUrls || []).filter((url) => url.protocol === 'file:').map((url) => fileURLToPath(url)).filter((file) => file !== filename);
    return { code: out.css, map: null, css: null, deps };
  } catch (e) {
    const start = e && e.span && e.span.start;
    const url = e && e.span && e.span.url;
    const here = url && url.protocol === 'file:' && fileURLToPath(url) === filename;
    throw new WorkerError(String((e && e.sassMessage) || (e && e.message) || e).split('\n')[0], {
      line: start && here ? start.line + 1 : 1,
      column: start && here ? start.column + 1 : 1,
    });
  }
}

// ---------------------------------------------------------------- dispatch
const handlers = { vue: compileVue, svelte: compileSvelte, solid: compileSolid, style: compileStyle };

async function handle(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    send({ id: null, ok: false, error: { message: `invalid JSON request: ${e.message}`, line: null, column: null, package: null } });
    return;
  }
  const id = req && typeof req === 'object' && 'id' in req ? req.id : null;
  try {
    if (!req || typeof req !== 'object') throw new Error('request must be a JSON object');
    if (req.kind === 'ping') {
      send({ id, ok: true });
      return;
    }
    const h = handlers[req.kind];
    if (!h) throw new Error(`unknown kind ${JSON.stringify(req.kind)}`);
    if (typeof req.source !== 'string') throw new Error('request.source must be a string');
    if (typeof req.filename !== 'string') throw new Error('request.filename must be a string');
    if (typeof req.root !== 'string') throw new Error('request.root must be a string');
    stallForTests(req.source);
    const res = await h(req);
    // The server names the file and embeds its text in the module's map: the maps travel
    // without `sourcesContent` (a root's text twice over, otherwise).
    const lean = (map) => map && { ...map, sourcesContent: undefined };
    const mapParts = res.mapParts?.length ? { mapParts: res.mapParts.map((part) => ({ ...part, map: lean(part.map) })) } : {};
    if (globalThis.gc && req.source.length > 20000) setImmediate(() => globalThis.gc());
    send({ id, ok: true, code: res.code, map: lean(res.map) ?? null, ...mapParts, css: res.css ?? null, lang: res.lang ?? null, deps: res.deps ?? [], comparedWithPrevious: !!res.comparedWithPrevious });
  } catch (e) {
    if (!(e instanceof WorkerError)) console.error(`[metamon worker] ${req && req.filename}:`, e && e.stack ? e.stack : e);
    send({ id, ok: false, error: errorBody(e) });
  }
}

// Test hook for the dev server's fault tests: with METAMON_WORKER_TEST_STALL_FILE set, a source
// containing `metamon-test-stall` blocks this worker (like a compiler stuck in a loop) for as
// long as that file exists, after writing its pid to `<file>.pid`. Without the variable
// nothing changes.
const STALL_FILE = process.env.METAMON_WORKER_TEST_STALL_FILE || '';
function stallForTests(source) {
  if (!STALL_FILE || !source.includes('metamon-test-stall') || !fs.existsSync(STALL_FILE)) return;
  fs.writeFileSync(`${STALL_FILE}.pid`, String(process.pid));
  const tick = new Int32Array(new SharedArrayBuffer(4));
  while (fs.existsSync(STALL_FILE)) Atomics.wait(tick, 0, 0, 20);
}

process.on('uncaughtException', (e) => console.error('[metamon worker] uncaught:', e));
process.on('unhandledRejection', (e) => console.error('[metamon worker] unhandled rejection:', e));

// Requests are handled one at a time, in order (the Vue rerender check depends on order).
let chain = Promise.resolve();
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  chain = chain.then(() => handle(line));
});
rl.on('close', () => {
  chain.then(() => process.exit(0));
});
