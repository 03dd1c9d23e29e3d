import { describe, expect, it } from 'vitest';
import { seriesOf } from '../model/regression';
import { sweepOf } from '../model/sweep';
import type { Step } from '../model/document';
import { cdfChart, goodputChart, historyChart, percentileChart, scoresChart, sweepChart, tokensOverTimeChart } from './options';

const opt = (o: Record<string, unknown>) => o as any;
const step = (name: string, c: number, tput: number, p99: number, goodput?: number): Step => ({
  name,
  config: { max_concurrency: c },
  summary: {},
  throughput: { output_throughput: tput, request_throughput: tput / 100, ...(goodput !== undefined ? { request_goodput: goodput } : {}) },
  latency: { e2el_ms: { p99 } },
  reliability: { state: 'unknown', reasons: [] },
});

describe('chart options', () => {
  it('puts each run’s percentiles on a shared percentile axis, a gap where a run lacks one', () => {
    const b = percentileChart('TTFT', [
      { name: 'a', points: [{ p: 50, key: 'p50', value: 10 }, { p: 99, key: 'p99', value: 30 }] },
      { name: 'b', points: [{ p: 50, key: 'p50', value: 12 }, { p: 90, key: 'p90', value: 20 }] },
    ]);
    const o = opt(b.option);
    expect(o.xAxis.data).toEqual(['p50', 'p90', 'p99']);
    expect(o.series.map((s: any) => s.data)).toEqual([
      [10, null, 30],
      [12, 20, null],
    ]);
    expect(o.yAxis.name).toBe('TTFT (ms)');
    expect(b.summary).toBe('TTFT percentiles (ms): p50 10, p99 30');
  });

  it('draws CDFs as steps with the y axis from 0 to 1', () => {
    const o = opt(cdfChart('E2EL', [{ name: 'r', points: [[1, 0.5], [2, 1]] }]).option);
    expect(o.series[0]).toMatchObject({ step: 'end', data: [[1, 0.5], [2, 1]] });
    expect([o.yAxis.min, o.yAxis.max]).toEqual([0, 1]);
  });

  it('marks the knee of a sweep at its point and labels each point with its load', () => {
    const sweep = sweepOf([step('c1', 1, 100, 1000), step('c2', 2, 200, 1010), step('c4', 4, 350, 1050), step('c8', 8, 400, 1400), step('c16', 16, 410, 3000)])!;
    const b = sweepChart('p99 E2EL', [{ name: 'run', sweep }]);
    const s = opt(b.option).series[0];
    expect(s.data.map((d: any) => d.value)).toEqual([[100, 1000], [200, 1010], [350, 1050], [400, 1400], [410, 3000]]);
    expect(s.data.map((d: any) => d.load)).toEqual([1, 2, 4, 8, 16]);
    expect(s.markPoint.data[0].coord).toEqual([350, 1050]);
    expect(b.summary).toContain('knee at c4 (load 4)');
    const g = opt(goodputChart([{ name: 'run', sweep }]).option);
    expect(g.yAxis.name).toMatch(/request throughput/); // no SLOs: goodput is absent
    expect(g.series[0].data[0]).toEqual([1, 1]);
    const withSlo = sweepOf([step('a', 1, 100, 10, 0.9), step('b', 2, 150, 20, 1.2)])!;
    expect(opt(goodputChart([{ name: 'r', sweep: withSlo }]).option).series[0].data).toEqual([[1, 0.9], [2, 1.2]]);
  });

  it('puts a history’s regressions in their own red series, every point carrying its pk', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const [s] = seriesOf([
      { pk: 'a', run_id: 'a', benchmark_name: 'b', timestamp: new Date(t0).toISOString(), path: 'performance.throughput.output_throughput', task: 'b', stat: '', value: 100 },
      { pk: 'b', run_id: 'b', benchmark_name: 'b', timestamp: new Date(t0 + 25 * 3600e3).toISOString(), path: 'performance.throughput.output_throughput', task: 'b', stat: '', value: 80 },
    ]);
    const b = historyChart(s, 'tok/s');
    const o = opt(b.option);
    expect(o.series[0].data.map((d: any) => d.pk)).toEqual(['a', 'b']);
    expect(o.series[1].data.map((d: any) => [d.pk, d.value])).toEqual([['b', [t0 + 25 * 3600e3, 80]]]);
    expect(b.summary).toBe('output_throughput: 2 runs, 1 regression');
  });

  it('scales score bars to 0–1 when every score is a fraction, tokens/s from zero', () => {
    expect(opt(scoresChart([{ label: 'a', value: 0.5, stderr: 0.1 }]).option).xAxis.max).toBe(1);
    expect(opt(scoresChart([{ label: 'a', value: 42, stderr: null }]).option).xAxis.max).toBeUndefined();
    const t = tokensOverTimeChart([{ t: 0.5, tokensPerS: 10 }, { t: 1.5, tokensPerS: 30 }]);
    expect(opt(t.option).yAxis.min).toBe(0);
    expect(t.summary).toBe('output tokens/s over the run: peak 30 tok/s');
  });
});
