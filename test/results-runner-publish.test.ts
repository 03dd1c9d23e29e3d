/**
 * How the runner stores a run through the real results service (over HTTP, PGlite): the raw post derives the
 * standardized document, so the runner posts it only when the service did not; and the load generator's self-check
 * reason travels with the run (issue 11: "today only `reliable: false` is kept").
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reliabilityOf } from '../src/loadgen/report.ts';
import { publish } from '../src/runner/publish.ts';
import { runReliability, standardize, type RunnerOutput } from '../src/runner/report.ts';
import type { ResultPost, ResultsApi } from '../src/services/results/api.ts';
import { ResultsClient } from '../src/services/results/client.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/results', name), 'utf8'));

describe('runner → results service', () => {
  let p: TestPlatform;
  let client: ResultsClient;
  beforeAll(async () => {
    p = await startTestPlatform({ kind: 'pglite', services: ['results'] });
    client = new ResultsClient(p.urls.results!);
  });
  afterAll(async () => {
    await p?.close();
  });

  /** The real client, recording which posts the runner made. */
  const recording = (opts: { standardize?: boolean } = {}) => {
    const calls: string[] = [];
    const api: ResultsApi = {
      postRaw: (b: ResultPost) => (calls.push('raw'), client.postRaw(b, opts)),
      postStandardized: (b: ResultPost) => (calls.push('standardized'), client.postStandardized(b)),
    };
    return { api, calls };
  };

  const runOutput = (): RunnerOutput => {
    const raw = fixture('benchops-runner-perf.json') as RunnerOutput;
    raw.meta.reliability = { reliable: false, reasons: ['basic_performance: p99 event-loop lag 14.20 ms > 10 ms'] };
    raw.scenarios![0].reliability = { reliable: false, reasons: ['p99 event-loop lag 14.20 ms > 10 ms'] };
    return raw;
  };
  const env = (run: string) => ({ run_id: run, benchmark_name: 'vllm-benchmark', model_id: 'qwen3-8b', tokenizer_id: 'Qwen/Qwen3-8B', timestamp: '2026-03-01T00:00:00Z' });

  it('posts the raw document only when the service derives the standardized one, which carries the reliability reason', async () => {
    const { api, calls } = recording();
    const logs: string[] = [];
    const out = await publish(runOutput(), env('pub-1'), { api, outputDir: '/nonexistent', log: (l) => logs.push(l) });
    expect(out).toMatchObject({ posted: true, standardized: 'derived', pk: '2026-03-01T00:00:00Z-vllm-benchmark-pub-1' });
    expect(calls).toEqual(['raw']);
    const std = (await client.getStandardized(out.pk!)).data as any;
    expect(std.meta.reliability).toEqual({ reliable: false, reasons: ['basic_performance: p99 event-loop lag 14.20 ms > 10 ms'] });
    expect(std.performance.scenarios.basic_performance.reliability.reasons).toEqual(['p99 event-loop lag 14.20 ms > 10 ms']);
    expect(std.meta.parser.name).toBe('benchops-runner');
    // what the runner would have posted itself is what the service derived
    const { parser: _p, ...meta } = std.meta;
    expect({ ...std, meta }).toEqual(standardize(runOutput()));
  });

  it('posts the standardized document too when the service did not derive one (same pk)', async () => {
    const { api, calls } = recording({ standardize: false });
    const out = await publish(runOutput(), env('pub-2'), { api, outputDir: '/nonexistent', log: () => {} });
    expect(out).toMatchObject({ posted: true, standardized: 'posted' });
    expect(calls).toEqual(['raw', 'standardized']);
    expect(((await client.getStandardized(out.pk!)).data as any).meta.reliability.reliable).toBe(false);
    expect((await client.listRaw({ run_id: 'pub-2' })).items.map((x) => x.pk)).toEqual([out.pk]);
  });
});

describe('reliability verdicts', () => {
  it("a report's verdict keeps the self-check's reasons only when unreliable", () => {
    const report = (reliable: boolean) => ({ benchops: { reliable, self_check: { reasons: reliable ? [] : ['client CPU 97 % of a core > 90 %'] } } }) as any;
    expect(reliabilityOf(report(false))).toEqual({ reliable: false, reasons: ['client CPU 97 % of a core > 90 %'] });
    expect(reliabilityOf(report(true))).toEqual({ reliable: true, reasons: [] });
  });

  it("a run's verdict is unreliable when any scenario was, reasons named by scenario", () => {
    const ok = { name: 'a', reliability: { reliable: true, reasons: [] } };
    const bad = { name: 'b', reliability: { reliable: false, reasons: ['mean event-loop lag 3.10 ms > 1 ms'] } };
    expect(runReliability([ok, bad])).toEqual({ reliable: false, reasons: ['b: mean event-loop lag 3.10 ms > 1 ms'] });
    expect(runReliability([bad])).toEqual({ reliable: false, reasons: ['mean event-loop lag 3.10 ms > 1 ms'] });
    expect(runReliability([ok])).toEqual({ reliable: true, reasons: [] });
    expect(runReliability([{ name: 'task' }])).toBeUndefined();
  });
});
