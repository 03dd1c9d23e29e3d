/**
 * Per-sample records of a quality result, from its raw input: the BenchOps runner's `samples[]` (`{task, doc_index,
 * prompt, response, filtered, targets, scores, latency_ms, error?}`) and the shorter `{task, doc_id, target,
 * prediction, <metric>: n}` form. A sample whose request failed is an inference error, not a wrong answer: the runner
 * scores it 0, and the page keeps the two apart so a flaky endpoint is not read as a worse model.
 */
import { isObj, num } from './document';

export type Outcome = 'correct' | 'partial' | 'wrong' | 'error';

export interface Sample {
  index: number;
  task: string;
  doc: number | null;
  prompt: string;
  /** What the model said (before filters), and the answer that was scored (after them). */
  response: string | null;
  answer: string | null;
  targets: string[];
  scores: Record<string, number>;
  latency_ms: number | null;
  error: string;
  outcome: Outcome;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' | ') : v === null || v === undefined ? null : JSON.stringify(v));

/** A chat prompt as text: `role: content` lines. */
function promptText(p: unknown): string {
  if (Array.isArray(p)) return p.map((m) => (isObj(m) ? `${String(m.role ?? '')}: ${String(m.content ?? '')}` : String(m))).join('\n');
  return text(p) ?? '';
}

const NOT_SCORES = new Set(['doc_id', 'doc_index', 'latency_ms', 'index']);

/** How a sample did: an error when its request failed, else by its first score (1 correct, 0 wrong, between partial). */
export function outcomeOf(scores: Record<string, number>, error: string): Outcome {
  if (error) return 'error';
  const first = Object.values(scores)[0];
  if (first === undefined) return 'wrong';
  return first >= 1 ? 'correct' : first <= 0 ? 'wrong' : 'partial';
}

/** The samples of a raw document (empty when it has none). */
export function samplesOf(raw: unknown): Sample[] {
  if (!isObj(raw) || !Array.isArray(raw.samples)) return [];
  return raw.samples.filter(isObj).map((s, index) => {
    let scores: Record<string, number> = {};
    if (isObj(s.scores)) {
      for (const [k, v] of Object.entries(s.scores)) if (num(v) !== undefined) scores[k] = v as number;
    } else {
      scores = Object.fromEntries(Object.entries(s).filter(([k, v]) => !NOT_SCORES.has(k) && num(v) !== undefined)) as Record<string, number>;
    }
    const error = typeof s.error === 'string' ? s.error : '';
    const targets = Array.isArray(s.targets) ? s.targets.map((t) => text(t) ?? '') : s.target !== undefined ? [text(s.target) ?? ''] : [];
    return {
      index,
      task: typeof s.task === 'string' ? s.task : '',
      doc: num(s.doc_index) ?? num(s.doc_id) ?? null,
      prompt: promptText(s.prompt ?? s.arguments),
      response: text(s.response ?? s.resps ?? null),
      answer: text(s.filtered ?? s.filtered_resps ?? s.prediction ?? s.response ?? null),
      targets,
      scores,
      latency_ms: num(s.latency_ms) ?? null,
      error,
      outcome: outcomeOf(scores, error),
    };
  });
}

/** Per task: how many samples were correct, partly right, wrong, and how many failed to get an answer at all. */
export function outcomeCounts(samples: readonly Sample[]): Record<string, Record<Outcome, number>> {
  const out: Record<string, Record<Outcome, number>> = {};
  for (const s of samples) {
    const c = (out[s.task] ??= { correct: 0, partial: 0, wrong: 0, error: 0 });
    c[s.outcome]++;
  }
  return out;
}
