/**
 * vLLM command-line flags from values files (`extraArgs: ["--enable-prefix-caching", "--max-model-len", "8192"]`, or a
 * `{flag: value}` map, or the earlier generated values' full `args` list) → config fields and `additional_args`.
 * Flags BenchOps sets itself (model, parallelism, lengths, memory) become the config's fields, so placement and the
 * GPU-count check see them and the command line never carries a flag twice. Messages name flags, never their values
 * (a value may be a credential).
 */
import { unprocessable } from '../../core/errors.ts';

type Loc = Array<string | number>;

const FIELD_OF: Record<string, { field: string; kind: 'string' | 'int' | 'float' | 'bool' | 'len' }> = {
  model: { field: 'model_name', kind: 'string' },
  'served-model-name': { field: 'served_model_name', kind: 'string' },
  'tensor-parallel-size': { field: 'tensor_parallel_size', kind: 'int' },
  'pipeline-parallel-size': { field: 'pipeline_parallel_size', kind: 'int' },
  'max-model-len': { field: 'max_model_len', kind: 'len' },
  'max-num-seqs': { field: 'max_num_seqs', kind: 'int' },
  'block-size': { field: 'block_size', kind: 'int' },
  'gpu-memory-utilization': { field: 'gpu_memory_utilization', kind: 'float' },
  port: { field: 'port', kind: 'int' },
  dtype: { field: 'dtype', kind: 'string' },
  quantization: { field: 'quantization', kind: 'string' },
  'trust-remote-code': { field: 'trust_remote_code', kind: 'bool' },
};
const SHORT: Record<string, string> = { tp: 'tensor-parallel-size', pp: 'pipeline-parallel-size', q: 'quantization' };

export interface ArgsResult {
  fields: Record<string, unknown>;
  additional_args: Record<string, string | number | boolean>;
  /** Environment the flags stand for (`--hf-token` → HF_TOKEN, sealed later like any secret-looking value). */
  env: Record<string, string>;
}

/** `8192`, `32k` (×1000), `32K` (×1024): vLLM's forms for --max-model-len. */
function parseLen(v: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(v.trim());
  if (!m) return NaN;
  const mult: Record<string, number> = { '': 1, k: 1e3, K: 1024, m: 1e6, M: 1024 ** 2, g: 1e9, G: 1024 ** 3 };
  return Math.round(Number(m[1]) * mult[m[2]]);
}

function tokensOf(item: unknown): string[] | Record<string, unknown> {
  if (Array.isArray(item)) {
    // one list element "--max-model-len 8192" means flag and value: split it the way a shell would have
    return item.flatMap((t) => {
      const s = String(t);
      return s.startsWith('-') && /\s/.test(s.trim()) ? s.trim().split(/\s+/) : [s];
    });
  }
  if (item && typeof item === 'object') return item as Record<string, unknown>;
  return String(item).trim().split(/\s+/).filter(Boolean);
}

/** Reads flag lists/maps; `warn` receives sentences for flags that are dropped. */
export function extraArgsToConfig(items: unknown[], loc: Loc, warn: (w: string) => void): ArgsResult {
  const out: ArgsResult = { fields: {}, additional_args: {}, env: {} };
  const apply = (rawName: string, value: string | boolean) => {
    const name = rawName.replace(/_/g, '-');
    if (name === 'host') return warn('extraArgs --host has no effect: the server listens on 0.0.0.0 behind its Service');
    if (name === 'api-key') return warn("extraArgs --api-key is dropped: BenchOps' jobs and gateway call the server without an API key");
    if (name === 'hf-token') {
      // a token on the command line would sit in the manifest in clear; it goes into the deployment's Secret instead
      if (typeof value === 'string') out.env.HF_TOKEN = value;
      return;
    }
    const known = FIELD_OF[name];
    if (!known) {
      out.additional_args[name] = value;
      return;
    }
    let v: unknown = value;
    if (known.kind === 'bool') v = value === true || value === 'true';
    else if (value === true) throw unprocessable(loc, `custom values: extraArgs --${name} needs a value`);
    else if (known.kind === 'int' || known.kind === 'float') v = Number(value);
    else if (known.kind === 'len') v = parseLen(String(value));
    if ((known.kind === 'int' || known.kind === 'len') && !Number.isInteger(v)) throw unprocessable(loc, `custom values: extraArgs --${name} must be an integer`);
    if (known.kind === 'float' && !Number.isFinite(v)) throw unprocessable(loc, `custom values: extraArgs --${name} must be a number`);
    out.fields[known.field] = v;
  };
  for (const item of items) {
    const toks = tokensOf(item);
    if (!Array.isArray(toks)) {
      for (const [k, v] of Object.entries(toks)) {
        if (v === false || v === null || v === undefined) continue;
        apply(k.replace(/^--?/, ''), typeof v === 'boolean' ? v : String(v));
      }
      continue;
    }
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i];
      let name: string;
      if (t.startsWith('--')) name = t.slice(2);
      else if (/^-[a-zA-Z]+$/.test(t) && SHORT[t.slice(1)]) name = SHORT[t.slice(1)];
      else if (t.startsWith('-') && !/^-\d/.test(t)) throw unprocessable(loc, `custom values: extraArgs has an unknown short flag ${t.slice(0, 20)}`);
      else throw unprocessable(loc, `custom values: extraArgs has a value without a --flag before it (argument ${i + 1})`);
      const eq = name.indexOf('=');
      if (eq > 0) {
        apply(name.slice(0, eq), name.slice(eq + 1));
        continue;
      }
      const next = toks[i + 1];
      if (next !== undefined && (!next.startsWith('-') || /^-\d/.test(next))) {
        apply(name, next);
        i++;
        // --served-model-name a b: vLLM serves several names; BenchOps routes by the first
        if (name.replace(/_/g, '-') === 'served-model-name') {
          while (toks[i + 1] !== undefined && !toks[i + 1].startsWith('-')) {
            i++;
            warn('extraArgs --served-model-name lists several names: BenchOps serves and routes the first');
          }
        }
      } else apply(name, true);
    }
  }
  return out;
}
