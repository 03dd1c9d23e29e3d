import { describe, expect, it } from 'vitest';
import type { ComparedMetric } from './compare';
import { compareLink, headlines, listQuery, readListState, writeListState } from './listing';

describe('the results list state', () => {
  it('round-trips through the URL, leaving defaults out and ignoring junk', () => {
    const s = readListState(new URLSearchParams('benchmark=b&kind=quality&sort=model_id&dir=asc&page=3&since=2026-01-01T00:00:00.000Z'));
    expect(s).toMatchObject({ benchmark: 'b', kind: 'quality', sort: 'model_id', dir: 'asc', page: 3 });
    expect(writeListState(s).toString()).toBe('benchmark=b&since=2026-01-01T00%3A00%3A00.000Z&kind=quality&sort=model_id&dir=asc&page=3');
    expect(readListState(new URLSearchParams('kind=x&sort=y&page=-2&dir=up'))).toMatchObject({ kind: '', sort: 'timestamp', page: 1, dir: 'desc' });
    expect(writeListState(readListState(new URLSearchParams(''))).toString()).toBe('');
  });

  it('asks the service to page, filter and sort', () => {
    const s = readListState(new URLSearchParams('model=m&page=2&dir=asc'));
    expect(listQuery(s)).toEqual({ limit: 25, offset: 25, order: 'asc', model_id: 'm' });
    expect(listQuery({ ...s, sort: 'benchmark_name' })).toMatchObject({ sort: 'benchmark_name', order: 'asc' });
    expect(listQuery({ ...s, kind: 'quality' })).toMatchObject({ kind: 'quality', offset: 25 });
  });

  it('links a comparison oldest first and reads kinds and headlines from metric values', () => {
    expect(compareLink([{ pk: 'new', timestamp: '2026-01-02T00:00:00Z' }, { pk: 'old,1', timestamp: '2026-01-01T00:00:00Z' }])).toBe('/compare?pk=old%2C1&pk=new');
    const m = (path: string, group: ComparedMetric['group'], metric: string, stat: string, values: Record<string, number | null>): ComparedMetric => ({ path, group, task: 't', metric, stat, filter: 'none', higher_is_better: true, values });
    const h = headlines(
      [
        m('performance.latency.ttft_ms.p99', 'latency', 'ttft_ms', 'p99', { p: 70, q: null }),
        m('performance.throughput.output_throughput', 'throughput', 'output_throughput', '', { p: 200, q: null }),
        m('performance.latency.e2el_ms.p99', 'latency', 'e2el_ms', 'p99', { p: 900, q: 400 }),
        m('results.t.exact_match', 'score', 'exact_match', '', { p: null, q: 0.6 }),
        m('results.t.exact_match_stderr', 'score', 'exact_match', 'stderr', { p: null, q: 0.2 }),
      ],
      ['p', 'q'],
    );
    expect(h.p).toMatchObject({ kinds: ['performance'], ttftP99: 70, outputThroughput: 200, scores: 0 });
    // a task evaluation's sample latency (e2el only) does not make it a performance result
    expect(h.q).toMatchObject({ kinds: ['quality'], score: { label: 't exact_match', value: 0.6 }, scores: 1 });
  });
});
