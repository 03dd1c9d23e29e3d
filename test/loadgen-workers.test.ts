/**
 * `workers`: the load over worker threads, one global arrival schedule, per-request records merged exactly, a
 * self-check per worker. A 4-worker and a 1-worker run of the same light load must agree on counts and definitions;
 * the merge must give exactly what one computation over the union gives. Real emulated server, real threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateMetrics, distribution, mergeParts, mergeReports, runBenchmark, type RequestOutput } from '../src/loadgen/index.ts';
import os from 'node:os';
import { coresWarning, normaliseOptions } from '../src/loadgen/runner.ts';
import { summaryTable } from '../src/loadgen/report.ts';
import { clientCores, defaultWorkers, splitSlots } from '../src/loadgen/workers.ts';
import { spawnEmulator, type EmulatorProcess, type RequestRecord } from '../src/simulator/index.ts';

const out = (o: Partial<RequestOutput>): RequestOutput => ({
  success: true, error: '', prompt_len: 10, output_tokens: 3, generated_text: '', start_time: 0, scheduled_time: 0, ttft: 0.05, itl: [0.01, 0.01], latency: 0.07, ...o,
});

describe('mergeParts', () => {
  it('is exact: the same metrics as one computation over the union on one time axis', () => {
    // 30 requests with varied timings; parts keep their own time zero (origin_s) as pods do
    const union = Array.from({ length: 30 }, (_, i) => out({ index: i, start_time: i * 0.1, scheduled_time: i * 0.1, ttft: 0.02 + (i % 7) * 0.013, itl: [0.01 + (i % 3) * 0.004, 0.012], latency: 0.05 + (i % 7) * 0.013, output_tokens: 3 + (i % 2), success: i !== 13 }));
    const origins = [100, 100.5, 101.25];
    const parts = origins.map((o0, k) => ({
      origin_s: o0,
      outputs: union.filter((_, i) => i % 3 === k).map((o) => ({ ...o, start_time: o.start_time - (o0 - 100), scheduled_time: o.scheduled_time - (o0 - 100) })),
      duration_s: 3.2 - (o0 - 100),
      self_check: { reliable: k !== 2, reasons: k === 2 ? ['p99 event-loop lag 12 ms > 10 ms'] : [] },
      label: `pod ${k}`,
    }));
    const m = mergeParts(parts, { percentiles: [50, 90, 99], slos: { ttft: 60 } });
    const want = calculateMetrics(union, 3.2, [50, 90, 99], () => 0, { ttft: 60 });
    expect(m.duration_s).toBeCloseTo(3.2, 9);
    expect(m.outputs.map((o) => o.index)).toEqual(union.map((o) => o.index));
    for (const k of ['completed', 'failed', 'total_input', 'total_output', 'max_concurrent_requests', 'max_output_tokens_per_s'] as const) expect(m.metrics[k]).toBe(want[k]);
    for (const k of ['ttft', 'tpot', 'itl', 'e2el'] as const) {
      expect(m.metrics[k].mean).toBeCloseTo(want[k].mean, 9);
      for (let j = 0; j < 3; j++) expect(m.metrics[k].percentiles[j][1]).toBeCloseTo(want[k].percentiles[j][1], 9);
    }
    expect(m.metrics.request_goodput).toBeCloseTo(want.request_goodput, 9);
    // every part's self-check is kept; one red part makes the run red and its reason is named
    expect(m.self_checks.map((s) => s.label)).toEqual(['pod 0', 'pod 1', 'pod 2']);
    expect(m.reliable).toBe(false);
    expect(m.reasons).toEqual(['pod 2: p99 event-loop lag 12 ms > 10 ms']);
    expect(() => mergeParts([], { percentiles: [50] })).toThrow(RangeError);
  });

  it('orders the union by request index: completion order, sparse indexes (a pod\'s share), repeated indexes', () => {
    const mk = (idx: (number | undefined)[]) => idx.map((index, k) => out({ index, start_time: k * 0.01, scheduled_time: k * 0.01, ttft: 0.01, latency: 0.02, output_tokens: 1 }));
    const order = (idx: (number | undefined)[]) => mergeParts([{ outputs: mk(idx), duration_s: 1 }], { percentiles: [50] }).outputs.map((o) => o.index);
    expect(order([5, 3, 9, 0, 1])).toEqual([0, 1, 3, 5, 9]);
    // a pod's share: every 64th request, far apart
    expect(order([128, 0, 192, 64])).toEqual([0, 64, 128, 192]);
    // indexes too sparse for slots, and a repeated index: still sorted (the comparator path)
    expect(order([1e9, 2, 1])).toEqual([1, 2, 1e9]);
    expect(order([2, 1, 2, 0])).toEqual([0, 1, 2, 2]);
  });

  it('auto workers: the cores, one kept for a local server, never more than the run can use', () => {
    const cores = os.availableParallelism();
    expect(defaultWorkers('http://127.0.0.1:8000')).toBe(Math.max(1, cores - 1));
    expect(defaultWorkers('http://localhost:8000')).toBe(Math.max(1, cores - 1));
    expect(defaultWorkers('http://vllm.example.invalid:8000')).toBe(cores);
    expect(normaliseOptions({ base_url: 'http://vllm.example.invalid', workers: 'auto', max_concurrency: 1 }).workers).toBe(1);
    expect(normaliseOptions({ base_url: 'http://vllm.example.invalid', workers: 'auto', num_prompts: 10 }).workers).toBe(1);
    expect(normaliseOptions({ base_url: 'http://vllm.example.invalid', workers: 'auto', num_prompts: 100_000 }).workers).toBe(cores);
    expect(normaliseOptions({ base_url: 'http://vllm.example.invalid' }).workers).toBe(1);
    // a pod's part: capped by its own share of the slots (3 of concurrency 4 over 3 parts: 2, 1, 1)
    const part = (index: number) => normaliseOptions({ base_url: 'http://vllm.example.invalid', workers: 'auto', num_prompts: 100_000, max_concurrency: 4, part: { index, count: 3 } }).workers;
    expect(part(0)).toBe(Math.min(cores, 2));
    expect(part(2)).toBe(1);
    expect(() => normaliseOptions({ base_url: 'http://vllm.example.invalid', workers: 2, max_concurrency: 4, part: { index: 2, count: 3 } })).toThrow(/this part's share/);
  });

  it('splits concurrency slots evenly and exactly', () => {
    expect(splitSlots(10, 4)).toEqual([3, 3, 2, 2]);
    expect(splitSlots(4, 4)).toEqual([1, 1, 1, 1]);
    expect(splitSlots(Infinity, 2)).toEqual([Infinity, Infinity]);
  });
});

let emu: EmulatorProcess;
beforeAll(async () => {
  emu = await spawnEmulator(['--port', '0', '--profile', 'fixed', '--ttft-ms', '20', '--itl-ms', '5', '--served-model-name', 'm', '--seed', '3']);
});
afterAll(async () => {
  await emu?.stop();
});

const records = async () => (await (await fetch(`${emu.url}/benchops/records`)).json()) as RequestRecord[];

describe('worker threads', () => {
  it('a 4-worker and a 1-worker run of the same light load agree on counts, schedule and definitions', async () => {
    const opts = { base_url: emu.url, model: 'm', num_prompts: 120, max_concurrency: 8, request_rate: 200, seed: 11, random_input_len: 16, random_output_len: 6, tokenizer: 'bundled' as const };
    await fetch(`${emu.url}/benchops/records`, { method: 'DELETE' });
    const one = await runBenchmark({ ...opts, workers: 1 });
    const seen1 = (await records()).length;
    await fetch(`${emu.url}/benchops/records`, { method: 'DELETE' });
    const four = await runBenchmark({ ...opts, workers: 4 });
    const recs4 = await records();
    for (const r of [one, four]) {
      expect(r.completed).toBe(120);
      expect(r.failed).toBe(0);
      expect(r.total_output_tokens).toBe(120 * 6);
      expect(r.requests!.map((q) => q.index)).toEqual(Array.from({ length: 120 }, (_, i) => i));
      // vLLM's definitions on every record: TTFT is the first chunk, E2EL the last, from the same clock start
      for (const q of r.requests!) {
        expect(q.ttft).toBeCloseTo(q.chunk_times[0], 9);
        expect(q.latency).toBeCloseTo(q.chunk_times.at(-1)!, 9);
        expect(q.sent_time!).toBeGreaterThanOrEqual(q.start_time);
        expect(q.start_time).toBeGreaterThanOrEqual(q.scheduled_time);
      }
      expect(r.max_concurrent_requests).toBeLessThanOrEqual(8);
    }
    expect(seen1).toBe(120);
    expect(recs4).toHaveLength(120);
    // one global schedule: the same arrival time for every request index, whoever sent it
    expect(four.requests!.map((q) => q.scheduled_time)).toEqual(one.requests!.map((q) => q.scheduled_time));
    // a self-check per worker, and the run's verdict is theirs together
    expect(four.benchops.workers).toBe(4);
    expect(four.benchops.self_checks).toHaveLength(4);
    expect(four.benchops.self_checks!.map((s) => s.worker)).toEqual([0, 1, 2, 3]);
    const workerReasons = four.benchops.self_checks!.flatMap((s) => s.reasons.map((x) => `worker ${s.worker}: ${x}`));
    expect(four.benchops.self_check.reasons).toEqual(workerReasons);
    expect(four.benchops.reliable).toBe(workerReasons.length === 0);
    expect(one.benchops.self_checks).toBeUndefined();
    // workers beyond the cores this process may use are said back (CI machines have 2: four take turns)
    const cores = clientCores();
    expect(four.benchops.client_cores).toBe(cores);
    expect(four.benchops.warnings).toEqual(4 > cores ? [coresWarning(4, cores)] : undefined);
    if (4 > cores) expect(summaryTable(four)).toContain(`Warning: 4 worker threads on ${cores} core(s)`);
    expect(summaryTable(four)).toContain(`4 on ${cores} core(s)`);
    expect(one.benchops.warnings).toBeUndefined();
    expect(one.benchops.client_cores).toBeUndefined();
    // the chunks the workers read are the chunks of the merged records
    expect(four.benchops.chunks).toBe(four.requests!.reduce((a, q) => a + q.chunk_times.length, 0));
  }, 120_000);

  it('with an infinite rate and a duration the workers share the run until the time is up; bad worker counts are refused naming the option', async () => {
    const r = await runBenchmark({ base_url: emu.url, model: 'm', duration: 1, max_concurrency: 4, random_input_len: 8, random_output_len: 4, tokenizer: 'bundled', workers: 2 });
    expect(r.completed).toBeGreaterThan(0);
    expect(r.requests!.map((q) => q.index)).toEqual(Array.from({ length: r.requests!.length }, (_, i) => i));
    expect(r.max_concurrent_requests).toBeLessThanOrEqual(4);
    await expect(runBenchmark({ base_url: emu.url, model: 'm', workers: 0 })).rejects.toThrow(/workers/);
    await expect(runBenchmark({ base_url: emu.url, model: 'm', workers: 8, max_concurrency: 4 })).rejects.toThrow(/workers.*max_concurrency/);
  }, 120_000);
});

describe('parts (pods of an Indexed Job)', () => {
  it('three parts send the whole run\'s one schedule between them: every third request from their index, at the run\'s arrival times', async () => {
    const opts = { base_url: emu.url, model: 'm', num_prompts: 40, max_concurrency: 6, request_rate: 150, seed: 5, random_input_len: 12, random_output_len: 4, tokenizer: 'bundled' as const };
    const whole = await runBenchmark(opts);
    const parts = [];
    for (let index = 0; index < 3; index++) parts.push(await runBenchmark({ ...opts, part: { index, count: 3 } }));
    const byIndex = new Map(whole.requests!.map((q) => [q.index, q]));
    for (const [k, r] of parts.entries()) {
      const want = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 3 === k);
      expect(r.completed).toBe(want.length);
      expect(r.benchops.part).toEqual({ index: k, count: 3, requests: want.length });
      // the run's request indexes, arrival times and prompts, not a schedule of the part's own
      expect(r.requests!.map((q) => q.index)).toEqual(want);
      expect(r.requests!.map((q) => q.scheduled_time)).toEqual(want.map((i) => byIndex.get(i)!.scheduled_time));
      expect(r.requests!.map((q) => q.prompt_len)).toEqual(want.map((i) => byIndex.get(i)!.prompt_len));
      // its share of the concurrency (6 over 3 parts)
      expect(r.max_concurrent_requests).toBeLessThanOrEqual(2);
    }
    await expect(runBenchmark({ ...opts, part: { index: 3, count: 3 } })).rejects.toThrow(/part\.index/);
    await expect(runBenchmark({ ...opts, part: { index: 0, count: 7 } })).rejects.toThrow(/part\.count.*max_concurrency/);
    await expect(runBenchmark({ ...opts, duration: 1, part: { index: 0, count: 2 } })).rejects.toThrow(/duration/);
  }, 120_000);
});

describe('mergeReports (pods of an Indexed Job)', () => {
  it('merges two runs\' reports into one with exact percentiles, the parts\' self-checks kept', async () => {
    const base = { base_url: emu.url, model: 'm', max_concurrency: 3, request_rate: 100, random_input_len: 8, random_output_len: 5, tokenizer: 'bundled' as const };
    const [a, b] = await Promise.all([runBenchmark({ ...base, num_prompts: 20, seed: 1 }), runBenchmark({ ...base, num_prompts: 25, seed: 2 })]);
    const m = mergeReports([a, b], ['pod 0', 'pod 1']);
    expect(m.completed).toBe(a.completed + b.completed);
    expect(m.num_prompts).toBe(45);
    expect(m.total_output_tokens).toBe(a.total_output_tokens + b.total_output_tokens);
    expect(m.requests!.map((q) => q.index)).toEqual(Array.from({ length: 45 }, (_, i) => i));
    // one time axis: scheduled times in order; the duration covers both parts
    for (let i = 1; i < 45; i++) expect(m.requests![i].scheduled_time).toBeGreaterThanOrEqual(m.requests![i - 1].scheduled_time);
    expect(m.duration).toBeGreaterThanOrEqual(Math.max(a.duration, b.duration) - 1e-9);
    // exact: TTFT and ITL percentiles are those of the union of the parts' samples
    const ttft = distribution([...a.ttfts, ...b.ttfts], [50, 90, 95, 99]);
    const itl = distribution([...a.itls.flat(), ...b.itls.flat()], [50, 90, 95, 99]);
    expect(m.p99_ttft_ms as number).toBeCloseTo(ttft.percentiles[3][1], 9);
    expect(m.median_itl_ms as number).toBeCloseTo(itl.median, 9);
    expect(m.mean_ttft_ms as number).toBeCloseTo(ttft.mean, 9);
    expect(m.max_concurrency).toBe(6);
    expect(m.max_concurrent_requests).toBeLessThanOrEqual(6);
    expect(m.benchops.parts).toBe(2);
    expect(m.benchops.self_checks!.map((s) => s.label)).toEqual(['pod 0', 'pod 1']);
    expect(m.benchops.reliable).toBe(a.benchops.reliable && b.benchops.reliable);
    expect(() => mergeReports([{ ...a, requests: undefined }])).toThrow(/per-request records/);
  }, 120_000);
});
