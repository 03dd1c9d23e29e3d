/**
 * Request arrival schedules, as in vLLM bench serve: an infinite rate sends everything at once; otherwise gaps are
 * Gamma(shape = burstiness, scale = 1/(rate·burstiness)) (burstiness 1 = Poisson), or constant; ramp-up changes the
 * rate linearly or exponentially from `ramp_up_start_rps` to `ramp_up_end_rps` over the run. Unlike vLLM we do not
 * rescale the drawn gaps to hit N/rate exactly, so the process keeps its statistical shape.
 */
import { Rng } from './rng.ts';

/** Load shape options (vLLM flag names). */
export interface ScheduleOptions {
  /** Requests per second; Infinity (default) sends all at once. */
  request_rate?: number;
  /** Gamma shape: 1 = Poisson, < 1 burstier, > 1 more regular. */
  burstiness?: number;
  /** `gamma` (default; Poisson when burstiness is 1) or `constant` (evenly spaced). */
  arrival_process?: 'gamma' | 'poisson' | 'constant';
  ramp_up_strategy?: 'linear' | 'exponential';
  ramp_up_start_rps?: number;
  ramp_up_end_rps?: number;
  seed?: number;
}

/** Validates schedule options; throws a RangeError naming the option. */
export function checkSchedule(o: ScheduleOptions): void {
  const rate = o.request_rate ?? Infinity;
  if (!(rate > 0)) throw new RangeError('request_rate must be > 0 (or inf)');
  if (!((o.burstiness ?? 1) > 0)) throw new RangeError('burstiness must be > 0');
  if (o.ramp_up_strategy) {
    const s = o.ramp_up_start_rps;
    const e = o.ramp_up_end_rps;
    if (s === undefined || e === undefined) throw new RangeError('ramp_up_strategy needs ramp_up_start_rps and ramp_up_end_rps');
    if (!(e > 0) || !(s >= 0)) throw new RangeError('ramp_up_start_rps must be ≥ 0 and ramp_up_end_rps > 0');
    if (o.ramp_up_strategy === 'exponential' && !(s > 0)) throw new RangeError('exponential ramp-up needs ramp_up_start_rps > 0');
  }
}

/** The rate in force at a point of the run, `progress` in [0, 1]. */
export function rateAt(o: ScheduleOptions, progress: number): number {
  if (!o.ramp_up_strategy) return o.request_rate ?? Infinity;
  const s = o.ramp_up_start_rps!;
  const e = o.ramp_up_end_rps!;
  const p = Math.min(1, Math.max(0, progress));
  return o.ramp_up_strategy === 'linear' ? s + (e - s) * p : s * Math.pow(e / s, p);
}

/**
 * Cumulative send times in seconds from the run start. `total` (request count) or `durationS` defines ramp-up
 * progress; without either, progress stays 0.
 */
export function* arrivalTimes(o: ScheduleOptions, total?: number, durationS?: number): Generator<number> {
  checkSchedule(o);
  const rng = new Rng((o.seed ?? 0) ^ 0x2545f491);
  const b = o.burstiness ?? 1;
  const process = o.arrival_process ?? 'gamma';
  let t = 0;
  for (let i = 0; ; i++) {
    const progress = total !== undefined ? i / Math.max(total - 1, 1) : durationS ? t / durationS : 0;
    let rate = rateAt(o, progress);
    if (rate === 0) rate = 1e-3; // linear ramp starting at 0: the first gap is long but finite
    if (i > 0) {
      if (rate === Infinity) t += 0;
      else if (process === 'constant') t += 1 / rate;
      else if (process === 'poisson') t += rng.exponential(1 / rate);
      else t += rng.gamma(b, 1 / (rate * b));
    }
    yield t;
  }
}
