/** Performance runs: each scenario through the load generator (vLLM `bench serve` semantics), then thresholds. */
import type { ApiKind, Endpoint } from './endpoint.ts';
import { ConfigError } from './errors.ts';
import type * as loadgen from '../loadgen/index.ts';
import type { PerfPlan, PerfScenario } from './perf-config.ts';
import { reliabilityOf } from '../loadgen/report.ts';
import type { LatencyStats, PerformanceBlock, Reliability } from './report.ts';
import { checkPerf, type ThresholdCheck } from './thresholds.ts';
import { compactRecord, MAX_PART_RECORDS, shareOf, type PartInfo, type PartScenario } from './parts.ts';

export interface PerfContext {
  endpoint: Endpoint;
  model: string;
  tokenizerId: string;
  /** API from BACKEND_API when neither the endpoint URL nor the scenario says. */
  fallbackApi?: ApiKind;
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** This pod's share of an Indexed Job (JOB_COMPLETION_INDEX of BENCHOPS_JOB_PARTS): thresholds wait for the merge. */
  part?: PartInfo;
}

export interface ScenarioOutcome {
  name: string;
  backend: 'openai' | 'openai-chat';
  endpointPath: string;
  config: Record<string, unknown>;
  block: PerformanceBlock;
  /** Flat vLLM-style metrics the thresholds read (`p95_ttft_ms`, `output_throughput`, `success_rate`…). */
  flat: Record<string, number>;
  reliable?: boolean;
  /** The load generator's self-check verdict with its reasons (why the client, not the server, was the limit). */
  reliability?: Reliability;
  /** A pod's share: what the Results service needs to merge the run exactly. */
  part?: PartScenario;
}

export interface PerfOutcome {
  scenarios: ScenarioOutcome[];
  checks: ThresholdCheck[];
  requests: unknown[];
}

const METRICS = ['ttft', 'tpot', 'itl', 'e2el'] as const;

/** Percentiles the thresholds need are always computed, whatever `metric_percentiles` says. */
function neededPercentiles(plan: PerfPlan, s: PerfScenario): { percentiles: number[]; metrics: string[] } {
  const percentiles = new Set(s.metricPercentiles);
  const metrics = new Set(s.percentileMetrics);
  for (const t of [...plan.thresholds, ...(plan.scenarioThresholds[s.name] ?? [])]) {
    const m = /^(mean|median|std|p(\d+(?:\.\d+)?))_(ttft|tpot|itl|e2el)_ms$/.exec(t.metric);
    if (!m) continue;
    metrics.add(m[3]);
    if (m[2]) percentiles.add(Number(m[2]));
  }
  return { percentiles: [...percentiles].sort((a, b) => a - b), metrics: [...metrics] };
}

/** Turns vLLM `bench serve` JSON fields into the standardized performance block and the flat threshold view. */
export function blockFromBenchJson(r: Record<string, unknown>, numPrompts: number): { block: PerformanceBlock; flat: Record<string, number> } {
  const flat: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && Number.isFinite(v)) flat[k] = v;
  const completed = flat.completed ?? 0;
  const failed = flat.failed ?? Math.max(0, (flat.num_prompts ?? numPrompts) - completed);
  flat.failed = failed;
  flat.success_rate = completed + failed > 0 ? completed / (completed + failed) : 0;
  const latency: Record<string, LatencyStats> = {};
  for (const m of METRICS) {
    const stats: LatencyStats = {};
    for (const [k, v] of Object.entries(flat)) {
      const mm = new RegExp(`^(mean|median|std|min|max|p\\d+(?:\\.\\d+)?)_${m}_ms$`).exec(k);
      if (mm) stats[mm[1]] = v;
    }
    if (Object.keys(stats).length) latency[`${m}_ms`] = stats;
  }
  const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => flat[k] !== undefined).map((k) => [k, flat[k]]));
  return {
    flat,
    block: {
      summary: {
        completed,
        failed,
        success_rate: flat.success_rate,
        duration_s: flat.duration,
        total_input_tokens: flat.total_input_tokens,
        total_output_tokens: flat.total_output_tokens,
      },
      throughput: pick(['request_throughput', 'output_throughput', 'total_token_throughput', 'request_goodput', 'max_output_tokens_per_s', 'max_concurrent_requests']),
      latency,
    },
  };
}

/** Runs every scenario in order; a scenario that throws is recorded as all-failed and the rest still run. */
export async function runPerformance(plan: PerfPlan, ctx: PerfContext): Promise<PerfOutcome> {
  const scenarios: ScenarioOutcome[] = [];
  const checks: ThresholdCheck[] = [];
  const requests: unknown[] = [];
  // Loaded on demand: task evaluations never need the load generator.
  const { runBenchmark } = await import('../loadgen/index.ts');
  for (const [i, s] of plan.scenarios.entries()) {
    const api: ApiKind = ctx.endpoint.api ?? s.api ?? ctx.fallbackApi ?? 'completions';
    const endpointPath = api === 'chat' ? '/v1/chat/completions' : '/v1/completions';
    const backend = api === 'chat' ? 'openai-chat' : 'openai';
    const { percentiles, metrics } = neededPercentiles(plan, s);
    const thresholds = [...plan.thresholds, ...(plan.scenarioThresholds[s.name] ?? [])];
    // a pod of an Indexed Job runs its share of the scenario; the whole run's figures come from the merge
    const share = ctx.part ? shareOf({ numPrompts: s.numPrompts, maxConcurrency: s.maxConcurrency }, ctx.part) : undefined;
    // a pod sends its share of the run's ONE schedule (the load generator's `part`), so the whole run's load is passed
    const load = { numPrompts: s.numPrompts, maxConcurrency: s.maxConcurrency ?? null, requestRate: s.requestRate, seed: s.seed ?? 0 };
    const config: Record<string, unknown> = {
      backend,
      endpoint: endpointPath,
      dataset_name: s.datasetName,
      num_prompts: s.numPrompts,
      random_input_len: s.randomInputLen,
      random_output_len: s.randomOutputLen,
      max_concurrency: s.maxConcurrency ?? null,
      request_rate: Number.isFinite(s.requestRate) ? s.requestRate : 'inf',
      metric_percentiles: percentiles,
      percentile_metrics: metrics,
    };
    if (ctx.part) {
      ctx.log(
        `pod ${ctx.part.index} of ${ctx.part.count}: requests ${[0, 1, 2].map((k) => ctx.part!.index + k * ctx.part!.count).join(', ')}, … of the run's schedule: ` +
          `${share!.numPrompts} prompts, concurrency ${share!.maxConcurrency ?? 'unlimited'}`,
      );
    }
    ctx.log(
      `scenario ${i + 1}/${plan.scenarios.length} "${s.name}": ${s.numPrompts} prompts, input ${s.randomInputLen} / output ${s.randomOutputLen} tokens, ` +
        `concurrency ${s.maxConcurrency ?? 'unlimited'}, rate ${Number.isFinite(s.requestRate) ? `${s.requestRate}/s` : 'inf'}, ${backend}`,
    );
    let result: Record<string, unknown>;
    let reliable: boolean | undefined;
    let reliability: Reliability | undefined;
    let part: PartScenario | undefined;
    // the load's time zero on the wall clock: a finished request ends (start + latency) after it; the earliest estimate wins
    let originS = Infinity;
    try {
      let lastDecile = -1;
      const report = await runBenchmark(
        {
          base_url: ctx.endpoint.baseUrl,
          endpoint: endpointPath,
          backend: api,
          model: ctx.model,
          tokenizer: 'auto',
          // the pod's cores (one kept when the server is on this machine), never more than the load can use
          workers: 'auto',
          dataset_name: s.datasetName === 'shared_prefix' ? 'prefix_repetition' : (s.datasetName as loadgen.DatasetOptions['dataset_name']),
          dataset_path: s.datasetPath,
          num_prompts: load.numPrompts,
          random_input_len: s.randomInputLen,
          random_output_len: s.randomOutputLen,
          random_range_ratio: s.randomRangeRatio,
          random_prefix_len: s.randomPrefixLen,
          max_concurrency: load.maxConcurrency,
          request_rate: load.requestRate,
          burstiness: s.burstiness,
          percentile_metrics: metrics.join(','),
          metric_percentiles: percentiles,
          ignore_eos: s.ignoreEos,
          seed: load.seed,
          temperature: s.temperature,
          num_warmups: s.numWarmups,
          goodput: s.goodput,
          api_key: ctx.env.OPENAI_API_KEY ?? ctx.env.VLLM_API_KEY,
          label: s.name,
          ...(ctx.part ? { part: ctx.part } : {}),
        },
        {
          onRequest: ctx.part ? (r) => (originS = Math.min(originS, Date.now() / 1000 - (r.start_time + r.latency))) : undefined,
          onProgress: (p) => {
            if (p.phase !== 'running' && p.phase !== 'done') return;
            const done = p.completed + p.failed;
            const total = p.total ?? s.numPrompts;
            const decile = Math.floor((done / Math.max(1, total)) * 10);
            if (decile > lastDecile) {
              lastDecile = decile;
              ctx.log(`  progress: ${done}/${total} requests (${p.failed} failed), ${p.elapsed_s.toFixed(1)}s`);
            }
          },
        },
      );
      result = report as unknown as Record<string, unknown>;
      reliable = report.benchops?.reliable;
      reliability = report.benchops ? reliabilityOf(report) : undefined;
      if (reliable === false) {
        ctx.log(`  warning: the client was saturated during "${s.name}" (${reliability?.reasons.join('; ') || 'see benchops.self_check'}); its latencies are overstated`);
      }
      if (ctx.part) {
        const records = (report.requests ?? []).slice(0, MAX_PART_RECORDS).map(compactRecord);
        part = {
          name: s.name,
          // the load generator's own time zero when it reports one; else the estimate from finished requests
          origin_s: report.benchops?.origin_unix_s ?? (Number.isFinite(originS) ? originS : Date.parse(report.date) / 1000),
          duration_s: report.duration,
          percentiles,
          percentile_metrics: metrics as PartScenario['percentile_metrics'],
          goodput_slos: report.benchops?.goodput_slos ?? null,
          request_rate: Number.isFinite(load.requestRate) ? load.requestRate : 'inf',
          burstiness: s.burstiness ?? 1,
          max_concurrency: s.maxConcurrency ?? null,
          thresholds,
          self_check: (report.benchops?.self_check as unknown as Record<string, unknown>) ?? null,
          ...(reliability ? { reliability } : {}),
          records,
          records_dropped: Math.max(0, (report.requests ?? []).length - records.length),
        };
      }
      const errors = [...new Set(report.errors.filter(Boolean))];
      if (errors.length) ctx.log(`  ${report.failed} request(s) failed, e.g. ${errors[0]}`);
      // Per-request records without chunk times (those would make the document megabytes; ITL stats are kept).
      for (const r of report.requests ?? []) {
        const { chunk_times: _c, ...rest } = r;
        requests.push({ scenario: s.name, ...rest });
      }
    } catch (e) {
      if (e instanceof RangeError) throw new ConfigError(`scenarios.${s.name}`, e.message);
      ctx.log(`  scenario "${s.name}" failed: ${(e as Error).message}`);
      result = { completed: 0, failed: s.numPrompts, error: (e as Error).message };
    }
    if (ctx.part && !part) {
      // the scenario failed in this pod: the merge still sees the pod, its verdict says why
      part = {
        name: s.name, origin_s: Date.now() / 1000, duration_s: 0, percentiles, percentile_metrics: metrics as PartScenario['percentile_metrics'],
        goodput_slos: null, request_rate: Number.isFinite(load.requestRate) ? load.requestRate : 'inf', burstiness: s.burstiness ?? 1,
        max_concurrency: s.maxConcurrency ?? null, thresholds, self_check: null,
        reliability: { reliable: false, reasons: [`the scenario failed in this pod: ${String(result.error ?? 'no result')}`] }, records: [], records_dropped: 0,
      };
    }
    const { block, flat } = blockFromBenchJson(result, share?.numPrompts ?? load.numPrompts);
    scenarios.push({ name: s.name, backend, endpointPath, config, block, flat, reliable, ...(reliability ? { reliability } : {}), ...(part ? { part } : {}) });
    // a pod's share is not the run: its thresholds are checked on the merged result (Results service)
    if (!ctx.part) checks.push(...checkPerf(s.name, flat, thresholds));
  }
  return { scenarios, checks, requests };
}
