/**
 * Client self-check: event-loop delay (perf_hooks.monitorEventLoopDelay) and process CPU (process.cpuUsage) sampled
 * during a run. When the client is the bottleneck its timestamps are late, so the run is marked unreliable.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** Thresholds beyond which a run is marked unreliable. */
export interface SelfCheckLimits {
  /** Mean event-loop delay, ms. */
  mean_lag_ms: number;
  /** 99th percentile event-loop delay, ms. */
  p99_lag_ms: number;
  /** Busiest 1-second CPU window, fraction of one core. */
  cpu_fraction: number;
}

export const DEFAULT_LIMITS: SelfCheckLimits = { mean_lag_ms: 1, p99_lag_ms: 10, cpu_fraction: 0.9 };

/** What the self-check saw. */
export interface SelfCheckReport {
  event_loop_lag_ms: { mean: number; p50: number; p99: number; max: number };
  /** Mean CPU over the run, fraction of one core (all threads of this process). */
  cpu_mean: number;
  /** Busiest one-second window. */
  cpu_peak: number;
  samples: number;
  reliable: boolean;
  reasons: string[];
  limits: SelfCheckLimits;
}

/** Starts sampling; `stop()` returns the report. */
export function startSelfCheck(limits: SelfCheckLimits = DEFAULT_LIMITS): { stop(): SelfCheckReport } {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let lastT = t0;
  let lastC = c0;
  let peak = 0;
  let samples = 0;
  const iv = setInterval(() => {
    const t = performance.now();
    const c = process.cpuUsage();
    const frac = (c.user - lastC.user + c.system - lastC.system) / 1000 / (t - lastT);
    if (frac > peak) peak = frac;
    samples++;
    lastT = t;
    lastC = c;
  }, 1000);
  iv.unref();
  return {
    stop(): SelfCheckReport {
      clearInterval(iv);
      h.disable();
      const t = performance.now();
      const c = process.cpuUsage(c0);
      const cpuMean = (c.user + c.system) / 1000 / Math.max(1, t - t0);
      const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
      // the histogram counts the timer resolution itself; subtract it to get the lag
      const res = 5;
      const lag = {
        mean: Math.max(0, ms(h.mean) - res),
        p50: Math.max(0, ms(h.percentile(50)) - res),
        p99: Math.max(0, ms(h.percentile(99)) - res),
        max: Math.max(0, ms(h.max) - res),
      };
      if (h.count === 0) Object.assign(lag, { mean: 0, p50: 0, p99: 0, max: 0 });
      const reasons: string[] = [];
      if (lag.mean > limits.mean_lag_ms) reasons.push(`mean event-loop lag ${lag.mean.toFixed(2)} ms > ${limits.mean_lag_ms} ms`);
      if (lag.p99 > limits.p99_lag_ms) reasons.push(`p99 event-loop lag ${lag.p99.toFixed(2)} ms > ${limits.p99_lag_ms} ms`);
      if (cpuMean > limits.cpu_fraction) reasons.push(`client CPU ${(cpuMean * 100).toFixed(0)} % of a core > ${limits.cpu_fraction * 100} %`);
      return {
        event_loop_lag_ms: lag,
        cpu_mean: cpuMean,
        cpu_peak: Math.max(peak, samples ? 0 : cpuMean),
        samples,
        reliable: reasons.length === 0,
        reasons,
        limits,
      };
    },
  };
}
