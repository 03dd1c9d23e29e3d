/**
 * The published-table check (bench/published-measurements.json): the simulator's defaults predict the held-out rows
 * (never used to fit them) within a tolerance a few points above what the model reaches, and a model that lost its
 * tensor-parallel cost structure (no per-layer floor, free all-reduces, free extra workers) — the error the issue
 * found — misses that tolerance. bench/sim-published.ts prints the same rows in full.
 */
import { describe, expect, it } from 'vitest';
import { loadPublished, mape, predictAll, type PublishedRow } from '../bench/published.ts';

// held-out MAPE the fitted defaults reach (bench/sim-published.ts: 9.5 %, 13.1 %, 9.8 % over 42 rows) plus about
// one point; the goal is 15 % (some subsets miss it: Lambda's own Llama-3-8B-Instruct TP 1 runs, the v0.5.4
// deep-queue 70B/405B rows, the SGLang team's A100 runs; README)
const TOLERANCE = { output_throughput: 0.105, median_tpot_ms: 0.142, median_itl_ms: 0.108 };

/** The split rule bench/published-measurements.json states (by source and pattern, fixed before fitting). */
function ruleSplit(r: PublishedRow): 'fit' | 'held-out' {
  const fitModel = /Llama-3\.1-8B-FP8|Llama-3\.1-70B-Instruct-FP8|Mistral-7B-Instruct-v0\.3/.test(r.model);
  if (r.source === 'lambda-tp') return fitModel && (r.tensor_parallel === 1 || r.tensor_parallel === 4) ? 'fit' : 'held-out';
  if (r.source === 'lambda-versions') return /8B/.test(r.model) ? 'fit' : 'held-out';
  return 'held-out';
}

describe('published vLLM measurements', () => {
  const table = loadPublished();
  const heldOut = table.rows.filter((r) => r.split === 'held-out');

  it('the table states its sources and every row says version, GPU, TP, model, dtype and workload', () => {
    expect(heldOut.length).toBeGreaterThanOrEqual(10);
    for (const r of table.rows) {
      expect(table.sources[r.source]?.url).toMatch(/^https:\/\//);
      expect(r.vllm_version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(r.tensor_parallel).toBeGreaterThanOrEqual(1);
      expect(table.workloads[r.workload.lengths].input_lens.length).toBeGreaterThan(0);
      expect(r.dtype).toMatch(/^(fp8|bf16)$/);
    }
    const tps = new Set(heldOut.map((r) => r.tensor_parallel));
    expect([...tps].sort()).toEqual([1, 2, 4, 8].filter((t) => tps.has(t)));
    expect(new Set(heldOut.map((r) => r.gpu))).toEqual(new Set(['A100-80G', 'H100-80G']));
    expect(new Set(heldOut.map((r) => r.dtype))).toEqual(new Set(['bf16', 'fp8']));
  });

  it('every row is split by the stated rule, not by its error', () => {
    expect(table.about).toMatch(/Split rule, fixed before fitting/);
    for (const r of table.rows) expect(r.split, r.id).toBe(ruleSplit(r));
    expect(heldOut.every((r) => table.sources[r.source])).toBe(true);
    expect(heldOut.some((r) => r.source === 'sglang-vllm060')).toBe(true);
  });

  it('held-out rows are predicted within the tolerance, and a TP-optimistic model is not', async () => {
    const res = await predictAll(table, heldOut);
    for (const [m, tol] of Object.entries(TOLERANCE) as Array<[keyof typeof TOLERANCE, number]>) expect(mape(res, m), m).toBeLessThan(tol);
    const optimistic = await predictAll(table, heldOut, { factors: () => ({ layer_floor_us: 0, allreduce_latency_us: 0.5, per_worker_ms: 0, roofline_blend: 0 }) });
    const worst = Math.max(...(Object.keys(TOLERANCE) as Array<keyof typeof TOLERANCE>).map((m) => mape(optimistic, m) / TOLERANCE[m]));
    expect(worst).toBeGreaterThan(1);
  }, 240_000);
});
