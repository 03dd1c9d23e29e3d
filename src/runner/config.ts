/** Reads the config file and decides the mode: explicit `mode`/`type`, else by shape (scenarios/thresholds → performance; tasks/benchmarks → task). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseJsonSafe, parseYamlOne } from '../core/parse.ts';
import { ConfigError } from './errors.ts';
import type { RunnerInputs } from './env.ts';
import { parsePerfConfig, type PerfPlan } from './perf-config.ts';
import { parseTaskConfig, type TaskPlan } from './task-config.ts';
import { isObject, type Json } from './values.ts';

export type Plan = PerfPlan | TaskPlan;
export type Mode = Plan['mode'];

const PERF_WORDS = ['performance', 'perf', 'benchmark', 'vllm_benchmark', 'vllm-benchmark', 'load', 'throughput', 'latency'];
const TASK_WORDS = ['task', 'tasks', 'task_eval', 'task-eval', 'evaluation', 'eval', 'accuracy', 'custom_task', 'custom-task', 'quality'];
const PERF_SHAPE = ['scenarios', 'thresholds', 'random_input_len', 'random_output_len', 'max_concurrency', 'num_prompts', 'request_rate'];

/**
 * Reads a JSON (or YAML) config file into an object; ConfigError names the source on failure, with a line and column
 * but never the text around the error (a config may carry an API key, and the message goes to the job's log).
 */
export function readConfigFile(file: string, source: string): Json {
  const text = readFileSync(file, 'utf8');
  let value: unknown;
  try {
    value = parseJsonSafe(text);
  } catch (jsonErr) {
    try {
      value = parseYamlOne(text);
    } catch {
      throw new ConfigError(source, `${file} is not valid JSON: ${(jsonErr as Error).message}`);
    }
  }
  if (!isObject(value)) throw new ConfigError(source, `${file} must hold a JSON object`);
  return value;
}

/** The mode a config asks for, or a ConfigError naming `mode` when it cannot be told. */
export function detectMode(cfg: Json, explicit?: string): Mode {
  const field = explicit !== undefined ? 'BENCHOPS_JOB_MODE' : cfg.mode !== undefined ? 'mode' : 'type';
  const raw = explicit ?? cfg.mode ?? cfg.type;
  if (raw !== undefined) {
    const v = String(raw).toLowerCase();
    if (PERF_WORDS.includes(v)) return 'performance';
    if (TASK_WORDS.includes(v)) return 'task';
    throw new ConfigError(field, `unknown mode ${JSON.stringify(raw)}; use "performance" or "task"`);
  }
  if ('tasks' in cfg || 'benchmarks' in cfg || 'task' in cfg) return 'task';
  if (PERF_SHAPE.some((k) => k in cfg) || (isObject(cfg.defaults) && ('backend' in cfg.defaults || 'random_input_len' in cfg.defaults))) return 'performance';
  throw new ConfigError('mode', 'cannot tell what to run: set "mode" to "performance" (with "scenarios") or "task" (with "tasks")');
}

/** Loads the plan for a run: the config file's, or the earlier vllm-benchmark image's env-only single scenario. */
export async function loadPlan(inputs: RunnerInputs, cwd = process.cwd()): Promise<Plan> {
  if (!inputs.configPath) {
    if (inputs.mode && detectMode({}, inputs.mode) === 'task')
      throw new ConfigError('BENCHOPS_CONFIG_PATH', 'a task evaluation needs a config file (none mounted at /app/configs/eval_config.json, no --config)');
    return parsePerfConfig({ name: 'vllm-benchmark' }, inputs.overrides);
  }
  const cfg = readConfigFile(inputs.configPath, inputs.configSource ?? 'config');
  const mode = detectMode(cfg, inputs.mode);
  if (mode === 'performance') return parsePerfConfig(cfg, inputs.overrides);
  return parseTaskConfig(cfg, {
    configDir: path.dirname(inputs.configPath),
    cwd,
    mountRoot: inputs.mountRoot,
    tasksDir: inputs.tasksDir,
    concurrencyOverride: inputs.overrides.max_concurrency,
  });
}
