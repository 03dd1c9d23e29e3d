/**
 * Issue 9, "Results from real images are lost": what evaluation images of the earlier system post, over HTTP on PGlite
 * and PostgreSQL. Names with spaces and `run_id: null`, raw and standardized posted separately (one pk), re-posts,
 * lm-eval output under another source label, lm-eval's `metric,filter` keys, other evaluators' per-benchmark JSON with
 * monthly breakdowns, and secrets in the tools' own output.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './helpers/db.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/results', name), 'utf8'));
/** The metric lines of a /metrics text for one family prefix. */
const lines = (text: string, prefix: string) => text.split('\n').filter((l) => l.startsWith(prefix));

describe.each(DB_KINDS)('results from real evaluation images (%s)', (kind) => {
  let p: TestPlatform;
  const req = (method: string, url: string, body?: unknown) => call(p.urls.results!, method, url, body);
  const post = (url: string, body: unknown) => req('POST', url, body);
  const get = (url: string) => req('GET', url);
  const doc = async (coll: 'raw_input' | 'standardized_output', pk: string) => (await get(`/${coll}/${encodeURIComponent(pk)}`)).body;

  beforeAll(async () => {
    p = await startTestPlatform({ kind, services: ['results'] });
  });
  afterAll(async () => {
    await p?.close();
  });

  describe('the evalchemy image: "Standard Evalchemy", run_id null, source "curator", raw then its own standardized', () => {
    const envelope = {
      run_id: null,
      benchmark_name: 'Standard Evalchemy',
      timestamp: '2025-08-14T02:30:44Z',
      model_id: 'qwen3-8b',
      tokenizer_id: 'Qwen/Qwen3-8B',
      source: 'curator',
    };
    let pk: string;

    it('stores the raw output under a safe pk, keeps the name, and parses it as lm-eval by its shape', async () => {
      const r = await post('/raw_input', { ...envelope, data: fixture('evalchemy-curator-image.json') });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ benchmark_name: 'Standard Evalchemy', run_id_origin: 'generated', created: true });
      expect(r.body.run_id).toMatch(/^[0-9a-f-]{36}$/);
      pk = r.body.pk;
      expect(pk).toBe(`2025-08-14T02:30:44Z-Standard_Evalchemy-${r.body.run_id}`);
      expect(r.body.standardized).toEqual({ stored: true, parser: 'lm-eval', selected_by: 'shape' });
      const std = await doc('standardized_output', pk);
      expect(std.data.meta.parser).toEqual({ name: 'lm-eval', selected_by: 'shape', version: 2 });
      expect(std.data.meta.benchmark_name).toBe('Standard Evalchemy');
      expect(std.data.results.hellaswag).toEqual({ acc: 0.5843, acc_stderr: 0.004919, acc_norm: 0.7712, acc_norm_stderr: 0.004194 });
      const list = await get(`/raw_input?benchmark_name=${encodeURIComponent('Standard Evalchemy')}`);
      expect(list.body.map((x: any) => x.pk)).toEqual([pk]);
      // the pk needs no escaping beyond a path segment's
      expect((await get(`/raw_input/${pk}`)).status).toBe(200);
    });

    it('re-posting the identical raw document answers the same pk and stores nothing new', async () => {
      const again = await post('/raw_input', { ...envelope, data: fixture('evalchemy-curator-image.json') });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ pk, created: false, run_id_origin: 'identical_post', standardized: { stored: true } });
      const list = await get(`/raw_input?benchmark_name=${encodeURIComponent('Standard Evalchemy')}`);
      expect(list.headers.get('x-total-count')).toBe('1');
    });

    it("the image's own standardized post (also run_id null) joins the raw document's pk and replaces the derived one", async () => {
      const s = await post('/standardized_output', { ...envelope, data: fixture('evalchemy-curator-standardized.json') });
      expect(s.status).toBe(200);
      expect(s.body).toMatchObject({ pk, run_id_origin: 'linked_post', created: true });
      expect((await doc('standardized_output', pk)).data).toEqual(fixture('evalchemy-curator-standardized.json'));
      expect((await get(`/standardized_output?benchmark_name=${encodeURIComponent('Standard Evalchemy')}`)).headers.get('x-total-count')).toBe('1');
      // and re-posting it is a no-op on the same pk
      const again = await post('/standardized_output', { ...envelope, data: fixture('evalchemy-curator-standardized.json') });
      expect(again.body).toMatchObject({ pk, created: false, run_id_origin: 'identical_post' });
    });

    it('its acc,none keys are the score acc with filter none: one series per filter, no vllm_eval_acc_none, no stderr gauge', async () => {
      const text = (await get('/metrics')).body as string;
      expect(lines(text, 'vllm_eval_acc{')).toEqual(['vllm_eval_acc{task="hellaswag",filter="none",model_tag="qwen3-8b"} 0.5843']);
      expect(lines(text, 'vllm_eval_exact_match{')).toEqual([
        'vllm_eval_exact_match{task="gsm8k",filter="flexible-extract",model_tag="qwen3-8b"} 0.9052',
        'vllm_eval_exact_match{task="gsm8k",filter="strict-match",model_tag="qwen3-8b"} 0.8931',
      ]);
      expect(text).not.toMatch(/^vllm_eval_[a-z_]*(none|strict|flexible|stderr)/m);
    });
  });

  it('identical posts without a run id arriving together store one document: one created, all answer its pk', async () => {
    const body = { benchmark_name: 'Burst', model_id: 'm-burst', source: 'curator', timestamp: '2025-08-18T00:00:00Z', run_id: null, data: fixture('evalchemy-curator-image.json') };
    const all = await Promise.all(Array.from({ length: 6 }, () => post('/raw_input', body)));
    expect(all.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(new Set(all.map((r) => r.body.pk)).size).toBe(1);
    expect(all.filter((r) => r.body.created)).toHaveLength(1);
    expect((await get('/raw_input?benchmark_name=Burst')).headers.get('x-total-count')).toBe('1');
    expect((await get('/standardized_output?benchmark_name=Burst')).headers.get('x-total-count')).toBe('1');
  });

  it('raw and standardized posted without run id and without timestamp still share one pk', async () => {
    const env = { benchmark_name: 'No Clock', model_id: 'm-clock', source: 'curator' };
    const raw = await post('/raw_input', { ...env, data: { results: { t: { 'acc,none': 0.5 } }, versions: { t: 1 } } });
    const std = await post('/standardized_output', { ...env, run_id: '', timestamp: null, data: { results: { t: { acc: 0.5 } } } });
    expect(std.body).toMatchObject({ pk: raw.body.pk, run_id: raw.body.run_id, run_id_origin: 'linked_post' });
    // a third post of a new run is not swallowed: different data, both halves already present
    const next = await post('/standardized_output', { ...env, data: { results: { t: { acc: 0.7 } } } });
    expect(next.body.run_id_origin).toBe('generated');
    expect(next.body.pk).not.toBe(raw.body.pk);
  });

  it('two runs at the same second without run ids stay two results; each standardized post pairs with a raw one', async () => {
    const env = { benchmark_name: 'Twin Runs', model_id: 'm-twin', source: 'script', timestamp: '2025-08-15T00:00:00Z' };
    const a = await post('/raw_input', { ...env, data: { run: 'a' } });
    const b = await post('/raw_input', { ...env, data: { run: 'b' } });
    expect(a.body.pk).not.toBe(b.body.pk);
    const sb = await post('/standardized_output', { ...env, data: { results: { t: { acc: 0.2 } } } });
    const sa = await post('/standardized_output', { ...env, data: { results: { t: { acc: 0.1 } } } });
    expect(new Set([sa.body.pk, sb.body.pk])).toEqual(new Set([a.body.pk, b.body.pk]));
    // with both halves taken, a further post starts a run of its own
    const c = await post('/standardized_output', { ...env, data: { results: { t: { acc: 0.3 } } } });
    expect([a.body.pk, b.body.pk]).not.toContain(c.body.pk);
  });

  it('names that spell the same pk are a 409 naming the stored benchmark, never a silent overwrite', async () => {
    const base = { run_id: 'r 1', timestamp: '2025-08-16T00:00:00Z', model_id: 'm', source: 's', data: { x: 1 } };
    const first = await post('/raw_input', { ...base, benchmark_name: 'My Bench' });
    expect(first.body.pk).toBe('2025-08-16T00:00:00Z-My_Bench-r_1');
    expect(first.body.run_id).toBe('r 1');
    const other = await post('/raw_input', { ...base, benchmark_name: 'My_Bench' });
    expect(other.status).toBe(409);
    expect(other.body.detail).toContain('"My Bench"');
    expect((await doc('raw_input', first.body.pk)).data).toEqual({ x: 1 });
  });

  it('a name with a comma ("MMLU, 5-shot") gets a pk that GET /compare?pks=a,b can split', async () => {
    const base = { benchmark_name: 'MMLU, 5-shot', model_id: 'm-comma', source: 's', timestamp: '2025-08-17T00:00:00Z' };
    const a = await post('/standardized_output', { ...base, run_id: 'a', data: { results: { mmlu: { acc: 0.6 } } } });
    const b = await post('/standardized_output', { ...base, run_id: 'b', data: { results: { mmlu: { acc: 0.65 } } } });
    expect(a.body).toMatchObject({ pk: '2025-08-17T00:00:00Z-MMLU_5-shot-a', benchmark_name: 'MMLU, 5-shot' });
    const r = await get(`/compare?pks=${a.body.pk},${b.body.pk}`);
    expect(r.status).toBe(200);
    expect(r.body.metrics.find((m: any) => m.metric === 'acc' && m.stat === '').deltas[b.body.pk].absolute).toBeCloseTo(0.05, 10);
  });

  it('a data string that looks like JSON but is not is stored as text, and the answer says so', async () => {
    const r = await post('/raw_input', { benchmark_name: 'text', model_id: 'm', source: 's', data: '{"broken": tru' });
    expect(r.status).toBe(200);
    expect(r.body.warnings).toEqual([expect.stringMatching(/^data is a string that looks like JSON but is not \(invalid JSON.*\); stored as text$/)]);
    expect(r.body.warnings[0]).not.toContain('broken');
    expect((await doc('raw_input', r.body.pk)).data).toBe('{"broken": tru');
  });

  describe('other evaluators: per-benchmark accuracies with monthly breakdowns', () => {
    const data = fixture('reasoning-aime-livecodebench.json');
    const envelope = { benchmark_name: 'Reasoning Suite', model_id: 'm-reason', timestamp: '2025-08-14T05:12:09Z', source: 'reasoning-eval' };

    it('only declared scores become gauges, each benchmark under its own task; months, difficulties and counts do not', async () => {
      const r = await post('/standardized_output', { ...envelope, run_id: 'lcb-1', data: { meta: { evaluator: data.evaluator }, results: data.results } });
      expect(r.status).toBe(200);
      const text = (await get('/metrics')).body as string;
      const mine = text.split('\n').filter((l) => l.startsWith('vllm_eval_') && l.includes('model_tag="m-reason"'));
      expect(mine.sort()).toEqual(
        [
          'vllm_eval_accuracy{task="aime24",filter="none",model_tag="m-reason"} 0.7333',
          'vllm_eval_accuracy{task="aime25",filter="none",model_tag="m-reason"} 0.6667',
          'vllm_eval_pass_1{task="aime24",filter="none",model_tag="m-reason"} 0.7333',
          'vllm_eval_pass_1{task="aime25",filter="none",model_tag="m-reason"} 0.6667',
          'vllm_eval_pass_1{task="livecodebench_v5",filter="none",model_tag="m-reason"} 0.5412',
          'vllm_eval_pass_1{task="livecodebench_v6",filter="none",model_tag="m-reason"} 0.4914',
          'vllm_eval_pass_4{task="aime24",filter="none",model_tag="m-reason"} 0.8667',
          'vllm_eval_pass_4{task="aime25",filter="none",model_tag="m-reason"} 0.8',
        ].sort(),
      );
      expect(text).not.toMatch(/^vllm_eval_(20\d\d|by_|num_|avg_output|timeouts|count|easy|hard)/m);
      // the breakdowns are kept in the document for people to read
      expect((await doc('standardized_output', r.body.pk)).data.results.livecodebench_v5.by_month['2024-08']).toEqual({ 'pass@1': 0.6098, count: 41 });
    });

    it('the same document posted raw under an lm-eval label gives the same gauges; history reads a score per task', async () => {
      const r = await post('/raw_input', { ...envelope, run_id: 'lcb-2', timestamp: '2025-08-15T05:12:09Z', source: 'evalchemy', data });
      expect(r.body.standardized).toMatchObject({ stored: true, parser: 'evalchemy' });
      const h = await get(`/history?model_id=m-reason&metric=pass@1`);
      expect(h.body.map((x: any) => [x.task, x.value, x.stat])).toEqual([
        ['aime24', 0.7333, ''], ['aime25', 0.6667, ''], ['livecodebench_v5', 0.5412, ''], ['livecodebench_v6', 0.4914, ''],
        ['aime24', 0.7333, ''], ['aime25', 0.6667, ''], ['livecodebench_v5', 0.5412, ''], ['livecodebench_v6', 0.4914, ''],
      ]);
      const counts = await get(`/history?model_id=m-reason&metric=num_problems&stat=detail&task=aime24`);
      expect(counts.body.map((x: any) => x.value)).toEqual([30, 30]);
    });
  });

  it('/compare pairs a derived lm-eval result (acc) with an explicit one written in lm-eval keys (acc,none)', async () => {
    const env = { benchmark_name: 'pairing', model_id: 'm-pair', tokenizer_id: 't', timestamp: '2025-08-20T00:00:00Z' };
    const derived = await post('/raw_input', { ...env, run_id: 'd', source: 'lm-eval', data: fixture('evalchemy-curator-image.json') });
    const explicit = await post('/standardized_output', { ...env, run_id: 'e', source: 'curator', data: fixture('evalchemy-curator-standardized.json') });
    const r = await get(`/compare?pks=${encodeURIComponent(derived.body.pk)},${encodeURIComponent(explicit.body.pk)}`);
    expect(r.status).toBe(200);
    const scores = r.body.metrics.filter((m: any) => m.group === 'score' && ['hellaswag', 'gsm8k'].includes(m.task));
    const by = Object.fromEntries(scores.map((m: any) => [`${m.task}.${m.metric}.${m.filter}.${m.stat}`, Object.values(m.values)]));
    expect(by).toEqual({
      'hellaswag.acc.none.': [0.5843, 0.5843],
      'hellaswag.acc.none.stderr': [0.004919, 0.004919],
      'hellaswag.acc_norm.none.': [0.7712, 0.7712],
      'hellaswag.acc_norm.none.stderr': [0.004194, 0.004194],
      'gsm8k.exact_match.strict-match.': [0.8931, 0.8931],
      'gsm8k.exact_match.flexible-extract.': [0.9052, 0.9052],
      'gsm8k.exact_match.strict-match.stderr': [0.008501, 0.008501],
      'gsm8k.exact_match.flexible-extract.stderr': [0.008067, 0.008067],
    });
    expect(scores.every((m: any) => Object.values(m.deltas).every((d: any) => d.absolute === 0))).toBe(true);
  });

  it('redacts secrets, not words: tokenizer= and max_tokens= kept; api_key, HF_TOKEN, token= and --hf-token redacted', async () => {
    const data = {
      ...fixture('evalchemy-curator-image.json'),
      invocation: ['lm_eval', '--model', 'local-chat-completions', '--hf-token', 'hf_short', '--tokenizer', 'Qwen/Qwen3-8B'],
      extra_args: 'token=abc123 max_tokens=256 tokenizer_mode=auto',
      eos_token: '<|im_end|>',
      hf_token: 'hf_abcdefghijklmnop',
    };
    const r = await post('/raw_input', { benchmark_name: 'secrets', model_id: 'm', source: 'curator', data });
    const raw = (await doc('raw_input', r.body.pk)).data;
    expect(raw.config.model_args).toBe(
      'pretrained=Qwen/Qwen3-8B,tokenizer=Qwen/Qwen3-8B,base_url=http://vllm-qwen3-8b.vllm.svc:8000/v1/chat/completions,api_key=[redacted],max_tokens=4096,tokenized_requests=False',
    );
    expect(raw.invocation).toEqual(['lm_eval', '--model', 'local-chat-completions', '--hf-token', '[redacted]', '--tokenizer', 'Qwen/Qwen3-8B']);
    expect(raw.extra_args).toBe('token=[redacted] max_tokens=256 tokenizer_mode=auto');
    expect(raw.pretty_env_info).toContain('HF_TOKEN=[redacted]');
    expect(raw).toMatchObject({ eos_token: '<|im_end|>', hf_token: '[redacted]', tokenizer_pad_token: ['<|endoftext|>', '151643'] });
    const std = (await doc('standardized_output', r.body.pk)).data;
    expect(std.meta.tool_model.args).toBe(raw.config.model_args);
    for (const text of [JSON.stringify(raw), JSON.stringify(std)]) expect(text).not.toMatch(/sk-proj-notarealkey|hf_notarealtoken|hf_abcdefgh|abc123/);
  });

  it("the load generator's self-check verdict and reason reach the standardized document", async () => {
    const report = {
      ...fixture('vllm-bench-serve.json'),
      benchops: {
        reliable: false,
        self_check: { reliable: false, reasons: ['p99 event-loop lag 14.20 ms > 10 ms', 'client CPU 97 % of a core > 90 %'] },
      },
    };
    const r = await post('/raw_input', { benchmark_name: 'saturated', model_id: 'm', source: 'benchops-bench', data: report });
    expect(r.body.standardized).toEqual({ stored: true, parser: 'vllm-bench', selected_by: 'shape' });
    const std = (await doc('standardized_output', r.body.pk)).data;
    expect(std.meta.reliability).toEqual({ reliable: false, reasons: ['p99 event-loop lag 14.20 ms > 10 ms', 'client CPU 97 % of a core > 90 %'] });
  });
});
