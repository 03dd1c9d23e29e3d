/**
 * vLLM `vllm bench serve --save-result` (and the older benchmarks/benchmark_serving.py) JSON → standardized.
 *
 * Input: `{date, endpoint_type|backend, label, model_id, tokenizer_id, num_prompts, request_rate, burstiness,
 * max_concurrency, duration, completed, failed, total_input_tokens, total_output_tokens, request_throughput,
 * request_goodput, output_throughput, total_token_throughput, max_output_tokens_per_s, max_concurrent_requests,
 * mean_ttft_ms, median_ttft_ms, std_ttft_ms, p99_ttft_ms, … (tpot, itl, e2el), input_lens, output_lens, ttfts,
 * itls, generated_texts, errors}`. The per-request arrays are dropped (the raw document keeps them). A BenchOps report's
 * `benchops` section gives `meta.reliability: {reliable, reasons}` (the client self-check's verdict and why).
 */
import { baseMeta, compact, finite, ParseError, pickNumbers, requireObject } from "./common.js";
import { isPlainObject } from "../standard.js";
const LATENCIES = ['ttft', 'tpot', 'itl', 'e2el'];
/** `{mean, median, std, p<N>…}` of one latency from the flat `<stat>_<name>_ms` keys. */
export function latencyStats(doc, name) {
    const out = {};
    const re = new RegExp(`^(mean|median|std|min|max|p\\d+(?:\\.\\d+)?)_${name}_ms$`);
    for (const [k, v] of Object.entries(doc)) {
        const m = re.exec(k);
        const n = finite(v);
        if (m && n !== undefined)
            out[m[1]] = n;
    }
    return out;
}
/**
 * BenchOps' load generator adds `benchops.reliable` and `benchops.self_check` (event-loop lag, CPU, `reasons`): a
 * saturated client overstates latencies, and the reason says why the run was marked unreliable.
 */
function reliabilityOf(b) {
    if (!isPlainObject(b) || typeof b.reliable !== 'boolean')
        return undefined;
    const sc = isPlainObject(b.self_check) ? b.self_check : {};
    const reasons = Array.isArray(sc.reasons) ? sc.reasons.filter((r) => typeof r === 'string').slice(0, 20) : [];
    return { reliable: b.reliable, reasons };
}
export const vllmBenchParser = {
    name: 'vllm-bench',
    sources: ['vllm-bench', 'vllm-bench-serve', 'vllm_bench_serve', 'vllm-benchmark', 'vllm_benchmark', 'benchmark_serving'],
    parse(raw, ctx) {
        const doc = requireObject(raw, [], 'vllm bench serve output');
        if (finite(doc.completed) === undefined)
            throw new ParseError(['completed'], 'completed (number of successful requests) is required');
        const latency = {};
        for (const name of LATENCIES) {
            const stats = latencyStats(doc, name);
            if (Object.keys(stats).length)
                latency[`${name}_ms`] = stats;
        }
        if (!latency.e2el_ms && !latency.ttft_ms && finite(doc.request_throughput) === undefined) {
            throw new ParseError(['mean_ttft_ms'], 'no latency (mean_ttft_ms, mean_e2el_ms…) or request_throughput in the document');
        }
        const completed = doc.completed;
        const failed = finite(doc.failed);
        const rate = doc.request_rate;
        return {
            meta: baseMeta(ctx, 'vllm bench serve', {
                tool_model: compact({ id: doc.model_id, tokenizer_id: doc.tokenizer_id }),
                config: compact({
                    backend: doc.endpoint_type ?? doc.backend,
                    label: doc.label,
                    num_prompts: doc.num_prompts,
                    request_rate: typeof rate === 'number' && !Number.isFinite(rate) ? 'inf' : rate,
                    burstiness: doc.burstiness,
                    max_concurrency: doc.max_concurrency,
                }),
                date: doc.date,
                reliability: reliabilityOf(doc.benchops),
                predicted: isPlainObject(doc.benchops) && doc.benchops.predicted === true ? true : undefined,
            }),
            results: {},
            performance: {
                summary: compact({
                    completed,
                    failed,
                    success_rate: failed !== undefined && completed + failed > 0 ? completed / (completed + failed) : undefined,
                    duration_s: finite(doc.duration),
                    total_input_tokens: finite(doc.total_input_tokens),
                    total_output_tokens: finite(doc.total_output_tokens),
                    num_prompts: finite(doc.num_prompts),
                    max_concurrency: finite(doc.max_concurrency),
                    request_rate: finite(doc.request_rate),
                }),
                throughput: pickNumbers(doc, [
                    'request_throughput',
                    'request_goodput',
                    'output_throughput',
                    'total_token_throughput',
                    'max_output_tokens_per_s',
                    'max_concurrent_requests',
                ]),
                latency,
            },
        };
    },
};
//# sourceMappingURL=vllm-bench.js.map