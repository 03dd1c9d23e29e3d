/**
 * The deployer's logic: `/run` (seed 000) builds and creates a benchmark Job with its config ConfigMap, `/deploy` and
 * `/delete` apply or remove allow-listed namespaced objects all-or-nothing, and job status/logs/deletion. Every
 * create is undone on failure; the deployment record is stored before anything is created and removed if it fails.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError, badRequest, forbidden, isAppError, notFound, unavailable, unprocessable } from '../../core/errors.ts';
import { iso } from '../../core/http.ts';
import type { Role } from '../../core/auth.ts';
import type { Logger } from 'pino';
import type { ManagerApi, ProjectFile } from '../manager/api.ts';
import type { DeployerApi, DeploymentRecord, RunNotes, RunOptions, RunRequest, RunResponse } from './api.ts';
import { lastLine, problemLine, type Executor, type JobStatus, type K8sObject, type PodInfo } from './executors/types.ts';
import {
  buildRunManifests,
  checkAllowed,
  LABEL_MANAGED_BY,
  LABEL_RUN_ID,
  ownerRef,
  parseManifests,
  redactSecrets,
  resourceTypeOf,
  toYaml,
  ALLOWED_KINDS,
} from './manifest.ts';
import type { DeployerRepository, DeploymentFilter } from './repository.ts';
import type { DeploymentRow } from './schema.ts';

const CREATING = '(creating)';
export const RUN_MESSAGE = '벤치마크가 성공적으로 배포되었습니다.';

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

/** Seed 000 request (additionalProperties: false). */
export const runRequestSchema = z
  .object({
    project_id: z.string().min(1).max(200),
    benchmark_type: z.string().min(1).max(200),
    name: z.string().min(1).max(253),
    job_file_id: z.string().min(1).max(200),
    config_file_id: z.string().min(1).max(200).optional(),
    vllm_model_endpoint: httpUrl.max(2048).optional(),
  })
  .strict();

export interface ApplyResult {
  status: 'success';
  message: string;
  deployment_id: string;
  namespace: string;
  resource_type: DeploymentRecord['resource_type'];
  resource_name: string;
  yaml_content: string;
  created_at: string;
  resources: { kind: string; name: string; namespace: string }[];
}

export interface DeployerDeps {
  repo: DeployerRepository;
  executor: Executor;
  manager: () => ManagerApi;
  namespace: string;
  log: Logger;
  /** Environment every run's containers get (the results URL for cluster jobs); the run's own options win. */
  jobEnv?: () => Record<string, string>;
  /** Variables every run's containers read from Secrets (the runner token in cluster mode). */
  jobSecretEnv?: () => Record<string, { name: string; key: string }>;
  /** The Results service URL as jobs reach it: replaces a job's declared BACKEND_API-style URL. */
  resultsUrl?: () => string | undefined;
  /** The platform requires bearer tokens (results writes need one). */
  tokensRequired?: boolean;
  /** Role of in-process callers (default operator). */
  internalRole?: Role;
  /** Called after a run or apply so the watcher picks the new job up at once. */
  onNewJob?: () => void;
}

export class DeployerService implements DeployerApi {
  constructor(private readonly d: DeployerDeps) {}

  get executor(): Executor {
    return this.d.executor;
  }

  get namespace(): string {
    return this.d.namespace;
  }

  /**
   * Seed 000 `POST /run`. In-process callers (the vLLM queue) get `internalRole`: operator when the platform has tokens
   * (no privileged pods, no host commands), admin when it runs without authentication (every caller is an admin there).
   */
  async run(req: RunRequest, opts: RunOptions = {}, role: Role = this.d.internalRole ?? 'operator'): Promise<RunResponse> {
    const parsed = runRequestSchema.safeParse(req);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw unprocessable(['body', ...i.path.map((p) => (typeof p === 'number' ? p : String(p)))], i.message);
    }
    const body = parsed.data;
    const manager = this.d.manager();
    await manager.getProject(body.project_id).catch((e) => {
      throw isAppError(e) && e.status === 404 ? badRequest(`Project ${body.project_id} not found`) : e;
    });
    const jobFile = await this.fetchFile(manager, body.project_id, body.job_file_id, 'job');
    const configFile = body.config_file_id ? await this.fetchFile(manager, body.project_id, body.config_file_id, 'config') : undefined;

    const deploymentId = randomUUID();
    const namespace = this.d.namespace;
    const built = buildRunManifests({
      jobYaml: jobFile.content,
      config: configFile?.content,
      runName: body.name,
      deploymentId,
      namespace,
      projectId: body.project_id,
      benchmarkType: body.benchmark_type,
      endpoint: body.vllm_model_endpoint,
      model: opts.model,
      resultsUrl: this.d.resultsUrl?.(),
      tokensRequired: this.d.tokensRequired,
      // results posted by the runner carry the deployment id as their run id unless the caller sets its own
      env: { BENCHOPS_RUN_ID: deploymentId, ...(this.d.jobEnv?.() ?? {}), ...(opts.env ?? {}) },
      secretEnv: this.d.jobSecretEnv?.(),
      labels: opts.labels,
      substitutions: opts.substitutions,
      admin: role === 'admin',
    });
    const notes: RunNotes = {
      env_rewrites: built.rewrites,
      config_mounts: built.configMounts,
      warnings: [...benchmarkTypeWarnings(body.benchmark_type, jobFile, configFile), ...built.warnings],
    };
    this.checkHostCommand(built.job, role);
    const planned = [built.job, ...(built.configMap ? [built.configMap] : []), ...built.extras];
    const createdAt = new Date();
    await this.d.repo.insert({
      deploymentId,
      resourceType: 'job',
      resourceName: built.job.metadata.name,
      namespace,
      status: 'pending',
      message: 'creating',
      yamlContent: toYaml(redactSecrets(planned)),
      resources: [],
      executor: this.d.executor.kind,
      origin: 'run',
      projectId: body.project_id,
      benchmarkType: body.benchmark_type,
      runName: body.name,
      configmapName: built.configMap?.metadata.name ?? null,
      labels: built.labels,
      notes,
      createdAt,
      updatedAt: createdAt,
      // No watcher claims the record while its objects are being created (the lease lapses if this process dies).
      watchOwner: CREATING,
      watchUntil: new Date(Date.now() + 60_000),
    });
    const created: K8sObject[] = [];
    try {
      // The Job first, so the ConfigMap (and any other object of the job file) can be owned by it.
      const job = await this.d.executor.create(built.job);
      created.push(job);
      for (const obj of planned.slice(1)) {
        obj.metadata.ownerReferences = [...(obj.metadata.ownerReferences ?? []), ownerRef(job)];
        created.push(await this.d.executor.create(obj));
      }
    } catch (e) {
      await this.rollback(created);
      await this.d.repo.remove(deploymentId).catch(() => {});
      throw runFailure(e, created.length);
    }
    const yaml = toYaml(redactSecrets(planned));
    const resources = planned.map((o) => ({ kind: o.kind, name: o.metadata.name, namespace }));
    await this.d.repo.update(deploymentId, { yamlContent: yaml, resources, message: RUN_MESSAGE, watchOwner: null, watchUntil: null });
    this.d.log.info(
      { deployment_id: deploymentId, job: built.job.metadata.name, namespace, rewritten: built.rewrites.map((r) => `${r.container}/${r.name}`), warnings: notes.warnings },
      'benchmark job created',
    );
    this.d.onNewJob?.();
    return {
      deployment_id: deploymentId,
      status: 'pending',
      resource_type: 'job',
      resource_name: built.job.metadata.name,
      namespace,
      yaml_content: yaml,
      message: RUN_MESSAGE,
      created_at: iso(createdAt)!,
      ...notes,
    };
  }

  private async fetchFile(manager: ManagerApi, projectId: string, fileId: string, want: 'job' | 'config'): Promise<ProjectFile> {
    const label = want === 'job' ? 'Job' : 'Config';
    const f = await manager.getFile(projectId, fileId).catch((e) => {
      throw isAppError(e) && e.status === 404 ? badRequest(`${label} file with ID ${fileId} not found in project ${projectId}`) : e;
    });
    if (f.file_type !== want) throw badRequest(`File ${fileId} is a ${f.file_type} file, not a ${want} file`);
    if (!f.content || !f.content.trim()) throw badRequest(`${label} file ${fileId} is empty`);
    return f;
  }

  /** Deletes created objects in reverse order; failures are logged (the caller reports the original error). */
  private async rollback(created: K8sObject[]): Promise<void> {
    for (const o of [...created].reverse()) {
      await this.d.executor.remove(o.kind, o.metadata.name, o.metadata.namespace!).catch((e) => {
        this.d.log.error({ err: e, kind: o.kind, name: o.metadata.name }, 'rollback delete failed');
      });
    }
  }

  /** `POST /deploy`: multi-document apply, allow-listed namespaced kinds, all or nothing. */
  /** With the local executor a job may run a command on this host: only admins may (like a privileged pod). */
  private checkHostCommand(job: K8sObject, role: Role): void {
    if (role === 'admin') return;
    const what = this.d.executor.hostCommand?.(job);
    if (what) {
      throw forbidden(
        `Job ${job.metadata.name} would run ${what} as a process on the BenchOps host (local executor); only the admin role may ` +
          'run host commands. Operators run the BenchOps runner image (args only).',
      );
    }
  }

  async deploy(yamlContent: string, namespace: string | undefined, role: Role): Promise<ApplyResult> {
    const ns = namespace ?? this.d.namespace;
    const docs = parseManifests(yamlContent, 'deployment', ['body', 'yaml_content']);
    const seen = new Set<string>();
    for (const d of docs) {
      checkAllowed(d, ns, { admin: role === 'admin', defaultNamespace: this.d.namespace });
      if (d.kind === 'Job') this.checkHostCommand(d, role);
      const k = `${d.kind}/${d.metadata.name}`;
      if (seen.has(k)) throw badRequest(`${k} appears twice in the YAML`);
      seen.add(k);
      delete d.status;
      for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'selfLink', 'managedFields']) delete d.metadata[f];
    }
    const deploymentId = randomUUID();
    // applied objects are BenchOps' own from now on: operators may delete them again (and only them)
    for (const d of docs) d.metadata.labels = { ...(d.metadata.labels ?? {}), [LABEL_MANAGED_BY]: 'benchops', [LABEL_RUN_ID]: deploymentId };
    const primary = docs.find((d) => d.kind === 'Job') ?? docs[0];
    const createdAt = new Date();
    const resources = docs.map((d) => ({ kind: d.kind, name: d.metadata.name, namespace: ns }));
    const yaml = toYaml(redactSecrets(docs));
    const isJob = primary.kind === 'Job';
    await this.d.repo.insert({
      deploymentId,
      resourceType: resourceTypeOf(primary.kind),
      resourceName: primary.metadata.name,
      namespace: ns,
      status: isJob ? 'pending' : 'running',
      message: 'creating',
      yamlContent: yaml,
      resources,
      executor: this.d.executor.kind,
      origin: 'deploy',
      createdAt,
      updatedAt: createdAt,
      watchOwner: CREATING,
      watchUntil: new Date(Date.now() + 60_000),
    });
    const created: K8sObject[] = [];
    try {
      for (const d of docs) created.push(await this.d.executor.create(d));
    } catch (e) {
      await this.rollback(created);
      await this.d.repo.remove(deploymentId).catch(() => {});
      const err = isAppError(e) ? e : new AppError(500, String((e as Error)?.message ?? e));
      throw new AppError(err.status, `Deployment failed: ${err.detail}${created.length ? `; rolled back ${created.length} created object(s)` : ''}`, err.code);
    }
    const message = `Successfully deployed ${primary.kind}: ${primary.metadata.name}`;
    await this.d.repo.update(deploymentId, { message, watchOwner: null, watchUntil: null });
    if (isJob) this.d.onNewJob?.();
    return {
      status: 'success',
      message,
      deployment_id: deploymentId,
      namespace: ns,
      resource_type: resourceTypeOf(primary.kind),
      resource_name: primary.metadata.name,
      yaml_content: yaml,
      created_at: iso(createdAt)!,
      resources,
    };
  }

  /** `POST /delete`: deletes each document's object (absent ones count as deleted) and marks their records. */
  async deleteYaml(yamlContent: string, namespace: string | undefined, role: Role) {
    const ns = namespace ?? this.d.namespace;
    const docs = parseManifests(yamlContent, 'deletion', ['body', 'yaml_content']);
    for (const d of docs) {
      if (!ALLOWED_KINDS[d.kind]) throw badRequest(`Kind ${d.kind} is not allowed`);
      if (typeof d.metadata.name !== 'string' || !d.metadata.name) throw badRequest(`${d.kind}: metadata.name is required`);
      const dns = d.metadata.namespace ?? ns;
      if (role !== 'admin' && dns !== this.d.namespace) {
        throw forbidden(`${d.kind}/${d.metadata.name}: only the admin role may delete outside the namespace "${this.d.namespace}"`);
      }
      d.metadata.namespace = dns;
    }
    if (role !== 'admin') {
      // checked for every document before anything is deleted: all or nothing
      for (const d of docs) {
        const live = await this.d.executor.get(d.kind, d.metadata.name, d.metadata.namespace!);
        if (live && live.metadata.labels?.[LABEL_MANAGED_BY] !== 'benchops') {
          throw forbidden(`${d.kind}/${d.metadata.name} was not created by BenchOps; only the admin role may delete it`);
        }
      }
    }
    const deleted: { name: string; kind: string; namespace: string; existed: boolean }[] = [];
    for (const d of docs) {
      const existed = await this.d.executor.remove(d.kind, d.metadata.name, d.metadata.namespace!);
      deleted.push({ name: d.metadata.name, kind: d.kind, namespace: d.metadata.namespace!, existed });
    }
    await this.d.repo.markDeleted(
      deleted.map((x) => ({ type: resourceTypeOf(x.kind), name: x.name, namespace: x.namespace })),
      'Deleted through POST /delete',
    );
    return {
      status: 'success' as const,
      message: `Successfully deleted ${deleted.length} resources`,
      deleted_resources: deleted,
      namespace: ns,
      timestamp: iso(new Date())!,
    };
  }

  async list(f: DeploymentFilter, limit: number, offset: number) {
    const { rows, total } = await this.d.repo.list(f, limit, offset);
    return { items: rows.map(toListItem), total };
  }

  async getDeployment(deploymentId: string): Promise<DeploymentRecord & ReturnType<typeof toListItem>> {
    const r = await this.d.repo.get(deploymentId);
    if (!r) throw notFound(`Deployment ${deploymentId} not found`);
    return toListItem(r);
  }

  /** The namespace to use for a job: the caller's, else its record's, else the configured one. */
  async namespaceOf(name: string, namespace?: string): Promise<string> {
    if (namespace) return namespace;
    return (await this.d.repo.latestByName(name))?.namespace ?? this.d.namespace;
  }

  async jobStatus(name: string, namespace?: string): Promise<JobStatus> {
    return this.d.executor.jobStatus(name, await this.namespaceOf(name, namespace));
  }

  /** Deletes a job and what it owns (idempotent for the API; the route reports 404 when nothing existed). */
  async deleteJob(name: string, namespace?: string, role: Role = this.d.internalRole ?? 'operator'): Promise<void> {
    await this.deleteJobChecked(name, namespace, role);
  }

  async deleteJobChecked(name: string, namespace: string | undefined, role: Role): Promise<boolean> {
    const ns = await this.namespaceOf(name, namespace);
    const job = await this.d.executor.get('Job', name, ns);
    if (job && role !== 'admin' && job.metadata.labels?.[LABEL_MANAGED_BY] !== 'benchops') {
      throw forbidden(`Job ${name} was not created by BenchOps; only the admin role may delete it`);
    }
    const existed = job ? await this.d.executor.remove('Job', name, ns) : false;
    await this.d.repo.markDeleted([{ type: 'job', name, namespace: ns }], 'The job was deleted');
    return existed;
  }

  terminalSessions(jobName?: string) {
    return this.d.repo.listSessions(jobName);
  }

  terminalSession(id: string) {
    return this.d.repo.getSession(id);
  }

  /**
   * Log lines of every pod of a job, prefixed `[pod] ` (reference 2.3), blank lines dropped; then why a pod could not
   * start or ended badly, and the job's failure condition, so a job that failed before writing a line still says why.
   */
  async logs(name: string, namespace: string | undefined, tailLines: number) {
    const ns = await this.namespaceOf(name, namespace);
    const job = await this.d.executor.get('Job', name, ns);
    if (!job) throw notFound(`Job ${name} not found in namespace ${ns}`);
    const pods = await this.d.executor.listPods(name, ns);
    const lines: string[] = [];
    for (const p of pods) {
      for (const c of p.containers) {
        const prefix = p.containers.length > 1 ? `[${p.name}/${c}] ` : `[${p.name}] `;
        try {
          const text = await this.d.executor.readLogs(ns, p.name, c, { tailLines });
          for (const l of text.split('\n')) if (l.trim()) lines.push(prefix + l);
        } catch (e: any) {
          lines.push(`${prefix}Error getting logs: ${e?.detail ?? e?.message ?? e}`);
        }
      }
    }
    lines.push(...statusLines(job, pods));
    return { job_name: name, namespace: ns, logs: lines, timestamp: iso(new Date())! };
  }
}

/** `[pod] Reason: message` for each pod problem and `[job] Failed: Reason: message` for a failed job. */
export function statusLines(job: K8sObject, pods: PodInfo[]): string[] {
  const out: string[] = [];
  for (const p of pods) {
    for (const pr of p.problems ?? []) {
      // the termination message repeats the log's last lines: its last line is enough here
      const msg = pr.exitCode !== undefined ? lastLine(pr.message) : pr.message;
      out.push(`[${p.name}] ${problemLine({ ...pr, message: msg }, p.containers.length > 1)}`);
    }
  }
  const failed = (job.status?.conditions ?? []).find((c: any) => c.type === 'Failed' && c.status === 'True');
  if (failed) out.push(`[${job.metadata.name}] Failed: ${[failed.reason, failed.message].filter(Boolean).join(': ') || 'the job failed'}`);
  return out;
}

/**
 * The request's benchmark_type against the folders its files come from. A warning, not a 422: seed 000 only stores the
 * field (clients send their own labels, the queue sends "default"), and modified copies may have no folder type.
 */
export function benchmarkTypeWarnings(requested: string, job: ProjectFile, config?: ProjectFile): string[] {
  const out: string[] = [];
  for (const f of [job, ...(config ? [config] : [])]) {
    if (f.benchmark_type && f.benchmark_type !== requested) {
      out.push(
        `benchmark_type "${requested}" differs from the ${f.file_type} file's benchmark type "${f.benchmark_type}" (${f.file_path}); ` +
          `the run is recorded and labelled as "${requested}"`,
      );
    }
  }
  return out;
}

function runFailure(e: unknown, createdCount: number): AppError {
  const suffix = createdCount ? ' (everything created was deleted again)' : '';
  if (isAppError(e)) {
    if (e.status === 400 || e.status === 404 || e.status === 409 || e.status === 422 || e.status === 403) {
      return new AppError(e.status === 422 ? 400 : e.status, `${e.detail}${suffix}`, e.code);
    }
    if (e.status === 503) return unavailable(e.detail);
    return new AppError(500, `벤치마크 실행에 실패했습니다: ${e.detail}${suffix}`, 'run_failed');
  }
  return new AppError(500, `벤치마크 실행에 실패했습니다: ${(e as Error)?.message ?? e}${suffix}`, 'run_failed');
}

/** The stored record as `GET /deployments` returns it. */
export function toListItem(r: DeploymentRow) {
  return {
    deployment_id: r.deploymentId,
    resource_name: r.resourceName,
    resource_type: r.resourceType as DeploymentRecord['resource_type'],
    namespace: r.namespace,
    status: r.status as DeploymentRecord['status'],
    message: r.message,
    yaml_content: r.yamlContent,
    resources: r.resources,
    executor: r.executor,
    origin: r.origin,
    project_id: r.projectId,
    benchmark_type: r.benchmarkType,
    run_name: r.runName,
    configmap_name: r.configmapName,
    labels: r.labels,
    env_rewrites: r.notes?.env_rewrites ?? [],
    config_mounts: r.notes?.config_mounts ?? [],
    warnings: r.notes?.warnings ?? [],
    start_time: iso(r.startTime),
    completion_time: iso(r.completionTime),
    created_at: iso(r.createdAt)!,
    updated_at: iso(r.updatedAt)!,
    deleted_at: iso(r.deletedAt),
  };
}
