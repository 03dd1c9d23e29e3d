/** Small typed readers over untyped JSON that throw ConfigError naming the exact field (e.g. `scenarios[1].num_prompts`). */
import { ConfigError } from './errors.ts';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function num(obj: Json, key: string, at: string, opts: { min?: number; int?: boolean; allowInf?: boolean } = {}): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const field = `${at}${key}`;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && opts.allowInf && /^inf(inity)?$/i.test(v.trim())) n = Infinity;
  else if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) n = Number(v);
  else throw new ConfigError(field, `must be a number, got ${JSON.stringify(v)}`);
  if (!opts.allowInf && !Number.isFinite(n)) throw new ConfigError(field, `must be finite, got ${v}`);
  if (opts.int && Number.isFinite(n) && !Number.isInteger(n)) throw new ConfigError(field, `must be an integer, got ${v}`);
  if (opts.min !== undefined && n < opts.min) throw new ConfigError(field, `must be ≥ ${opts.min}, got ${v}`);
  return n;
}

export function str(obj: Json, key: string, at: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${at}${key}`, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

export function bool(obj: Json, key: string, at: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ConfigError(`${at}${key}`, `must be true or false, got ${JSON.stringify(v)}`);
}

/** A list given as an array or as a comma-separated string ("ttft,tpot,itl"). */
export function list(obj: Json, key: string, at: string): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map((x) => String(x).trim());
  throw new ConfigError(`${at}${key}`, `must be a list or a comma-separated string, got ${JSON.stringify(v)}`);
}

export function obj(o: Json, key: string, at: string): Json | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new ConfigError(`${at}${key}`, `must be an object, got ${JSON.stringify(v)}`);
  return v;
}

/** A URL-, path- and pk-safe name: "VLLM Performance Benchmark" → "vllm-performance-benchmark". */
export function slug(s: string): string {
  const out = s
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return out || 'benchmark';
}
