/** `benchops sim serve|predict|calibrate|catalogue`: the emulated vLLM server and virtual-time prediction. */
import { readFile, writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { summaryTable } from '../loadgen/index.ts';
import {
  activeParams,
  calibrate,
  describeModel,
  HARDWARE_CATALOGUE,
  MODEL_CATALOGUE,
  modelKind,
  predict,
  resolveDeployment,
  startEmulatedServer,
  type EfficiencyFactors,
  type EngineOptions,
  type ModelSpec,
} from '../simulator/index.ts';
import { parseJsonSafe } from '../core/parse.ts';
import type { SpeculativeOptions } from '../simulator/perf-model.ts';
import { KV_CACHE_DTYPES, QUANTIZATION_METHODS } from '../simulator/quantization.ts';
import { addWorkloadOptions, workloadFromFlags } from './bench.ts';
import { isEmulatorWorker, runEmulatorWorker, startEmulatorCluster } from '../simulator/cluster.ts';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${v}"`);
  return n;
};
const float = (name: string) => (v: string) => {
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error(`${name} must be a number, got "${v}"`);
  return n;
};

/** Deployment and engine flags, named as `vllm serve` names them (plus --hardware, --vllm-version and --factors). */
function addDeploymentOptions(cmd: Command): Command {
  return cmd
    .option('--model <name>', 'catalogue model name or alias (a …-FP8/-AWQ/-GPTQ name is that format), or a JSON file with a full model spec', 'meta-llama/Llama-3.1-8B-Instruct')
    .option('--hardware <name>', 'catalogue hardware name, alias or GPU product label', 'H100-80G')
    .option('--tp, --tensor-parallel-size <n>', 'tensor parallel degree', int('--tensor-parallel-size'), 1)
    .option('--pp, --pipeline-parallel-size <n>', 'pipeline parallel degree', int('--pipeline-parallel-size'), 1)
    .option('--enable-expert-parallel', 'spread a mixture-of-experts model\'s experts over the tensor-parallel ranks')
    .addOption(new Option('-q, --quantization <method>', 'weight format (default: what the model name states, else 16-bit)').choices(Object.keys(QUANTIZATION_METHODS)))
    .addOption(new Option('--kv-cache-dtype <dtype>', 'KV-cache element type').choices(Object.keys(KV_CACHE_DTYPES)))
    .option('--vllm-version <version>', 'vLLM version whose engine behaviour to model: 0.5.x, 0.6.x (v0 engine), 0.8+ (v1; default)')
    .option('--max-num-seqs <n>', 'scheduler seat limit', int('--max-num-seqs'))
    .option('--max-num-batched-tokens <n>', 'token budget per step', int('--max-num-batched-tokens'))
    .option('--max-model-len <n>', 'context limit', int('--max-model-len'))
    .option('--block-size <n>', 'KV-cache block size in tokens', int('--block-size'))
    .option('--gpu-memory-utilization <f>', 'fraction of device memory vLLM may use', float('--gpu-memory-utilization'), 0.9)
    .option('--enable-prefix-caching', 'reuse KV blocks of shared prompt prefixes (default on with the v1 engine)')
    .option('--no-enable-prefix-caching', 'turn prefix caching off')
    .option('--enable-chunked-prefill', 'split long prompts over steps (default: the vLLM version\'s rule)')
    .option('--no-enable-chunked-prefill', 'turn chunked prefill off')
    .option('--num-scheduler-steps <n>', 'decode steps per scheduling round (multi-step, vLLM 0.6–0.7)', int('--num-scheduler-steps'))
    .addOption(new Option('--preemption-mode <mode>', 'what a preempted sequence loses (vLLM v0)').choices(['recompute', 'swap']))
    .option('--speculative-config <json>', 'speculative decoding as a factor: {"num_speculative_tokens":3,"acceptance_rate":0.7,"draft_cost":0.05}')
    .option('--factors <json>', 'efficiency factors as JSON, e.g. {"mfu":0.5} (or a file written by sim calibrate)');
}

/**
 * Says on stderr how the model is modelled: its kind (dense, mixture-of-experts, embedding), total and active
 * parameters, and when it is not in the catalogue which model's shape was used.
 */
function noteModel(prefix: string, dep: EngineOptions, suffix = ''): void {
  console.error(`${prefix}: ${describeModel(resolveDeployment(dep).model)}${suffix}`);
}

function jsonFlag(flag: string, text: string): unknown {
  try {
    return parseJsonSafe(text);
  } catch (e) {
    throw new Error(`${flag}: ${(e as Error).message}`);
  }
}

/** vLLM's --speculative-config (its JSON), read for the keys the simulator models; unknown keys are said back. */
function speculativeFromFlag(text: string | undefined): SpeculativeOptions | undefined {
  if (!text) return undefined;
  const v = jsonFlag('--speculative-config', text) as Record<string, unknown>;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('--speculative-config must be a JSON object');
  const k = v.num_speculative_tokens;
  if (typeof k !== 'number') throw new Error('--speculative-config needs "num_speculative_tokens" (a number)');
  const ignored = Object.keys(v).filter((x) => !['num_speculative_tokens', 'acceptance_rate', 'draft_cost', 'method', 'model'].includes(x));
  if (ignored.length) console.error(`--speculative-config: ${ignored.join(', ')} not modelled (ignored)`);
  return {
    num_speculative_tokens: k,
    ...(typeof v.acceptance_rate === 'number' ? { acceptance_rate: v.acceptance_rate } : {}),
    ...(typeof v.draft_cost === 'number' ? { draft_cost: v.draft_cost } : {}),
  };
}

async function deploymentFromFlags(o: Record<string, any>): Promise<EngineOptions> {
  let model: string | ModelSpec = o.model;
  if (/\.json$/i.test(o.model)) model = jsonFlag('--model', await readFile(o.model, 'utf8')) as ModelSpec;
  let factors: Partial<EfficiencyFactors> | undefined;
  if (o.factors) {
    const raw = o.factors.trim().startsWith('{') ? o.factors : await readFile(o.factors, 'utf8');
    const parsed = jsonFlag('--factors', raw) as Record<string, any>;
    factors = parsed.factors ?? parsed;
  }
  return {
    model,
    hardware: o.hardware,
    tensor_parallel: o.tensorParallelSize,
    pipeline_parallel: o.pipelineParallelSize,
    enable_expert_parallel: o.enableExpertParallel,
    quantization: o.quantization,
    kv_cache_dtype: o.kvCacheDtype,
    vllm_version: o.vllmVersion,
    max_num_seqs: o.maxNumSeqs,
    max_num_batched_tokens: o.maxNumBatchedTokens,
    max_model_len: o.maxModelLen,
    block_size: o.blockSize,
    gpu_memory_utilization: o.gpuMemoryUtilization,
    enable_prefix_caching: o.enablePrefixCaching,
    chunked_prefill: o.enableChunkedPrefill,
    num_scheduler_steps: o.numSchedulerSteps,
    preemption_mode: o.preemptionMode,
    speculative: speculativeFromFlag(o.speculativeConfig),
    factors,
  };
}

function fail(prefix: string, e: unknown): void {
  console.error(`${prefix}: ${(e as Error).message}`);
  process.exitCode = 2;
}

export function registerSim(program: Command): void {
  const sim = program.command('sim').description('Emulated vLLM server and virtual-time prediction of benchmark runs');

  const serve = sim
    .command('serve')
    .description(
      'Start an emulated vLLM server (OpenAI API, /tokenize, /metrics with vllm:* names). Timing from a continuous-batching ' +
        'scheduler and a roofline model of --model on --hardware, or from --profile fixed. Prints ' +
        'BENCHOPS_SIM_READY {"url":…} when listening; exits on SIGTERM/SIGINT.',
    )
    .option('--served-model-name <name>', 'name clients use (default: the model name)')
    .option('--host <host>', 'bind address', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', int('--port'), 8000)
    .option('--seed <n>', 'seed for text, output lengths and jitter', int('--seed'), 0)
    .addOption(new Option('--profile <kind>', 'timing source').choices(['model', 'fixed']).default('model'))
    .option('--ttft-ms <ms>', 'fixed profile: time to first token', float('--ttft-ms'), 50)
    .option('--itl-ms <ms>', 'fixed profile: inter-token latency', float('--itl-ms'), 10)
    .option('--jitter <f>', 'fixed profile: relative standard deviation of each latency', float('--jitter'), 0)
    .option('--no-records', 'do not keep per-request ground truth')
    .option(
      '--workers <n>',
      'processes serving one port (cluster mode); the performance model stays one engine in the primary, workers parse and write the streams',
      int('--workers'),
      1,
    );
  addDeploymentOptions(serve).action(async (o: Record<string, any>) => {
    try {
      // a cluster worker re-runs this command: its options come from the primary
      if (isEmulatorWorker()) return void (await runEmulatorWorker());
      const dep = await deploymentFromFlags(o);
      if (!(o.workers >= 1 && o.workers <= 64)) throw new RangeError('--workers must be an integer in 1..64');
      const start = o.workers > 1 ? (x: Parameters<typeof startEmulatedServer>[0] & object) => startEmulatorCluster(x, o.workers) : startEmulatedServer;
      const server = await start({
        ...dep,
        served_model_name: o.servedModelName,
        host: o.host,
        port: o.port,
        seed: o.seed,
        record: o.records,
        profile: o.profile === 'fixed' ? { ttft_ms: o.ttftMs, itl_ms: o.itlMs, jitter: o.jitter } : undefined,
      });
      noteModel('benchops sim serve', dep, (o.profile === 'fixed' ? ' (timing: the fixed profile, not the model)' : '') + (o.workers > 1 ? ` on ${o.workers} worker processes` : ''));
      console.log(`BENCHOPS_SIM_READY ${JSON.stringify({ url: server.url })}`);
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        const force = setTimeout(() => process.exit(1), 5000);
        force.unref();
        server.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    } catch (e) {
      fail('benchops sim serve', e);
    }
  });

  const pred = sim
    .command('predict')
    .description('Predict a benchmark run (same metrics as `benchops bench`) in virtual time, without a server')
    .option('--json', 'print the JSON report instead of the table')
    .option('--eos-mean-tokens <n>', 'with --no-ignore-eos: mean output tokens before the model stops by itself', float('--eos-mean-tokens'), 256)
    .option('--output <file>', 'write the JSON report to a file');
  addWorkloadOptions(addDeploymentOptions(pred)).action(async (o: Record<string, any>) => {
    try {
      const dep = await deploymentFromFlags(o);
      noteModel('benchops sim predict', dep);
      const report = await predict({ ...dep, eos_mean_tokens: o.eosMeanTokens, workload: workloadFromFlags(o) });
      console.log(o.json ? JSON.stringify(report, null, 2) : summaryTable(report));
      if (o.output) await writeFile(o.output, JSON.stringify(report, null, 2));
    } catch (e) {
      fail('benchops sim predict', e);
    }
  });

  const cal = sim
    .command('calibrate')
    .description('Fit the efficiency factors to a measured run (a `benchops bench` or `vllm bench serve` result JSON)')
    .argument('<run.json>', 'measured result')
    .option('--iterations <n>', 'coordinate-search rounds', int('--iterations'), 30)
    .option('--output <file>', 'write the fitted factors as JSON');
  addDeploymentOptions(cal).action(async (file: string, o: Record<string, any>) => {
    try {
      const run = jsonFlag(file, await readFile(file, 'utf8')) as any;
      const res = await calibrate(await deploymentFromFlags(o), run, o.iterations);
      const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
      console.log(`before: TTFT ${pct(res.before.ttft)}, TPOT ${pct(res.before.tpot)}, throughput ${pct(res.before.throughput)}`);
      console.log(`after:  TTFT ${pct(res.after.ttft)}, TPOT ${pct(res.after.tpot)}, throughput ${pct(res.after.throughput)}`);
      console.log(JSON.stringify({ factors: res.factors }, null, 2));
      if (o.output) await writeFile(o.output, JSON.stringify({ factors: res.factors }, null, 2));
    } catch (e) {
      fail('benchops sim calibrate', e);
    }
  });

  sim
    .command('catalogue')
    .description('List the models and hardware the simulator knows')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }) => {
      if (o.json) return console.log(JSON.stringify({ models: MODEL_CATALOGUE, hardware: HARDWARE_CATALOGUE }, null, 2));
      console.log('Models:');
      for (const m of MODEL_CATALOGUE) {
        const kind = modelKind(m);
        const size = kind === 'moe' ? `${(m.params / 1e9).toFixed(2)}B (${(activeParams(m) / 1e9).toFixed(2)}B active)` : `${(m.params / 1e9).toFixed(2)}B`;
        const extra = m.embedding ? `  dim ${m.embedding.dimensions}` : m.moe ? `  experts ${m.moe.experts_per_token}/${m.moe.num_experts}` : '';
        console.log(`  ${m.name.padEnd(40)} ${kind.padEnd(9)} ${size.padEnd(24)} layers ${String(m.num_layers).padEnd(3)} ctx ${m.max_context}${extra}`);
      }
      console.log('Hardware:');
      for (const h of HARDWARE_CATALOGUE) {
        console.log(`  ${h.name.padEnd(26)} ${h.type}  ${String(h.memory_gb).padStart(4)} GB  ${h.peak_fp16_TFLOPS.toFixed(0).padStart(4)} TFLOPS  ${String(h.memory_bandwidth_GBps).padStart(5)} GB/s  ${h.resource_name}`);
      }
    });
}
