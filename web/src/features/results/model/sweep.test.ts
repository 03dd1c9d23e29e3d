import { describe, expect, it } from 'vitest';
import type { Step } from './document';
import { kneeOf, sweepAxis, sweepOf } from './sweep';

const step = (name: string, config: Record<string, unknown>, tput: number, p99: number, extra: Record<string, number> = {}): Step => ({
  name,
  config,
  summary: {},
  throughput: { output_throughput: tput, request_throughput: tput / 100, ...extra },
  latency: { e2el_ms: { p99 }, ttft_ms: { p99: p99 / 10 } },
  reliability: { state: 'unknown', reasons: [] },
});

describe('sweeps', () => {
  it('finds the knee where throughput stops growing and latency starts to', () => {
    // throughput rises to 400 by concurrency 8 while p99 barely moves, then latency explodes for little more
    const steps = [step('c1', { max_concurrency: 1 }, 100, 1000), step('c2', { max_concurrency: 2 }, 200, 1010), step('c4', { max_concurrency: 4 }, 350, 1050), step('c8', { max_concurrency: 8 }, 400, 1400), step('c16', { max_concurrency: 16 }, 410, 3000)];
    const s = sweepOf([...steps].reverse())!;
    expect(s.axis).toBe('max_concurrency');
    expect(s.points.map((p) => p.load)).toEqual([1, 2, 4, 8, 16]);
    expect(s.points[s.knee!].step).toBe('c4');
  });

  it('has no knee with fewer than three points or a straight curve', () => {
    expect(kneeOf([[1, 1], [2, 2]])).toBeNull();
    expect(kneeOf([[1, 1], [2, 2], [3, 3]])).toBeNull(); // latency grows as fast as throughput: best point is an end
    expect(kneeOf([[1, 1], [2, 1], [3, 1]])).toBeNull(); // flat latency: not saturated yet
    expect(kneeOf([[1, 1], [null, 5], [3, 1.1], [3.1, 9]])).toBe(2);
  });

  it('chooses the axis the steps differ on, and is no sweep when they do not', () => {
    expect(sweepAxis([step('a', { max_concurrency: 1, request_rate: 2 }, 1, 1), step('b', { max_concurrency: 1, request_rate: 4 }, 1, 1)])).toBe('request_rate');
    expect(sweepAxis([step('a', {}, 1, 1, { mean_concurrency: 1 }), step('b', {}, 1, 1, { mean_concurrency: 7.5 })])).toBe('measured_concurrency');
    expect(sweepOf([step('a', { max_concurrency: 1 }, 1, 1), step('b', { max_concurrency: 1 }, 2, 2)])).toBeNull();
    expect(sweepOf([step('a', { max_concurrency: 1 }, 1, 1)])).toBeNull();
  });

  it('picks the latency the caller asks for and carries goodput when there is one', () => {
    const s = sweepOf([step('a', { request_rate: 1 }, 100, 500, { request_goodput: 0.9 }), step('b', { request_rate: 2 }, 180, 800)], 'ttft_ms', 'p99')!;
    expect(s.points.map((p) => [p.latency, p.goodput])).toEqual([
      [50, 0.9],
      [80, null],
    ]);
  });
});
