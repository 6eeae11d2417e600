// Which edits keep state: the same app of native React, Vue and Svelte files (bench/state-app,
// its vite.config.js with the three official plugins) edited the same way under each server.
// A case sets some state in the page, saves one edit, waits for the edit to show, and reads the
// state back; a page reload (the marker set before the save is gone) counts as state lost.

/** The cases of the state issue, in the order they run. */
export const CASES = [
  {
    name: '1. component module with other exports, imported by the entry',
    wait: ['.panel-count'],
    prepare: [['click', '.panel-count', 2]],
    edit: ['src/Panel.jsx', 'panel v1', 'panel v2'],
    shown: { '.panel-text': 'panel v2' },
    kept: { '.panel-count': '2' },
  },
  {
    name: '2. context provider module (context, hook, provider)',
    wait: ['.provider-count', '.child-count'],
    prepare: [['click', '.provider-count', 2], ['click', '.child-count', 3]],
    edit: ['src/theme.jsx', 'provider v1', 'provider v2'],
    shown: { '.provider-label': 'provider v2' },
    kept: { '.provider-count': '2', '.child-count': '3', '.child-theme': 'dark 2' },
  },
  {
    name: '3. module-level store, rest of the module edited',
    wait: ['.store-count'],
    prepare: [['click', '.store-count', 2]],
    edit: ['src/store.js', "label = 'clicks'", "label = 'taps'"],
    shown: { '.store-count': /^taps/ },
    kept: { '.store-count': 'taps: 2' },
  },
  {
    name: '4a. Vue <script setup> edited (ref, reactive, computed, v-model)',
    wait: ['#vue .count'],
    prepare: [['click', '#vue .count', 2], ['fill', '#vue .name', 'ada'], ['click', '#vue .tag', 1]],
    edit: ['src/Form.vue', "'script v1'", "'script v2'"],
    shown: { '#vue .label': 'script v2' },
    kept: { '#vue .count': '2', '#vue .name': 'ada', '#vue .summary': 'ada has 1 tags' },
  },
  {
    name: '4b. Vue template edited, then its style',
    wait: ['#vue .count'],
    prepare: [['click', '#vue .count', 1], ['fill', '#vue .name', 'bo']],
    edit: ['src/Form.vue', 'template v1', 'template v2'],
    then: ['src/Form.vue', 'rgb(1, 1, 1)', 'rgb(2, 2, 2)'],
    shown: { '#vue .template': 'template v2' },
    kept: { '#vue .name': 'bo' },
  },
  {
    name: '5. Svelte <script> edited ($state, bind:value)',
    wait: ['#svelte .step'],
    prepare: [['click', '#svelte .step', 3], ['fill', '#svelte .draft', 'notes']],
    edit: ['src/Steps.svelte', "'script v1'", "'script v2'"],
    shown: { '#svelte .label': 'script v2' },
    kept: { '#svelte .step': '3', '#svelte .draft': 'notes' },
  },
  {
    name: '6. module inside an import cycle',
    wait: ['.tabs-next', '.tab-a'],
    prepare: [['click', '.tabs-next', 1], ['click', '.tab-a', 1]],
    edit: ['src/Tab.jsx', 'tab v1', 'tab v2'],
    shown: { '.tab-a': /^tab v2/ },
    kept: { '.tab-a': 'tab v2 a of 2: 1', '.tabs-next': '1' },
  },
];

/** What the page shows at each selector: an input's value, or an element's text. */
function read(page, selectors) {
  return page.evaluate((selectors) => Object.fromEntries(selectors.map((s) => {
    const el = document.querySelector(s);
    return [s, el == null ? null : 'value' in el && el.tagName === 'INPUT' ? el.value : el.textContent];
  })), selectors);
}

const matches = (want, got) => (want instanceof RegExp ? want.test(got ?? '') : got === want);

/** Polls the page (through reloads) until every selector shows what is wanted; false after `ms`. */
async function until(page, want, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const got = await read(page, Object.keys(want));
      if (Object.entries(want).every(([s, w]) => matches(w, got[s]))) return true;
    } catch { /* the page is reloading */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

async function save(dir, fs, path, [file, from, to]) {
  const full = path.join(dir, file);
  const code = fs.readFileSync(full, 'utf8');
  if (!code.includes(from)) throw new Error(`state bench: ${file} has no ${from}`);
  fs.writeFileSync(full, code.replace(from, to));
}

/**
 * Runs every case on a page already open on the app in `dir`; per case, whether the state was
 * kept, whether the page reloaded, and what was read when it was not kept.
 */
export async function runStateCases(page, dir, { fs, path }) {
  const results = [];
  for (const c of CASES) {
    for (const s of c.wait) await page.waitForSelector(s, { timeout: 30000 });
    for (const [action, selector, arg] of c.prepare) {
      if (action === 'click') for (let i = 0; i < arg; i++) await page.click(selector);
      else await page.fill(selector, arg);
    }
    await page.evaluate(() => { window.__stateMarker = true; });
    await save(dir, fs, path, c.edit);
    let shown = await until(page, c.shown, 15000);
    if (shown && c.then) {
      await new Promise((r) => setTimeout(r, 300));
      await save(dir, fs, path, c.then);
    }
    // A reload or a late remount shows up within this settle time.
    await new Promise((r) => setTimeout(r, 800));
    shown = shown && (await until(page, c.shown, 5000));
    const reloaded = !(await page.evaluate(() => window.__stateMarker === true).catch(() => false));
    const got = await read(page, Object.keys(c.kept));
    const kept = shown && !reloaded && Object.entries(c.kept).every(([s, w]) => matches(w, got[s]));
    results.push({ name: c.name, shown, reloaded, kept, got });
  }
  return results;
}

/** One word for a case's outcome. */
export function verdict(r) {
  if (!r) return '-';
  if (!r.shown) return 'edit not shown';
  if (r.reloaded) return 'lost (page reloaded)';
  return r.kept ? 'kept' : 'lost';
}
