/**
 * Client self-check. While a share runs: event-loop delay (perf_hooks.monitorEventLoopDelay) and this thread's CPU
 * (its own event loop's busy time, `performance.eventLoopUtilization`, so each worker thread is judged by itself).
 * After the run, `judge` compares what the client added to the measurement — dispatch delay (waiting for a socket,
 * connecting, a busy loop before the body left) and event-loop lag (reads handled late) — with the run's own TTFT and
 * ITL scale: a client that adds 1 ms is harmless at a 500 ms TTFT and decisive at 5 ms. The verdict's reasons are stored
 * in the result.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Distribution } from './metrics.ts';

/** Thresholds beyond which a run is marked unreliable. Fractions are of the run's own metric. */
export interface SelfCheckLimits {
  /** Mean event-loop delay, ms (absolute ceiling). */
  mean_lag_ms: number;
  /** 99th percentile event-loop delay, ms (absolute ceiling). */
  p99_lag_ms: number;
  /** Mean busy fraction of the event loop (its thread's share of one core). */
  cpu_fraction: number;
  /** Mean client dispatch delay as a fraction of mean TTFT. */
  dispatch_mean_of_ttft?: number;
  /** p99 client dispatch delay as a fraction of p99 TTFT. */
  dispatch_p99_of_ttft?: number;
  /** p99 event-loop lag as a fraction of p99 TTFT. */
  lag_p99_of_ttft?: number;
  /** p99 event-loop lag as a fraction of mean ITL (streams only). */
  lag_p99_of_itl?: number;
  /** Below this many ms nothing relative counts (timer and clock resolution). */
  floor_ms?: number;
}

export const DEFAULT_LIMITS: SelfCheckLimits = {
  mean_lag_ms: 1,
  p99_lag_ms: 10,
  cpu_fraction: 0.9,
  dispatch_mean_of_ttft: 0.01,
  dispatch_p99_of_ttft: 0.03,
  lag_p99_of_ttft: 0.03,
  lag_p99_of_itl: 0.2,
  floor_ms: 0.5,
};

/** What the self-check saw. */
export interface SelfCheckReport {
  event_loop_lag_ms: { mean: number; p50: number; p99: number; max: number };
  /** Mean busy fraction of this thread's event loop over the run (share of one core). */
  cpu_mean: number;
  /** Busiest one-second window. */
  cpu_peak: number;
  samples: number;
  /** Chunks read per CPU-second of the event loop (the client's efficiency). */
  chunks_per_cpu_s?: number;
  reliable: boolean;
  reasons: string[];
  limits: SelfCheckLimits;
}

/**
 * The lag histogram's timer period, ms. Each period wakes the loop: at 5 ms (the earlier value) an idle client burnt
 * ~20 ms of CPU per second on a loaded machine (issue 16 defect 7), at 20 ms ~3 ms. Delays are still measured to the
 * nanosecond; only the sampling is sparser (50 samples a second).
 */
const RESOLUTION_MS = 20;

/** Starts sampling; `stop(chunks)` returns the report (absolute limits only; `judge` adds the relative ones). */
export function startSelfCheck(limits: SelfCheckLimits = DEFAULT_LIMITS): { stop(chunks?: number): SelfCheckReport } {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  const e0 = performance.eventLoopUtilization();
  let last = e0;
  let peak = 0;
  let samples = 0;
  const iv = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const d = performance.eventLoopUtilization(now, last);
    if (d.utilization > peak) peak = d.utilization;
    samples++;
    last = now;
  }, 1000);
  iv.unref();
  return {
    stop(chunks = 0): SelfCheckReport {
      clearInterval(iv);
      h.disable();
      const e = performance.eventLoopUtilization(e0);
      const cpuMean = e.utilization;
      const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
      // the histogram counts the timer period itself; subtract it to get the lag
      const lag = {
        mean: Math.max(0, ms(h.mean) - RESOLUTION_MS),
        p50: Math.max(0, ms(h.percentile(50)) - RESOLUTION_MS),
        p99: Math.max(0, ms(h.percentile(99)) - RESOLUTION_MS),
        max: Math.max(0, ms(h.max) - RESOLUTION_MS),
      };
      if (h.count === 0) Object.assign(lag, { mean: 0, p50: 0, p99: 0, max: 0 });
      const reasons: string[] = [];
      if (lag.mean > limits.mean_lag_ms) reasons.push(`mean event-loop lag ${lag.mean.toFixed(2)} ms > ${limits.mean_lag_ms} ms`);
      if (lag.p99 > limits.p99_lag_ms) reasons.push(`p99 event-loop lag ${lag.p99.toFixed(2)} ms > ${limits.p99_lag_ms} ms`);
      if (cpuMean > limits.cpu_fraction) reasons.push(`client busy ${(cpuMean * 100).toFixed(0)} % of a core > ${limits.cpu_fraction * 100} %`);
      const busyS = e.active / 1000;
      return {
        event_loop_lag_ms: lag,
        cpu_mean: cpuMean,
        cpu_peak: Math.max(peak, samples ? 0 : cpuMean),
        samples,
        chunks_per_cpu_s: busyS > 0 ? chunks / busyS : 0,
        reliable: reasons.length === 0,
        reasons,
        limits,
      };
    },
  };
}

/** The run's own scale the relative limits are taken against (ms). */
export interface RunScale {
  ttft: Distribution;
  itl: Distribution;
  client_dispatch: Distribution;
  stream: boolean;
}

/** How much of the measurement the client itself made (reported beside the verdict). */
export interface ClientShare {
  /** Mean client dispatch delay as a share of mean TTFT. */
  dispatch_of_mean_ttft: number;
  /** p99 client dispatch delay as a share of p99 TTFT. */
  dispatch_of_p99_ttft: number;
  /** p99 event-loop lag as a share of p99 TTFT. */
  lag_of_p99_ttft: number;
  /** p99 event-loop lag as a share of mean ITL (0 without streaming). */
  lag_of_mean_itl: number;
  /** True when the client, not the server, limited the run (a reason below names why). */
  client_bound: boolean;
}

const pOf = (d: Distribution, p: number) => d.percentiles.find(([q]) => q === p)?.[1] ?? d.percentiles.at(-1)?.[1] ?? d.mean;

/**
 * Adds the relative verdict to a share's self-check (in place) and returns the client's share of the figures. `lag`
 * is the worst share's event-loop lag when several shares ran.
 */
export function judge(sc: SelfCheckReport, scale: RunScale): ClientShare {
  const l = { ...DEFAULT_LIMITS, ...sc.limits } as Required<SelfCheckLimits>;
  const f = (x: number, of: number) => (of > 0 ? x / of : 0);
  const dMean = scale.client_dispatch.mean;
  const dP99 = pOf(scale.client_dispatch, 99);
  const tMean = scale.ttft.mean;
  const tP99 = pOf(scale.ttft, 99);
  const itlMean = scale.itl.mean;
  const lagP99 = sc.event_loop_lag_ms.p99;
  const share: ClientShare = {
    dispatch_of_mean_ttft: f(dMean, tMean),
    dispatch_of_p99_ttft: f(dP99, tP99),
    lag_of_p99_ttft: f(lagP99, tP99),
    lag_of_mean_itl: scale.stream ? f(lagP99, itlMean) : 0,
    client_bound: false,
  };
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const add = (r: string) => {
    if (!sc.reasons.includes(r)) sc.reasons.push(r);
  };
  if (dMean > l.floor_ms && share.dispatch_of_mean_ttft > l.dispatch_mean_of_ttft)
    add(`client dispatch delay (socket wait, connect, busy loop) mean ${dMean.toFixed(2)} ms is ${pct(share.dispatch_of_mean_ttft)} of mean TTFT > ${pct(l.dispatch_mean_of_ttft)}`);
  if (dP99 > l.floor_ms && share.dispatch_of_p99_ttft > l.dispatch_p99_of_ttft)
    add(`client dispatch delay p99 ${dP99.toFixed(2)} ms is ${pct(share.dispatch_of_p99_ttft)} of p99 TTFT > ${pct(l.dispatch_p99_of_ttft)}`);
  if (lagP99 > l.floor_ms && share.lag_of_p99_ttft > l.lag_p99_of_ttft)
    add(`event-loop lag p99 ${lagP99.toFixed(2)} ms is ${pct(share.lag_of_p99_ttft)} of p99 TTFT > ${pct(l.lag_p99_of_ttft)}`);
  if (scale.stream && lagP99 > l.floor_ms && share.lag_of_mean_itl > l.lag_p99_of_itl)
    add(`event-loop lag p99 ${lagP99.toFixed(2)} ms is ${pct(share.lag_of_mean_itl)} of mean ITL > ${pct(l.lag_p99_of_itl)}`);
  sc.reliable = sc.reasons.length === 0;
  share.client_bound = !sc.reliable;
  return share;
}

/** Combines the shares' self-checks into the run's (worst lag, summed CPU, every reason). */
export function combineChecks(parts: SelfCheckReport[], reasons: string[]): SelfCheckReport {
  if (parts.length === 1) return { ...parts[0], reasons: [...parts[0].reasons], reliable: parts[0].reliable };
  const max = (f: (p: SelfCheckReport) => number) => Math.max(...parts.map(f));
  const sum = (f: (p: SelfCheckReport) => number) => parts.reduce((a, p) => a + f(p), 0);
  return {
    event_loop_lag_ms: { mean: max((p) => p.event_loop_lag_ms.mean), p50: max((p) => p.event_loop_lag_ms.p50), p99: max((p) => p.event_loop_lag_ms.p99), max: max((p) => p.event_loop_lag_ms.max) },
    cpu_mean: sum((p) => p.cpu_mean),
    cpu_peak: sum((p) => p.cpu_peak),
    samples: max((p) => p.samples),
    chunks_per_cpu_s: sum((p) => p.cpu_mean) > 0 ? sum((p) => (p.chunks_per_cpu_s ?? 0) * p.cpu_mean) / sum((p) => p.cpu_mean) : 0,
    reliable: reasons.length === 0,
    reasons,
    limits: parts[0].limits,
  };
}

