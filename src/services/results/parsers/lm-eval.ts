/**
 * lm-evaluation-harness (v0.4 `results_<date>.json`) and evalchemy (which writes the same document) → standardized.
 *
 * Input: `{results: {<task>: {alias, "<metric>,<filter>": n, "<metric>_stderr,<filter>": n|"N/A"}}, groups?,
 * "n-shot", versions, "n-samples": {<task>: {original, effective}}, higher_is_better, config: {model, model_args,
 * batch_size, limit, …}, model_name, git_hash, date, total_evaluation_time_seconds, …}`.
 *
 * Output `results.<task>`: the task's primary filter (`none`, else the first one listed) gives bare metric names
 * (`exact_match`, `exact_match_stderr`), so `vllm_eval_exact_match{task}` is the headline score; other filters keep
 * their suffix (`exact_match,flexible-extract`). Evalchemy tasks that write plain keys (`accuracy`) keep them.
 */
import { baseMeta, compact, finite, ParseError, requireObject, type ParseContext, type ResultParser } from './common.ts';
import { isPlainObject, type StandardizedData } from '../standard.ts';

/** Keys of a task's result that are bookkeeping, not scores. */
const NOT_SCORES = new Set(['alias', 'name', 'sample_len', 'sample_count', 'num_samples', 'num_total', 'samples', 'n']);

function taskScores(task: string, src: Record<string, unknown>): Record<string, number> {
  const filters: string[] = [];
  for (const k of Object.keys(src)) {
    const i = k.indexOf(',');
    if (i > 0 && !filters.includes(k.slice(i + 1))) filters.push(k.slice(i + 1));
  }
  const primary = filters.includes('none') ? 'none' : filters[0];
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(src)) {
    const n = finite(v);
    if (n === undefined || NOT_SCORES.has(k)) continue;
    const i = k.indexOf(',');
    if (i < 0) out[k] = n;
    else {
      const metric = k.slice(0, i);
      const filter = k.slice(i + 1);
      out[filter === primary ? metric : k] = n;
    }
  }
  if (Object.keys(out).length === 0) throw new ParseError(['results', task], `task ${task} has no numeric metric`);
  return out;
}

function isoDate(v: unknown): string | undefined {
  const n = finite(v);
  if (n !== undefined) return new Date(n * 1000).toISOString();
  return typeof v === 'string' ? v : undefined;
}

function parse(raw: unknown, ctx: ParseContext, tool: string): StandardizedData {
  const doc = requireObject(raw, [], 'lm-evaluation-harness output');
  const resultsIn = requireObject(doc.results, ['results'], 'results');
  if (Object.keys(resultsIn).length === 0) throw new ParseError(['results'], 'results has no task');
  const results: Record<string, Record<string, number>> = {};
  for (const [task, v] of Object.entries(resultsIn)) results[task] = taskScores(task, requireObject(v, ['results', task], `results.${task}`));
  // Older harness versions report group aggregates separately.
  if (isPlainObject(doc.groups)) {
    for (const [task, v] of Object.entries(doc.groups)) {
      if (!results[task] && isPlainObject(v)) {
        try {
          results[task] = taskScores(task, v);
        } catch {
          /* a group without numbers */
        }
      }
    }
  }
  const config = isPlainObject(doc.config) ? doc.config : {};
  const nSamples = isPlainObject(doc['n-samples']) ? doc['n-samples'] : {};
  let samples = 0;
  for (const v of Object.values(nSamples)) samples += (isPlainObject(v) && finite(v.effective)) || 0;
  const evalSeconds = finite(Number(doc.total_evaluation_time_seconds));
  const modelArgs = config.model_args;
  return {
    meta: baseMeta(ctx, tool, {
      tool_model: compact({
        name: typeof doc.model_name === 'string' ? doc.model_name : undefined,
        backend: typeof config.model === 'string' ? config.model : undefined,
        source: typeof doc.model_source === 'string' ? doc.model_source : undefined,
        // model_args may embed an API key (`api_key=…`); keep only the names, never the values of secrets.
        args: typeof modelArgs === 'string' ? redactArgs(modelArgs) : undefined,
      }),
      config: compact({
        batch_size: config.batch_size,
        limit: config.limit,
        gen_kwargs: config.gen_kwargs,
        fewshot_as_multiturn: doc.fewshot_as_multiturn,
      }),
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

/** `pretrained=x,api_key=sk-…,base_url=…` → values of key-like arguments replaced. */
function redactArgs(args: string): string {
  return args
    .split(',')
    .map((part) => {
      const i = part.indexOf('=');
      return i > 0 && /key|token|secret|password/i.test(part.slice(0, i)) ? `${part.slice(0, i)}=[redacted]` : part;
    })
    .join(',');
}

export const lmEvalParser: ResultParser = {
  name: 'lm-eval',
  sources: ['lm-eval', 'lm_eval', 'lm-evaluation-harness', 'lm_evaluation_harness'],
  parse: (raw, ctx) => parse(raw, ctx, 'lm-evaluation-harness'),
};

export const evalchemyParser: ResultParser = {
  name: 'evalchemy',
  sources: ['evalchemy'],
  parse: (raw, ctx) => parse(raw, ctx, 'evalchemy'),
};
