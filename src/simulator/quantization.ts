/**
 * Weight and KV-cache formats, as `vllm serve --quantization` / `--kv-cache-dtype` name them, and what they change in
 * the performance model: bytes per weight (memory and the bytes a decode step reads), which tensor-core peak the
 * linear layers run at, and bytes per KV-cache element.
 *
 * vLLM quantizes the linear layers only: the token embedding and the LM head stay in 16 bits, so an FP8 Llama-3.1-8B
 * takes ~8.5 GiB, not 8.0. A checkpoint named `…-FP8` (`…-AWQ`, `…-GPTQ-Int4`, `…-W8A8`…) is read as that format unless
 * `--quantization` says otherwise. FP8 weights compute in FP8 where the device has FP8 tensor cores (Hopper, Ada); on an
 * A100 vLLM runs them weight-only (Marlin: dequantized to 16 bits), so compute uses the 16-bit peak while memory and
 * reads stay at one byte. INT4 formats (AWQ, GPTQ) are weight-only everywhere.
 */
import type { HardwareSpec, ModelSpec } from './catalog.ts';

/** Weight formats the model distinguishes. */
export type WeightFormat = 'bf16' | 'fp16' | 'fp8' | 'int8' | 'int4';

/** `--quantization` values accepted (vLLM's names) and the format each one means. */
export const QUANTIZATION_METHODS: Readonly<Record<string, WeightFormat>> = {
  none: 'bf16',
  fp8: 'fp8',
  fbgemm_fp8: 'fp8',
  modelopt: 'fp8',
  'compressed-tensors': 'fp8',
  int8: 'int8',
  w8a8: 'int8',
  experts_int8: 'int8',
  int4: 'int4',
  w4a16: 'int4',
  awq: 'int4',
  awq_marlin: 'int4',
  gptq: 'int4',
  gptq_marlin: 'int4',
  marlin: 'int4',
  bitsandbytes: 'int4',
};

/** `--kv-cache-dtype` values (vLLM's names) and bytes per element; `auto` follows the model's 16-bit dtype. */
export const KV_CACHE_DTYPES: Readonly<Record<string, number>> = { auto: 2, bfloat16: 2, float16: 2, fp8: 1, fp8_e4m3: 1, fp8_e5m2: 1 };

/** The resolved formats of a deployment. */
export interface QuantizationSpec {
  weights: WeightFormat;
  /** Where the weight format came from. */
  weights_source: 'flag' | 'name' | 'default';
  /** The `--quantization` value as given (or inferred from the name), null for 16-bit weights. */
  method: string | null;
  /** Bytes per linear-layer weight, scales of grouped INT4 included. */
  bytes_per_weight: number;
  /** Activations are quantized too (W8A8): linear layers run at the FP8/INT8 peak. */
  low_precision_compute: boolean;
  kv_cache_dtype: string;
  kv_bytes: number;
}

/** The format a checkpoint's name states (`…-FP8`, `…-AWQ`, `…-GPTQ-Int8`, `…-W8A8`, `…-W4A16`), if any. */
export function formatFromName(name: string): { format: WeightFormat; method: string } | undefined {
  const n = name.split('/').pop() ?? name;
  if (/(?:^|[-_.])fp8(?:[-_.]|$)/i.test(n)) return { format: 'fp8', method: 'fp8' };
  if (/(?:^|[-_.])awq(?:[-_.]|$)/i.test(n)) return { format: 'int4', method: 'awq' };
  if (/(?:^|[-_.])gptq(?:[-_.]|$)/i.test(n)) return /int8|8bit/i.test(n) ? { format: 'int8', method: 'gptq' } : { format: 'int4', method: 'gptq' };
  if (/(?:^|[-_.])w8a8(?:[-_.]|$)|(?:^|[-_.])int8(?:[-_.]|$)/i.test(n)) return { format: 'int8', method: 'w8a8' };
  if (/(?:^|[-_.])(?:w4a16|int4|4bit)(?:[-_.]|$)/i.test(n)) return { format: 'int4', method: 'w4a16' };
  return undefined;
}

const BYTES: Record<WeightFormat, number> = { bf16: 2, fp16: 2, fp8: 1, int8: 1, int4: 0.5 + 2 / 128 };

/**
 * Resolves `--quantization` (or the checkpoint name) and `--kv-cache-dtype`. Throws a RangeError naming the option
 * when a value is unknown. GPTQ names stating Int8 keep 8 bits even under `--quantization gptq`.
 */
export function resolveQuantization(name: string, hw: HardwareSpec, quantization?: string | null, kvCacheDtype?: string | null): QuantizationSpec {
  let weights: WeightFormat = 'bf16';
  let source: QuantizationSpec['weights_source'] = 'default';
  let method: string | null = null;
  const fromName = formatFromName(name);
  if (quantization !== undefined && quantization !== null && quantization !== '') {
    const q = quantization.toLowerCase();
    const f = QUANTIZATION_METHODS[q];
    if (!f) throw new RangeError(`quantization "${quantization.slice(0, 40)}" is not one of ${Object.keys(QUANTIZATION_METHODS).join(', ')}`);
    weights = q === 'gptq' || q === 'gptq_marlin' || q === 'compressed-tensors' ? (fromName?.format ?? f) : f;
    method = q === 'none' ? null : q;
    source = 'flag';
  } else if (fromName) {
    weights = fromName.format;
    method = fromName.method;
    source = 'name';
  }
  const kv = (kvCacheDtype ?? 'auto').toLowerCase();
  const kvBytes = KV_CACHE_DTYPES[kv];
  if (kvBytes === undefined) throw new RangeError(`kv_cache_dtype "${String(kvCacheDtype).slice(0, 40)}" is not one of ${Object.keys(KV_CACHE_DTYPES).join(', ')}`);
  const lowCompute = (weights === 'fp8' && !!hw.peak_fp8_TFLOPS) || (weights === 'int8' && method !== 'gptq' && !!hw.peak_int8_TOPS);
  return { weights, weights_source: source, method, bytes_per_weight: BYTES[weights], low_precision_compute: lowCompute, kv_cache_dtype: kv, kv_bytes: kvBytes };
}

/** Parameters outside the linear layers that vLLM keeps in 16 bits: the token embedding and the LM head. */
export function unquantizedParams(m: ModelSpec): number {
  return Math.min(m.params * 0.5, 2 * m.vocab_size * m.hidden_size);
}

/** Total weight bytes of a model stored in a format (before sharding). */
export function quantizedWeightBytes(m: ModelSpec, q: QuantizationSpec): number {
  const keep = q.weights === 'bf16' || q.weights === 'fp16' ? 0 : unquantizedParams(m);
  return keep * 2 + (m.params - keep) * q.bytes_per_weight;
}

/** The model as the performance model sees it in this format: average bytes per weight, KV bytes, dtype label. */
export function applyQuantization(m: ModelSpec, q: QuantizationSpec): ModelSpec {
  const dtype: ModelSpec['dtype'] = q.weights === 'bf16' ? m.dtype : q.weights === 'fp16' ? 'float16' : q.weights;
  return { ...m, weight_bytes: quantizedWeightBytes(m, q) / m.params, kv_bytes: q.kv_bytes, dtype };
}

/** Peak TFLOPS of the linear layers on one device for this format. */
export function linearPeakTFLOPS(hw: HardwareSpec, q: QuantizationSpec): number {
  if (q.low_precision_compute) return (q.weights === 'fp8' ? hw.peak_fp8_TFLOPS : hw.peak_int8_TOPS) ?? hw.peak_fp16_TFLOPS;
  return hw.peak_fp16_TFLOPS;
}

/**
 * The catalogue name a quantized checkpoint's name points at: `neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8` →
 * `Llama-3.1-8B-Instruct` (organisation, `Meta-` and the format suffix dropped).
 */
export function catalogueName(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last
    .replace(/[-_.](?:fp8|awq|gptq|w8a8|w4a16|int4|int8|4bit|8bit)(?:[-_.].*)?$/i, '')
    .replace(/^Meta-/i, '');
}
