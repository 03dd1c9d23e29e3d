import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asDoc, kindOf, latencyNames, latencyOf, percentilesOf, reliabilityOf, stepsOf, thresholdsOf } from './document';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../../../test/fixtures/results/${name}`, import.meta.url), 'utf8'));

describe('reading a standardized document', () => {
  it('fills missing sections so readers never throw', () => {
    const d = asDoc({ meta: 3, performance: { latency: [] } });
    expect(d.meta).toEqual({});
    expect(d.results).toEqual({});
    expect(d.performance.latency).toEqual({});
    expect(stepsOf(d)).toHaveLength(1);
    expect(thresholdsOf(d)).toBeNull();
  });

  it('orders percentiles numerically, p99.9 after p99, median standing in for a missing p50', () => {
    expect(percentilesOf({ p99: 9, 'p99.9': 10, p5: 1, median: 4, mean: 5 }).map((p) => p.key)).toEqual(['p5', 'median', 'p99', 'p99.9']);
    expect(percentilesOf({ p50: 3, median: 4 }).map((p) => [p.key, p.value])).toEqual([['p50', 3]]);
  });

  it('keeps numbers only and turns a plain latency number into {value}', () => {
    expect(latencyOf({ ttft_ms: { p50: 1, note: 'x' }, e2el_ms: 12, bad: 'n/a' })).toEqual({ ttft_ms: { p50: 1 }, e2el_ms: { value: 12 } });
    expect(latencyNames({ e2el_ms: {}, zzz_ms: {}, ttft_ms: {}, aaa_ms: {}, itl_ms: {} })).toEqual(['ttft_ms', 'itl_ms', 'e2el_ms', 'aaa_ms', 'zzz_ms']);
  });

  it('reads the runner scenarios as steps (object by name) with their config', () => {
    const raw = fixture('benchops-runner-perf.json');
    const doc = asDoc({ ...raw, performance: { ...raw.performance, scenarios: Object.fromEntries(raw.scenarios.map((s: any) => [s.name, s])) } });
    const steps = stepsOf(doc);
    expect(steps.map((s) => s.name)).toEqual(['basic_performance']);
    expect(steps[0].config.max_concurrency).toBe(1);
    expect(steps[0].latency.ttft_ms.p99).toBeCloseTo(67.8);
    expect(kindOf(doc, false)).toEqual({ performance: true, quality: false });
  });

  it('reads GuideLLM benchmarks as steps named by their strategy', () => {
    const doc = asDoc({ performance: { summary: {}, throughput: {}, latency: {}, benchmarks: [{ strategy: { type: 'synchronous' } }, { strategy: { type: 'constant', rate: 4 } }] } });
    expect(stepsOf(doc).map((s) => s.name)).toEqual(['synchronous', 'constant@4']);
    expect(stepsOf(doc)[1].config.rate).toBe(4);
  });

  it('tells a task evaluation (latency of samples only) from a load test', () => {
    const task = asDoc({ meta: { kind: 'task-eval' }, performance: { latency: { e2el_ms: { p99: 3 } }, throughput: { samples_per_s: 2 } } });
    expect(kindOf(task, true)).toEqual({ performance: false, quality: true });
    const bench = asDoc({ meta: { tool: 'vllm bench serve' }, performance: { latency: { ttft_ms: { p99: 3 } } } });
    expect(kindOf(bench, false)).toEqual({ performance: true, quality: false });
  });

  it('gives the self-check verdict with its reasons, says when none were stored, and when nothing was checked', () => {
    expect(reliabilityOf({ reliability: { reliable: false, reasons: ['p99 event-loop lag 14.20 ms > 10 ms'] } })).toEqual({
      state: 'unreliable',
      reasons: ['p99 event-loop lag 14.20 ms > 10 ms'],
    });
    const old = reliabilityOf({ reliable: false });
    expect(old.state).toBe('unreliable');
    expect(old.note).toMatch(/no reason/);
    expect(reliabilityOf({ reliable: true }).state).toBe('reliable');
    const none = reliabilityOf({}, 'vllm bench serve');
    expect(none.state).toBe('unknown');
    expect(none.note).toContain('vllm bench serve');
  });

  it('reads threshold checks, and the bare thresholds_passed flag of documents without them', () => {
    const doc = asDoc(fixture('benchops-runner-perf.json'));
    const t = thresholdsOf(doc)!;
    expect(t.passed).toBe(true);
    expect(t.checks.map((c) => c.name)).toEqual(['ttft_p95_ms', 'tpot_mean_ms', 'throughput_min', 'success_rate']);
    expect(t.checks[0]).toMatchObject({ limit: 200, value: 58.76, passed: true });
    expect(thresholdsOf(asDoc({ performance: { summary: { thresholds_passed: 0 } } }))).toEqual({ passed: false, checks: [] });
  });
});
