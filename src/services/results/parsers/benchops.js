/**
 * The BenchOps runner's output (`source: "benchops-runner"`): the contract between `benchops job run` and the
 * results service. The runner writes the standardized sections itself, so this parser validates and trims.
 *
 * How the runner posts: `POST /raw_input` with `{run_id, benchmark_name, timestamp, model_id, tokenizer_id,
 * source: "benchops-runner", data: <BenchopsRunnerOutput>}`. The service stores the raw document and derives the
 * standardized one under the same pk (the response's `standardized` says so). The runner may also post
 * `POST /standardized_output` itself; an explicit standardized document replaces a derived one.
 *
 * Names follow vLLM `bench serve` (SPEC 6): latency in milliseconds under `performance.latency.<name>_ms` with
 * stats `mean, median, std, min, max, p<N>` (e.g. `p99`, `p99.9`); throughput under `performance.throughput`
 * (`request_throughput` req/s, `output_throughput` and `total_token_throughput` tok/s, `request_goodput`,
 * `max_output_tokens_per_s`, `max_concurrent_requests`); counts under `performance.summary` (`completed`,
 * `failed`, `success_rate` 0..1, `duration_s`, `total_input_tokens`, `total_output_tokens`, and
 * `thresholds_passed` 1|0 when thresholds were checked). Task scores under `results.<task>.<metric>`
 * (`exact_match`, `exact_match_stderr`, `samples`…), exported as `vllm_eval_<metric>{task, model_tag}`.
 *
 * Example (performance run, one scenario of vllm_benchmark.json):
 * ```json
 * {"format":"benchops-runner/v1","kind":"performance",
 *  "meta":{"benchmark_name":"vllm-benchmark","config_name":"vllm_benchmark.json","scenario":"basic_performance",
 *          "endpoint":"http://127.0.0.1:8100/v1/chat/completions","backend":"openai-chat",
 *          "model":{"id":"qwen3-8b","tokenizer_id":"Qwen/Qwen3-8B"},
 *          "started_at":"2026-11-23T10:00:00.000Z","finished_at":"2026-11-23T10:01:00.000Z","runner_version":"0.1.0"},
 *  "results":{},
 *  "performance":{"summary":{"completed":100,"failed":0,"success_rate":1,"duration_s":60.1,"thresholds_passed":1},
 *                 "throughput":{"request_throughput":1.66,"output_throughput":212.5,"total_token_throughput":1912.3},
 *                 "latency":{"ttft_ms":{"mean":41.2,"median":39.8,"p95":70.1,"p99":88.0},"tpot_ms":{…},"itl_ms":{…},"e2el_ms":{…}}},
 *  "thresholds":{"passed":true,"checks":[{"name":"ttft_p95_ms","limit":200,"value":70.1,"passed":true}]},
 *  "scenarios":[{"name":"basic_performance","config":{…},"summary":{…},"throughput":{…},"latency":{…}}],
 *  "requests":[…per-request records, raw only…]}
 * ```
 * Example (task evaluation): `"kind":"task-eval"`, `"results":{"custom_task_1":{"exact_match":0.6,
 * "exact_match_stderr":0.24,"samples":5}}`, `"performance":{"summary":{"samples":5,"duration_s":2.1},
 * "throughput":{"samples_per_s":2.4},"latency":{"e2el_ms":{"mean":410,"p99":900}}}`, `"samples":[…raw only…]`.
 */
import { ParseError } from "./common.js";
import { isPlainObject, normalizeStandardized } from "../standard.js";
export const BENCHOPS_RUNNER_FORMAT = 'benchops-runner/v1';
const RAW_ONLY = new Set(['requests', 'samples', 'format', 'kind']);
export const benchopsRunnerParser = {
    name: 'benchops-runner',
    sources: ['benchops-runner', 'benchops'],
    parse(raw, ctx) {
        if (!isPlainObject(raw))
            throw new ParseError([], 'runner output must be an object');
        if (raw.format !== undefined && raw.format !== BENCHOPS_RUNNER_FORMAT) {
            throw new ParseError(['format'], `unknown runner format ${JSON.stringify(raw.format)} (expected ${BENCHOPS_RUNNER_FORMAT})`);
        }
        for (const key of ['meta', 'results', 'performance']) {
            if (!isPlainObject(raw[key]))
                throw new ParseError([key], `${key} must be an object`);
        }
        const kept = {};
        for (const [k, v] of Object.entries(raw))
            if (!RAW_ONLY.has(k))
                kept[k] = v;
        const { data, issues } = normalizeStandardized(kept, []);
        if (!data)
            throw new ParseError(issues[0].loc, issues[0].msg);
        // Exactly what the runner's own standardize() gives, so its explicit post of the same document is a no-op.
        data.meta = { ...data.meta, source: 'benchops-runner', ...(raw.kind !== undefined ? { kind: raw.kind } : {}) };
        if (typeof data.meta.benchmark_name !== 'string')
            data.meta.benchmark_name = ctx.benchmark_name;
        if (!isPlainObject(data.meta.model))
            data.meta.model = { id: ctx.model_id, tokenizer_id: ctx.tokenizer_id };
        if (Array.isArray(data.scenarios)) {
            // Keep scenarios with the performance block they describe (the UI renders performance recursively).
            data.performance = { ...data.performance, scenarios: Object.fromEntries(data.scenarios.map((s, i) => [s?.name ?? `scenario_${i}`, s])) };
            delete data.scenarios;
        }
        return data;
    },
};
//# sourceMappingURL=benchops.js.map