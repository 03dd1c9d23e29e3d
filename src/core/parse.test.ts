import { describe, expect, it } from 'vitest';
import { parseJsonSafe, parseYamlAll, parseYamlOne, SafeParseError } from './parse.ts';

const fail = (f: () => unknown): SafeParseError => {
  try {
    f();
  } catch (e) {
    if (e instanceof SafeParseError) return e;
    throw e;
  }
  throw new Error('expected a SafeParseError');
};

describe('safe parsing of user YAML/JSON', () => {
  it('gives line and column of a YAML error, never the source text', () => {
    const text = 'apiVersion: v1\nkind: Secret\n  HF_TOKEN: hf_s3cretvalue\nfoo: [\n';
    const e = fail(() => parseYamlAll(text));
    expect(e.line).toBeGreaterThanOrEqual(2);
    expect(e.message).toContain(`line ${e.line}, column ${e.column}`);
    expect(e.message).not.toContain('hf_s3cretvalue');
    expect(e.message).not.toContain('HF_TOKEN');
    expect(e.message).not.toContain('\n');
  });

  it('names the document of a multi-document text', () => {
    const e = fail(() => parseYamlAll('a: 1\n---\ntoken: "abc\n'));
    expect(e.message).toMatch(/document 2/);
    expect(e.message).not.toContain('abc');
  });

  it('limits aliases (billion laughs)', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) bomb.push(`${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(9).fill(`*${'abcdefgh'[i - 1]}`).join(',')}]`);
    expect(() => parseYamlAll(bomb.join('\n'))).toThrow(SafeParseError);
  });

  it('parses valid YAML, one or many documents', () => {
    expect(parseYamlAll('a: 1\n---\nb: [1, 2]\n')).toEqual([{ a: 1 }, { b: [1, 2] }]);
    expect(parseYamlOne('x: y')).toEqual({ x: 'y' });
    expect(() => parseYamlOne('a: 1\n---\nb: 2')).toThrow(/one YAML document/);
  });

  it('gives JSON errors by line and column without the text', () => {
    const e = fail(() => parseJsonSafe('{\n  "token": "ghp_secret",\n  }'));
    expect(e.message).toBe('invalid JSON at line 3, column 3');
    expect(e.message).not.toContain('ghp_secret');
    expect(parseJsonSafe('{"a": [1]}')).toEqual({ a: [1] });
    expect(fail(() => parseJsonSafe('{"a":')).message).toMatch(/unexpected end/);
  });
});
