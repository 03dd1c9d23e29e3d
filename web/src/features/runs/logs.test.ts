import { describe, expect, it } from 'vitest';
import { atBottom, LineBuffer, matchingLines, splitByTerm } from './logs';

describe('live log lines', () => {
  it('joins chunks cut mid-line and keeps the unfinished line apart', () => {
    const b = new LineBuffer();
    b.push('tick 1\ntic');
    expect(b.lines).toEqual(['tick 1']);
    expect(b.all()).toEqual(['tick 1', 'tic']);
    b.push('k 2\r\ntick 3\n');
    expect(b.all()).toEqual(['tick 1', 'tick 2', 'tick 3']);
  });
  it('drops the oldest lines past its bound and counts them', () => {
    const b = new LineBuffer(3);
    b.push('a\nb\nc\nd\ne\n');
    expect(b.lines).toEqual(['c', 'd', 'e']);
    expect(b.dropped).toBe(2);
  });
  it('finds and highlights a term, case-insensitively', () => {
    expect(matchingLines(['Error: x', 'ok', 'no error'], 'error')).toEqual([0, 2]);
    expect(matchingLines(['a', 'b'], ' ')).toEqual([0, 1]);
    expect(splitByTerm('an Error and error', 'error')).toEqual([
      { text: 'an ', hit: false },
      { text: 'Error', hit: true },
      { text: ' and ', hit: false },
      { text: 'error', hit: true },
    ]);
  });
  it('follows only when the box is at its bottom', () => {
    expect(atBottom({ scrollTop: 480, scrollHeight: 1000, clientHeight: 500 })).toBe(true);
    expect(atBottom({ scrollTop: 100, scrollHeight: 1000, clientHeight: 500 })).toBe(false);
  });
});
