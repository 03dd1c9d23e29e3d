/**
 * Performance configs: the earlier `vllm_benchmark.json` (name, defaults, scenarios, thresholds) and a flat single-scenario
 * form, plus the env-only run of the earlier vllm-benchmark image. Keys are vLLM `bench serve` flag names in snake_case.
 */
import { ConfigError } from './errors.ts';
import type { LoadOverrides } from './env.ts';
import { apiFromBackend, type ApiKind } from './endpoint.ts';
import { bool, isObject, list, num, obj, slug, str, type Json } from './values.ts';

export interface PerfScenario {
  name: string;
  description?: string;
  /** Undefined: take it from the endpoint URL, else completions. */
  api?: ApiKind;
  datasetName: string;
  datasetPath?: string;
  randomInputLen: number;
  randomOutputLen: number;
  randomRangeRatio?: number;
  randomPrefixLen?: number;
  numPrompts: number;
  maxConcurrency?: number;
  requestRate: number;
  burstiness?: number;
  percentileMetrics: string[];
  metricPercentiles: number[];
  ignoreEos: boolean;
  seed?: number;
  temperature?: number;
  numWarmups?: number;
  /** SLOs for goodput, e.g. { ttft: 200, tpot: 50 } (ms). */
  goodput?: Record<string, number>;
}

export type ThresholdOp = 'max' | 'min';

/** One pass/fail rule: `metric` is a key of the flattened scenario metrics (e.g. `p95_ttft_ms`, `output_throughput`). */
export interface Threshold {
  key: string;
  metric: string;
  op: ThresholdOp;
  value: number;
}

export interface PerfPlan {
  mode: 'performance';
  name: string;
  benchmarkName: string;
  description?: string;
  version?: string;
  scenarios: PerfScenario[];
  /** Config-level thresholds apply to every scenario; a scenario's own `thresholds` are added to them. */
  thresholds: Threshold[];
  scenarioThresholds: Record<string, Threshold[]>;
  model?: string;
  endpoint?: string;
  warnings: string[];
}

const SCENARIO_KEYS = new Set([
  'name', 'description', 'backend', 'endpoint_path', 'endpoint', 'dataset_type', 'dataset_name', 'dataset_path',
  'random_input_len', 'random_output_len', 'random_range_ratio', 'random_prefix_len', 'num_prompts', 'max_concurrency',
  'request_rate', 'burstiness', 'percentile_metrics', 'metric_percentiles', 'ignore_eos', 'seed', 'temperature',
  'num_warmups', 'goodput', 'thresholds', 'input_len', 'output_len', 'concurrency', 'max_input_tokens', 'max_output_tokens',
  'concurrent_requests', 'enabled',
]);

const METRICS = ['ttft', 'tpot', 'itl', 'e2el'] as const;

/** vLLM's default when `--num-prompts` is not given. */
export const DEFAULT_NUM_PROMPTS = 1000;

function parseGoodput(v: unknown, at: string): Record<string, number> | undefined {
  if (v === undefined || v === null) return undefined;
  const out: Record<string, number> = {};
  const entries: [string, unknown][] = Array.isArray(v)
    ? v.map((s) => String(s).split(':') as [string, string])
    : isObject(v)
      ? Object.entries(v)
      : typeof v === 'string'
        ? v.split(/[ ,]+/).filter(Boolean).map((s) => s.split(':') as [string, string])
        : [];
  if (!entries.length) throw new ConfigError(`${at}goodput`, 'must be like {"ttft": 200} or "ttft:200 tpot:50"');
  for (const [k, val] of entries) {
    const n = Number(val);
    if (!(METRICS as readonly string[]).includes(k) || !Number.isFinite(n) || n <= 0)
      throw new ConfigError(`${at}goodput.${k}`, `must be one of ${METRICS.join(', ')} with a positive number of ms`);
    out[k] = n;
  }
  return out;
}

/**
 * Threshold keys: `<metric>_<stat>_ms` (ttft/tpot/itl/e2el × mean/median/std/pNN) are maxima; `throughput_min`
 * (output tokens/s), `<x>_throughput_min|max`, `success_rate` (completed/total, a minimum), `failed_max`.
 */
export function parseThresholds(v: unknown, at: string): Threshold[] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) throw new ConfigError(at.replace(/\.$/, ''), 'must be an object of threshold → number');
  const out: Threshold[] = [];
  for (const [key, raw] of Object.entries(v)) {
    const field = `${at}${key}`;
    const value = typeof raw === 'number' ? raw : Number.NaN;
    if (!Number.isFinite(value)) throw new ConfigError(field, `must be a number, got ${JSON.stringify(raw)}`);
    let m: RegExpExecArray | null;
    if ((m = /^(ttft|tpot|itl|e2el)_(mean|median|std|p\d+(?:\.\d+)?)_ms(?:_(max|min))?$/.exec(key))) {
      out.push({ key, metric: `${m[2]}_${m[1]}_ms`, op: (m[3] as ThresholdOp) ?? 'max', value });
    } else if ((m = /^(?:(request|output|total_token|output_token)_)?throughput_(min|max)$/.exec(key))) {
      const which = m[1] === 'request' ? 'request_throughput' : m[1] === 'total_token' ? 'total_token_throughput' : 'output_throughput';
      out.push({ key, metric: which, op: m[2] as ThresholdOp, value });
    } else if ((m = /^(success_rate|goodput|request_goodput)(?:_(min|max))?$/.exec(key))) {
      out.push({ key, metric: m[1] === 'success_rate' ? 'success_rate' : 'request_goodput', op: (m[2] as ThresholdOp) ?? 'min', value });
    } else if ((m = /^failed(?:_requests)?(?:_(max))?$/.exec(key))) {
      out.push({ key, metric: 'failed', op: 'max', value });
    } else {
      throw new ConfigError(
        field,
        'unknown threshold; use <ttft|tpot|itl|e2el>_<mean|median|std|pNN>_ms, throughput_min, request_throughput_min, ' +
          'total_token_throughput_min, success_rate or failed_max',
      );
    }
  }
  return out;
}

function parseScenario(s: Json, defaults: Json, at: string, index: number, o: LoadOverrides, warnings: string[]): PerfScenario {
  for (const k of Object.keys(s)) if (!SCENARIO_KEYS.has(k)) warnings.push(`${at}${k}: unknown scenario setting, ignored`);
  const pick = <T>(read: (x: Json, key: string, a: string) => T | undefined, ...keys: string[]): T | undefined => {
    for (const k of keys) {
      const v = read(s, k, at);
      if (v !== undefined) return v;
    }
    for (const k of keys) {
      const v = read(defaults, k, 'defaults.');
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const int1 = (x: Json, k: string, a: string) => num(x, k, a, { int: true, min: 1 });
  const backend = pick(str, 'backend');
  const endpointPath = pick(str, 'endpoint_path', 'endpoint');
  const api = apiFromBackend(backend, endpointPath);
  if (backend && !api) throw new ConfigError(`${at}backend`, `unsupported backend "${backend}"; use openai, openai-chat or vllm`);
  const datasetName = pick(str, 'dataset_name', 'dataset_type') ?? 'random';
  if (!['random', 'jsonl', 'sharegpt', 'custom', 'prefix_repetition', 'shared_prefix'].includes(datasetName))
    throw new ConfigError(`${at}dataset_name`, `unsupported dataset "${datasetName}"; use random, jsonl, sharegpt or shared_prefix`);
  const percentiles = (pick(list, 'metric_percentiles') ?? ['50', '90', '95', '99']).map((p, i) => {
    const n = Number(p);
    if (!Number.isFinite(n) || n <= 0 || n >= 100) throw new ConfigError(`${at}metric_percentiles[${i}]`, `must be in (0, 100), got ${p}`);
    return n;
  });
  const pm = pick(list, 'percentile_metrics') ?? ['ttft', 'tpot', 'itl', 'e2el'];
  pm.forEach((m, i) => {
    if (!(METRICS as readonly string[]).includes(m))
      throw new ConfigError(`${at}percentile_metrics[${i}]`, `unknown metric "${m}"; use ${METRICS.join(', ')}`);
  });
  const rate = pick((x, k, a) => num(x, k, a, { allowInf: true }), 'request_rate') ?? o.request_rate ?? Infinity;
  if (rate <= 0) throw new ConfigError(`${at}request_rate`, 'must be positive');
  const name = str(s, 'name', at) ?? `scenario_${index + 1}`;
  return {
    name,
    description: str(s, 'description', at),
    api,
    datasetName,
    datasetPath: pick(str, 'dataset_path'),
    randomInputLen: pick(int1, 'random_input_len', 'input_len', 'max_input_tokens') ?? o.random_input_len ?? 1024,
    randomOutputLen: pick(int1, 'random_output_len', 'output_len', 'max_output_tokens') ?? o.random_output_len ?? 128,
    randomRangeRatio: pick((x, k, a) => num(x, k, a, { min: 0 }), 'random_range_ratio'),
    randomPrefixLen: pick((x, k, a) => num(x, k, a, { int: true, min: 0 }), 'random_prefix_len'),
    numPrompts: pick(int1, 'num_prompts') ?? o.num_prompts ?? DEFAULT_NUM_PROMPTS,
    maxConcurrency: pick(int1, 'max_concurrency', 'concurrency', 'concurrent_requests') ?? o.max_concurrency,
    requestRate: rate,
    burstiness: pick((x, k, a) => num(x, k, a, { min: 0 }), 'burstiness'),
    percentileMetrics: pm,
    metricPercentiles: percentiles,
    ignoreEos: pick(bool, 'ignore_eos') ?? true,
    seed: pick((x, k, a) => num(x, k, a, { int: true }), 'seed'),
    temperature: pick((x, k, a) => num(x, k, a, { min: 0 }), 'temperature'),
    numWarmups: pick((x, k, a) => num(x, k, a, { int: true, min: 0 }), 'num_warmups'),
    goodput: parseGoodput(s.goodput ?? defaults.goodput, s.goodput !== undefined ? at : 'defaults.'),
  };
}

/** Builds the performance plan from a config object (or none: the env-only run). */
export function parsePerfConfig(cfg: Json, overrides: LoadOverrides): PerfPlan {
  const warnings: string[] = [];
  const name = str(cfg, 'name', '') ?? 'vllm-benchmark';
  const defaults = obj(cfg, 'defaults', '') ?? {};
  const raw = cfg.scenarios;
  let scenarioObjs: Json[];
  let at: (i: number) => string;
  if (raw === undefined) {
    // A flat config is one scenario: {"max_concurrency": 4, "random_input_len": 128, ...}.
    scenarioObjs = [Object.fromEntries(Object.entries(cfg).filter(([k]) => SCENARIO_KEYS.has(k) && k !== 'thresholds' && k !== 'description' && k !== 'endpoint'))];
    scenarioObjs[0].name = str(cfg, 'scenario', '') ?? 'default';
    if (typeof cfg.endpoint === 'string' && cfg.endpoint.startsWith('/')) scenarioObjs[0].endpoint_path = cfg.endpoint;
    at = () => '';
  } else {
    if (!Array.isArray(raw) || raw.length === 0) throw new ConfigError('scenarios', 'must be a non-empty list of scenario objects');
    raw.forEach((s, i) => {
      if (!isObject(s)) throw new ConfigError(`scenarios[${i}]`, 'must be an object');
    });
    scenarioObjs = raw as Json[];
    at = (i) => `scenarios[${i}].`;
  }
  const enabled = scenarioObjs.map((s, i) => ({ s, i })).filter(({ s, i }) => bool(s, 'enabled', at(i)) !== false);
  if (!enabled.length) throw new ConfigError('scenarios', 'every scenario is disabled');
  const scenarios = enabled.map(({ s, i }) => parseScenario(s, defaults, at(i), i, overrides, warnings));
  const seen = new Set<string>();
  scenarios.forEach((s, i) => {
    if (seen.has(s.name)) throw new ConfigError(`scenarios[${i}].name`, `duplicate scenario name "${s.name}"`);
    seen.add(s.name);
  });
  const scenarioThresholds: Record<string, Threshold[]> = {};
  enabled.forEach(({ s, i }, j) => {
    if (raw !== undefined && s.thresholds !== undefined) scenarioThresholds[scenarios[j].name] = parseThresholds(s.thresholds, `scenarios[${i}].thresholds.`);
  });
  return {
    mode: 'performance',
    name,
    benchmarkName: slug(str(cfg, 'benchmark_name', '') ?? name),
    description: str(cfg, 'description', ''),
    version: typeof cfg.version === 'string' || typeof cfg.version === 'number' ? String(cfg.version) : undefined,
    scenarios,
    thresholds: parseThresholds(cfg.thresholds, 'thresholds.'),
    scenarioThresholds,
    model: str(cfg, 'model', ''),
    endpoint: [str(cfg, 'endpoint', ''), str(cfg, 'base_url', '')].find((e) => e && !e.startsWith('/')),
    warnings,
  };
}
