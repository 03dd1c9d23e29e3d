/**
 * CSV exports of a result, a comparison and a history (RFC 4180: comma-separated, CRLF, fields quoted when they hold
 * a comma, quote or line break). Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` before text)
 * get a leading apostrophe, since metric and task names come from user-written configs. Numbers are written in full
 * precision: the CSV is for computing, the tables are for reading.
 */
import type { CompareRow } from './compare';
import type { Row } from './metrics';
import type { RequestRecord } from './requests';
import type { Series } from './regression';

type Cell = string | number | boolean | null | undefined;

/** One CSV field. */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV document from a header and rows. */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** A result's metric rows: one line per number. */
export function resultCsv(pk: string, rows: readonly Row[], unit: (r: Row) => string): string {
  return toCsv(
    ['pk', 'group', 'task', 'metric', 'filter', 'stat', 'value', 'unit', 'path'],
    rows.map((r) => [pk, r.group, r.task, r.metric, r.filter, r.stat, r.value, unit(r), r.path]),
  );
}

/** A result's per-request records. */
export function requestsCsv(pk: string, records: readonly RequestRecord[]): string {
  return toCsv(
    ['pk', 'scenario', 'start_s', 'ok', 'ttft_ms', 'e2el_ms', 'itl_ms', 'output_tokens', 'error'],
    records.map((r) => [pk, r.scenario, r.start_s, r.ok, r.ttft_ms, r.e2el_ms, r.itl_ms, r.output_tokens, r.error]),
  );
}

/** A comparison: the base value and, per other result, its value and change (absolute, %). */
export function compareCsv(rows: readonly CompareRow[], basePk: string, others: readonly string[]): string {
  const header = ['metric', 'group', 'unit', 'higher_is_better', `base ${basePk}`];
  for (const pk of others) header.push(pk, `${pk} change`, `${pk} change %`, `${pk} verdict`);
  return toCsv(
    header,
    rows.map((r) => {
      const cells: Cell[] = [r.label, r.group, r.unit, r.higherIsBetter, r.base];
      for (const pk of others) {
        const c = r.changes[pk];
        cells.push(c?.value ?? null, c?.absolute ?? null, c?.relative === null || c?.relative === undefined ? null : c.relative * 100, c?.verdict ?? '');
      }
      return cells;
    }),
  );
}

/** A history: one line per point of every series, with the day before's average and whether the rule fires. */
export function historyCsv(modelId: string, series: readonly Series[]): string {
  return toCsv(
    ['model_id', 'metric', 'path', 'timestamp', 'pk', 'run_id', 'value', 'day_before_avg', 'change %', 'regression'],
    series.flatMap((s) =>
      s.points.map((p) => [modelId, s.label, s.path, p.timestamp, p.pk, p.run_id, p.value, p.baseline, p.change === null ? null : p.change * 100, p.regression]),
    ),
  );
}
