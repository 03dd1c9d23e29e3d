/**
 * Metric definitions (vLLM bench serve) on hand-built chunk timelines: pure computations, and the streaming client
 * against a scripted SSE server (a test double of an OpenAI endpoint that writes chunks at chosen times).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateMetrics, parseGoodput, peakConcurrency, percentileSorted, runBenchmark, VLLM_DEFINITIONS, type RequestOutput } from '../src/loadgen/index.ts';

const out = (o: Partial<RequestOutput>): RequestOutput => ({
  success: true,
  error: '',
  prompt_len: 10,
  output_tokens: null,
  generated_text: '',
  start_time: 0,
  scheduled_time: 0,
  ttft: 0,
  itl: [],
  latency: 0,
  ...o,
});

describe('calculateMetrics', () => {
  it('follows vLLM: TPOT = (E2EL − TTFT)/(out − 1), ITL per chunk, failures count zero output', () => {
    const m = calculateMetrics(
      [
        out({ output_tokens: 5, ttft: 0.1, itl: [0.02, 0.02, 0.02, 0.02], latency: 0.18, start_time: 0 }),
        // a multi-token chunk: 4 tokens over 2 chunks → 1 ITL entry, TPOT from usage
        out({ output_tokens: 4, ttft: 0.2, itl: [0.06], latency: 0.26, start_time: 0.5 }),
        out({ success: false, error: 'HTTP 500', start_time: 0.1 }),
        // one-token output: no TPOT sample (but TPOT 0 for goodput)
        out({ output_tokens: 1, ttft: 0.05, latency: 0.05, start_time: 0.2 }),
      ],
      2,
      [50, 99],
      () => 0,
      { ttft: 150, tpot: 25 },
    );
    expect(m.completed).toBe(3);
    expect(m.failed).toBe(1);
    expect(m.output_lens).toEqual([5, 4, 0, 1]);
    expect(m.total_output).toBe(10);
    expect(m.total_input).toBe(30);
    expect(m.output_throughput).toBeCloseTo(5);
    expect(m.request_throughput).toBeCloseTo(1.5);
    expect(m.total_token_throughput).toBeCloseTo(20);
    expect(m.tpot.mean).toBeCloseTo((20 + 20) / 2); // (0.18−0.1)/4 = 20 ms, (0.26−0.2)/3 = 20 ms
    expect(m.itl.mean).toBeCloseTo((4 * 20 + 60) / 5);
    expect(m.ttft.mean).toBeCloseTo((100 + 200 + 50) / 3);
    expect(m.ttft.median).toBeCloseTo(100);
    expect(m.e2el.percentiles[1][1]).toBeCloseTo(percentileSorted([0.05, 0.18, 0.26], 99) * 1000);
    // goodput: request 1 (ttft 100 ≤ 150, tpot 20 ≤ 25) and the one-token one; request 2 misses ttft
    expect(m.request_goodput).toBeCloseTo(2 / 2);
  });

  it('falls back to the tokenizer when usage is missing and says how often', () => {
    const m = calculateMetrics([out({ output_tokens: null, generated_text: 'a b c', ttft: 0.1, latency: 0.3 })], 1, [50], (s) => s.split(' ').length);
    expect(m.output_lens).toEqual([3]);
    expect(m.output_tokens_from_tokenizer).toBe(1);
    expect(m.tpot.mean).toBeCloseTo(100);
  });

  it('peak output tokens/s uses one-second buckets; peak concurrency is exact (sweep over start/end events)', () => {
    const m = calculateMetrics(
      [
        out({ output_tokens: 3, start_time: 0, ttft: 0.1, itl: [0.1, 0.1], latency: 0.3 }),
        out({ output_tokens: 3, start_time: 0.2, ttft: 0.1, itl: [0.1, 1.0], latency: 1.3 }),
      ],
      1.5,
      [50],
      () => 0,
    );
    expect(m.max_output_tokens_per_s).toBe(5);
    expect(m.max_concurrent_requests).toBe(2);
  });

  it('defect 1: back-to-back requests are one at a time, however many one-second buckets each touches', () => {
    // c = 1: 0.75 s requests end exactly where the next starts (binary-exact times); one-second buckets count 2 per second
    const seq = Array.from({ length: 10 }, (_, i) => out({ output_tokens: 2, start_time: i * 0.75, ttft: 0.125, itl: [0.625], latency: 0.75 }));
    expect(calculateMetrics(seq, 7, [50], () => 0).max_concurrent_requests).toBe(1);
    expect(peakConcurrency(seq)).toBe(1);
    // 64 waves of 64 overlapping requests, each wave ending as the next begins: the truth is 64
    const waves = Array.from({ length: 64 * 5 }, (_, i) => out({ output_tokens: 2, start_time: Math.floor(i / 64) * 1.5 + (i % 64) * 1e-4, ttft: 0.1, itl: [1.3], latency: 1.5 - (i % 64) * 1e-4 }));
    expect(calculateMetrics(waves, 8, [50], () => 0).max_concurrent_requests).toBe(64);
    // a failure does not count; an end and a start at the same instant do not overlap (half-open intervals)
    expect(peakConcurrency([{ start_time: 0, latency: 1 }, { start_time: 1, latency: 1 }, { start_time: 0.5, latency: 1 }])).toBe(2);
    const withFailure = [out({ start_time: 0, latency: 1, ttft: 0.1, output_tokens: 1 }), out({ success: false, start_time: 0.2, latency: 0.5 })];
    expect(calculateMetrics(withFailure, 1, [50], () => 0).max_concurrent_requests).toBe(1);
  });

  it('peak concurrency (starts and ends sorted apart, then merged) equals a sweep over one sorted event list', () => {
    // the reference: every start/end event in one list, an end before a start at the same instant
    const reference = (xs: { start_time: number; latency: number }[]) => {
      const ev = xs.flatMap((x) => [[x.start_time, 1], [x.start_time + x.latency, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let cur = 0;
      let peak = 0;
      for (const [, k] of ev) peak = Math.max(peak, (cur += k));
      return peak;
    };
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 50; trial++) {
      // times on a coarse grid so that ends and starts often coincide; zero latencies too
      const xs = Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => ({ start_time: Math.floor(rnd() * 40) / 8, latency: Math.floor(rnd() * 16) / 8 }));
      expect(peakConcurrency(xs)).toBe(reference(xs));
    }
    expect(peakConcurrency([])).toBe(0);
  });

  it('defect 2: the dispatch-excluded view subtracts each request\'s own dispatch delay; vLLM\'s fields keep it', () => {
    const m = calculateMetrics(
      [
        out({ output_tokens: 2, start_time: 1, sent_time: 1.004, ttft: 0.054, itl: [0.01], latency: 0.064 }),
        out({ output_tokens: 2, start_time: 2, sent_time: 2, ttft: 0.05, itl: [0.01], latency: 0.06 }),
      ],
      3,
      [50],
      () => 0,
    );
    expect(m.ttft.mean).toBeCloseTo(52, 6);
    expect(m.ttft_excl_dispatch.mean).toBeCloseTo(50, 6);
    expect(m.e2el_excl_dispatch.mean).toBeCloseTo(60, 6);
    expect(m.client_dispatch.mean).toBeCloseTo(2, 6);
  });

  it('parses goodput SLOs and rejects bad ones naming them', () => {
    expect(parseGoodput('ttft:200 tpot:50')).toEqual({ ttft: 200, tpot: 50 });
    expect(parseGoodput(['e2el:1000'])).toEqual({ e2el: 1000 });
    expect(() => parseGoodput('itl:5')).toThrow(/itl:5/);
    expect(() => parseGoodput('ttft:abc')).toThrow(/ttft:abc/);
  });
});

// ---- a scripted SSE endpoint (test double): each request plays a timeline of [delay ms, event] ----
type Step = [number, unknown];
let script: (body: any) => Step[] = () => [];
/** When set, the double answers /tokenize with this count function (a distinctive count shows who counted). */
let tokenize: ((text: string) => number) | null = null;
let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    if (req.url === '/tokenize') {
      if (!tokenize) return void res.writeHead(404).end();
      const count = tokenize(JSON.parse(raw).prompt);
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count, tokens: Array.from({ length: count }, () => 1) }));
    }
    const steps = script(JSON.parse(raw));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [delay, ev] of steps) {
      await new Promise((r) => setTimeout(r, delay));
      res.write(`data: ${typeof ev === 'string' ? ev : JSON.stringify(ev)}\n\n`);
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const chat = (delta: Record<string, unknown>, finish: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finish }] });

describe('streaming client on hand-built timelines', () => {
  it('defect 3: chat counts every chunk with choices as vLLM does now — the role-only and empty ones included', async () => {
    script = () => [
      [0, chat({ role: 'assistant', content: '' })],
      [100, chat({ content: '' })],
      [40, chat({ content: ' Hello' })],
      [30, chat({ content: ' big world' })], // one chunk, two tokens
      [30, chat({ content: '!' }, 'stop')],
      [0, { choices: [], usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } }],
      [0, '[DONE]'],
    ];
    const r = await runBenchmark({ base_url: base, model: 'm', backend: 'chat', samples: [{ prompt: 'hi', prompt_len: 3, expected_output_len: 4 }], num_prompts: 1 });
    expect(r.completed).toBe(1);
    expect(r.benchops.tokenizer.source).toBe('bundled'); // no /tokenize on this server, no known model family
    expect(r.benchops.vllm_definitions).toEqual(VLLM_DEFINITIONS);
    const q = r.requests![0];
    // TTFT is the role-only chunk: the first of five chunks
    expect(q.chunk_times).toHaveLength(5);
    expect(r.ttfts[0]).toBeCloseTo(q.chunk_times[0], 9);
    expect(q.role_chunk_time).toBeCloseTo(q.chunk_times[0], 9);
    for (let i = 1; i < 5; i++) expect(q.chunk_times[i]).toBeGreaterThan(q.chunk_times[i - 1]);
    expect(r.itls[0]).toHaveLength(4);
    expect(r.output_lens).toEqual([4]);
    expect(r.input_lens).toEqual([5]); // usage.prompt_tokens replaces the dataset's count (defect 5)
    expect(r.benchops.output_token_source).toBe('usage');
    expect(r.generated_texts[0]).toBe(' Hello big world!');
    // vLLM's clock starts before the socket: start ≤ sent, and TTFT ≥ the dispatch-excluded TTFT
    expect(q.sent_time!).toBeGreaterThanOrEqual(q.start_time);
    expect(r.mean_ttft_excl_dispatch_ms as number).toBeCloseTo((r.mean_ttft_ms as number) - q.client_dispatch_time * 1000, 6);
    // TPOT = (E2EL − TTFT)/(4 − 1)
    expect(r.mean_tpot_ms as number).toBeCloseTo(((r.mean_e2el_ms as number) - (r.mean_ttft_ms as number)) / 3, 5);
  });

  it('defect 3: completions count a chunk with empty text (a special token) too', async () => {
    script = () => [
      [0, { choices: [{ index: 0, text: '', finish_reason: null }] }],
      [60, { choices: [{ index: 0, text: ' ba', finish_reason: null }] }],
      [20, { choices: [{ index: 0, text: ' be', finish_reason: 'length' }] }],
      [0, { choices: [], usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }],
      [0, '[DONE]'],
    ];
    const r = await runBenchmark({ base_url: base, model: 'm', samples: [{ prompt: 'x', prompt_len: 1, expected_output_len: 3 }], num_prompts: 1 });
    const q = r.requests![0];
    expect(q.chunk_times).toHaveLength(3);
    expect(r.ttfts[0]).toBeCloseTo(q.chunk_times[0], 9); // the empty first chunk is the first token
    expect(q.chunk_times[1]).toBeGreaterThan(q.chunk_times[0]);
    expect(r.itls[0]).toHaveLength(2);
    expect(r.generated_texts[0]).toBe(' ba be');
  });

  it('completions without usage: output tokens come from the tokenizer, and the report says so', async () => {
    script = () => [
      [20, { choices: [{ index: 0, text: ' ba', finish_reason: null }] }],
      [20, { choices: [{ index: 0, text: ' be bi', finish_reason: 'length' }] }],
      [0, '[DONE]'],
    ];
    const r = await runBenchmark({ base_url: base, model: 'm', samples: [{ prompt: 'x', prompt_len: 1, expected_output_len: 3 }], num_prompts: 2, max_concurrency: 1 });
    expect(r.completed).toBe(2);
    expect(r.output_lens).toEqual([3, 3]); // bundled tokenizer: ' ba', ' be', ' bi'
    expect(r.benchops.output_token_source).toBe('tokenizer');
    expect(r.requests![0].output_token_source).toBe('tokenizer');
  });

  it('defect 5: without usage, output tokens come from the server\'s /tokenize, else a real tokenizer for the model', async () => {
    script = () => [
      [0, { choices: [{ index: 0, text: ' Hello world,', finish_reason: null }] }],
      [5, { choices: [{ index: 0, text: ' this is a test of the tokenizer.', finish_reason: 'length' }] }],
      [0, '[DONE]'],
    ];
    const sample = [{ prompt: 'x', prompt_len: 1, expected_output_len: 11 }];
    tokenize = (t) => t.length; // one "token" per character: unmistakable
    try {
      const r = await runBenchmark({ base_url: base, model: 'meta-llama/Llama-3.1-8B-Instruct', samples: sample, num_prompts: 1 });
      expect(r.output_lens).toEqual([' Hello world, this is a test of the tokenizer.'.length]);
      expect(r.benchops.output_tokenizer).toMatchObject({ source: 'server' });
    } finally {
      tokenize = null;
    }
    const m = await runBenchmark({ base_url: base, model: 'meta-llama/Llama-3.1-8B-Instruct', samples: sample, num_prompts: 1 });
    expect(m.output_lens).toEqual([11]); // Llama-3: Hello| world|,| this| is| a| test| of| the| tokenizer|.
    expect(m.benchops.output_tokenizer).toMatchObject({ source: 'model', id: expect.stringMatching(/llama/i) });
    expect(m.benchops.tokenizer.source).toBe('model');
    expect(m.requests![0].output_tokens).toBe(11);
    // an unknown model family falls back to the bundled tokenizer, and says so
    const b = await runBenchmark({ base_url: base, model: 'm', samples: sample, num_prompts: 1 });
    expect(b.benchops.output_tokenizer).toMatchObject({ source: 'bundled' });
  }, 60_000);

  it('a stream with no chunk with choices is a failure with vLLM\'s reason', async () => {
    script = () => [
      [0, { choices: [], usage: { prompt_tokens: 1, completion_tokens: 0, total_tokens: 1 } }],
      [0, '[DONE]'],
    ];
    const r = await runBenchmark({ base_url: base, model: 'm', backend: 'chat', samples: [{ prompt: 'x', prompt_len: 1, expected_output_len: 3 }], num_prompts: 1 });
    expect(r.failed).toBe(1);
    expect(r.errors[0]).toMatch(/no chunk with choices/);
  });

  it('rejects bad options naming the option', async () => {
    await expect(runBenchmark({ base_url: base, max_concurrency: 0 })).rejects.toThrow(/max_concurrency/);
    await expect(runBenchmark({ base_url: 'ftp://x' })).rejects.toThrow(/base_url/);
    await expect(runBenchmark({ base_url: base, percentile_metrics: 'ttft,foo' })).rejects.toThrow(/foo/);
    await expect(runBenchmark({ base_url: base, request_rate: -1 })).rejects.toThrow(/request_rate/);
  });
});
