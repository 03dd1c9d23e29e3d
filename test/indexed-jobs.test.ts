/**
 * A performance job over many pods (issue 16, "Many pods"): the Job file says `completionMode: Indexed`; the manifest
 * validates as a Kubernetes Job with parallelism = completions and tells each container the number of parts; the
 * local executor runs one process per index with JOB_COMPLETION_INDEX; each runner takes its share of the load
 * against a real emulated vLLM server and posts a part; the Results service (PGlite and PostgreSQL) stores ONE run
 * whose request count is the sum of the parts' and whose percentiles are those of the union of the parts' records.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Job } from 'kubernetes-models/batch/v1/Job';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PART_SOURCE } from '../src/runner/parts.ts';
import { ResultsClient } from '../src/services/results/client.ts';
import { LocalExecutor } from '../src/services/deployer/executors/local.ts';
import { buildRunManifests, PARTS_ENV } from '../src/services/deployer/manifest.ts';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/index.ts';
import { DB_KINDS } from './helpers/db.ts';
import { until } from './helpers/deployer-setup.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const jobYaml = (spec: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: perf
spec:
${spec
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: runner
        image: ghcr.io/benchops/benchops:0.1.0
        args: ["job", "run"]
        env:
        - name: NUM_PROMPTS
          value: "30"
        - name: MAX_CONCURRENCY
          value: "6"
        - name: RANDOM_INPUT_LEN
          value: "16"
        - name: RANDOM_OUTPUT_LEN
          value: "8"
`;

const build = (spec: string, runId = '0123abcd-0000-4000-8000-000000000000', endpoint = 'http://127.0.0.1:9') =>
  buildRunManifests({
    jobYaml: jobYaml(spec),
    runName: 'indexed',
    deploymentId: runId,
    namespace: 'benchmark',
    projectId: 'p1',
    benchmarkType: 'performance',
    endpoint,
    env: { BENCHOPS_RUN_ID: runId },
    admin: false,
  });

const envOf = (job: any, name: string) => (job.spec.template.spec.containers[0].env as any[]).find((e) => e.name === name)?.value;

describe('Indexed Job manifest', () => {
  it('completionMode Indexed: parallelism defaults to completions, containers learn the parts, the Job validates', () => {
    const m = build('completionMode: Indexed\ncompletions: 3');
    expect(m.parts).toBe(3);
    expect(m.job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    expect(envOf(m.job, PARTS_ENV)).toBe('3');
    expect(m.warnings).toEqual([]);
    expect(() => new Job(m.job as any).validate()).not.toThrow();
  });

  it('says back what would not be one load: fewer pods at once than parts, or several pods without Indexed', () => {
    const waves = build('completionMode: Indexed\ncompletions: 4\nparallelism: 2');
    expect(waves.warnings.join('\n')).toMatch(/parallelism 2 < completions 4: the parts run in waves/);
    const plain = build('completions: 3\nparallelism: 3');
    expect(plain.parts).toBe(1);
    expect(envOf(plain.job, PARTS_ENV)).toBeUndefined();
    expect(plain.warnings.join('\n')).toMatch(/without completionMode: Indexed: each pod runs the whole benchmark/);
    expect(build('').parts).toBe(1);
  });

  it('refuses an Indexed Job without a bounded number of parts, and an unknown completion mode', () => {
    expect(() => build('completionMode: Indexed')).toThrow(/completions, an integer in 1\.\.64/);
    expect(() => build('completionMode: Indexed\ncompletions: 65')).toThrow(/1\.\.64/);
    expect(() => build('completionMode: Sharded\ncompletions: 2')).toThrow(/Indexed or NonIndexed/);
  });
});

/** numpy's default percentile (linear interpolation between closest ranks), as vLLM computes it. */
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

describe.each(DB_KINDS)('a 3-part local run stores one result (%s)', (kind) => {
  let platform: TestPlatform;
  let emu: EmulatedServer;
  let exec: LocalExecutor;
  let results: ResultsClient;
  beforeAll(async () => {
    platform = await startTestPlatform({ kind, services: ['results'] });
    results = new ResultsClient(platform.urls.results!);
    emu = await startEmulatedServer({ model: 'Qwen/Qwen3-0.6B', hardware: 'L40S', served_model_name: 'tiny', profile: { ttft_ms: 30, itl_ms: 5, jitter: 0.3 }, seed: 3 });
    exec = new LocalExecutor({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'benchops-indexed-')), log: pino({ level: 'silent' }), resultsUrl: () => platform.urls.results });
  }, 120_000);
  afterAll(async () => {
    await exec?.close();
    await emu?.close();
    await platform?.close();
  });

  it('three pods with JOB_COMPLETION_INDEX 0..2, one merged run: counts summed, percentiles of the union, pod self-checks kept', async () => {
    const runId = `indexed-${kind}-0000-4000-8000-000000000000`;
    const m = build('completionMode: Indexed\ncompletions: 3', runId, emu.url);
    const created = await exec.create(m.job);
    const name = created.metadata.name;
    // the Job's own condition, not a moment where every pod created so far has succeeded
    const cond = await until(async () => {
      const j = await exec.get('Job', name, 'benchmark');
      return (j?.status?.conditions ?? []).find((c: any) => c.status === 'True' && (c.type === 'Complete' || c.type === 'Failed'));
    }, 180_000, 'the indexed job to finish');
    const pods = await exec.listPods(name, 'benchmark');
    expect(cond.type, JSON.stringify(pods)).toBe('Complete');
    expect((await exec.jobStatus(name, 'benchmark')).status).toBe('completed');
    expect((await exec.get('Job', name, 'benchmark'))!.status.succeeded).toBe(3);
    // one pod per index, named like the Job controller names them
    expect(pods.map((p) => p.name.replace(/-[0-9a-f]{5}$/, '').slice(name.length + 1)).sort()).toEqual(['0', '1', '2']);
    const logs = await Promise.all(pods.map((p) => exec.readLogs('benchmark', p.name, 'runner', {})));
    for (const [i, l] of logs.entries()) expect(l, l).toMatch(new RegExp(`pod ${pods[i].name.slice(name.length + 1, name.length + 2)} of 3: requests \\d, \\d, \\d, … of the run's schedule: 10 prompts, concurrency 2`));

    const parts = (await results.listRaw({ source: PART_SOURCE, limit: 10 })).items.filter((x) => x.run_id.startsWith(runId));
    expect(parts.map((x) => x.run_id).sort()).toEqual([0, 1, 2].map((i) => `${runId}-part-${i}`));
    const std = (await results.listStandardized({ run_id: runId })).items;
    expect(std).toHaveLength(1);
    // a part never becomes a result of its own
    expect((await results.listStandardized({ source: PART_SOURCE })).items.filter((x) => x.run_id.startsWith(runId))).toEqual([]);

    const partDocs = await Promise.all(parts.map(async (x) => (await results.getRaw(x.pk)).data as any));
    const records = partDocs.flatMap((d) => d.part_scenarios[0].records as any[]);
    const ok = records.filter((r) => r.success);
    expect(records).toHaveLength(30);

    const doc = (await results.getStandardized(std[0].pk)).data as any;
    expect(doc.performance.summary.completed + doc.performance.summary.failed).toBe(30);
    expect(doc.performance.summary.completed).toBe(ok.length);
    for (const p of [50, 90, 99]) {
      expect(doc.performance.latency.ttft_ms[`p${p}`]).toBeCloseTo(percentile(ok.map((r) => r.ttft * 1000), p), 6);
      expect(doc.performance.latency.e2el_ms[`p${p}`]).toBeCloseTo(percentile(ok.map((r) => r.latency * 1000), p), 6);
    }
    const itls = ok.flatMap((r) => r.chunk_times.slice(1).map((t: number, i: number) => (t - r.chunk_times[i]) * 1000));
    expect(doc.performance.latency.itl_ms.p99).toBeCloseTo(percentile(itls, 99), 6);
    expect(doc.performance.summary.total_output_tokens).toBe(ok.reduce((n, r) => n + r.output_tokens, 0));
    // every pod's own self-check is kept, and the run's verdict is theirs combined
    expect(doc.meta.pods).toBe(3);
    expect(doc.meta.parts.map((p: any) => p.index)).toEqual([0, 1, 2]);
    for (const p of doc.meta.parts) expect(p.scenarios[0].self_check).toHaveProperty('reliable');
    expect(doc.meta.reliable).toBe(doc.meta.parts.every((p: any) => p.scenarios[0].reliability?.reliable !== false));
    // the emulator saw exactly the run's requests
    expect(emu.records().filter((r) => r.endpoint === 'completions' && r.output_tokens === 8).length).toBeGreaterThanOrEqual(30);
  }, 240_000);
});
