/**
 * A base → new comparison table from `GET /compare` (values of every metric per result): the change of each result
 * against the chosen base in %, classified by whether the metric is better higher or lower, and "differences only".
 * Deltas are computed here, against whichever result the reader picks as base (the route's are against its first pk).
 */
import { unitOf } from './format';
import { rowLabel, type Group } from './metrics';

/** One metric of the route's answer (the fields this table uses). */
export interface ComparedMetric {
  path: string;
  group: Group;
  task: string;
  metric: string;
  filter?: string;
  stat: string;
  higher_is_better: boolean;
  values: Record<string, number | null>;
}

/** better/worse by the metric's direction; `same` for no change; `none` when undirected (a detail) or not comparable. */
export type Verdict = 'better' | 'worse' | 'same' | 'none';

export interface Change {
  value: number | null;
  absolute: number | null;
  /** (value − base) / |base|; null when the base is 0 or either value is missing. */
  relative: number | null;
  verdict: Verdict;
}

export interface CompareRow {
  path: string;
  group: Group;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  /** False for a score's details (counts, times): they have no better direction. */
  directed: boolean;
  base: number | null;
  /** By pk, for every result but the base. */
  changes: Record<string, Change>;
  /** Some result differs from the base (a value changed, or is present in one and missing in the other). */
  differs: boolean;
}

/** The change of `value` against `base` for a metric. */
export function change(base: number | null, value: number | null, higherIsBetter: boolean, directed = true): Change {
  if (base === null || value === null) return { value, absolute: null, relative: null, verdict: 'none' };
  const absolute = value - base;
  const relative = base === 0 ? null : absolute / Math.abs(base);
  const verdict: Verdict = absolute === 0 ? 'same' : !directed ? 'none' : absolute > 0 === higherIsBetter ? 'better' : 'worse';
  return { value, absolute, relative, verdict };
}

/** The table rows of a comparison against `basePk` (every metric; `differencesOnly` to keep changed ones). */
export function compareRows(metrics: readonly ComparedMetric[], pks: readonly string[], basePk: string): CompareRow[] {
  const others = pks.filter((p) => p !== basePk);
  return metrics.map((m) => {
    const base = m.values[basePk] ?? null;
    // a score's count or time (stat `detail`) has no better direction
    const directed = m.stat !== 'detail';
    const changes: Record<string, Change> = {};
    for (const pk of others) changes[pk] = change(base, m.values[pk] ?? null, m.higher_is_better, directed);
    const differs = others.some((pk) => {
      const v = m.values[pk] ?? null;
      return (v === null) !== (base === null) || (v !== null && base !== null && v !== base);
    });
    return {
      path: m.path,
      group: m.group,
      label: rowLabel({ group: m.group, task: m.task, metric: m.metric, filter: m.filter ?? '', stat: m.stat }),
      unit: unitOf(m.group, m.metric),
      higherIsBetter: m.higher_is_better,
      directed,
      base,
      changes,
      differs,
    };
  });
}

/** The rows to show: all, or only those where some result differs from the base. */
export function visibleRows(rows: readonly CompareRow[], differencesOnly: boolean): CompareRow[] {
  return differencesOnly ? rows.filter((r) => r.differs) : [...rows];
}

/** How strongly a change is shown: past 10 % (the regression rule's bound) it is flagged, below it only tinted. */
export function significance(c: Change): 'strong' | 'weak' | 'none' {
  if (c.verdict !== 'better' && c.verdict !== 'worse') return 'none';
  return c.relative !== null && Math.abs(c.relative) > 0.1 ? 'strong' : 'weak';
}

/** Counts of better and worse metrics per result, for the summary line above the table. */
export function tally(rows: readonly CompareRow[], pk: string): { better: number; worse: number; same: number } {
  const t = { better: 0, worse: 0, same: 0 };
  for (const r of rows) {
    const v = r.changes[pk]?.verdict;
    if (v === 'better' || v === 'worse' || v === 'same') t[v]++;
  }
  return t;
}

/** Short names for the compared results (legends, column heads): what tells them apart, numbered in order. */
export function runLabels(results: readonly { pk: string; benchmark_name: string; model_id: string; timestamp: string }[], time: (iso: string) => string): Record<string, string> {
  const differ = (k: 'benchmark_name' | 'model_id') => new Set(results.map((r) => r[k])).size > 1;
  const [bench, model] = [differ('benchmark_name'), differ('model_id')];
  return Object.fromEntries(
    results.map((r, i) => [r.pk, [`#${i + 1}`, bench ? r.benchmark_name : '', model ? r.model_id : '', time(r.timestamp)].filter(Boolean).join(' ')]),
  );
}

/** The pks of a compare link: repeated `pk=` (a pk may hold a comma) and the comma-separated `pks=` other pages use. */
export function pksFromParams(p: URLSearchParams): string[] {
  const all = [...p.getAll('pk'), ...p.getAll('pks').flatMap((s) => s.split(','))].map((s) => s.trim()).filter(Boolean);
  return [...new Set(all)];
}
