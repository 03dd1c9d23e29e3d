/** Sweeps (one run per concurrency or rate) and the SLO search (largest request rate whose run meets the SLOs). */
import type { GoodputSlos } from './metrics.ts';
import type { BenchmarkReport } from './report.ts';
import { runBenchmark, type BenchmarkHooks, type BenchmarkOptions } from './runner.ts';

/** Runs the benchmark once per value of `max_concurrency` or `request_rate`. */
export async function runSweep(
  base: BenchmarkOptions,
  sweep: { max_concurrency?: number[]; request_rate?: number[] },
  hooks: BenchmarkHooks = {},
  run: (o: BenchmarkOptions, h: BenchmarkHooks) => Promise<BenchmarkReport> = runBenchmark,
): Promise<BenchmarkReport[]> {
  const out: BenchmarkReport[] = [];
  const conc = sweep.max_concurrency ?? [];
  const rates = sweep.request_rate ?? [];
  if (conc.length && rates.length) throw new RangeError('sweep over max_concurrency or request_rate, not both');
  for (const c of conc) {
    if (hooks.signal?.aborted) break;
    out.push(await run({ ...base, max_concurrency: c }, hooks));
  }
  for (const r of rates) {
    if (hooks.signal?.aborted) break;
    out.push(await run({ ...base, request_rate: r }, hooks));
  }
  return out;
}

/** Options of the SLO search. */
export interface SloSearchOptions {
  slos: GoodputSlos;
  /** Fraction of requests that must meet every SLO (default 0.9). */
  attainment?: number;
  min_rate?: number;
  max_rate?: number;
  /** Runs to spend (default 6). */
  max_runs?: number;
}

/** Whether a report meets the SLOs: no failures and goodput/throughput ≥ attainment. */
export function meetsSlos(r: BenchmarkReport, attainment: number): boolean {
  if (r.failed > 0 || !r.request_goodput || !r.request_throughput) return false;
  return r.request_goodput / r.request_throughput >= attainment;
}

/** Bisects (geometrically) for the largest request rate that meets the SLOs; returns it (0 if none) and the runs. */
export async function searchRate(
  base: BenchmarkOptions,
  o: SloSearchOptions,
  hooks: BenchmarkHooks = {},
  run: (o: BenchmarkOptions, h: BenchmarkHooks) => Promise<BenchmarkReport> = runBenchmark,
): Promise<{ rate: number; runs: BenchmarkReport[] }> {
  const attainment = o.attainment ?? 0.9;
  let lo = o.min_rate ?? 0.5;
  let hi = o.max_rate ?? 64;
  if (!(lo > 0 && hi > lo)) throw new RangeError('need 0 < min_rate < max_rate');
  const runs: BenchmarkReport[] = [];
  const trial = async (rate: number) => {
    const r = await run({ ...base, request_rate: rate, goodput: o.slos }, hooks);
    runs.push(r);
    return meetsSlos(r, attainment);
  };
  let budget = o.max_runs ?? 6;
  if (!(await trial(lo))) return { rate: 0, runs };
  budget--;
  if (budget > 0 && (await trial(hi))) return { rate: hi, runs };
  budget--;
  while (budget-- > 0) {
    const mid = Math.sqrt(lo * hi);
    if (await trial(mid)) lo = mid;
    else hi = mid;
  }
  return { rate: lo, runs };
}
