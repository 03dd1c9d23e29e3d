/**
 * The standardized result shape (what the earlier web UI renders) and the numbers BenchOps reads out of it:
 * `{meta, results, performance: {summary, throughput, latency}}`.
 *
 * - `meta`: free-form key/values; `meta.benchmark_name` is the page title.
 * - `results`: scores per task, `{<task>: {<metric>: number, <metric>_stderr: number, …}}`; a number directly under
 *   `results` (`{"accuracy": 0.61}`) is a score of the task named like the benchmark. Which numbers are scores (and
 *   which are counts, standard errors or breakdowns): scores.ts.
 * - `performance.latency`: `{<name>_ms: {mean, median, std, p50, p90, p95, p99, …}}` (milliseconds), or plain numbers.
 * - `performance.throughput`: `{request_throughput (req/s), output_throughput (tok/s), total_token_throughput (tok/s), …}`.
 * - `performance.summary`: counts and totals (`completed`, `failed`, `duration_s`, `total_input_tokens`, …).
 */
import { createHash } from 'node:crypto';
import { TooDeepError, WALK_LIMIT } from "./redact.js";
import { scoreRows } from "./scores.js";
export const isPlainObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/**
 * Fills missing sections with `{}` (the UI throws without `performance`) and reports sections of the wrong type.
 * Everything else is kept exactly as posted.
 */
export function normalizeStandardized(data, loc = ['body', 'data']) {
    const issues = [];
    if (!isPlainObject(data)) {
        return { issues: [{ loc, msg: 'Standardized data must be a JSON object with meta, results and performance', type: 'object_type' }] };
    }
    const out = { ...data };
    for (const key of ['meta', 'results', 'performance']) {
        if (out[key] === undefined || out[key] === null)
            out[key] = {};
        else if (!isPlainObject(out[key]))
            issues.push({ loc: [...loc, key], msg: `${key} must be an object`, type: 'object_type' });
    }
    if (isPlainObject(out.performance)) {
        const perf = { ...out.performance };
        for (const key of ['summary', 'throughput', 'latency']) {
            if (perf[key] === undefined || perf[key] === null)
                perf[key] = {};
            else if (!isPlainObject(perf[key])) {
                issues.push({ loc: [...loc, 'performance', key], msg: `performance.${key} must be an object`, type: 'object_type' });
            }
        }
        out.performance = perf;
    }
    return issues.length ? { issues } : { data: out, issues };
}
/** How deep `data` may nest (`{"a":1}` is 1 level): deeper posts are refused with a 422 (documented in the README). */
export const MAX_DATA_DEPTH = 64;
/** The path to the first value nested deeper than `limit` levels, or null. Iterative: depth costs no stack. */
export function tooDeepAt(v, limit = MAX_DATA_DEPTH) {
    const stack = [{ v, depth: 0, key: '', up: null }];
    while (stack.length) {
        const e = stack.pop();
        if (typeof e.v !== 'object' || e.v === null)
            continue;
        if (e.depth + 1 > limit) {
            const path = [];
            for (let x = e; x && x.up; x = x.up)
                path.unshift(x.key);
            return path;
        }
        const children = Array.isArray(e.v) ? e.v.map((c, i) => [i, c]) : Object.entries(e.v);
        for (const [k, c] of children)
            if (typeof c === 'object' && c !== null)
                stack.push({ v: c, depth: e.depth + 1, key: k, up: e });
    }
    return null;
}
/**
 * JSON with object keys sorted at every level: equal documents give equal text whatever the key order.
 * Bounded: throws TooDeepError past WALK_LIMIT levels (posts are refused long before, at MAX_DATA_DEPTH).
 */
export function canonicalJson(v, depth = 0) {
    if (typeof v !== 'object' || v === null)
        return JSON.stringify(v ?? null) ?? 'null';
    if (depth >= WALK_LIMIT)
        throw new TooDeepError(WALK_LIMIT);
    if (Array.isArray(v))
        return `[${v.map((x) => canonicalJson(x, depth + 1)).join(',')}]`;
    const o = v;
    const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k], depth + 1)}`).join(',')}}`;
}
export function sha256(text) {
    return createHash('sha256').update(text).digest('hex');
}
const num = (v) => {
    if (typeof v === 'number' && Number.isFinite(v))
        return v;
    if (typeof v === 'boolean')
        return v ? 1 : 0;
    return undefined;
};
const MAX_DEPTH = 4;
/** Walks an object and calls `leaf` for every finite number (booleans as 1/0) with its key path. */
function walk(v, keys, leaf, depth = 0) {
    const n = num(v);
    if (n !== undefined)
        return leaf(keys, n);
    if (!isPlainObject(v) || depth >= MAX_DEPTH)
        return;
    for (const [k, child] of Object.entries(v))
        walk(child, [...keys, k], leaf, depth + 1);
}
/**
 * The metric rows of a standardized document: the declared scores of `results` (with their stderr and details; see
 * scores.ts) and every number of `performance.{latency,throughput,summary}`; arrays are not read.
 */
export function flattenMetrics(data, benchmarkName) {
    const rows = [];
    const seen = new Set();
    const push = (r) => {
        // one row per path, and one per metric identity (`acc` and `acc,none` of one task are the same score)
        const id = `${r.group}\u0000${r.task}\u0000${r.metric}\u0000${r.filter}\u0000${r.stat}`;
        if (seen.has(r.path) || seen.has(id))
            return;
        seen.add(r.path);
        seen.add(id);
        rows.push(r);
    };
    const meta = isPlainObject(data.meta) ? data.meta : {};
    for (const r of scoreRows(data.results, meta, benchmarkName))
        push(r);
    const perf = data.performance;
    walk(perf.latency, [], (keys, value) => {
        const [metric, ...stat] = keys;
        push({ path: ['performance', 'latency', ...keys].join('.'), group: 'latency', task: benchmarkName, metric, filter: '', stat: stat.join('.'), value });
    });
    for (const group of ['throughput', 'summary']) {
        walk(perf[group], [], (keys, value) => {
            push({ path: ['performance', group, ...keys].join('.'), group, task: benchmarkName, metric: keys.join('.'), filter: '', stat: '', value });
        });
    }
    return rows;
}
/** A Prometheus-safe name fragment: `exact_match,flexible-extract` → `exact_match_flexible_extract`. */
export function promName(s) {
    const out = s
        .replace(/[^a-zA-Z0-9_]+/g, '_')
        .replace(/_+/g, '_')
        .replace(/^_|_$/g, '');
    return out || 'value';
}
/**
 * The exported family of a row, or null when it is not exported (a score's stderr, std or details): scores →
 * `vllm_eval_<metric>{task, filter, model_tag}` (seed 004), latency →
 * `benchops_perf_<metric>{model_tag, benchmark, stat}`, throughput → `benchops_perf_<metric>{model_tag, benchmark}`,
 * summary → `benchops_perf_summary_<metric>{model_tag, benchmark}`.
 */
export function familyOf(row) {
    switch (row.group) {
        case 'score':
            if (row.stat !== '')
                return null;
            return `vllm_eval_${promName(row.metric)}`;
        case 'latency':
            return `benchops_perf_${promName(row.metric)}`;
        case 'throughput':
            return `benchops_perf_${promName(row.metric)}`;
        case 'summary':
            return `benchops_perf_summary_${promName(row.metric)}`;
    }
}
/** Whether a larger value is an improvement (latencies and failures: smaller is better). */
export function higherIsBetter(row) {
    if (row.group === 'latency')
        return false;
    if (row.group === 'score' && (row.stat === 'stderr' || row.stat === 'std'))
        return false;
    if (/stderr|std_err|fail|error|errored|incomplete|duration|latency|perplexity|bits_per_byte|_ms$|_s$/.test(row.metric))
        return false;
    return true;
}
export { redactSecrets } from "./redact.js";
//# sourceMappingURL=standard.js.map