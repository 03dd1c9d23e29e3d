/**
 * A model's metric history as series, with the points where the regression rule of deploy/monitoring/alert-rules.yaml
 * would fire: the value is more than 10 % worse than the day before's average (`avg_over_time(x[1h]) < 0.9 *
 * avg_over_time(x[24h] offset 24h)`, mirrored to `> 1.1 ×` for metrics that are better low, such as p99 TTFT).
 *
 * The gauge the alert reads holds the latest run's value until the next run, so "the day before's average" is the
 * time-weighted average of that step function over [t − 48 h, t − 24 h] (the part of the window before the first
 * run does not count). The last hour's average is taken as the new point's value: the gauge holds it from then on,
 * and the alert waits (`for: 10m`) while it does.
 */
import { groupOfPath, higherIsBetter, rowLabel, type Group } from './metrics';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** How much worse than the day before fires the rule (10 %). */
export const REGRESSION_BOUND = 0.1;

/** A point of `GET /history`. */
export interface HistoryPoint {
  pk: string;
  run_id: string;
  benchmark_name: string;
  timestamp: string;
  path: string;
  task: string;
  filter?: string;
  stat: string;
  value: number;
}

export interface MarkedPoint extends HistoryPoint {
  t: number;
  /** The day before's average, or null when there was no value in that window. */
  baseline: number | null;
  /** (value − baseline) / |baseline|; null without a baseline. */
  change: number | null;
  /** The rule would fire at this point. */
  regression: boolean;
}

export interface Series {
  path: string;
  group: Group;
  label: string;
  metric: string;
  higherIsBetter: boolean;
  points: MarkedPoint[];
}

/** Time-weighted average over [from, to) of the step function that holds each point's value until the next point. */
export function stepAverage(points: readonly { t: number; value: number }[], from: number, to: number): number | null {
  let weighted = 0;
  let covered = 0;
  for (let i = 0; i < points.length; i++) {
    const start = Math.max(points[i].t, from);
    const end = Math.min(i + 1 < points.length ? points[i + 1].t : Infinity, to);
    if (end > start) {
      weighted += points[i].value * (end - start);
      covered += end - start;
    }
  }
  return covered > 0 ? weighted / covered : null;
}

/** Marks every point of one series (sorted by time) where the rule would fire. */
export function markRegressions(points: readonly { t: number; value: number }[], higher: boolean): { baseline: number | null; change: number | null; regression: boolean }[] {
  return points.map((p) => {
    const baseline = stepAverage(points, p.t - 2 * DAY, p.t - DAY);
    if (baseline === null) return { baseline, change: null, regression: false };
    const change = baseline === 0 ? null : (p.value - baseline) / Math.abs(baseline);
    const regression = higher ? p.value < (1 - REGRESSION_BOUND) * baseline : p.value > (1 + REGRESSION_BOUND) * baseline;
    return { baseline, change, regression };
  });
}

/** Splits history points into one series per metric path (in time order) and marks each series' regressions. */
export function seriesOf(points: readonly HistoryPoint[]): Series[] {
  const by = new Map<string, HistoryPoint[]>();
  for (const p of points) {
    const list = by.get(p.path) ?? [];
    list.push(p);
    by.set(p.path, list);
  }
  const out: Series[] = [];
  for (const [path, list] of by) {
    const sorted = list
      .map((p) => ({ ...p, t: Date.parse(p.timestamp) }))
      .filter((p) => Number.isFinite(p.t))
      .sort((a, b) => a.t - b.t || a.pk.localeCompare(b.pk));
    const group = groupOfPath(path);
    const first = sorted[0] ?? list[0];
    const metric = metricOfPath(path, group);
    const higher = higherIsBetter(group, metric, first.stat);
    const marks = markRegressions(sorted, higher);
    out.push({
      path,
      group,
      metric,
      label: rowLabel({ group, task: first.task, metric, filter: first.filter ?? '', stat: first.stat }),
      higherIsBetter: higher,
      points: sorted.map((p, i) => ({ ...p, ...marks[i] })),
    });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
}

/** The metric name in a path: `performance.latency.ttft_ms.p99` → `ttft_ms`; `results.gsm8k.exact_match,none` → `exact_match`. */
export function metricOfPath(path: string, group: Group): string {
  const parts = path.split('.');
  if (group === 'latency') return parts[2] ?? path;
  if (group === 'throughput' || group === 'summary') return parts.slice(2).join('.');
  return (parts[2] ?? parts[1] ?? path).split(',')[0];
}
