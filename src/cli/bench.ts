/** `benchops bench`: the load generator against any OpenAI-compatible endpoint (flags named like `vllm bench serve`). */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import {
  requestsCsv,
  runBenchmark,
  runSweep,
  searchRate,
  summaryCsv,
  summaryTable,
  type BenchmarkHooks,
  type BenchmarkOptions,
  type BenchmarkReport,
} from '../loadgen/index.ts';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${v}"`);
  return n;
};
const float = (name: string) => (v: string) => {
  const n = v === 'inf' ? Infinity : Number(v);
  if (Number.isNaN(n)) throw new Error(`${name} must be a number, got "${v}"`);
  return n;
};
const workersArg = (v: string): number | 'auto' => {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--workers must be a positive integer or auto, got "${v}"`);
  return n;
};
const numList = (name: string) => (v: string) => v.split(',').map((x) => float(name)(x.trim()));

/** Adds the workload flags shared by `bench` and `sim predict`. */
export function addWorkloadOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--backend <name>', 'completions | chat (vLLM names openai, openai-chat, vllm accepted)').default('completions'))
    .option('--endpoint <path>', 'route, default /v1/completions or /v1/chat/completions')
    .addOption(new Option('--dataset-name <name>', 'synthetic or file data').choices(['random', 'prefix_repetition', 'jsonl', 'custom', 'sharegpt']).default('random'))
    .option('--dataset-path <file>', 'JSONL or ShareGPT file')
    .option('--num-prompts <n>', 'requests to send', int('--num-prompts'), 1000)
    .option('--duration <s>', 'keep sending for this many seconds (prompts are cycled)', float('--duration'))
    .option('--max-concurrency <n[,n…]>', 'concurrency limit; a comma list runs a sweep', numList('--max-concurrency'))
    .option('--request-rate <r[,r…]>', 'requests/s (inf = all at once); a comma list runs a sweep', numList('--request-rate'))
    .option('--burstiness <b>', 'Gamma shape of arrivals (1 = Poisson)', float('--burstiness'), 1)
    .addOption(new Option('--arrival-process <p>', 'gamma (Poisson at burstiness 1), poisson or constant').choices(['gamma', 'poisson', 'constant']))
    .addOption(new Option('--ramp-up-strategy <s>', 'ramp the rate over the run').choices(['linear', 'exponential']))
    .option('--ramp-up-start-rps <r>', 'ramp-up start rate', float('--ramp-up-start-rps'))
    .option('--ramp-up-end-rps <r>', 'ramp-up end rate', float('--ramp-up-end-rps'))
    .option('--random-input-len <n>', 'input tokens per synthetic prompt', int('--random-input-len'), 1024)
    .option('--random-output-len <n>', 'output tokens per request (max_tokens + ignore_eos)', int('--random-output-len'), 128)
    .option('--random-range-ratio <r>', 'lengths uniform in [len·(1−r), len·(1+r)]', float('--random-range-ratio'), 0)
    .option('--random-prefix-len <n>', 'shared prefix tokens in front of every random prompt', int('--random-prefix-len'))
    .option('--prefix-repetition-prefix-len <n>', 'shared-prefix generator: prefix tokens', int('--prefix-repetition-prefix-len'))
    .option('--prefix-repetition-suffix-len <n>', 'shared-prefix generator: suffix tokens', int('--prefix-repetition-suffix-len'))
    .option('--prefix-repetition-num-prefixes <n>', 'shared-prefix generator: distinct prefixes', int('--prefix-repetition-num-prefixes'))
    .option('--prefix-repetition-output-len <n>', 'shared-prefix generator: output tokens', int('--prefix-repetition-output-len'))
    .option('--sharegpt-output-len <n>', 'fixed output length for ShareGPT prompts', int('--sharegpt-output-len'))
    .option('--no-ignore-eos', 'let the server stop at EOS instead of forcing the output length')
    .option('--percentile-metrics <list>', 'metrics with percentiles', 'ttft,tpot,itl,e2el')
    .option('--metric-percentiles <list>', 'percentiles to report', '50,90,95,99')
    .option('--goodput <slo...>', 'SLOs in ms, e.g. ttft:200 tpot:50')
    .option('--seed <n>', 'seed for data and arrivals', int('--seed'), 0)
    .option('--label <text>', 'label stored in the result');
}

/** Turns parsed workload flags into load-generator options (without the URL). */
export function workloadFromFlags(o: Record<string, any>): Omit<BenchmarkOptions, 'base_url'> {
  const pick = <T>(v: T | undefined) => (v === undefined ? undefined : v);
  return {
    backend: o.backend,
    endpoint: o.endpoint,
    dataset_name: o.datasetName,
    dataset_path: o.datasetPath,
    num_prompts: o.numPrompts,
    duration: o.duration,
    max_concurrency: o.maxConcurrency?.[0],
    request_rate: o.requestRate?.[0] ?? Infinity,
    burstiness: o.burstiness,
    arrival_process: o.arrivalProcess,
    ramp_up_strategy: o.rampUpStrategy,
    ramp_up_start_rps: o.rampUpStartRps,
    ramp_up_end_rps: o.rampUpEndRps,
    random_input_len: o.randomInputLen,
    random_output_len: o.randomOutputLen,
    random_range_ratio: o.randomRangeRatio,
    random_prefix_len: pick(o.randomPrefixLen),
    prefix_repetition_prefix_len: o.prefixRepetitionPrefixLen,
    prefix_repetition_suffix_len: o.prefixRepetitionSuffixLen,
    prefix_repetition_num_prefixes: o.prefixRepetitionNumPrefixes,
    prefix_repetition_output_len: o.prefixRepetitionOutputLen,
    sharegpt_output_len: o.sharegptOutputLen,
    ignore_eos: o.ignoreEos,
    percentile_metrics: o.percentileMetrics,
    metric_percentiles: o.metricPercentiles,
    goodput: o.goodput,
    seed: o.seed,
    label: o.label,
  };
}

/** The progress bar's client word: its busy share, and CLIENT-BOUND when the client rather than the server is the limit. */
export function clientWord(busy: number | undefined): string {
  if (busy === undefined) return '-';
  const pct = `${Math.round(busy * 100)} % busy`;
  return busy >= 0.9 ? `${pct} CLIENT-BOUND (add --workers)` : pct;
}

function progressHooks(enabled: boolean): { hooks: BenchmarkHooks; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { hooks: {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: ' {phase} |{bar}| {value}/{total} requests | failed {failed} | in flight {inflight} | client {client} | {elapsed}s', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    hooks: {
      onProgress: (p) => {
        const payload = { phase: p.phase, failed: p.failed, inflight: p.inflight, elapsed: p.elapsed_s.toFixed(1), client: clientWord(p.client_busy) };
        if (!started) {
          bar.start(p.total ?? 0, 0, payload);
          started = true;
        }
        if (p.total !== null) bar.setTotal(p.total);
        bar.update(p.completed + p.failed, payload);
      },
    },
    stop: () => started && bar.stop(),
  };
}

async function save(reports: BenchmarkReport[], o: Record<string, any>): Promise<void> {
  if (!o.saveResult && !o.resultFilename && !o.csvFile) return;
  const dir = o.resultDir ?? '.';
  await mkdir(dir, { recursive: true });
  for (const [i, r] of reports.entries()) {
    if (!o.saveDetailed) delete r.requests;
    if (o.saveResult || o.resultFilename) {
      const stamp = r.date.replace(/[-:]/g, '').slice(0, 15);
      const base = o.resultFilename
        ? reports.length > 1
          ? o.resultFilename.replace(/(\.json)?$/, `-${i}.json`)
          : o.resultFilename
        : `${r.backend}-${r.request_rate}qps-concurrency${r.max_concurrency ?? 'inf'}-${r.model_id.split('/').pop()}-${stamp}.json`;
      const file = path.join(dir, base);
      await writeFile(file, JSON.stringify(r, null, 2));
      console.error(`result saved to ${file}`);
    }
  }
  if (o.csvFile) {
    const csv = reports.length === 1 ? requestsCsv(reports[0]) : summaryCsv(reports);
    await writeFile(path.join(dir, o.csvFile), csv);
    console.error(`${reports.length === 1 ? 'per-request' : 'summary'} CSV saved to ${path.join(dir, o.csvFile)}`);
  }
}

export function registerBench(program: Command): void {
  const cmd = program
    .command('bench')
    .description(
      'Measure an OpenAI-compatible endpoint (vLLM or any other) with vLLM bench serve metric definitions: TTFT, TPOT, ' +
        'ITL, E2EL, throughputs, goodput. Client queue time, event-loop lag and CPU are measured too; a saturated ' +
        'client marks the run UNRELIABLE.',
    )
    .option('--base-url <url>', 'server root, e.g. http://127.0.0.1:8000')
    .option('--host <host>', 'server host (with --port, instead of --base-url)', '127.0.0.1')
    .option('--port <port>', 'server port', int('--port'), 8000)
    .option('--model <name>', 'model name to send (default: first of /v1/models)')
    .addOption(
      new Option('--tokenizer <mode>', 'who counts tokens: the server /tokenize, a real tokenizer of the model family (Llama-3.x, Qwen2.5/3), or the bundled one; auto tries them in that order')
        .choices(['auto', 'server', 'model', 'bundled'])
        .default('auto'),
    )
    .option('--workers <n>', 'worker threads for the load (auto: the cores, keeping one for a server on this machine)', workersArg, 'auto' as const)
    .option('--num-warmups <n>', 'warm-up requests, not measured (one worker: the run reuses their connections, as vLLM does)', int('--num-warmups'), 0)
    .option('--preconnect', 'open one connection per --max-concurrency slot (at most 1,024 per worker) before the clock starts')
    .option('--temperature <t>', 'sampling temperature', float('--temperature'), 0)
    .option('--no-stream', 'non-streaming requests (TTFT = E2EL)')
    .option('--request-timeout <s>', 'per-request timeout', float('--request-timeout'), 600)
    .option('--api-key <key>', 'bearer token (default: $OPENAI_API_KEY)')
    .option('--slo-search', 'search the largest request rate meeting --goodput SLOs')
    .option('--slo-attainment <f>', 'fraction of requests that must meet the SLOs', float('--slo-attainment'), 0.9)
    .option('--min-rate <r>', 'SLO search lower bound', float('--min-rate'), 0.5)
    .option('--max-rate <r>', 'SLO search upper bound', float('--max-rate'), 64)
    .option('--save-result', 'write the JSON result')
    .option('--save-detailed', 'include per-request records in the JSON')
    .option('--result-dir <dir>', 'folder for results')
    .option('--result-filename <file>', 'JSON file name')
    .option('--csv-file <file>', 'per-request CSV (sweeps: one summary row per run)')
    .option('--json', 'print the JSON result on stdout instead of the table')
    .option('--disable-tqdm', 'no progress bar');
  addWorkloadOptions(cmd);
  cmd.action(async (o: Record<string, any>) => {
    const base: BenchmarkOptions = {
      ...workloadFromFlags(o),
      base_url: o.baseUrl ?? `http://${o.host}:${o.port}`,
      model: o.model,
      tokenizer: o.tokenizer,
      workers: o.workers,
      num_warmups: o.numWarmups,
      preconnect: !!o.preconnect,
      temperature: o.temperature,
      stream: o.stream,
      request_timeout: o.requestTimeout,
      api_key: o.apiKey ?? process.env.OPENAI_API_KEY,
      save_detailed: true,
    };
    const prog = progressHooks(!o.disableTqdm && !o.json);
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    const hooks = { ...prog.hooks, signal: ac.signal };
    try {
      let reports: BenchmarkReport[];
      if (o.sloSearch) {
        if (!o.goodput) throw new Error('--slo-search needs --goodput SLOs');
        const { rate, runs } = await searchRate(base, { slos: base.goodput as never, attainment: o.sloAttainment, min_rate: o.minRate, max_rate: o.maxRate }, hooks);
        prog.stop();
        reports = runs;
        console.log(`Largest request rate meeting the SLOs: ${rate > 0 ? rate.toFixed(3) + ' req/s' : 'none (even the minimum rate fails)'}`);
      } else if ((o.maxConcurrency?.length ?? 0) > 1 || (o.requestRate?.length ?? 0) > 1) {
        reports = await runSweep(base, { max_concurrency: o.maxConcurrency?.length > 1 ? o.maxConcurrency : undefined, request_rate: o.requestRate?.length > 1 ? o.requestRate : undefined }, hooks);
      } else reports = [await runBenchmark(base, hooks)];
      prog.stop();
      for (const r of reports) console.log(o.json ? JSON.stringify(r) : summaryTable(r));
      await save(reports, o);
      const allFailed = reports.every((r) => r.completed === 0);
      process.exitCode = allFailed ? 1 : 0;
    } catch (e) {
      prog.stop();
      console.error(`benchops bench: ${(e as Error).message}`);
      process.exitCode = 2;
    }
  });
}
