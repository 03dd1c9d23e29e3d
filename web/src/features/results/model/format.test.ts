import { describe, expect, it } from 'vitest';
import { fmt, fmtPct, fmtUnit, unitOf } from './format';

describe('number formatting and units', () => {
  it('formats like the runner’s tables', () => {
    expect([fmt(12), fmt(206.54), fmt(44.296), fmt(0.61234), fmt(null), fmt(Number.NaN)]).toEqual(['12', '206.5', '44.30', '0.6123', '—', '—']);
    expect([fmtPct(0.1234), fmtPct(-0.04), fmtPct(2.5), fmtPct(null), fmtPct(0.00001)]).toEqual(['+12.3 %', '−4.0 %', '+250 %', '—', '0.0 %']);
    expect(fmtUnit(0.95, '%')).toBe('95.0 %');
    expect(fmtUnit(41.2, 'ms')).toBe('41.20 ms');
  });

  it('gives each vLLM metric its unit', () => {
    expect(unitOf('latency', 'ttft_ms')).toBe('ms');
    expect(unitOf('throughput', 'output_throughput')).toBe('tok/s');
    expect(unitOf('throughput', 'request_throughput')).toBe('req/s');
    expect(unitOf('throughput', 'request_goodput')).toBe('req/s');
    expect(unitOf('throughput', 'max_output_tokens_per_s')).toBe('tok/s');
    expect(unitOf('throughput', 'samples_per_s')).toBe('samples/s');
    expect(unitOf('summary', 'duration_s')).toBe('s');
    expect(unitOf('summary', 'success_rate')).toBe('%');
    expect(unitOf('summary', 'total_output_tokens')).toBe('tokens');
    expect(unitOf('score', 'exact_match')).toBe('');
  });
});
