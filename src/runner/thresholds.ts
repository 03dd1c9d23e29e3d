/** Pass/fail checks of a run's numbers against configured limits (performance thresholds and task score minimums). */
import type { Threshold } from './perf-config.ts';
import type { TaskThreshold } from './task-config.ts';

export interface ThresholdCheck {
  name: string;
  /** The scenario or task checked. */
  scope: string;
  metric: string;
  op: 'max' | 'min';
  limit: number;
  value: number | null;
  passed: boolean;
}

/** Checks one scenario's flat metrics (`p95_ttft_ms`, `output_throughput`, `success_rate`…). A missing value fails. */
export function checkPerf(scope: string, metrics: Record<string, number | undefined>, thresholds: Threshold[]): ThresholdCheck[] {
  return thresholds.map((t) => {
    const v = metrics[t.metric];
    const value = v === undefined || !Number.isFinite(v) ? null : v;
    const passed = value !== null && (t.op === 'max' ? value <= t.value : value >= t.value);
    return { name: t.key, scope, metric: t.metric, op: t.op, limit: t.value, value, passed };
  });
}

/** Checks task scores: a threshold without a task applies to every task that reports the metric. */
export function checkTasks(results: Record<string, Record<string, number>>, thresholds: TaskThreshold[]): ThresholdCheck[] {
  const out: ThresholdCheck[] = [];
  for (const t of thresholds) {
    const tasks = t.task ? [t.task] : Object.keys(results).filter((k) => t.metric in results[k]);
    if (!tasks.length) out.push({ name: t.key, scope: '*', metric: t.metric, op: t.op, limit: t.value, value: null, passed: false });
    for (const task of tasks) {
      const v = results[task]?.[t.metric];
      const value = v === undefined ? null : v;
      const passed = value !== null && (t.op === 'max' ? value <= t.value : value >= t.value);
      out.push({ name: t.key, scope: task, metric: t.metric, op: t.op, limit: t.value, value, passed });
    }
  }
  return out;
}
