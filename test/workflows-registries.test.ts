/**
 * The registries behind the workflow, over HTTP on PGlite and PostgreSQL: datasets (JSONL and ShareGPT uploads,
 * statistics counted with the bundled tokenizer, the bad line or entry named without quoting it, size limit), models
 * (served with the simulator's shape, cloud with endpoint and credential, each rule's 422), and credentials
 * (encrypted at rest, write-only, never in a response or a log line).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledTokenizer } from '../src/loadgen/tokenizer.ts';
import { DB_KINDS } from './helpers/db.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const tok = bundledTokenizer();

describe.each(DB_KINDS)('workflow registries (%s)', (kind) => {
  let p: TestPlatform;
  let base: string;
  const post = (path: string, body: unknown) => call(base, 'POST', path, body);
  const get = (path: string) => call(base, 'GET', path);

  beforeAll(async () => {
    p = await startTestPlatform({ kind, services: ['workflows'], env: { BENCHOPS_WORKFLOWS_PORT: '0', BENCHOPS_LOG_LEVEL: 'trace' } });
    base = p.urls.workflows!;
  });
  afterAll(async () => {
    await p?.close();
  });

  it('JSONL: rows, token-length percentiles with the tokenizer used, output lengths from the number or the reference answer', async () => {
    const rows = [
      { prompt: 'Explain continuous batching in one paragraph.', output_len: 120 },
      { question: 'What is the capital of France?', answer: 'Paris is the capital of France.' },
      { instruction: 'List three GPU vendors.', max_tokens: 40 },
      { text: 'Summarise the plot of Hamlet.' },
    ];
    const r = await post('/datasets', { name: `jsonl-${kind}`, format: 'jsonl', content: rows.map((x) => JSON.stringify(x)).join('\n') + '\n\n' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const inputs = [rows[0].prompt!, rows[1].question!, rows[2].instruction!, rows[3].text!].map((s) => tok.count(s));
    const outputs = [120, tok.count(rows[1].answer!), 40];
    expect(r.body).toMatchObject({ name: `jsonl-${kind}`, format: 'jsonl', rows: 4, tokenizer: 'benchops-bundled-v1' });
    expect(r.body.stats).toMatchObject({
      rows: 4,
      rows_with_output_len: 3,
      tokenizer: { id: 'benchops-bundled-v1', source: 'bundled' },
      input_tokens: { min: Math.min(...inputs), max: Math.max(...inputs) },
      output_tokens: { min: Math.min(...outputs), max: 120 },
    });
    expect(r.body.stats.input_tokens.mean).toBeCloseTo(inputs.reduce((a, b) => a + b, 0) / 4, 2);
    expect(r.body.stats.input_tokens.p50).toBeGreaterThanOrEqual(r.body.stats.input_tokens.min);
    expect(r.body.stats.input_tokens.p99).toBeLessThanOrEqual(r.body.stats.input_tokens.max);
    const one = await get(`/datasets/${r.body.id}`);
    const { warnings: _w, ...created } = r.body;
    expect(one.body).toEqual(created);
    expect(one.body).not.toHaveProperty('content');
    expect((await post('/datasets', { name: `jsonl-${kind}`, content: '{"prompt": "x"}' })).status).toBe(409);
  });

  it('ShareGPT: the first turn and its answer; vLLM\'s length filter drops entries and says how many', async () => {
    const long = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const data = [
      { conversations: [{ from: 'human', value: `Tell me about ${long}` }, { from: 'gpt', value: `Here is what I know about ${long}` }] },
      { conversations: [{ from: 'human', value: 'hi' }, { from: 'gpt', value: 'hello' }] },
    ];
    const r = await post('/datasets', { name: `sharegpt-${kind}`, content: JSON.stringify(data) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ format: 'sharegpt', rows: 1, stats: { dropped: 1, output_tokens: { min: tok.count(data[0].conversations[1].value) } } });
    expect(r.body.warnings.join(' ')).toMatch(/1 ShareGPT entry was dropped/);
  });

  it('a bad line or entry is named, its text never quoted; empty and oversized uploads are refused', async () => {
    const secretish = 'sk-live-DO-NOT-ECHO-123';
    const bad = async (content: string, msg: RegExp, format?: string) => {
      const r = await post('/datasets', { name: `bad-${Math.random()}`, content, ...(format ? { format } : {}) });
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.detail[0].loc).toEqual(['body', 'content']);
      expect(r.body.detail[0].msg).toMatch(msg);
      expect(JSON.stringify(r.body)).not.toContain(secretish);
    };
    await bad(`{"prompt": "ok"}\n{"prompt": "fine"}\n{"prompt": "${secretish}" oops}\n`, /^line 3: not valid JSON \(column \d+\)$/);
    await bad(`{"prompt": "ok"}\n{"completion": "${secretish}"}\n`, /^line 2: no string field prompt\/question\/input\/instruction\/text$/);
    await bad(`{"prompt": "ok", "output_len": -3}\n`, /^line 1: output_len must be a positive integer$/);
    await bad(`["${secretish}"]`, /^line 1: must be a JSON object$/, 'jsonl');
    await bad(JSON.stringify([{ conversations: [{ value: 'a b c d e' }, { value: 'f g h i j' }] }, { conversations: [{ value: secretish }] }]), /^entry \[1\]: the first two turns need string values/);
    await bad(`[{"conversations": [{"value": "${secretish}"}`, /^ShareGPT data is not valid JSON: invalid JSON/);
    await bad('\n\n', /no rows/);
    const big = await post('/datasets', { name: 'big', content: `{"prompt": "${'x'.repeat(8 * 1024 * 1024)}"}` });
    expect(big.status).toBe(422);
    expect(big.body.detail[0].loc).toEqual(['body', 'content']);
    expect((await get('/datasets?name=bad-')).body).toEqual([]);
    const log = p.logs();
    expect(log).not.toContain(secretish);
  });

  it('lists with paging and deletes', async () => {
    const ids: string[] = [];
    for (const n of ['page-a', 'page-b', 'page-c']) ids.push((await post('/datasets', { name: `${n}-${kind}`, content: '{"prompt": "hello there"}' })).body.id);
    const first = await get('/datasets?name=page-&limit=2');
    expect(first.headers.get('x-total-count')).toBe('3');
    expect(first.body.map((d: any) => d.id)).toEqual(ids.slice(0, 2));
    expect((await get('/datasets?name=page-&limit=2&offset=2')).body.map((d: any) => d.id)).toEqual([ids[2]]);
    expect((await call(base, 'DELETE', `/datasets/${ids[1]}`)).status).toBe(200);
    expect((await get(`/datasets/${ids[1]}`)).status).toBe(404);
    expect((await call(base, 'DELETE', `/datasets/${ids[1]}`)).status).toBe(404);
  });

  it('models: served with the simulator\'s shape, or cloud with endpoint and credential; each rule a 422 naming the field', async () => {
    const served = await post('/models', { name: `served-${kind}`, kind: 'served', model_name: 'meta-llama/Llama-3.1-8B-Instruct' });
    expect(served.status).toBe(201);
    expect(served.body).toMatchObject({ kind: 'served', api: 'completions', context_length: 131072, simulator: { known: true, model: 'meta-llama/Llama-3.1-8B-Instruct', layers: 32, kind: 'dense' } });
    // a local path: the shape comes from the folder's name when it states a size
    const local = await post('/models', { name: `local-${kind}`, kind: 'served', model_name: '/models/acme-chat-13B', max_model_len: 4096 });
    expect(local.body.simulator).toMatchObject({ known: true, estimated_from: expect.any(String) });
    expect(local.body.context_length).toBe(4096);
    const unknown = await post('/models', { name: `mystery-${kind}`, kind: 'served', model_name: 'acme/mystery-model' });
    expect(unknown.status).toBe(201);
    expect(unknown.body.simulator.known).toBe(false);
    expect(unknown.body.warnings.join(' ')).toMatch(/cannot be simulated/);
    const shaped = await post('/models', { name: `shaped-${kind}`, kind: 'served', model_name: 'acme/mystery-model', simulator: { model: 'Qwen/Qwen3-8B' } });
    expect(shaped.body.simulator).toMatchObject({ known: true, model: 'Qwen/Qwen3-8B' });
    const embed = await post('/models', { name: `embed-${kind}`, kind: 'served', model_name: 'BAAI/bge-small-en-v1.5' });
    expect(embed.body.warnings.join(' ')).toMatch(/embedding model/);
    const cred = (await post('/credentials', { name: `models-cred-${kind}`, api_key: 'sk-models' })).body.id;
    const cloud = await post('/models', { name: `cloud-${kind}`, kind: 'cloud', model_name: 'gpt-x', endpoint_url: 'https://api.example.com/v1/', credential_id: cred, api: 'chat', simulator: { model: 'Llama-3.1-70B', hardware: 'H100 SXM', tensor_parallel: 4 } });
    expect(cloud.status, JSON.stringify(cloud.body)).toBe(201);
    expect(cloud.body).toMatchObject({ kind: 'cloud', endpoint_url: 'https://api.example.com/v1', credential_id: cred, api: 'chat', simulator: { hardware: 'H100-80G', tensor_parallel: 4 } });
    const bad = async (body: Record<string, unknown>, field: string) => {
      const r = await post('/models', { kind: 'served', model_name: 'Qwen/Qwen3-8B', ...body, name: `bad-${Math.random()}` });
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.detail.map((d: any) => d.loc.join('.'))).toContain(field);
    };
    await bad({ kind: 'cloud' }, 'body.endpoint_url');
    await bad({ endpoint_url: 'https://x.example/v1' }, 'body.endpoint_url');
    await bad({ kind: 'cloud', endpoint_url: 'ftp://x.example/v1' }, 'body.endpoint_url');
    await bad({ kind: 'cloud', endpoint_url: 'https://x.example/v1', credential_id: 'no-such-credential' }, 'body.credential_id');
    await bad({ credential_id: cred }, 'body.credential_id');
    await bad({ simulator: { model: 'acme/unknowable' } }, 'body.simulator.model');
    await bad({ simulator: { hardware: 'TPU-v9' } }, 'body.simulator.hardware');
    await bad({ max_model_len: 1_000_000 }, 'body.max_model_len');
    await bad({ kind: 'local' }, 'body.kind');
    expect((await post('/models', { name: `served-${kind}`, kind: 'served', model_name: 'x-7B' })).status).toBe(409);
    const clouds = await get('/models?kind=cloud');
    expect(clouds.body.map((m: any) => m.id)).toEqual([cloud.body.id]);
    expect((await call(base, 'DELETE', `/models/${served.body.id}`)).status).toBe(200);
    expect((await get(`/models/${served.body.id}`)).status).toBe(404);
  });

  it('credentials: encrypted at rest, write-only, rotated, never in a response or a log line; in use by a model → 409', async () => {
    const KEY = `sk-registry-${kind}-5f2c9a`;
    const c = await post('/credentials', { name: `cred-${kind}`, provider: 'openai', api_key: KEY });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ name: `cred-${kind}`, provider: 'openai', has_api_key: true });
    expect(Object.keys(c.body)).not.toContain('api_key');
    const stored: any = await p.ctx.db.execute(sql`SELECT secret_enc FROM workflows_credentials WHERE id = ${c.body.id}`);
    const enc = String((stored.rows ?? stored)[0].secret_enc);
    expect(enc).toMatch(/^v1:/);
    expect(enc).not.toContain(KEY);
    expect(p.ctx.secrets.decrypt(enc)).toBe(KEY);
    const NEW = `${KEY}-rotated`;
    const put = await call(base, 'PUT', `/credentials/${c.body.id}`, { api_key: NEW });
    expect(put.status).toBe(200);
    const again: any = await p.ctx.db.execute(sql`SELECT secret_enc FROM workflows_credentials WHERE id = ${c.body.id}`);
    expect(p.ctx.secrets.decrypt(String((again.rows ?? again)[0].secret_enc))).toBe(NEW);
    const m = await post('/models', { name: `uses-cred-${kind}`, kind: 'cloud', model_name: 'm', endpoint_url: 'https://api.example.com/v1', credential_id: c.body.id });
    const inUse = await call(base, 'DELETE', `/credentials/${c.body.id}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.detail).toMatch(/used by model uses-cred/);
    const seen = [
      JSON.stringify(c.body),
      JSON.stringify(put.body),
      JSON.stringify((await get('/credentials')).body),
      JSON.stringify((await get(`/credentials/${c.body.id}`)).body),
      JSON.stringify(m.body),
      p.logs(),
    ].join('\n');
    expect(seen).not.toContain(KEY);
    expect(seen).not.toContain('registry-');
    await call(base, 'DELETE', `/models/${m.body.id}`);
    expect((await call(base, 'DELETE', `/credentials/${c.body.id}`)).status).toBe(200);
    expect((await post('/credentials', { name: 'no-key' })).status).toBe(422);
    expect((await post('/credentials', { name: 'empty', api_key: '' })).status).toBe(422);
  });
});
