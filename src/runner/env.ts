/**
 * What the job gives the runner: flags, the BenchOps variables the deployer sets, and the earlier images' variables
 * (vllm-benchmark: VLLM_ENDPOINT, MODEL_NAME, SERVED_MODEL_NAME, RANDOM_INPUT_LEN…; evalchemy: VLLM_MODEL_ENDPOINT,
 * `--endpoint`, `--config`), and the OpenAI clients' OPENAI_BASE_URL / OPENAI_API_BASE / API_BASE last. Nothing here does I/O except checking which config file exists.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.ts';

/** The mount path the deployer's `POST /run` gives the config file. */
export const MOUNTED_CONFIG_PATH = '/app/configs/eval_config.json';

export interface RunnerFlags {
  config?: string;
  endpoint?: string;
  model?: string;
  resultsUrl?: string;
  outputDir?: string;
  runId?: string;
  mode?: string;
}

/**
 * Job-level settings from the environment (the earlier vllm-benchmark image's variables). They fill what a scenario and the
 * config's `defaults` leave unset: the config describes the benchmark, the manifest only supplies what it does not say.
 */
export interface LoadOverrides {
  random_input_len?: number;
  random_output_len?: number;
  max_concurrency?: number;
  num_prompts?: number;
  request_rate?: number;
}

export interface RunnerInputs {
  /** The config file to read (absolute), or undefined: run the env-only performance benchmark of the earlier image. */
  configPath?: string;
  /** Where the config path came from, for error messages. */
  configSource?: string;
  endpoint?: string;
  endpointSource?: string;
  /** The name the server serves (request `model`). */
  model?: string;
  /** The model's full name (tokenizer id in results), e.g. MODEL_NAME=Qwen/Qwen3-8B. */
  modelFullName?: string;
  overrides: LoadOverrides;
  /** `openai`/`openai-chat`/`vllm`… when BACKEND_API names an API rather than a URL. */
  backend?: string;
  resultsUrl?: string;
  resultsSource?: string;
  token?: string;
  outputDir: string;
  runId?: string;
  mountRoot?: string;
  mode?: string;
  tasksDir?: string;
  /** A pod of an Indexed Job: JOB_COMPLETION_INDEX (set by Kubernetes) of BENCHOPS_JOB_PARTS (set by the deployer). */
  part?: { index: number; count: number };
}

const nonEmpty = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

/** Expands Kubernetes-style `$(VAR)` references (a container arg like `$(VLLM_MODEL_ENDPOINT)` when no kubelet expanded it). */
export function expandVars(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m);
}

function intVar(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(name, `must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

function rateVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  if (/^inf(inity)?$/i.test(raw)) return Infinity;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(name, `must be a positive number or "inf", got "${raw}"`);
  return n;
}

const isHttpUrl = (v: string) => /^https?:\/\//i.test(v);

/**
 * A path as the container would see it: absolute paths are tried as-is, then under BENCHOPS_MOUNT_ROOT (where the local
 * executor materialises mounts). Returns the first that exists, or undefined.
 */
export function resolveMounted(p: string, mountRoot: string | undefined): string | undefined {
  if (existsSync(p)) return path.resolve(p);
  if (mountRoot && path.isAbsolute(p)) {
    const under = path.join(mountRoot, p);
    if (existsSync(under)) return under;
  }
  return undefined;
}

/** Reads flags and environment into one validated set of inputs; throws ConfigError naming the variable. */
export function readRunnerInputs(flags: RunnerFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): RunnerInputs {
  const mountRoot = nonEmpty(env.BENCHOPS_MOUNT_ROOT);
  const flag = (v: string | undefined) => (v === undefined ? undefined : nonEmpty(expandVars(v, env)));

  // Config: the mounted file (BENCHOPS_CONFIG_PATH, else /app/configs/eval_config.json), else --config.
  let configPath: string | undefined;
  let configSource: string | undefined;
  const envConfig = nonEmpty(env.BENCHOPS_CONFIG_PATH);
  if (envConfig) {
    configPath = resolveMounted(envConfig, mountRoot);
    configSource = 'BENCHOPS_CONFIG_PATH';
    if (!configPath) throw new ConfigError('BENCHOPS_CONFIG_PATH', `file not found: ${envConfig}`);
  } else {
    const mounted = resolveMounted(MOUNTED_CONFIG_PATH, mountRoot);
    if (mounted) {
      configPath = mounted;
      configSource = MOUNTED_CONFIG_PATH;
    } else if (flag(flags.config)) {
      const p = flag(flags.config)!;
      configPath = resolveMounted(path.resolve(cwd, p), mountRoot) ?? resolveMounted(p, mountRoot);
      configSource = '--config';
      if (!configPath) throw new ConfigError('--config', `file not found: ${p}`);
    }
  }

  // Endpoint: flag, then the deployer's variable, then the earlier images' names.
  let endpoint: string | undefined;
  let endpointSource: string | undefined;
  const candidates: [string, string | undefined][] = [
    ['--endpoint', flag(flags.endpoint)],
    ['VLLM_MODEL_ENDPOINT', nonEmpty(env.VLLM_MODEL_ENDPOINT)],
    ['MODEL_ENDPOINT', nonEmpty(env.MODEL_ENDPOINT)],
    ['VLLM_ENDPOINT', nonEmpty(env.VLLM_ENDPOINT)],
    // what OpenAI-style clients read (the deployer points these at the run's model when a job declares them)
    ['OPENAI_BASE_URL', nonEmpty(env.OPENAI_BASE_URL)],
    ['OPENAI_API_BASE', nonEmpty(env.OPENAI_API_BASE)],
    ['API_BASE', nonEmpty(env.API_BASE)],
  ];
  for (const [src, v] of candidates) {
    // An unexpanded `$(VAR)` left in an arg means the variable is not set: fall through to the next source.
    if (v && !/\$\([A-Za-z_]/.test(v)) {
      endpoint = v;
      endpointSource = src;
      break;
    }
  }

  // BACKEND_API was the results backend's URL in the earlier manifests ("http://model-benchmark-backend-svc:8000");
  // a non-URL value names the API flavour (openai, openai-chat, vllm).
  const backendApi = nonEmpty(env.BACKEND_API);
  let resultsUrl = flag(flags.resultsUrl);
  let resultsSource = resultsUrl ? '--results-url' : undefined;
  if (!resultsUrl && nonEmpty(env.BENCHOPS_RESULTS_URL)) {
    resultsUrl = nonEmpty(env.BENCHOPS_RESULTS_URL);
    resultsSource = 'BENCHOPS_RESULTS_URL';
  }
  if (!resultsUrl && backendApi && isHttpUrl(backendApi)) {
    resultsUrl = backendApi;
    resultsSource = 'BACKEND_API';
  }
  if (resultsUrl && !isHttpUrl(resultsUrl)) throw new ConfigError(resultsSource ?? 'BENCHOPS_RESULTS_URL', `must be an http(s) URL, got "${resultsUrl}"`);

  const served = flag(flags.model) ?? nonEmpty(env.SERVED_MODEL_NAME);
  const fullName = nonEmpty(env.MODEL_NAME);

  return {
    configPath,
    configSource,
    endpoint,
    endpointSource,
    model: served ?? fullName,
    modelFullName: fullName,
    overrides: {
      random_input_len: intVar(env, 'RANDOM_INPUT_LEN', 1),
      random_output_len: intVar(env, 'RANDOM_OUTPUT_LEN', 1),
      max_concurrency: intVar(env, 'MAX_CONCURRENCY', 1),
      num_prompts: intVar(env, 'NUM_PROMPTS', 1),
      request_rate: rateVar(env, 'REQUEST_RATE'),
    },
    backend: backendApi && !isHttpUrl(backendApi) ? backendApi : undefined,
    resultsUrl,
    resultsSource,
    token: nonEmpty(env.BENCHOPS_TOKEN),
    outputDir: path.resolve(cwd, flag(flags.outputDir) ?? nonEmpty(env.BENCHOPS_OUTPUT_DIR) ?? '.'),
    runId: flag(flags.runId) ?? nonEmpty(env.BENCHOPS_RUN_ID),
    mountRoot,
    mode: flag(flags.mode) ?? nonEmpty(env.BENCHOPS_JOB_MODE),
    tasksDir: nonEmpty(env.BENCHOPS_TASKS_DIR),
    part: partOf(env),
  };
}

/** The pod's share of an Indexed Job, or undefined for a single pod (BENCHOPS_JOB_PARTS unset or 1). */
function partOf(env: NodeJS.ProcessEnv): { index: number; count: number } | undefined {
  const count = intVar(env, 'BENCHOPS_JOB_PARTS', 1);
  if (count === undefined || count === 1) return undefined;
  if (count > 64) throw new ConfigError('BENCHOPS_JOB_PARTS', `must be at most 64, got ${count}`);
  const index = intVar(env, 'JOB_COMPLETION_INDEX', 0);
  if (index === undefined) throw new ConfigError('JOB_COMPLETION_INDEX', 'is not set: a job split into parts must run with completionMode: Indexed');
  if (index >= count) throw new ConfigError('JOB_COMPLETION_INDEX', `${index} is not below BENCHOPS_JOB_PARTS (${count})`);
  if (!nonEmpty(env.BENCHOPS_RUN_ID)) throw new ConfigError('BENCHOPS_RUN_ID', 'is required when the job runs in parts (the parts of one run share it)');
  return { index, count };
}
