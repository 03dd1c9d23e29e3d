import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findBadInput, MAX_JSON_DEPTH, scanJson, textProblem } from './input-limits.ts';

/** Nesting depth of a parsed JSON value, the reference the scanner must agree with. */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const kids = Array.isArray(v) ? v : Object.values(v);
  return 1 + kids.reduce<number>((m, k) => Math.max(m, depthOf(k)), 0);
}

/** Largest number of keys of any object in a parsed value. */
function widestObject(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const kids = Array.isArray(v) ? v : Object.values(v);
  const own = Array.isArray(v) ? 0 : Object.keys(v).length;
  return kids.reduce<number>((m, k) => Math.max(m, widestObject(k)), own);
}

// strings full of the characters the scanner must skip correctly: quotes, backslashes, brackets, colons
const tricky = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ':', ',', 'a', ' ', '\n') });
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, tricky, fc.integer(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
})).value;

describe('scanJson agrees with JSON.parse on depth and keys', () => {
  it('finds exactly the values deeper or wider than the limits (property)', () => {
    fc.assert(
      fc.property(json, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), (v, maxDepth, maxKeys) => {
        const text = JSON.stringify(v);
        const r = scanJson(text, maxDepth, maxKeys);
        const tooDeep = depthOf(v) > maxDepth;
        const tooWide = widestObject(v) > maxKeys;
        expect(r.exceeded !== null).toBe(tooDeep || tooWide);
        if (r.exceeded?.limit === 'depth') expect(tooDeep).toBe(true);
        if (r.exceeded?.limit === 'keys') expect(tooWide).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('reports the position of the first bracket past the limit', () => {
    const text = '{"a":\n  [[[1]]]}';
    expect(scanJson(text, 3).exceeded).toEqual({ limit: 'depth', line: 2, column: 5 });
    expect(scanJson(text, 4).exceeded).toBeNull();
  });

  it('scans a 100,000-deep text without recursion', () => {
    const n = 100_000;
    expect(scanJson('['.repeat(n) + ']'.repeat(n)).exceeded).toMatchObject({ limit: 'depth', line: 1, column: MAX_JSON_DEPTH + 1 });
  });

  it('says when parsed text could hold a NUL, a lone surrogate or __proto__, and clears plain text', () => {
    expect(scanJson('{"a":"b","c":[1,2,"é😀"]}').suspicious).toBe(false);
    expect(scanJson('{"a":"\\u0000"}').suspicious).toBe(true);
    expect(scanJson('{"a":"\\ud800"}').suspicious).toBe(true);
    expect(scanJson('{"a":"\\uDC00"}').suspicious).toBe(true);
    expect(scanJson('{"\\u005f_proto__":{}}').suspicious).toBe(true);
    expect(scanJson('{"__proto__":{}}').suspicious).toBe(true);
  });
});

describe('findBadInput', () => {
  it('names the path of the first NUL or lone surrogate, in keys and values', () => {
    expect(findBadInput({ a: [1, { b: 'x\0y' }] })).toEqual({ path: ['a', 1, 'b'], problem: 'nul' });
    expect(findBadInput({ a: { ['k\ud800']: 1 } })).toEqual({ path: ['a', 'k\ud800'], problem: 'surrogate' });
    expect(findBadInput(JSON.parse('{"__proto__":{"x":1}}'))).toEqual({ path: ['__proto__'], problem: 'proto' });
    expect(findBadInput('plain \ud83d\ude00 text')).toBeNull();
    expect(findBadInput({ ok: ['é', 1, null, true, { deep: 'fine' }] })).toBeNull();
  });

  it('stops at the depth limit on a value far deeper than any stack (built, not parsed)', () => {
    let v: any = 'leaf';
    for (let i = 0; i < 200_000; i++) v = [v];
    expect(findBadInput(v, 64)).toMatchObject({ problem: 'depth' });
    expect((findBadInput(v, 64)!.path as number[]).length).toBe(64);
  });

  it('finds every planted NUL or surrogate in random values (property)', () => {
    fc.assert(
      fc.property(json, fc.constantFrom('\0', '\ud800', '\udfff'), (v, bad) => {
        expect(findBadInput(v, 1000)).toBeNull(); // generated text is well formed
        const planted = { wrapper: [v, `x${bad}`] };
        expect(findBadInput(planted, 1000)).toEqual({ path: ['wrapper', 1], problem: textProblem(`x${bad}`) });
      }),
      { numRuns: 300 },
    );
  });
});
