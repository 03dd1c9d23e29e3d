/**
 * Workload data: synthetic prompts with exact input token counts (random, shared-prefix), JSONL files and ShareGPT
 * files. Token counts come from a `TokenCounter` (the server's `/tokenize` when it has one, else the bundled tokenizer).
 */
import { readFile } from 'node:fs/promises';
import { Rng } from './rng.ts';
import { bundledTokenizer, type TokenCounter } from './tokenizer.ts';

export type { TokenCounter } from './tokenizer.ts';

/** One prompt of a workload. */
export interface Sample {
  prompt: string;
  /** Prompt tokens as counted by the workload's tokenizer. */
  prompt_len: number;
  /** max_tokens to request. */
  expected_output_len: number;
}

/** The bundled tokenizer as a counter. */
export function bundledCounter(): TokenCounter {
  const t = bundledTokenizer();
  return { id: t.id, source: 'bundled', count: async (s) => t.count(s), countSync: (s) => t.count(s) };
}

/** Dataset selection and shape, named like vLLM bench serve's flags. */
export interface DatasetOptions {
  /** random (default), prefix_repetition, jsonl (vLLM: custom), sharegpt. */
  dataset_name?: 'random' | 'prefix_repetition' | 'jsonl' | 'custom' | 'sharegpt';
  dataset_path?: string;
  num_prompts: number;
  seed: number;
  random_input_len?: number;
  random_output_len?: number;
  /** Lengths drawn uniformly from [len·(1−r), len·(1+r)]. */
  random_range_ratio?: number;
  /** Tokens of one shared prefix in front of every random prompt. */
  random_prefix_len?: number;
  prefix_repetition_prefix_len?: number;
  prefix_repetition_suffix_len?: number;
  prefix_repetition_num_prefixes?: number;
  prefix_repetition_output_len?: number;
  /** ShareGPT: fixed output length instead of the reference answer's. */
  sharegpt_output_len?: number;
  /** Random datasets only: skip building texts (prompt is ''), for virtual-time prediction. */
  lengths_only?: boolean;
}

function words(rng: Rng, n: number): string {
  const t = bundledTokenizer();
  const ids = new Array<number>(n);
  for (let i = 0; i < n; i++) ids[i] = t.wordIds[Math.floor(rng.next() * t.wordIds.length)];
  return t.decode(ids);
}

/**
 * A synthetic text of exactly `n` tokens under `counter` (bundled: exact by construction; server: fitted by adding or
 * removing words, up to 12 tries; returns the closest and its true count when exactness is impossible).
 */
export async function exactPrompt(
  rng: Rng,
  n: number,
  counter: TokenCounter,
  prefix: { text: string; tokens: number } = { text: '', tokens: 0 },
): Promise<{ text: string; tokens: number }> {
  if (n <= prefix.tokens) return { ...prefix };
  const pool = words(rng, (n - prefix.tokens) * 3).split(' ').filter(Boolean);
  let w = n - prefix.tokens;
  let best = { text: '', tokens: -1, err: Infinity };
  for (let i = 0; i < 12; i++) {
    const text = prefix.text + ' ' + pool.slice(0, w).join(' ');
    const c = await counter.count(text);
    const err = Math.abs(c - n);
    if (err < best.err) best = { text, tokens: c, err };
    if (c === n) break;
    const perWord = c / Math.max(1, w);
    const step = Math.round((n - c) / Math.max(perWord, 1)) || Math.sign(n - c);
    w = Math.max(1, Math.min(pool.length, w + step));
  }
  return { text: best.text, tokens: best.tokens };
}

function spread(rng: Rng, len: number, ratio: number): number {
  if (!ratio) return len;
  const lo = Math.max(1, Math.floor(len * (1 - ratio)));
  const hi = Math.max(lo, Math.ceil(len * (1 + ratio)));
  return rng.int(lo, hi);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** Builds the workload's samples. */
export async function loadSamples(o: DatasetOptions, counter: TokenCounter = bundledCounter()): Promise<Sample[]> {
  const name = o.dataset_name ?? 'random';
  const rng = new Rng(o.seed);
  const n = o.num_prompts;
  if (!Number.isInteger(n) || n < 1) throw new RangeError('num_prompts must be a positive integer');
  if (name === 'random') {
    const inLen = o.random_input_len ?? 1024;
    const outLen = o.random_output_len ?? 128;
    const ratio = o.random_range_ratio ?? 0;
    if (!(ratio >= 0 && ratio < 1)) throw new RangeError('random_range_ratio must be in [0, 1)');
    if (!(inLen >= 1) || !(outLen >= 1)) throw new RangeError('random_input_len and random_output_len must be ≥ 1');
    const prefixLen = o.random_prefix_len ?? 0;
    const prefix = prefixLen && !o.lengths_only ? await exactPrompt(new Rng(o.seed ^ 0x7f4a7c15), prefixLen, counter) : undefined;
    const plan = Array.from({ length: n }, () => ({ inp: spread(rng, inLen, ratio), out: spread(rng, outLen, ratio), seed: rng.int(0, 2 ** 31) }));
    if (o.lengths_only) return plan.map((p) => ({ prompt: '', prompt_len: p.inp + prefixLen, expected_output_len: p.out }));
    return mapLimit(plan, 16, async (p) => {
      const { text, tokens } = await exactPrompt(new Rng(p.seed), (prefix?.tokens ?? 0) + p.inp, counter, prefix);
      return { prompt: text, prompt_len: tokens, expected_output_len: p.out };
    });
  }
  if (name === 'prefix_repetition') {
    const pl = o.prefix_repetition_prefix_len ?? 256;
    const sl = o.prefix_repetition_suffix_len ?? 256;
    const np = o.prefix_repetition_num_prefixes ?? 10;
    const ol = o.prefix_repetition_output_len ?? o.random_output_len ?? 128;
    if (o.lengths_only) return Array.from({ length: n }, () => ({ prompt: '', prompt_len: pl + sl, expected_output_len: ol }));
    const prefixes: Array<{ text: string; tokens: number }> = [];
    for (let i = 0; i < np; i++) prefixes.push(await exactPrompt(rng, pl, counter));
    const plan = Array.from({ length: n }, (_, i) => ({ prefix: prefixes[i % np], seed: rng.int(0, 2 ** 31) }));
    const samples = await mapLimit(plan, 16, async (p) => {
      const { text, tokens } = await exactPrompt(new Rng(p.seed), p.prefix.tokens + sl, counter, p.prefix);
      return { prompt: text, prompt_len: tokens, expected_output_len: ol };
    });
    // vLLM shuffles so that requests sharing a prefix are not adjacent
    for (let i = samples.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [samples[i], samples[j]] = [samples[j], samples[i]];
    }
    return samples;
  }
  if (!o.dataset_path) throw new RangeError(`dataset_path is required for dataset_name "${name}"`);
  const raw = await readFile(o.dataset_path, 'utf8');
  const defaultOut = o.random_output_len ?? 256;
  let rows: Array<{ prompt: string; out?: number; reference?: string }> = [];
  if (name === 'jsonl' || name === 'custom') {
    raw.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line);
      } catch {
        throw new RangeError(`${o.dataset_path}:${i + 1}: not valid JSON`);
      }
      const prompt = [obj.prompt, obj.question, obj.input, obj.instruction, obj.text].find((x) => typeof x === 'string') as string | undefined;
      if (prompt === undefined) throw new RangeError(`${o.dataset_path}:${i + 1}: no prompt/question/input/instruction/text field`);
      const out = [obj.output_tokens, obj.max_tokens, obj.output_len].find((x) => typeof x === 'number') as number | undefined;
      const reference = [obj.answer, obj.output, obj.completion, obj.response].find((x) => typeof x === 'string') as string | undefined;
      rows.push({ prompt, out, reference });
    });
  } else if (name === 'sharegpt') {
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      throw new RangeError(`${o.dataset_path}: not valid JSON (ShareGPT is a JSON array)`);
    }
    if (!Array.isArray(data)) throw new RangeError(`${o.dataset_path}: ShareGPT data must be a JSON array`);
    for (const conv of data) {
      const turns = (conv as { conversations?: Array<{ value?: unknown }> })?.conversations;
      if (!Array.isArray(turns) || turns.length < 2) continue;
      const [q, a] = turns;
      if (typeof q?.value !== 'string' || typeof a?.value !== 'string') continue;
      rows.push({ prompt: q.value, reference: a.value, out: o.sharegpt_output_len });
    }
    // shuffle with the seed, as vLLM samples ShareGPT randomly
    for (let i = rows.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
  } else throw new RangeError(`unknown dataset_name "${name}"`);
  if (!rows.length) throw new RangeError(`${o.dataset_path}: no usable prompts`);
  const samples: Sample[] = [];
  const counted = await mapLimit(rows, 16, async (r) => ({
    prompt: r.prompt,
    prompt_len: await counter.count(r.prompt),
    expected_output_len: r.out ?? (r.reference !== undefined && name === 'sharegpt' ? await counter.count(r.reference) : defaultOut),
  }));
  for (const s of counted) {
    // vLLM's ShareGPT filter: drop tiny and too long pairs
    if (name === 'sharegpt' && (s.prompt_len < 4 || s.expected_output_len < 4 || s.prompt_len > 1024 || s.prompt_len + s.expected_output_len > 2048)) continue;
    samples.push(s);
  }
  rows = [];
  if (!samples.length) throw new RangeError(`${o.dataset_path}: no prompts left after filtering`);
  // cycle when the file has fewer prompts than asked for
  return Array.from({ length: n }, (_, i) => samples[i % samples.length]);
}
