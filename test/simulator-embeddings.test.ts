/**
 * Embedding models on the emulated server, over HTTP: `/v1/embeddings` in OpenAI's shape (vectors of the model's
 * dimension, deterministic per input, usage), timed as a prefill-only request; the generation routes answer what vLLM
 * answers for a pooling model (FastAPI's 404, since vLLM does not register them).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PerformanceModel, resolveDeployment, spawnEmulator, startEmulatedServer, type EmulatedServer } from '../src/simulator/index.ts';

const run = promisify(execFile);
const BIN = path.resolve('bin/benchops.js');
let bge: EmulatedServer;
let qwen: EmulatedServer;

const post = (srv: EmulatedServer, path: string, body: unknown) =>
  fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
async function embed(srv: EmulatedServer, body: Record<string, unknown>): Promise<any> {
  const r = await post(srv, '/v1/embeddings', { model: srv.model, ...body });
  expect(r.status).toBe(200);
  return r.json();
}
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b));

beforeAll(async () => {
  bge = await startEmulatedServer({ model: 'BAAI/bge-small-en-v1.5', hardware: 'L4', seed: 1 });
  qwen = await startEmulatedServer({ model: 'Qwen/Qwen3-Embedding-0.6B', hardware: 'L4', served_model_name: 'qwen-embed', max_model_len: 2048 });
});
afterAll(async () => {
  await bge?.close();
  await qwen?.close();
});

describe('/v1/embeddings', () => {
  it('answers in OpenAI shape with a unit vector of the model dimension and usage counting the prompt', async () => {
    const j = await embed(bge, { input: 'the capital of France is Paris' });
    expect(j).toMatchObject({ object: 'list', model: 'BAAI/bge-small-en-v1.5', data: [{ index: 0, object: 'embedding' }] });
    expect(j.id).toMatch(/^embd-/);
    expect(Number.isInteger(j.created)).toBe(true);
    const v: number[] = j.data[0].embedding;
    expect(v).toHaveLength(384);
    expect(norm(v)).toBeCloseTo(1, 5);
    const t: any = await (await post(bge, '/tokenize', { prompt: 'the capital of France is Paris' })).json();
    expect(j.usage).toEqual({ prompt_tokens: t.count, total_tokens: t.count, completion_tokens: 0, prompt_tokens_details: null });
  });

  it('is deterministic per input and model (not per server seed); other inputs get other vectors', async () => {
    const a = (await embed(bge, { input: 'hello world' })).data[0].embedding;
    expect((await embed(bge, { input: 'hello world' })).data[0].embedding).toEqual(a);
    const other = await startEmulatedServer({ model: 'BAAI/bge-small-en-v1.5', hardware: 'L4', seed: 99 });
    try {
      expect((await embed(other, { input: 'hello world' })).data[0].embedding).toEqual(a);
    } finally {
      await other.close();
    }
    expect((await embed(bge, { input: 'goodbye world' })).data[0].embedding).not.toEqual(a);
    // texts sharing words are closer than unrelated ones
    const [cat1, cat2, far] = (await embed(bge, { input: ['the cat sat on the mat', 'the cat sat on a mat', 'quantum chromodynamics lecture notes'] })).data.map((d: any) => d.embedding);
    expect(cos(cat1, cat2)).toBeGreaterThan(cos(cat1, far) + 0.3);
  });

  it('embeds a batch (one item per input, in order, usage summed) and token-id input like its text', async () => {
    const texts = ['alpha', 'beta gamma', 'delta epsilon zeta'];
    const j = await embed(bge, { input: texts });
    expect(j.data.map((d: any) => d.index)).toEqual([0, 1, 2]);
    const singles = await Promise.all(texts.map((t) => embed(bge, { input: t })));
    for (let i = 0; i < 3; i++) expect(j.data[i].embedding).toEqual(singles[i].data[0].embedding);
    expect(j.usage.prompt_tokens).toBe(singles.reduce((n, s) => n + s.usage.prompt_tokens, 0));
    const ids = (await (await post(bge, '/tokenize', { prompt: 'beta gamma' })).json()).tokens;
    const byIds = await embed(bge, { input: ids });
    expect(byIds.data[0].embedding).toEqual(singles[1].data[0].embedding);
    const byIdLists = await embed(bge, { input: [ids, ids] });
    expect(byIdLists.data).toHaveLength(2);
  });

  it('base64 carries the same float32 vector', async () => {
    const f = (await embed(bge, { input: 'bytes please' })).data[0].embedding;
    const b64 = (await embed(bge, { input: 'bytes please', encoding_format: 'base64' })).data[0].embedding;
    const buf = Buffer.from(b64, 'base64');
    expect(Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4))).toEqual(f);
  });

  it('shortens vectors only for Matryoshka models, keeping their leading coordinates', async () => {
    const bad = await post(bge, '/v1/embeddings', { input: 'x', dimensions: 128 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ type: 'BadRequestError', param: 'dimensions', message: expect.stringMatching(/does not support matryoshka/) });
    const full = (await embed(qwen, { input: 'matryoshka dolls nest' })).data[0].embedding;
    expect(full).toHaveLength(1024);
    const short = (await embed(qwen, { input: 'matryoshka dolls nest', dimensions: 256 })).data[0].embedding;
    expect(short).toHaveLength(256);
    expect(norm(short)).toBeCloseTo(1, 5);
    expect(cos(short, full.slice(0, 256))).toBeCloseTo(1, 5);
    expect((await post(qwen, '/v1/embeddings', { input: 'x', dimensions: 0 })).status).toBe(400);
    expect((await post(qwen, '/v1/embeddings', { input: 'x', dimensions: 4096 })).status).toBe(400);
  });

  it('refuses bad input like vLLM: too long (unless truncated), wrong forms, unknown model', async () => {
    const long = Array.from({ length: 600 }, () => ' ba').join('');
    const r = await post(bge, '/v1/embeddings', { input: long });
    expect(r.status).toBe(400);
    expect((await r.json()).error.message).toMatch(/maximum context length is 512 tokens\. However, you requested 600 tokens/);
    const cut = await embed(bge, { input: long, truncate_prompt_tokens: 512 });
    expect(cut.usage.prompt_tokens).toBe(512);
    expect((await embed(bge, { input: long, truncate_prompt_tokens: -1 })).usage.prompt_tokens).toBe(512);
    const tooMany = await post(bge, '/v1/embeddings', { input: Array.from({ length: 2049 }, () => 'a') });
    expect((await tooMany.json()).error).toMatchObject({ param: 'input', message: expect.stringMatching(/at most 2048 items/) });
    for (const body of [{}, { input: [] }, { input: [1, 'a'] }, { input: 'x', encoding_format: 'bytes_only' }, { input: 'x', truncate_prompt_tokens: 0 }]) {
      const e = await post(bge, '/v1/embeddings', body);
      expect(e.status).toBe(400);
      expect((await e.json()).error.type).toBe('BadRequestError');
    }
    const m = await post(bge, '/v1/embeddings', { model: 'nope', input: 'x' });
    expect(m.status).toBe(404);
    expect((await m.json()).error).toMatchObject({ type: 'NotFoundError', param: 'model' });
  });

  it('takes at least the modelled prefill time, and is recorded and counted as a prefill-only request', async () => {
    const srv = await startEmulatedServer({ model: 'Qwen/Qwen3-Embedding-4B', hardware: 'L4', max_model_len: 4096 });
    try {
      const input = Array.from({ length: 1500 }, () => ' ba').join('');
      const before = await (await fetch(srv.url + '/metrics')).text();
      const j = await embed(srv, { input });
      expect(j.data[0].embedding).toHaveLength(2560);
      const rec = srv.records().at(-1)!;
      expect(rec).toMatchObject({ endpoint: 'embeddings', prompt_tokens: 1500, output_tokens: 0, chunk_ms: [], finish_reason: 'stop' });
      expect(rec.first_scheduled_ms).toBeGreaterThanOrEqual(rec.arrival_ms);
      // one 1500-token prefill of a 4B model on an L4 (the engine's token budget holds it in one step)
      const model = new PerformanceModel(resolveDeployment({ model: 'Qwen/Qwen3-Embedding-4B', hardware: 'L4' }));
      const prefill = model.stepTime([{ tokens: 1500, context: 0 }]);
      expect(prefill).toBeGreaterThan(0.05);
      // (from arrival: the engine anchors a step at submission, which may precede the scheduling call)
      expect((rec.finished_ms! - rec.arrival_ms) / 1000).toBeGreaterThanOrEqual(prefill * 0.99);
      const after = await (await fetch(srv.url + '/metrics')).text();
      const counter = (txt: string, name: string) => Number(new RegExp(`${name}\\{[^}]*\\} (\\d+)`).exec(txt)![1]);
      expect(counter(after, 'vllm:prompt_tokens_total') - counter(before, 'vllm:prompt_tokens_total')).toBe(1500);
      expect(counter(after, 'vllm:generation_tokens_total')).toBe(counter(before, 'vllm:generation_tokens_total'));
      expect(after).toMatch(/vllm:request_success_total\{[^}]*finished_reason="stop"\} 1/);
    } finally {
      await srv.close();
    }
  });

  it('with a fixed profile, an embedding takes the time to first token', async () => {
    const srv = await startEmulatedServer({ model: 'BAAI/bge-small-en-v1.5', profile: { ttft_ms: 40, itl_ms: 5 } });
    try {
      await embed(srv, { input: 'quick' });
      const rec = srv.records().at(-1)!;
      expect(rec.finished_ms! - rec.arrival_ms).toBeGreaterThanOrEqual(39.5);
    } finally {
      await srv.close();
    }
  });
});

describe('routes an embedding model does not serve', () => {
  it('/v1/completions and /v1/chat/completions answer 404 {"detail":"Not Found"} as vLLM does; GET /v1/embeddings is 405', async () => {
    for (const p of ['/v1/completions', '/v1/chat/completions']) {
      const r = await post(bge, p, { model: bge.model, prompt: 'hi', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({ detail: 'Not Found' });
    }
    const g = await fetch(bge.url + '/v1/embeddings');
    expect(g.status).toBe(405);
    expect(await g.json()).toEqual({ detail: 'Method Not Allowed' });
    const models: any = await (await fetch(bge.url + '/v1/models')).json();
    expect(models.data[0].id).toBe('BAAI/bge-small-en-v1.5');
    expect(models.data[0].max_model_len).toBe(512);
    expect(bge.records().every((r) => r.endpoint === 'embeddings')).toBe(true);
  });

  it('a text generator has no /v1/embeddings', async () => {
    const gen = await startEmulatedServer({ model: 'Qwen/Qwen3-0.6B', hardware: 'L4', max_model_len: 2048 });
    try {
      const r = await post(gen, '/v1/embeddings', { input: 'x' });
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({ detail: 'Not Found' });
      expect((await post(gen, '/v1/completions', { prompt: 'x', max_tokens: 1 })).status).toBe(200);
    } finally {
      await gen.close();
    }
  });
});

describe('benchops sim serve / predict with an embedding model', () => {
  it('sim serve says it serves embeddings and does so; sim predict refuses a generation workload for it', async () => {
    const emu = await spawnEmulator(['--port', '0', '--model', 'intfloat/e5-base-v2', '--hardware', 'L4']);
    try {
      expect(emu.stderr()).toMatch(/intfloat\/e5-base-v2: an embedding model \(768-dimensional vectors\); 109\.0M parameters/);
      const r = await fetch(`${emu.url}/v1/embeddings`, { method: 'POST', body: JSON.stringify({ input: ['a', 'b'] }) });
      expect((await r.json()).data.map((d: any) => d.embedding.length)).toEqual([768, 768]);
    } finally {
      expect(await emu.stop()).toBe(0);
    }
    const refused = await run(process.execPath, [BIN, 'sim', 'predict', '--model', 'BAAI/bge-small-en-v1.5', '--hardware', 'L4', '--num-prompts', '2']).catch((e) => e);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/an embedding model \(384-dimensional vectors\)/);
    expect(refused.stderr).toMatch(/serves it at \/v1\/embeddings only .* no embeddings workload to predict/);
  });
});
