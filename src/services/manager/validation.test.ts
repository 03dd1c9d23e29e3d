import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import { classify } from './layout.ts';
import { unifiedDiff } from './diff.ts';
import { checkContent, checkFilePath, normaliseFolder, pathProblem, redactUrl } from './validation.ts';

const loc = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as AppError).issues?.[0].loc.join('.');
  }
  return null;
};

describe('paths', () => {
  it('accepts relative paths and refuses traversal, absolute and odd paths', () => {
    expect(pathProblem('config/a/b.json')).toBeNull();
    for (const bad of ['../a', 'a/../../b', '/etc/passwd', 'C:/x', 'a\\b', 'a//b', 'a\0b']) expect(pathProblem(bad), bad).not.toBeNull();
    expect(normaliseFolder('./config/', 'config_folder')).toBe('config');
    expect(normaliseFolder('', 'vllm_values_path')).toBe('');
    expect(loc(() => normaliseFolder('../x', 'config_path'))).toBe('body.config_path');
    expect(checkFilePath(' ./job/a/x.yml ', 'file_path')).toBe('job/a/x.yml');
    expect(loc(() => checkFilePath('job/a/', 'file_path'))).toBe('body.file_path');
    expect(loc(() => checkFilePath('job/a/x.sh', 'file_path'))).toBe('body.file_path');
  });
});

describe('content', () => {
  it('parses JSON and YAML by extension, with an alias limit', () => {
    expect(() => checkContent('{"a": 1}', 'x.json')).not.toThrow();
    expect(loc(() => checkContent('{"a": ', 'x.json'))).toBe('body.content');
    expect(() => checkContent('a: 1\n---\nb: 2\n', 'x.yaml')).not.toThrow();
    expect(loc(() => checkContent('a: [1\n', 'x.yml'))).toBe('body.content');
    expect(() => checkContent('a: &x 1\nb: *x\n', 'x.yaml')).not.toThrow();
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    expect(loc(() => checkContent(lines.join('\n'), 'x.yaml'))).toBe('body.content');
    expect(loc(() => checkContent('x'.repeat(3 * 1024 * 1024), 'x.json'))).toBe('body.content');
  });

  it('says line and column of a syntax error and never quotes the content (it carries tokens)', () => {
    const msg = (content: string, file: string) => {
      try {
        checkContent(content, file);
      } catch (e) {
        return (e as AppError).issues![0].msg;
      }
      return null;
    };
    const secret = 'hf_S3cretTokenValue';
    const yaml = msg(`env:\n  - name: HF_TOKEN\n    value: ${secret}\n  bad: [\n`, 'job/a/j.yaml')!;
    expect(yaml).toMatch(/^content is not valid YAML: .*line \d+, column \d+/);
    const json = msg(`{\n  "hf_token": "${secret}" x\n}`, 'config/a/c.json')!;
    expect(json).toBe('content is not valid JSON: invalid JSON at line 2, column 37');
    // V8's own message would quote the text here: `Unexpected token 'h', ..."n": hf_S3cretT"... is not valid JSON`
    const bare = msg(`{\n  "hf_token": ${secret}\n}`, 'config/a/c.json')!;
    expect(bare).toMatch(/^content is not valid JSON/);
    for (const m of [yaml, json, bare]) {
      expect(m).not.toContain('S3cret');
      expect(m).not.toContain('HF_TOKEN');
    }
  });

  it('redacts credentials in URLs', () => {
    expect(redactUrl('fatal: https://user:tok@host/x.git')).toBe('fatal: https://***@host/x.git');
  });
});

describe('layout', () => {
  const bench = { projectType: 'benchmark', configFolder: 'config', jobFolder: 'job', vllmValuesPath: '' };
  it('selects config/<type>/*.json|yaml and job/<type>/*.yaml one level deep', () => {
    expect(classify('config/perf/a.json', bench)).toEqual({ path: 'config/perf/a.json', fileType: 'config', benchmarkType: 'perf' });
    expect(classify('config/perf/a.yaml', bench)?.fileType).toBe('config');
    expect(classify('job/perf/j.yml', bench)).toEqual({ path: 'job/perf/j.yml', fileType: 'job', benchmarkType: 'perf' });
    for (const no of ['config/a.json', 'config/perf/deep/a.json', 'job/perf/j.json', 'other/perf/a.json', 'config/perf/a.txt']) {
      expect(classify(no, bench), no).toBeNull();
    }
  });
  it('treats YAML as jobs when config and job folders are the same (earlier layout)', () => {
    const same = { ...bench, jobFolder: 'config' };
    expect(classify('config/evalchemy/job.yaml', same)?.fileType).toBe('job');
    expect(classify('config/evalchemy/eval.json', same)?.fileType).toBe('config');
  });
  it('selects custom-values*.yaml directly under vllm_values_path for vllm projects', () => {
    const vllm = { ...bench, projectType: 'vllm', vllmValuesPath: 'vllm' };
    expect(classify('vllm/custom-values-a.yaml', vllm)).toEqual({ path: 'vllm/custom-values-a.yaml', fileType: 'vllm', benchmarkType: 'vllm' });
    expect(classify('vllm/values.yaml', vllm)).toBeNull();
    expect(classify('vllm/charts/custom-values-a.yaml', vllm)).toBeNull();
    expect(classify('custom-values-root.yaml', { ...vllm, vllmValuesPath: '' })?.fileType).toBe('vllm');
  });
});

describe('unified diff', () => {
  it('prints hunks that patch the old text into the new', () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n') + '\n';
    const b = a.replace('l3\n', 'L3\n').replace('l15\n', '') + 'l20\n';
    const d = unifiedDiff(a, b, 'a/x', 'b/x');
    expect(d).toBe(
      [
        '--- a/x', '+++ b/x', '@@ -1,7 +1,7 @@', ' l0', ' l1', ' l2', '-l3', '+L3', ' l4', ' l5', ' l6',
        '@@ -13,8 +13,8 @@', ' l12', ' l13', ' l14', '-l15', ' l16', ' l17', ' l18', ' l19', '+l20', '',
      ].join('\n'),
    );
    expect(unifiedDiff('same\n', 'same\n', 'a', 'b')).toBe('');
    expect(unifiedDiff('', 'x\n', '/dev/null', 'b/x')).toBe('--- /dev/null\n+++ b/x\n@@ -0,0 +1,1 @@\n+x\n');
  });
});
