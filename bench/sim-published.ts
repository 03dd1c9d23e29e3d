/**
 * Prediction accuracy against published vLLM measurements (bench/published-measurements.json: each row's source,
 * vLLM version, GPU, tensor parallel size, model, dtype and workload): `sim predict` with the simulator's defaults and
 * the row's own engine arguments, printed as predicted vs published per row, and the mean absolute percentage error
 * per metric over the rows the defaults were fitted on (bench/fit-published.ts) and over the held-out rows, overall
 * and per subset (GPU, vLLM version, model size). Run: npx tsx bench/sim-published.ts
 */
import { loadPublished, mape, METRICS, predictAll, type RowResult } from './published.ts';

const t = loadPublished();
const t0 = performance.now();
const res = await predictAll(t);
const short = (m: string) => m.replace('median_', '').replace('_ms', '').replace('output_throughput', 'tok/s');
const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '     –' : `${(x * 100).toFixed(1).padStart(5)} %`);

console.log('error = predicted / published − 1; sources:');
for (const [k, s] of Object.entries(t.sources)) console.log(`  ${k}: ${s.publisher}, ${s.url} (${s.section})`);
console.log('');
console.log(`${'row'.padEnd(54)} ${'split'.padEnd(8)} ${METRICS.map((m) => `${short(m)}: published → predicted (error)`.padEnd(40)).join(' ')}`);
for (const r of res) {
  const cells = METRICS.map((m) => {
    const pub = r.row.published[m];
    if (pub === undefined) return ''.padEnd(40);
    return `${pub.toFixed(1)} → ${r.predicted[m]!.toFixed(1)} (${r.error[m] === undefined ? 'excluded' : pct(r.error[m]).trim()})`.padEnd(40);
  });
  console.log(`${r.row.id.padEnd(54)} ${r.row.split.padEnd(8)} ${cells.join(' ')}`);
}

const subsets: Array<[string, (r: RowResult) => boolean]> = [
  ['all', () => true],
  ['lambda TP', (r) => r.row.source === 'lambda-tp'],
  ['lambda vers.', (r) => r.row.source === 'lambda-versions'],
  ['sglang 0.6.0', (r) => r.row.source === 'sglang-vllm060'],
  ['lambda 8B-Ins.', (r) => r.row.source === 'lambda-v054-scaling'],
  ['H100', (r) => r.row.gpu.startsWith('H100')],
  ['A100', (r) => r.row.gpu.startsWith('A100')],
  ['vLLM 0.5.4', (r) => r.row.vllm_version.startsWith('0.5')],
  ['vLLM 0.6.0', (r) => r.row.vllm_version.startsWith('0.6')],
  ['FP8', (r) => r.row.dtype === 'fp8'],
  ['BF16', (r) => r.row.dtype === 'bf16'],
  ['BF16 dense', (r) => r.row.dtype === 'bf16' && !/Mixtral/.test(r.row.model)],
  ['MoE', (r) => /Mixtral/.test(r.row.model)],
  ['dense', (r) => !/Mixtral/.test(r.row.model)],
  ['7B–8B', (r) => /(7B|8B)-/.test(r.row.model) && !/Mixtral/.test(r.row.model)],
  ['70B', (r) => /70B/.test(r.row.model)],
  ['123B–405B', (r) => /405B|Large/.test(r.row.model)],
  ['TP 1', (r) => r.row.tensor_parallel === 1],
  ['TP 2–8', (r) => r.row.tensor_parallel > 1],
  ['workload known', (r) => !r.row.workload_assumed],
];
for (const split of ['held-out', 'fit'] as const) {
  console.log(`\nMAPE over ${split} rows`);
  console.log(`${'subset'.padEnd(14)} rows  ${METRICS.map((m) => short(m).padStart(8)).join(' ')}`);
  for (const [name, f] of subsets) {
    const rows = res.filter((r) => r.row.split === split && f(r));
    if (!rows.length) continue;
    console.log(`${name.padEnd(14)} ${String(rows.length).padStart(4)}  ${METRICS.map((m) => pct(mape(rows, m)).padStart(8)).join(' ')}`);
  }
}
// what drives a held-out subset past the issue's 15 % goal: its rows with the largest error on that metric
const GOAL = 0.15;
console.log(`\nheld-out subsets above ${GOAL * 100} %: the rows with the largest error on that metric`);
for (const [name, f] of subsets) {
  const rows = res.filter((r) => r.row.split === 'held-out' && f(r));
  for (const m of METRICS) {
    if (!(mape(rows, m) > GOAL)) continue;
    const worst = rows
      .filter((r) => r.error[m] !== undefined)
      .sort((a, b) => Math.abs(b.error[m]!) - Math.abs(a.error[m]!))
      .slice(0, 3)
      .map((r) => `${r.row.id} ${pct(r.error[m]).trim()}`);
    console.log(`  ${name} ${short(m)} ${pct(mape(rows, m)).trim()}: ${worst.join(', ')}`);
  }
}
console.log(`\n${res.length} rows predicted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
