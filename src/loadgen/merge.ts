/**
 * Exact merge of a run split over parts (worker threads of one process, or pods of an Indexed Job): the per-request
 * records of every part are put on one time axis and the metrics are computed once over their union, so the figures
 * are exactly those a single run over the same requests would give (percentiles included; no histogram error). Each
 * part's self-check is kept, and the merged verdict is reliable only when every part's is.
 */
import { calculateMetrics, type BenchmarkMetrics, type GoodputSlos, type RequestOutput } from './metrics.ts';
import { bundledTokenizer } from './tokenizer.ts';

/** One part of a run. Times in `outputs` are seconds from the part's own time zero. */
export interface RunPart {
  outputs: RequestOutput[];
  /** Seconds from the part's time zero to the end of its last request. */
  duration_s: number;
  /**
   * The part's time zero on a clock every part shares (Unix seconds, or performance.timeOrigin-based seconds for
   * threads of one process). Omitted: the parts share one time zero (0).
   */
  origin_s?: number;
  /** The part's self-check (a SelfCheckReport for our runners); kept as it is. */
  self_check?: { reliable?: boolean; reasons?: string[] } & Record<string, unknown>;
  /** Who ran the part (worker 2, pod 3) for the verdict's reasons. */
  label?: string;
}

/** What `mergeParts` returns: the union of the records on one axis, its metrics and every part's self-check. */
export interface MergedRun {
  /** Every part's records, times shifted to the earliest time zero, ordered by `index` when all have one. */
  outputs: RequestOutput[];
  /** From the earliest part's time zero to the latest part's end. */
  duration_s: number;
  metrics: BenchmarkMetrics;
  /** Each part's self-check with its label, in part order. */
  self_checks: Array<{ part: number; label: string; self_check: RunPart['self_check'] | null }>;
  /** False when any part's self-check was not reliable. */
  reliable: boolean;
  /** The failing parts' reasons, each prefixed with the part's label. */
  reasons: string[];
}

/** Options of the metric computation over the union (as for `calculateMetrics`). */
export interface MergeOptions {
  percentiles: readonly number[];
  /** Fallback token counter for records without usage and without `counted_output_tokens` (default: bundled). */
  countTokens?: (text: string) => number;
  slos?: GoodputSlos;
}

/** Merges parts exactly (see the module comment). Throws a RangeError when there are no parts. */
export function mergeParts(parts: readonly RunPart[], opts: MergeOptions): MergedRun {
  if (!parts.length) throw new RangeError('mergeParts: no parts');
  const zero = Math.min(...parts.map((p) => p.origin_s ?? 0));
  const outputs: RequestOutput[] = [];
  let end = 0;
  for (const p of parts) {
    const shift = (p.origin_s ?? 0) - zero;
    end = Math.max(end, shift + p.duration_s);
    for (const o of p.outputs) {
      outputs.push(
        shift === 0
          ? o
          : {
              ...o,
              start_time: o.start_time + shift,
              scheduled_time: o.scheduled_time + shift,
              ...(o.sent_time !== undefined ? { sent_time: o.sent_time + shift } : {}),
            },
      );
    }
  }
  if (!byIndex(outputs)) {
    if (outputs.every((o) => o.index !== undefined)) outputs.sort((a, b) => a.index! - b.index!);
    else outputs.sort((a, b) => a.scheduled_time - b.scheduled_time || a.start_time - b.start_time);
  }
  const tok = opts.countTokens ?? ((s: string) => bundledTokenizer().count(s));
  const metrics = calculateMetrics(outputs, end, opts.percentiles, tok, opts.slos);
  const reasons: string[] = [];
  const self_checks = parts.map((p, i) => {
    const label = p.label ?? `part ${i}`;
    if (p.self_check && p.self_check.reliable === false) {
      const rs = p.self_check.reasons?.length ? p.self_check.reasons : ['not reliable'];
      for (const r of rs) reasons.push(`${label}: ${r}`);
    }
    return { part: i, label, self_check: p.self_check ?? null };
  });
  return { outputs, duration_s: end, metrics, self_checks, reliable: reasons.length === 0, reasons };
}

/**
 * Puts outputs with distinct integer indexes in index order by placing each in its slot (no comparator sort: a run's
 * records arrive in completion order, ~100k of them in a short non-streaming run). False, untouched, when the indexes
 * are missing, repeated or too sparse for slots; the caller sorts then.
 */
function byIndex(outputs: RequestOutput[]): boolean {
  const n = outputs.length;
  if (n === 0) return true;
  let lo = Infinity;
  let hi = -Infinity;
  for (const o of outputs) {
    const i = o.index;
    if (i === undefined || !Number.isInteger(i)) return false;
    if (i < lo) lo = i;
    if (i > hi) hi = i;
  }
  const span = hi - lo + 1;
  if (span > 4 * n + 1024) return false;
  const slots = new Array<RequestOutput | undefined>(span).fill(undefined);
  for (const o of outputs) {
    const k = o.index! - lo;
    if (slots[k] !== undefined) return false;
    slots[k] = o;
  }
  let w = 0;
  for (let k = 0; k < span; k++) if (slots[k] !== undefined) outputs[w++] = slots[k]!;
  return true;
}
