/**
 * The results service over HTTP on a real port, on PGlite and on PostgreSQL: idempotent posts and 409s, generated
 * run ids, shared pks, automatic standardization of known tools' raw outputs, lists with filters and pagination,
 * compare, history, Prometheus gauges, and 422s naming the field.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactSecrets } from '../src/services/results/standard.ts';
import { DB_KINDS } from './helpers/db.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { call } from './helpers/http.ts';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/results', name), 'utf8'));

/** The earlier UI's example (reference-behaviour.md A.6). */
const A6 = {
  run_id: 'run-001',
  benchmark_name: 'mmlu',
  timestamp: '2025-08-13T10:00:00Z',
  model_id: 'qwen3-0.6b',
  tokenizer_id: 'qwen3-0.6b',
  source: 'evalchemy',
  data: {
    meta: { benchmark_name: 'mmlu', timestamp: '2025-08-13T10:00:00Z', model: { id: 'qwen3-0.6b', source: 'hf', tokenizer_id: 'qwen3-0.6b' } },
    results: { accuracy: 0.61 },
    performance: { summary: { total_time_s: 812 }, throughput: { tokens_per_s: 1530 }, latency: { p50_ms: 41, p99_ms: 180 } },
  },
};

describe.each(DB_KINDS)('results service (%s)', (kind) => {
  let p: TestPlatform;
  let base: string;

  const req = (method: string, url: string, body?: unknown) => call(base, method, url, body);
  const post = (url: string, body: unknown) => req('POST', url, body);
  const get = (url: string) => req('GET', url);

  beforeAll(async () => {
    p = await startTestPlatform({ kind, services: ['results'], gateway: true });
    base = p.urls.results!;
  });
  afterAll(async () => {
    await p?.close();
  });

  describe('posting', () => {
    it('stores the earlier UI example and answers the earlier SaveResponse', async () => {
      const r = await post('/standardized_output', A6);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'success', run_id: 'run-001', saved_as: '2025-08-13T10:00:00Z-mmlu-run-001', created: true });
      const d = await get(`/standardized_output/${encodeURIComponent(r.body.saved_as)}`);
      expect(d.status).toBe(200);
      expect(d.body).toEqual({ result_name: '2025-08-13T10:00:00Z-mmlu-run-001', data: A6.data });
    });

    it('re-posting the same data is idempotent (200, same pk, created false); different data is 409 and changes nothing', async () => {
      const again = await post('/standardized_output', { ...A6, data: JSON.parse(JSON.stringify(A6.data)) });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ saved_as: '2025-08-13T10:00:00Z-mmlu-run-001', created: false });
      // Key order does not make data different.
      const reordered = { ...A6, data: { performance: A6.data.performance, results: A6.data.results, meta: A6.data.meta } };
      expect((await post('/standardized_output', reordered)).body.created).toBe(false);
      const changed = await post('/standardized_output', { ...A6, data: { ...A6.data, results: { accuracy: 0.99 } } });
      expect(changed.status).toBe(409);
      expect(changed.body.detail).toContain('2025-08-13T10:00:00Z-mmlu-run-001');
      const d = await get(`/standardized_output/${encodeURIComponent('2025-08-13T10:00:00Z-mmlu-run-001')}`);
      expect(d.body.data.results).toEqual({ accuracy: 0.61 });
      // Another model under the same pk is a conflict as well.
      expect((await post('/standardized_output', { ...A6, model_id: 'other' })).status).toBe(409);
    });

    it('concurrent posts of one pk: every one answers 200, exactly one created it', async () => {
      const body = { ...A6, run_id: 'race', data: { results: { accuracy: 0.5 } } };
      const all = await Promise.all(Array.from({ length: 8 }, () => post('/standardized_output', body)));
      expect(all.map((r) => r.status)).toEqual(Array(8).fill(200));
      expect(all.filter((r) => r.body.created)).toHaveLength(1);
    });

    it('generates a run id when missing or null (different data: different runs), and raw and standardized share the pk', async () => {
      const noId = { benchmark_name: 'gen', timestamp: '2025-09-01T00:00:00Z', model_id: 'm', tokenizer_id: 't', source: 'script', data: { x: 1 } };
      const a = await post('/raw_input', noId);
      const b = await post('/raw_input', { ...noId, run_id: null, data: { x: 2 } });
      expect(a.status).toBe(200);
      expect(a.body.run_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.body.run_id_origin).toBe('generated');
      expect(a.body.run_id).not.toBe(b.body.run_id);
      expect(a.body.saved_as).toBe(`2025-09-01T00:00:00Z-gen-${a.body.run_id}`);
      expect(a.body.standardized).toEqual({ stored: false, parser: null });
      const s = await post('/standardized_output', { ...noId, run_id: a.body.run_id, data: { results: { x: 1 } } });
      expect(s.body.saved_as).toBe(a.body.saved_as);
      const raw = await get(`/raw_input/${encodeURIComponent(a.body.saved_as)}`);
      expect(raw.body).toEqual({ result_name: a.body.saved_as, data: { x: 1 } });
      // Missing sections are stored as {} (the earlier UI throws without performance).
      const std = await get(`/standardized_output/${encodeURIComponent(a.body.saved_as)}`);
      expect(std.body.data).toEqual({ meta: {}, results: { x: 1 }, performance: { summary: {}, throughput: {}, latency: {} } });
    });

    it('defaults the timestamp to now and the tokenizer to the model; a JSON string data is parsed', async () => {
      const r = await post('/raw_input', { benchmark_name: 'b', model_id: 'm', source: 's', data: '{"a":[1,2]}' });
      expect(r.status).toBe(200);
      expect(Math.abs(Date.parse(r.body.timestamp) - Date.now())).toBeLessThan(60_000);
      expect(r.body.tokenizer_id).toBe('m');
      expect((await get(`/raw_input/${encodeURIComponent(r.body.pk)}`)).body.data).toEqual({ a: [1, 2] });
    });

    it('422 names the field: missing, bad timestamp, pk-breaking characters, wrong standardized sections', async () => {
      const missing = await post('/raw_input', { model_id: 'm', source: 's', data: {} });
      expect(missing.status).toBe(422);
      expect(missing.body.detail).toContainEqual(expect.objectContaining({ loc: ['body', 'benchmark_name'], type: 'missing' }));
      const noData = await post('/standardized_output', { benchmark_name: 'b', model_id: 'm', source: 's' });
      expect(noData.status).toBe(422);
      expect(noData.body.detail.map((d: any) => d.loc)).toContainEqual(['body', 'data']);
      const ts = await post('/raw_input', { benchmark_name: 'b', model_id: 'm', source: 's', data: {}, timestamp: 'yesterday' });
      expect(ts.status).toBe(422);
      expect(ts.body.detail[0].loc).toEqual(['body', 'timestamp']);
      const control = await post('/raw_input', { benchmark_name: 'a\tb', model_id: 'm', source: 's', data: {} });
      expect(control.status).toBe(422);
      expect(control.body.detail[0].loc).toEqual(['body', 'benchmark_name']);
      const blank = await post('/raw_input', { benchmark_name: 'a', run_id: '  ', model_id: 'm', source: 's', data: {} });
      expect(blank.body.detail[0].loc).toEqual(['body', 'run_id']);
      const perf = await post('/standardized_output', { benchmark_name: 'b', model_id: 'm', source: 's', data: { performance: { latency: 5 } } });
      expect(perf.status).toBe(422);
      expect(perf.body.detail[0].loc).toEqual(['body', 'data', 'performance', 'latency']);
      const arr = await post('/standardized_output', { benchmark_name: 'b', model_id: 'm', source: 's', data: [1] });
      expect(arr.body.detail[0].loc).toEqual(['body', 'data']);
      const total = await get('/standardized_output?benchmark_name=b');
      expect(total.body).toEqual([]);
    });

    it('timestamps are stored in UTC with Z (and so in the pk); without a zone they are UTC, offsets are honoured', async () => {
      const base = { benchmark_name: 'tz', model_id: 'm', source: 's', data: {} };
      const a = await post('/raw_input', { ...base, run_id: 'a', timestamp: '2027-01-01T00:00:00' });
      const b = await post('/raw_input', { ...base, run_id: 'b', timestamp: '2027-01-01T09:10:00+09:00' });
      const c = await post('/raw_input', { ...base, run_id: 'c', timestamp: '2027-01-01T00:00:00.123456Z' });
      expect(a.body.saved_as).toBe('2027-01-01T00:00:00Z-tz-a');
      expect(b.body).toMatchObject({ saved_as: '2027-01-01T00:10:00Z-tz-b', timestamp: '2027-01-01T00:10:00Z' });
      expect(c.body.timestamp).toBe('2027-01-01T00:00:00.123456Z');
      const r = await get('/raw_input?benchmark_name=tz&since=2026-12-31T23:59:00Z&until=2027-01-01T00:05:00Z&order=asc');
      expect(r.body.map((x: any) => x.run_id)).toEqual(['a', 'c']);
      const r2 = await get('/raw_input?benchmark_name=tz&since=2027-01-01T00:05:00Z');
      expect(r2.body.map((x: any) => x.run_id)).toEqual(['b']);
      expect(r2.body[0].timestamp).toBe('2027-01-01T00:10:00Z');
    });

    it('secrets the tools wrote into their output are never stored or served', async () => {
      const body = { benchmark_name: 'sec', run_id: 's1', model_id: 'm', source: 'lm-eval', timestamp: '2025-01-01T00:00:00Z', data: fixture('lm-eval-results.json') };
      body.data.config.headers = { Authorization: 'Bearer sk-live-abcdefghijklmnop' };
      const r = await post('/raw_input', body);
      expect(r.status).toBe(200);
      const raw = JSON.stringify((await get(`/raw_input/${encodeURIComponent(r.body.pk)}`)).body);
      const std = JSON.stringify((await get(`/standardized_output/${encodeURIComponent(r.body.pk)}`)).body);
      for (const text of [raw, std]) {
        expect(text).not.toContain('sk-not-a-real-key');
        expect(text).not.toContain('sk-live-abcdefghijklmnop');
      }
      expect(raw).toContain('api_key=[redacted]');
      expect((await post('/raw_input', body)).body.created).toBe(false);
    });

    it('text PostgreSQL cannot store (NUL, unpaired surrogates) is a 422 over HTTP, and replaced in-process, never a 500', async () => {
      const body = { benchmark_name: 'nul', model_id: 'm', source: 's', data: { text: 'a\u0000b', half: 'x\ud800y', ok: '😀' } };
      const r = await post('/raw_input', body);
      expect(r.status).toBe(422);
      expect(r.body.detail[0].loc.slice(0, 2)).toEqual(['body', 'data']);
      const local = (p.modules.get('results') as any).api;
      const saved = await local.postRaw(body);
      expect((await get(`/raw_input/${encodeURIComponent(saved.pk)}`)).body.data).toEqual({ text: 'a\ufffdb', half: 'x\ufffdy', ok: '😀' });
      // ids are never silently changed: a NUL or a lone surrogate in a name is refused in-process too
      for (const bad of [{ benchmark_name: 'n\u0000ul' }, { run_id: 'r\ud800' }, { model_id: 'm\u0000' }]) {
        await expect(local.postRaw({ ...body, ...bad })).rejects.toMatchObject({ status: 422, issues: [{ loc: ['body', Object.keys(bad)[0]] }] });
      }
    });

    it('unknown pks are 404', async () => {
      expect((await get('/raw_input/nope')).status).toBe(404);
      expect((await get('/standardized_output/nope')).status).toBe(404);
    });
  });

  describe('known tools: raw input also stores the standardized document', () => {
    const envelope = (source: string, run: string, data: unknown) => ({
      run_id: run,
      benchmark_name: `${source}-bench`,
      timestamp: '2025-08-14T09:00:00Z',
      model_id: 'Qwen/Qwen3-8B',
      tokenizer_id: 'Qwen/Qwen3-8B',
      source,
      data,
    });

    it.each([
      ['lm-eval', 'lm-eval-results.json', (d: any) => expect(d.results.gsm8k.exact_match['strict-match']).toBeCloseTo(0.7202, 4)],
      ['evalchemy', 'evalchemy-results.json', (d: any) => expect(d.results.custom_task_1.exact_match).toBe(0.6)],
      ['vllm-bench', 'vllm-bench-serve.json', (d: any) => expect(d.performance.latency.ttft_ms.p99).toBe(90.15)],
      ['guidellm', 'guidellm-benchmarks.json', (d: any) => expect(d.performance.throughput.request_throughput).toBeCloseTo(0.82, 6)],
      ['benchops-runner', 'benchops-runner-perf.json', (d: any) => expect(d.performance.summary.thresholds_passed).toBe(1)],
    ])('%s', async (source, file, check) => {
      const body = envelope(source, `auto-${source}`, fixture(file));
      const r = await post('/raw_input', body);
      expect(r.status).toBe(200);
      expect(r.body.standardized).toEqual({ stored: true, parser: source, selected_by: 'source' });
      const raw = await get(`/raw_input/${encodeURIComponent(r.body.pk)}`);
      // As posted, except secret-looking values (lm-eval's model_args carries an api_key).
      expect(raw.body.data).toEqual(redactSecrets(fixture(file)));
      const std = await get(`/standardized_output/${encodeURIComponent(r.body.pk)}`);
      expect(std.status).toBe(200);
      // The runner names its benchmark itself; tools' documents get the envelope's name.
      expect(std.body.data.meta.benchmark_name).toBe(source === 'benchops-runner' ? 'vllm-benchmark' : `${source}-bench`);
      expect(Object.keys(std.body.data.performance)).toEqual(expect.arrayContaining(['summary', 'throughput', 'latency']));
      check(std.body.data);
      // Re-posting the raw input is idempotent for both documents.
      const again = await post('/raw_input', body);
      expect(again.body).toMatchObject({ created: false, standardized: { stored: true, parser: source } });
      // The stored document says which parser ran and why.
      expect(std.body.data.meta.parser).toEqual({ name: source, selected_by: 'source', version: 2 });
    });

    it('a raw input without the tool’s shape is stored, and the response says why nothing was standardized', async () => {
      const r = await post('/raw_input', envelope('vllm-bench', 'broken', { hello: 'world' }));
      expect(r.status).toBe(200);
      expect(r.body.standardized.stored).toBe(false);
      expect(r.body.standardized.error).toMatch(/^data\.completed/);
      expect((await get(`/standardized_output/${encodeURIComponent(r.body.pk)}`)).status).toBe(404);
      // Re-deriving names the field with a 422; with the right parser it works.
      const again = await post(`/raw_input/${encodeURIComponent(r.body.pk)}/standardize`, {});
      expect(again.status).toBe(422);
      expect(again.body.detail[0].loc).toEqual(['body', 'data', 'completed']);
    });

    it('?standardize=false stores the raw input only; POST /raw_input/{pk}/standardize derives it later', async () => {
      const r = await post('/raw_input?standardize=false', envelope('lm-eval', 'later', fixture('lm-eval-results.json')));
      expect(r.body.standardized).toBeUndefined();
      expect((await get(`/standardized_output/${encodeURIComponent(r.body.pk)}`)).status).toBe(404);
      const s = await post(`/raw_input/${encodeURIComponent(r.body.pk)}/standardize`, {});
      expect(s.status).toBe(200);
      expect(s.body).toMatchObject({ created: true, standardized: { stored: true, parser: 'lm-eval' } });
      expect((await get(`/standardized_output/${encodeURIComponent(r.body.pk)}`)).body.data.results.hellaswag.acc).toBe(0.5764);
    });

    it('an explicit standardized post replaces the derived one (the earlier images posted both); a later raw re-post keeps it', async () => {
      const body = envelope('evalchemy', 'both', fixture('evalchemy-results.json'));
      const raw = await post('/raw_input', body);
      expect(raw.body.standardized.stored).toBe(true);
      const mine = { meta: { benchmark_name: 'mine' }, results: { custom_task_1: { exact_match: 0.7 } }, performance: {} };
      const std = await post('/standardized_output', { ...body, data: mine });
      expect(std.status).toBe(200);
      expect(std.body.created).toBe(true);
      expect((await get(`/standardized_output/${encodeURIComponent(raw.body.pk)}`)).body.data.results).toEqual(mine.results);
      const rePost = await post('/raw_input', body);
      expect(rePost.body.standardized).toEqual({ stored: false, parser: 'evalchemy', selected_by: 'source', reason: 'explicit' });
      // Now explicit: a different explicit document conflicts.
      expect((await post('/standardized_output', { ...body, data: { results: { x: 1 } } })).status).toBe(409);
    });

    it("the runner's raw post derives exactly the runner's own standardized document, plus which parser ran", async () => {
      const raw = fixture('benchops-runner-task.json');
      const body = envelope('benchops-runner', 'runner-task', raw);
      const r1 = await post('/raw_input', body);
      const derived = (await get(`/standardized_output/${encodeURIComponent(r1.body.pk)}`)).body.data;
      const { requests: _r, samples: _s, format: _f, kind, ...rest } = raw;
      const own = { ...rest, meta: { ...raw.meta, source: 'benchops-runner', kind } };
      expect(derived).toEqual({ ...own, meta: { ...own.meta, parser: { name: 'benchops-runner', selected_by: 'source', version: 2 } } });
      // An older runner that also posts its own document replaces the derived one with the same numbers.
      const r2 = await post('/standardized_output', { ...body, data: own });
      expect(r2.status).toBe(200);
      expect((await get(`/standardized_output/${encodeURIComponent(r1.body.pk)}`)).body.data).toEqual(own);
    });

    it('POST /parse previews without storing; an unknown source is 422 on source', async () => {
      const r = await post('/parse', envelope('vllm-bench', 'preview', fixture('vllm-bench-serve.json')));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ parser: 'vllm-bench', selected_by: 'source' });
      expect(r.body.data.performance.throughput.request_throughput).toBe(0.4755);
      expect((await get('/raw_input?run_id=preview')).body).toEqual([]);
      const u = await post('/parse', envelope('nope', 'preview', { hello: 'world' }));
      expect(u.status).toBe(422);
      expect(u.body.detail[0].loc).toEqual(['body', 'source']);
    });
  });

  describe('lists, compare, history, metrics', () => {
    const model = 'org/model-a';
    const at = (i: number) => `2026-01-0${i}T00:00:00Z`;
    const perfDoc = (ttftP99: number, thr: number, em: number) => ({
      meta: { benchmark_name: 'perf' },
      results: { custom_task_1: { exact_match: em, exact_match_stderr: 0.1 } },
      performance: {
        summary: { completed: 10, failed: 0 },
        throughput: { output_throughput: thr },
        latency: { ttft_ms: { mean: ttftP99 / 2, p99: ttftP99 } },
      },
    });

    beforeAll(async () => {
      for (let i = 1; i <= 5; i++) {
        const r = await post('/standardized_output', {
          run_id: `h${i}`,
          benchmark_name: 'perf',
          timestamp: at(i),
          model_id: i === 5 ? 'org/model-b' : model,
          tokenizer_id: 'tok',
          source: i % 2 ? 'benchops-runner' : 'other',
          data: perfDoc(100 + i * 10, 200 - i * 10, 0.5 + i / 20),
        });
        expect(r.status).toBe(200);
      }
    });

    it('filters by kind: performance figures, declared scores, or both, with the total counted under the filter', async () => {
      const bench = 'kind-check';
      const docs: [string, object][] = [
        ['k-perf', { meta: {}, results: {}, performance: { summary: { completed: 3 }, throughput: { output_throughput: 50 }, latency: { ttft_ms: { mean: 20, p99: 40 } } } }],
        ['k-quality', { meta: {}, results: { gsm8k: { exact_match: 0.7, exact_match_stderr: 0.02 } }, performance: { summary: {}, throughput: {}, latency: {} } }],
        ['k-both', perfDoc(120, 150, 0.6)],
        // counts only: neither a score nor a latency/throughput figure
        ['k-none', { meta: {}, results: { aime: { num_total: 30 } }, performance: { summary: { completed: 1 }, throughput: {}, latency: {} } }],
      ];
      for (const [i, [run, data]] of docs.entries()) {
        const r = await post('/standardized_output', { run_id: run, benchmark_name: bench, timestamp: `2026-02-0${i + 1}T00:00:00Z`, model_id: 'kind-model', tokenizer_id: 't', source: 'other', data });
        expect(r.status).toBe(200);
      }
      const perf = await get(`/standardized_output?benchmark_name=${bench}&kind=performance`);
      expect(perf.body.map((x: any) => x.run_id)).toEqual(['k-both', 'k-perf']);
      expect(perf.headers.get('x-total-count')).toBe('2');
      const quality = await get(`/standardized_output?benchmark_name=${bench}&kind=quality&order=asc`);
      expect(quality.body.map((x: any) => x.run_id)).toEqual(['k-quality', 'k-both']);
      const paged = await get(`/standardized_output?benchmark_name=${bench}&kind=quality&limit=1&offset=1`);
      expect(paged.body.map((x: any) => x.run_id)).toEqual(['k-quality']);
      expect(paged.headers.get('x-total-count')).toBe('2');
      const all = await get(`/standardized_output?benchmark_name=${bench}`);
      expect(all.headers.get('x-total-count')).toBe('4');
      // ordered by another column across pages, then by time
      const bySource = await get(`/standardized_output?sort=source&order=asc&limit=3`);
      const sources = bySource.body.map((x: any) => x.source);
      expect([...sources].sort()).toEqual(sources);
      const byRun = await get(`/standardized_output?benchmark_name=${bench}&sort=model_id&order=desc&limit=2&offset=2`);
      expect(byRun.body.map((x: any) => x.run_id)).toEqual(['k-quality', 'k-perf']);
      expect((await get('/standardized_output?sort=size')).body.detail[0].loc).toEqual(['query', 'sort']);
      const bad = await get('/standardized_output?kind=speed');
      expect(bad.status).toBe(422);
      expect(bad.body.detail[0].loc).toEqual(['query', 'kind']);
      const raw = await get('/raw_input?kind=performance');
      expect(raw.status).toBe(422);
      expect(raw.body.detail[0].loc).toEqual(['query', 'kind']);
    });

    it('filters by model, source, run id and time range, paginates with X-Total-Count, newest first', async () => {
      const all = await get(`/standardized_output?model_id=${encodeURIComponent(model)}&benchmark_name=perf`);
      expect(all.headers.get('x-total-count')).toBe('4');
      expect(all.body.map((x: any) => x.run_id)).toEqual(['h4', 'h3', 'h2', 'h1']);
      expect(Object.keys(all.body[0]).sort()).toEqual(['benchmark_name', 'model_id', 'pk', 'run_id', 'source', 'timestamp', 'tokenizer_id']);
      const page = await get(`/standardized_output?model_id=${encodeURIComponent(model)}&limit=2&offset=1&order=asc`);
      expect(page.body.map((x: any) => x.run_id)).toEqual(['h2', 'h3']);
      expect(page.headers.get('x-total-count')).toBe('4');
      const src = await get('/standardized_output?benchmark_name=perf&source=other');
      expect(src.body.map((x: any) => x.run_id)).toEqual(['h4', 'h2']);
      const range = await get(`/standardized_output?benchmark_name=perf&since=${at(2)}&until=${at(3)}`);
      expect(range.body.map((x: any) => x.run_id)).toEqual(['h3', 'h2']);
      expect((await get('/standardized_output?run_id=h5')).body[0].model_id).toBe('org/model-b');
      const bad = await get('/standardized_output?limit=0');
      expect(bad.status).toBe(422);
      expect(bad.body.detail[0].loc).toEqual(['query', 'limit']);
      const badSince = await get('/standardized_output?since=soon');
      expect(badSince.body.detail[0].loc).toEqual(['query', 'since']);
      const inverted = await get(`/standardized_output?since=${at(3)}&until=${at(2)}`);
      expect(inverted.status).toBe(422);
    });

    it('compares metric paths: absolute and relative deltas against the first pk, with direction', async () => {
      const pk1 = `${at(1)}-perf-h1`;
      const pk2 = `${at(2)}-perf-h2`;
      const r = await get(`/compare?pks=${encodeURIComponent(pk1)},${encodeURIComponent(pk2)}`);
      expect(r.status).toBe(200);
      expect(r.body.baseline).toBe(pk1);
      expect(r.body.results.map((x: any) => x.pk)).toEqual([pk1, pk2]);
      const by = Object.fromEntries(r.body.metrics.map((m: any) => [m.path, m]));
      const ttft = by['performance.latency.ttft_ms.p99'];
      expect(ttft.values).toEqual({ [pk1]: 110, [pk2]: 120 });
      expect(ttft.deltas[pk2].absolute).toBe(10);
      expect(ttft.deltas[pk2].relative).toBeCloseTo(10 / 110, 10);
      expect(ttft.deltas[pk2].improved).toBe(false);
      expect(ttft.higher_is_better).toBe(false);
      const em = by['results.custom_task_1.exact_match'];
      expect(em.deltas[pk2].absolute).toBeCloseTo(0.05, 10);
      expect(em.deltas[pk2].improved).toBe(true);
      expect(by['performance.throughput.output_throughput'].deltas[pk2]).toMatchObject({ absolute: -10, improved: false });
      expect(by['performance.summary.failed'].deltas[pk2]).toEqual({ absolute: 0, relative: null, improved: null });
      // stderr is the stat of its metric, not a metric of its own
      expect(by['results.custom_task_1.exact_match_stderr']).toMatchObject({ metric: 'exact_match', filter: 'none', stat: 'stderr', higher_is_better: false });
      expect(r.body.metrics[0].group).toBe('score');
      const missing = await get(`/compare?pks=${encodeURIComponent(pk1)},nope`);
      expect(missing.status).toBe(404);
      expect(missing.body.detail).toContain('nope');
      const one = await get(`/compare?pks=${encodeURIComponent(pk1)}`);
      expect(one.status).toBe(422);
      expect(one.body.detail[0].loc).toEqual(['query', 'pks']);
    });

    it('history of one model by path or by name, oldest first, paginated', async () => {
      const h = await get(`/models/${encodeURIComponent(model)}/history?metric=performance.latency.ttft_ms.p99`);
      expect(h.status).toBe(200);
      expect(h.body.map((x: any) => x.value)).toEqual([110, 120, 130, 140]);
      expect(h.body[0]).toMatchObject({ run_id: 'h1', benchmark_name: 'perf', timestamp: at(1), stat: 'p99' });
      const byName = await get(`/history?model_id=${encodeURIComponent(model)}&metric=exact_match&task=custom_task_1&limit=2&offset=1`);
      expect(byName.headers.get('x-total-count')).toBe('4');
      expect(byName.body.map((x: any) => x.run_id)).toEqual(['h2', 'h3']);
      const stat = await get(`/history?model_id=${encodeURIComponent(model)}&metric=ttft_ms&stat=mean&since=${at(3)}`);
      expect(stat.body.map((x: any) => x.value)).toEqual([65, 70]);
      expect((await get(`/history?model_id=${encodeURIComponent(model)}`)).status).toBe(422);
    });

    it('/metrics exports the latest score per (task, model) and performance gauges, read from the database', async () => {
      const text = (await get('/metrics')).body as string;
      expect(text).toContain('# TYPE vllm_eval_exact_match gauge');
      expect(text).toContain(`vllm_eval_exact_match{task="custom_task_1",filter="none",model_tag="${model}"} 0.7`);
      expect(text).toContain('vllm_eval_exact_match{task="custom_task_1",filter="none",model_tag="org/model-b"} 0.75');
      expect(text).toContain(`benchops_perf_ttft_ms{model_tag="${model}",benchmark="perf",stat="p99"} 140`);
      expect(text).toContain(`benchops_perf_output_throughput{model_tag="${model}",benchmark="perf"} 160`);
      expect(text).toContain(`benchops_perf_summary_failed{model_tag="${model}",benchmark="perf"} 0`);
      expect(text).not.toContain('vllm_eval_exact_match_stderr');
      expect(text).toContain('benchops_results_export_up 1');
      // An older result posted afterwards does not move the latest value back.
      await post('/standardized_output', {
        run_id: 'old', benchmark_name: 'perf', timestamp: '2025-12-01T00:00:00Z', model_id: model, tokenizer_id: 'tok', source: 's', data: perfDoc(999, 1, 0.01),
      });
      const after = (await get('/metrics')).body as string;
      expect(after).toContain(`vllm_eval_exact_match{task="custom_task_1",filter="none",model_tag="${model}"} 0.7`);
      // A newer one does; a new metric name appears on the very next scrape.
      await post('/standardized_output', {
        run_id: 'new', benchmark_name: 'perf', timestamp: '2026-02-01T00:00:00Z', model_id: model, tokenizer_id: 'tok', source: 's',
        data: { results: { custom_task_1: { exact_match: 0.9, f1: 0.8 } } },
      });
      const newer = (await get('/metrics')).body as string;
      expect(newer).toContain(`vllm_eval_exact_match{task="custom_task_1",filter="none",model_tag="${model}"} 0.9`);
      expect(newer).toContain(`vllm_eval_f1{task="custom_task_1",filter="none",model_tag="${model}"} 0.8`);
    });

    it('the gateway mounts the service under /api/results and exports the same gauges', async () => {
      const gw = p.urls.gateway!;
      const list = await fetch(`${gw}/api/results/standardized_output?benchmark_name=perf&limit=1`);
      expect(list.status).toBe(200);
      expect(list.headers.get('x-total-count')).toBe((await get('/standardized_output?benchmark_name=perf')).headers.get('x-total-count'));
      const text = await (await fetch(`${gw}/metrics`)).text();
      expect(text).toContain(`vllm_eval_exact_match{task="custom_task_1",filter="none",model_tag="${model}"} 0.9`);
    });

    it('/openapi.json documents every route', async () => {
      const o = await get('/openapi.json');
      expect(o.status).toBe(200);
      expect(Object.keys(o.body.paths)).toEqual(
        expect.arrayContaining(['/raw_input', '/standardized_output', '/raw_input/{pk}', '/standardized_output/{pk}', '/compare', '/models/{model_id}/history', '/parse']),
      );
      expect(o.body.paths['/raw_input'].post.requestBody.content['application/json'].schema.required).toEqual(['benchmark_name', 'data', 'model_id', 'source']);
    });

    it('/status counts both collections', async () => {
      const s = await get('/status');
      expect(s.body.documents.standardized).toBeGreaterThan(5);
      expect(s.body.documents.raw).toBeGreaterThan(5);
    });
  });
});
