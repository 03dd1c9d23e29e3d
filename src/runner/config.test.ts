import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectMode, readConfigFile } from './config.ts';
import { chooseModel, parseEndpoint } from './endpoint.ts';
import { readRunnerInputs } from './env.ts';
import { parsePerfConfig, parseThresholds } from './perf-config.ts';

describe('runner configuration', () => {
  it('accepts an endpoint as …/v1/completions, …/v1/chat/completions, …/v1 or a base URL', () => {
    expect(parseEndpoint('http://vllm:8000/v1/completions', 'X')).toEqual({ baseUrl: 'http://vllm:8000', api: 'completions' });
    expect(parseEndpoint('https://gw.example/models/qwen/v1/chat/completions/', 'X')).toEqual({ baseUrl: 'https://gw.example/models/qwen', api: 'chat' });
    expect(parseEndpoint('http://vllm:8000/v1', 'X')).toEqual({ baseUrl: 'http://vllm:8000', api: undefined });
    expect(parseEndpoint('vllm-svc.ns:8000', 'X')).toEqual({ baseUrl: 'http://vllm-svc.ns:8000', api: undefined });
    expect(() => parseEndpoint('ftp://x', 'VLLM_ENDPOINT')).toThrow(/^VLLM_ENDPOINT: must be http\(s\)/);
  });

  it('prefers the served model name, falls back to what the server serves', () => {
    expect(chooseModel('qwen3-8b', ['qwen3-8b'])).toEqual({ model: 'qwen3-8b' });
    expect(chooseModel('qwen3-8b', [])).toEqual({ model: 'qwen3-8b' });
    expect(chooseModel(undefined, ['a', 'b'])).toEqual({ model: 'a' });
    expect(chooseModel('Qwen/Qwen3-8B', ['qwen3-8b']).warning).toMatch(/not served/);
  });

  it('reads the earlier images’ variables in order and keeps BACKEND_API apart by kind', () => {
    const a = readRunnerInputs({}, { MODEL_ENDPOINT: 'http://m:1', VLLM_ENDPOINT: 'http://v:1', SERVED_MODEL_NAME: 's', MODEL_NAME: 'Org/M', BACKEND_API: 'http://results:8000' }, '/tmp');
    expect(a).toMatchObject({ endpoint: 'http://m:1', endpointSource: 'MODEL_ENDPOINT', model: 's', modelFullName: 'Org/M', resultsUrl: 'http://results:8000', backend: undefined });
    const b = readRunnerInputs({ endpoint: '$(VLLM_MODEL_ENDPOINT)' }, { VLLM_ENDPOINT: 'http://v:1', BACKEND_API: 'openai-chat', REQUEST_RATE: 'inf' }, '/tmp');
    expect(b).toMatchObject({ endpoint: 'http://v:1', endpointSource: 'VLLM_ENDPOINT', backend: 'openai-chat', overrides: { request_rate: Infinity } });
    // OpenAI clients' names come last
    expect(readRunnerInputs({}, { OPENAI_API_BASE: 'http://o:1/v1', API_BASE: 'http://a:1' }, '/tmp')).toMatchObject({ endpoint: 'http://o:1/v1', endpointSource: 'OPENAI_API_BASE' });
    expect(readRunnerInputs({}, { API_BASE: 'http://a:1', VLLM_ENDPOINT: 'http://v:1' }, '/tmp')).toMatchObject({ endpointSource: 'VLLM_ENDPOINT' });
  });

  it('a config file that does not parse is a configuration error with a position, never its text', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runner-cfg-'));
    const file = path.join(dir, 'eval_config.json');
    writeFileSync(file, '{"mode": "task",\n "api_key": "sk-very-secret-1234",,}\n');
    let err: Error | undefined;
    try {
      readConfigFile(file, 'BENCHOPS_CONFIG_PATH');
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('ConfigError');
    expect(err?.message).toMatch(/^BENCHOPS_CONFIG_PATH: .* is not valid JSON: invalid JSON at line 2, column \d+$/);
    expect(err?.message).not.toContain('sk-very-secret');
  });

  it('tells the mode from `mode`/`type` or the shape', () => {
    expect(detectMode({ scenarios: [] })).toBe('performance');
    expect(detectMode({ defaults: { backend: 'openai' } })).toBe('performance');
    expect(detectMode({ benchmarks: {} })).toBe('task');
    expect(detectMode({ tasks: [], thresholds: {} })).toBe('task');
    expect(detectMode({ type: 'Evaluation', scenarios: [] })).toBe('task');
    expect(detectMode({}, 'perf')).toBe('performance');
    expect(() => detectMode({ mode: 'x' })).toThrow(/^mode: unknown mode "x"/);
  });

  it('maps vllm_benchmark.json thresholds to metrics and directions', () => {
    expect(parseThresholds({ ttft_p95_ms: 200, tpot_mean_ms: 50, throughput_min: 10, success_rate: 0.95, request_throughput_min: 1, e2el_p99_ms: 900 }, 'thresholds.')).toEqual([
      { key: 'ttft_p95_ms', metric: 'p95_ttft_ms', op: 'max', value: 200 },
      { key: 'tpot_mean_ms', metric: 'mean_tpot_ms', op: 'max', value: 50 },
      { key: 'throughput_min', metric: 'output_throughput', op: 'min', value: 10 },
      { key: 'success_rate', metric: 'success_rate', op: 'min', value: 0.95 },
      { key: 'request_throughput_min', metric: 'request_throughput', op: 'min', value: 1 },
      { key: 'e2el_p99_ms', metric: 'p99_e2el_ms', op: 'max', value: 900 },
    ]);
  });

  it('fills scenario settings from the scenario, then `defaults`, then the job env, then vLLM defaults', () => {
    const plan = parsePerfConfig(
      { defaults: { random_output_len: 64, backend: 'openai-chat' }, scenarios: [{ name: 'a', max_concurrency: 4 }, { name: 'b', enabled: false }, { name: 'c', num_prompts: 3 }] },
      { max_concurrency: 2, random_input_len: 128, random_output_len: 16 },
    );
    expect(plan.scenarios.map((s) => [s.name, s.maxConcurrency, s.randomInputLen, s.randomOutputLen, s.numPrompts, s.api])).toEqual([
      ['a', 4, 128, 64, 1000, 'chat'],
      ['c', 2, 128, 64, 3, 'chat'],
    ]);
    const flat = parsePerfConfig({ max_concurrency: 8, num_prompts: 10, endpoint: '/v1/chat/completions' }, {});
    expect(flat.scenarios).toHaveLength(1);
    expect(flat.scenarios[0]).toMatchObject({ name: 'default', maxConcurrency: 8, numPrompts: 10, api: 'chat' });
  });
});
