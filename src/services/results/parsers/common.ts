/** What every parser shares: its context (the post's envelope), its error type and small numeric helpers. */
import { isPlainObject, type StandardizedData } from '../standard.ts';

/** The envelope of the post whose `data` is being parsed. */
export interface ParseContext {
  benchmark_name: string;
  model_id: string;
  tokenizer_id: string;
  source: string;
  run_id: string;
  timestamp: string;
}

export interface ResultParser {
  /** Parser name reported in responses (e.g. `lm-eval`). */
  name: string;
  /** `source` values (lower case) that select this parser. */
  sources: string[];
  /** Turns the raw tool output into the standardized shape; throws ParseError naming the offending field. */
  parse(raw: unknown, ctx: ParseContext): StandardizedData;
}

/** A raw document that does not have the tool's shape; `path` is relative to `data`. */
export class ParseError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}

export const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Copies the defined, finite numbers of `src` (renamed by `map` when given). */
export function pickNumbers(src: Record<string, unknown>, keys: string[] | Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  const entries = Array.isArray(keys) ? keys.map((k) => [k, k] as const) : Object.entries(keys);
  for (const [from, to] of entries) {
    const n = finite(src[from]);
    if (n !== undefined) out[to] = n;
  }
  return out;
}

export function requireObject(v: unknown, path: (string | number)[], what: string): Record<string, unknown> {
  if (!isPlainObject(v)) throw new ParseError(path, `${what} must be an object`);
  return v;
}

/** Common `meta` block: envelope fields plus the tool's own. */
export function baseMeta(ctx: ParseContext, tool: string, extra: Record<string, unknown>): Record<string, unknown> {
  const meta: Record<string, unknown> = {
    benchmark_name: ctx.benchmark_name,
    source: ctx.source,
    tool,
    run_id: ctx.run_id,
    timestamp: ctx.timestamp,
    model: { id: ctx.model_id, tokenizer_id: ctx.tokenizer_id },
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null) meta[k] = v;
  return meta;
}

/** Drops undefined/null values (the UI drops nulls anyway; the stored document stays small). */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;
}
