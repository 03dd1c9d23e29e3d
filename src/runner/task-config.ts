/**
 * Task-evaluation configs: our native form (`tasks: [...]` with lm-evaluation-harness task fields and inline or file data),
 * the earlier evalchemy.json (`benchmarks: {name: {tasks, num_fewshot, limit, metrics}}` + `active_profile`) and
 * eval_config.json (`benchmarks: [{name, tasks, few_shot, limit}]`). Task names resolve to inline `task_definitions`
 * or to `<name>.yaml` files (lm-eval task YAML) in the include path.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError } from './errors.ts';
import { resolveMounted } from './env.ts';
import { apiFromBackend, type ApiKind } from './endpoint.ts';
import { METRIC_NAMES, type FilterStep, type MetricName, type MetricSpec } from './scoring.ts';
import { templateFields, type Doc } from './template.ts';
import { bool, isObject, list, num, obj, slug, str, type Json } from './values.ts';

export interface TaskSpec {
  name: string;
  description?: string;
  docToText: string;
  docToTarget: string;
  targetDelimiter: string;
  fewshotDelimiter: string;
  numFewshot: number;
  fewshotSampler: 'first_n' | 'random';
  /** Docs to evaluate (after `limit`). */
  docs: Doc[];
  /** Few-shot pool; undefined: other docs of the evaluated split (lm-eval's behaviour without a few-shot split). */
  fewshotDocs?: Doc[];
  metrics: MetricSpec[];
  filters: FilterStep[];
  maxTokens: number;
  temperature: number;
  topP?: number;
  until: string[];
  fewshotAsMultiturn: boolean;
  /** Where the data came from, for the report. */
  source: string;
}

export interface TaskThreshold {
  key: string;
  task?: string;
  metric: string;
  op: 'min' | 'max';
  value: number;
}

export interface TaskPlan {
  mode: 'task';
  name: string;
  benchmarkName: string;
  description?: string;
  tasks: TaskSpec[];
  concurrency: number;
  api?: ApiKind;
  thresholds: TaskThreshold[];
  model?: string;
  endpoint?: string;
  /** Per-request timeout. */
  requestTimeoutMs: number;
  warnings: string[];
}

export interface TaskConfigContext {
  configDir: string;
  cwd: string;
  mountRoot?: string;
  tasksDir?: string;
  /** MAX_CONCURRENCY from the environment: used when the config sets no `concurrency` (before lm-eval's batch_size). */
  concurrencyOverride?: number;
}

/** Settings a benchmark entry applies over the task definitions it lists. */
interface Overrides {
  numFewshot?: number;
  limit?: number;
  metrics?: unknown;
  at: string;
}

const DEFAULT_MAX_TOKENS = 256;

function parseMetrics(v: unknown, at: string): MetricSpec[] {
  const items = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
  if (!Array.isArray(items) || items.length === 0) throw new ConfigError(at, 'must be a non-empty list of metrics');
  return items.map((item, i) => {
    const field = `${at}[${i}]`;
    const o: Json = typeof item === 'string' ? { metric: item } : isObject(item) ? item : {};
    const metric = str(o, 'metric', `${field}.`) ?? str(o, 'name', `${field}.`);
    if (!metric || !(METRIC_NAMES as readonly string[]).includes(metric))
      throw new ConfigError(field, `unsupported metric ${JSON.stringify(metric ?? item)}; use ${METRIC_NAMES.join(', ')}`);
    const regexes = list(o, 'regexes_to_ignore', `${field}.`) ?? [];
    const pattern = str(o, 'pattern', `${field}.`) ?? str(o, 'regex_pattern', `${field}.`);
    for (const [k, p] of [...regexes.map((r, j) => [`regexes_to_ignore[${j}]`, r]), ...(pattern ? [['pattern', pattern]] : [])]) {
      try {
        new RegExp(p, 'u');
      } catch (e) {
        throw new ConfigError(`${field}.${k}`, `invalid regular expression: ${(e as Error).message}`);
      }
    }
    return {
      key: typeof item === 'object' && str(o, 'key', `${field}.`) ? str(o, 'key', `${field}.`)! : metric,
      metric: metric as MetricName,
      ignoreCase: bool(o, 'ignore_case', `${field}.`) ?? false,
      ignorePunctuation: bool(o, 'ignore_punctuation', `${field}.`) ?? false,
      ignoreWhitespace: bool(o, 'ignore_whitespace', `${field}.`) ?? false,
      regexesToIgnore: regexes,
      pattern,
    };
  });
}

function parseFilters(v: unknown, at: string): FilterStep[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(at, 'must be a list');
  // lm-eval allows several named filter pipelines; the first one is the one scored.
  const first = v[0];
  if (!isObject(first)) return [];
  const steps = first.filter;
  if (!Array.isArray(steps)) throw new ConfigError(`${at}[0].filter`, 'must be a list of {function, ...}');
  return steps.map((s, i): FilterStep => {
    const f = `${at}[0].filter[${i}]`;
    if (!isObject(s)) throw new ConfigError(f, 'must be an object');
    const fn = str(s, 'function', `${f}.`);
    if (fn === 'regex') {
      const pattern = str(s, 'regex_pattern', `${f}.`) ?? '(.*)';
      let re: RegExp;
      try {
        re = new RegExp(pattern, 'u');
      } catch (e) {
        throw new ConfigError(`${f}.regex_pattern`, `invalid regular expression: ${(e as Error).message}`);
      }
      return { fn, pattern: re, group: (num(s, 'group_select', `${f}.`, { int: true, min: 0 }) ?? 0) + 1, fallback: str(s, 'fallback', `${f}.`) ?? '[invalid]' };
    }
    if (fn === 'take_first' || fn === 'lowercase' || fn === 'uppercase' || fn === 'remove_whitespace') return { fn };
    if (fn === 'strip' || fn === 'whitespace') return { fn: 'strip' };
    throw new ConfigError(`${f}.function`, `unsupported filter ${JSON.stringify(fn)}; use regex, take_first, lowercase, uppercase, strip, remove_whitespace`);
  });
}

function parseJsonl(text: string, file: string, field: string): Doc[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const arr = JSON.parse(trimmed);
    if (!Array.isArray(arr)) throw new ConfigError(field, `${file}: expected a JSON array of objects`);
    return arr as Doc[];
  }
  if (trimmed.startsWith('{') && !trimmed.includes('\n')) {
    const o = JSON.parse(trimmed);
    if (Array.isArray(o.data)) return o.data as Doc[];
  }
  return trimmed
    .split('\n')
    .map((l, i) => ({ l: l.trim(), i }))
    .filter(({ l }) => l !== '')
    .map(({ l, i }) => {
      try {
        const v = JSON.parse(l);
        if (!isObject(v)) throw new Error('not an object');
        return v;
      } catch (e) {
        throw new ConfigError(field, `${file} line ${i + 1}: ${(e as Error).message}`);
      }
    });
}

/** Loads docs from an inline list, a JSON/JSONL file (searched relative to the task file, its parents, the config, cwd) or a URL. */
async function loadSplit(v: unknown, field: string, bases: string[], mountRoot?: string): Promise<{ docs: Doc[]; source: string } | { missing: string[] }> {
  if (Array.isArray(v)) {
    v.forEach((d, i) => {
      if (!isObject(d)) throw new ConfigError(`${field}[${i}]`, 'must be an object');
    });
    return { docs: v as Doc[], source: 'inline' };
  }
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(field, 'must be a list of objects, a JSON/JSONL path or an http(s) URL');
  if (/^https?:\/\//i.test(v)) {
    let res: Response;
    try {
      res = await fetch(v, { signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      throw new ConfigError(field, `cannot fetch ${v}: ${(e as Error).message}`);
    }
    if (!res.ok) throw new ConfigError(field, `cannot fetch ${v}: HTTP ${res.status}`);
    return { docs: parseJsonl(await res.text(), v, field), source: v };
  }
  const tried: string[] = [];
  const candidates = path.isAbsolute(v) ? [v] : bases.map((b) => path.resolve(b, v));
  for (const c of candidates) {
    tried.push(c);
    const found = resolveMounted(c, mountRoot);
    if (found) return { docs: parseJsonl(readFileSync(found, 'utf8'), found, field), source: found };
  }
  return { missing: tried };
}

function parentsOf(dir: string, n: number): string[] {
  const out = [dir];
  for (let i = 0; i < n; i++) out.push(path.dirname(out[out.length - 1]));
  return out;
}

function loadTaskYaml(file: string, at: string, depth = 0): Json {
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(file, 'utf8'), { maxAliasCount: 100, logLevel: 'error' });
  } catch (e) {
    throw new ConfigError(at, `${file}: invalid YAML: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new ConfigError(at, `${file}: a task file must be a YAML mapping`);
  if (typeof doc.include === 'string' && depth < 3) {
    const base = path.resolve(path.dirname(file), doc.include);
    if (!existsSync(base)) throw new ConfigError(at, `${file}: include ${doc.include} not found`);
    const { include: _i, ...rest } = doc;
    return { ...loadTaskYaml(base, at, depth + 1), ...rest };
  }
  return doc;
}

interface TaskSource {
  def: Json;
  at: string;
  /** Folder relative data paths start from. */
  dir: string;
}

function findTaskDefinition(name: string, at: string, cfg: Json, dirs: string[], ctx: TaskConfigContext): TaskSource {
  const inline = obj(cfg, 'task_definitions', '') ?? obj(cfg, 'task_configs', '');
  if (inline && inline[name] !== undefined) {
    if (!isObject(inline[name])) throw new ConfigError(`task_definitions.${name}`, 'must be an object');
    return { def: { task: name, ...(inline[name] as Json) }, at: `task_definitions.${name}.`, dir: ctx.configDir };
  }
  const tried: string[] = [];
  for (const d of dirs) {
    for (const ext of ['.yaml', '.yml', '.json']) {
      const f = path.join(d, `${name}${ext}`);
      tried.push(f);
      const found = resolveMounted(f, ctx.mountRoot);
      if (found) {
        const def = ext === '.json' ? (JSON.parse(readFileSync(found, 'utf8')) as Json) : loadTaskYaml(found, at);
        return { def, at: `${path.basename(found)}: `, dir: path.dirname(found) };
      }
    }
  }
  throw new ConfigError(
    at,
    `task "${name}" has no definition: add it under "task_definitions", or put ${name}.yaml in the include path ` +
      `("include_path" in the config or BENCHOPS_TASKS_DIR); looked in ${[...new Set(dirs)].join(', ')}`,
  );
}

async function buildTask(src: TaskSource, cfg: Json, o: Overrides, ctx: TaskConfigContext, warnings: string[]): Promise<TaskSpec> {
  const { def, at } = src;
  const name = str(def, 'task', at) ?? str(def, 'name', at);
  if (!name) throw new ConfigError(`${at}task`, 'each task needs a "task" (or "name")');
  const outputType = str(def, 'output_type', at);
  if (outputType && outputType !== 'generate_until')
    throw new ConfigError(`${at}output_type`, `"${outputType}" is not supported by the built-in evaluator; use generate_until`);
  const docToText = str(def, 'doc_to_text', at);
  if (!docToText) throw new ConfigError(`${at}doc_to_text`, 'required: the prompt template, e.g. "Question: {{question}}\\nAnswer:"');
  const docToTarget = typeof def.doc_to_target === 'number' ? String(def.doc_to_target) : str(def, 'doc_to_target', at);
  if (!docToTarget) throw new ConfigError(`${at}doc_to_target`, 'required: the answer template, e.g. "{{answer}}"');

  // Splits: inline `docs`/`fewshot_docs`, `dataset: {split: list|path}`, or lm-eval's dataset_kwargs.data_files.
  const testSplit = str(def, 'test_split', at) ?? str(def, 'validation_split', at) ?? 'test';
  const fewshotSplit = str(def, 'fewshot_split', at);
  const dataset = obj(def, 'dataset', at);
  const dataFilesRaw = isObject(def.dataset_kwargs) ? def.dataset_kwargs.data_files : undefined;
  const dataFiles: Json | undefined = typeof dataFilesRaw === 'string' ? { [testSplit]: dataFilesRaw } : isObject(dataFilesRaw) ? dataFilesRaw : undefined;
  const splitValue = (split: string): [unknown, string] | undefined => {
    if (dataset && dataset[split] !== undefined) return [dataset[split], `${at}dataset.${split}`];
    if (dataFiles && dataFiles[split] !== undefined) return [dataFiles[split], `${at}dataset_kwargs.data_files.${split}`];
    return undefined;
  };
  const bases = [...new Set([...parentsOf(src.dir, 2), ctx.configDir, ctx.cwd])];
  let testValue: [unknown, string] | undefined =
    def.docs !== undefined ? [def.docs, `${at}docs`] : def.samples !== undefined ? [def.samples, `${at}samples`] : splitValue(testSplit);
  if (!testValue && typeof def.data_file === 'string') testValue = [def.data_file, `${at}data_file`];
  if (!testValue && typeof def.dataset_path === 'string' && /\.jsonl?$/i.test(def.dataset_path)) testValue = [def.dataset_path, `${at}dataset_path`];
  if (!testValue) throw new ConfigError(`${at}docs`, `no data for split "${testSplit}": give "docs" (a list), "dataset": {"${testSplit}": ...} or dataset_kwargs.data_files.${testSplit}`);
  const test = await loadSplit(testValue[0], testValue[1], bases, ctx.mountRoot);
  if ('missing' in test) throw new ConfigError(testValue[1], `file not found; tried ${test.missing.join(', ')}`);
  let docs = test.docs;
  if (!docs.length) throw new ConfigError(testValue[1], 'has no documents');

  const numFewshot = o.numFewshot ?? num(def, 'num_fewshot', at, { int: true, min: 0 }) ?? 0;
  const fewshotConfig = obj(def, 'fewshot_config', at) ?? {};
  const sampler = str(fewshotConfig, 'sampler', `${at}fewshot_config.`) ?? 'first_n';
  if (sampler !== 'first_n' && sampler !== 'random' && sampler !== 'default')
    throw new ConfigError(`${at}fewshot_config.sampler`, `unsupported sampler "${sampler}"; use first_n or random`);
  let fewshotDocs: Doc[] | undefined;
  if (numFewshot > 0) {
    const inlineShots = def.fewshot_docs ?? fewshotConfig.samples;
    const fsValue: [unknown, string] | undefined =
      inlineShots !== undefined ? [inlineShots, `${at}fewshot_docs`] : fewshotSplit && fewshotSplit !== testSplit ? splitValue(fewshotSplit) : undefined;
    if (fsValue) {
      const fs = await loadSplit(fsValue[0], fsValue[1], bases, ctx.mountRoot);
      if ('missing' in fs) warnings.push(`${fsValue[1]}: file not found (tried ${fs.missing.join(', ')}); few-shot examples come from the other "${testSplit}" documents`);
      else fewshotDocs = fs.docs;
    } else if (fewshotSplit && fewshotSplit !== testSplit) {
      warnings.push(`${at}fewshot_split: no data for split "${fewshotSplit}"; few-shot examples come from the other "${testSplit}" documents`);
    }
  }

  const limitRaw = o.limit ?? num(def, 'limit', at, { min: 0 });
  if (limitRaw !== undefined) docs = docs.slice(0, limitRaw < 1 && limitRaw > 0 ? Math.ceil(docs.length * limitRaw) : Math.floor(limitRaw));

  for (const tpl of [docToText, docToTarget]) {
    for (const f of templateFields(tpl)) {
      const missing = docs.findIndex((d) => !(f in d));
      if (missing >= 0) throw new ConfigError(testValue[1], `document ${missing + 1} has no field "${f}" used by the task's templates`);
    }
  }

  const metricsValue = o.metrics ?? def.metric_list ?? def.metrics ?? cfg.metrics;
  const metricsAt = o.metrics !== undefined ? `${o.at}metrics` : def.metric_list !== undefined ? `${at}metric_list` : def.metrics !== undefined ? `${at}metrics` : 'metrics';
  const metrics = metricsValue === undefined ? parseMetrics(['exact_match'], 'metrics') : parseMetrics(metricsValue, metricsAt);

  const gen = { ...(obj(cfg, 'generation_kwargs', '') ?? {}), ...(obj(def, 'generation_kwargs', at) ?? {}) };
  const genAt = `${at}generation_kwargs.`;
  const untilRaw = gen.until ?? gen.stop;
  const until = untilRaw === undefined ? ['\n\n'] : typeof untilRaw === 'string' ? [untilRaw] : Array.isArray(untilRaw) ? untilRaw.map(String) : undefined;
  if (!until) throw new ConfigError(`${genAt}until`, 'must be a string or a list of strings');
  const doSample = bool(gen, 'do_sample', genAt);
  return {
    name,
    description: str(def, 'description', at),
    docToText,
    docToTarget,
    targetDelimiter: str(def, 'target_delimiter', at) ?? ' ',
    fewshotDelimiter: str(def, 'fewshot_delimiter', at) ?? '\n\n',
    numFewshot,
    fewshotSampler: sampler === 'random' ? 'random' : 'first_n',
    docs,
    fewshotDocs,
    metrics,
    filters: parseFilters(def.filter_list, `${at}filter_list`),
    maxTokens: num(gen, 'max_gen_toks', genAt, { int: true, min: 1 }) ?? num(gen, 'max_tokens', genAt, { int: true, min: 1 }) ?? DEFAULT_MAX_TOKENS,
    temperature: doSample === false ? 0 : (num(gen, 'temperature', genAt, { min: 0 }) ?? 0),
    topP: num(gen, 'top_p', genAt, { min: 0 }),
    until,
    fewshotAsMultiturn: bool(def, 'fewshot_as_multiturn', at) ?? bool(cfg, 'fewshot_as_multiturn', '') ?? false,
    source: test.source,
  };
}

function parseTaskThresholds(v: unknown): TaskThreshold[] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) throw new ConfigError('thresholds', 'must be an object like {"exact_match": 0.5, "custom_task_1.exact_match_min": 0.8}');
  return Object.entries(v).map(([key, raw]) => {
    if (typeof raw !== 'number' || !Number.isFinite(raw)) throw new ConfigError(`thresholds.${key}`, `must be a number, got ${JSON.stringify(raw)}`);
    const m = /^(?:(.+)\.)?([A-Za-z0-9_]+?)(?:_(min|max))?$/.exec(key)!;
    return { key, task: m[1], metric: m[2], op: (m[3] as 'min' | 'max') ?? 'min', value: raw };
  });
}

/** Builds the task-evaluation plan (reads task files and data; fetches URL data). Throws ConfigError naming the field. */
export async function parseTaskConfig(cfg: Json, ctx: TaskConfigContext): Promise<TaskPlan> {
  const warnings: string[] = [];
  const includeRaw = cfg.include_path ?? cfg.task_dir ?? cfg.tasks_dir;
  const include = includeRaw === undefined ? [] : typeof includeRaw === 'string' ? [includeRaw] : Array.isArray(includeRaw) ? includeRaw.map(String) : [];
  const dirs = [
    ...include.map((d) => path.resolve(ctx.configDir, d)),
    ...(ctx.tasksDir ? [path.resolve(ctx.cwd, ctx.tasksDir)] : []),
    ctx.configDir,
    path.join(ctx.configDir, 'tasks'),
  ];
  const sources: { src: TaskSource; o: Overrides }[] = [];
  const concurrency = num(cfg, 'concurrency', '', { int: true, min: 1 }) ?? num(cfg, 'max_concurrency', '', { int: true, min: 1 });
  let batchSize: number | undefined;
  let name = str(cfg, 'name', '');

  const addNamed = (names: unknown, at: string, o: Overrides) => {
    if (!Array.isArray(names) || names.length === 0) throw new ConfigError(at, 'must be a non-empty list of task names');
    names.forEach((t, i) => {
      if (typeof t === 'string') sources.push({ src: findTaskDefinition(t, `${at}[${i}]`, cfg, dirs, ctx), o });
      else if (isObject(t)) sources.push({ src: { def: t, at: `${at}[${i}].`, dir: ctx.configDir }, o });
      else throw new ConfigError(`${at}[${i}]`, 'must be a task name or a task object');
    });
  };

  if (cfg.tasks !== undefined) {
    addNamed(cfg.tasks, 'tasks', { at: '' });
  } else if (isObject(cfg.benchmarks)) {
    // evalchemy.json: benchmarks keyed by name, the active profile (if any) choosing which run.
    let keys = Object.keys(cfg.benchmarks);
    const profileName = str(cfg, 'active_profile', '');
    if (profileName) {
      const profile = isObject(cfg.profiles) ? cfg.profiles[profileName] : undefined;
      if (!isObject(profile) || !Array.isArray(profile.benchmarks))
        throw new ConfigError('active_profile', `profile "${profileName}" not found under "profiles" (or it has no "benchmarks" list)`);
      keys = profile.benchmarks.map(String);
      keys.forEach((k, i) => {
        if (!(k in (cfg.benchmarks as Json))) throw new ConfigError(`profiles.${profileName}.benchmarks[${i}]`, `no benchmark "${k}" under "benchmarks"`);
      });
      name ??= profileName;
    }
    for (const k of keys) {
      const b = (cfg.benchmarks as Json)[k];
      const at = `benchmarks.${k}.`;
      if (!isObject(b)) throw new ConfigError(`benchmarks.${k}`, 'must be an object');
      if (bool(b, 'enabled', at) === false) continue;
      const bc = num(b, 'batch_size', at, { int: true, min: 1 });
      if (bc) batchSize ??= bc;
      addNamed(b.tasks ?? [k], `${at}tasks`, {
        numFewshot: num(b, 'num_fewshot', at, { int: true, min: 0 }) ?? num(b, 'few_shot', at, { int: true, min: 0 }),
        limit: num(b, 'limit', at, { min: 0 }),
        metrics: b.metrics,
        at,
      });
    }
  } else if (Array.isArray(cfg.benchmarks)) {
    // eval_config.json: a list of {name, tasks, few_shot, limit}; `benchmark` picks one by name, else all.
    const pickName = str(cfg, 'benchmark', '');
    const list = cfg.benchmarks.map((b, i) => ({ b, i })).filter(({ b }) => !pickName || (isObject(b) && b.name === pickName));
    if (pickName && !list.length) throw new ConfigError('benchmark', `no benchmark named "${pickName}" in "benchmarks"`);
    for (const { b, i } of list) {
      const at = `benchmarks[${i}].`;
      if (!isObject(b)) throw new ConfigError(`benchmarks[${i}]`, 'must be an object');
      if (bool(b, 'enabled', at) === false) continue;
      addNamed(b.tasks, `${at}tasks`, {
        numFewshot: num(b, 'num_fewshot', at, { int: true, min: 0 }) ?? num(b, 'few_shot', at, { int: true, min: 0 }),
        limit: num(b, 'limit', at, { min: 0 }),
        metrics: b.metrics,
        at,
      });
      name ??= str(b, 'name', at);
    }
  } else if (cfg.task !== undefined) {
    // A single task definition at the top level.
    sources.push({ src: { def: cfg, at: '', dir: ctx.configDir }, o: { at: '' } });
  } else {
    throw new ConfigError('tasks', 'a task-evaluation config needs "tasks" (a list), "benchmarks" or a top-level "task"');
  }
  if (!sources.length) throw new ConfigError('benchmarks', 'every benchmark is disabled');

  const tasks: TaskSpec[] = [];
  for (const { src, o } of sources) tasks.push(await buildTask(src, cfg, o, ctx, warnings));
  const seen = new Set<string>();
  for (const t of tasks) {
    if (seen.has(t.name)) throw new ConfigError('tasks', `task "${t.name}" is listed twice`);
    seen.add(t.name);
  }
  const apiName = str(cfg, 'api', '') ?? str(cfg, 'backend', '');
  const api = apiFromBackend(apiName, str(cfg, 'endpoint_path', ''));
  if (apiName && !api) throw new ConfigError(cfg.api !== undefined ? 'api' : 'backend', `unsupported API "${apiName}"; use completions or chat`);
  const thresholds = parseTaskThresholds(cfg.thresholds);
  thresholds.forEach((t) => {
    if (t.task && !seen.has(t.task)) throw new ConfigError(`thresholds.${t.key}`, `no task named "${t.task}"`);
  });
  name ??= tasks.length === 1 ? tasks[0].name : 'task-eval';
  return {
    mode: 'task',
    name,
    benchmarkName: slug(str(cfg, 'benchmark_name', '') ?? name),
    description: str(cfg, 'description', ''),
    tasks,
    concurrency: concurrency ?? ctx.concurrencyOverride ?? batchSize ?? 8,
    api,
    thresholds,
    model: str(cfg, 'model', ''),
    endpoint: [str(cfg, 'endpoint', ''), str(cfg, 'base_url', '')].find((e) => e && !e.startsWith('/')),
    requestTimeoutMs: (num(cfg, 'request_timeout_s', '', { min: 1 }) ?? 300) * 1000,
    warnings,
  };
}
