// Module URLs as the HMR client handles them: versioned by a `t=<timestamp>` query, and
// `hot.accept('./dep.js')` paths resolved against the accepting module.

/** Removes any `t=<timestamp>` query parameter (and an empty `?`). */
export function stripTimestamp(url) {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hashIdx = url.indexOf('#', q);
  const hash = hashIdx >= 0 ? url.slice(hashIdx) : '';
  const query = url.slice(q + 1, hashIdx >= 0 ? hashIdx : undefined);
  const kept = query.split('&').filter((p) => p && !/^t=/.test(p));
  return url.slice(0, q) + (kept.length ? '?' + kept.join('&') : '') + hash;
}

/** `/src/a.js` → `/src/a.js?t=1`, `/src/a.css?import` → `/src/a.css?import&t=1`. */
export function withTimestamp(url, timestamp) {
  const clean = stripTimestamp(url);
  const hashIdx = clean.indexOf('#');
  const base = hashIdx >= 0 ? clean.slice(0, hashIdx) : clean;
  const hash = hashIdx >= 0 ? clean.slice(hashIdx) : '';
  return base + (base.includes('?') ? '&' : '?') + 't=' + timestamp + hash;
}

export function cleanUrl(url) {
  return url.replace(/[?#].*$/, '');
}

/** Resolves `./dep.js` against the owner path; absolute paths are kept. */
export function resolveDep(dep, ownerPath) {
  if (typeof dep !== 'string') return dep;
  if (dep.startsWith('./') || dep.startsWith('../')) {
    try {
      const u = new URL(dep, 'http://metamon.invalid' + cleanUrl(ownerPath));
      return u.pathname + u.search;
    } catch {
      return dep;
    }
  }
  return dep;
}
