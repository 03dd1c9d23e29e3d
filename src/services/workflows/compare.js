/**
 * Prediction against measurement: per metric the predicted and measured values and the relative error, and
 * calibration (`sim calibrate`'s fit) from a real run, kept per (model, hardware) so the next prediction uses it.
 */
import { eq, and } from 'drizzle-orm';
import { iso } from "../../core/http.js";
import { calibrate } from "../../simulator/index.js";
import { calibrations } from "./schema.js";
import { COMPARED_METRICS } from "./simulate.js";
/** Side by side, every compared metric either side has. */
export function compareMetrics(predicted, measured) {
    return COMPARED_METRICS.filter((k) => predicted[k] !== undefined || measured[k] !== undefined).map((k) => {
        const p = predicted[k] ?? null;
        const m = measured[k] ?? null;
        const error = p !== null && m !== null && m !== 0 ? Math.round((p / m - 1) * 10_000) / 10_000 : null;
        return { metric: k, predicted: p, measured: m, error };
    });
}
export function meanAbsError(rows) {
    const keys = new Set(['mean_ttft_ms', 'mean_tpot_ms', 'mean_itl_ms', 'mean_e2el_ms', 'request_throughput', 'output_throughput']);
    const errs = rows.filter((r) => keys.has(r.metric) && r.error !== null).map((r) => Math.abs(r.error));
    return errs.length ? Math.round((errs.reduce((a, b) => a + b, 0) / errs.length) * 10_000) / 10_000 : null;
}
/**
 * The measured run in the shape calibration reads: per-request lengths from the raw document's request records
 * (successful ones), the means and throughput from the measured metrics, concurrency from the plan.
 */
export function measuredRun(raw, measured, concurrency) {
    const reqs = Array.isArray(raw?.requests) ? raw.requests : [];
    const ok = reqs.filter((r) => r?.success && typeof r.prompt_len === 'number' && typeof r.output_tokens === 'number' && r.output_tokens > 0);
    if (!ok.length)
        throw new RangeError('the measured run has no per-request records with lengths to calibrate on');
    return {
        input_lens: ok.map((r) => r.prompt_len),
        output_lens: ok.map((r) => r.output_tokens),
        max_concurrency: concurrency,
        request_rate: 'inf',
        mean_ttft_ms: measured.mean_ttft_ms,
        mean_tpot_ms: measured.mean_tpot_ms,
        output_throughput: measured.output_throughput,
    };
}
/** Fits factors for the plan's deployment to the measured run. */
export function fit(sim, run, iterations = 12) {
    return calibrate({ model: sim.model, hardware: sim.hardware, tensor_parallel: sim.tensor_parallel, ...(sim.max_model_len ? { max_model_len: sim.max_model_len } : {}), ...(sim.factors ? { factors: sim.factors } : {}) }, run, iterations);
}
/** Calibration factors per (model, hardware). */
export class CalibrationStore {
    db;
    constructor(db) {
        this.db = db;
    }
    async get(model, hardware) {
        const [row] = await this.db.select().from(calibrations).where(and(eq(calibrations.model, model), eq(calibrations.hardware, hardware)));
        return row ? toRecord(row) : null;
    }
    async put(model, hardware, factors, fitInfo, runId) {
        const now = new Date();
        await this.db
            .insert(calibrations)
            .values({ model, hardware, factors, fit: fitInfo, runId, updatedAt: now })
            .onConflictDoUpdate({ target: [calibrations.model, calibrations.hardware], set: { factors, fit: fitInfo, runId, updatedAt: now } });
        return (await this.get(model, hardware));
    }
    async list() {
        const rows = await this.db.select().from(calibrations);
        return rows.map(toRecord);
    }
}
function toRecord(row) {
    return { model: row.model, hardware: row.hardware, factors: row.factors, fit: row.fit, run_id: row.runId, updated_at: iso(row.updatedAt) };
}
//# sourceMappingURL=compare.js.map