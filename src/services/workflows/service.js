import { AppError, conflict, notFound, unprocessable } from "../../core/errors.js";
import { iso } from "../../core/http.js";
import { fit, measuredRun } from "./compare.js";
import { buildPlan, withCalibration } from "./plan.js";
import { pickMetrics, selectRows, simulate, SIMULATOR_SOURCE } from "./simulate.js";
import { dependents, missingSteps, STEP_NAMES, stepViews, validateStep } from "./steps.js";
/** A run as the API shows it. */
export function runView(r) {
    return {
        run_id: r.id,
        workflow_id: r.workflowId,
        mode: r.mode,
        status: r.status,
        stage: r.stage,
        plan: r.plan,
        progress: r.progress ?? null,
        queue_request_id: r.queueRequestId,
        deployment_id: r.deploymentId,
        job_deployment_id: r.jobDeploymentId,
        result_run_id: r.resultRunId,
        result_pk: r.resultPk,
        metrics: r.metrics ?? null,
        comparison: r.comparison ?? null,
        error: r.error ?? null,
        wall_time_s: r.wallMs === null ? null : Math.round(r.wallMs) / 1000,
        created_at: iso(r.createdAt),
        updated_at: iso(r.updatedAt),
        finished_at: iso(r.finishedAt),
    };
}
/** Fields the step-lock re-checks: a step validated against them must not see them change before it is stored. */
const DEPENDS_ON = { 2: ['eval_with', 'model_id'], 4: ['cluster_id'], 5: ['max_input_tokens', 'max_output_tokens', 'eval_with'] };
export class WorkflowService {
    d;
    constructor(d) {
        this.d = d;
    }
    stepDeps() {
        return {
            missingDatasets: (ids) => this.d.datasets.missing(ids),
            model: (id) => this.d.models.find(id),
            credentialExists: (id) => this.d.credentials.exists(id),
            cluster: (id) => this.d.ports.cluster(id),
            nodes: (id) => this.d.ports.nodes(id),
        };
    }
    /** One step. Returns the workflow after it (and the run, when step 8 triggered one). */
    async postStep(body) {
        const step = body.step_number;
        if (body.workflow_id !== undefined && body.workflow_total_steps !== undefined) {
            throw unprocessable(['body', 'workflow_total_steps'], 'send workflow_total_steps (step 1 creating a workflow) or workflow_id (any later post), not both');
        }
        if (body.workflow_id === undefined) {
            if (step !== 1)
                throw unprocessable(['body', 'workflow_id'], 'Field required: steps after 1 carry the workflow_id that step 1 returned', 'missing');
            if (body.workflow_total_steps === undefined)
                throw unprocessable(['body', 'workflow_total_steps'], 'Field required: step 1 gives workflow_total_steps', 'missing');
            const out = await validateStep(body, null, this.stepDeps());
            const state = out.patch;
            const steps = { '1': { status: 'complete', updated_at: new Date().toISOString(), invalidated_by: null } };
            const row = await this.d.repo.insert({ name: state.name, totalSteps: body.workflow_total_steps, state, steps, status: 'draft' });
            return { created: true, workflow: await this.view(row), warnings: out.warnings };
        }
        const id = body.workflow_id;
        const current = await this.d.repo.get(id);
        if (!current)
            throw notFound(`Workflow ${id} not found`);
        const before = current.state;
        const out = await validateStep(body, before, this.stepDeps());
        const row = await this.d.repo.withLocked(id, async (locked, tx) => {
            if (!locked)
                throw notFound(`Workflow ${id} not found`);
            const now = locked.state;
            const moved = (DEPENDS_ON[step] ?? []).filter((k) => JSON.stringify(now[k] ?? null) !== JSON.stringify(before[k] ?? null));
            if (moved.length)
                throw conflict(`${moved.join(', ')} changed while step ${step} was being checked; send step ${step} again`);
            const after = { ...now, ...out.patch };
            const records = { ...locked.steps };
            const stamp = new Date().toISOString();
            for (const dep of dependents(step, now, after)) {
                for (const f of dep.clear)
                    after[f] = null;
                const r = records[String(dep.step)];
                if (r?.status === 'complete') {
                    records[String(dep.step)] = { status: 'incomplete', updated_at: stamp, invalidated_by: step };
                    out.warnings.push(`step ${dep.step} (${STEP_NAMES[dep.step]}) is incomplete again: step ${step} changed`);
                }
            }
            records[String(step)] = { status: 'complete', updated_at: stamp, invalidated_by: null };
            return this.d.repo.update(id, { state: after, steps: records, name: after.name }, tx);
        });
        // outside the transaction: PGlite runs one query at a time, so no other query may wait inside it
        await this.refreshStatus(id);
        if (step === 8 && body.trigger_workflow) {
            const run = await this.trigger((await this.d.repo.get(id)) ?? row, body.run_as_simulation);
            return { created: false, workflow: await this.view((await this.d.repo.get(id))), warnings: [...out.warnings, ...run.plan.warnings], run };
        }
        return { created: false, workflow: await this.view((await this.d.repo.get(id)) ?? row), warnings: out.warnings };
    }
    /** draft | ready | running | simulated | completed | failed. */
    async statusOf(id, state, records) {
        const runs = await this.d.repo.runsOf(id, 5);
        if (runs.some((r) => r.status === 'running' || r.status === 'cancelling'))
            return 'running';
        const model = state.model_id ? await this.d.models.find(state.model_id) : undefined;
        const last = runs[0];
        if (last?.status === 'failed')
            return 'failed';
        if (runs.some((r) => r.mode === 'cluster' && r.status === 'completed'))
            return 'completed';
        if (runs.some((r) => r.mode === 'simulation' && r.status === 'completed'))
            return 'simulated';
        return missingSteps(stepViews(records, model)).length ? 'draft' : 'ready';
    }
    /** Called when a run ends. */
    async refreshStatus(id) {
        const row = await this.d.repo.get(id);
        if (!row)
            return;
        await this.d.repo.update(id, { status: await this.statusOf(id, row.state, row.steps) });
    }
    async datasetStats(ids) {
        const out = [];
        for (const id of ids) {
            const d = await this.d.datasets.get(id).catch(() => null);
            if (d)
                out.push({ id: d.id, name: d.name, rows: d.rows, stats: d.stats });
        }
        return out;
    }
    /** The plan for the workflow as it stands (calibration applied); throws AppError 422 when it cannot run. */
    async planFor(row, runAsSimulation, model) {
        const st = row.state;
        const m = model ?? (st.model_id ? await this.d.models.find(st.model_id) : undefined);
        if (!m)
            throw unprocessable(['body', 'model_id'], 'choose the model (step 5)', 'step_incomplete');
        const ds = st.eval_with === 'dataset' ? await this.datasetStats(st.dataset_ids ?? []) : [];
        const plan = buildPlan({ state: st, model: m, datasets: ds, runAsSimulation });
        const cal = plan.simulator ? await this.d.calibrations.get(plan.simulator.model, plan.simulator.hardware) : null;
        return withCalibration(plan, cal);
    }
    /** Checks the trigger's preconditions again, live: everything the steps named still exists. */
    async revalidate(row, model, cluster) {
        const st = row.state;
        const issues = [];
        if (!model)
            issues.push({ loc: ['body', 'model_id'], msg: `Model ${st.model_id} no longer exists (re-send step 5)`, type: 'not_found' });
        if (st.eval_with === 'dataset') {
            const missing = await this.d.datasets.missing(st.dataset_ids ?? []);
            for (const id of missing)
                issues.push({ loc: ['body', 'datset_ids'], msg: `Dataset ${id} no longer exists (re-send step 2)`, type: 'not_found' });
        }
        if (model?.kind === 'cloud') {
            const cred = st.credential_id ?? model.credentialId;
            if (!cred || !(await this.d.credentials.exists(cred)))
                issues.push({ loc: ['body', 'credential_id'], msg: 'the cloud model\'s credential no longer exists (re-send step 6)', type: 'not_found' });
        }
        else if (cluster && model) {
            if (!(await this.d.ports.cluster(st.cluster_id)))
                issues.push({ loc: ['body', 'cluster_id'], msg: `Cluster ${st.cluster_id} no longer exists (re-send step 3)`, type: 'not_found' });
            else {
                const live = await this.d.ports.nodes(st.cluster_id);
                for (const [i, n] of (st.nodes ?? []).entries()) {
                    const l = live.find((x) => x.hostname === n.hostname);
                    if (!l)
                        issues.push({ loc: ['body', 'nodes', i, 'hostname'], msg: `node ${n.hostname} left cluster ${st.cluster_id} (re-send step 4)`, type: 'not_found' });
                    else if (l.status !== 'Ready')
                        issues.push({ loc: ['body', 'nodes', i, 'status'], msg: `node ${n.hostname} is ${l.status}, not Ready`, type: 'not_ready' });
                }
            }
        }
        if (issues.length)
            throw new AppError(422, issues.map((i) => i.msg).join('; '), 'validation', issues);
    }
    /** Step 8 with trigger_workflow: refuses while a required step is incomplete (and says which). */
    async trigger(row, runAsSimulation) {
        const st = row.state;
        const model = st.model_id ? await this.d.models.find(st.model_id) : undefined;
        const missing = missingSteps(stepViews(row.steps, model));
        if (missing.length) {
            const issues = missing.map((s) => ({
                loc: ['body', 'trigger_workflow'],
                msg: `step ${s.step_number} (${s.name}) is incomplete${s.invalidated_by ? ` since step ${s.invalidated_by} changed` : ''}`,
                type: 'step_incomplete',
            }));
            throw new AppError(422, issues.map((i) => i.msg).join('; '), 'validation', issues);
        }
        await this.revalidate(row, model, !runAsSimulation);
        const active = await this.d.repo.activeRun(row.id);
        if (active)
            throw conflict(`Workflow ${row.id} has a ${active.mode} run in progress (${active.id}); wait for it or cancel it`);
        const plan = await this.planFor(row, runAsSimulation, model);
        if (runAsSimulation) {
            if (!plan.simulator)
                throw unprocessable(['body', 'run_as_simulation'], `cannot simulate: ${plan.simulator_error}`);
            return this.runSimulation(row, plan);
        }
        const run = await this.d.repo.insertRun({ workflowId: row.id, mode: 'cluster', status: 'running', stage: 'queued', plan });
        const withId = (await this.d.repo.updateRun(run.id, { resultRunId: `wf-${run.id}` }));
        await this.refreshStatus(row.id);
        this.d.driver().wake();
        return runView(withId);
    }
    async runSimulation(row, plan) {
        const run = await this.d.repo.insertRun({ workflowId: row.id, mode: 'simulation', status: 'running', stage: 'simulating', plan });
        const resultRunId = `wf-sim-${run.id}`;
        try {
            const rows = plan.workload.eval_with === 'dataset' ? selectRows(await this.d.datasets.load(plan.workload.datasets.map((x) => x.id)), plan.workload.num_prompts) : null;
            const sim = await simulate(plan, rows, { workflow_id: row.id, run_id: run.id });
            const saved = await this.d.ports.results().postStandardized({
                run_id: resultRunId,
                benchmark_name: plan.workload.benchmark_name,
                model_id: plan.model.served_model_name,
                tokenizer_id: plan.model.model_name,
                source: SIMULATOR_SOURCE,
                timestamp: new Date().toISOString(),
                data: sim.data,
            });
            const done = await this.d.repo.updateRun(run.id, {
                status: 'completed',
                stage: 'completed',
                resultRunId,
                resultPk: saved.pk,
                metrics: pickMetrics(sim.flat),
                progress: { compute_ms: Math.round(sim.compute_ms), rows_used: rows?.rows ?? null, rows_left_out: rows?.left_out ?? null },
                finishedAt: new Date(),
                wallMs: Date.now() - run.createdAt.getTime(),
            });
            await this.refreshStatus(row.id);
            return runView(done);
        }
        catch (e) {
            const stage = e instanceof AppError ? 'results' : 'simulation';
            const failed = await this.d.repo.updateRun(run.id, { status: 'failed', stage, error: { stage, message: String(e?.message ?? e) }, finishedAt: new Date(), wallMs: Date.now() - run.createdAt.getTime() });
            await this.refreshStatus(row.id);
            this.d.log.warn({ workflow: row.id, run: run.id, stage, err: e?.message }, 'workflow simulation failed');
            return runView(failed);
        }
    }
    /** Cancels the active real run (its cleanup runs in the background). */
    async cancel(id) {
        if (!(await this.d.repo.get(id)))
            throw notFound(`Workflow ${id} not found`);
        const active = await this.d.repo.activeRun(id);
        if (!active || active.mode !== 'cluster')
            throw conflict(`Workflow ${id} has no run on a cluster in progress`);
        const row = await this.d.repo.updateRun(active.id, { status: 'cancelling' });
        this.d.driver().wake();
        return runView(row);
    }
    /** Fits simulator factors to a completed real run and keeps them for (model, hardware). */
    async calibrate(id, runId) {
        if (!(await this.d.repo.get(id)))
            throw notFound(`Workflow ${id} not found`);
        const runs = await this.d.repo.runsOf(id, 50);
        const run = runId ? runs.find((r) => r.id === runId) : runs.find((r) => r.mode === 'cluster' && r.status === 'completed');
        if (!run)
            throw conflict(runId ? `Run ${runId} is not a run of workflow ${id}` : `Workflow ${id} has no completed run on a cluster to calibrate on`);
        if (run.mode !== 'cluster' || run.status !== 'completed' || !run.resultPk)
            throw conflict(`Run ${run.id} is not a completed run on a cluster`);
        const plan = run.plan;
        if (!plan.simulator)
            throw unprocessable(['body', 'run_id'], `run ${run.id} cannot be simulated: ${plan.simulator_error}`);
        const raw = await this.d.ports.results().getRaw(run.resultPk);
        let measured;
        try {
            measured = measuredRun(raw.data, run.metrics, plan.workload.concurrent_requests);
        }
        catch (e) {
            throw unprocessable(['body', 'run_id'], e.message);
        }
        const res = await fit(plan.simulator, measured);
        const rec = await this.d.calibrations.put(plan.simulator.model, plan.simulator.hardware, res.factors, { before: res.before, after: res.after, iterations: res.iterations }, run.id);
        return { model: rec.model, hardware: rec.hardware, factors: res.factors, before: res.before, after: res.after, iterations: res.iterations, run_id: run.id, updated_at: rec.updated_at };
    }
    async get(id) {
        const row = await this.d.repo.get(id);
        if (!row)
            throw notFound(`Workflow ${id} not found`);
        return this.view(row);
    }
    async list(f) {
        const { rows, total } = await this.d.repo.list(f);
        return { items: rows.map(summaryView), total };
    }
    async remove(id) {
        if (!(await this.d.repo.get(id)))
            throw notFound(`Workflow ${id} not found`);
        const active = await this.d.repo.activeRun(id);
        if (active?.mode === 'cluster')
            throw conflict(`Workflow ${id} has a run on a cluster in progress (${active.id}): cancel it first (POST /workflows/performance/${id}/cancel)`);
        await this.d.repo.remove(id);
    }
    /** The merged state, every step's status, what the trigger will do, and the runs. */
    async view(row) {
        const st = row.state;
        const model = st.model_id ? await this.d.models.find(st.model_id) : undefined;
        const steps = stepViews(row.steps, model);
        const missing = missingSteps(steps);
        const runAsSimulation = st.run_as_simulation ?? true;
        let plan = null;
        let planError = null;
        if (model && row.steps['2']?.status === 'complete') {
            try {
                plan = await this.planFor(row, runAsSimulation, model);
            }
            catch (e) {
                planError = e?.issues?.[0]?.msg ?? e?.message ?? String(e);
            }
        }
        else
            planError = 'the trigger needs the evaluation details (step 2) and the model (step 5)';
        const runs = await this.d.repo.runsOf(row.id, 20);
        const lastSim = runs.find((r) => r.mode === 'simulation');
        const lastRun = runs.find((r) => r.mode === 'cluster');
        const currentStep = steps.find((s) => s.required && s.status !== 'complete')?.step_number ?? 8;
        return {
            ...summaryView(row),
            current_step: currentStep,
            state: { ...st, credential_id: st.credential_id ?? null },
            steps,
            trigger: {
                ready: missing.length === 0,
                missing: missing.map((s) => ({ step_number: s.step_number, name: s.name, invalidated_by: s.invalidated_by })),
                run_as_simulation: runAsSimulation,
                action: plan?.action ?? null,
                plan,
                plan_error: planError,
            },
            latest_simulation: lastSim ? runView(lastSim) : null,
            latest_run: lastRun ? runView(lastRun) : null,
            comparison: lastRun?.comparison ?? null,
            runs: runs.map((r) => ({ run_id: r.id, mode: r.mode, status: r.status, stage: r.stage, result_pk: r.resultPk, created_at: iso(r.createdAt), finished_at: iso(r.finishedAt) })),
        };
    }
}
function summaryView(row) {
    const st = row.state;
    return {
        workflow_id: row.id,
        id: row.id,
        kind: row.kind,
        name: row.name,
        tags: st.tags,
        description: st.description,
        status: row.status,
        eval_with: st.eval_with,
        model_id: st.model_id ?? null,
        cluster_id: st.cluster_id ?? null,
        workflow_total_steps: row.totalSteps,
        created_at: iso(row.createdAt),
        updated_at: iso(row.updatedAt),
    };
}
//# sourceMappingURL=service.js.map