import { blockFromBenchJson } from "../../runner/perf.js";
import { predict } from "../../simulator/index.js";
import { DEFAULT_DATASET_OUTPUT_LEN } from "./datasets.js";
import { MAX_JOB_DATASET_BYTES } from "./plan.js";
export const SIMULATOR_SOURCE = 'simulator';
export function selectRows(loaded, numPrompts) {
    const lines = [];
    const samples = [];
    let bytes = 0;
    let total = 0;
    for (const d of loaded) {
        const rows = d.content.split('\n').filter((l) => l.length);
        total += rows.length;
        for (let i = 0; i < rows.length; i++) {
            if (samples.length >= numPrompts)
                break;
            const size = Buffer.byteLength(rows[i], 'utf8') + 1;
            if (bytes + size > MAX_JOB_DATASET_BYTES && samples.length)
                break;
            bytes += size;
            lines.push(rows[i]);
            samples.push({ prompt: '', prompt_len: d.input[i], expected_output_len: d.output[i] ?? DEFAULT_DATASET_OUTPUT_LEN });
        }
    }
    return { content: lines.join('\n') + '\n', samples, rows: samples.length, left_out: total - samples.length };
}
/** The plan's workload as the simulator's (the load generator's options without a URL). */
export function simulatorWorkload(plan, rows) {
    const w = plan.workload;
    const base = {
        backend: w.api === 'chat' ? 'chat' : 'completions',
        model: plan.model.served_model_name,
        num_prompts: w.num_prompts,
        max_concurrency: w.concurrent_requests,
        request_rate: Infinity,
        ignore_eos: true,
        seed: 0,
        goodput: w.goodput,
        percentile_metrics: 'ttft,tpot,itl,e2el',
        metric_percentiles: '50,90,95,99',
        label: w.benchmark_name,
    };
    if (w.eval_with === 'configuration')
        return { ...base, dataset_name: 'random', random_input_len: w.input_len, random_output_len: w.output_len };
    return { ...base, samples: rows.samples };
}
/** Runs the prediction; throws a RangeError when the workload cannot run on the plan's deployment. */
export async function simulate(plan, rows, ids) {
    const sim = plan.simulator;
    if (!sim)
        throw new RangeError(plan.simulator_error ?? 'the plan cannot be simulated');
    const t0 = performance.now();
    const report = await predict({
        model: sim.model,
        hardware: sim.hardware,
        tensor_parallel: sim.tensor_parallel,
        ...(sim.max_model_len ? { max_model_len: sim.max_model_len } : {}),
        ...(sim.factors ? { factors: sim.factors } : {}),
        workload: simulatorWorkload(plan, rows),
    });
    const compute_ms = performance.now() - t0;
    const { block, flat } = blockFromBenchJson(report, plan.workload.num_prompts);
    const data = {
        meta: {
            benchmark_name: plan.workload.benchmark_name,
            source: SIMULATOR_SOURCE,
            kind: 'performance',
            predicted: true,
            workflow_id: ids.workflow_id,
            workflow_run_id: ids.run_id,
            model: { id: plan.model.served_model_name, tokenizer_id: report.tokenizer_id, simulated_as: sim.model },
            hardware: sim.hardware,
            device_count: sim.device_count,
            tensor_parallel: sim.tensor_parallel,
            factors: report.prediction?.factors ?? null,
            calibration: sim.calibration,
            workload: plan.workload,
            compute_ms: Math.round(compute_ms),
        },
        results: {},
        performance: block,
    };
    return { data, block, flat, compute_ms };
}
/** The metrics a run is compared on (flat vLLM-style names), in a stable order. */
export const COMPARED_METRICS = [
    ...['ttft', 'tpot', 'itl', 'e2el'].flatMap((m) => ['mean', 'median', 'p90', 'p95', 'p99'].map((s) => `${s}_${m}_ms`)),
    'request_throughput',
    'output_throughput',
    'total_token_throughput',
    'request_goodput',
    'duration',
];
/** The compared metrics out of a flat metric map (absent ones left out). */
export function pickMetrics(flat) {
    const out = {};
    for (const k of [...COMPARED_METRICS, 'completed', 'failed'])
        if (typeof flat[k] === 'number' && Number.isFinite(flat[k]))
            out[k] = flat[k];
    return out;
}
/** Flat metrics of a standardized performance block (`performance.latency.ttft_ms.p99` → `p99_ttft_ms`). */
export function flatFromBlock(perf) {
    const out = {};
    for (const [metric, stats] of Object.entries(perf?.latency ?? {})) {
        const m = metric.replace(/_ms$/, '');
        for (const [stat, v] of Object.entries(stats ?? {}))
            if (typeof v === 'number')
                out[`${stat}_${m}_ms`] = v;
    }
    for (const [k, v] of Object.entries(perf?.throughput ?? {}))
        if (typeof v === 'number')
            out[k] = v;
    for (const k of ['completed', 'failed'])
        if (typeof perf?.summary?.[k] === 'number')
            out[k] = perf.summary[k];
    if (typeof perf?.summary?.duration_s === 'number')
        out.duration = perf.summary.duration_s;
    return out;
}
//# sourceMappingURL=simulate.js.map