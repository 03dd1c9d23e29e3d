/** Arrival schedules: Poisson/Gamma statistics for a fixed seed, constant spacing, ramp-up, and the real dispatcher. */
import { describe, expect, it } from 'vitest';
import { arrivalTimes, rateAt, runBenchmark } from '../src/loadgen/index.ts';
import { startEmulatedServer } from '../src/simulator/index.ts';

function gaps(o: Parameters<typeof arrivalTimes>[0], n: number): number[] {
  const it = arrivalTimes(o, n);
  const t = Array.from({ length: n }, () => it.next().value as number);
  return t.slice(1).map((x, i) => x - t[i]);
}
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const cv = (a: number[]) => {
  const m = mean(a);
  return Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length) / m;
};

describe('arrival schedules', () => {
  it('Poisson: mean gap 1/rate and coefficient of variation 1 within statistical bounds', () => {
    const n = 20_001;
    const g = gaps({ request_rate: 50, seed: 42 }, n);
    // standard error of the mean of 20k exponential gaps is 0.7 %: allow 4 sigma
    expect(mean(g)).toBeGreaterThan((1 / 50) * 0.972);
    expect(mean(g)).toBeLessThan((1 / 50) * 1.028);
    expect(cv(g)).toBeGreaterThan(0.96);
    expect(cv(g)).toBeLessThan(1.04);
    // counts per 1 s window: index of dispersion (variance/mean) ≈ 1 for a Poisson process
    const it = arrivalTimes({ request_rate: 50, seed: 42 }, n);
    const counts = new Array(400).fill(0);
    for (let i = 0; i < n; i++) {
      const t = it.next().value as number;
      if (t < 400) counts[Math.floor(t)]++;
    }
    const m = mean(counts);
    const dispersion = counts.reduce((s, x) => s + (x - m) ** 2, 0) / counts.length / m;
    expect(dispersion).toBeGreaterThan(0.8);
    expect(dispersion).toBeLessThan(1.2);
  });

  it('Gamma burstiness changes dispersion, not the mean rate', () => {
    const bursty = gaps({ request_rate: 20, burstiness: 0.25, seed: 1 }, 20_001);
    const smooth = gaps({ request_rate: 20, burstiness: 4, seed: 1 }, 20_001);
    expect(mean(bursty)).toBeCloseTo(0.05, 2);
    expect(mean(smooth)).toBeCloseTo(0.05, 2);
    expect(cv(bursty)).toBeGreaterThan(1.8); // CV = 1/sqrt(shape) = 2
    expect(cv(bursty)).toBeLessThan(2.2);
    expect(cv(smooth)).toBeGreaterThan(0.45); // 0.5
    expect(cv(smooth)).toBeLessThan(0.55);
  });

  it('is reproducible for a seed and differs across seeds; constant and infinite rates', () => {
    expect(gaps({ request_rate: 5, seed: 3 }, 50)).toEqual(gaps({ request_rate: 5, seed: 3 }, 50));
    expect(gaps({ request_rate: 5, seed: 3 }, 50)).not.toEqual(gaps({ request_rate: 5, seed: 4 }, 50));
    for (const g of gaps({ request_rate: 8, arrival_process: 'constant' }, 20)) expect(g).toBeCloseTo(0.125, 10);
    expect(gaps({}, 10).every((g) => g === 0)).toBe(true);
  });

  it('ramp-up goes from the start to the end rate', () => {
    const o = { ramp_up_strategy: 'linear' as const, ramp_up_start_rps: 2, ramp_up_end_rps: 10 };
    expect(rateAt(o, 0)).toBe(2);
    expect(rateAt(o, 0.5)).toBe(6);
    expect(rateAt({ ...o, ramp_up_strategy: 'exponential' }, 0.5)).toBeCloseTo(Math.sqrt(20));
    const g = gaps({ ...o, seed: 9 }, 4001);
    expect(mean(g.slice(0, 400))).toBeGreaterThan(mean(g.slice(-400)) * 2.5); // early gaps ≈ 1/2.4 s, late ≈ 1/9.6 s
    expect(() => gaps({ ramp_up_strategy: 'linear' }, 2)).toThrow(/ramp_up_start_rps/);
  });

  it('the dispatcher sends on schedule and reports client queue time when concurrency is the limit', async () => {
    const s = await startEmulatedServer({ profile: { ttft_ms: 5, itl_ms: 5 } });
    try {
      const paced = await runBenchmark({ base_url: s.url, num_prompts: 20, request_rate: 40, arrival_process: 'constant', random_input_len: 8, random_output_len: 2, tokenizer: 'bundled' });
      const starts = paced.requests!.map((q) => q.scheduled_time);
      expect(starts[19] - starts[0]).toBeCloseTo(19 / 40, 5);
      // never early, and in schedule order (lateness is a matter of the machine's load: not asserted)
      for (const q of paced.requests!) expect(q.start_time).toBeGreaterThanOrEqual(q.scheduled_time);
      for (let i = 1; i < 20; i++) expect(paced.requests![i].start_time).toBeGreaterThan(paced.requests![i - 1].start_time);

      const queued = await runBenchmark({ base_url: s.url, num_prompts: 8, max_concurrency: 1, random_input_len: 8, random_output_len: 4, tokenizer: 'bundled' });
      // all scheduled at 0 with one slot: request k waits for k predecessors (~20 ms each)
      expect(queued.requests![7].client_queue_time).toBeGreaterThan(0.1);
      expect(queued.mean_ttft_ms as number).toBeLessThan(30); // queueing is not charged to TTFT
      expect(queued.benchops.client_queue_ms.mean).toBeGreaterThan(paced.benchops.client_queue_ms.mean);
    } finally {
      await s.close();
    }
  });
});
