import { describe, expect, it } from 'vitest';
import { languageOf, locateError, offsetOf } from './locate';

const yaml = 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\n';

describe('locateError', () => {
  it('reads "at line N, column M" (the server parse errors)', () => {
    expect(locateError('content is not valid YAML: Nested mappings are not allowed at line 3, column 7', yaml)).toEqual({ line: 3, column: 7 });
    expect(locateError('bad indentation at line 2', yaml)).toEqual({ line: 2, column: 1 });
  });
  it('turns a JSON.parse position into line and column', () => {
    const json = '{\n  "a": 1,\n  "b": }\n';
    const offset = json.indexOf('}', 10);
    expect(locateError(`Unexpected token } in JSON at position ${offset}`, json)).toEqual({ line: 3, column: 8 });
  });
  it('ignores lines past the end and messages without a place', () => {
    expect(locateError('error at line 99', yaml)).toBeNull();
    expect(locateError('content is larger than 2097152 bytes', yaml)).toBeNull();
  });
});

describe('offsetOf', () => {
  it('is the inverse of a line/column inside the text', () => {
    expect(yaml.slice(offsetOf(yaml, { line: 4, column: 3 }))).toMatch(/^name: x/);
    expect(offsetOf(yaml, { line: 1, column: 1 })).toBe(0);
    // a column past the end of its line stays on that line
    expect(offsetOf(yaml, { line: 2, column: 80 })).toBe('apiVersion: batch/v1\nkind: Job'.length);
  });
});

describe('languageOf', () => {
  it('picks the highlighting from the extension', () => {
    expect(languageOf('config/a/b.JSON')).toBe('json');
    expect(languageOf('job/x.yml')).toBe('yaml');
    expect(languageOf('job/x.yaml')).toBe('yaml');
    expect(languageOf('README')).toBe('text');
  });
});
