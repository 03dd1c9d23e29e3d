import { describe, expect, it } from 'vitest';
import type { FileEntry } from '../../api/views';
import { groupFiles } from './api';

const f = (file_path: string, file_type: FileEntry['file_type'], source: FileEntry['source'], benchmark_type: string): FileEntry => ({
  file_id: `${source}:${file_path}`,
  project_id: 'p',
  file_path,
  file_type,
  source,
  benchmark_type,
  file_name: file_path.split('/').pop()!,
});

describe('groupFiles', () => {
  it('groups by benchmark type, configs before jobs, an original before its copy', () => {
    const groups = groupFiles([
      f('job/vllm-benchmark/b.yaml', 'job', 'original', 'vllm-benchmark'),
      f('config/vllm-benchmark/a.json', 'config', 'modified', 'vllm-benchmark'),
      f('config/custom-task/t.json', 'config', 'original', 'custom-task'),
      f('config/vllm-benchmark/a.json', 'config', 'original', 'vllm-benchmark'),
    ]);
    expect(groups.map((g) => g.benchmarkType)).toEqual(['custom-task', 'vllm-benchmark']);
    expect(groups[1].files.map((x) => x.file_id)).toEqual([
      'original:config/vllm-benchmark/a.json',
      'modified:config/vllm-benchmark/a.json',
      'original:job/vllm-benchmark/b.yaml',
    ]);
  });
  it('keeps files without a benchmark type in a group of their own', () => {
    expect(groupFiles([f('values.yaml', 'vllm', 'original', '')])[0].benchmarkType).toBe('(top level)');
  });
});
