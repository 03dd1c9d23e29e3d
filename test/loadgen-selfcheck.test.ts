/**
 * The self-check's verdict against the run's own scale (issue 16 defect 6): what the client added — dispatch delay
 * (socket wait, connect, busy loop) and event-loop lag — judged as shares of the run's TTFT and ITL, with the reasons
 * kept. Pure: hand-built distributions, no timing.
 */
import { describe, expect, it } from 'vitest';
import { clientWord } from '../src/cli/bench.ts';
import type { Distribution } from '../src/loadgen/metrics.ts';
import { DEFAULT_LIMITS, judge, type SelfCheckReport } from '../src/loadgen/selfcheck.ts';

const dist = (mean: number, p99: number): Distribution => ({ mean, median: mean, std: 0, percentiles: [[50, mean], [99, p99]] });
const sc = (lagP99 = 0.1): SelfCheckReport => ({
  event_loop_lag_ms: { mean: lagP99 / 4, p50: lagP99 / 8, p99: lagP99, max: lagP99 },
  cpu_mean: 0.3,
  cpu_peak: 0.4,
  samples: 10,
  reliable: true,
  reasons: [],
  limits: DEFAULT_LIMITS,
});

describe('judge', () => {
  it('the issue\'s 256-stream case: 8.5 ms of dispatch delay on a 50 ms TTFT is red, with the reason', () => {
    const s = sc();
    const share = judge(s, { ttft: dist(58.5, 110), itl: dist(10, 12), client_dispatch: dist(8.5, 46), stream: true });
    expect(s.reliable).toBe(false);
    expect(share.client_bound).toBe(true);
    expect(share.dispatch_of_mean_ttft).toBeCloseTo(8.5 / 58.5, 9);
    expect(s.reasons.join('; ')).toMatch(/dispatch delay .*mean 8\.50 ms is 14\.5 % of mean TTFT/);
    expect(s.reasons.join('; ')).toMatch(/dispatch delay p99 46\.00 ms/);
  });

  it('the same client delays are harmless against a long TTFT, and below the floor nothing relative counts', () => {
    const long = sc();
    judge(long, { ttft: dist(5000, 8000), itl: dist(50, 60), client_dispatch: dist(8.5, 46), stream: true });
    expect(long.reliable).toBe(true);
    expect(long.reasons).toEqual([]);
    // 0.3 ms is 6 % of a 5 ms TTFT, but under the 0.5 ms floor (clock and timer resolution)
    const tiny = sc();
    judge(tiny, { ttft: dist(5, 6), itl: dist(1, 1.2), client_dispatch: dist(0.3, 0.4), stream: true });
    expect(tiny.reliable).toBe(true);
  });

  it('event-loop lag is judged against p99 TTFT and mean ITL; ITL only for streams', () => {
    const s = sc(3);
    const share = judge(s, { ttft: dist(500, 600), itl: dist(10, 12), client_dispatch: dist(0, 0), stream: true });
    expect(share.lag_of_mean_itl).toBeCloseTo(0.3, 9);
    expect(s.reliable).toBe(false);
    expect(s.reasons).toEqual(['event-loop lag p99 3.00 ms is 30.0 % of mean ITL > 20.0 %']);
    const ns = sc(3);
    judge(ns, { ttft: dist(500, 600), itl: dist(0, 0), client_dispatch: dist(0, 0), stream: false });
    expect(ns.reliable).toBe(true);
  });

  it('keeps the absolute reasons it already had, and limits are configurable', () => {
    const s = { ...sc(), reliable: false, reasons: ['client busy 95 % of a core > 90 %'] };
    judge(s, { ttft: dist(50, 60), itl: dist(10, 12), client_dispatch: dist(0, 0), stream: true });
    expect(s.reliable).toBe(false);
    expect(s.reasons).toEqual(['client busy 95 % of a core > 90 %']);
    const loose = { ...sc(), limits: { ...DEFAULT_LIMITS, dispatch_mean_of_ttft: 0.5, dispatch_p99_of_ttft: 0.5 } };
    judge(loose, { ttft: dist(58.5, 110), itl: dist(10, 12), client_dispatch: dist(8.5, 46), stream: true });
    expect(loose.reliable).toBe(true);
  });
});

describe('the progress bar\'s client word', () => {
  it('says CLIENT-BOUND when the client\'s loop is busy 90 % or more, with its share', () => {
    expect(clientWord(undefined)).toBe('-');
    expect(clientWord(0.42)).toBe('42 % busy');
    expect(clientWord(0.97)).toBe('97 % busy CLIENT-BOUND (add --workers)');
  });
});
