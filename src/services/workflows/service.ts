/**
 * The performance-benchmark workflow (seed 003): one POST per step (step 1 creates, later steps carry workflow_id,
 * re-sending a step changes it and marks what depended on it incomplete again), the merged state with every step's
 * status and what the trigger will do, and the trigger: a simulation answered in the request, or a real run driven in
 * the background (run.ts). Calibration from a real run is kept per (model, hardware) for the next prediction.
 */
import type { Logger } from 'pino';
import { AppError, conflict, notFound, unprocessable, type ValidationIssue } from '../../core/errors.ts';
import { iso } from '../../core/http.ts';
import type { CalibrationStore } from './compare.ts';
import { fit, measuredRun } from './compare.ts';
import type { CredentialRegistry } from './credentials.ts';
import type { DatasetRegistry, DatasetStats } from './datasets.ts';
import type { ModelRecord, ModelRegistry } from './models.ts';
import { buildPlan, withCalibration, type ExecutionPlan } from './plan.ts';
import type { WorkflowPorts } from './ports.ts';
import type { RunRow, WorkflowFilter, WorkflowRepository, WorkflowRow } from './repository.ts';
import type { RunDriver } from './run.ts';
import { pickMetrics, selectRows, simulate, SIMULATOR_SOURCE } from './simulate.ts';
import { dependents, missingSteps, STEP_NAMES, stepViews, validateStep, type StepBody, type StepDeps, type StepRecords, type WorkflowState } from './steps.ts';

export interface WorkflowServiceDeps {
  repo: WorkflowRepository;
  datasets: DatasetRegistry;
  models: ModelRegistry;
  credentials: CredentialRegistry;
  calibrations: CalibrationStore;
  ports: WorkflowPorts;
  driver: () => RunDriver;
  log: Logger;
}

/** A run as the API shows it. */
export function runView(r: RunRow) {
  return {
    run_id: r.id,
    workflow_id: r.workflowId,
    mode: r.mode as 'simulation' | 'cluster',
    status: r.status,
    stage: r.stage,
    plan: r.plan as ExecutionPlan,
    progress: r.progress ?? null,
    queue_request_id: r.queueRequestId,
    deployment_id: r.deploymentId,
    job_deployment_id: r.jobDeploymentId,
    result_run_id: r.resultRunId,
    result_pk: r.resultPk,
    metrics: r.metrics ?? null,
    comparison: r.comparison ?? null,
    error: (r.error as { stage: string; message: string } | null) ?? null,
    wall_time_s: r.wallMs === null ? null : Math.round(r.wallMs) / 1000,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    finished_at: iso(r.finishedAt),
  };
}

/** Fields the step-lock re-checks: a step validated against them must not see them change before it is stored. */
const DEPENDS_ON: Record<number, (keyof WorkflowState)[]> = { 2: ['eval_with', 'model_id'], 4: ['cluster_id'], 5: ['max_input_tokens', 'max_output_tokens', 'eval_with'] };

export class WorkflowService {
  constructor(private readonly d: WorkflowServiceDeps) {}

  private stepDeps(): StepDeps {
    return {
      missingDatasets: (ids) => this.d.datasets.missing(ids),
      model: (id) => this.d.models.find(id),
      credentialExists: (id) => this.d.credentials.exists(id),
      cluster: (id) => this.d.ports.cluster(id),
      nodes: (id) => this.d.ports.nodes(id),
    };
  }

  /** One step. Returns the workflow after it (and the run, when step 8 triggered one). */
  async postStep(body: StepBody) {
    const step = body.step_number;
    if (body.workflow_id !== undefined && body.workflow_total_steps !== undefined) {
      throw unprocessable(['body', 'workflow_total_steps'], 'send workflow_total_steps (step 1 creating a workflow) or workflow_id (any later post), not both');
    }
    if (body.workflow_id === undefined) {
      if (step !== 1) throw unprocessable(['body', 'workflow_id'], 'Field required: steps after 1 carry the workflow_id that step 1 returned', 'missing');
      if (body.workflow_total_steps === undefined) throw unprocessable(['body', 'workflow_total_steps'], 'Field required: step 1 gives workflow_total_steps', 'missing');
      const out = await validateStep(body, null, this.stepDeps());
      const state = out.patch as WorkflowState;
      const steps: StepRecords = { '1': { status: 'complete', updated_at: new Date().toISOString(), invalidated_by: null } };
      const row = await this.d.repo.insert({ name: state.name, totalSteps: body.workflow_total_steps, state, steps, status: 'draft' });
      return { created: true, workflow: await this.view(row), warnings: out.warnings };
    }
    const id = body.workflow_id;
    const current = await this.d.repo.get(id);
    if (!current) throw notFound(`Workflow ${id} not found`);
    const before = current.state as WorkflowState;
    const out = await validateStep(body, before, this.stepDeps());
    const row = await this.d.repo.withLocked(id, async (locked, tx) => {
      if (!locked) throw notFound(`Workflow ${id} not found`);
      const now = locked.state as WorkflowState;
      const moved = (DEPENDS_ON[step] ?? []).filter((k) => JSON.stringify(now[k] ?? null) !== JSON.stringify(before[k] ?? null));
      if (moved.length) throw conflict(`${moved.join(', ')} changed while step ${step} was being checked; send step ${step} again`);
      const after: WorkflowState = { ...now, ...out.patch };
      const records: StepRecords = { ...(locked.steps as StepRecords) };
      const stamp = new Date().toISOString();
      for (const dep of dependents(step, now, after)) {
        for (const f of dep.clear) (after as unknown as Record<string, unknown>)[f] = null;
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
      const run = await this.trigger((await this.d.repo.get(id)) ?? row, body.run_as_simulation!);
      return { created: false, workflow: await this.view((await this.d.repo.get(id))!), warnings: [...out.warnings, ...run.plan.warnings], run };
    }
    return { created: false, workflow: await this.view((await this.d.repo.get(id)) ?? row), warnings: out.warnings };
  }

  /** draft | ready | running | simulated | completed | failed. */
  private async statusOf(id: string, state: WorkflowState, records: StepRecords): Promise<string> {
    const model = state.model_id ? await this.d.models.find(state.model_id) : undefined;
    return deriveStatus(await this.d.repo.runsOf(id, STATUS_RUNS), missingSteps(stepViews(records, model)).length === 0);
  }

  /** Called when a run ends. */
  async refreshStatus(id: string): Promise<void> {
    const row = await this.d.repo.get(id);
    if (!row) return;
    await this.d.repo.update(id, { status: await this.statusOf(id, row.state as WorkflowState, row.steps as StepRecords) });
  }

  private async datasetStats(ids: string[]): Promise<Array<{ id: string; name: string; rows: number; stats: DatasetStats }>> {
    const out = [];
    for (const id of ids) {
      const d = await this.d.datasets.get(id).catch(() => null);
      if (d) out.push({ id: d.id, name: d.name, rows: d.rows, stats: d.stats });
    }
    return out;
  }

  /** The plan for the workflow as it stands (calibration applied); throws AppError 422 when it cannot run. */
  async planFor(row: WorkflowRow, runAsSimulation: boolean, model?: ModelRecord): Promise<ExecutionPlan> {
    const st = row.state as WorkflowState;
    const m = model ?? (st.model_id ? await this.d.models.find(st.model_id) : undefined);
    if (!m) throw unprocessable(['body', 'model_id'], 'choose the model (step 5)', 'step_incomplete');
    const ds = st.eval_with === 'dataset' ? await this.datasetStats(st.dataset_ids ?? []) : [];
    const plan = buildPlan({ state: st, model: m, datasets: ds, runAsSimulation });
    const cal = plan.simulator ? await this.d.calibrations.get(plan.simulator.model, plan.simulator.hardware) : null;
    return withCalibration(plan, cal);
  }

  /** Checks the trigger's preconditions again, live: everything the steps named still exists. */
  private async revalidate(row: WorkflowRow, model: ModelRecord | undefined, cluster: boolean): Promise<void> {
    const st = row.state as WorkflowState;
    const issues: ValidationIssue[] = [];
    if (!model) issues.push({ loc: ['body', 'model_id'], msg: `Model ${st.model_id} no longer exists (re-send step 5)`, type: 'not_found' });
    if (st.eval_with === 'dataset') {
      const missing = await this.d.datasets.missing(st.dataset_ids ?? []);
      for (const id of missing) issues.push({ loc: ['body', 'datset_ids'], msg: `Dataset ${id} no longer exists (re-send step 2)`, type: 'not_found' });
    }
    if (model?.kind === 'cloud') {
      const cred = st.credential_id ?? model.credentialId;
      if (!cred || !(await this.d.credentials.exists(cred))) issues.push({ loc: ['body', 'credential_id'], msg: 'the cloud model\'s credential no longer exists (re-send step 6)', type: 'not_found' });
    } else if (cluster && model) {
      if (!(await this.d.ports.cluster(st.cluster_id!))) issues.push({ loc: ['body', 'cluster_id'], msg: `Cluster ${st.cluster_id} no longer exists (re-send step 3)`, type: 'not_found' });
      else {
        const live = await this.d.ports.nodes(st.cluster_id!);
        for (const [i, n] of (st.nodes ?? []).entries()) {
          const l = live.find((x) => x.hostname === n.hostname);
          if (!l) issues.push({ loc: ['body', 'nodes', i, 'hostname'], msg: `node ${n.hostname} left cluster ${st.cluster_id} (re-send step 4)`, type: 'not_found' });
          else if (l.status !== 'Ready') issues.push({ loc: ['body', 'nodes', i, 'status'], msg: `node ${n.hostname} is ${l.status}, not Ready`, type: 'not_ready' });
        }
      }
    }
    if (issues.length) throw new AppError(422, issues.map((i) => i.msg).join('; '), 'validation', issues);
  }

  /** Step 8 with trigger_workflow: refuses while a required step is incomplete (and says which). */
  async trigger(row: WorkflowRow, runAsSimulation: boolean) {
    const st = row.state as WorkflowState;
    const model = st.model_id ? await this.d.models.find(st.model_id) : undefined;
    const missing = missingSteps(stepViews(row.steps as StepRecords, model));
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
    if (active) throw conflict(`Workflow ${row.id} has a ${active.mode} run in progress (${active.id}); wait for it or cancel it`);
    const plan = await this.planFor(row, runAsSimulation, model);
    if (runAsSimulation) {
      if (!plan.simulator) throw unprocessable(['body', 'run_as_simulation'], `cannot simulate: ${plan.simulator_error}`);
      return this.runSimulation(row, plan);
    }
    const run = await this.d.repo.insertRun({ workflowId: row.id, mode: 'cluster', status: 'running', stage: 'queued', plan });
    const withId = (await this.d.repo.updateRun(run.id, { resultRunId: `wf-${run.id}` }))!;
    await this.refreshStatus(row.id);
    this.d.driver().wake();
    return runView(withId);
  }

  private async runSimulation(row: WorkflowRow, plan: ExecutionPlan) {
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
      return runView(done!);
    } catch (e: any) {
      const stage = e instanceof AppError ? 'results' : 'simulation';
      const failed = await this.d.repo.updateRun(run.id, { status: 'failed', stage, error: { stage, message: String(e?.message ?? e) }, finishedAt: new Date(), wallMs: Date.now() - run.createdAt.getTime() });
      await this.refreshStatus(row.id);
      this.d.log.warn({ workflow: row.id, run: run.id, stage, err: e?.message }, 'workflow simulation failed');
      return runView(failed!);
    }
  }

  /** Cancels the active real run (its cleanup runs in the background). */
  async cancel(id: string) {
    if (!(await this.d.repo.get(id))) throw notFound(`Workflow ${id} not found`);
    const active = await this.d.repo.activeRun(id);
    if (!active || active.mode !== 'cluster') throw conflict(`Workflow ${id} has no run on a cluster in progress`);
    const row = await this.d.repo.updateRun(active.id, { status: 'cancelling' });
    this.d.driver().wake();
    return runView(row!);
  }

  /** Fits simulator factors to a completed real run and keeps them for (model, hardware). */
  async calibrate(id: string, runId?: string) {
    if (!(await this.d.repo.get(id))) throw notFound(`Workflow ${id} not found`);
    const runs = await this.d.repo.runsOf(id, 50);
    const run = runId ? runs.find((r) => r.id === runId) : runs.find((r) => r.mode === 'cluster' && r.status === 'completed');
    if (!run) throw conflict(runId ? `Run ${runId} is not a run of workflow ${id}` : `Workflow ${id} has no completed run on a cluster to calibrate on`);
    if (run.mode !== 'cluster' || run.status !== 'completed' || !run.resultPk) throw conflict(`Run ${run.id} is not a completed run on a cluster`);
    const plan = run.plan as ExecutionPlan;
    if (!plan.simulator) throw unprocessable(['body', 'run_id'], `run ${run.id} cannot be simulated: ${plan.simulator_error}`);
    const raw = await this.d.ports.results().getRaw(run.resultPk);
    let measured;
    try {
      measured = measuredRun(raw.data, run.metrics as Record<string, number>, plan.workload.concurrent_requests);
    } catch (e) {
      throw unprocessable(['body', 'run_id'], (e as Error).message);
    }
    const res = await fit(plan.simulator, measured);
    const rec = await this.d.calibrations.put(plan.simulator.model, plan.simulator.hardware, res.factors, { before: res.before, after: res.after, iterations: res.iterations }, run.id);
    return { model: rec.model, hardware: rec.hardware, factors: res.factors, before: res.before, after: res.after, iterations: res.iterations, run_id: run.id, updated_at: rec.updated_at };
  }

  async get(id: string) {
    const row = await this.d.repo.get(id);
    if (!row) throw notFound(`Workflow ${id} not found`);
    return this.view(row);
  }

  async list(f: WorkflowFilter) {
    const { rows, total } = await this.d.repo.list(f);
    return { items: rows.map(summaryView), total };
  }

  async remove(id: string): Promise<void> {
    if (!(await this.d.repo.get(id))) throw notFound(`Workflow ${id} not found`);
    const active = await this.d.repo.activeRun(id);
    if (active?.mode === 'cluster') throw conflict(`Workflow ${id} has a run on a cluster in progress (${active.id}): cancel it first (POST /workflows/performance/${id}/cancel)`);
    await this.d.repo.remove(id);
  }

  /** The merged state, every step's status, what the trigger will do, and the runs. */
  async view(row: WorkflowRow) {
    const st = row.state as WorkflowState;
    const model = st.model_id ? await this.d.models.find(st.model_id) : undefined;
    const steps = stepViews(row.steps as StepRecords, model);
    const missing = missingSteps(steps);
    const runAsSimulation = st.run_as_simulation ?? true;
    let plan: ExecutionPlan | null = null;
    let planError: string | null = null;
    if (model && (row.steps as StepRecords)['2']?.status === 'complete') {
      try {
        plan = await this.planFor(row, runAsSimulation, model);
      } catch (e: any) {
        planError = e?.issues?.[0]?.msg ?? e?.message ?? String(e);
      }
    } else planError = 'the trigger needs the evaluation details (step 2) and the model (step 5)';
    const runs = await this.d.repo.runsOf(row.id, 20);
    const lastSim = runs.find((r) => r.mode === 'simulation');
    const lastRun = runs.find((r) => r.mode === 'cluster');
    const currentStep = steps.find((s) => s.required && s.status !== 'complete')?.step_number ?? 8;
    return {
      ...summaryView(row),
      // from the runs just read: the stored status is written after a run's own end, so a reader between the two writes
      // would see a failed run in a workflow still "running"
      status: deriveStatus(runs.slice(0, STATUS_RUNS), missing.length === 0),
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

/** How many of the latest runs the status is taken from. */
const STATUS_RUNS = 5;

/** A workflow's status from its latest runs (newest first) and whether every required step is complete. */
function deriveStatus(runs: { status: string; mode: string }[], stepsComplete: boolean): string {
  if (runs.some((r) => r.status === 'running' || r.status === 'cancelling')) return 'running';
  if (runs[0]?.status === 'failed') return 'failed';
  if (runs.some((r) => r.mode === 'cluster' && r.status === 'completed')) return 'completed';
  if (runs.some((r) => r.mode === 'simulation' && r.status === 'completed')) return 'simulated';
  return stepsComplete ? 'ready' : 'draft';
}

function summaryView(row: WorkflowRow) {
  const st = row.state as WorkflowState;
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
