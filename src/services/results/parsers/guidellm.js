/**
 * GuideLLM `benchmarks.json` report → standardized.
 *
 * Input: `{metadata?, args?: {target, model, profile, …}, benchmarks: [{type_: "generative_benchmark", config:
 * {strategy, …}, scheduler_metrics: {requests_made: {successful, incomplete, errored, total}, …}, duration?,
 * start_time, end_time, metrics: {request_totals, requests_per_second, request_concurrency, request_latency (s),
 * prompt_token_count, output_token_count, time_to_first_token_ms, time_per_output_token_ms, inter_token_latency_ms,
 * output_tokens_per_second, tokens_per_second, …}}]}` where each metric is a status breakdown
 * `{successful, incomplete, errored, total}` of distribution summaries `{mean, median, mode, variance, std_dev, min,
 * max, count, total_sum, percentiles: {p001, p01, p05, p10, p25, p50, p75, p90, p95, p99, p999}}`.
 *
 * The first benchmark is the headline (`performance.summary/throughput/latency`); a sweep's benchmarks are all kept
 * under `performance.benchmarks` (an array, so not exported as series).
 */
import { baseMeta, compact, finite, ParseError, requireObject } from "./common.js";
import { isPlainObject } from "../standard.js";
const PERCENTILE_NAMES = {
    p001: 'p0.1',
    p01: 'p1',
    p05: 'p5',
    p10: 'p10',
    p25: 'p25',
    p50: 'p50',
    p75: 'p75',
    p90: 'p90',
    p95: 'p95',
    p99: 'p99',
    p999: 'p99.9',
};
/** The successful-request distribution of a metric as `{mean, median, std, min, max, p50, …}`, scaled. */
function dist(metrics, name, scale = 1) {
    const m = metrics[name];
    const s = isPlainObject(m) ? (isPlainObject(m.successful) ? m.successful : m) : undefined;
    if (!s)
        return undefined;
    const out = {};
    const put = (k, v) => {
        const n = finite(v);
        if (n !== undefined)
            out[k] = n * scale;
    };
    put('mean', s.mean);
    put('median', s.median);
    put('std', s.std_dev ?? s.std);
    put('min', s.min);
    put('max', s.max);
    const pct = isPlainObject(s.percentiles) ? s.percentiles : s;
    for (const [k, v] of Object.entries(pct))
        if (PERCENTILE_NAMES[k])
            put(PERCENTILE_NAMES[k], v);
    return Object.keys(out).length ? out : undefined;
}
function statusCounts(b, metrics) {
    const candidates = [
        metrics.request_totals,
        b.request_totals,
        isPlainObject(b.scheduler_metrics) ? b.scheduler_metrics.requests_made : undefined,
        isPlainObject(b.run_stats) ? b.run_stats.requests_made : undefined,
    ];
    const c = candidates.find(isPlainObject);
    if (!c)
        return {};
    return compact({
        completed: finite(c.successful),
        incomplete: finite(c.incomplete),
        failed: finite(c.errored),
        total_requests: finite(c.total),
    });
}
function sumOf(metrics, name) {
    const m = metrics[name];
    const s = isPlainObject(m) && isPlainObject(m.successful) ? m.successful : undefined;
    return s ? finite(s.total_sum) : undefined;
}
/** summary/throughput/latency of one benchmark of the report. */
function benchmarkPerformance(b, index) {
    const metrics = requireObject(b.metrics, ['benchmarks', index, 'metrics'], 'metrics');
    const latency = compact({
        ttft_ms: dist(metrics, 'time_to_first_token_ms'),
        tpot_ms: dist(metrics, 'time_per_output_token_ms'),
        itl_ms: dist(metrics, 'inter_token_latency_ms'),
        e2el_ms: dist(metrics, 'request_latency', 1000),
    });
    if (Object.keys(latency).length === 0) {
        throw new ParseError(['benchmarks', index, 'metrics', 'time_to_first_token_ms'], 'no latency distribution in this benchmark');
    }
    const counts = statusCounts(b, metrics);
    const start = finite(b.start_time);
    const end = finite(b.end_time);
    const duration = finite(b.duration) ?? (start !== undefined && end !== undefined ? end - start : undefined);
    const config = isPlainObject(b.config) ? b.config : {};
    const strategy = isPlainObject(config.strategy) ? config.strategy : isPlainObject(b.args) && isPlainObject(b.args.strategy) ? b.args.strategy : {};
    return {
        strategy: compact({ type: strategy.type_ ?? strategy.type, rate: strategy.rate, streams: strategy.streams, max_concurrency: strategy.max_concurrency }),
        summary: compact({
            ...counts,
            success_rate: counts.completed !== undefined && counts.total_requests ? counts.completed / counts.total_requests : undefined,
            duration_s: duration,
            total_input_tokens: sumOf(metrics, 'prompt_token_count'),
            total_output_tokens: sumOf(metrics, 'output_token_count'),
        }),
        throughput: compact({
            request_throughput: dist(metrics, 'requests_per_second')?.mean,
            output_throughput: dist(metrics, 'output_tokens_per_second')?.mean,
            total_token_throughput: dist(metrics, 'tokens_per_second')?.mean,
            mean_concurrency: dist(metrics, 'request_concurrency')?.mean,
        }),
        latency,
    };
}
export const guidellmParser = {
    name: 'guidellm',
    sources: ['guidellm'],
    parse(raw, ctx) {
        const doc = requireObject(raw, [], 'GuideLLM report');
        if (!Array.isArray(doc.benchmarks) || doc.benchmarks.length === 0) {
            throw new ParseError(['benchmarks'], 'benchmarks must be a non-empty array');
        }
        const all = doc.benchmarks.map((b, i) => benchmarkPerformance(requireObject(b, ['benchmarks', i], 'benchmark'), i));
        const [first] = all;
        const args = isPlainObject(doc.args) ? doc.args : {};
        const metadata = isPlainObject(doc.metadata) ? doc.metadata : {};
        return {
            meta: baseMeta(ctx, 'guidellm', {
                tool_version: metadata.guidellm_version,
                target: args.target,
                tool_model: args.model,
                profile: args.profile,
                data: args.data,
                benchmarks: all.length,
                strategy: first.strategy,
            }),
            results: {},
            performance: {
                summary: first.summary,
                throughput: first.throughput,
                latency: first.latency,
                ...(all.length > 1 ? { benchmarks: all } : {}),
            },
        };
    },
};
//# sourceMappingURL=guidellm.js.map