import { describe, expect, it } from 'vitest';
import { asDoc } from './document';
import { flattenMetrics, groupOfPath, higherIsBetter, rowLabel, scoreKey, scoreRows } from './metrics';

describe('metric rows of a document (the service flattenMetrics mirror)', () => {
  it('reads lm-eval keys: metric,filter, stderr, details and declared metrics', () => {
    expect(scoreKey('acc,none')).toEqual({ metric: 'acc', filter: 'none', stat: '' });
    expect(scoreKey('acc_stderr,none')).toEqual({ metric: 'acc', filter: 'none', stat: 'stderr' });
    expect(scoreKey('accuracy_std')).toMatchObject({ metric: 'accuracy', stat: 'std' });
    expect(scoreKey('samples')?.stat).toBe('detail');
    expect(scoreKey('2024-08')).toBeNull();
    expect(scoreKey('bleu', new Set(['acc']))?.stat).toBe('detail');
  });

  it('expands declared filters of nested scores and treats a bare number as the benchmark’s score', () => {
    const rows = scoreRows(
      { gsm8k: { exact_match: { 'strict-match': 0.72, 'flexible-extract': 0.73, other: 1 } }, accuracy: 0.5 },
      { filters: { gsm8k: ['strict-match', 'flexible-extract'] } },
      'bench',
    );
    expect(rows.map((r) => [r.path, r.task, r.filter, r.value])).toEqual([
      ['results.gsm8k.exact_match.strict-match', 'gsm8k', 'strict-match', 0.72],
      ['results.gsm8k.exact_match.flexible-extract', 'gsm8k', 'flexible-extract', 0.73],
      ['results.accuracy', 'bench', 'none', 0.5],
    ]);
  });

  it('flattens performance with the service’s paths and keeps one row per identity', () => {
    const doc = asDoc({
      results: { t: { acc: 0.5, 'acc,none': 0.6 } },
      performance: { latency: { ttft_ms: { p99: 80, mean: 40 } }, throughput: { output_throughput: 200 }, summary: { completed: 10, ok: true } },
    });
    const rows = flattenMetrics(doc, 'b');
    expect(rows.map((r) => `${r.path}=${r.value}`)).toEqual([
      'results.t.acc=0.5',
      'performance.latency.ttft_ms.p99=80',
      'performance.latency.ttft_ms.mean=40',
      'performance.throughput.output_throughput=200',
      'performance.summary.completed=10',
      'performance.summary.ok=1',
    ]);
  });

  it('knows which direction is better and names rows for tables', () => {
    expect(higherIsBetter('latency', 'ttft_ms', 'p99')).toBe(false);
    expect(higherIsBetter('throughput', 'output_throughput')).toBe(true);
    expect(higherIsBetter('summary', 'failed')).toBe(false);
    expect(higherIsBetter('summary', 'duration_s')).toBe(false);
    expect(higherIsBetter('score', 'acc', 'stderr')).toBe(false);
    expect(groupOfPath('performance.latency.itl_ms.p50')).toBe('latency');
    expect(groupOfPath('results.x.acc')).toBe('score');
    expect(rowLabel({ group: 'score', task: 'gsm8k', metric: 'exact_match', filter: 'strict-match', stat: '' })).toBe('gsm8k exact_match (strict-match)');
    expect(rowLabel({ group: 'latency', task: 'b', metric: 'ttft_ms', filter: '', stat: 'p99' })).toBe('ttft_ms p99');
  });
});

describe('the mirror agrees with the results service', () => {
  it('gives the rows the service stores for every fixture of test/fixtures/results', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { flattenMetrics: serviceFlatten, normalizeStandardized } = await import('../../../../../src/services/results/standard.ts');
    const { selectParser } = await import('../../../../../src/services/results/parsers/index.ts');
    const dir = new URL('../../../../../test/fixtures/results/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(4);
    for (const f of files) {
      const raw = JSON.parse(readFileSync(new URL(f, dir), 'utf8'));
      const sel = selectParser('unknown-tool', raw);
      // a fixture that is already a standardized document is stored as it is
      const std = sel ? sel.parser.parse(raw, { benchmark_name: 'bench', model_id: 'm', tokenizer_id: 't', source: sel.parser.sources[0] } as any) : normalizeStandardized(raw).data;
      const mine = flattenMetrics(asDoc(std), 'bench').map((r) => ({ ...r }));
      const theirs = serviceFlatten(std as any, 'bench').map((r: any) => ({ filter: '', ...r }));
      expect(mine, `${f}: the service's metric rules changed; update web/src/features/results/model/metrics.ts to match`).toEqual(theirs);
    }
  });
});
