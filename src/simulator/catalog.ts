/**
 * Model and hardware catalogues for the performance model (and for the vLLM service, which turns hardware entries into
 * seed 003 node/device shapes). Figures are public datasheet values: dense FP16/BF16 tensor TFLOPS and HBM bandwidth.
 */

/**
 * Mixture-of-experts feed-forward layers, as a model's `config.json` states them. Every parameter counts in memory; a
 * token computes with the shared part and `experts_per_token` routed experts only (see moe.ts).
 */
export interface MoeSpec {
  /** Routed experts per MoE layer (`num_experts`, `num_local_experts`, `n_routed_experts`). */
  num_experts: number;
  /** Routed experts each token is sent to (`num_experts_per_tok`). */
  experts_per_token: number;
  /** Intermediate size of one routed expert (`moe_intermediate_size`; Mixtral: `intermediate_size`). */
  expert_intermediate_size: number;
  /** Layers whose feed-forward is MoE; the others are dense (DeepSeek's `first_k_dense_replace`). */
  moe_layers: number;
  /** Intermediate size of the always-active shared experts together (DeepSeek, Qwen-MoE); 0 when there are none. */
  shared_intermediate_size: number;
}

/** What an embedding (pooling) model returns; vLLM serves it at `/v1/embeddings` only. */
export interface EmbeddingSpec {
  /** Length of the returned vector. */
  dimensions: number;
  /** Trained for shorter prefixes of the vector (Matryoshka): a request may ask for `dimensions` below the full size. */
  matryoshka: boolean;
  /** Encoder-only (BERT, XLM-R): bidirectional attention, so vLLM runs each prompt in one step (no chunked prefill). */
  bidirectional: boolean;
}

/** Architecture of a transformer, as much as the roofline model needs. */
export interface ModelSpec {
  /** Hugging Face id, e.g. `meta-llama/Llama-3.1-8B-Instruct`. */
  name: string;
  /** Other names accepted on lookup (case-insensitive), e.g. `Llama-3.1-8B`. */
  aliases: string[];
  /** Total parameters (a MoE model: all experts; they all sit in memory). */
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
  /** Weight format: the checkpoint's (bfloat16…) or, after quantization.ts, what the linear layers are stored as. */
  dtype: 'bfloat16' | 'float16' | 'fp8' | 'int8' | 'int4';
  /** Set on a spec estimated from a name that is not in the catalogue: the catalogue model whose shape was scaled. */
  estimated_from?: string;
  /** Mixture of experts; absent for a dense model. */
  moe?: MoeSpec;
  /** Embedding model (served at `/v1/embeddings`, not `/v1/completions`); absent for a text generator. */
  embedding?: EmbeddingSpec;
  /**
   * Multi-head latent attention (DeepSeek): elements the KV cache holds per token and layer (`kv_lora_rank +
   * qk_rope_head_dim`), one latent shared by all heads and replicated on every tensor-parallel rank.
   */
  mla_kv_dim?: number;
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
  /** Dense FP8 tensor TFLOPS where the device computes in FP8 (Hopper, Ada); absent: FP8 weights are dequantized to 16 bits. */
  peak_fp8_TFLOPS?: number;
  /** Dense INT8 tensor TOPS (W8A8 kernels). */
  peak_int8_TOPS?: number;
  /**
   * Memory CUDA reports as total (what vLLM multiplies by gpu_memory_utilization), GiB. A "80 GB" H100 reports about
   * 79.2 GiB: the label is neither 80 GiB nor 80·10^9 bytes. Absent: memory_gb·10^9 bytes.
   */
  memory_total_gib?: number;
  /** How tensor-parallel ranks talk: NVLink (vLLM's custom all-reduce) or PCIe (NCCL rings through the host). */
  interconnect_kind?: 'nvlink' | 'pcie' | 'none';
  /**
   * Speed of the host CPU of the servers this device usually ships in, relative to an H100 server's (Sapphire Rapids):
   * vLLM's scheduling and output processing run there in Python. >1 is slower.
   */
  host_cpu_factor?: number;
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

/** A MoE model from its published `config.json` values; `dense` covers the base shape as `llama()` takes it. */
function moe(dense: ModelSpec, spec: Partial<MoeSpec> & Pick<MoeSpec, 'num_experts' | 'experts_per_token' | 'expert_intermediate_size'>, extra: Partial<ModelSpec> = {}): ModelSpec {
  return { ...dense, ...extra, moe: { moe_layers: dense.num_layers, shared_intermediate_size: 0, ...spec } };
}

/** An embedding model; BERT-style encoders are bidirectional, decoder-based ones (Qwen3-Embedding, e5-mistral) are not. */
function embedder(base: ModelSpec, dimensions: number, matryoshka: boolean, bidirectional: boolean): ModelSpec {
  return { ...base, embedding: { dimensions, matryoshka, bidirectional } };
}

const BERT_VOCAB = 30522;
const XLMR_VOCAB = 250002;

/** Models the simulator knows by name. Custom ones can be passed as a full `ModelSpec`. */
export const MODEL_CATALOGUE: readonly ModelSpec[] = [
  llama('meta-llama/Llama-3.1-8B-Instruct', ['Llama-3.1-8B', 'meta-llama/Llama-3.1-8B', 'llama-3.1-8b-instruct'], 8.03e9, 32, 4096, 32, 8, 14336, 128256, 131072),
  llama('meta-llama/Llama-3.1-70B-Instruct', ['Llama-3.1-70B', 'meta-llama/Llama-3.1-70B'], 70.6e9, 80, 8192, 64, 8, 28672, 128256, 131072),
  llama('meta-llama/Llama-3.1-405B-Instruct', ['Llama-3.1-405B', 'meta-llama/Llama-3.1-405B', 'Hermes-3-Llama-3.1-405B', 'NousResearch/Hermes-3-Llama-3.1-405B'], 405.85e9, 126, 16384, 128, 8, 53248, 128256, 131072),
  llama('meta-llama/Llama-3.2-1B-Instruct', ['Llama-3.2-1B'], 1.24e9, 16, 2048, 32, 8, 8192, 128256, 131072, 64),
  llama('Qwen/Qwen3-8B', ['qwen3-8b', 'Qwen3-8B'], 8.19e9, 36, 4096, 32, 8, 12288, 151936, 40960, 128),
  llama('Qwen/Qwen3-0.6B', ['qwen3-0.6b', 'Qwen3-0.6B'], 0.6e9, 28, 1024, 16, 8, 3072, 151936, 40960, 128),
  llama('Qwen/Qwen2.5-7B-Instruct', ['Qwen2.5-7B'], 7.62e9, 28, 3584, 28, 4, 18944, 152064, 32768),
  llama('mistralai/Mistral-7B-Instruct-v0.3', ['Mistral-7B'], 7.25e9, 32, 4096, 32, 8, 14336, 32768, 32768),
  llama('mistralai/Mistral-Large-Instruct-2407', ['Mistral-Large-2407', 'Mistral-Large-Instruct-2407'], 122.6e9, 88, 12288, 96, 8, 28672, 32768, 131072),
  llama('facebook/opt-125m', ['opt-125m'], 125e6, 12, 768, 12, 12, 3072, 50272, 2048),
  // mixture of experts: totals and shapes from each model's config.json and model card (active: 3.3B, 22B, 12.9B, 39B, 2.7B, 2.4B)
  moe(llama('Qwen/Qwen3-30B-A3B', ['Qwen3-30B-A3B', 'qwen3-30b-a3b'], 30.5e9, 48, 2048, 32, 4, 6144, 151936, 40960, 128), { num_experts: 128, experts_per_token: 8, expert_intermediate_size: 768 }),
  moe(llama('Qwen/Qwen3-235B-A22B', ['Qwen3-235B-A22B'], 235e9, 94, 4096, 64, 4, 12288, 151936, 40960, 128), { num_experts: 128, experts_per_token: 8, expert_intermediate_size: 1536 }),
  moe(llama('mistralai/Mixtral-8x7B-Instruct-v0.1', ['Mixtral-8x7B', 'mistralai/Mixtral-8x7B-v0.1', 'Mixtral-8x7B-Instruct'], 46.7e9, 32, 4096, 32, 8, 14336, 32000, 32768), { num_experts: 8, experts_per_token: 2, expert_intermediate_size: 14336 }),
  moe(llama('mistralai/Mixtral-8x22B-Instruct-v0.1', ['Mixtral-8x22B', 'mistralai/Mixtral-8x22B-v0.1'], 140.6e9, 56, 6144, 48, 8, 16384, 32768, 65536), { num_experts: 8, experts_per_token: 2, expert_intermediate_size: 16384 }),
  // DeepSeekMoE-style: fine-grained routed experts plus always-active shared experts
  moe(llama('Qwen/Qwen1.5-MoE-A2.7B', ['Qwen1.5-MoE-A2.7B', 'Qwen/Qwen1.5-MoE-A2.7B-Chat'], 14.3e9, 24, 2048, 16, 16, 5632, 151936, 8192), { num_experts: 60, experts_per_token: 4, expert_intermediate_size: 1408, shared_intermediate_size: 5632 }),
  // MLA: the cache keeps a 512-element latent plus a 64-element rope key per layer; heads are 192 wide for q·k
  moe(llama('deepseek-ai/DeepSeek-V2-Lite-Chat', ['DeepSeek-V2-Lite', 'deepseek-ai/DeepSeek-V2-Lite'], 15.7e9, 27, 2048, 16, 16, 10944, 102400, 163840, 192), { num_experts: 64, experts_per_token: 6, expert_intermediate_size: 1408, moe_layers: 26, shared_intermediate_size: 2 * 1408 }, { mla_kv_dim: 576 }),
  // embedding models (vLLM serves them with the pooling runner): shapes from config.json, dimensions from the model cards
  embedder(llama('BAAI/bge-small-en-v1.5', ['bge-small', 'bge-small-en-v1.5'], 33.4e6, 12, 384, 12, 12, 1536, BERT_VOCAB, 512), 384, false, true),
  embedder(llama('BAAI/bge-base-en-v1.5', ['bge-base', 'bge-base-en-v1.5'], 109e6, 12, 768, 12, 12, 3072, BERT_VOCAB, 512), 768, false, true),
  embedder(llama('BAAI/bge-large-en-v1.5', ['bge-large', 'bge-large-en-v1.5'], 335e6, 24, 1024, 16, 16, 4096, BERT_VOCAB, 512), 1024, false, true),
  embedder(llama('BAAI/bge-m3', ['bge-m3'], 568e6, 24, 1024, 16, 16, 4096, XLMR_VOCAB, 8192), 1024, false, true),
  embedder(llama('intfloat/e5-small-v2', ['e5-small-v2'], 33.4e6, 12, 384, 12, 12, 1536, BERT_VOCAB, 512), 384, false, true),
  embedder(llama('intfloat/e5-base-v2', ['e5-base-v2'], 109e6, 12, 768, 12, 12, 3072, BERT_VOCAB, 512), 768, false, true),
  embedder(llama('intfloat/e5-large-v2', ['e5-large-v2'], 335e6, 24, 1024, 16, 16, 4096, BERT_VOCAB, 512), 1024, false, true),
  embedder(llama('intfloat/multilingual-e5-large', ['multilingual-e5-large'], 560e6, 24, 1024, 16, 16, 4096, XLMR_VOCAB, 512), 1024, false, true),
  embedder(llama('intfloat/e5-mistral-7b-instruct', ['e5-mistral-7b-instruct'], 7.11e9, 32, 4096, 32, 8, 14336, 32000, 32768), 4096, false, false),
  embedder(llama('sentence-transformers/all-MiniLM-L6-v2', ['all-MiniLM-L6-v2'], 22.7e6, 6, 384, 12, 12, 1536, BERT_VOCAB, 512), 384, false, true),
  embedder(llama('nomic-ai/nomic-embed-text-v1.5', ['nomic-embed-text-v1.5'], 137e6, 12, 768, 12, 12, 3072, 30528, 8192), 768, true, true),
  embedder(llama('Qwen/Qwen3-Embedding-0.6B', ['Qwen3-Embedding-0.6B'], 0.596e9, 28, 1024, 16, 8, 3072, 151669, 32768, 128), 1024, true, false),
  embedder(llama('Qwen/Qwen3-Embedding-4B', ['Qwen3-Embedding-4B'], 4.02e9, 36, 2560, 32, 8, 9728, 151665, 32768, 128), 2560, true, false),
  embedder(llama('Qwen/Qwen3-Embedding-8B', ['Qwen3-Embedding-8B'], 7.57e9, 36, 4096, 32, 8, 12288, 151665, 32768, 128), 4096, true, false),
];

function gpu(
  name: string,
  aliases: string[],
  labels: string[],
  memGb: number,
  tflops: number,
  bwGBps: number,
  linkGBps: number,
  extra: Partial<HardwareSpec> = {},
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
    ...extra,
  };
}

const BASE_HARDWARE: HardwareSpec[] = [
  // memory_total_gib: what torch.cuda.mem_get_info reports (vLLM logs it as total_gpu_memory); FP8/INT8 peaks dense
  gpu('H100-80G', ['H100', 'H100 SXM', 'H100-SXM', 'H100-SXM5-80GB'], ['NVIDIA-H100-80GB-HBM3', 'NVIDIA-H100-SXM5-80GB'], 80, 989, 3350, 450, { peak_fp8_TFLOPS: 1979, peak_int8_TOPS: 1979, memory_total_gib: 79.19, interconnect_kind: 'nvlink', host_cpu_factor: 1 }),
  gpu('H100-NVL', ['H100 NVL', 'H100-94G'], ['NVIDIA-H100-NVL'], 94, 835, 3900, 300, { peak_fp8_TFLOPS: 1671, peak_int8_TOPS: 1671, memory_total_gib: 93.1, interconnect_kind: 'nvlink', host_cpu_factor: 1 }),
  gpu('H100-PCIe', ['H100 PCIe'], ['NVIDIA-H100-PCIe'], 80, 756, 2000, 64, { peak_fp8_TFLOPS: 1513, peak_int8_TOPS: 1513, memory_total_gib: 79.19, interconnect_kind: 'pcie', host_cpu_factor: 1 }),
  gpu('H200', ['H200 SXM', 'H200-141G'], ['NVIDIA-H200', 'NVIDIA-H200-141GB-HBM3e'], 141, 989, 4800, 450, { peak_fp8_TFLOPS: 1979, peak_int8_TOPS: 1979, memory_total_gib: 139.8, interconnect_kind: 'nvlink', host_cpu_factor: 1 }),
  gpu('A100-80G', ['A100', 'A100 SXM', 'A100-SXM4-80GB'], ['NVIDIA-A100-SXM4-80GB', 'NVIDIA-A100-80GB-PCIe'], 80, 312, 2039, 300, { peak_int8_TOPS: 624, memory_total_gib: 79.15, interconnect_kind: 'nvlink', host_cpu_factor: 1.9 }),
  gpu('A100-40G', ['A100-SXM4-40GB'], ['NVIDIA-A100-SXM4-40GB', 'NVIDIA-A100-PCIE-40GB'], 40, 312, 1555, 300, { peak_int8_TOPS: 624, memory_total_gib: 39.39, interconnect_kind: 'nvlink', host_cpu_factor: 1.9 }),
  gpu('L40S', ['L40S-48G'], ['NVIDIA-L40S'], 48, 362, 864, 32, { peak_fp8_TFLOPS: 733, peak_int8_TOPS: 733, memory_total_gib: 44.4, interconnect_kind: 'pcie', host_cpu_factor: 1 }),
  gpu('L4', ['L4-24G'], ['NVIDIA-L4'], 24, 121, 300, 32, { peak_fp8_TFLOPS: 242, peak_int8_TOPS: 242, memory_total_gib: 22.03, interconnect_kind: 'pcie', host_cpu_factor: 1 }),
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
      interconnect_kind: 'none' as const,
      ...(parent.peak_fp8_TFLOPS ? { peak_fp8_TFLOPS: (parent.peak_fp8_TFLOPS * g) / 7 } : {}),
      ...(parent.peak_int8_TOPS ? { peak_int8_TOPS: (parent.peak_int8_TOPS * g) / 7 } : {}),
      host_cpu_factor: parent.host_cpu_factor,
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
  if (m.mla_kv_dim) return m.num_layers * m.mla_kv_dim * m.kv_bytes;
  return 2 * m.num_layers * m.num_kv_heads * m.head_dim * m.kv_bytes;
}

export { GIB };
