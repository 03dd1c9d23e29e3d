import { describe, expect, it } from 'vitest';
import { applyFilters, meanStderr, normalise, score, truncateAtStop, type MetricSpec } from './scoring.ts';

const spec = (over: Partial<MetricSpec> = {}): MetricSpec => ({
  key: 'exact_match',
  metric: 'exact_match',
  ignoreCase: false,
  ignorePunctuation: false,
  ignoreWhitespace: false,
  regexesToIgnore: [],
  ...over,
});

describe('scoring', () => {
  it('exact_match trims, and ignores case and (Unicode) punctuation only when asked', () => {
    expect(score(' 도쿄\n', ['도쿄'], spec())).toBe(1);
    expect(score('Paris.', ['paris'], spec())).toBe(0);
    expect(score('Paris.', ['paris'], spec({ ignoreCase: true }))).toBe(0);
    expect(score('Paris.', ['paris'], spec({ ignoreCase: true, ignorePunctuation: true }))).toBe(1);
    expect(score('「도쿄」。', ['도쿄'], spec({ ignorePunctuation: true }))).toBe(1);
    expect(score('The answer: 42', ['42'], spec({ regexesToIgnore: ['^The answer: '] }))).toBe(1);
    expect(score('4', ['four', '4'], spec())).toBe(1);
  });

  it('contains and regex', () => {
    expect(score('It is Paris, France', ['Paris'], spec({ metric: 'contains' }))).toBe(1);
    expect(score('It is Lyon', ['Paris'], spec({ metric: 'contains' }))).toBe(0);
    expect(score('anything', [''], spec({ metric: 'contains' }))).toBe(0);
    expect(score('sort() 메서드', ['x'], spec({ metric: 'regex', pattern: '^sort\\(\\)' }))).toBe(1);
    expect(score('ANSWER: B', ['answer: [AB]'], spec({ metric: 'regex', ignoreCase: true }))).toBe(1);
    expect(score('ANSWER: C', ['answer: [AB]'], spec({ metric: 'regex', ignoreCase: true }))).toBe(0);
  });

  it('normalises whitespace runs unless told to drop whitespace', () => {
    expect(normalise('  a \n b  ', spec())).toBe('a b');
    expect(normalise('  a \n b  ', spec({ ignoreWhitespace: true }))).toBe('ab');
  });

  it('cuts at the first stop sequence, not at a leading newline', () => {
    expect(truncateAtStop(' 4\nQ: next', ['\n'])).toBe(' 4');
    expect(truncateAtStop('\n\n4\nmore', ['\n'])).toBe('\n\n4');
    expect(truncateAtStop('a END b ### c', ['###', 'END'])).toBe('a ');
  });

  it('applies lm-eval filters (regex group, fallback) in order', () => {
    const steps = [{ fn: 'regex' as const, pattern: /answer is (\d+)/u, group: 1, fallback: '[invalid]' }];
    expect(applyFilters('so the answer is 42.', steps)).toBe('42');
    expect(applyFilters('no idea', steps)).toBe('[invalid]');
    expect(applyFilters('  X ', [{ fn: 'strip' }, { fn: 'lowercase' }])).toBe('x');
  });

  it('mean and standard error like lm-eval', () => {
    const { mean, stderr } = meanStderr([1, 1, 1, 0, 0]);
    expect(mean).toBeCloseTo(0.6, 12);
    expect(stderr).toBeCloseTo(Math.sqrt(0.3 / 5), 12);
    expect(meanStderr([])).toEqual({ mean: 0, stderr: 0 });
  });
});
