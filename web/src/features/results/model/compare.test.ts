import { describe, expect, it } from 'vitest';
import { change, compareRows, significance, tally, visibleRows, type ComparedMetric } from './compare';

const m = (path: string, group: ComparedMetric['group'], metric: string, stat: string, higher: boolean, values: Record<string, number | null>): ComparedMetric => ({
  path,
  group,
  task: 'bench',
  metric,
  stat,
  higher_is_better: higher,
  values,
});

describe('comparison deltas', () => {
  it('computes change against the base and colours it by the metric’s direction', () => {
    expect(change(100, 80, false)).toEqual({ value: 80, absolute: -20, relative: -0.2, verdict: 'better' }); // latency down
    expect(change(100, 80, true)).toMatchObject({ relative: -0.2, verdict: 'worse' }); // throughput down
    expect(change(-50, -25, true)).toMatchObject({ absolute: 25, relative: 0.5, verdict: 'better' });
    expect(change(0, 5, true)).toMatchObject({ relative: null, verdict: 'better' });
    expect(change(5, 5, true).verdict).toBe('same');
    expect(change(null, 5, true).verdict).toBe('none');
    expect(change(1, 2, true, false).verdict).toBe('none');
  });

  it('builds rows against any chosen base, flags differences and keeps only them when asked', () => {
    const metrics = [
      m('performance.latency.ttft_ms.p99', 'latency', 'ttft_ms', 'p99', false, { a: 50, b: 60, c: 40 }),
      m('performance.throughput.output_throughput', 'throughput', 'output_throughput', '', true, { a: 200, b: 200, c: 200 }),
      m('results.t.samples', 'score', 'samples', 'detail', true, { a: 5, b: null, c: 5 }),
    ];
    const rows = compareRows(metrics, ['a', 'b', 'c'], 'b');
    expect(rows[0]).toMatchObject({ label: 'ttft_ms p99', unit: 'ms', base: 60 });
    expect(rows[0].changes.a).toMatchObject({ verdict: 'better' });
    expect(rows[0].changes.a.relative).toBeCloseTo(-1 / 6, 12);
    expect(Object.keys(rows[0].changes)).toEqual(['a', 'c']);
    expect(rows.map((r) => r.differs)).toEqual([true, false, true]); // samples: missing in the base
    expect(rows[2].changes.a.verdict).toBe('none');
    expect(visibleRows(rows, true).map((r) => r.path)).toEqual(['performance.latency.ttft_ms.p99', 'results.t.samples']);
    expect(visibleRows(rows, false)).toHaveLength(3);
    expect(tally(rows, 'c')).toEqual({ better: 1, worse: 0, same: 1 });
  });

  it('flags changes past 10 % strongly and smaller ones weakly', () => {
    expect(significance(change(100, 111, true))).toBe('strong');
    expect(significance(change(100, 109, true))).toBe('weak');
    expect(significance(change(100, 100, true))).toBe('none');
    expect(significance(change(0, 1, true))).toBe('weak');
  });
});

describe('compare links and labels', () => {
  it('reads repeated pk= and comma-separated pks=, without duplicates', async () => {
    const { pksFromParams } = await import('./compare');
    expect(pksFromParams(new URLSearchParams('pk=a,1&pk=b&pks=c,d&pks=b'))).toEqual(['a,1', 'b', 'c', 'd']);
  });
  it('names runs by what tells them apart', async () => {
    const { runLabels } = await import('./compare');
    const r = (pk: string, b: string, m: string, t: string) => ({ pk, benchmark_name: b, model_id: m, timestamp: t });
    expect(runLabels([r('1', 'x', 'm', 'T1'), r('2', 'x', 'm', 'T2')], (t) => t)).toEqual({ 1: '#1 T1', 2: '#2 T2' });
    expect(runLabels([r('1', 'x', 'm', 'T1'), r('2', 'x', 'n', 'T2')], (t) => t)).toEqual({ 1: '#1 m T1', 2: '#2 n T2' });
  });
});
