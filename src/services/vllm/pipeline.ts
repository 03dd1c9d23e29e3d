/**
 * One queue item's work: place → deploy → wait ready → each benchmark job through the deployer (endpoint filled in)
 * → collect result pks → tear down (unless kept or reused). Every step is checkpointed on the item, so a restarted
 * or taking-over scheduler resumes where the last one stopped; cancel cleans only objects this item created.
 */
import type { Logger } from 'pino';
import type { DeployerApi } from '../deployer/api.ts';
import type { ManagerApi } from '../manager/api.ts';
import { toRef, UnschedulableError, type DeploymentRow, type DeploymentService } from './deployments.ts';
import type { PlacementDecision } from './placement.ts';
import { servedName, type BenchmarkJobConfig, type VllmConfig } from './models.ts';
import type { JobRecord, QueueRepository, QueueRow } from './queue.ts';
import { vllmDeployments } from './schema.ts';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../core/db/client.ts';
import type { SecretBox } from '../../core/secrets.ts';
import { seal, unseal } from './sealed.ts';

export interface PipelineDeps {
  db: Db;
  queue: QueueRepository;
  deployments: DeploymentService;
  deployer: () => DeployerApi;
  manager: () => ManagerApi | null;
  resultPks: (runId: string) => Promise<string[]>;
  log: Logger;
  owner: string;
  jobPollMs: number;
  jobTimeoutMs: number;
  /** How long a pod the cluster cannot schedule may stay pending before the item goes back to waiting. */
  unschedulableGraceMs?: number;
  /** How long to wait before a request that found no free GPU is looked at again. */
  retryWaitMs: number;
  /** Opens the item's sealed secrets to hand the deployment its own copy (values and env, not the job texts). */
  secrets?: SecretBox;
}

/** Thrown to stop an item: `cancelled` (user), `shutdown` (this instance stops), `lost` (claim gone). */
export class Stop extends Error {
  constructor(readonly why: 'cancelled' | 'shutdown' | 'lost', msg: string) {
    super(msg);
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', on);
      resolve();
    }, ms);
    const on = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', on, { once: true });
  });

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).hostname;
  } catch {
    return endpoint;
  }
}

/** Placeholder values substituted in the parsed job YAML (the earlier UI's job templates use these names). */
export function substitutionsFor(d: DeploymentRow): Record<string, string> {
  const cfg = d.config as VllmConfig;
  return {
    VLLM_SERVICE_NAME: d.backend === 'kubernetes' ? `${d.serviceName ?? d.name}.${d.namespace}.svc.cluster.local` : hostOf(d.endpoint ?? ''),
    VLLM_DEPLOYMENT_NAME: d.name,
    VLLM_POD_NAME: d.name,
    MODEL_NAME_PLACEHOLDER: servedName(cfg),
  };
}

export class Pipeline {
  constructor(private readonly deps: PipelineDeps) {}

  private async save(item: QueueRow, set: Parameters<QueueRepository['update']>[2]): Promise<void> {
    const ok = await this.deps.queue.update(item.id, this.deps.owner, set);
    if (!ok) {
      const now = await this.deps.queue.get(item.id).catch(() => null);
      if (now?.status === 'cancelled') throw new Stop('cancelled', 'cancelled');
      throw new Stop('lost', `claim on ${item.id} lost (${now?.status ?? 'deleted'})`);
    }
    Object.assign(item, set);
  }

  /** Puts the item back to pending until capacity may be free (or fails it past max_wait_time). */
  private async waitForCapacity(item: QueueRow, decision: PlacementDecision, extra: Parameters<QueueRepository['update']>[2] = {}): Promise<void> {
    const overdue = item.deadline && item.deadline.getTime() <= Date.now() + this.deps.retryWaitMs;
    if (overdue) throw new Error(`No GPU capacity before max_wait_time: ${decision.reason}`);
    await this.save(item, {
      status: 'pending',
      currentStep: 'waiting_for_resources',
      placement: decision,
      claimedBy: null,
      leaseUntil: null,
      // a wait is not an interrupted run: attempts counts only runs that did not finish
      attempts: Math.max(0, item.attempts - 1),
      notBefore: new Date(Date.now() + this.deps.retryWaitMs),
      ...extra,
    });
    this.deps.log.info({ item: item.id, decision }, 'queue item waits for GPU capacity');
  }

  /** Runs (or resumes) an item; resolves when it is completed, failed, requeued, or stopped. */
  async run(item: QueueRow, signal: AbortSignal): Promise<void> {
    const cfg = item.vllmConfig as VllmConfig | null;
    const configs = item.benchmarkConfigs as BenchmarkJobConfig[];
    let deployment: DeploymentRow | null = null;
    try {
      // ---- step 1: the vLLM deployment
      if (item.skipVllmCreation) {
        deployment = await this.existingTarget(item);
        await this.save(item, { deploymentId: deployment.id, createdDeployment: false, currentStep: 'benchmark_jobs' });
      } else {
        if (!cfg) throw new Error('Invalid or empty vLLM configuration');
        const adopted = await this.adopt(item);
        if (adopted) deployment = adopted;
        else {
          await this.save(item, { currentStep: 'vllm_deployment' });
          const out = await this.deps.deployments.create(cfg, {
            clusterId: item.clusterId,
            priorityRank: item.priorityRank,
            allowEviction: item.allowEviction,
            keep: item.keepDeployment,
            ownerRequestId: item.id,
            signal,
            sealed: this.deploymentSecrets(item),
            onReuse: (id) => this.save(item, { deploymentId: id, createdDeployment: false }),
          });
          if (out.kind === 'wait') return await this.waitForCapacity(item, out.decision);
          if (out.kind === 'unschedulable') {
            await this.save(item, { placement: out.decision }); // the decision stays visible on the failed item
            throw new Error(`Cannot be placed: ${out.decision.reason}`);
          }
          deployment = out.deployment;
          await this.save(item, { placement: out.decision, deploymentId: deployment.id, createdDeployment: out.kind === 'created' });
        }
        try {
          deployment = await this.deps.deployments.waitReady(deployment.id, signal, { unschedulableGraceMs: this.deps.unschedulableGraceMs });
        } catch (e) {
          // the cluster disagrees with the placement (capacity it did not report, taints): the deployment is gone again
          // and the item waits for capacity like any other, instead of holding a pending pod
          if (!(e instanceof UnschedulableError) || !item.createdDeployment) throw e;
          const decision: PlacementDecision = { action: 'wait', reason: `the cluster could not schedule the pod: ${e.message}`, blocking: [] };
          return await this.waitForCapacity(item, decision, { deploymentId: null, createdDeployment: false });
        }
        if (item.completedSteps < 1) await this.save(item, { completedSteps: 1, currentStep: 'benchmark_jobs' });
      }

      // ---- step 2..n: benchmark jobs, one after the other
      const jobs: JobRecord[] = [...((item.jobs as JobRecord[]) ?? [])];
      const failed: string[] = [];
      for (let i = 0; i < configs.length; i++) {
        const c = configs[i];
        let job = jobs[i];
        if (job && (job.status === 'completed' || job.status === 'failed')) {
          if (job.status === 'failed') failed.push(job.error ? `${job.name} (${job.error})` : job.name);
          continue;
        }
        await this.save(item, { currentStep: `benchmark_job_${i + 1}` });
        if (!job || !job.deployer_deployment_id) {
          job = {
            index: i,
            name: c.name || `job-${i + 1}`,
            namespace: null,
            run_id: `${item.id}-${i + 1}`,
            deployer_deployment_id: null,
            resource_name: null,
            status: 'pending',
            result_pks: [],
          };
          try {
            const res = await this.submit(item, c, job, deployment);
            Object.assign(job, { deployer_deployment_id: res.deployment_id, resource_name: res.resource_name, namespace: res.namespace, status: 'running' });
          } catch (e: any) {
            if (e instanceof Stop || signal.aborted) throw e;
            Object.assign(job, { status: 'failed', error: e.message });
          }
          jobs[i] = job;
          await this.save(item, { jobs: [...jobs] });
        }
        if (job.status === 'running') {
          const end = await this.waitJob(job, signal);
          job.status = end.status;
          job.error = end.message ?? null;
        }
        // our run id (BENCHOPS_RUN_ID in the job env); the deployer's deployment id when that env did not reach the job
        const ids = [job.run_id, ...(job.deployer_deployment_id ? [job.deployer_deployment_id] : [])];
        const found = await Promise.all(ids.map((id) => this.deps.resultPks(id).catch(() => [] as string[])));
        job.result_pks = [...new Set(found.flat())];
        jobs[i] = job;
        if (job.status === 'failed') failed.push(job.error ? `${job.name} (${job.error})` : job.name);
        const pks = [...new Set(jobs.flatMap((j) => j?.result_pks ?? []))];
        await this.save(item, { jobs: [...jobs], resultPks: pks, completedSteps: item.completedSteps + 1 });
      }

      // ---- teardown and the verdict
      await this.teardown(item, deployment);
      if (failed.length) throw new Error(`Benchmark jobs failed: ${failed.join(', ')}`);
      await this.save(item, { status: 'completed', currentStep: 'completed', completedAt: new Date(), claimedBy: this.deps.owner });
    } catch (e: any) {
      const stop = e instanceof Stop ? e : signal.aborted && signal.reason instanceof Stop ? signal.reason : null;
      if (stop?.why === 'shutdown' || stop?.why === 'lost') return;
      if (stop?.why === 'cancelled') {
        await this.cleanup(item);
        return;
      }
      this.deps.log.warn({ item: item.id, err: e.message }, 'queue item failed');
      if (item.deploymentId) await this.teardown(item, null).catch(() => {});
      if (!item.createdDeployment) {
        // a deployment created but not yet recorded on the item (failed while starting) is still this item's
        const own = await this.ownedDeployments(item.id).catch(() => [] as DeploymentRow[]);
        for (const d of own) if (!d.keep) await this.deps.deployments.stopUnlessInUse(d.id, item.id, `request ${item.id} failed`).catch(() => false);
      }
      await this.deps.queue
        .update(item.id, this.deps.owner, { status: 'failed', currentStep: 'failed', errorMessage: String(e.message).slice(0, 2000), completedAt: new Date() })
        .catch(() => false);
    }
  }

  /** The sealed values and env of an item, re-sealed for its deployment (null when it has none). */
  private deploymentSecrets(item: QueueRow): string | null {
    if (!item.secretsEnc || !this.deps.secrets) return null;
    const { values, env } = unseal(this.deps.secrets, item.secretsEnc);
    return seal(this.deps.secrets, { values, env });
  }

  private async submit(item: QueueRow, c: BenchmarkJobConfig, job: JobRecord, d: DeploymentRow) {
    if (!c.project_id || !c.job_file_id) {
      throw new Error(`benchmark_configs[${job.index}]: needs project_id and job_file_id (the job file is read from the project)`);
    }
    let benchmarkType = c.benchmark_type ?? undefined;
    if (!benchmarkType) {
      const mgr = this.deps.manager();
      benchmarkType = mgr ? (await mgr.getFile(c.project_id, c.job_file_id)).benchmark_type : 'default';
    }
    const endpoint = d.endpoint ?? '';
    return this.deps.deployer().run(
      {
        project_id: c.project_id,
        benchmark_type: benchmarkType || 'default',
        name: `${job.name}-${item.id.slice(0, 8)}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 50).replace(/-+$/, ''),
        job_file_id: c.job_file_id,
        ...(c.config_file_id ? { config_file_id: c.config_file_id } : {}),
        vllm_model_endpoint: endpoint,
      },
      {
        substitutions: substitutionsFor(d),
        // The endpoint goes in vllm_model_endpoint: the deployer sets VLLM_MODEL_ENDPOINT and rewrites every endpoint
        // variable a container declares (VLLM_ENDPOINT, API_BASE…) in the shape it was written in. Forcing them here
        // would override that shape (a declared `…/v1/completions` URL turned into a base URL).
        env: {
          BENCHOPS_RUN_ID: job.run_id,
          SERVED_MODEL_NAME: servedName(d.config as VllmConfig),
        },
        labels: { 'benchops.io/queue-request-id': item.id, 'benchops.io/vllm-deployment-id': d.id },
        // the job's own model variables (MODEL_NAME, OPENAI_MODEL…) get the model this deployment serves
        model: { served_model_name: servedName(d.config as VllmConfig), model_name: (d.config as VllmConfig).model_name },
      },
    );
  }

  private async waitJob(job: JobRecord, signal: AbortSignal): Promise<{ status: 'completed' | 'failed'; message?: string }> {
    const deadline = Date.now() + this.deps.jobTimeoutMs;
    let errors = 0;
    for (;;) {
      try {
        const rec = await this.deps.deployer().getDeployment(job.deployer_deployment_id!);
        errors = 0;
        if (rec.status === 'completed') return { status: 'completed' };
        if (rec.status === 'failed' || rec.status === 'deleted') return { status: 'failed', message: rec.message ?? rec.status };
      } catch (e: any) {
        if (++errors >= 10) return { status: 'failed', message: `job status unavailable: ${e.message}` };
      }
      if (Date.now() > deadline) {
        await this.deps.deployer().deleteJob(job.resource_name!, job.namespace ?? undefined).catch(() => {});
        return { status: 'failed', message: `timed out after ${Math.round(this.deps.jobTimeoutMs / 1000)} s` };
      }
      await sleep(this.deps.jobPollMs, signal);
    }
  }

  /** skip_vllm_creation: the named deployment, else the first running one on the cluster. */
  private async existingTarget(item: QueueRow): Promise<DeploymentRow> {
    if (item.targetDeploymentId) {
      const d = await this.deps.deployments.get(item.targetDeploymentId).catch(() => null);
      if (!d || d.status !== 'running') throw new Error(`Deployment ${item.targetDeploymentId} is not running`);
      return d;
    }
    const running = (await this.deps.deployments.running()).filter((d) => d.clusterId === item.clusterId);
    if (!running.length) throw new Error('skip_vllm_creation: no running vLLM deployment to benchmark');
    return running[0];
  }

  /** Resume: the deployment this item already recorded or created (found by owner label if the record was not saved). */
  private async adopt(item: QueueRow): Promise<DeploymentRow | null> {
    if (item.deploymentId) {
      const d = await this.deps.deployments.get(item.deploymentId).catch(() => null);
      if (d && (d.status === 'running' || d.status === 'deploying')) return d;
      if (item.completedSteps >= 1 || item.attempts > 1) throw new Error(`Deployment ${item.deploymentId} was lost while the request was interrupted (${d?.status ?? 'gone'})`);
    }
    const [own] = await this.ownedDeployments(item.id);
    if (own) {
      await this.save(item, { deploymentId: own.id, createdDeployment: true });
      return own;
    }
    return null;
  }

  private ownedDeployments(itemId: string): Promise<DeploymentRow[]> {
    return this.deps.db
      .select()
      .from(vllmDeployments)
      .where(and(eq(vllmDeployments.ownerRequestId, itemId), inArray(vllmDeployments.status, ['deploying', 'running'])));
  }

  /**
   * Stops the deployment this item used when it is the last active user and nobody keeps it: one it created, one it
   * reused from another request (whose own teardown left it running for this one), or a skip_vllm_creation target whose
   * creator already finished. Kept deployments (keep_deployment, POST /deploy — also when /deploy reused one a request
   * created) stay until their user deletes them.
   */
  private async teardown(item: QueueRow, d: DeploymentRow | null): Promise<void> {
    if (!item.deploymentId || item.keepDeployment) return;
    const dep = d?.id === item.deploymentId ? d : await this.deps.deployments.get(item.deploymentId).catch(() => null);
    if (!dep) return;
    await this.deps.deployments.stopUnlessInUse(item.deploymentId, item.id, `torn down after request ${item.id}`);
  }

  /** Cancel cleanup: delete this item's unfinished jobs and the deployment it created; nothing else. */
  async cleanup(item: QueueRow): Promise<void> {
    const fresh = await this.deps.queue.get(item.id).catch(() => null);
    if (!fresh) return;
    const jobs = ((fresh.jobs as JobRecord[]) ?? []).filter(Boolean);
    for (const j of jobs) {
      if (j.resource_name && (j.status === 'running' || j.status === 'pending')) {
        await this.deps.deployer().deleteJob(j.resource_name, j.namespace ?? undefined).catch((e) =>
          this.deps.log.warn({ item: item.id, job: j.resource_name, err: e.message }, 'job delete failed'),
        );
        j.status = 'deleted';
      }
    }
    const ids = new Set<string>();
    if (fresh.createdDeployment && fresh.deploymentId) ids.add(fresh.deploymentId);
    for (const d of await this.ownedDeployments(item.id)) ids.add(d.id);
    // only what it still owns: a deployment POST /deploy reused was handed to that caller
    for (const id of ids) await this.deps.deployments.stopUnlessInUse(id, item.id, `request ${item.id} cancelled`, { owner: item.id });
    await this.deps.queue.update(item.id, fresh.claimedBy ?? this.deps.owner, { jobs, cleanupPending: false }, 'cancelled');
    void toRef;
  }
}
