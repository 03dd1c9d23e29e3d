/**
 * The typed HTTP client (what the runner, a separate process, uses) against the real service with bearer tokens,
 * the `resultsApi(ctx)` resolver, and two replicas on one PostgreSQL exporting the same gauges.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config.ts';
import { AppError } from '../src/core/errors.ts';
import { ResultsClient, resultsApi } from '../src/services/results/client.ts';
import { createPgDatabase, DB_KINDS } from './helpers/db.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/results', name), 'utf8'));
const OPERATOR = 'operator-token-123';
const VIEWER = 'viewer-token-123';

const rejection = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a rejection');
};

describe.each(DB_KINDS)('ResultsClient over HTTP with bearer tokens (%s)', (kind) => {
  let p: TestPlatform;
  let client: ResultsClient;

  beforeAll(async () => {
    p = await startTestPlatform({ kind, services: ['results'], env: { BENCHOPS_TOKENS: `operator:${OPERATOR},viewer:${VIEWER}` } });
    client = new ResultsClient(p.urls.results!, { token: OPERATOR });
  });
  afterAll(async () => {
    await p?.close();
  });

  const post = {
    run_id: 'c1',
    benchmark_name: 'custom-benchmark',
    timestamp: '2026-03-01T12:00:00Z',
    model_id: 'Qwen/Qwen3-8B',
    tokenizer_id: 'Qwen/Qwen3-8B',
    source: 'benchops-runner',
    data: fixture('benchops-runner-task.json'),
  };

  it('posts as the runner does (raw derives standardized, then the explicit post), reads back, lists', async () => {
    const raw = await client.postRaw(post);
    expect(raw).toMatchObject({ saved_as: '2026-03-01T12:00:00Z-custom-benchmark-c1', created: true, standardized: { stored: true, parser: 'benchops-runner' } });
    const again = await client.postRaw(post);
    expect(again.created).toBe(false);
    const doc = await client.getStandardized(raw.pk);
    expect((doc.data as any).results.custom_task_1.exact_match).toBe(0.6);
    expect((await client.getRaw(raw.pk)).data).toEqual(post.data);
    await client.postStandardized({ ...post, run_id: 'c2', data: { results: { custom_task_1: { exact_match: 0.8 } } }, timestamp: '2026-03-02T12:00:00Z' });
    const page = await client.listStandardized({ model_id: 'Qwen/Qwen3-8B', limit: 1 });
    expect(page.total).toBe(2);
    expect(page.items.map((i) => i.run_id)).toEqual(['c2']);
    expect((await client.listRaw({ run_id: 'c1' })).items).toHaveLength(1);
  });

  it('compares and reads history through the client (model ids with "/")', async () => {
    const pks = ['2026-03-01T12:00:00Z-custom-benchmark-c1', '2026-03-02T12:00:00Z-custom-benchmark-c2'];
    const c = await client.compare(pks);
    const em = c.metrics.find((m) => m.path === 'results.custom_task_1.exact_match')!;
    expect(em.deltas[pks[1]].absolute).toBeCloseTo(0.2, 10);
    expect(em.deltas[pks[1]].relative).toBeCloseTo(0.2 / 0.6, 10);
    const h = await client.history('Qwen/Qwen3-8B', { metric: 'exact_match', task: 'custom_task_1' });
    expect(h.items.map((x) => x.value)).toEqual([0.6, 0.8]);
    expect(h.total).toBe(2);
    const viaPath = await fetch(`${p.urls.results}/models/${encodeURIComponent('Qwen/Qwen3-8B')}/history?metric=exact_match&task=custom_task_1`, {
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    expect(((await viaPath.json()) as any[]).length).toBe(2);
  });

  it('maps errors to AppError: 409 conflict, 422 with the field, 404, 401 without and 403 with a viewer token', async () => {
    expect((await rejection(client.postRaw({ ...post, data: { other: true } }))).status).toBe(409);
    const bad = await rejection(client.postStandardized({ ...post, benchmark_name: 'a\nb' }));
    expect(bad.status).toBe(422);
    expect(bad.issues?.[0].loc).toEqual(['body', 'benchmark_name']);
    expect((await rejection(client.getStandardized('missing'))).status).toBe(404);
    expect((await rejection(new ResultsClient(p.urls.results!).postRaw(post))).status).toBe(401);
    expect((await rejection(new ResultsClient(p.urls.results!, { token: VIEWER }).postRaw(post))).status).toBe(403);
    // Reading needs only a viewer token.
    expect((await new ResultsClient(p.urls.results!, { token: VIEWER }).listRaw()).total).toBeGreaterThan(0);
  });

  it('an unreachable service is a 503 after the retries', async () => {
    const dead = new ResultsClient('http://127.0.0.1:9', { retries: 1, timeoutMs: 2000 });
    expect((await rejection(dead.postRaw(post))).status).toBe(503);
  });

  it('resultsApi(ctx): the in-process module when it runs here, else HTTP to BENCHOPS_RESULTS_URL with an operator token', async () => {
    expect(resultsApi(p.ctx)).toBe(p.modules.get('results')!.api);
    const remoteCfg = loadConfig({ BENCHOPS_RESULTS_URL: p.urls.results!, BENCHOPS_TOKENS: `viewer:${VIEWER},operator:${OPERATOR}` });
    const remote = resultsApi({ local: new Map(), config: remoteCfg });
    expect(remote).toBeInstanceOf(ResultsClient);
    const r = await remote.postStandardized({ ...post, run_id: 'via-resolver', data: { results: {} } });
    expect(r.created).toBe(true);
    expect(() => resultsApi({ local: new Map(), config: loadConfig({}) })).toThrow(/BENCHOPS_RESULTS_URL/);
  });
});

describe('replicas on one PostgreSQL export the same gauges', () => {
  let a: TestPlatform;
  let b: TestPlatform;

  beforeAll(async () => {
    const url = await createPgDatabase();
    a = await startTestPlatform({ kind: 'postgres', services: ['results'], env: { DATABASE_URL: url } });
    b = await startTestPlatform({ kind: 'postgres', services: ['results'], env: { DATABASE_URL: url } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a result posted to one replica appears on the other one’s /metrics, as the seed 004 alert selects it', async () => {
    const client = new ResultsClient(a.urls.results!);
    await client.postRaw({
      run_id: 'r1',
      benchmark_name: 'custom-benchmark',
      timestamp: '2026-04-01T00:00:00Z',
      model_id: 'qwen3-8b',
      source: 'benchops-runner',
      data: fixture('benchops-runner-task.json'),
    });
    await client.postRaw({
      run_id: 'p1',
      benchmark_name: 'vllm-benchmark',
      timestamp: '2026-04-01T00:00:00Z',
      model_id: 'qwen3-8b',
      source: 'vllm-bench',
      data: fixture('vllm-bench-serve.json'),
    });
    const scrape = async (p: TestPlatform) => (await fetch(`${p.urls.results}/metrics`)).text();
    const series = (text: string) =>
      text
        .split('\n')
        .filter((l) => /^(vllm_eval_|benchops_perf_)/.test(l))
        .sort();
    const [ta, tb] = [await scrape(a), await scrape(b)];
    expect(series(tb)).toEqual(series(ta));
    // Seed 004: avg(vllm_eval_exact_match{task='custom_task_1'}) by (model_tag).
    expect(tb).toContain('vllm_eval_exact_match{task="custom_task_1",filter="none",model_tag="qwen3-8b"} 0.6');
    expect(tb).toContain('benchops_perf_ttft_ms{model_tag="qwen3-8b",benchmark="vllm-benchmark",stat="p99"} 90.15');
    expect(tb).toContain('benchops_perf_request_throughput{model_tag="qwen3-8b",benchmark="vllm-benchmark"} 0.4755');
    // Every exported sample belongs to a declared gauge family.
    for (const line of series(tb)) {
      const name = line.split(/[{ ]/)[0];
      expect(tb).toContain(`# TYPE ${name} gauge`);
    }
  });
});
