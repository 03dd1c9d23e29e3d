/** Parsers on small realistic outputs of each tool (test/fixtures/results), and the flattening the gauges use. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, parserFor, type ParseContext } from '../src/services/results/parsers/index.ts';
import { familyOf, flattenMetrics, normalizeStandardized } from '../src/services/results/standard.ts';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/results', name), 'utf8'));
const ctx = (source: string): ParseContext => ({
  benchmark_name: 'bench',
  model_id: 'qwen3-8b',
  tokenizer_id: 'Qwen/Qwen3-8B',
  source,
  run_id: 'run-1',
  timestamp: '2025-08-13T10:00:00Z',
});
const parse = (source: string, data: unknown) => parserFor(source)!.parse(data, ctx(source));
const paths = (data: any) => Object.fromEntries(flattenMetrics(normalizeStandardized(data).data!, 'bench').map((r) => [r.path, r.value]));

describe('lm-evaluation-harness', () => {
  const out = parse('lm-eval', fixture('lm-eval-results.json'));

  it('normalises metric,filter keys: bare names when unfiltered, {filter: value} with the filters declared in meta', () => {
    expect(out.results.gsm8k).toEqual({
      exact_match: { 'strict-match': 0.7202426080363912, 'flexible-extract': 0.7285822592873389 },
      exact_match_stderr: { 'strict-match': 0.012366780838219734, 'flexible-extract': 0.012249002026150573 },
    });
    expect((out.meta as any).filters).toEqual({ gsm8k: ['strict-match', 'flexible-extract'] });
    // `,none` is no filter; a non-numeric stderr ("N/A") is dropped, never stored as NaN.
    expect(out.results.hellaswag).toEqual({ acc: 0.5764, acc_stderr: 0.00493, acc_norm: 0.7621, acc_norm_stderr: 0.00425 });
    expect(out.results.arc_easy).toEqual({ acc: 0.81, acc_norm: 0.77, acc_norm_stderr: 0.0423 });
    expect(JSON.stringify(out.results)).not.toMatch(/,none|,strict/);
  });

  it('fills meta and performance from the run, and never keeps an api key from model_args', () => {
    expect(out.meta).toMatchObject({ benchmark_name: 'bench', tool: 'lm-evaluation-harness', n_shot: { gsm8k: 5 }, date: '2025-08-13T10:00:00.123Z' });
    expect(JSON.stringify(out)).not.toContain('sk-not-a-real-key');
    expect((out.meta as any).tool_model.args).toContain('api_key=[redacted]');
    // secrets, not words: the model and endpoint arguments are kept
    expect((out.meta as any).tool_model.args).toContain('model=Qwen/Qwen3-8B,base_url=http://vllm-qwen3-8b.vllm:8000/v1/completions,num_concurrent=8');
    expect(out.performance.summary).toEqual({ num_tasks: 3, samples: 1519, duration_s: 812.26 });
    expect(out.performance.throughput.samples_per_s).toBeCloseTo(1519 / 812.26, 6);
  });

  it('exports each filter of a score as vllm_eval_<metric>{filter}; stderr is the stat of its score, never a gauge', () => {
    const rows = flattenMetrics(normalizeStandardized(out).data!, 'bench');
    const gsm = rows.filter((r) => r.task === 'gsm8k').map((r) => [familyOf(r), r.metric, r.filter, r.stat, r.path]);
    expect(gsm).toEqual([
      ['vllm_eval_exact_match', 'exact_match', 'strict-match', '', 'results.gsm8k.exact_match.strict-match'],
      ['vllm_eval_exact_match', 'exact_match', 'flexible-extract', '', 'results.gsm8k.exact_match.flexible-extract'],
      [null, 'exact_match', 'strict-match', 'stderr', 'results.gsm8k.exact_match_stderr.strict-match'],
      [null, 'exact_match', 'flexible-extract', 'stderr', 'results.gsm8k.exact_match_stderr.flexible-extract'],
    ]);
    const hs = rows.filter((r) => r.task === 'hellaswag').map((r) => [familyOf(r), r.metric, r.filter, r.stat]);
    expect(hs).toEqual([
      ['vllm_eval_acc', 'acc', 'none', ''],
      [null, 'acc', 'none', 'stderr'],
      ['vllm_eval_acc_norm', 'acc_norm', 'none', ''],
      [null, 'acc_norm', 'none', 'stderr'],
    ]);
  });

  it('names the field when the document is not lm-eval output', () => {
    expect(() => parse('lm-eval', { foo: 1 })).toThrow(ParseError);
    try {
      parse('lm-eval', { results: { gsm8k: { alias: 'gsm8k' } } });
    } catch (e) {
      expect((e as ParseError).path).toEqual(['results', 'gsm8k']);
    }
  });
});

describe('evalchemy', () => {
  it('reads custom tasks (exact_match, any filter name) and plain evalchemy keys', () => {
    const out = parse('evalchemy', fixture('evalchemy-results.json'));
    expect(out.meta.tool).toBe('evalchemy');
    expect(out.results.custom_task_1).toEqual({ exact_match: 0.6, exact_match_stderr: 0.24494897427831783 });
    expect(out.results.custom_task_2).toEqual({ exact_match: { whitespace_cleanup: 0.4 }, exact_match_stderr: { whitespace_cleanup: 0.2449489742783178 } });
    expect(out.results.AIME24).toEqual({ accuracy: 0.3, accuracy_avg: 0.2833, accuracy_std_err: 0.0212, num_total: 30 });
    expect(paths(out)['results.custom_task_1.exact_match']).toBe(0.6);
    const rows = flattenMetrics(normalizeStandardized(out).data!, 'bench');
    const exported = rows.filter((r) => r.group === 'score' && familyOf(r)).map((r) => `${familyOf(r)}{${r.task},${r.filter}}`);
    expect(exported).toEqual([
      'vllm_eval_exact_match{custom_task_1,none}',
      'vllm_eval_exact_match{custom_task_2,whitespace_cleanup}',
      'vllm_eval_accuracy{AIME24,none}',
      'vllm_eval_accuracy_avg{AIME24,none}',
    ]);
    // evalchemy's accuracy_std_err is a stderr and num_total a count: kept, never scores
    expect(rows.find((r) => r.path === 'results.AIME24.accuracy_std_err')).toMatchObject({ metric: 'accuracy', stat: 'stderr' });
    expect(rows.find((r) => r.path === 'results.AIME24.num_total')).toMatchObject({ metric: 'num_total', stat: 'detail' });
  });
});

describe('vLLM bench serve', () => {
  const out = parse('vllm-bench', fixture('vllm-bench-serve.json'));

  it('maps the flat <stat>_<metric>_ms keys to latency blocks and keeps throughput names', () => {
    expect(out.performance.latency.ttft_ms).toEqual({
      mean: 69.58, median: 69.15, std: 18.94, p25: 51.05, p50: 69.15, p75: 87.78, p90: 89.47, p95: 89.74, p99: 90.15,
    });
    expect(Object.keys(out.performance.latency)).toEqual(['ttft_ms', 'tpot_ms', 'itl_ms', 'e2el_ms']);
    expect(out.performance.throughput).toEqual({
      request_throughput: 0.4755, output_throughput: 60.866, total_token_throughput: 547.79, max_output_tokens_per_s: 66, max_concurrent_requests: 2,
    });
    expect(out.performance.summary).toMatchObject({ completed: 4, failed: 0, success_rate: 1, duration_s: 8.412, total_output_tokens: 512 });
    expect((out.meta as any).config).toMatchObject({ backend: 'openai-chat', request_rate: 'inf', max_concurrency: 2 });
  });

  it('drops the per-request arrays and texts', () => {
    const s = JSON.stringify(out);
    expect(s).not.toContain('generated_texts');
    expect(s).not.toContain('Paris is the capital');
  });

  it('requires completed and some latency', () => {
    expect(() => parse('vllm-bench', { mean_ttft_ms: 1 })).toThrow(/completed/);
    expect(() => parse('vllm-bench', { completed: 3 })).toThrow(/latency/);
  });
});

describe('GuideLLM', () => {
  const out = parse('guidellm', fixture('guidellm-benchmarks.json'));

  it('takes the first benchmark as the headline, request latency in ms, percentiles renamed', () => {
    const ttft = out.performance.latency.ttft_ms as Record<string, number>;
    expect(ttft.mean).toBeCloseTo(38.4, 6);
    expect(ttft.p99).toBeCloseTo(38.4 * 2.0, 6);
    expect(ttft['p99.9']).toBeCloseTo(38.4 * 2.1, 6);
    expect((out.performance.latency.e2el_ms as any).mean).toBeCloseTo(1200, 6);
    expect(out.performance.throughput.request_throughput).toBeCloseTo(0.82, 6);
    expect(out.performance.throughput.output_throughput).toBeCloseTo(0.82 * 128, 6);
    expect(out.performance.summary).toMatchObject({ completed: 25, failed: 0, total_requests: 25, success_rate: 1, duration_s: 30, total_output_tokens: 3200 });
    expect(out.meta).toMatchObject({ tool: 'guidellm', tool_version: '0.4.0', benchmarks: 2, strategy: { type: 'synchronous' } });
  });

  it('keeps every benchmark of a sweep (not exported as series)', () => {
    const all = out.performance.benchmarks as any[];
    expect(all).toHaveLength(2);
    expect(all[1].strategy.type).toBe('throughput');
    expect(all[1].throughput.request_throughput).toBeCloseTo(6.4, 6);
    expect(Object.keys(paths(out)).some((p) => p.includes('benchmarks'))).toBe(false);
  });

  it('rejects a report without benchmarks', () => {
    expect(() => parse('guidellm', { benchmarks: [] })).toThrow(/benchmarks/);
  });
});

describe('BenchOps runner', () => {
  it('keeps the standardized sections, moves scenarios under performance and drops per-request records', () => {
    const raw = fixture('benchops-runner-perf.json');
    const out = parse('benchops-runner', raw);
    expect(out.meta).toMatchObject({ benchmark_name: 'vllm-benchmark', source: 'benchops-runner', kind: 'performance' });
    expect(out.performance.latency).toEqual(raw.performance.latency);
    expect(Object.keys(out.performance.scenarios as object)).toEqual(['basic_performance']);
    expect(out).not.toHaveProperty('requests');
    expect(out).not.toHaveProperty('format');
    expect(out.thresholds).toEqual(raw.thresholds);
    const p = paths(out);
    expect(p['performance.latency.ttft_ms.p99']).toBeCloseTo(45.2 * 1.5, 6);
    expect(p['performance.summary.thresholds_passed']).toBe(1);
  });

  it('task evaluation scores become results.<task>.<metric>', () => {
    const out = parse('benchops-runner', fixture('benchops-runner-task.json'));
    expect(out.results.custom_task_1).toEqual({ exact_match: 0.6, exact_match_stderr: 0.2449, samples: 5 });
    expect(out).not.toHaveProperty('samples');
    // samples is a count: a detail of the task, not a gauge named vllm_eval_samples
    const rows = flattenMetrics(normalizeStandardized(out).data!, 'bench');
    expect(rows.filter((r) => r.task === 'custom_task_1').map((r) => [r.metric, r.stat, familyOf(r)])).toEqual([
      ['exact_match', '', 'vllm_eval_exact_match'],
      ['exact_match', 'stderr', null],
      ['samples', 'detail', null],
    ]);
  });

  it('rejects another format version and missing sections, naming them', () => {
    expect(() => parse('benchops-runner', { format: 'benchops-runner/v9', meta: {}, results: {}, performance: {} })).toThrow(/format/);
    try {
      parse('benchops-runner', { meta: {}, results: {} });
      expect.unreachable();
    } catch (e) {
      expect((e as ParseError).path).toEqual(['performance']);
    }
  });
});

describe('source names', () => {
  it('selects parsers case-insensitively and knows nothing of other tools', () => {
    expect(parserFor('LM-Eval')?.name).toBe('lm-eval');
    expect(parserFor('lm-evaluation-harness')?.name).toBe('lm-eval');
    expect(parserFor('vllm-bench-serve')?.name).toBe('vllm-bench');
    expect(parserFor('GuideLLM')?.name).toBe('guidellm');
    expect(parserFor('my-script')).toBeUndefined();
  });
});

describe('standardized shape', () => {
  it('fills missing sections and names a section of the wrong type', () => {
    expect(normalizeStandardized({ results: { a: 1 } }).data).toEqual({
      meta: {}, results: { a: 1 }, performance: { summary: {}, throughput: {}, latency: {} },
    });
    expect(normalizeStandardized({ performance: { latency: [1, 2] } }).issues[0].loc).toEqual(['body', 'data', 'performance', 'latency']);
    expect(normalizeStandardized([1]).issues[0].loc).toEqual(['body', 'data']);
  });

  it('flattens the earlier UI example (numbers directly under results and latency)', () => {
    const rows = flattenMetrics(
      normalizeStandardized({ results: { accuracy: 0.61 }, performance: { latency: { p50_ms: 41 }, throughput: { tokens_per_s: 1530 } } }).data!,
      'mmlu',
    );
    expect(rows).toEqual([
      { path: 'results.accuracy', group: 'score', task: 'mmlu', metric: 'accuracy', filter: 'none', stat: '', value: 0.61 },
      { path: 'performance.latency.p50_ms', group: 'latency', task: 'mmlu', metric: 'p50_ms', filter: '', stat: '', value: 41 },
      { path: 'performance.throughput.tokens_per_s', group: 'throughput', task: 'mmlu', metric: 'tokens_per_s', filter: '', stat: '', value: 1530 },
    ]);
  });
});
