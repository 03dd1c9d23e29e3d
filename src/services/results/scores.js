/**
 * Which numbers under `results` are scores. Only declared scores become `vllm_eval_<metric>{task, filter}` gauges: a
 * number at `results.<task>.<metric>` (or `results.<metric>`, the task then being the benchmark) whose name is a metric,
 * not a count (`num_total`, `samples`, `solved_avg`), a spread (`accuracy_std`), a standard error or a date/month
 * breakdown (`2024-08`). lm-eval's `metric,filter` keys are read as the metric with its filter (`acc,none` → `acc`,
 * filter `none`); a plain key has the filter `none`, so `acc` and `acc,none` are one series and compare as one.
 * Standard errors (`acc_stderr`, `acc_stderr,none`, `accuracy_std_err`) are kept as the stat `stderr` of their metric.
 *
 * A document may declare more (lm-eval's shape, kept by its parser): `meta.higher_is_better.<task>` lists the task's
 * metrics (anything else is a detail), and `meta.filters.<task>` names the filters of `results.<task>.<metric>.<filter>`.
 * Anything deeper (per-month, per-difficulty breakdowns) stays in the document but is neither a metric row nor a gauge.
 */
import { nameWords } from "./redact.js";
export const NO_FILTER = 'none';
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v) => typeof v === 'number' && Number.isFinite(v);
const MONTH = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
/** Calendar keys: `2024-08`, `202408`, `2024-08-01`, `2024`, `2024_q3`, `aug_2024`, `august`. */
const DATE_KEY = new RegExp(`^(?:\\d{4}(?:[-_/.]?\\d{2}){0,2}|\\d{4}[-_]?q[1-4]|${MONTH}(?:[-_ ]?\\d{2,4})?|\\d{2,4}[-_ ]?${MONTH})$`, 'i');
/** Names of counts and bookkeeping that tools write next to their scores (by their words: `num_passed`, `timeouts`). */
const DETAIL_FIRST = new Set(['n', 'num', 'number', 'count', 'total']);
const DETAIL_LAST = new Set([
    'n', 'k', 'num', 'count', 'counts', 'total', 'sample', 'samples', 'problems', 'questions', 'items', 'examples', 'tasks',
    'tokens', 'toks', 'timeouts', 'errors', 'error', 'failures', 'failed', 'skipped', 'retries', 'passed', 'solved', 'correct',
    'incorrect', 'invalid', 'truncated', 'repeat', 'repeats', 'seconds', 'secs', 's', 'ms', 'time', 'duration', 'len',
    'length', 'size', 'seed', 'version', 'alias', 'fewshot', 'shots', 'shot',
]);
/** `solved_avg`, `tokens_mean`: an average of a count is a count. */
const AGGREGATE = new Set(['avg', 'mean', 'median', 'average']);
function isDetail(name) {
    const w = nameWords(name);
    if (w.length === 0)
        return false;
    if (DETAIL_FIRST.has(w[0]) && w.length > 1)
        return true;
    let i = w.length - 1;
    while (i > 0 && AGGREGATE.has(w[i]))
        i--;
    return DETAIL_LAST.has(w[i]);
}
const STDERR = /^(.+?)[_-](?:stderr|std_err|std_error|sem|se)$/i;
const STD = /^(.+?)[_-](?:std|stdev|std_dev|stddev)$/i;
/** Whether a key names a calendar period (a breakdown, never a metric or a task). */
export const isDateKey = (k) => DATE_KEY.test(k.trim());
/** Reads one key under a task; null when the key is a breakdown (a month, a period), not a metric. */
export function scoreKey(key, declared) {
    const comma = key.indexOf(',');
    const name = comma > 0 ? key.slice(0, comma) : key;
    const filter = comma > 0 && comma < key.length - 1 ? key.slice(comma + 1) : NO_FILTER;
    if (isDateKey(name))
        return null;
    const se = STDERR.exec(name);
    if (se)
        return { metric: se[1], filter, stat: 'stderr' };
    const sd = STD.exec(name);
    if (sd)
        return { metric: sd[1], filter, stat: 'std' };
    if (isDetail(name))
        return { metric: name, filter, stat: 'detail' };
    if (declared && !declared.has(name))
        return { metric: name, filter, stat: 'detail' };
    return { metric: name, filter, stat: '' };
}
/** Metric names a task declares (lm-eval's `higher_is_better.<task>`), if the document says. */
function declaredOf(meta, task) {
    const hib = isObject(meta.higher_is_better) ? meta.higher_is_better[task] : undefined;
    return isObject(hib) && Object.keys(hib).length ? new Set(Object.keys(hib).map((k) => k.split(',')[0])) : undefined;
}
function filtersOf(meta, task) {
    const f = isObject(meta.filters) ? meta.filters[task] : undefined;
    return new Set(Array.isArray(f) ? f.filter((x) => typeof x === 'string') : []);
}
/** The metric rows of `results` (scores, their stderr/std, details); breakdowns are left out. */
export function scoreRows(results, meta, benchmarkName) {
    const rows = [];
    const push = (task, key, path, value, k, filter) => {
        if (!k)
            return;
        rows.push({ path, group: 'score', task, metric: k.metric, filter: filter ?? k.filter, stat: k.stat, value });
    };
    for (const [task, v] of Object.entries(results)) {
        if (finite(v)) {
            push(benchmarkName, task, `results.${task}`, v, scoreKey(task));
            continue;
        }
        if (!isObject(v) || isDateKey(task))
            continue;
        const declared = declaredOf(meta, task);
        const filters = filtersOf(meta, task);
        for (const [key, x] of Object.entries(v)) {
            if (finite(x))
                push(task, key, `results.${task}.${key}`, x, scoreKey(key, declared));
            else if (typeof x === 'boolean')
                push(task, key, `results.${task}.${key}`, x ? 1 : 0, scoreKey(key, declared));
            else if (isObject(x) && filters.size) {
                for (const [f, y] of Object.entries(x)) {
                    if (filters.has(f) && finite(y))
                        push(task, key, `results.${task}.${key}.${f}`, y, scoreKey(key, declared), f);
                }
            }
        }
    }
    return rows;
}
//# sourceMappingURL=scores.js.map