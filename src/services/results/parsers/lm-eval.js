/**
 * lm-evaluation-harness (v0.4 `results_<date>.json`) and evalchemy (which writes the same document) → standardized.
 *
 * Input: `{results: {<task>: {alias, "<metric>,<filter>": n, "<metric>_stderr,<filter>": n|"N/A"}}, groups?,
 * "n-shot", versions, "n-samples": {<task>: {original, effective}}, higher_is_better, config: {model, model_args,
 * batch_size, limit, …}, model_name, git_hash, date, total_evaluation_time_seconds, …}`.
 *
 * Output `results.<task>`: bare metric names (`acc`, `acc_stderr`) for unfiltered metrics (`acc,none`); a metric
 * with filters is `{<filter>: value}` (`exact_match: {"strict-match": 0.72, "flexible-extract": 0.73}`), its filters
 * listed in `meta.filters.<task>`; `meta.higher_is_better` declares the scores. So `acc,none` and a plain `acc` are
 * one score, `vllm_eval_acc{task, filter="none"}`, and each filter is its own series. Evalchemy tasks that write plain
 * keys (`accuracy_avg`, `num_total`) keep them; scores.ts tells scores from counts and stderr.
 */
import { baseMeta, compact, finite, ParseError, requireObject } from "./common.js";
import { redactText } from "../redact.js";
import { NO_FILTER } from "../scores.js";
import { isPlainObject } from "../standard.js";
/**
 * One task's numbers with lm-eval's `metric,filter` keys normalised: a metric seen only without a filter (or with
 * `none`) stays a number (`acc`, `acc_stderr`); one with other filters becomes `{<filter>: number}` and the task's
 * filters are listed in `meta.filters` (scores.ts reads them as the gauge's `filter` label). Non-numbers are dropped.
 */
function taskScores(src) {
    const byMetric = new Map();
    for (const [k, v] of Object.entries(src)) {
        const n = finite(v);
        if (n === undefined)
            continue;
        const i = k.indexOf(',');
        const metric = i > 0 ? k.slice(0, i) : k;
        const filter = i > 0 && i < k.length - 1 ? k.slice(i + 1) : NO_FILTER;
        const m = byMetric.get(metric) ?? new Map();
        if (!m.has(filter))
            m.set(filter, n);
        byMetric.set(metric, m);
    }
    const scores = {};
    const filters = new Set();
    for (const [metric, m] of byMetric) {
        if (m.size === 1 && m.has(NO_FILTER))
            scores[metric] = m.get(NO_FILTER);
        else {
            scores[metric] = Object.fromEntries(m);
            for (const f of m.keys())
                filters.add(f);
        }
    }
    return { scores, filters: [...filters] };
}
function isoDate(v) {
    const n = finite(v);
    if (n !== undefined)
        return new Date(n * 1000).toISOString();
    return typeof v === 'string' ? v : undefined;
}
function parse(raw, ctx, tool) {
    const doc = requireObject(raw, [], 'lm-evaluation-harness output');
    const resultsIn = requireObject(doc.results, ['results'], 'results');
    if (Object.keys(resultsIn).length === 0)
        throw new ParseError(['results'], 'results has no task');
    const results = {};
    const filters = {};
    const add = (task, v) => {
        const t = taskScores(v);
        if (Object.keys(t.scores).length === 0)
            return;
        results[task] = t.scores;
        if (t.filters.length)
            filters[task] = t.filters;
    };
    for (const [task, v] of Object.entries(resultsIn))
        add(task, requireObject(v, ['results', task], `results.${task}`));
    if (Object.keys(results).length === 0) {
        const first = Object.keys(resultsIn)[0];
        throw new ParseError(['results', first], `task ${first} has no numeric metric`);
    }
    // Older harness versions report group aggregates separately.
    if (isPlainObject(doc.groups)) {
        for (const [task, v] of Object.entries(doc.groups))
            if (!results[task] && isPlainObject(v))
                add(task, v);
    }
    const config = isPlainObject(doc.config) ? doc.config : {};
    const nSamples = isPlainObject(doc['n-samples']) ? doc['n-samples'] : {};
    let samples = 0;
    for (const v of Object.values(nSamples))
        samples += (isPlainObject(v) && finite(v.effective)) || 0;
    const evalSeconds = finite(Number(doc.total_evaluation_time_seconds));
    const modelArgs = config.model_args;
    return {
        meta: baseMeta(ctx, tool, {
            tool_model: compact({
                name: typeof doc.model_name === 'string' ? doc.model_name : undefined,
                backend: typeof config.model === 'string' ? config.model : undefined,
                source: typeof doc.model_source === 'string' ? doc.model_source : undefined,
                // model_args may embed an API key (`api_key=…`): secret values are replaced, other arguments kept.
                args: typeof modelArgs === 'string' ? redactText(modelArgs) : undefined,
            }),
            config: compact({
                batch_size: config.batch_size,
                limit: config.limit,
                gen_kwargs: config.gen_kwargs,
                fewshot_as_multiturn: doc.fewshot_as_multiturn,
            }),
            filters: Object.keys(filters).length ? filters : undefined,
            n_shot: doc['n-shot'],
            versions: doc.versions,
            n_samples: doc['n-samples'],
            higher_is_better: doc.higher_is_better,
            git_hash: doc.git_hash,
            lm_eval_version: doc.lm_eval_version,
            date: isoDate(doc.date),
        }),
        results,
        performance: {
            summary: compact({
                num_tasks: Object.keys(results).length,
                samples: samples || undefined,
                duration_s: evalSeconds,
            }),
            throughput: compact({ samples_per_s: samples && evalSeconds ? samples / evalSeconds : undefined }),
            latency: {},
        },
    };
}
export const lmEvalParser = {
    name: 'lm-eval',
    sources: ['lm-eval', 'lm_eval', 'lm-evaluation-harness', 'lm_evaluation_harness'],
    parse: (raw, ctx) => parse(raw, ctx, 'lm-evaluation-harness'),
};
export const evalchemyParser = {
    name: 'evalchemy',
    sources: ['evalchemy'],
    parse: (raw, ctx) => parse(raw, ctx, 'evalchemy'),
};
//# sourceMappingURL=lm-eval.js.map