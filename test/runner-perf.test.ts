/**
 * The runner's performance mode against a real emulated vLLM server and a real Results service: the earlier
 * vllm_benchmark.json (scenarios, percentiles, thresholds), the earlier image's env-only run, exit codes, the CLI.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../src/runner/index.ts';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/server.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { FIXTURES } from './helpers/fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const VLLM_BENCHMARK_JSON = path.join(FIXTURES, 'vllm-eval/configs/vllm_benchmark.json');

describe('runner performance benchmark', () => {
  let sim: EmulatedServer;
  let slow: EmulatedServer;
  let fast: EmulatedServer;
  let platform: TestPlatform;
  let resultsUrl: string;
  let dir: string;

  beforeAll(async () => {
    sim = await startEmulatedServer({ profile: { ttft_ms: 15, itl_ms: 4 }, served_model_name: 'qwen3-8b' });
    slow = await startEmulatedServer({ profile: { ttft_ms: 60, itl_ms: 4 }, served_model_name: 'qwen3-8b' });
    fast = await startEmulatedServer({ profile: { ttft_ms: 15, itl_ms: 0.4 }, served_model_name: 'qwen3-8b' });
    platform = await startTestPlatform({ kind: 'pglite', services: ['results'] });
    resultsUrl = platform.urls.results!;
    dir = mkdtempSync(path.join(os.tmpdir(), 'runner-perf-'));
  });

  afterAll(async () => {
    await sim?.close();
    await slow?.close();
    await fast?.close();
    await platform?.close();
  });

  const getJson = async (url: string) => (await fetch(url)).json() as Promise<any>;

  it('runs every scenario of the real vllm_benchmark.json, passes its thresholds and posts TTFT/TPOT/throughput', async () => {
    const lines: string[] = [];
    const res = await runJob({
      env: {
        BENCHOPS_CONFIG_PATH: VLLM_BENCHMARK_JSON,
        VLLM_MODEL_ENDPOINT: fast.url,
        BENCHOPS_RESULTS_URL: resultsUrl,
        BENCHOPS_RUN_ID: 'perf-run-1',
        // Job-level values fill only what the config leaves unset: basic_performance has no num_prompts (vLLM's
        // default would be 1000); the scenarios' own lengths and concurrency win over these.
        NUM_PROMPTS: '2',
        RANDOM_INPUT_LEN: '32',
        MAX_CONCURRENCY: '3',
      },
      log: (l) => lines.push(l),
    });
    const log = lines.join('\n');
    expect(res.error, log).toBeUndefined();
    expect(res.exitCode).toBe(0);
    // defaults.backend openai-chat with a bare base URL: chat completions; 2 + 1 requests of 1024 output tokens.
    const recs = fast.records();
    expect(recs).toHaveLength(3);
    expect(recs.every((r) => r.endpoint === 'chat' && r.output_tokens === 1024)).toBe(true);
    // 1024 prompt tokens plus the chat template's own tokens on the server.
    expect(recs.map((r) => r.prompt_tokens).every((n) => n >= 1024 && n <= 1064), JSON.stringify(recs.map((r) => r.prompt_tokens))).toBe(true);
    expect(log).toMatch(/scenario 1\/2 "basic_performance": 2 prompts, input 1024 \/ output 1024 tokens, concurrency 1,/);
    expect(log).toMatch(/scenario 2\/2 "concurrency_test": 1 prompts, input 1024 \/ output 1024 tokens, concurrency 1,/);
    expect(log).toMatch(/basic_performance\s+2\/2/);
    expect(log).toMatch(/ttft_p95_ms\s+basic_performance\s+≤ 200\s+\S+\s+PASS/);

    const list = await getJson(`${resultsUrl}/standardized_output?run_id=perf-run-1`);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ benchmark_name: 'vllm-performance-benchmark', model_id: 'qwen3-8b', source: 'benchops-runner' });
    const std = (await getJson(`${resultsUrl}/standardized_output/${encodeURIComponent(list[0].pk)}`)).data;
    const perf = std.performance;
    // The emulator's fixed profile is the ground truth: TTFT ≈ 15 ms, TPOT ≈ 0.4 ms.
    expect(perf.latency.ttft_ms.mean).toBeGreaterThan(12);
    expect(perf.latency.ttft_ms.mean).toBeLessThan(150);
    expect(perf.latency.tpot_ms.mean).toBeGreaterThan(0.3);
    expect(perf.latency.tpot_ms.mean).toBeLessThan(5);
    // metric_percentiles "25,50,75,90,95,99" from the config.
    expect(Object.keys(perf.latency.ttft_ms)).toEqual(expect.arrayContaining(['mean', 'median', 'std', 'p25', 'p75', 'p95', 'p99']));
    expect(perf.throughput.output_throughput).toBeGreaterThan(10);
    expect(perf.summary).toMatchObject({ completed: 2, failed: 0, success_rate: 1, thresholds_passed: 1, total_output_tokens: 2048 });
    expect(Object.keys(perf.scenarios).sort()).toEqual(['basic_performance', 'concurrency_test']);
    expect(std.thresholds.checks.map((c: any) => c.name)).toEqual([
      'ttft_p95_ms', 'tpot_mean_ms', 'throughput_min', 'success_rate', 'ttft_p95_ms', 'tpot_mean_ms', 'throughput_min', 'success_rate',
    ]);
    expect(std.meta).toMatchObject({ benchmark_name: 'vllm-performance-benchmark', backend: 'openai-chat', model: { id: 'qwen3-8b' } });
    const raw = (await getJson(`${resultsUrl}/raw_input/${encodeURIComponent(list[0].pk)}`)).data;
    expect(raw.requests).toHaveLength(3);
    // the self-check's verdict is stored with its reasons (run-level and per scenario), not only reliable: true/false
    expect(raw.meta.reliability).toEqual({ reliable: raw.meta.reliable, reasons: expect.any(Array) });
    expect(raw.scenarios.map((x: any) => typeof x.reliability?.reliable)).toEqual(['boolean', 'boolean']);
    if (!raw.meta.reliable) expect(raw.meta.reliability.reasons.length).toBeGreaterThan(0);
    expect(std.meta.reliability).toEqual(raw.meta.reliability);
    expect(raw.requests[0]).toMatchObject({ scenario: 'basic_performance', success: true, output_tokens: 1024 });

    const metrics = await (await fetch(`${resultsUrl}/metrics`)).text();
    expect(metrics).toMatch(/benchops_perf_ttft_ms\{[^}]*\} \d/);
    expect(metrics).toMatch(/benchops_perf_output_throughput\{[^}]*\} \d/);
  });

  it('exits 1 when a threshold fails and still stores the results with the verdict', async () => {
    const config = path.join(dir, 'strict.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'strict',
        defaults: { backend: 'openai', metric_percentiles: '50,99' },
        scenarios: [{ name: 'one', max_concurrency: 2, num_prompts: 4, random_input_len: 16, random_output_len: 4 }],
        thresholds: { ttft_p95_ms: 30, success_rate: 0.95 },
      }),
    );
    const lines: string[] = [];
    const res = await runJob({ env: { BENCHOPS_CONFIG_PATH: config, VLLM_MODEL_ENDPOINT: `${slow.url}/v1/completions`, BENCHOPS_RESULTS_URL: resultsUrl }, log: (l) => lines.push(l) });
    expect(res.exitCode).toBe(1);
    expect(res.error).toBe('thresholds failed: ttft_p95_ms (one)');
    const checks = res.output!.thresholds!.checks;
    // p95 was not in metric_percentiles, but the threshold needs it, so it was computed.
    expect(checks[0]).toMatchObject({ name: 'ttft_p95_ms', metric: 'p95_ttft_ms', op: 'max', limit: 30, passed: false });
    expect(checks[0].value).toBeGreaterThan(55);
    expect(checks[1]).toMatchObject({ name: 'success_rate', value: 1, passed: true });
    const list = await getJson(`${resultsUrl}/standardized_output?benchmark_name=strict`);
    expect(list).toHaveLength(1);
    const std = (await getJson(`${resultsUrl}/standardized_output/${encodeURIComponent(list[0].pk)}`)).data;
    expect(std.performance.summary.thresholds_passed).toBe(0);
    expect(std.meta.endpoint).toBe(`${slow.url}/v1/completions`);
  });

  it('runs the earlier vllm-benchmark image from its env variables alone (no config, BACKEND_API as results URL)', async () => {
    for (const [variable, value] of [
      ['VLLM_ENDPOINT', sim.url],
      ['MODEL_ENDPOINT', `${sim.url}/v1/completions`],
    ]) {
      sim.clearRecords();
      const runId = `legacy-${variable}`;
      const res = await runJob({
        env: {
          [variable]: value,
          MODEL_NAME: 'Qwen/Qwen3-8B',
          SERVED_MODEL_NAME: 'qwen3-8b',
          RANDOM_INPUT_LEN: '16',
          RANDOM_OUTPUT_LEN: '5',
          MAX_CONCURRENCY: '2',
          NUM_PROMPTS: '6',
          REQUEST_RATE: 'inf',
          BACKEND_API: resultsUrl,
          BENCHOPS_RUN_ID: runId,
        },
        log: () => {},
      });
      expect(res.error, variable).toBeUndefined();
      expect(res.exitCode).toBe(0);
      const recs = sim.records();
      expect(recs).toHaveLength(6);
      expect(recs.every((r) => r.endpoint === 'completions' && r.output_tokens === 5)).toBe(true);
      // MAX_CONCURRENCY=2: never more than two requests in flight at the server.
      const events = recs.flatMap((r) => [[r.arrival_ms, 1], [r.finished_ms!, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let inflight = 0;
      let peak = 0;
      for (const [, d] of events) peak = Math.max(peak, (inflight += d));
      expect(peak).toBe(2);
      const list = await getJson(`${resultsUrl}/standardized_output?run_id=${runId}`);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ model_id: 'qwen3-8b', tokenizer_id: 'Qwen/Qwen3-8B', benchmark_name: 'vllm-benchmark' });
    }
  });

  it('reports performance configuration errors with exit code 2 naming the field', async () => {
    const cases: [Record<string, string>, unknown, RegExp][] = [
      [{}, { scenarios: [{ name: 'a' }, { name: 'b', max_concurrency: 'lots' }] }, /scenarios\[1\]\.max_concurrency: must be a number/],
      [{}, { scenarios: [{ name: 'a' }], thresholds: { ttft_p95_seconds: 1 } }, /thresholds\.ttft_p95_seconds: unknown threshold/],
      [{}, { scenarios: [{ name: 'a', metric_percentiles: '50,150' }] }, /scenarios\[0\]\.metric_percentiles\[1\]: must be in \(0, 100\)/],
      [{}, { scenarios: [{ name: 'a', backend: 'grpc' }] }, /scenarios\[0\]\.backend: unsupported backend "grpc"/],
      [{}, { scenarios: [] }, /scenarios: must be a non-empty list/],
      [{}, { scenarios: [{ name: 'a' }, { name: 'a' }] }, /scenarios\[1\]\.name: duplicate scenario name "a"/],
      [{ MAX_CONCURRENCY: '0' }, { scenarios: [{ name: 'a' }] }, /MAX_CONCURRENCY: must be an integer ≥ 1, got "0"/],
      [{ REQUEST_RATE: 'fast' }, { scenarios: [{ name: 'a' }] }, /REQUEST_RATE: must be a positive number or "inf"/],
      [{ VLLM_MODEL_ENDPOINT: 'ftp://x' }, { scenarios: [{ name: 'a' }] }, /VLLM_MODEL_ENDPOINT: must be http\(s\)/],
    ];
    for (const [env, cfg, pattern] of cases) {
      const config = path.join(dir, 'bad.json');
      writeFileSync(config, JSON.stringify(cfg));
      const res = await runJob({ env: { VLLM_MODEL_ENDPOINT: sim.url, ...env, BENCHOPS_CONFIG_PATH: config }, log: () => {} });
      expect(res.exitCode, JSON.stringify(cfg)).toBe(2);
      expect(res.error).toMatch(pattern);
    }
    // An unreachable endpoint is a run failure (1), not a configuration error.
    const config = path.join(dir, 'ok.json');
    writeFileSync(config, JSON.stringify({ scenarios: [{ name: 'a', num_prompts: 1 }] }));
    const down = await runJob({ env: { BENCHOPS_CONFIG_PATH: config, VLLM_MODEL_ENDPOINT: 'http://127.0.0.1:9' }, log: () => {} });
    expect(down.exitCode).toBe(1);
    expect(down.error).toMatch(/cannot reach the model endpoint http:\/\/127\.0\.0\.1:9\/v1\/models/);
  });

  it('`benchops job run` exits with the runner’s code and prints the summary table', async () => {
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, 'bin/benchops.js'), 'job', 'run'], { env: { ...process.env, ...env }, cwd: dir });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('close', (code) => resolve({ code, out }));
      });
    const config = path.join(dir, 'cli.json');
    writeFileSync(config, JSON.stringify({ scenarios: [{ name: 'cli', num_prompts: 3, random_input_len: 8, random_output_len: 3 }] }));
    const ok = await run({ BENCHOPS_CONFIG_PATH: config, VLLM_MODEL_ENDPOINT: sim.url, BENCHOPS_OUTPUT_DIR: dir });
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/cli\s+3\/3/);
    expect(ok.out).toMatch(/results written to .*\.raw\.json/);
    writeFileSync(config, JSON.stringify({ scenarios: [{ name: 'cli', num_prompts: -1 }] }));
    const bad = await run({ BENCHOPS_CONFIG_PATH: config, VLLM_MODEL_ENDPOINT: sim.url });
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/configuration error: scenarios\[0\]\.num_prompts: must be ≥ 1, got -1/);
  });
});
