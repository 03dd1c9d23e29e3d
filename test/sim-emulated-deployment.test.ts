/**
 * A local (emulated) deployment's vLLM arguments reach the emulated server: the flags the local backend derives from
 * the deployment config (parallelism, memory, format, image tag → vLLM version, modelled additional_args) start a real
 * `benchops sim serve` whose engine is the one `sim predict` builds from the same options, so it streams at the
 * predicted speed. Flags the emulator cannot model are reported, not silently passed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { emulatorEngineArgs } from '../src/services/vllm/backends/local.ts';
import { buildEngine } from '../src/simulator/engine.ts';
import { spawnEmulator, type EmulatorProcess } from '../src/simulator/index.ts';

let emu: EmulatorProcess | undefined;
afterAll(async () => {
  await emu?.stop();
});

describe('emulated deployments model their engine arguments', () => {
  const cfg = {
    model_name: 'neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8',
    tensor_parallel_size: 4,
    pipeline_parallel_size: 1,
    gpu_memory_utilization: 0.92,
    block_size: 32,
    quantization: null,
    image: 'vllm/vllm-openai:v0.6.0',
    additional_args: { 'kv-cache-dtype': 'fp8', 'num-scheduler-steps': 8, 'no-enable-chunked-prefill': true, 'enforce-eager': true },
  };

  it('derives the engine flags and says which values it ignores', () => {
    const { args, ignored } = emulatorEngineArgs({ ...cfg, quantization: 'nf3', additional_args: { ...cfg.additional_args, 'kv-cache-dtype': 'fp4' } });
    expect(args).toEqual(['--gpu-memory-utilization', '0.92', '--block-size', '32', '--vllm-version', '0.6.0', '--num-scheduler-steps', '8', '--no-enable-chunked-prefill']);
    expect(ignored).toEqual(['quantization', 'kv-cache-dtype']);
  });

  it('a real emulated server started with them runs the engine sim predict builds', async () => {
    const { args } = emulatorEngineArgs(cfg);
    emu = await spawnEmulator(['--port', '0', '--model', cfg.model_name, '--hardware', 'H100', '--tp', '4', '--max-model-len', '4096', ...args], { timeoutMs: 60_000 });
    const info = (await (await fetch(`${emu.url}/benchops/info`)).json()) as Record<string, any>;
    const expected = buildEngine({
      model: cfg.model_name,
      hardware: 'H100',
      tensor_parallel: 4,
      max_model_len: 4096,
      gpu_memory_utilization: 0.92,
      block_size: 32,
      vllm_version: '0.6.0',
      kv_cache_dtype: 'fp8',
      num_scheduler_steps: 8,
      chunked_prefill: false,
    });
    expect(info.served_model_name).toBe(cfg.model_name);
    expect(info.model.dtype).toBe('fp8');
    expect(info.model.kv_bytes).toBe(1);
    expect(info.scheduler).toEqual(expected.scheduler);
    expect(info.factors).toEqual(expected.perf.spec.factors);
  }, 90_000);
});
