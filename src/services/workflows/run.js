import { AppError } from "../../core/errors.js";
import { compareMetrics, meanAbsError } from "./compare.js";
import { datasetPathFor, jobManifests } from "./job.js";
import { runnerConfig } from "./plan.js";
import { flatFromBlock, pickMetrics, selectRows, SIMULATOR_SOURCE } from "./simulate.js";
/** A stage failure: which stage and why. */
class StageError extends Error {
    stage;
    constructor(stage, message) {
        super(message);
        this.stage = stage;
    }
}
const ANNOTATION_RUN = 'benchops.io/workflow-run-id';
export class RunDriver {
    d;
    timer = null;
    ticking = null;
    again = false;
    stopped = true;
    constructor(d) {
        this.d = d;
    }
    start() {
        this.stopped = false;
        this.schedule(0);
    }
    async stop() {
        this.stopped = true;
        if (this.timer)
            clearTimeout(this.timer);
        this.timer = null;
        await this.ticking?.catch(() => { });
    }
    /** Looks at the runs now (a trigger or a cancel just happened). */
    wake() {
        if (this.stopped)
            return;
        if (this.ticking)
            this.again = true;
        else
            this.schedule(0);
    }
    schedule(ms) {
        if (this.stopped)
            return;
        if (this.timer)
            clearTimeout(this.timer);
        this.timer = setTimeout(() => {
            this.timer = null;
            this.ticking = this.tick()
                .catch((e) => this.d.log.warn({ err: e?.message }, 'workflow run pass failed'))
                .finally(() => {
                this.ticking = null;
                const again = this.again;
                this.again = false;
                this.schedule(again ? 0 : this.d.pollMs);
            });
        }, ms);
        this.timer.unref?.();
    }
    /** One pass: claims due runs and advances each as far as it can without waiting. */
    async tick() {
        const runs = await this.d.repo.claimRuns(this.d.owner, this.d.leaseMs, 10);
        await Promise.all(runs.map((r) => this.advance(r).catch((e) => this.d.log.warn({ run: r.id, err: e?.message }, 'workflow run step failed'))));
    }
    async save(run, set) {
        const row = await this.d.repo.updateRun(run.id, set, this.d.owner);
        if (!row)
            throw new Error(`lease on run ${run.id} lost`);
        Object.assign(run, row);
    }
    async advance(run) {
        const plan = run.plan;
        try {
            if (run.status === 'cancelling') {
                await this.cleanup(run, plan);
                await this.finish(run, { status: 'cancelled', stage: 'cancelled', error: { stage: run.stage, message: 'cancelled by the user' } });
                return;
            }
            for (let guard = 0; guard < 6; guard++) {
                const before = run.stage;
                if (run.stage === 'queued')
                    await this.enqueue(run, plan);
                else if (run.stage === 'deploying')
                    await this.deploying(run);
                else if (run.stage === 'benchmarking')
                    await this.benchmarking(run, plan);
                else if (run.stage === 'collecting')
                    await this.collecting(run, plan);
                else if (run.stage === 'tearing_down') {
                    await this.cleanup(run, plan);
                    await this.finish(run, { status: 'completed', stage: 'completed' });
                    return;
                }
                if (run.stage === before)
                    break; // waiting on something outside
            }
            await this.d.repo.releaseRun(run.id, this.d.owner);
        }
        catch (e) {
            if (/lease on run/.test(String(e?.message)))
                return;
            const stage = e instanceof StageError ? e.stage : run.stage;
            this.d.log.warn({ run: run.id, stage, err: e?.message }, 'workflow run failed');
            await this.cleanup(run, plan).catch((c) => this.d.log.warn({ run: run.id, err: c?.message }, 'cleanup after failure failed'));
            await this.finish(run, { status: 'failed', stage, error: { stage, message: String(e?.message ?? e).slice(0, 2000) } }).catch(() => { });
        }
    }
    async finish(run, set) {
        const wallMs = Date.now() - run.createdAt.getTime();
        await this.save(run, { ...set, finishedAt: new Date(), wallMs, leaseOwner: null, leaseUntil: null });
        await this.d.onFinished(run.workflowId).catch((e) => this.d.log.warn({ err: e?.message }, 'workflow status update failed'));
    }
    /** Served models: a queue item that deploys and keeps the model (the job runs after it); cloud: straight to the job. */
    async enqueue(run, plan) {
        if (!plan.deployment) {
            await this.save(run, { stage: 'benchmarking', endpoint: plan.model.endpoint_url });
            return;
        }
        const vllm = this.d.ports.vllm();
        // a restart between enqueue and save: find the item by its annotation instead of queueing a second one
        if (run.progress?.enqueueing) {
            for (const status of ['pending', 'processing', 'completed', 'failed']) {
                const items = await vllm.listQueue({ status, limit: 1000 }).catch(() => []);
                const mine = items.find((i) => i.vllm_config?.kubernetes?.pod_annotations?.[ANNOTATION_RUN] === run.id);
                if (mine) {
                    await this.save(run, { stage: 'deploying', queueRequestId: mine.queue_request_id });
                    return;
                }
            }
        }
        await this.save(run, { progress: { enqueueing: true } });
        const cfg = {
            ...plan.deployment.vllm_config,
            // a per-run annotation: the deployment is this run's own (never reused by, or torn down under, another one)
            kubernetes: { pod_annotations: { [ANNOTATION_RUN]: run.id, 'benchops.io/workflow-id': run.workflowId } },
        };
        let item;
        try {
            item = await vllm.enqueue({
                vllm_config: cfg,
                benchmark_configs: [],
                cluster_id: plan.deployment.cluster_id,
                keep_deployment: true,
                priority: 'medium',
                scheduling_config: { immediate: true, max_wait_time: this.d.maxWaitSeconds },
            });
        }
        catch (e) {
            throw new StageError('deployment', `the vLLM queue refused the deployment: ${e?.message ?? e}`);
        }
        await this.save(run, { stage: 'deploying', queueRequestId: item.queue_request_id, progress: { queue: queueProgress(item) } });
    }
    async deploying(run) {
        let item;
        try {
            item = await this.d.ports.queueItem(run.queueRequestId);
        }
        catch (e) {
            if (e instanceof AppError && e.status === 404)
                throw new StageError('deployment', `queue item ${run.queueRequestId} is gone`);
            throw e;
        }
        const progress = { ...(run.progress ?? {}), queue: queueProgress(item) };
        if (item.deployment_id && item.deployment_id !== run.deploymentId)
            await this.save(run, { deploymentId: item.deployment_id });
        if (item.status === 'failed' || item.status === 'cancelled') {
            await this.save(run, { progress });
            throw new StageError('deployment', `the vLLM queue item ${item.status}: ${item.error_message ?? item.placement?.reason ?? 'no reason given'}`);
        }
        if (item.status !== 'completed') {
            await this.save(run, { progress });
            return;
        }
        const dep = await this.d.ports.deployment(item.deployment_id);
        if (dep.status !== 'running' || !dep.endpoint)
            throw new StageError('deployment', `deployment ${item.deployment_id} is ${dep.status}${dep.endpoint ? '' : ' without an endpoint'}`);
        await this.save(run, { stage: 'benchmarking', deploymentId: item.deployment_id, endpoint: dep.endpoint, progress: { ...progress, node: dep.node_name ?? null } });
    }
    async benchmarking(run, plan) {
        if (!run.jobDeploymentId) {
            const m = await this.manifests(run, plan);
            // names first: a restart before the apply is recorded deletes leftovers by name instead of colliding with them
            if (run.jobObjects?.names)
                await this.d.ports.deleteObjects(run.jobObjects.delete_yaml).catch(() => { });
            await this.save(run, { jobObjects: { names: m.names, delete_yaml: m.deleteYaml } });
            let applied;
            try {
                applied = await this.d.ports.apply(m.yaml);
            }
            catch (e) {
                throw new StageError('benchmark', `the deployer refused the benchmark job: ${e?.message ?? e}`);
            }
            await this.save(run, { jobDeploymentId: applied.deployment_id, jobObjects: { names: m.names, delete_yaml: m.deleteYaml, namespace: applied.namespace }, progress: { ...(run.progress ?? {}), job: { status: 'pending' } } });
        }
        const rec = await this.d.ports.jobRecord(run.jobDeploymentId);
        const progress = { ...(run.progress ?? {}), job: { status: rec.status, message: rec.message ?? null } };
        if (rec.status === 'failed' || rec.status === 'deleted') {
            const objs = run.jobObjects;
            const tail = await this.d.ports.jobLogTail(objs.names.job, objs.namespace, 20);
            const why = failureReason(tail);
            await this.save(run, { progress });
            throw new StageError('benchmark', `the benchmark job ${rec.status}: ${rec.message ?? ''}${why ? ` (${why.slice(0, 500)})` : ''}`);
        }
        if (rec.status !== 'completed') {
            await this.save(run, { progress });
            return;
        }
        await this.save(run, { stage: 'collecting', progress });
    }
    async manifests(run, plan) {
        let datasetContent = null;
        if (plan.workload.eval_with === 'dataset') {
            const loaded = await this.d.datasets.load(plan.workload.datasets.map((x) => x.id));
            if (!loaded.length)
                throw new StageError('benchmark', 'the workflow\'s datasets were deleted');
            datasetContent = selectRows(loaded, plan.workload.num_prompts).content;
        }
        let apiKey = null;
        if (plan.model.kind === 'cloud') {
            if (!plan.model.credential_id)
                throw new StageError('benchmark', 'the cloud model has no credential');
            apiKey = await this.d.credentials.reveal(plan.model.credential_id);
        }
        return jobManifests({
            runId: run.id,
            workflowId: run.workflowId,
            resultRunId: run.resultRunId,
            endpoint: run.endpoint ?? plan.model.endpoint_url ?? '',
            servedModelName: plan.model.served_model_name,
            modelName: plan.model.model_name,
            config: runnerConfig(plan, datasetContent !== null ? datasetPathFor(this.d.executor) : null),
            datasetContent,
            apiKey,
            executor: this.d.executor,
            resultsUrl: this.d.resultsUrl,
            runnerTokenSecret: this.d.runnerTokenSecret,
            deadlineSeconds: this.d.jobTimeoutSeconds,
        });
    }
    /** Finds the stored result, reads its metrics, and sets the prediction beside it. */
    async collecting(run, plan) {
        const results = this.d.ports.results();
        const page = await results.listStandardized({ run_id: run.resultRunId, source: 'benchops-runner', limit: 10 });
        const item = page.items[0];
        if (!item)
            throw new StageError('results', `the benchmark job finished but no result was stored under run id ${run.resultRunId}`);
        const doc = await results.getStandardized(item.pk);
        const measured = pickMetrics(flatFromBlock(doc.data?.performance));
        let comparison = null;
        const sim = await this.d.repo.lastSimulation(run.workflowId);
        if (sim?.metrics) {
            const rows = compareMetrics(sim.metrics, measured);
            comparison = { predicted_run_id: sim.id, predicted_pk: sim.resultPk, measured_pk: item.pk, metrics: rows, mean_abs_error: meanAbsError(rows) };
            // the prediction under the measured run's id, so the run's results show both side by side
            const simDoc = sim.resultPk ? await results.getStandardized(sim.resultPk).catch(() => null) : null;
            if (simDoc) {
                const data = simDoc.data;
                const post = {
                    run_id: run.resultRunId,
                    benchmark_name: `${plan.workload.benchmark_name}-prediction`,
                    model_id: item.model_id,
                    tokenizer_id: item.tokenizer_id,
                    source: SIMULATOR_SOURCE,
                    timestamp: item.timestamp,
                    data: { ...data, meta: { ...data.meta, compared_with: item.pk, comparison } },
                };
                await results.postStandardized(post).catch((e) => this.d.log.warn({ run: run.id, err: e?.message }, 'posting the prediction beside the measurement failed'));
            }
        }
        await this.save(run, { stage: 'tearing_down', resultPk: item.pk, metrics: measured, comparison });
    }
    /** Deletes what the run created: the job's objects, the queue item (while it is in flight) and the deployment. */
    async cleanup(run, _plan) {
        const objs = run.jobObjects;
        if (objs?.delete_yaml)
            await this.d.ports.deleteObjects(objs.delete_yaml, objs.namespace);
        if (run.queueRequestId) {
            const item = await this.d.ports.queueItem(run.queueRequestId).catch(() => null);
            // a cancelled item stops its running step and removes the deployment it created
            if (item && (item.status === 'pending' || item.status === 'processing'))
                await this.d.ports.vllm().cancel(run.queueRequestId);
            if (item?.deployment_id)
                run.deploymentId = item.deployment_id;
        }
        if (run.deploymentId)
            await this.d.ports.deleteDeployment(run.deploymentId);
    }
}
/** The runner's own verdict from its log tail (its last `benchops job run:` line and the first request error), else the last lines. */
export function failureReason(tail) {
    const lines = tail.split('\n').map((l) => l.trim()).filter(Boolean);
    const verdict = [...lines].reverse().find((l) => /benchops job run: .*(failed|error)/.test(l))?.replace(/^.*?benchops job run: /, '');
    const example = lines.find((l) => /request\(s\) failed, e\.g\./.test(l));
    const out = [verdict, example].filter(Boolean).join('; ');
    return out || lines.slice(-3).join(' | ');
}
function queueProgress(item) {
    return {
        queue_request_id: item.queue_request_id,
        status: item.status,
        current_step: item.current_step,
        completed_steps: item.completed_steps,
        total_steps: item.total_steps,
        placement: item.placement ? { action: item.placement.action, reason: item.placement.reason } : null,
        error_message: item.error_message ?? null,
    };
}
//# sourceMappingURL=run.js.map