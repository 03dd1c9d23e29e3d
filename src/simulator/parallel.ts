/**
 * Cost of tensor- and pipeline-parallel communication per engine step. Every transformer layer all-reduces its
 * attention output and its MLP output (2 per layer) over the tensor-parallel group; a message is the step's tokens ×
 * hidden size in 16 bits. One all-reduce costs a fixed latency plus the ring's bytes over the link:
 *     t = latency + 2·(tp − 1)/tp · bytes / (link bandwidth · efficiency)
 * Decode messages are small (a 256-sequence batch of an 8B model is 2 MiB), so the latency term dominates and
 * grows with the group: on NVLink vLLM's custom all-reduce takes a few µs plus ~1 µs per extra rank; over PCIe NCCL
 * rings pay tens of µs per hop. Pipeline stages hand the hidden state to the next stage once per step (one p2p send).
 */
import type { HardwareSpec } from './catalog.ts';

/** Communication factors (fitted with the rest of the efficiency factors). */
export interface CommFactors {
  /** Fraction of the link bandwidth an all-reduce reaches. */
  comm_efficiency: number;
  /** Fixed latency of one all-reduce, µs (NVLink, custom all-reduce). */
  allreduce_latency_us: number;
}

/** Extra latency per additional rank (µs) and the latency multiplier of a PCIe group relative to NVLink. */
const PER_RANK_US = { nvlink: 1.2, pcie: 6, none: 6 } as const;
const PCIE_LATENCY_MULT = 4;

/** Time of one all-reduce of `bytes` over `tp` ranks of this hardware, seconds. */
export function allReduceTime(hw: HardwareSpec, tp: number, bytes: number, f: CommFactors): number {
  if (tp <= 1) return 0;
  const kind = hw.interconnect_kind ?? (hw.interconnect_GBps >= 200 ? 'nvlink' : 'pcie');
  const base = kind === 'nvlink' ? f.allreduce_latency_us : f.allreduce_latency_us * PCIE_LATENCY_MULT;
  const latency = (base + PER_RANK_US[kind] * (tp - 2)) * 1e-6;
  const bw = Math.max(hw.interconnect_GBps, 1) * 1e9 * f.comm_efficiency;
  return latency + ((2 * (tp - 1)) / tp) * (bytes / bw);
}

/** Tensor-parallel communication of one step: two all-reduces per layer of `tokens` × hidden 16-bit activations. */
export function tensorParallelTime(hw: HardwareSpec, tp: number, layers: number, hidden: number, tokens: number, f: CommFactors): number {
  if (tp <= 1 || tokens <= 0) return 0;
  return 2 * layers * allReduceTime(hw, tp, tokens * hidden * 2, f);
}

/** Pipeline hand-offs of one step: pp − 1 sends of the hidden state, each a latency plus bytes over the link. */
export function pipelineSendTime(hw: HardwareSpec, pp: number, hidden: number, tokens: number, f: CommFactors): number {
  if (pp <= 1 || tokens <= 0) return 0;
  const bw = Math.max(hw.interconnect_GBps, 1) * 1e9 * f.comm_efficiency;
  return (pp - 1) * (2 * f.allreduce_latency_us * 1e-6 + (tokens * hidden * 2) / bw);
}

/**
 * Expert-parallel dispatch and combine of one MoE layer: two all-to-alls moving each token's hidden state to its k
 * experts' ranks; (ep − 1)/ep of them leave the device.
 */
export function expertParallelTime(hw: HardwareSpec, ep: number, hidden: number, tokens: number, k: number, f: CommFactors): number {
  if (ep <= 1 || tokens <= 0) return 0;
  const bw = Math.max(hw.interconnect_GBps, 1) * 1e9 * f.comm_efficiency;
  const bytes = (tokens * k * hidden * 2 * (ep - 1)) / ep;
  return 2 * (f.allreduce_latency_us * 1e-6 + bytes / bw);
}
