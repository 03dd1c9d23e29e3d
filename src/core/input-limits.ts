/**
 * What the HTTP edge refuses before any route sees a request: JSON nested deeper than MAX_JSON_DEPTH, and text (keys,
 * values, path and query parameters) carrying a NUL (U+0000) or an unpaired UTF-16 surrogate. PostgreSQL rejects NUL
 * in text (a 500 deep inside a route otherwise), and a lone surrogate is stored as U+FFFD, so two different ids would
 * collide and the returned id would not be the stored one. Every walker here is iterative: depth costs no stack.
 */

/** Deepest nesting of objects/arrays accepted in a request body (`{"a":1}` is depth 1). Documented in the README. */
export const MAX_JSON_DEPTH = 128;

export type TextProblem = 'nul' | 'surrogate' | 'depth' | 'proto';

export interface BadInput {
  /** Where, below the request part (body/query/path): object keys and array indexes. */
  path: (string | number)[];
  problem: TextProblem;
}

/** Message for a problem, never quoting the input. */
export function problemMessage(p: TextProblem, maxDepth = MAX_JSON_DEPTH): string {
  switch (p) {
    case 'nul':
      return 'must not contain NUL (U+0000) characters';
    case 'surrogate':
      return 'must not contain unpaired UTF-16 surrogates (not valid Unicode text)';
    case 'depth':
      return `is nested deeper than ${maxDepth} levels`;
    case 'proto':
      return '"__proto__" is not allowed as a key';
  }
}

// Node 20 has String.prototype.isWellFormed (V8 11); the ES2023 lib typings do not declare it yet.
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** The problem with one string, or null when it is acceptable text. */
export function textProblem(s: string): TextProblem | null {
  if (s.includes('\0')) return 'nul';
  if (!wellFormed(s)) return 'surrogate';
  return null;
}

/** Most keys accepted in one JSON object of a body: parsing an object with 850,000 keys alone blocks for most of a second. */
export const MAX_OBJECT_KEYS = 10_000;

export interface JsonScan {
  /** The first limit the text breaks, with its 1-based position; null when none. */
  exceeded: { limit: 'depth' | 'keys'; line: number; column: number } | null;
  /**
   * False when the text cannot hold a NUL, an unpaired surrogate or a `__proto__` key once parsed: in decoded UTF-8
   * those can only come from `\u` escapes (raw control characters are invalid JSON) or the literal key, so the
   * walk over the parsed value can be skipped.
   */
  suspicious: boolean;
}

const position = (text: string, i: number) => {
  const before = text.slice(0, i);
  return { line: before.split('\n').length, column: i - before.lastIndexOf('\n') };
};

// \u0000-\u00ff (NUL, and any escape that could spell "__proto__"), surrogate escapes, or the key itself
const SUSPICIOUS = /\\u(?:00|[dD][89a-fA-F])|__proto__/;

/**
 * Checks JSON text against MAX_JSON_DEPTH and MAX_OBJECT_KEYS without parsing it: one linear pass, strings skipped
 * (brackets and colons inside them do not count), no recursion. Malformed text is left to JSON.parse to report.
 */
export function scanJson(text: string, maxDepth = MAX_JSON_DEPTH, maxKeys = MAX_OBJECT_KEYS): JsonScan {
  const keys = new Int32Array(maxDepth + 2);
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // jump to the closing quote: one not preceded by an odd number of backslashes
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return { exceeded: null, suspicious: true }; // unterminated string: JSON.parse reports it
        let k = j - 1;
        while (text.charCodeAt(k) === 92 /* \ */) k--;
        if ((j - 1 - k) % 2 === 0) break;
      }
      i = j;
    } else if (c === 58 /* : */) {
      // one colon per member, at the object's own depth
      if (++keys[depth] > maxKeys) return { exceeded: { limit: 'keys', ...position(text, i) }, suspicious: true };
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > maxDepth) return { exceeded: { limit: 'depth', ...position(text, i) }, suspicious: true };
      keys[depth] = 0;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (depth > 0) depth--;
    }
  }
  return { exceeded: null, suspicious: SUSPICIOUS.test(text) || text.includes('\0') || !wellFormed(text) };
}

interface Frame {
  v: any;
  keys: string[] | null;
  i: number;
}

/**
 * The first string (object key or value) with a NUL or an unpaired surrogate, a container deeper than `maxDepth`, or a
 * `__proto__` key, in a parsed value; null when all is well. Iterative (an explicit stack), linear in the value's size.
 */
export function findBadInput(root: unknown, maxDepth = MAX_JSON_DEPTH): BadInput | null {
  if (typeof root === 'string') {
    const p = textProblem(root);
    return p ? { path: [], problem: p } : null;
  }
  if (root === null || typeof root !== 'object') return null;
  const frame = (v: any): Frame => ({ v, keys: Array.isArray(v) ? null : Object.keys(v), i: 0 });
  const frames: Frame[] = [frame(root)];
  const path: (string | number)[] = [];
  while (frames.length) {
    const f = frames[frames.length - 1];
    if (f.i >= (f.keys ? f.keys.length : f.v.length)) {
      frames.pop();
      path.pop();
      continue;
    }
    const idx = f.i++;
    let key: string | number = idx;
    if (f.keys) {
      key = f.keys[idx];
      const pk = key === '__proto__' ? 'proto' : textProblem(key);
      if (pk) return { path: [...path, key], problem: pk };
    }
    const child = f.v[key];
    if (typeof child === 'string') {
      const p = textProblem(child);
      if (p) return { path: [...path, key], problem: p };
    } else if (child !== null && typeof child === 'object') {
      if (frames.length >= maxDepth) return { path: [...path, key], problem: 'depth' };
      frames.push(frame(child));
      path.push(key);
    }
  }
  return null;
}
