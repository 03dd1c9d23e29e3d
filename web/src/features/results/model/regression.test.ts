import { describe, expect, it } from 'vitest';
import { DAY, HOUR, markRegressions, metricOfPath, seriesOf, stepAverage, type HistoryPoint } from './regression';

const T0 = Date.parse('2026-01-10T00:00:00Z');
const pt = (t: number, value: number, path = 'performance.throughput.output_throughput', stat = ''): HistoryPoint => ({
  pk: `pk-${t}`,
  run_id: `r-${t}`,
  benchmark_name: 'b',
  timestamp: new Date(t).toISOString(),
  path,
  task: 'b',
  stat,
  value,
});

describe('the regression rule over a history', () => {
  it('averages the step function over a window, ignoring time before the first point', () => {
    const pts = [{ t: 0, value: 10 }, { t: 10, value: 20 }];
    expect(stepAverage(pts, 0, 20)).toBe(15);
    expect(stepAverage(pts, -100, 10)).toBe(10);
    expect(stepAverage(pts, 5, 30)).toBeCloseTo((5 * 10 + 20 * 20) / 25, 12);
    expect(stepAverage(pts, -20, -10)).toBeNull();
  });

  it('fires when a higher-is-better value falls more than 10 % below the day before, not at 10 % or within a day', () => {
    const pts = [
      { t: T0, value: 100 },
      { t: T0 + 2 * HOUR, value: 95 }, // same day: nothing the day before
      { t: T0 + DAY + 2 * HOUR, value: 91 }, // the day before held 100 (2 h of it): −9 %, no
      { t: T0 + 3 * DAY, value: 100 }, // the day before: 95 for 2 h, 91 for 22 h
      { t: T0 + 4 * DAY + HOUR, value: 80 }, // 91 for 23 h, 100 for 1 h → 91.375: −12.4 % fires
      { t: T0 + 5 * DAY + 2 * HOUR, value: 89.2 }, // 100 for 23 h, 80 for 1 h → 99.17: −10.05 % fires
    ];
    const m = markRegressions(pts, true);
    expect(m.map((x) => x.regression)).toEqual([false, false, false, false, true, true]);
    expect(m[0].baseline).toBeNull();
    expect(m[1].baseline).toBeNull();
    expect(m[2].baseline).toBe(100);
    expect(m[3].baseline).toBeCloseTo((95 * 2 + 91 * 22) / 24, 9);
    expect(m[4].change).toBeCloseTo(80 / ((91 * 23 + 100) / 24) - 1, 9);
    // exactly 10 % below does not fire (the rule is a strict <)
    expect(markRegressions([{ t: 0, value: 100 }, { t: DAY + HOUR, value: 90 }], true)[1].regression).toBe(false);
  });

  it('fires for a lower-is-better metric when it grows more than 10 %', () => {
    const m = markRegressions([{ t: T0, value: 50 }, { t: T0 + DAY + HOUR, value: 56 }, { t: T0 + 2 * DAY + 2 * HOUR, value: 54 }], false);
    // the third: the day before held 50 for 23 h and 56 for 1 h (50.25), so 54 is +7.5 %
    expect(m.map((x) => x.regression)).toEqual([false, true, false]);
  });

  it('splits points into series by path, in time order, with the metric’s direction', () => {
    const s = seriesOf([
      pt(T0 + DAY + HOUR, 70, 'performance.latency.ttft_ms.p99', 'p99'),
      pt(T0 + DAY + HOUR, 150),
      pt(T0, 200),
      pt(T0, 50, 'performance.latency.ttft_ms.p99', 'p99'),
    ]);
    expect(s.map((x) => [x.path, x.label, x.higherIsBetter])).toEqual([
      ['performance.latency.ttft_ms.p99', 'ttft_ms p99', false],
      ['performance.throughput.output_throughput', 'output_throughput', true],
    ]);
    expect(s[1].points.map((p) => p.value)).toEqual([200, 150]);
    expect(s.map((x) => x.points[1].regression)).toEqual([true, true]);
    expect(metricOfPath('results.gsm8k.exact_match,none', 'score')).toBe('exact_match');
  });
});
