/**
 * Values for the OpenAPI fuzzer: schema-shaped "valid-ish" values drawn with fast-check's generator, the slots of a
 * body schema a mutation can target, the hostile values of each input kind, and JSON text that can hold what
 * JSON.stringify cannot write (100,000-deep nesting, numbers past double range) through raw placeholders.
 */
import fc from 'fast-check';
import type { JsonSchema } from './audit-openapi.ts';

export type Gen = fc.GeneratorValue;

/** One of `xs`, chosen by the generator (so a seed replays it). */
export const pick = <T>(g: Gen, xs: readonly T[]): T => xs[g(fc.integer, { min: 0, max: xs.length - 1 })];
export const chance = (g: Gen, oneIn: number): boolean => g(fc.integer, { min: 1, max: oneIn }) === 1;

/** Field names that hold timestamps (their valid-ish value is an ISO date; they get impossible dates too). */
export const DATE_NAME = /(^|_)(timestamp|since|until|time|date)$/;

/** Lowercase alphanumerics satisfy every pattern the API declares (pk segments, Kubernetes names, branches). */
function plainString(g: Gen, s: JsonSchema, name: string): string {
  if (DATE_NAME.test(name)) return new Date(g(fc.integer, { min: 1_600_000_000_000, max: 1_900_000_000_000 })).toISOString();
  const min = Math.max(1, s.minLength ?? 1);
  const max = Math.max(min, Math.min(12, s.maxLength ?? 12));
  return g(fc.string, { unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: min, maxLength: max });
}

/** A small JSON value for schema-less (`{}`) positions. */
export function smallJson(g: Gen): unknown {
  return g(fc.jsonValue, { maxDepth: 2 });
}

/** A value shaped like `s` (types, enums, required keys, bounds), `hints` adding known keys to open objects. */
export function validish(g: Gen, s: JsonSchema | undefined, name = '', hints: Record<string, unknown[]> = {}, depth = 0): unknown {
  if (!s || typeof s !== 'object') return smallJson(g);
  if (s.nullable && chance(g, 6)) return null;
  if (Array.isArray(s.enum)) return pick(g, s.enum);
  if (s.const !== undefined) return s.const;
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts)) return validish(g, pick(g, alts), name, hints, depth);
  if (Array.isArray(s.allOf)) return validish(g, s.allOf[0], name, hints, depth);
  const type = Array.isArray(s.type) ? pick(g, s.type) : s.type;
  switch (type) {
    case 'string':
      return plainString(g, s, name);
    case 'integer':
      return g(fc.integer, { min: Math.max(-1000, s.minimum ?? 0), max: Math.min(1000, s.maximum ?? 1000) });
    case 'number':
      return g(fc.double, { min: Math.max(-1000, s.minimum ?? 0), max: Math.min(1000, s.maximum ?? 1000), noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return g(fc.boolean);
    case 'null':
      return null;
    case 'array': {
      if (depth > 4) return [];
      const n = g(fc.integer, { min: s.minItems ?? 0, max: Math.max(s.minItems ?? 0, Math.min(3, s.maxItems ?? 3)) });
      return Array.from({ length: n }, () => validish(g, s.items, name, hints, depth + 1));
    }
    case 'object':
      return objectValue(g, s, hints, depth);
    default:
      return s.properties ? objectValue(g, s, hints, depth) : smallJson(g);
  }
}

function objectValue(g: Gen, s: JsonSchema, hints: Record<string, unknown[]>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (depth > 4) return out;
  const required = new Set<string>(s.required ?? []);
  for (const [k, ps] of Object.entries<JsonSchema>(s.properties ?? {})) {
    if (required.has(k) || chance(g, 2)) out[k] = validish(g, ps, k, hints, depth + 1);
  }
  const open = s.additionalProperties !== false && s.additionalProperties !== undefined;
  if (open && !s.properties) {
    for (const [k, vs] of Object.entries(hints)) if (chance(g, 2)) out[k] = pick(g, vs);
    const n = g(fc.integer, { min: 0, max: 3 });
    for (let i = 0; i < n; i++) out[`k${g(fc.integer, { min: 0, max: 99 })}`] = smallJson(g);
  }
  return out;
}

export interface Slot {
  path: (string | number)[];
  schema: JsonSchema;
  name: string;
}

/** Every position of a body schema a mutation may replace: the root, each property (3 levels), first array items. */
export function slotsOf(s: JsonSchema | undefined, path: (string | number)[] = [], name = '', out: Slot[] = []): Slot[] {
  if (!s || path.length > 3) return out;
  out.push({ path, schema: s, name });
  for (const [k, ps] of Object.entries<JsonSchema>(s.properties ?? {})) slotsOf(ps, [...path, k], k, out);
  if (s.type === 'array' && s.items) slotsOf(s.items, [...path, 0], name, out);
  for (const alt of s.anyOf ?? []) if (alt.properties) for (const [k, ps] of Object.entries<JsonSchema>(alt.properties)) slotsOf(ps, [...path, k], k, out);
  return out;
}

/** The JSON types a schema admits; empty for an unconstrained (`{}`) schema. */
export function typesOf(s: JsonSchema): Set<string> {
  const out = new Set<string>();
  const walk = (x: JsonSchema) => {
    if (!x || typeof x !== 'object') return;
    if (x.nullable) out.add('null');
    if (Array.isArray(x.enum)) for (const v of x.enum) out.add(v === null ? 'null' : typeof v === 'number' ? 'number' : typeof v);
    if (x.type) for (const t of [x.type].flat()) out.add(t === 'integer' ? 'number' : t);
    for (const alt of [...(x.anyOf ?? []), ...(x.oneOf ?? []), ...(x.allOf ?? [])]) walk(alt);
    if (!x.type && x.properties) out.add('object');
  };
  walk(s);
  return out;
}

/** A value of a JSON type `s` does not admit, or undefined when `s` admits everything. */
export function wrongType(g: Gen, s: JsonSchema): unknown {
  const types = typesOf(s);
  if (!types.size) return undefined;
  const candidates: [string, unknown][] = [
    ['number', 12345],
    ['string', 'audit-wrong-type'],
    ['boolean', true],
    ['array', [1, 'two']],
    ['object', { audit: 1 }],
    ['null', null],
  ];
  const left = candidates.filter(([t]) => !types.has(t) && !(t === 'number' && types.has('integer')));
  return left.length ? pick(g, left)[1] : undefined;
}

/** Sets `value` at `path` inside `root` (creating containers on the way); the root path replaces the whole value. */
export function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (!path.length) return value;
  const top: any = root !== null && typeof root === 'object' ? root : typeof path[0] === 'number' ? [] : {};
  let cur = top;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i];
    if (cur[k] === null || typeof cur[k] !== 'object') cur[k] = typeof path[i + 1] === 'number' ? [] : {};
    cur = cur[k];
  }
  cur[path[path.length - 1]] = value;
  return top;
}

/**
 * JSON text with raw pieces: `raw(text)` returns a placeholder to put inside a value; `stringify` swaps each for its
 * text. Deep nesting is built as text, since JSON.stringify would overflow this process's stack first.
 */
export class RawJson {
  private readonly parts: string[] = [];
  raw(text: string): string {
    this.parts.push(text);
    return `__audit_raw_${this.parts.length - 1}__`;
  }
  stringify(value: unknown): string {
    let text = value === undefined ? '' : JSON.stringify(value);
    this.parts.forEach((t, i) => (text = text.split(`"__audit_raw_${i}__"`).join(t)));
    return text;
  }
}

/** `depth` nested arrays or objects as JSON text. */
export function deepJson(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

export const NUL_STRINGS = ['\u0000', 'audit\u0000', 'a\u0000b\u0000c'];
export const SURROGATE_STRINGS = ['\ud800', 'audit\udfff', '\udc00\ud800x'];
export const DEPTHS = [5_000, 10_000, 100_000];
export const HUGE_LENGTHS = [200_000, 1_000_000];
export const HUGE_NUMBERS = ['1e400', '-1e400', '123456789012345678901234567890', '1e-400', '9007199254740993', '-0', '0.1e-99999'];
export const EXTRA_KEY_COUNTS = [1, 100, 20_000];
/** Dates no calendar has: each must be refused (item 7). */
export const IMPOSSIBLE_DATES = ['2025-02-30T00:00:00Z', '2025-13-01T00:00:00Z', '2025-01-01T25:00:00Z', '2025-02-29T12:00:00Z'];
/** Dates at the edges of what a database stores: never a 5xx, whether taken or refused. */
export const EDGE_DATES = ['0000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', '+275760-09-13T00:00:00.001Z', '9999-12-31T23:59:60Z'];

/**
 * Bodies that are not clean JSON (bytes, so invalid UTF-8 and raw NUL survive). `sure`: no JSON parser takes it (what
 * makes a request to a work route invalid for certain); `refuse`: must be answered 4xx (invalid UTF-8 would be stored
 * as U+FFFD, silently changed, like an unpaired surrogate: item 5).
 */
export const MALFORMED_BODIES: { label: string; bytes: Buffer; sure: boolean; refuse: boolean }[] = [
  { label: 'unterminated object', bytes: Buffer.from('{"a":'), sure: true, refuse: true },
  { label: 'trailing comma', bytes: Buffer.from('{"a":1,}'), sure: true, refuse: true },
  { label: 'unterminated array', bytes: Buffer.from('[1,2'), sure: true, refuse: true },
  { label: 'missing colon', bytes: Buffer.from('{"a" 1}'), sure: true, refuse: true },
  { label: 'bare word', bytes: Buffer.from('undefined'), sure: true, refuse: true },
  { label: 'trailing garbage', bytes: Buffer.from('{"a":1}}'), sure: true, refuse: true },
  { label: 'raw NUL in a string', bytes: Buffer.from('{"a":"x\u0000y"}'), sure: true, refuse: true },
  { label: 'single quotes', bytes: Buffer.from("{'a':1}"), sure: true, refuse: true },
  { label: 'NaN', bytes: Buffer.from('{"a":NaN}'), sure: true, refuse: true },
  { label: 'empty', bytes: Buffer.alloc(0), sure: true, refuse: true },
  { label: 'whitespace only', bytes: Buffer.from('   '), sure: true, refuse: true },
  { label: '__proto__ key', bytes: Buffer.from('{"__proto__":{"polluted":1}}'), sure: false, refuse: true },
  { label: 'invalid UTF-8', bytes: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), sure: false, refuse: true },
  { label: 'CESU-8 surrogate', bytes: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), sure: false, refuse: true },
  { label: 'BOM', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]), sure: false, refuse: false },
  { label: 'constructor.prototype key', bytes: Buffer.from('{"constructor":{"prototype":{"polluted":1}}}'), sure: false, refuse: false },
];

/** Path parameter values, percent-encoded as sent; `refuse`: must be a 4xx (NUL, surrogates, invalid UTF-8). */
export const BAD_PATH_VALUES: { label: string; raw: string; refuse: boolean }[] = [
  { label: 'NUL', raw: '%00', refuse: true },
  { label: 'NUL inside', raw: 'audit%00id', refuse: true },
  { label: 'surrogate (CESU-8)', raw: '%ED%A0%80', refuse: true },
  { label: 'overlong UTF-8', raw: '%C0%AF', refuse: true },
  { label: 'lone %', raw: '%', refuse: false },
  { label: 'bad escape', raw: '%zz', refuse: false },
  { label: 'dot-dot', raw: '%2e%2e', refuse: false },
  { label: 'traversal', raw: '..%2F..%2Fetc%2Fpasswd', refuse: false },
  { label: 'encoded slash', raw: 'a%2Fb', refuse: false },
  { label: '1,000 chars', raw: 'x'.repeat(1000), refuse: false },
  { label: '8,000 chars', raw: 'y'.repeat(8000), refuse: false },
  { label: 'space', raw: '%20', refuse: false },
  { label: 'negative', raw: '-1', refuse: false },
  { label: 'emoji', raw: '%F0%9F%98%80', refuse: false },
  { label: 'noncharacter', raw: '%EF%BF%BF', refuse: false },
  { label: 'sql', raw: "'%20OR%201%3D1--", refuse: false },
];

/** Query values by declared type, percent-encoded as sent. */
export const BAD_QUERY_VALUES: Record<'number' | 'string', { label: string; raw: string; refuse: boolean }[]> = {
  number: [
    { label: 'word', raw: 'abc', refuse: true },
    { label: 'negative', raw: '-1', refuse: false },
    { label: 'fraction', raw: '1.5', refuse: false },
    { label: '1e400', raw: '1e400', refuse: false },
    { label: '400 digits', raw: '9'.repeat(400), refuse: false },
    { label: 'empty', raw: '', refuse: false },
    { label: 'hex', raw: '0x10', refuse: false },
    { label: 'NaN', raw: 'NaN', refuse: true },
    { label: 'Infinity', raw: 'Infinity', refuse: false },
    { label: 'NUL', raw: '1%00', refuse: true },
  ],
  string: [
    { label: 'NUL', raw: '%00', refuse: true },
    { label: 'NUL inside', raw: 'audit%00x', refuse: true },
    { label: 'surrogate (CESU-8)', raw: '%ED%A0%80', refuse: true },
    { label: 'escaped surrogate', raw: '%uD800', refuse: false },
    { label: 'lone %', raw: '%', refuse: false },
    { label: 'bad escape', raw: '%zz', refuse: false },
    { label: '8,000 chars', raw: 'q'.repeat(8000), refuse: false },
    { label: 'empty', raw: '', refuse: false },
  ],
};
