/** The emulated vLLM server: OpenAI API shapes, errors, tokenizer routes, vLLM metrics, responder hook, determinism, CLI. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnEmulator, startEmulatedServer, type EmulatedServer } from '../src/simulator/index.ts';

let s: EmulatedServer;
const post = (path: string, body: unknown, srv = s) =>
  fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function sse(text: string): any[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
}

beforeAll(async () => {
  s = await startEmulatedServer({
    model: 'Qwen/Qwen3-0.6B',
    hardware: 'L40S',
    served_model_name: 'qwen-small',
    max_model_len: 4096,
    seed: 5,
    responder: (p) => (/capital of France/.test(p) ? 'Paris' : undefined),
  });
});
afterAll(() => s.close());

describe('OpenAI-compatible routes', () => {
  it('lists the served model with max_model_len', async () => {
    const j = await (await fetch(s.url + '/v1/models')).json();
    expect(j.object).toBe('list');
    expect(j.data[0]).toMatchObject({ id: 'qwen-small', root: 'Qwen/Qwen3-0.6B', max_model_len: 4096, owned_by: 'vllm' });
    expect((await fetch(s.url + '/health')).status).toBe(200);
  });

  it('streams completions chunks shaped like vLLM with a final usage chunk and [DONE]', async () => {
    const res = await post('/v1/completions', { model: 'qwen-small', prompt: ' ba be bi', max_tokens: 5, ignore_eos: true, stream: true, stream_options: { include_usage: true } });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const ev = sse(await res.text());
    expect(ev.at(-1)).toBe('[DONE]');
    const usage = ev.at(-2);
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
    const tokens = ev.slice(0, -2);
    expect(tokens).toHaveLength(5);
    expect(tokens[0]).toMatchObject({ object: 'text_completion', model: 'qwen-small' });
    expect(tokens.slice(0, 4).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect(tokens[4].choices[0].finish_reason).toBe('length');
    const rec = s.records().at(-1)!;
    expect(rec.chunk_ms).toHaveLength(5);
    expect(rec.output_tokens).toBe(5);
    for (let i = 1; i < 5; i++) expect(rec.chunk_ms[i]).toBeGreaterThanOrEqual(rec.chunk_ms[i - 1]);
  });

  it('chat streams a role-only first chunk, then content; usage only when asked', async () => {
    const res = await post('/v1/chat/completions', { model: 'qwen-small', messages: [{ role: 'user', content: 'hello' }], max_tokens: 3, ignore_eos: true, stream: true });
    const ev = sse(await res.text());
    expect(ev[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(ev.slice(1, 4).every((c) => typeof c.choices[0].delta.content === 'string' && c.choices[0].delta.content.length > 0)).toBe(true);
    expect(ev.some((c) => c !== '[DONE]' && c.usage)).toBe(false);
    expect(ev.at(-1)).toBe('[DONE]');
    const rec = s.records().at(-1)!;
    expect(rec.role_chunk_ms).toBeLessThanOrEqual(rec.chunk_ms[0]);
  });

  it('non-streaming answers with usage; min_tokens and max_tokens bound natural lengths', async () => {
    const j = await (await post('/v1/completions', { model: 'qwen-small', prompt: 'a b', max_tokens: 40, min_tokens: 30 })).json();
    expect(j.choices[0].text.length).toBeGreaterThan(0);
    expect(j.usage.completion_tokens).toBeGreaterThanOrEqual(30);
    expect(j.usage.completion_tokens).toBeLessThanOrEqual(40);
    expect(['stop', 'length']).toContain(j.choices[0].finish_reason);
  });

  it('the responder makes the model answer specific prompts; text is deterministic per seed', async () => {
    const ask = async (srv = s) =>
      (await (await post('/v1/chat/completions', { model: 'qwen-small', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'What is the capital of France?' }], max_tokens: 20 }, srv)).json()).choices[0].message.content;
    expect(await ask()).toBe('Paris');
    const other = async (srv = s) => (await (await post('/v1/completions', { model: 'qwen-small', prompt: 'tell me', max_tokens: 8, ignore_eos: true }, srv)).json()).choices[0].text;
    const first = await other();
    expect(await other()).toBe(first);
    const s2 = await startEmulatedServer({ model: 'Qwen/Qwen3-0.6B', hardware: 'L40S', served_model_name: 'qwen-small', max_model_len: 4096, seed: 6 });
    try {
      expect(await other(s2)).not.toBe(first);
      expect(await ask(s2)).not.toBe('Paris'); // no responder there
    } finally {
      await s2.close();
    }
  });

  it('answers errors like vLLM: unknown model 404, too long 400 naming the field, bad max_tokens 400', async () => {
    const a = await post('/v1/completions', { model: 'other', prompt: 'x' });
    expect(a.status).toBe(404);
    expect((await a.json()).error).toMatchObject({ type: 'NotFoundError', param: 'model' });
    const b = await post('/v1/completions', { model: 'qwen-small', prompt: 'x', max_tokens: 5000 });
    expect(b.status).toBe(400);
    expect((await b.json()).error.message).toMatch(/maximum context length is 4096/);
    const c = await post('/v1/completions', { model: 'qwen-small', prompt: 'x', max_tokens: -1 });
    expect(c.status).toBe(400);
    expect((await c.json()).error.param).toBe('max_tokens');
    const d = await fetch(s.url + '/v1/completions', { method: 'POST', body: '{nope' });
    expect(d.status).toBe(400);
    expect((await post('/v1/chat/completions', { model: 'qwen-small', messages: [] })).status).toBe(400);
  });

  it('/tokenize and /detokenize round-trip with the bundled tokenizer', async () => {
    const t = await (await post('/tokenize', { model: 'qwen-small', prompt: ' ba be Paris!' })).json();
    expect(t.count).toBe(t.tokens.length);
    expect(t.max_model_len).toBe(4096);
    const d = await (await post('/detokenize', { model: 'qwen-small', tokens: t.tokens })).json();
    expect(d.prompt).toBe(' ba be Paris!');
    const chat = await (await post('/tokenize', { model: 'qwen-small', messages: [{ role: 'user', content: ' ba be' }] })).json();
    expect(chat.count).toBeGreaterThan(2);
    expect((await post('/detokenize', { tokens: [1e9] })).status).toBe(400);
  });

  it('/metrics exposes vLLM metric names that move with traffic', async () => {
    const before = await (await fetch(s.url + '/metrics')).text();
    const gen = (txt: string) => Number(/vllm:generation_tokens_total\{[^}]*\} (\d+)/.exec(txt)![1]);
    await post('/v1/completions', { model: 'qwen-small', prompt: 'x', max_tokens: 7, ignore_eos: true }).then((r) => r.json());
    const after = await (await fetch(s.url + '/metrics')).text();
    expect(gen(after) - gen(before)).toBe(7);
    for (const name of ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:time_to_first_token_seconds_bucket', 'vllm:inter_token_latency_seconds_count', 'vllm:e2e_request_latency_seconds_sum', 'vllm:prompt_tokens_total', 'vllm:request_success_total']) {
      expect(after).toContain(name);
    }
    expect(after).toContain('model_name="qwen-small"');
  });

  it('frees the request when the client disconnects mid-stream', async () => {
    const ac = new AbortController();
    const r2 = await fetch(s.url + '/v1/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-small', prompt: 'y', max_tokens: 3000, ignore_eos: true, stream: true }),
      signal: ac.signal,
    });
    const reader = r2.body!.getReader();
    await reader.read();
    ac.abort();
    await new Promise((r) => setTimeout(r, 100));
    const rec = s.records().find((x) => x.prompt_tokens === 1 && x.finish_reason === 'abort');
    expect(rec).toBeDefined();
    expect(rec!.output_tokens).toBeLessThan(3000);
  });
});

describe('benchops sim serve (child process)', () => {
  it('prints BENCHOPS_SIM_READY with its URL, serves, and exits 0 on SIGTERM', async () => {
    const p = await spawnEmulator(['--port', '0', '--model', 'Llama-3.1-8B', '--hardware', 'H100', '--served-model-name', 'llama', '--max-num-seqs', '16']);
    expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const j = await (await fetch(p.url + '/v1/models')).json();
    expect(j.data[0].id).toBe('llama');
    const info = await (await fetch(p.url + '/benchops/info')).json();
    expect(info.scheduler.max_num_seqs).toBe(16);
    expect(info.hardware.name).toBe('H100-80G');
    expect(await p.stop()).toBe(0);
  });

  it('refuses an unknown model with a clear message and a non-zero exit', async () => {
    await expect(spawnEmulator(['--port', '0', '--model', 'no-such-model'])).rejects.toThrow(/unknown model "no-such-model"/);
  });

  it('serves a model outside the catalogue whose name states its size, saying how it is modelled', async () => {
    const emu = await spawnEmulator(['--port', '0', '--model', 'Qwen/Qwen2-1.5B-Instruct', '--hardware', 'L4']);
    try {
      const models: any = await (await fetch(`${emu.url}/v1/models`)).json();
      expect(models.data[0].id).toBe('Qwen/Qwen2-1.5B-Instruct');
      const r = await fetch(`${emu.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'Qwen/Qwen2-1.5B-Instruct', prompt: 'hi', max_tokens: 3 }) });
      expect((await r.json()).usage.completion_tokens).toBe(3);
      expect(emu.stderr()).toMatch(/not in the catalogue; modelled as a 1\.50B dense model shaped like/);
    } finally {
      expect(await emu.stop()).toBe(0);
    }
  });
});
