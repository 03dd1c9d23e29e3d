import { describe, expect, it } from 'vitest';
import { runName } from './run-name';

describe('runName', () => {
  it('is a Kubernetes name made from the job file and a time stamp', () => {
    const n = runName('job/vllm-benchmark/BenchOps_Perf Job.yaml', 1_700_000_000_000);
    expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(n.startsWith('benchops-perf-job-')).toBe(true);
    expect(n.length).toBeLessThanOrEqual(52);
    expect(runName('job/x.yml', 1)).not.toBe(runName('job/x.yml', 2_000_000_000));
    expect(runName('job/---.yaml', 1)).toMatch(/^run-/);
  });
});
