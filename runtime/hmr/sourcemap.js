// Maps a position in served code back to the original source with the module's inline
// source map (`//# sourceMappingURL=data:application/json;base64,…`), and builds a code
// frame from the map's `sourcesContent`. Used by the HMR client to point a runtime error
// at the `.mtm` line. Importable in Node (tests: `recovery.test.mjs`).

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Decodes one VLQ segment (`"AAgBC"`) into numbers. */
export function decodeVlq(segment) {
  const out = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64_INDEX.get(ch);
    if (digit === undefined) return out;
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** The source map JSON inlined in `code`, or null. */
export function inlineSourceMap(code) {
  const m = /\/\/[#@] sourceMappingURL=data:application\/json(?:;charset=[^;,]+)?;base64,([A-Za-z0-9+/=]+)\s*$/m.exec(code);
  if (!m) return null;
  try {
    const text =
      typeof atob === 'function'
        ? decodeURIComponent(escape(atob(m[1])))
        : Buffer.from(m[1], 'base64').toString('utf8');
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * The original `{ source, line, column, content }` (1-based line and column) of the
 * generated position (1-based line, 1-based column), or null.
 */
export function originalPosition(map, line, column) {
  if (!map || typeof map.mappings !== 'string') return null;
  const lines = map.mappings.split(';');
  let src = 0;
  let srcLine = 0;
  let srcCol = 0;
  let best = null;
  for (let l = 0; l < lines.length && l < line; l++) {
    let genCol = 0;
    for (const seg of lines[l].split(',')) {
      if (!seg) continue;
      const f = decodeVlq(seg);
      genCol += f[0];
      if (f.length < 4) continue;
      src += f[1];
      srcLine += f[2];
      srcCol += f[3];
      // The last segment at or before the column on the wanted line.
      if (l === line - 1 && genCol <= column - 1) best = { src, srcLine, srcCol };
    }
  }
  if (!best) return null;
  const sources = map.sources || [];
  return {
    source: sources[best.src] ?? null,
    line: best.srcLine + 1,
    column: best.srcCol + 1,
    content: (map.sourcesContent || [])[best.src] ?? null,
  };
}

/** A code frame: two lines around `line` (1-based), a `>` marker and a caret at `column`. */
export function codeFrame(content, line, column) {
  if (typeof content !== 'string') return '';
  const lines = content.split(/\r?\n/);
  const start = Math.max(1, line - 2);
  const end = Math.min(lines.length, line + 2);
  const width = String(end).length;
  const out = [];
  for (let n = start; n <= end; n++) {
    const mark = n === line ? '>' : ' ';
    out.push(`${mark} ${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line && column > 0) out.push(`  ${' '.repeat(width)} | ${' '.repeat(column - 1)}^`);
  }
  return out.join('\n');
}
