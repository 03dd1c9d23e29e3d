/**
 * `benchops job run`: the entrypoint of the BenchOps job image. Reads the mounted config and the endpoint variables,
 * runs a performance benchmark (load generator) or a task evaluation, checks thresholds, stores the results and
 * returns the exit code: 0 success, 1 thresholds failed or the run failed, 2 configuration error.
 */
import { randomUUID } from 'node:crypto';
import type { ResultsApi } from '../services/results/api.ts';
import { loadPlan, type Plan } from './config.ts';
import { apiFromBackend, chooseModel, listModels, parseEndpoint, type ApiKind, type Endpoint } from './endpoint.ts';
import { readRunnerInputs, type RunnerFlags, type RunnerInputs } from './env.ts';
import { ConfigError, EXIT, RunError } from './errors.ts';
import { runPerformance } from './perf.ts';
import { PART_SOURCE, partRunId, type PartDocument } from './parts.ts';
import { publish, type PublishOutcome } from './publish.ts';
import { perfSummaryTable, runReliability, RUNNER_FORMAT, RUNNER_VERSION, taskSummaryTable, thresholdTable, type RunnerOutput } from './report.ts';
import { runTaskEval } from './task-eval.ts';
import { checkTasks } from './thresholds.ts';
import { createResultsClient } from './results-client.ts';

export { EXIT, ConfigError, RunError } from './errors.ts';
export type { RunnerFlags } from './env.ts';
export type { RunnerOutput } from './report.ts';

export interface RunJobOptions {
  flags?: RunnerFlags;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Progress and summary lines (default: stdout). */
  log?: (line: string) => void;
  /** Results client to use instead of one built from BENCHOPS_RESULTS_URL (tests, in-process callers). */
  resultsApi?: ResultsApi;
  /** Retry settings for posting results. */
  publishAttempts?: number;
  publishBackoffMs?: number;
}

export interface RunJobResult {
  exitCode: (typeof EXIT)[keyof typeof EXIT];
  plan?: Plan;
  output?: RunnerOutput;
  published?: PublishOutcome;
  /** The message printed for a failure (config errors name the field). */
  error?: string;
}

/**
 * Attempts at posting results (500 ms backoff doubling: about a minute in all), so a job that finishes while the
 * platform restarts still stores its result.
 */
export const PUBLISH_ATTEMPTS = 8;

/** Per-request records kept in the raw document (the rest are summarised), so one post stays well under body limits. */
export const MAX_REQUEST_RECORDS = 5000;

/** Strips credentials from a URL before it goes into logs or results. */
function safeUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return u;
  }
}

function resolveEndpoint(inputs: RunnerInputs, plan: Plan): { endpoint: Endpoint; source: string } {
  const raw = inputs.endpoint ?? plan.endpoint;
  const source = inputs.endpoint ? inputs.endpointSource! : 'endpoint';
  if (!raw) {
    throw new ConfigError(
      'VLLM_MODEL_ENDPOINT',
      'no model endpoint: set VLLM_MODEL_ENDPOINT (or MODEL_ENDPOINT / VLLM_ENDPOINT), pass --endpoint, or put "endpoint" in the config',
    );
  }
  return { endpoint: parseEndpoint(raw, source), source };
}

/** Runs one job end to end and returns its exit code (never throws for expected failures). */
export async function runJob(opts: RunJobOptions = {}): Promise<RunJobResult> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const log = opts.log ?? ((line: string) => console.log(line));
  let plan: Plan | undefined;
  try {
    const inputs = readRunnerInputs(opts.flags ?? {}, env, cwd);
    plan = await loadPlan(inputs, cwd);
    log(`benchops job run: ${plan.mode === 'performance' ? 'performance benchmark' : 'task evaluation'} "${plan.name}"` +
      (inputs.configPath ? ` (config ${inputs.configPath} from ${inputs.configSource})` : ' (no config file: settings from the environment)'));
    for (const w of plan.warnings) log(`warning: ${w}`);
    const { endpoint, source } = resolveEndpoint(inputs, plan);
    const served = await listModels(endpoint.baseUrl);
    const chosen = chooseModel(inputs.model ?? plan.model, served);
    if (chosen.warning) log(`warning: ${chosen.warning}`);
    if (!chosen.model) throw new ConfigError('SERVED_MODEL_NAME', `no model name given and ${endpoint.baseUrl}/v1/models lists none; set SERVED_MODEL_NAME or MODEL_NAME`);
    const model = chosen.model;
    const tokenizerId = inputs.modelFullName ?? model;
    const backendApi = apiFromBackend(inputs.backend);
    if (inputs.backend && !backendApi) throw new ConfigError('BACKEND_API', `"${inputs.backend}" is neither a URL nor an API (openai, openai-chat, vllm)`);
    log(`endpoint ${safeUrl(endpoint.baseUrl)} (from ${source}), model ${model}`);

    const runId = inputs.runId ?? randomUUID();
    const startedAt = new Date();
    const meta = {
      benchmark_name: plan.benchmarkName,
      config_name: plan.name,
      description: plan.description,
      model: { id: model, tokenizer_id: tokenizerId },
      run_id: runId,
      runner_version: RUNNER_VERSION,
      started_at: startedAt.toISOString(),
    };
    let output: RunnerOutput;
    let failure: string | undefined;
    const part = inputs.part;
    if (part && plan.mode !== 'performance') throw new ConfigError('BENCHOPS_JOB_PARTS', 'only performance benchmarks run in parts (a task evaluation runs in one pod)');
    if (plan.mode === 'performance') {
      const perf = await runPerformance(plan, { endpoint, model, tokenizerId, fallbackApi: backendApi, log, env, part });
      const first = perf.scenarios[0];
      output = {
        format: RUNNER_FORMAT,
        kind: 'performance',
        meta: {
          ...meta,
          version: plan.version,
          endpoint: safeUrl(`${endpoint.baseUrl}${first.endpointPath}`),
          backend: first.backend,
          scenario: first.name,
          finished_at: new Date().toISOString(),
          reliable: perf.scenarios.every((s) => s.reliable !== false),
          // the self-check's reasons, so a stored run says why it is (un)reliable, not only that it is
          ...(runReliability(perf.scenarios) ? { reliability: runReliability(perf.scenarios) } : {}),
          ...(perf.requests.length > MAX_REQUEST_RECORDS ? { requests_total: perf.requests.length, requests_kept: MAX_REQUEST_RECORDS } : {}),
        },
        results: {},
        performance: { summary: { ...first.block.summary }, throughput: first.block.throughput, latency: first.block.latency },
        thresholds: perf.checks.length ? { passed: perf.checks.every((c) => c.passed), checks: perf.checks } : undefined,
        scenarios: perf.scenarios.map((s) => ({ name: s.name, config: s.config, ...(s.reliability ? { reliability: s.reliability } : {}), ...s.block })),
        requests: perf.requests.slice(0, MAX_REQUEST_RECORDS),
      };
      if (output.thresholds) output.performance.summary.thresholds_passed = output.thresholds.passed ? 1 : 0;
      if (part) {
        // the Results service merges the parts into the run once the last one is in (parts.ts)
        const fields: Pick<PartDocument, 'part' | 'part_scenarios'> = {
          part: { ...part, run_id: runId, ...(env.HOSTNAME ? { pod: env.HOSTNAME } : {}) },
          part_scenarios: perf.scenarios.map((s) => s.part!).filter(Boolean),
        };
        Object.assign(output, fields);
        log(`pod ${part.index} of ${part.count}: thresholds are checked on the merged run`);
      }
      log('');
      log(perfSummaryTable(output.scenarios!));
      if (perf.scenarios.every((s) => Number(s.block.summary.completed) === 0)) failure = 'every request failed';
    } else {
      const api: ApiKind = endpoint.api ?? plan.api ?? backendApi ?? 'completions';
      const evalOut = await runTaskEval(plan, { baseUrl: endpoint.baseUrl, model, api, apiKey: env.OPENAI_API_KEY ?? env.VLLM_API_KEY, log });
      const results: RunnerOutput['results'] = {};
      for (const t of evalOut.tasks) results[t.task] = { ...t.scores, samples: t.samples, failed: t.failed, num_fewshot: t.num_fewshot };
      const checks = checkTasks(results, plan.thresholds);
      const latencies = evalOut.records.filter((r) => !r.error).map((r) => r.latency_ms).sort((a, b) => a - b);
      const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] : 0);
      output = {
        format: RUNNER_FORMAT,
        kind: 'task-eval',
        meta: {
          ...meta,
          endpoint: safeUrl(`${endpoint.baseUrl}/v1/${api === 'chat' ? 'chat/completions' : 'completions'}`),
          backend: api === 'chat' ? 'openai-chat' : 'openai',
          tasks: plan.tasks.map((t) => ({ name: t.name, num_fewshot: t.numFewshot, samples: t.docs.length, source: t.source, metrics: t.metrics.map((m) => m.key) })),
          concurrency: plan.concurrency,
          finished_at: new Date().toISOString(),
        },
        results,
        performance: {
          summary: {
            samples: evalOut.requests,
            failed: evalOut.failedRequests,
            duration_s: evalOut.durationS,
            total_input_tokens: evalOut.promptTokens,
            total_output_tokens: evalOut.completionTokens,
            ...(checks.length ? { thresholds_passed: checks.every((c) => c.passed) ? 1 : 0 } : {}),
          },
          throughput: { samples_per_s: evalOut.durationS > 0 ? evalOut.requests / evalOut.durationS : 0 },
          latency: latencies.length
            ? { e2el_ms: { mean: latencies.reduce((a, b) => a + b, 0) / latencies.length, median: pct(50), p90: pct(90), p99: pct(99), max: latencies[latencies.length - 1] } }
            : {},
        },
        thresholds: checks.length ? { passed: checks.every((c) => c.passed), checks } : undefined,
        samples: evalOut.records,
      };
      log('');
      log(taskSummaryTable(results));
      if (evalOut.failedRequests === evalOut.requests) failure = `every request failed (first error: ${evalOut.records.find((r) => r.error)?.error})`;
      else if (evalOut.failedRequests) log(`warning: ${evalOut.failedRequests} of ${evalOut.requests} requests failed (scored 0)`);
    }
    if (output.thresholds) {
      log('');
      log(thresholdTable(output.thresholds.checks));
    }

    const api = opts.resultsApi ?? (inputs.resultsUrl ? createResultsClient(inputs.resultsUrl, inputs.token) : undefined);
    const published = await publish(
      output,
      { run_id: part ? partRunId(runId, part.index) : runId, benchmark_name: plan.benchmarkName, model_id: model, tokenizer_id: tokenizerId, timestamp: startedAt.toISOString() },
      {
        api,
        resultsUrl: inputs.resultsUrl,
        outputDir: inputs.outputDir,
        log,
        attempts: opts.publishAttempts ?? PUBLISH_ATTEMPTS,
        backoffMs: opts.publishBackoffMs,
        ...(part ? { source: PART_SOURCE, rawOnly: true } : {}),
      },
    );
    if (failure) return done(log, EXIT.failed, `run failed: ${failure}`, { plan, output, published });
    if (published.error) return done(log, EXIT.failed, published.error, { plan, output, published });
    if (output.thresholds && !output.thresholds.passed) {
      const failed = output.thresholds.checks.filter((c) => !c.passed).map((c) => `${c.name} (${c.scope})`);
      return done(log, EXIT.failed, `thresholds failed: ${failed.join(', ')}`, { plan, output, published });
    }
    log('benchops job run: done');
    return { exitCode: EXIT.ok, plan, output, published };
  } catch (e) {
    if (e instanceof ConfigError) return done(log, EXIT.config, `configuration error: ${e.message}`, { plan });
    if (e instanceof RunError) return done(log, EXIT.failed, `run failed: ${e.message}`, { plan });
    return done(log, EXIT.failed, `run failed: ${(e as Error)?.stack ?? e}`, { plan });
  }
}

function done(log: (l: string) => void, exitCode: RunJobResult['exitCode'], error: string, rest: Omit<RunJobResult, 'exitCode' | 'error'>): RunJobResult {
  log(`benchops job run: ${error}`);
  return { exitCode, error, ...rest };
}
