/**
 * Load-generator workloads against the real emulated server (in-process, its records are the ground truth): exact
 * input lengths with the server's and the bundled tokenizer, shared prefixes, JSONL and ShareGPT files, warm-up,
 * duration-bounded runs, concurrency sweeps, and the SLO search (its bisection, and a real search on a model whose
 * latency grows with load).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchmark, runSweep, searchRate, type BenchmarkReport } from '../src/loadgen/index.ts';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/server.ts';

let emu: EmulatedServer;
const prompts: string[] = [];

beforeAll(async () => {
  emu = await startEmulatedServer({
    port: 0,
    profile: { ttft_ms: 5, itl_ms: 2 },
    seed: 3,
    responder: (p) => {
      prompts.push(p);
      return undefined;
    },
  });
});
afterAll(async () => {
  await emu?.close();
});

const fresh = () => {
  prompts.length = 0;
  const before = emu.records().length;
  return () => emu.records().slice(before);
};

describe('datasets', () => {
  it('random prompts have exactly the asked input length under the server tokenizer, and the report says whose', async () => {
    const recs = fresh();
    const r = await runBenchmark({ base_url: emu.url, num_prompts: 12, max_concurrency: 4, random_input_len: 100, random_output_len: 6, random_range_ratio: 0.5, seed: 1 });
    expect(r.completed).toBe(12);
    expect(r.benchops.tokenizer.source).toBe('server');
    // the server counted what we planned, request by request
    const planned = r.input_lens!.slice().sort((a, b) => a - b);
    expect(recs().map((x) => x.prompt_tokens).sort((a, b) => a - b)).toEqual(planned);
    expect(Math.min(...planned)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...planned)).toBeLessThanOrEqual(150);
    expect(new Set(planned).size).toBeGreaterThan(1);
    expect(recs().every((x) => x.output_tokens >= 3 && x.output_tokens <= 9)).toBe(true);

    const b = await runBenchmark({ base_url: emu.url, num_prompts: 4, random_input_len: 64, random_output_len: 4, tokenizer: 'bundled', seed: 1 });
    expect(b.benchops.tokenizer.source).toBe('bundled');
    expect(b.total_input_tokens).toBe(4 * 64);
  });

  it('shared prefixes: random_prefix_len and prefix_repetition', async () => {
    fresh();
    await runBenchmark({ base_url: emu.url, num_prompts: 6, random_input_len: 20, random_prefix_len: 40, random_output_len: 2, seed: 2 });
    const common = (a: string, b: string) => {
      let i = 0;
      while (i < a.length && a[i] === b[i]) i++;
      return i;
    };
    const shared = prompts.slice(1).map((p) => common(prompts[0], p));
    expect(Math.min(...shared)).toBeGreaterThan(60); // ~40 tokens of words in common, then they differ
    expect(new Set(prompts).size).toBe(6);

    const recs = fresh();
    const r = await runBenchmark({
      base_url: emu.url,
      dataset_name: 'prefix_repetition',
      num_prompts: 8,
      prefix_repetition_prefix_len: 30,
      prefix_repetition_suffix_len: 10,
      prefix_repetition_num_prefixes: 2,
      prefix_repetition_output_len: 5,
      seed: 2,
    });
    expect(r.completed).toBe(8);
    expect(recs().every((x) => x.prompt_tokens === 40 && x.output_tokens === 5)).toBe(true);
    const heads = new Set(prompts.map((p) => p.slice(0, 40)));
    expect(heads.size).toBe(2);
  });

  it('JSONL and ShareGPT files: prompts as written, output lengths from the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'loadgen-data-'));
    const jsonl = path.join(dir, 'prompts.jsonl');
    writeFileSync(jsonl, ['{"prompt": "Tell me about GPUs.", "output_tokens": 7}', '', '{"question": "What is vLLM?", "max_tokens": 3}'].join('\n'));
    let recs = fresh();
    const j = await runBenchmark({ base_url: emu.url, dataset_name: 'jsonl', dataset_path: jsonl, num_prompts: 2, seed: 1 });
    expect(j.completed).toBe(2);
    expect(prompts.sort()).toEqual(['Tell me about GPUs.', 'What is vLLM?']);
    expect(recs().map((x) => x.output_tokens).sort()).toEqual([3, 7]);

    const sharegpt = path.join(dir, 'sharegpt.json');
    const answer = 'Paged attention keeps the key value cache in fixed size blocks so that memory is not wasted';
    writeFileSync(sharegpt, JSON.stringify([
      { id: 'a', conversations: [{ from: 'human', value: 'Explain paged attention in one sentence please.' }, { from: 'gpt', value: answer }] },
      { id: 'b', conversations: [{ from: 'human', value: 'hi' }] },
    ]));
    recs = fresh();
    const s = await runBenchmark({ base_url: emu.url, dataset_name: 'sharegpt', dataset_path: sharegpt, num_prompts: 1, seed: 1 });
    expect(s.completed).toBe(1);
    expect(prompts).toEqual(['Explain paged attention in one sentence please.']);
    const expected = (await (await fetch(`${emu.url}/tokenize`, { method: 'POST', body: JSON.stringify({ prompt: answer }), headers: { 'content-type': 'application/json' } })).json()).count;
    expect(recs()[0].output_tokens).toBe(expected);
    await expect(runBenchmark({ base_url: emu.url, dataset_name: 'jsonl', dataset_path: path.join(dir, 'missing.jsonl'), num_prompts: 1 })).rejects.toThrow(/missing\.jsonl/);
  });
});

describe('run shape', () => {
  it('warm-up requests are sent but not measured; a duration bounds the run', async () => {
    const recs = fresh();
    const r = await runBenchmark({ base_url: emu.url, num_prompts: 5, num_warmups: 3, random_input_len: 8, random_output_len: 3, seed: 1 });
    expect(r.completed).toBe(5);
    expect(r.benchops.warmup_requests).toBe(3);
    expect(recs()).toHaveLength(8);

    const t0 = Date.now();
    const d = await runBenchmark({ base_url: emu.url, num_prompts: 4, duration: 1.5, request_rate: 20, random_input_len: 8, random_output_len: 3, seed: 1 });
    const wall = (Date.now() - t0) / 1000;
    expect(d.duration).toBeGreaterThanOrEqual(1.4);
    expect(wall).toBeLessThan(6);
    // prompts are cycled; Poisson arrivals at 20/s over 1.5 s
    expect(d.completed).toBeGreaterThan(15);
    expect(d.completed).toBeLessThan(50);
  });

  it('a concurrency sweep runs once per value and each run keeps to its limit (as the server saw it)', async () => {
    const recs = fresh();
    const reports = await runSweep({ base_url: emu.url, num_prompts: 16, random_input_len: 8, random_output_len: 10, seed: 1 }, { max_concurrency: [1, 4] });
    expect(reports.map((r) => r.max_concurrency)).toEqual([1, 4]);
    const overlap = (rs: ReturnType<typeof recs>) => Math.max(...rs.map((a) => rs.filter((b) => b.arrival_ms <= a.arrival_ms && b.finished_ms! > a.arrival_ms).length));
    const all = recs();
    expect(all).toHaveLength(32);
    expect(overlap(all.slice(0, 16))).toBe(1);
    expect(overlap(all.slice(16))).toBe(4);
    // vLLM's exact peak (a sweep over start/end events) agrees with what the server saw
    expect(reports.map((r) => r.max_concurrent_requests)).toEqual([1, 4]);
    await expect(runSweep({ base_url: emu.url, num_prompts: 1 }, { max_concurrency: [1], request_rate: [1] })).rejects.toThrow(/not both/);
  });
});

describe('self-check', () => {
  it('a saturated client marks the run unreliable and says why; the limits are configurable', async () => {
    const opts = { base_url: emu.url, num_prompts: 20, max_concurrency: 4, random_input_len: 8, random_output_len: 20, seed: 1 };
    // (default limits are not asserted on the calm run: CI shares its two cores with other test files)
    const calm = await runBenchmark({
      ...opts,
      self_check_limits: { mean_lag_ms: 50, p99_lag_ms: 200, cpu_fraction: 4, dispatch_mean_of_ttft: 10, dispatch_p99_of_ttft: 10, lag_p99_of_ttft: 10, lag_p99_of_itl: 100 },
    });
    expect(calm.benchops.reliable).toBe(true);
    expect(calm.benchops.self_check.reasons).toEqual([]);
    expect(calm.benchops.self_check.limits.p99_lag_ms).toBe(200);
    // the client's own thread is busy 40 ms after each response: its timestamps can no longer be trusted
    const busy = await runBenchmark(opts, {
      onRequest: () => {
        const end = performance.now() + 40;
        while (performance.now() < end);
      },
    });
    expect(busy.completed).toBe(20);
    expect(busy.benchops.reliable).toBe(false);
    expect(busy.benchops.self_check.reasons.join('; ')).toMatch(/event-loop lag/);
    expect(busy.benchops.self_check.event_loop_lag_ms.p99).toBeGreaterThan(10);
    expect(busy.benchops.self_check.event_loop_lag_ms.p99).toBeGreaterThan(calm.benchops.self_check.event_loop_lag_ms.p99);
  });
});

describe('SLO search', () => {
  it('bisects to the largest passing rate within the run budget', async () => {
    const limit = 13.7;
    const tried: number[] = [];
    const fake = async (o: any): Promise<BenchmarkReport> => {
      tried.push(o.request_rate);
      const ok = o.request_rate <= limit;
      return { failed: 0, request_throughput: 10, request_goodput: ok ? 10 : 5 } as BenchmarkReport;
    };
    const { rate, runs } = await searchRate({ base_url: 'x' }, { slos: { ttft: 100 }, min_rate: 1, max_rate: 64, max_runs: 12 }, {}, fake);
    expect(runs).toHaveLength(12);
    expect(rate).toBeLessThanOrEqual(limit);
    expect(rate).toBeGreaterThan(limit * 0.95);
    expect(tried.slice(0, 2)).toEqual([1, 64]);
    expect((await searchRate({ base_url: 'x' }, { slos: { ttft: 1 }, min_rate: 20, max_rate: 64 }, {}, fake)).rate).toBe(0);
    expect((await searchRate({ base_url: 'x' }, { slos: { ttft: 1 }, min_rate: 1, max_rate: 8 }, {}, fake)).rate).toBe(8);
  });

  it('finds where a real (emulated) server stops meeting the TTFT SLO', async () => {
    // Llama-3.1-8B on an H100 with 2 seats: requests queue once the rate passes what two seats can serve
    const server = await startEmulatedServer({ port: 0, model: 'meta-llama/Llama-3.1-8B-Instruct', hardware: 'H100', max_num_seqs: 2, seed: 1 });
    try {
      const base = { base_url: server.url, num_prompts: 12, random_input_len: 64, random_output_len: 24, seed: 1 };
      const { rate, runs } = await searchRate(base, { slos: { ttft: 250 }, min_rate: 2, max_rate: 200, max_runs: 5, attainment: 0.9 });
      expect(runs).toHaveLength(5);
      // capacity of two seats: 2 / (service time of one request)
      const solo = await runBenchmark({ ...base, num_prompts: 3, max_concurrency: 1 });
      const capacity = 2 / ((solo.mean_e2el_ms as number) / 1000);
      expect(rate).toBeGreaterThan(capacity * 0.3);
      expect(rate).toBeLessThan(capacity * 3);
      // every run at or below the answer met the SLOs, every run above it did not
      for (const r of runs) {
        const ok = r.failed === 0 && r.request_goodput! / r.request_throughput >= 0.9;
        expect(ok, `rate ${r.request_rate}`).toBe((r.request_rate as number) <= rate);
      }
    } finally {
      await server.close();
    }
  }, 120_000);
});
