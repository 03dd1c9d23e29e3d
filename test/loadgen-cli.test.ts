/** `benchops bench` and `benchops sim predict` as commands, and the mapping of the earlier system's benchmark config. */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionsFromScenario, runBenchmark } from '../src/loadgen/index.ts';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/index.ts';
import { fixture } from './helpers/fixtures.ts';

const run = promisify(execFile);
const BIN = path.resolve('bin/benchops.js');
let s: EmulatedServer;
beforeAll(async () => {
  s = await startEmulatedServer({ profile: { ttft_ms: 5, itl_ms: 2 }, served_model_name: 'qwen3-8b', model: 'Qwen/Qwen3-8B', max_model_len: 4096 });
});
afterAll(() => s.close());

describe('benchops bench', () => {
  it('runs, prints the summary and writes vLLM-compatible JSON and a per-request CSV', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bench-'));
    const { stdout } = await run(process.execPath, [BIN, 'bench', '--base-url', s.url, '--backend', 'chat', '--num-prompts', '6', '--max-concurrency', '3', '--random-input-len', '20', '--random-output-len', '4', '--goodput', 'ttft:1000', '--save-result', '--save-detailed', '--result-dir', dir, '--result-filename', 'r.json', '--csv-file', 'r.csv', '--disable-tqdm', '--workers', '2']);
    expect(stdout).toContain('Serving Benchmark Result');
    expect(stdout).toMatch(/Successful requests:\s+6/);
    const j = JSON.parse(await readFile(path.join(dir, 'r.json'), 'utf8'));
    for (const k of ['duration', 'completed', 'total_input_tokens', 'total_output_tokens', 'request_throughput', 'request_goodput', 'output_throughput', 'total_token_throughput', 'mean_ttft_ms', 'p99_ttft_ms', 'median_tpot_ms', 'std_itl_ms', 'p95_e2el_ms', 'input_lens', 'output_lens', 'ttfts', 'itls', 'errors', 'max_concurrent_requests']) {
      expect(j).toHaveProperty(k);
    }
    expect(j.model_id).toBe('qwen3-8b');
    // bin/benchops.js runs the load in a process started with V8's --single-threaded-gc
    expect(j.benchops.client_gc).toBe('single-threaded');
    expect(stdout).toMatch(/Client GC:\s+single-threaded, no memory reducer/);
    // and without V8's memory reducer (its full GCs pause a one-thread GC's loop at low load)
    expect(j.benchops.client_memory_reducer).toBe(false);
    // two worker threads, each with its own self-check, merged into one result
    expect(j.benchops.workers).toBe(2);
    expect(j.benchops.self_checks).toHaveLength(2);
    expect(stdout).toMatch(/Client worker threads:\s+2/);
    expect(stdout).toMatch(/Limited by:\s+(server|CLIENT)/);
    // vLLM takes the prompt length from usage.prompt_tokens: the server counts the chat template too
    expect(j.input_lens).toHaveLength(6);
    for (const n of j.input_lens) expect(n).toBeGreaterThan(20);
    expect(j.total_input_tokens).toBe(j.input_lens.reduce((a: number, b: number) => a + b, 0));
    expect(j.total_output_tokens).toBe(24);
    expect(j.requests).toHaveLength(6);
    const csv = (await readFile(path.join(dir, 'r.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toMatch(/^index,scheduled_time,start_time/);
    expect(csv).toHaveLength(7);
    expect(await readdir(dir)).toEqual(['r.csv', 'r.json']);
    await rm(dir, { recursive: true, force: true });
  });

  it('BENCHOPS_PARALLEL_GC=1 keeps V8\'s parallel garbage collector (no second process)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bench-'));
    try {
      await run(process.execPath, [BIN, 'bench', '--base-url', s.url, '--num-prompts', '2', '--random-input-len', '8', '--random-output-len', '2', '--save-result', '--result-dir', dir, '--result-filename', 'r.json', '--disable-tqdm', '--workers', '1'], { env: { ...process.env, BENCHOPS_PARALLEL_GC: '1' } });
      const j = JSON.parse(await readFile(path.join(dir, 'r.json'), 'utf8'));
      expect(j.benchops.client_gc).toBe('parallel');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--preconnect opens one connection per slot before the clock; without it and without warm-ups the first wave connects inside the measurement', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bench-'));
    try {
      const common = ['bench', '--base-url', s.url, '--num-prompts', '8', '--max-concurrency', '3', '--random-input-len', '8', '--random-output-len', '2', '--save-result', '--result-dir', dir, '--disable-tqdm', '--workers', '1'];
      await run(process.execPath, [BIN, ...common, '--result-filename', 'pre.json', '--preconnect']);
      await run(process.execPath, [BIN, ...common, '--result-filename', 'cold.json']);
      await run(process.execPath, [BIN, ...common, '--result-filename', 'warm.json', '--num-warmups', '2']);
      const [pre, cold, warm] = await Promise.all(['pre', 'cold', 'warm'].map(async (f) => JSON.parse(await readFile(path.join(dir, `${f}.json`), 'utf8'))));
      expect(pre.benchops.connections_at_start).toBe(3);
      expect(cold.benchops.connections_at_start).toBe(0);
      // the two warm-up requests ran at once on the run's own pool: their connections are kept for the measured ones
      expect(warm.benchops.connections_at_start).toBe(2);
      for (const j of [pre, cold, warm]) expect(j.completed).toBe(8);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a SIGTERM to the launcher reaches the load process: both end, no orphan keeps sending', async () => {
    const c = spawn(process.execPath, [BIN, 'bench', '--base-url', s.url, '--num-prompts', '100000', '--duration', '60', '--max-concurrency', '2', '--random-input-len', '8', '--random-output-len', '4', '--disable-tqdm', '--workers', '1'], { stdio: 'ignore' });
    // the launcher's child (the load process) appears once it has started
    let child = 0;
    for (let i = 0; i < 100 && !child; i++) {
      await new Promise((r) => setTimeout(r, 50));
      child = Number(await run('pgrep', ['-P', String(c.pid)]).then((o) => o.stdout.trim().split('\n')[0], () => '0'));
    }
    expect(child).toBeGreaterThan(0);
    const ended = new Promise<unknown>((r) => c.once('exit', (code, signal) => r(signal ?? code)));
    c.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    const alive = () => {
      try {
        process.kill(child, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 40 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
  });

  it('exits non-zero with a message naming a bad flag', async () => {
    await expect(run(process.execPath, [BIN, 'bench', '--base-url', s.url, '--max-concurrency', '0', '--num-prompts', '1'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/max_concurrency/) });
    await expect(run(process.execPath, [BIN, 'bench', '--base-url', s.url, '--workers', '0', '--num-prompts', '1'])).rejects.toMatchObject({ stderr: expect.stringMatching(/--workers must be a positive integer/) });
  });

  it('sim predict prints a predicted report as JSON', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'sim', 'predict', '--model', 'Llama-3.1-8B', '--hardware', 'H100', '--max-concurrency', '4', '--num-prompts', '8', '--random-input-len', '256', '--random-output-len', '32', '--json']);
    const j = JSON.parse(stdout);
    expect(j.benchops.predicted).toBe(true);
    expect(j.completed).toBe(8);
    expect(j.mean_tpot_ms).toBeGreaterThan(5);
    expect(j.mean_tpot_ms).toBeLessThan(10);
  });
});

describe('the earlier system benchmark config (vllm_benchmark.json)', () => {
  it('maps defaults + scenario to options that run', async () => {
    const cfg = JSON.parse(fixture('vllm-eval/configs/vllm_benchmark.json'));
    const sc = cfg.scenarios.find((x: { name: string }) => x.name === 'concurrency_test');
    const o = optionsFromScenario(s.url, cfg.defaults, sc);
    expect(o).toMatchObject({ backend: 'chat', endpoint: '/v1/chat/completions', dataset_name: 'random', max_concurrency: 1, random_input_len: 1024, random_output_len: 1024, num_prompts: 1, label: 'concurrency_test' });
    const r = await runBenchmark({ ...o, random_output_len: 8 });
    expect(r.completed).toBe(1);
    // the prompt has 1024 tokens; usage.prompt_tokens (what vLLM reports) adds the chat template
    expect(r.input_lens[0]).toBeGreaterThan(1024);
    expect(r.input_lens[0]).toBeLessThan(1024 + 64);
    expect(r.benchops.percentiles).toEqual([25, 50, 75, 90, 95, 99]);
    expect(r).toHaveProperty('p25_ttft_ms');
    expect(r).toHaveProperty('p75_e2el_ms');
  });
});
