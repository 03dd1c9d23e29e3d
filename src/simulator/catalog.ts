/**
 * Model and hardware catalogues for the performance model (and for the vLLM service, which turns hardware entries into
 * seed 003 node/device shapes). Figures are public datasheet values: dense FP16/BF16 tensor TFLOPS and HBM bandwidth.
 */

/** Architecture of a decoder-only transformer, as much as the roofline model needs. */
export interface ModelSpec {
  /** Hugging Face id, e.g. `meta-llama/Llama-3.1-8B-Instruct`. */
  name: string;
  /** Other names accepted on lookup (case-insensitive), e.g. `Llama-3.1-8B`. */
  aliases: string[];
  /** Total parameters. */
  params: number;
  num_layers: number;
  hidden_size: number;
  num_heads: number;
  num_kv_heads: number;
  head_dim: number;
  intermediate_size: number;
  vocab_size: number;
  /** Longest context the model supports. */
  max_context: number;
  /** Bytes per weight (2 for bf16/fp16, 1 for fp8). */
  weight_bytes: number;
  /** Bytes per KV-cache element. */
  kv_bytes: number;
  dtype: 'bfloat16' | 'float16' | 'fp8';
  /** Set on a spec estimated from a name that is not in the catalogue: the catalogue model whose shape was scaled. */
  estimated_from?: string;
}

/** A MIG slice of a GPU, as Kubernetes exposes it (`nvidia.com/mig-1g.10gb`). */
export interface MigInfo {
  parent: string;
  /** Compute slices out of 7. */
  compute_slices: number;
  /** Memory slices out of 8 (memory bandwidth scales with them). */
  memory_slices: number;
  /** How many of this profile one GPU can hold. */
  per_gpu: number;
}

/** One accelerator (or CPU socket) kind. */
export interface HardwareSpec {
  /** Catalogue name, e.g. `H100-80G`. */
  name: string;
  aliases: string[];
  type: 'gpu' | 'cpu';
  vendor: 'nvidia' | 'amd' | 'intel';
  /** Values of the `nvidia.com/gpu.product` node label (GPU feature discovery) that mean this device. */
  product_labels: string[];
  /** Kubernetes extended resource that requests one of it (`nvidia.com/gpu`, `nvidia.com/mig-1g.10gb`, `cpu`). */
  resource_name: string;
  memory_gb: number;
  peak_fp16_TFLOPS: number;
  memory_bandwidth_GBps: number;
  /** Per-device interconnect bandwidth for tensor-parallel all-reduce (NVLink or PCIe), GB/s. */
  interconnect_GBps: number;
  /** CPU only: virtual cores per socket. */
  num_virtual_cores?: number;
  /** MIG slices only. */
  mig?: MigInfo;
}

const GIB = 1024 ** 3;

function llama(
  name: string,
  aliases: string[],
  params: number,
  layers: number,
  hidden: number,
  heads: number,
  kvHeads: number,
  inter: number,
  vocab: number,
  ctx: number,
  headDim = hidden / heads,
): ModelSpec {
  return {
    name,
    aliases,
    params,
    num_layers: layers,
    hidden_size: hidden,
    num_heads: heads,
    num_kv_heads: kvHeads,
    head_dim: headDim,
    intermediate_size: inter,
    vocab_size: vocab,
    max_context: ctx,
    weight_bytes: 2,
    kv_bytes: 2,
    dtype: 'bfloat16',
  };
}

/** Models the simulator knows by name. Custom ones can be passed as a full `ModelSpec`. */
export const MODEL_CATALOGUE: readonly ModelSpec[] = [
  llama('meta-llama/Llama-3.1-8B-Instruct', ['Llama-3.1-8B', 'meta-llama/Llama-3.1-8B', 'llama-3.1-8b-instruct'], 8.03e9, 32, 4096, 32, 8, 14336, 128256, 131072),
  llama('meta-llama/Llama-3.1-70B-Instruct', ['Llama-3.1-70B', 'meta-llama/Llama-3.1-70B'], 70.6e9, 80, 8192, 64, 8, 28672, 128256, 131072),
  llama('meta-llama/Llama-3.2-1B-Instruct', ['Llama-3.2-1B'], 1.24e9, 16, 2048, 32, 8, 8192, 128256, 131072, 64),
  llama('Qwen/Qwen3-8B', ['qwen3-8b', 'Qwen3-8B'], 8.19e9, 36, 4096, 32, 8, 12288, 151936, 40960, 128),
  llama('Qwen/Qwen3-0.6B', ['qwen3-0.6b', 'Qwen3-0.6B'], 0.6e9, 28, 1024, 16, 8, 3072, 151936, 40960, 128),
  llama('Qwen/Qwen2.5-7B-Instruct', ['Qwen2.5-7B'], 7.62e9, 28, 3584, 28, 4, 18944, 152064, 32768),
  llama('mistralai/Mistral-7B-Instruct-v0.3', ['Mistral-7B'], 7.25e9, 32, 4096, 32, 8, 14336, 32768, 32768),
  llama('BAAI/bge-small-en-v1.5', ['bge-small'], 33.4e6, 12, 384, 12, 12, 1536, 30522, 512),
  llama('facebook/opt-125m', ['opt-125m'], 125e6, 12, 768, 12, 12, 3072, 50272, 2048),
];

function gpu(
  name: string,
  aliases: string[],
  labels: string[],
  memGb: number,
  tflops: number,
  bwGBps: number,
  linkGBps: number,
): HardwareSpec {
  return {
    name,
    aliases,
    type: 'gpu',
    vendor: 'nvidia',
    product_labels: labels,
    resource_name: 'nvidia.com/gpu',
    memory_gb: memGb,
    peak_fp16_TFLOPS: tflops,
    memory_bandwidth_GBps: bwGBps,
    interconnect_GBps: linkGBps,
  };
}

const BASE_HARDWARE: HardwareSpec[] = [
  gpu('H100-80G', ['H100', 'H100 SXM', 'H100-SXM', 'H100-SXM5-80GB'], ['NVIDIA-H100-80GB-HBM3', 'NVIDIA-H100-SXM5-80GB'], 80, 989, 3350, 450),
  gpu('H100-NVL', ['H100 NVL', 'H100-94G'], ['NVIDIA-H100-NVL'], 94, 835, 3900, 300),
  gpu('H100-PCIe', ['H100 PCIe'], ['NVIDIA-H100-PCIe'], 80, 756, 2000, 64),
  gpu('H200', ['H200 SXM', 'H200-141G'], ['NVIDIA-H200', 'NVIDIA-H200-141GB-HBM3e'], 141, 989, 4800, 450),
  gpu('A100-80G', ['A100', 'A100 SXM', 'A100-SXM4-80GB'], ['NVIDIA-A100-SXM4-80GB', 'NVIDIA-A100-80GB-PCIe'], 80, 312, 2039, 300),
  gpu('A100-40G', ['A100-SXM4-40GB'], ['NVIDIA-A100-SXM4-40GB', 'NVIDIA-A100-PCIE-40GB'], 40, 312, 1555, 300),
  gpu('L40S', ['L40S-48G'], ['NVIDIA-L40S'], 48, 362, 864, 32),
  gpu('L4', ['L4-24G'], ['NVIDIA-L4'], 24, 121, 300, 32),
  {
    name: 'Xeon-8480+',
    aliases: ['cpu', 'CPU', 'Intel(R) Xeon(R) Platinum 8480+', 'SPR-8480'],
    type: 'cpu',
    vendor: 'intel',
    product_labels: [],
    resource_name: 'cpu',
    memory_gb: 512,
    // seed 003's node example reports 329 TFLOPS for this socket pair (AMX BF16 peak), 224 virtual cores
    peak_fp16_TFLOPS: 329.00454400000007,
    memory_bandwidth_GBps: 614,
    interconnect_GBps: 100,
    num_virtual_cores: 224,
  },
];

// MIG profiles (A100-80G and H100-80G share profile names; H200 has its own)
const MIG_TABLE: Array<[parent: string, profile: string, g: number, m: number, perGpu: number]> = [
  ['H100-80G', '1g.10gb', 1, 1, 7],
  ['H100-80G', '1g.20gb', 1, 2, 4],
  ['H100-80G', '2g.20gb', 2, 2, 3],
  ['H100-80G', '3g.40gb', 3, 4, 2],
  ['H100-80G', '4g.40gb', 4, 4, 1],
  ['H100-80G', '7g.80gb', 7, 8, 1],
  ['A100-80G', '1g.10gb', 1, 1, 7],
  ['A100-80G', '1g.20gb', 1, 2, 4],
  ['A100-80G', '2g.20gb', 2, 2, 3],
  ['A100-80G', '3g.40gb', 3, 4, 2],
  ['A100-80G', '4g.40gb', 4, 4, 1],
  ['A100-80G', '7g.80gb', 7, 8, 1],
  ['H200', '1g.18gb', 1, 1, 7],
  ['H200', '2g.35gb', 2, 2, 3],
  ['H200', '3g.71gb', 3, 4, 2],
  ['H200', '7g.141gb', 7, 8, 1],
];

function migEntries(): HardwareSpec[] {
  return MIG_TABLE.map(([parentName, profile, g, m, perGpu]) => {
    const parent = BASE_HARDWARE.find((h) => h.name === parentName)!;
    const memGb = Number(profile.split('.')[1].replace('gb', ''));
    return {
      name: `${parentName}-MIG-${profile}`,
      aliases: [],
      type: 'gpu' as const,
      vendor: 'nvidia' as const,
      product_labels: parent.product_labels.map((l) => `${l}-MIG-${profile}`),
      resource_name: `nvidia.com/mig-${profile}`,
      memory_gb: memGb,
      peak_fp16_TFLOPS: (parent.peak_fp16_TFLOPS * g) / 7,
      memory_bandwidth_GBps: (parent.memory_bandwidth_GBps * m) / 8,
      interconnect_GBps: 0,
      mig: { parent: parentName, compute_slices: g, memory_slices: m, per_gpu: perGpu },
    };
  });
}

/** Hardware the simulator knows: full GPUs, a CPU socket pair, and MIG slices (`H100-80G-MIG-1g.10gb`…). */
export const HARDWARE_CATALOGUE: readonly HardwareSpec[] = [...BASE_HARDWARE, ...migEntries()];

const norm = (s: string) => s.trim().toLowerCase();

/** Looks a model up by name or alias (case-insensitive); undefined when unknown. */
export function findModel(name: string): ModelSpec | undefined {
  const n = norm(name);
  return MODEL_CATALOGUE.find((m) => norm(m.name) === n || m.aliases.some((a) => norm(a) === n));
}

/** Parameters stated in a model name: `Qwen2-1.5B-Instruct` → 1.5e9, `opt-350m` → 3.5e8 (the first size named). */
export function paramsFromName(name: string): number | undefined {
  const m = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z0-9])/i.exec(name.split('/').pop() ?? name);
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2].toLowerCase() === 'b' ? 1e9 : 1e6);
  return n >= 1e7 && n <= 2e12 ? n : undefined;
}

/**
 * A dense decoder spec for a model the catalogue does not know, from the size in its name: the generative catalogue
 * model nearest in size, scaled (layers by √ratio, width by ratio^¼, as model families grow). Weights, FLOPs and KV
 * bytes per token land near the real model's; undefined when the name states no size.
 */
export function estimateModel(name: string): ModelSpec | undefined {
  const params = paramsFromName(name);
  if (!params) return undefined;
  const generative = MODEL_CATALOGUE.filter((m) => m.vocab_size > 32_000 && m.max_context >= 2048);
  const ref = generative.reduce((a, b) => (Math.abs(Math.log(b.params / params)) < Math.abs(Math.log(a.params / params)) ? b : a));
  const r = params / ref.params;
  const headGroup = ref.head_dim * 8; // heads stay a multiple of 8 so usual tensor-parallel degrees divide them
  const hidden = Math.max(headGroup, Math.round((ref.hidden_size * r ** 0.25) / headGroup) * headGroup);
  const numHeads = hidden / ref.head_dim;
  return {
    ...ref,
    name,
    aliases: [],
    params,
    num_layers: Math.max(2, Math.round(ref.num_layers * Math.sqrt(r))),
    hidden_size: hidden,
    num_heads: numHeads,
    num_kv_heads: Math.min(ref.num_kv_heads, numHeads),
    intermediate_size: Math.round(ref.intermediate_size * r ** 0.25),
    estimated_from: ref.name,
  };
}

/** Looks hardware up by name, alias or GPU product label (case-insensitive); undefined when unknown. */
export function findHardware(name: string): HardwareSpec | undefined {
  const n = norm(name);
  return HARDWARE_CATALOGUE.find(
    (h) => norm(h.name) === n || h.aliases.some((a) => norm(a) === n) || h.product_labels.some((l) => norm(l) === n),
  );
}

/**
 * Hardware for a Kubernetes resource name and (optionally) the node's `nvidia.com/gpu.product` label:
 * `nvidia.com/mig-1g.10gb` on an A100 node → `A100-80G-MIG-1g.10gb`.
 */
export function hardwareForResource(resourceName: string, productLabel?: string): HardwareSpec | undefined {
  const candidates = HARDWARE_CATALOGUE.filter((h) => h.resource_name === resourceName);
  if (productLabel) {
    const base = findHardware(productLabel.replace(/-MIG-.*$/, '').replace(/-SHARED$/, ''));
    const hit = candidates.find((h) => h.name === base?.name || h.mig?.parent === base?.name);
    if (hit) return hit;
  }
  return candidates[0];
}

/** Weight bytes of a model (whole model, before tensor-parallel sharding). */
export function weightBytes(m: ModelSpec): number {
  return m.params * m.weight_bytes;
}

/** KV-cache bytes one token occupies across all layers (whole model, before sharding). */
export function kvBytesPerToken(m: ModelSpec): number {
  return 2 * m.num_layers * m.num_kv_heads * m.head_dim * m.kv_bytes;
}

export { GIB };
