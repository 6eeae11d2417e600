// Evaluates an app's Vite config in Node, as Vite does, and prints what Metamon honours as
// metamon.config.json keys. Usage: node vite-config.mjs <config.mjs> <command> <mode> <root>
// `vite` and the official framework plugins are shimmed (they need not be installed: their
// options are recorded, they never run); other plugins load as they are, or as a stub when not
// installed. The result is the last stdout line, after a marker, so a config's logs are harmless.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';

const [configFile, command = 'serve', mode = 'development', root = process.cwd()] = process.argv.slice(2);

// Packages whose options Metamon maps; the stub records them as `{ __metamon: { package, options } }`.
const OFFICIAL = [
  '@vitejs/plugin-react',
  '@vitejs/plugin-react-swc',
  '@vitejs/plugin-vue',
  '@sveltejs/vite-plugin-svelte',
  'vite-plugin-solid',
  '@tailwindcss/vite',
];

const hooks = `
const OFFICIAL = ${JSON.stringify(OFFICIAL)};
const bare = (s) => !/^(\\.|\\/|[a-zA-Z]+:)/.test(s);
export async function resolve(specifier, context, next) {
  if (specifier === 'vite' || OFFICIAL.includes(specifier)) {
    return { url: 'metamon-shim:' + specifier, shortCircuit: true };
  }
  try {
    return await next(specifier, context);
  } catch (error) {
    if (bare(specifier) && !specifier.startsWith('node:')) {
      return { url: 'metamon-missing:' + specifier, shortCircuit: true };
    }
    throw error;
  }
}
export async function load(url, context, next) {
  if (url.startsWith('metamon-shim:') || url.startsWith('metamon-missing:')) {
    const name = url.slice(url.indexOf(':') + 1);
    const missing = url.startsWith('metamon-missing:');
    if (name === 'vite') {
      return { format: 'module', shortCircuit: true, source: ${JSON.stringify(viteShim())} };
    }
    const source =
      'const plugin = (options) => ({ name: ' + JSON.stringify(name) + ', __metamon: { package: ' +
      JSON.stringify(name) + ', options: options ?? {}, missing: ' + missing + ' } });\\n' +
      'export default plugin; export { plugin as react, plugin as vue, plugin as svelte, plugin as solid, plugin as tailwindcss };\\n' +
      'export const vitePreprocess = () => ({});\\n' +
      'export const defineConfig = (config) => config;\\n';
    return { format: 'module', shortCircuit: true, source };
  }
  return next(url, context);
}
`;

function viteShim() {
  return `
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
export const defineConfig = (config) => config;
const isObject = (v) => v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RegExp);
export function mergeConfig(a, b) {
  const out = { ...a };
  for (const [key, value] of Object.entries(b ?? {})) {
    if (isObject(value) && isObject(out[key])) out[key] = mergeConfig(out[key], value);
    else if (Array.isArray(value) && Array.isArray(out[key])) out[key] = [...out[key], ...value];
    else out[key] = value;
  }
  return out;
}
export function loadEnv(mode, envDir, prefixes = 'VITE_') {
  const list = [].concat(prefixes);
  const env = {};
  for (const name of ['.env', '.env.local', '.env.' + mode, '.env.' + mode + '.local']) {
    let text = '';
    try { text = readFileSync(join(envDir, name), 'utf8'); } catch { continue; }
    for (const line of text.split(/\\r?\\n/)) {
      const match = /^\\s*(?:export\\s+)?([\\w.-]+)\\s*=\\s*(.*)?\\s*$/.exec(line);
      if (!match) continue;
      let value = (match[2] ?? '').trim();
      if (/^(['"\`]).*\\1$/.test(value)) value = value.slice(1, -1);
      env[match[1]] = value;
    }
  }
  for (const [key, value] of Object.entries(process.env)) env[key] ??= value;
  return Object.fromEntries(Object.entries(env).filter(([key]) => list.some((p) => p === '' || key.startsWith(p))));
}
// What plugins commonly import from 'vite' at load time (vite-tsconfig-paths, …).
export const version = '8.0.0';
export const normalizePath = (id) => id.replace(/\\\\/g, '/').replace(/\\/+/g, '/');
export const searchForWorkspaceRoot = (current) => current;
export const createFilter = () => () => true;
export const createLogger = () => ({ info() {}, warn() {}, warnOnce() {}, error() {}, clearScreen() {}, hasWarned: false, hasErrorLogged: () => false });
export default { defineConfig, mergeConfig, loadEnv, normalizePath, searchForWorkspaceRoot, createFilter, createLogger, version };
`;
}

register('data:text/javascript,' + encodeURIComponent(hooks), import.meta.url);

const warnings = [];
const keys = {};

async function flattenPlugins(list) {
  const out = [];
  for (let plugin of [].concat(list ?? [])) {
    plugin = await plugin;
    if (Array.isArray(plugin)) out.push(...(await flattenPlugins(plugin)));
    else if (plugin) out.push(plugin);
  }
  return out;
}

function aliasEntries(alias) {
  if (!alias) return [];
  const entries = Array.isArray(alias)
    ? alias
    : Object.entries(alias).map(([find, replacement]) => ({ find, replacement }));
  return entries
    .filter((entry) => entry && typeof entry.replacement === 'string')
    .map(({ find, replacement }) =>
      find instanceof RegExp
        ? { find: find.source, replacement, regex: true }
        : { find: String(find), replacement, regex: false },
    );
}

function defineEntries(define) {
  const out = {};
  for (const [key, value] of Object.entries(define ?? {})) {
    out[key] = typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined';
  }
  return out;
}

function relative(dir) {
  return path.relative(root, path.resolve(root, dir)) || '.';
}

function mapPlugin(plugin) {
  const shim = plugin.__metamon;
  const name = shim ? shim.package : String(plugin.name ?? 'an unnamed plugin');
  if (!shim || shim.missing) return { name, handled: false };
  const options = shim.options ?? {};
  switch (shim.package) {
    case '@vitejs/plugin-react':
    case '@vitejs/plugin-react-swc':
      if (options.jsxImportSource) keys.jsxImportSource = String(options.jsxImportSource);
      if (options.jsxRuntime === 'classic') warnings.push(`${name}: jsxRuntime "classic" is not supported; JSX uses the automatic runtime`);
      if (options.babel && (options.babel.plugins?.length || options.babel.presets?.length)) {
        warnings.push(`${name}: its Babel plugins and presets do not run`);
      }
      break;
    case '@vitejs/plugin-vue': {
      const custom = options.template?.compilerOptions?.isCustomElement;
      if (typeof custom === 'function') keys.vueIsCustomElement = String(custom);
      break;
    }
    case 'vite-plugin-solid':
      if (options.include) keys.solidInclude = [].concat(options.include).filter((p) => typeof p === 'string');
      break;
    default:
      break;
  }
  return { name, handled: true, package: shim.package };
}

try {
  const module = await import(pathToFileURL(configFile).href);
  let config = module.default ?? {};
  if (typeof config === 'function') {
    config = await config({ command, mode, isSsrBuild: false, isPreview: false });
  }
  config = (await config) ?? {};
  const plugins = (await flattenPlugins(config.plugins)).map(mapPlugin);
  const resolve = config.resolve ?? {};
  const alias = aliasEntries(resolve.alias);
  if (alias.length) keys.alias = alias;
  if (Array.isArray(resolve.extensions)) keys.extensions = resolve.extensions.map(String);
  if (config.define) keys.define = defineEntries(config.define);
  if (typeof config.base === 'string') keys.base = config.base;
  if (typeof config.publicDir === 'string') keys.publicDir = relative(config.publicDir);
  if (typeof config.envDir === 'string') keys.envDir = relative(config.envDir);
  if (config.envPrefix) keys.envPrefix = [].concat(config.envPrefix).map(String);
  const server = config.server ?? {};
  if (typeof server.port === 'number') keys.port = server.port;
  if (typeof server.host === 'string') keys.host = server.host;
  else if (server.host === true) keys.host = '0.0.0.0';
  if (typeof server.strictPort === 'boolean') keys.strictPort = server.strictPort;
  if (server.open) keys.open = true;
  const css = config.css ?? {};
  if (css.preprocessorOptions) keys.preprocessorOptions = JSON.parse(JSON.stringify(css.preprocessorOptions));
  if (css.modules && typeof css.modules === 'object') {
    const { generateScopedName, localsConvention, scopeBehaviour, ...rest } = css.modules;
    const modules = {};
    if (typeof generateScopedName === 'string') modules.generateScopedName = generateScopedName;
    else if (generateScopedName !== undefined) warnings.push('css.modules.generateScopedName as a function is not applied: give it as a pattern string');
    if (typeof localsConvention === 'string') modules.localsConvention = localsConvention;
    else if (localsConvention !== undefined) warnings.push('css.modules.localsConvention as a function is not applied');
    if (scopeBehaviour === 'global' || scopeBehaviour === 'local') modules.scopeBehaviour = scopeBehaviour;
    const ignored = Object.keys(rest);
    if (ignored.length) warnings.push(`css.modules ${ignored.join(', ')} ${ignored.length > 1 ? 'are' : 'is'} not applied`);
    if (Object.keys(modules).length) keys.cssModules = modules;
  }
  const build = config.build ?? {};
  const buildKeys = {};
  if (typeof build.outDir === 'string') buildKeys.outDir = build.outDir;
  if (typeof build.assetsInlineLimit === 'number') buildKeys.assetsInlineLimit = build.assetsInlineLimit;
  if (build.sourcemap !== undefined) buildKeys.sourcemap = !!build.sourcemap;
  if (Object.keys(buildKeys).length) keys.build = buildKeys;
  const result = {
    config: keys,
    root: typeof config.root === 'string' ? path.resolve(root, config.root) : null,
    plugins,
    warnings,
  };
  process.stdout.write('\n__METAMON_VITE_CONFIG__' + JSON.stringify(result) + '\n');
} catch (error) {
  const message = error && error.message ? error.message : String(error);
  const at = /(?:file:\/\/)?([^\s()]+):(\d+):(\d+)/.exec(String(error && error.stack) ?? '');
  const where = at && at[1].endsWith(path.basename(configFile)) ? { line: +at[2], column: +at[3] } : {};
  process.stdout.write('\n__METAMON_VITE_CONFIG__' + JSON.stringify({ error: message, ...where }) + '\n');
}
fs.writeSync(1, '');
