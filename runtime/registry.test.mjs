import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createRegistry, registry } from './registry.js';

const ORIGIN = 'http://localhost:5173';

// Factory code as the server writes it (evaluated by the registry's default indirect eval, so
// modules report what they do through `globalThis.__regTrace`).
const sync = (body) => `(function(__i,__e,__s,__meta,__dyn){"use strict";${body}\n})\n//# sourceMappingURL=data:application/json;base64,e30=`;
const async_ = (body) => `(async function(__i,__e,__s,__meta,__dyn){"use strict";${body}\n})`;
const mod = (url, deps, code, extra = {}) => ({ url, deps, async: false, code, ...extra });
const trace = (s) => `globalThis.__regTrace.push(${JSON.stringify(s)});`;

/**
 * A registry over a fake server holding `records`: a pack is the static closure of the requested
 * URL minus `have`, with the externals it imports. `importNative` returns `natives[url]`.
 */
function setup(records, { natives = {}, fail } = {}) {
  globalThis.__regTrace = [];
  const server = new Map(records.map((r) => [r.url, r]));
  const requests = [];
  const nativeCalls = [];
  const isExt = (u) => (u.startsWith('/@deps/') || !u.startsWith('/')) && !server.has(u);
  const fetch = async (url, init = {}) => {
    const u = new URL(url);
    const body = init.body ? JSON.parse(init.body) : undefined;
    requests.push({ method: init.method || 'GET', path: u.pathname + u.search, body });
    if (fail) return { ok: false, status: fail.status, text: async () => fail.text, json: async () => ({}) };
    const wanted = body ? body.modules : u.searchParams.getAll('m');
    const have = new Set(body ? body.have : []);
    const modules = [];
    const exts = new Set();
    const seen = new Set();
    const visit = (x) => {
      if (seen.has(x) || have.has(x)) return;
      seen.add(x);
      if (isExt(x)) return void exts.add(x);
      const r = server.get(x);
      if (!r) return;
      modules.push(r);
      r.deps.forEach(visit);
    };
    wanted.forEach(visit);
    return { ok: true, status: 200, json: async () => ({ modules, externals: [...exts] }), text: async () => '' };
  };
  const importNative = async (url) => {
    nativeCalls.push(url);
    globalThis.__regTrace.push(`native ${url}`); // in the modules' trace: loaded before any of them
    if (!(url in natives)) throw new Error(`no native ${url}`);
    return natives[url];
  };
  const preloads = [];
  const reg = createRegistry({ origin: ORIGIN, fetch, importNative, preload: (url) => preloads.push(url) });
  return { reg, requests, nativeCalls, preloads, log: () => globalThis.__regTrace };
}

test('module export: no registry outside a browser; createRegistry is the API', () => {
  assert.equal(registry, undefined);
  const reg = createRegistry({ origin: ORIGIN, fetch: async () => {}, importNative: async () => ({}) });
  assert.deepEqual(Object.keys(reg).sort(), ['define', 'dynamicImport', 'external', 'has', 'hasPath', 'import', 'importEntry', 'load', 'markPageLoaded', 'namespaceOf', 'offer', 'pageLoaded', 'stats']);
});

test('evaluation: imports depth-first in the order of the __i calls, each module once; first pack is a GET', async () => {
  const { reg, requests, log } = setup([
    mod('/src/main.js?t=3', ['/src/B.js', '/src/C.js'], sync(`__e({default:()=>__default,url:()=>__meta.url,abs:()=>__meta.resolve('./x/y.js')});${trace('main>')}const __0=__i(0),__1=__i(1);const __default='main';${trace('main')}`)),
    mod('/src/B.js', ['/src/D.js'], sync(`__e({});${trace('B>')}const __0=__i(0);${trace('B')}`)),
    // C asks for its second import first: evaluation follows the calls.
    mod('/src/C.js', ['/src/D.js', '/src/E.js'], sync(`__e({});${trace('C>')}const __1=__i(1),__0=__i(0);${trace('C')}`)),
    mod('/src/D.js', [], sync(`__e({});${trace('D')}`)),
    mod('/src/E.js', [], sync(`__e({});${trace('E')}`)),
  ]);
  const ns = await reg.import('/src/main.js?t=3');
  assert.deepEqual(log(), ['main>', 'B>', 'D', 'B', 'C>', 'E', 'C', 'main']);
  assert.equal(ns.default, 'main');
  assert.equal(ns.url, `${ORIGIN}/src/main.js?t=3`);
  assert.equal(ns.abs, `${ORIGIN}/src/x/y.js`);
  assert.deepEqual(requests, [{ method: 'GET', path: `/@metamon/pack?m=${encodeURIComponent('/src/main.js?t=3')}`, body: undefined }]);
  assert.equal(await reg.import('/src/main.js?t=3'), ns);
  assert.equal(reg.namespaceOf('/src/main.js?t=3'), ns);
  assert.equal(log().length, 8, 'nothing evaluated twice');
  assert.equal(requests.length, 1, 'defined modules are not fetched again');
});

test('instances: the URL with its ?t= query is the identity; the first definition of a URL wins', async () => {
  const { reg, log } = setup([]);
  reg.define(mod('/src/A.js?t=1', [], sync(`__e({v:()=>1});${trace('A1')}`)));
  reg.define(mod('/src/A.js?t=2', [], sync(`__e({v:()=>2});${trace('A2')}`)));
  assert.equal(reg.define(mod('/src/A.js?t=2', [], sync(`__e({v:()=>'again'})`))), false);
  assert.equal(reg.has('/src/A.js?t=2'), true);
  assert.equal(reg.has('/src/A.js'), false);
  const [a1, a2] = [await reg.import('/src/A.js?t=1'), await reg.import('/src/A.js?t=2')];
  assert.notEqual(a1, a2);
  assert.deepEqual([a1.v, a2.v], [1, 2]);
  assert.deepEqual(log(), ['A1', 'A2']);
});

test('namespaces: live bindings, read-only, tagged Module', async () => {
  const { reg } = setup([
    mod('/src/A.js', ['/src/B.js'], sync(`__e({read:()=>read,b:()=>__0});const __0=__i(0);function read(){return __0.count}`)),
    mod('/src/B.js', [], sync(`__e({count:()=>count,inc:()=>inc});let count=0;function inc(){count++}`)),
  ]);
  const a = await reg.import('/src/A.js');
  assert.equal(a.read(), 0);
  a.b.inc();
  a.b.inc();
  assert.equal(a.read(), 2, 'the importer sees the exported let as updated');
  assert.equal(a.b.count, 2);
  assert.throws(() => { a.b.count = 5; }, TypeError);
  assert.equal(Object.prototype.toString.call(a), '[object Module]');
  assert.equal(Object.getPrototypeOf(a), null);
  assert.deepEqual(Object.keys(a.b), ['count', 'inc']);
});

test('cycles: A imports B imports A; B sees A\'s hoisted function through the namespace', async () => {
  const { reg, log } = setup([
    mod('/src/A.js', ['/src/B.js'], sync(`__e({a:()=>a,fromB:()=>fromB});const __0=__i(0);function a(){return 'a'}const fromB=__0.b;${trace('A')}`)),
    mod('/src/B.js', ['/src/A.js'], sync(`__e({b:()=>b,aNs:()=>__0});const __0=__i(0);const b='b saw '+__0.a()+(('fromB' in __0)?' and fromB':'');${trace('B')}`)),
  ]);
  const a = await reg.import('/src/A.js');
  assert.equal(a.fromB, 'b saw a and fromB');
  assert.equal(reg.namespaceOf('/src/B.js').aNs, a, 'the partially initialised namespace is the final one');
  assert.deepEqual(log(), ['B', 'A']);
});

test('export *: every key but default and those already defined, live', async () => {
  const { reg } = setup([
    mod('/src/A.js', ['/src/B.js', '/@deps/lib.js'], sync(`__e({own:()=>1,y:()=>'own y'});const __0=__i(0),__1=__i(1);__s(__0);__s(__1);`)),
    mod('/src/B.js', [], sync(`__e({default:()=>'B default',x:()=>x,y:()=>'B y',setX:()=>setX});let x=1;function setX(v){x=v}`)),
  ], { natives: { [`${ORIGIN}/@deps/lib.js`]: { libFn: 'lib', x: 'shadowed', default: 'lib default' } } });
  const a = await reg.import('/src/A.js');
  assert.deepEqual(Object.keys(a).sort(), ['libFn', 'own', 'setX', 'x', 'y']);
  assert.equal(a.y, 'own y');
  assert.equal(a.x, 1);
  a.setX(7);
  assert.equal(a.x, 7);
  assert.equal(a.libFn, 'lib');
  assert.equal('default' in a, false);
});

test('errors: a throwing module rejects every import of it and of its importers with the same error', async () => {
  const { reg, log } = setup([
    mod('/src/A.js', ['/src/Bad.js'], sync(`__e({});const __0=__i(0);${trace('A')}`)),
    mod('/src/Bad.js', [], sync(`__e({});${trace('Bad')}throw new Error('boom');`)),
    mod('/src/C.js', ['/src/Bad.js'], sync(`__e({});const __0=__i(0);${trace('C')}`)),
  ]);
  const first = await reg.import('/src/A.js').catch((e) => e);
  assert.equal(first.message, 'boom');
  // The error is thrown where the module's own URL (sourceURL) names it.
  assert.match(first.stack, new RegExp(`${ORIGIN}/src/Bad\\.js`));
  assert.equal(await reg.import('/src/A.js').catch((e) => e), first);
  assert.equal(await reg.import('/src/Bad.js').catch((e) => e), first);
  assert.equal(await reg.import('/src/C.js').catch((e) => e), first, 'a later importer is errored too');
  assert.deepEqual(log(), ['Bad'], 'an errored module is not evaluated again');
});

test('errors: a record with `error`, and code that does not compile', async () => {
  const { reg } = setup([
    mod('/src/A.js', ['/src/Broken.tsx'], sync(`__e({});const __0=__i(0);`)),
    { url: '/src/Broken.tsx', deps: [], async: false, error: 'Expected ";" but found "}" (3:4)' },
    mod('/src/Syntax.js', [], '(function(__i,__e){ this is not js })'),
  ]);
  await assert.rejects(reg.import('/src/A.js'), { message: 'Expected ";" but found "}" (3:4)' });
  await assert.rejects(reg.import('/src/Syntax.js'), SyntaxError);
});

test('async factories: top-level await, async importers wait, a sync importer of a finished async module', async () => {
  const { reg, log } = setup([
    mod('/src/P.js', ['/src/T.js', '/src/Q.js'], async_(`__e({got:()=>got});const __0=await __i(0),__1=await __i(1);const got=__0.v+'/'+__1.q;${trace('P')}`), { async: true }),
    mod('/src/T.js', [], async_(`__e({v:()=>v});${trace('T>')}await new Promise((r)=>setTimeout(r,5));const v='ready';${trace('T')}`), { async: true }),
    mod('/src/Q.js', [], sync(`__e({q:()=>'q'});${trace('Q')}`)),
    mod('/src/S.js', ['/src/T.js'], sync(`__e({s:()=>s});const __0=__i(0);const s='S saw '+__0.v;`)),
    mod('/src/N.js', ['/src/T2.js'], sync(`__e({});const __0=__i(0);`)),
    mod('/src/T2.js', [], async_(`__e({});await 0;${trace('T2')}`), { async: true }),
    mod('/src/R.js', ['/src/Rej.js'], async_(`__e({});const __0=await __i(0);${trace('R')}`), { async: true }),
    mod('/src/Rej.js', [], async_(`__e({});await 0;throw new Error('rejected');`), { async: true }),
  ]);
  const p = await reg.import('/src/P.js');
  assert.equal(p.got, 'ready/q');
  assert.deepEqual(log(), ['T>', 'T', 'Q', 'P']);
  assert.equal((await reg.import('/src/S.js')).s, 'S saw ready');
  await assert.rejects(reg.import('/src/N.js'), (e) => /\/src\/N\.js/.test(e.message) && /\/src\/T2\.js/.test(e.message) && /async/.test(e.message));
  assert.equal(log().includes('T2'), false, 'the async module was not started by the sync importer');
  const err = await reg.import('/src/R.js').catch((e) => e);
  assert.equal(err.message, 'rejected');
  assert.equal(await reg.import('/src/Rej.js').catch((e) => e), err);
});

test('async cycles return the partial namespace instead of waiting forever', async () => {
  const { reg } = setup([
    mod('/src/A.js', ['/src/B.js'], async_(`__e({a:()=>a,b:()=>__0});function a(){return 'a'}const __0=await __i(0);`), { async: true }),
    mod('/src/B.js', ['/src/A.js'], async_(`__e({seen:()=>seen});await 0;const __0=await __i(0);const seen=__0.a();`), { async: true }),
  ]);
  const a = await reg.import('/src/A.js');
  assert.equal(a.b.seen, 'a');
});

test('externals: imported natively once, in parallel, before any module is evaluated', async () => {
  const react = { jsx: (t) => `<${t}>` };
  const { reg, nativeCalls, log } = setup([
    mod('/src/A.js', ['/@deps/react.js', '/src/B.js'], sync(`__e({out:()=>out});${trace('A')}const __0=__i(0),__1=__i(1);const out=(0,__0.jsx)('a')+__1.out;`)),
    mod('/src/B.js', ['/@deps/react.js', '/@deps/client.js'], sync(`__e({out:()=>out});${trace('B')}const __0=__i(0),__1=__i(1);const out=(0,__0.jsx)('b')+__1.name;`)),
    mod('/src/C.js', ['/@deps/react.js'], sync(`__e({out:()=>out});const __0=__i(0);const out=(0,__0.jsx)('c');`)),
  ], { natives: { [`${ORIGIN}/@deps/react.js`]: react, [`${ORIGIN}/@deps/client.js`]: { name: 'client' } } });
  assert.equal((await reg.import('/src/A.js')).out, '<a><b>client');
  assert.deepEqual(log().slice(0, 2).sort(), [`native ${ORIGIN}/@deps/client.js`, `native ${ORIGIN}/@deps/react.js`]);
  assert.deepEqual(log().slice(2), ['A', 'B']);
  assert.deepEqual(nativeCalls.sort(), [`${ORIGIN}/@deps/client.js`, `${ORIGIN}/@deps/react.js`]);
  assert.equal((await reg.import('/src/C.js')).out, '<c>');
  assert.equal(nativeCalls.length, 2, 'react was not imported again');
  assert.equal(reg.namespaceOf('/@deps/react.js'), react);
});

test('externals: external() provides a namespace; those of defined modules are imported before evaluation', async () => {
  const { reg, nativeCalls, requests } = setup([mod('/src/A.js', ['/@deps/vue.js'], sync(`__e({v:()=>__0.version});const __0=__i(0);`))], {
    natives: { [`${ORIGIN}/@deps/pinia.js`]: { pinia: 2 } },
  });
  reg.external('/@deps/vue.js', { version: '3' });
  assert.equal((await reg.import('/src/A.js')).v, '3');
  assert.deepEqual(nativeCalls, []);
  // Defined without a pack (no `externals` list): the registry finds its externals itself.
  reg.define(mod('/src/D.js', ['/@deps/pinia.js'], sync(`__e({p:()=>__0.pinia});const __0=__i(0);`)));
  assert.equal((await reg.import('/src/D.js')).p, 2);
  assert.deepEqual(nativeCalls, [`${ORIGIN}/@deps/pinia.js`]);
  assert.equal(requests.length, 1);
});

test('__dyn: relative to the importer, a cacheable POST listing what the registry has; externals natively', async () => {
  const { reg, requests, nativeCalls } = setup([
    mod('/src/pages/A.js?t=9', [], sync(`__e({lazy:()=>(s)=>__dyn(s)});`)),
    mod('/src/lazy/L.js?x=1', ['/src/lazy/M.js'], sync(`__e({l:()=>'L'+__0.m});const __0=__i(0);`)),
    mod('/src/lazy/M.js', [], sync(`__e({m:()=>'M'});`)),
  ], { natives: { [`${ORIGIN}/@deps/lodash.js`]: { lodash: true }, 'https://cdn.example/x.js': { cdn: true } } });
  const a = await reg.import('/src/pages/A.js?t=9');
  assert.equal(requests.length, 1, 'the dynamic import is not part of the first pack');
  const l = await a.lazy('../lazy/L.js?x=1#frag');
  assert.equal(l.l, 'LM');
  assert.deepEqual(requests[1], { method: 'POST', path: '/@metamon/pack', body: { modules: ['/src/lazy/L.js?x=1'], have: ['/src/pages/A.js?t=9'], cache: true } });
  assert.equal(await a.lazy('../lazy/L.js?x=1'), l);
  assert.deepEqual((await a.lazy('/@deps/lodash.js')), { lodash: true });
  assert.deepEqual((await a.lazy('https://cdn.example/x.js')), { cdn: true });
  assert.deepEqual(nativeCalls, [`${ORIGIN}/@deps/lodash.js`, 'https://cdn.example/x.js']);
  assert.equal(requests.length, 2);
});

test('importEntry: this origin through the registry, another natively', async () => {
  const { reg, requests, nativeCalls } = setup([mod('/src/main.js', [], sync(`__e({m:()=>1});`))], { natives: { 'https://cdn.example/e.js': { e: 1 } } });
  assert.equal((await reg.importEntry('/src/main.js')).m, 1);
  assert.equal(requests[0].path, `/@metamon/pack?m=${encodeURIComponent('/src/main.js')}`);
  assert.deepEqual(await reg.importEntry('https://cdn.example/e.js'), { e: 1 });
  assert.deepEqual(nativeCalls, ['https://cdn.example/e.js']);
});

test('loading errors: a non-OK response, a dep the pack does not define', async () => {
  const failing = setup([], { fail: { status: 500, text: 'Transform failed: src/A.js' } });
  await assert.rejects(failing.reg.import('/src/A.js'), (e) => /500/.test(e.message) && /Transform failed: src\/A\.js/.test(e.message));
  const { reg, log } = setup([mod('/src/A.js', ['/src/Gone.js'], sync(`__e({});${trace('A')}const __0=__i(0);`))]);
  await assert.rejects(reg.import('/src/A.js'), (e) => /\/src\/Gone\.js/.test(e.message) && /\/src\/A\.js/.test(e.message));
  assert.deepEqual(log(), [], 'nothing evaluated');
  const missing = setup([]);
  await assert.rejects(missing.reg.import('/src/Nowhere.js'), /\/src\/Nowhere\.js/);
});

test('load: several entries in one GET; runtime files are modules; externals load only when a module needing them is imported', async () => {
  const { reg, requests, nativeCalls, preloads, log } = setup([
    mod('/@metamon/client', ['/@metamon/hmr.js'], sync(`const __0=__i(0);${trace('client')}`)),
    mod('/@metamon/hmr.js', [], sync(`${trace('hmr')}`)),
    mod('/src/main.js', ['/@deps/react-dom.js'], sync(`const __0=__i(0);${trace('main')}`)),
  ], { natives: { [`${ORIGIN}/@deps/react-dom.js`]: { version: 19 } } });
  await reg.load(['/@metamon/client', '/src/main.js']);
  assert.deepEqual(requests.map((r) => `${r.method} ${r.path}`), ['GET /@metamon/pack?m=%2F%40metamon%2Fclient&m=%2Fsrc%2Fmain.js']);
  assert.equal(reg.has('/@metamon/hmr.js'), true, 'a runtime file is a module of the pack');
  assert.equal(reg.hasPath('/src/main.js'), true);
  assert.deepEqual(nativeCalls, [], 'loading a pack evaluates nothing, not even dependencies');
  assert.deepEqual(preloads, ['/@deps/react-dom.js'], 'its dependencies are preloaded (fetched, not evaluated)');
  await reg.importEntry('/@metamon/client');
  assert.deepEqual(nativeCalls, []);
  await reg.importEntry('/src/main.js');
  assert.deepEqual(nativeCalls, [`${ORIGIN}/@deps/react-dom.js`]);
  assert.deepEqual(log(), ['hmr', 'client', `native ${ORIGIN}/@deps/react-dom.js`, 'main']);
  assert.equal(requests.length, 1, 'the imports found their modules in the first pack');
});

test('a first load told of its packs fetches both; the recent pack defines a URL first, the stable one not its stale URLs', async () => {
  const requests = [];
  const packs = {
    '/@metamon/pack/recent.json': { modules: [mod('/src/main.js', ['/src/A.js?t=2'], sync(`const __0=__i(0);__e({a:()=>__0.a});`)), mod('/src/A.js?t=2', [], sync(`__e({a:()=>'edited'});`))], externals: ['/@deps/x.js'] },
    '/@metamon/pack/stable.json': { modules: [mod('/src/main.js', ['/src/A.js'], sync(`const __0=__i(0);__e({a:()=>__0.a});`)), mod('/src/A.js', [], sync(`__e({a:()=>'first'});`))], externals: ['/@deps/x.js'] },
  };
  const fetch = async (url) => {
    const path = new URL(url).pathname + new URL(url).search;
    requests.push(path);
    const body = path.startsWith('/@metamon/pack?') ? { recent: '/@metamon/pack/recent.json', stable: '/@metamon/pack/stable.json', stale: ['/src/main.js', '/src/A.js'] } : packs[path];
    return body ? { ok: true, status: 200, json: async () => body } : { ok: false, status: 404, text: async () => `no pack ${path}` };
  };
  const reg = createRegistry({ origin: ORIGIN, fetch, importNative: async () => ({}) });
  assert.equal((await reg.import('/src/main.js')).a, 'edited', 'the recent pack\'s main.js, importing the edited A');
  assert.deepEqual(requests, [`/@metamon/pack?m=${encodeURIComponent('/src/main.js')}`, '/@metamon/pack/recent.json', '/@metamon/pack/stable.json']);
  // A URL listed as stale is not defined from a pack (its current version is elsewhere).
  const withStale = createRegistry({ origin: ORIGIN, fetch: async (url) => (url.includes('?') ? { ok: true, json: async () => ({ stable: '/@metamon/pack/stable.json', stale: ['/src/A.js'] }) } : fetch(url)), importNative: async () => ({}) });
  await withStale.load(['/src/main.js']);
  assert.equal(withStale.has('/src/main.js'), true);
  assert.equal(withStale.has('/src/A.js'), false, 'the stale A.js is not defined');
  const gone = createRegistry({ origin: ORIGIN, fetch: async (url) => (url.includes('?') ? { ok: true, json: async () => ({ stable: '/@metamon/pack/gone.json', stale: [] }) } : fetch(url)), importNative: async () => ({}) });
  await assert.rejects(gone.import('/src/main.js'), (e) => /404/.test(e.message) && /no pack \/@metamon\/pack\/gone\.json/.test(e.message));
});

test('offer: a module sent ahead is defined when its imports are, and imports with no request; else its import asks for a pack', async () => {
  const { reg, requests } = setup([
    mod('/src/main.js', ['/src/A.js', '/src/B.js'], sync(`const __0=__i(0),__1=__i(1);`)),
    mod('/src/A.js', [], sync(`__e({v:()=>1});`)),
    mod('/src/B.js', [], sync(`__e({v:()=>'old'});`)),
    mod('/src/B.js?t=5', ['/src/New.js'], sync(`const __0=__i(0);__e({v:()=>__0.v});`)),
    mod('/src/New.js', [], sync(`__e({v:()=>'new'});`)),
  ], { natives: { [`${ORIGIN}/@deps/react.js`]: {} } });
  await reg.import('/src/main.js');
  assert.equal(requests.length, 1);
  reg.offer([
    mod('/src/A.js?t=2', ['/src/main.js', '/@deps/react.js'], sync(`__e({v:()=>2});`)),
    mod('/src/B.js?t=5', ['/src/New.js'], sync(`__e({v:()=>'offered'});`)),
    mod('/src/Other.js?t=5', [], sync(`__e({});`)),
  ]);
  assert.equal(reg.hasPath('/src/Other.js'), false, 'a module the page never loaded is not defined from the offer');
  assert.equal((await reg.import('/src/A.js?t=2')).v, 2, 'defined from the offer: its imports are there or external');
  assert.equal(requests.length, 1, 'no pack request');
  assert.equal(reg.has('/src/B.js?t=5'), false, 'B imports a module the page lacks: not defined from the offer');
  assert.equal((await reg.import('/src/B.js?t=5')).v, 'new', 'its pack brings it and its import');
  assert.equal(requests.length, 2);
});
