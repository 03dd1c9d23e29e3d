/**
 * The built-in task evaluator: builds lm-eval style prompts (description, few-shot examples, the document), asks the
 * endpoint (completions or chat, concurrency-limited, transient failures retried), filters and scores each answer.
 */
import type { ApiKind } from './endpoint.ts';
import { applyFilters, meanStderr, score, truncateAtStop } from './scoring.ts';
import type { TaskPlan, TaskSpec } from './task-config.ts';
import { render, renderTargets, type Doc } from './template.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface SampleRecord {
  task: string;
  doc_index: number;
  prompt: string | ChatMessage[];
  response: string | null;
  filtered: string | null;
  targets: string[];
  scores: Record<string, number>;
  latency_ms: number;
  error?: string;
}

export interface TaskResult {
  task: string;
  samples: number;
  failed: number;
  /** metric key → mean score; `<key>_stderr` alongside. */
  scores: Record<string, number>;
  num_fewshot: number;
  source: string;
}

export interface TaskEvalOutput {
  api: ApiKind;
  model: string;
  tasks: TaskResult[];
  records: SampleRecord[];
  durationS: number;
  promptTokens: number;
  completionTokens: number;
  requests: number;
  failedRequests: number;
}

export interface TaskEvalOptions {
  baseUrl: string;
  model: string;
  api: ApiKind;
  apiKey?: string;
  log?: (line: string) => void;
  /** Attempts per request for transient failures (network, 429, 5xx). */
  attempts?: number;
}

/** A seeded PRNG (mulberry32) so the random few-shot sampler picks the same examples every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The few-shot examples for a document: from the few-shot pool, or the other evaluated documents. */
export function fewshotFor(task: TaskSpec, docIndex: number): Doc[] {
  if (task.numFewshot <= 0) return [];
  const doc = task.docs[docIndex];
  const pool = (task.fewshotDocs ?? task.docs).filter((d) => d !== doc);
  if (task.fewshotSampler === 'random') {
    const r = rng(1234 + docIndex);
    const copy = [...pool];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, task.numFewshot);
  }
  return pool.slice(0, task.numFewshot);
}

/** The prompt for one document, as completion text or chat messages. */
export function buildPrompt(task: TaskSpec, docIndex: number, api: ApiKind): string | ChatMessage[] {
  const doc = task.docs[docIndex];
  const shots = fewshotFor(task, docIndex);
  if (api === 'chat' && task.fewshotAsMultiturn) {
    const messages: ChatMessage[] = task.description ? [{ role: 'system', content: task.description }] : [];
    for (const s of shots) {
      messages.push({ role: 'user', content: render(task.docToText, s) });
      messages.push({ role: 'assistant', content: renderTargets(task.docToTarget, s)[0] });
    }
    messages.push({ role: 'user', content: render(task.docToText, doc) });
    return messages;
  }
  let text = task.description ? `${task.description}\n\n` : '';
  for (const s of shots) text += render(task.docToText, s) + task.targetDelimiter + renderTargets(task.docToTarget, s)[0] + task.fewshotDelimiter;
  text += render(task.docToText, doc);
  return api === 'chat' ? [{ role: 'user', content: text }] : text;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function generate(
  opts: TaskEvalOptions,
  task: TaskSpec,
  prompt: string | ChatMessage[],
  timeoutMs: number,
): Promise<{ text: string; promptTokens: number; completionTokens: number }> {
  const body: Record<string, unknown> = {
    model: opts.model,
    max_tokens: task.maxTokens,
    temperature: task.temperature,
    ...(task.topP !== undefined ? { top_p: task.topP } : {}),
    // OpenAI-compatible servers accept at most 4 stop sequences; the rest are applied client-side.
    ...(task.until.length ? { stop: task.until.slice(0, 4) } : {}),
  };
  if (typeof prompt === 'string') body.prompt = prompt;
  else body.messages = prompt;
  const url = `${opts.baseUrl}/v1/${opts.api === 'chat' ? 'chat/completions' : 'completions'}`;
  const attempts = opts.attempts ?? 3;
  let last: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      if (!res.ok) throw new HttpError(res.status, `HTTP ${res.status} from ${url}: ${text.slice(0, 300)}`);
      const json = JSON.parse(text) as {
        choices?: { text?: string; message?: { content?: string | null } }[];
        usage?: { prompt_tokens?: number; completion_tokens?: number };
      };
      const choice = json.choices?.[0];
      const out = opts.api === 'chat' ? choice?.message?.content : choice?.text;
      if (typeof out !== 'string') throw new HttpError(502, `response from ${url} has no ${opts.api === 'chat' ? 'choices[0].message.content' : 'choices[0].text'}`);
      return { text: out, promptTokens: json.usage?.prompt_tokens ?? 0, completionTokens: json.usage?.completion_tokens ?? 0 };
    } catch (e) {
      last = e as Error;
      const transient = !(e instanceof HttpError) || e.status === 429 || e.status >= 500;
      if (!transient || i === attempts - 1) break;
      await sleep(250 * 2 ** i);
    }
  }
  throw last ?? new Error('request failed');
}

/** Evaluates every task of the plan against the endpoint; failures are recorded per sample (scored 0), never dropped. */
export async function runTaskEval(plan: TaskPlan, opts: TaskEvalOptions): Promise<TaskEvalOutput> {
  const log = opts.log ?? (() => {});
  const jobs: { task: TaskSpec; docIndex: number }[] = [];
  for (const task of plan.tasks) for (let i = 0; i < task.docs.length; i++) jobs.push({ task, docIndex: i });
  const records: SampleRecord[] = new Array(jobs.length);
  const started = performance.now();
  let next = 0;
  let done = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  let lastLog = 0;
  let lastPct = -1;
  const progress = () => {
    const pct = Math.floor((done / jobs.length) * 100);
    const now = performance.now();
    if (done === jobs.length || (Math.floor(pct / 10) > Math.floor(lastPct / 10) && now - lastLog > 200) || now - lastLog > 5000) {
      lastLog = now;
      lastPct = pct;
      log(`progress: ${done}/${jobs.length} samples (${pct}%), ${((now - started) / 1000).toFixed(1)}s`);
    }
  };
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      const { task, docIndex } = jobs[index];
      const doc = task.docs[docIndex];
      const prompt = buildPrompt(task, docIndex, opts.api);
      const targets = renderTargets(task.docToTarget, doc);
      const t0 = performance.now();
      try {
        const out = await generate(opts, task, prompt, plan.requestTimeoutMs);
        promptTokens += out.promptTokens;
        completionTokens += out.completionTokens;
        const cut = truncateAtStop(out.text, task.until);
        const filtered = applyFilters(cut, task.filters);
        const scores = Object.fromEntries(task.metrics.map((m) => [m.key, score(filtered, targets, m)]));
        records[index] = { task: task.name, doc_index: docIndex, prompt, response: out.text, filtered, targets, scores, latency_ms: performance.now() - t0 };
      } catch (e) {
        const scores = Object.fromEntries(task.metrics.map((m) => [m.key, 0]));
        records[index] = {
          task: task.name,
          doc_index: docIndex,
          prompt,
          response: null,
          filtered: null,
          targets,
          scores,
          latency_ms: performance.now() - t0,
          error: (e as Error).message,
        };
      }
      done++;
      progress();
    }
  };
  log(`evaluating ${plan.tasks.length} task(s), ${jobs.length} samples, concurrency ${plan.concurrency}, ${opts.api} API, model ${opts.model}`);
  await Promise.all(Array.from({ length: Math.min(plan.concurrency, jobs.length) }, worker));

  const tasks: TaskResult[] = plan.tasks.map((task) => {
    const mine = records.filter((r) => r.task === task.name);
    const scores: Record<string, number> = {};
    for (const m of task.metrics) {
      const { mean, stderr } = meanStderr(mine.map((r) => r.scores[m.key]));
      scores[m.key] = mean;
      scores[`${m.key}_stderr`] = stderr;
    }
    return { task: task.name, samples: mine.length, failed: mine.filter((r) => r.error).length, scores, num_fewshot: task.numFewshot, source: task.source };
  });
  const failedRequests = records.filter((r) => r.error).length;
  return {
    api: opts.api,
    model: opts.model,
    tasks,
    records,
    durationS: (performance.now() - started) / 1000,
    promptTokens,
    completionTokens,
    requests: records.length,
    failedRequests,
  };
}
