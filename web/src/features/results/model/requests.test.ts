import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cdf, errorGroups, histogram, requestsOf, timed, tokensOverTime, valuesOf, type RequestRecord } from './requests';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../../../test/fixtures/results/${name}`, import.meta.url), 'utf8'));
const rec = (o: Partial<RequestRecord>): RequestRecord => ({ scenario: 's', start_s: 0, ttft_ms: 10, e2el_ms: 100, itl_ms: null, output_tokens: 10, ok: true, error: '', ...o });

describe('per-request records', () => {
  it('reads the runner records (seconds) into milliseconds with the mean ITL of each request', () => {
    const d = requestsOf({
      meta: { requests_total: 9000 },
      requests: [
        { scenario: 'smoke', start_time: 0.5, ttft: 0.02, latency: 0.2, output_tokens: 10, success: true, error: '' },
        { scenario: 'smoke', start_time: 0.1, ttft: 0, latency: 0, output_tokens: 0, success: false, error: 'HTTP 503' },
      ],
    })!;
    expect(d.records[0]).toMatchObject({ scenario: 'smoke', start_s: 0.5, ttft_ms: 20, e2el_ms: 200, ok: true });
    expect(d.records[0].itl_ms).toBeCloseTo(20, 10); // (200 − 20) / 9
    expect(d.records[1]).toMatchObject({ ok: false, ttft_ms: null, e2el_ms: null, error: 'HTTP 503' });
    expect(d.itlSource).toBe('request-means');
    expect(d.total).toBe(9000);
  });

  it('reads the short {ttft_ms, e2el_ms} form of the fixture', () => {
    const d = requestsOf(fixture('benchops-runner-perf.json'))!;
    expect(d.records).toHaveLength(1);
    expect(d.records[0]).toMatchObject({ ttft_ms: 44.1, e2el_ms: 1570.2, output_tokens: 128, ok: true, start_s: null });
  });

  it('reads vLLM bench serve arrays: E2EL = TTFT + the gaps, every gap kept for the ITL distribution', () => {
    const raw = fixture('vllm-bench-serve.json');
    const d = requestsOf(raw)!;
    expect(d.records).toHaveLength(raw.ttfts.length);
    expect(d.itlSource).toBe('tokens');
    expect(d.itls_ms).toHaveLength(raw.itls.flat().length);
    expect(d.records[0].ttft_ms).toBeCloseTo(raw.ttfts[0] * 1000, 9);
    // the fixture keeps two gaps of 127: E2EL cannot be summed from them
    expect(d.records[0].e2el_ms).toBeNull();
    const full = requestsOf({ ttfts: [0.05], itls: [[0.01, 0.02]], output_lens: [3], errors: [''] })!;
    expect(full.records[0].e2el_ms).toBeCloseTo(80, 9);
    expect(full.records[0].itl_ms).toBeCloseTo(15, 9);
    expect(requestsOf({ ttfts: [0.1, 0.2], errors: ['', 'boom'] })!.records.map((r) => r.ok)).toEqual([true, false]);
  });

  it('answers null for documents without records', () => {
    expect(requestsOf({ requests: [] })).toBeNull();
    expect(requestsOf('x')).toBeNull();
    expect(requestsOf(fixture('guidellm-benchmarks.json'))).toBeNull();
  });

  it('builds an empirical CDF that ends at 1 and thins long inputs', () => {
    expect(cdf([3, 1, 2, 2])).toEqual([
      [1, 0.25],
      [2, 0.5],
      [2, 0.75],
      [3, 1],
    ]);
    const big = cdf(Array.from({ length: 1001 }, (_, i) => i), 100);
    expect(big.length).toBeLessThanOrEqual(101);
    expect(big[big.length - 1]).toEqual([1000, 1]);
    expect(big.every((p, i) => i === 0 || (p[0] >= big[i - 1][0] && p[1] > big[i - 1][1]))).toBe(true);
    expect(cdf([])).toEqual([]);
  });

  it('bins a histogram over [min, max] with every value counted once', () => {
    const h = histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 10], 5);
    expect(h.map((b) => b.count)).toEqual([2, 2, 2, 2, 2]);
    expect(h[0].from).toBe(0);
    expect(h[4].to).toBe(10);
    expect(histogram([4, 4, 4])).toEqual([{ from: 4, to: 4, count: 3 }]);
  });

  it('spreads each request’s tokens from its first token to its end when computing tokens/s over time', () => {
    // one request: 100 tokens between 1 s and 2 s (start 0.9, TTFT 100 ms, E2EL 1.1 s) → 100 tok/s in that second
    const s = tokensOverTime([rec({ start_s: 0.9, ttft_ms: 100, e2el_ms: 1100, output_tokens: 100 })], 20);
    const total = s.reduce((a, b) => a + b.tokensPerS * (s[1].t - s[0].t), 0);
    expect(total).toBeCloseTo(100, 6);
    const inside = s.filter((b) => b.t > 1 && b.t < 2);
    expect(inside.every((b) => Math.abs(b.tokensPerS - 100) < 1e-6)).toBe(true);
    expect(s.filter((b) => b.t < 0.95).every((b) => b.tokensPerS === 0)).toBe(true);
    expect(tokensOverTime([rec({ start_s: null })])).toEqual([]);
  });

  it('sorts timed records, collects sorted values of successful requests and groups errors', () => {
    const rs = [rec({ start_s: 2, e2el_ms: 5 }), rec({ start_s: null, e2el_ms: 1 }), rec({ start_s: 1, ok: false, e2el_ms: null, error: 'timeout' }), rec({ start_s: null, ok: false, e2el_ms: null, error: 'timeout' })];
    expect(timed(rs).map((r) => r.start_s)).toEqual([1, 2]);
    expect(valuesOf(rs, 'e2el_ms')).toEqual([1, 5]);
    expect(errorGroups(rs)).toEqual([{ error: 'timeout', count: 2 }]);
  });
});
