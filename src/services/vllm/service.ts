/**
 * The service object behind the routes and the in-process API: resolves vLLM configs (direct, or Helm-style values
 * from a vLLM project file), enqueues, cancels, and exposes the running models.
 */
import type { Logger } from 'pino';
import type { Role } from '../../core/auth.ts';
import type { Db } from '../../core/db/client.ts';
import { AppError, forbidden, notFound, unprocessable } from '../../core/errors.ts';
import type { SecretBox } from '../../core/secrets.ts';
import type { ManagerApi } from '../manager/api.ts';
import type { QueueCounts, QueueItemView, SchedulerState, ServedModel, VllmApi } from './api.ts';
import type { ClusterRegistry } from './clusters.ts';
import type { DeploymentService } from './deployments.ts';
import { readHelmValues, type ValuesResult } from './helm-values.ts';
import { checkParallelism, PRIORITIES, queueRequestSchema, servedName, unknownKeys, vllmConfigSchema, type QueueRequest, type QueueRequestInput, type VllmConfig } from './models.ts';
import { seal, splitSecrets, type SealedSecrets } from './sealed.ts';
import type { Pipeline } from './pipeline.ts';
import { queueCounts, queueView, type QueueRepository } from './queue.ts';
import type { Scheduler } from './scheduler.ts';

export interface VllmCore {
  db: Db;
  log: Logger;
  queue: QueueRepository;
  deployments: DeploymentService;
  clusters: ClusterRegistry;
  scheduler: Scheduler;
  pipeline: Pipeline;
  manager: () => ManagerApi | null;
  secrets: SecretBox;
}

/** A request's vLLM config ready to store: secrets split off (to be sealed), and what was said back. */
export interface ResolvedConfig {
  config: VllmConfig;
  secrets: SealedSecrets;
  warnings: string[];
}

/** Reads a vLLM project's values file through the manager and turns it into a config. */
export async function configFromProjectFile(
  manager: ManagerApi | null,
  projectId: string,
  fileId: string,
  loc: string[],
): Promise<ValuesResult> {
  if (!manager) throw new AppError(503, 'The benchmark manager is not reachable (needed to read the values file)', 'unavailable');
  const file = await manager.getFile(projectId, fileId);
  return readHelmValues(file.content, loc);
}

/** Fields of a form that custom values replace; said back when they were given and differ from what the values say. */
const FORM_FIELDS = ['model_name', 'served_model_name', 'max_model_len', 'gpu_memory_utilization', 'tensor_parallel_size', 'pipeline_parallel_size', 'max_num_seqs', 'dtype', 'quantization', 'gpu_resource_type', 'gpu_resource_count', 'trust_remote_code', 'node_selector'] as const;

/**
 * Fields of the earlier API that are accepted (its clients send them) but change nothing here; said back instead of
 * being silently dropped.
 */
export function ignoredFields(req: QueueRequest, rawConfig: unknown): string[] {
  const out: string[] = [];
  const helm = (req.helm_config ?? {}) as Record<string, unknown>;
  for (const k of ['release_name', 'namespace', 'chart_path', 'additional_args']) {
    if (typeof helm[k] === 'string' && (helm[k] as string).trim()) {
      out.push(`vllm_helm_config.${k} has no effect: BenchOps renders the vLLM Deployment and Service itself (no Helm release)`);
    }
  }
  if (req.vllm_yaml_content) out.push('vllm_yaml_content has no effect: the deployment is built from vllm_config or the values file');
  if (rawConfig && typeof rawConfig === 'object' && (rawConfig as Record<string, unknown>).namespace) {
    out.push("vllm_config.namespace has no effect: deployments go to the cluster's namespace");
  }
  req.benchmark_configs.forEach((b, i) => {
    if (b.yaml_content) out.push(`benchmark_configs[${i}].yaml_content has no effect: the job is read from job_file_id`);
    if (b.namespace && b.namespace !== 'default') out.push(`benchmark_configs[${i}].namespace has no effect: jobs run in the deployer's namespace`);
  });
  return out;
}

export class VllmService implements VllmApi {
  constructor(private readonly c: VllmCore) {}

  /**
   * A config from a request: custom values (inline or a project file) win over the form fields, as they describe what
   * runs. Secrets are split off for sealing; hostPath volumes need the admin role (a host folder in a pod, as for /deploy;
   * `dryRun`: said back instead of refused).
   */
  async resolveConfig(
    raw: Record<string, unknown> | null | undefined,
    helm: { project_id?: string | null; values_file_id?: string | null } | null | undefined,
    loc: string[],
    o: { role?: Role; dryRun?: boolean } = {},
  ): Promise<ResolvedConfig | null> {
    const extra = raw ?? {};
    let read: ValuesResult | null = null;
    if (typeof extra.custom_values_content === 'string' && extra.custom_values_content.trim()) {
      read = readHelmValues(extra.custom_values_content, [...loc, 'custom_values_content']);
    } else if (helm?.project_id && helm.values_file_id) {
      read = await configFromProjectFile(this.c.manager(), helm.project_id, helm.values_file_id, ['body', 'vllm_helm_config', 'values_file_id']);
    }
    let cfg: VllmConfig;
    const warnings: string[] = [];
    if (read) {
      cfg = read.config;
      warnings.push(...read.warnings);
      // cluster-side choices the values file does not describe
      for (const k of ['hardware', 'image'] as const) if (extra[k] && !cfg[k]) (cfg as any)[k] = extra[k];
      for (const k of FORM_FIELDS) {
        const given = extra[k];
        if (given === undefined || given === null || given === '') continue;
        if (JSON.stringify(given) !== JSON.stringify(cfg[k] ?? null)) warnings.push(`${loc.at(-1)}.${k} has no effect: the custom values set the deployment (${k} from the values is used)`);
      }
    } else {
      if (!raw || !Object.keys(raw).length) return null;
      const parsed = vllmConfigSchema.safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw unprocessable([...loc, ...i.path.map(String)], i.code === 'invalid_type' && (i as any).input === undefined ? 'Field required' : i.message);
      }
      cfg = parsed.data;
      warnings.push(...unknownKeys(vllmConfigSchema, raw, `${loc.at(-1)}.`), ...checkParallelism(cfg, loc));
    }
    if (cfg.kubernetes?.volumes.some((v) => v.type === 'hostPath') && (o.role ?? 'operator') !== 'admin') {
      const why = 'hostPath volumes (a folder of the node in the vLLM pod) need the admin role; use a PVC or emptyDir';
      // validating or previewing creates nothing: say it, so the caller learns before deploying
      if (o.dryRun) warnings.push(`${why} (deploying this would be refused)`);
      else throw forbidden(why);
    }
    const { config, secrets } = splitSecrets(cfg);
    return { config, secrets, warnings };
  }

  /** Says back Kubernetes-only settings on the local cluster, where the emulated server has no pod. */
  async clusterWarnings(clusterId: string, cfg: VllmConfig): Promise<string[]> {
    const k = cfg.kubernetes;
    if (!k) return [];
    const c = await this.c.clusters.get(clusterId).catch(() => null);
    if (c?.kind !== 'local') return [];
    const set = Object.entries(k).filter(([, v]) => (Array.isArray(v) ? v.length : v !== null && v !== undefined)).map(([key]) => key);
    return set.length ? [`kubernetes settings (${set.join(', ')}) apply on Kubernetes clusters; the local emulated server ignores them`] : [];
  }

  /** `o.id`: the item's id chosen by the caller (an id that is taken answers with that item). */
  async enqueue(body: QueueRequestInput, o: { role?: Role; id?: string } = {}): Promise<QueueItemView & { warnings: string[] }> {
    const parsed = queueRequestSchema.safeParse(body);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw unprocessable(['body', ...i.path.map(String)], i.message);
    }
    const req = parsed.data;
    // the earlier deployer and UI name the Helm settings `vllm_helm_config`
    req.helm_config ??= req.vllm_helm_config;
    delete req.vllm_helm_config;
    await this.c.clusters.get(req.cluster_id).catch(() => {
      throw unprocessable(['body', 'cluster_id'], `Unknown cluster ${req.cluster_id}`);
    });
    req.benchmark_configs.forEach((b, i) => {
      if (!(b.project_id && b.job_file_id)) {
        throw unprocessable(['body', 'benchmark_configs', i, 'job_file_id'] as any, 'project_id and job_file_id are required (the job file is read from the project)');
      }
    });
    const warnings = [...unknownKeys(queueRequestSchema, body, ''), ...ignoredFields(req, (body as Record<string, any>).vllm_config)];
    let resolved: ResolvedConfig | null = null;
    if (!req.skip_vllm_creation) {
      // custom values: only the fields the caller gave are compared with the values file (the parsed config carries
      // the schema's defaults, and each one warned that it had no effect)
      const given = (body as Record<string, any>).vllm_config;
      const cfg = typeof given?.custom_values_content === 'string' ? given : req.vllm_config;
      resolved = await this.resolveConfig(cfg as Record<string, unknown> | null, req.helm_config, ['body', 'vllm_config'], o);
      if (!resolved) throw unprocessable(['body', 'vllm_config', 'model_name'], 'Field required: a vLLM config (or custom values) is needed unless skip_vllm_creation');
      warnings.push(...resolved.warnings, ...(await this.clusterWarnings(req.cluster_id, resolved.config)));
    } else if (req.deployment_id) {
      await this.c.deployments.get(req.deployment_id).catch(() => {
        throw unprocessable(['body', 'deployment_id'], `Deployment ${req.deployment_id} not found`);
      });
    }
    // the job texts the earlier UI sends are not used (jobs are read from the project) and may carry credentials: sealed
    const jobYaml: Record<string, string> = {};
    req.benchmark_configs = req.benchmark_configs.map((b, i) => {
      const { yaml_content, ...rest } = b;
      if (yaml_content) jobYaml[String(i)] = yaml_content;
      return { ...rest, ...(yaml_content ? { has_yaml_content: true } : {}) } as typeof b;
    });
    const sealed = seal(this.c.secrets, { ...(resolved?.secrets ?? {}), ...(Object.keys(jobYaml).length ? { job_yaml: jobYaml } : {}) });
    const row = await this.c.queue.insert(req, resolved?.config ?? null, new Date(), sealed, o.id);
    this.c.log.info({ item: row.id, priority: row.priority, model: resolved?.config.model_name ?? null, warnings: warnings.length || undefined }, 'queue item added');
    this.c.scheduler.wake();
    return { ...queueView(row), warnings };
  }

  async getQueueItem(id: string): Promise<QueueItemView> {
    return queueView(await this.c.queue.get(id));
  }

  async listQueue(opts: { status?: string; limit?: number; offset?: number } = {}): Promise<QueueItemView[]> {
    const { rows } = await this.c.queue.list({ status: opts.status, limit: opts.limit ?? 100, offset: opts.offset ?? 0 });
    return rows.map(queueView);
  }

  queueStatus(): Promise<QueueCounts> {
    return queueCounts(this.c.db);
  }

  /** Cancels; when this process runs the item, waits (bounded) for its running step to stop and its cleanup to finish. */
  async cancel(id: string): Promise<void> {
    const row = await this.c.queue.cancel(id);
    if (row.cleanupPending) {
      const running = this.c.scheduler.interrupt(id, 'cancelled');
      if (running) await Promise.race([running, new Promise((r) => setTimeout(r, 30_000))]);
    }
    this.c.scheduler.wake();
  }

  /** Force delete: cancel (with cleanup) when in flight, then remove the record. */
  async forceDelete(id: string): Promise<void> {
    const row = await this.c.queue.get(id);
    if (row.status === 'processing' || row.status === 'pending') await this.cancel(id);
    const now = await this.c.queue.get(id);
    if (now.cleanupPending) await this.c.pipeline.cleanup(now);
    await this.c.queue.hardDelete(id);
  }

  async setPriority(id: string, priority: string): Promise<void> {
    if (!(PRIORITIES as readonly string[]).includes(priority)) throw unprocessable(['body', 'priority'], `must be one of ${PRIORITIES.join(', ')}`);
    await this.c.queue.setPriority(id, priority);
    this.c.scheduler.wake();
  }

  async triggerScheduler(): Promise<void> {
    this.c.scheduler.wake();
  }

  async schedulerState(): Promise<SchedulerState> {
    const [s, counts] = await Promise.all([this.c.scheduler.settings(), this.queueStatus()]);
    return { running: s.running, poll_interval: s.pollInterval, active_requests: counts.processing_requests, pending_requests: counts.pending_requests };
  }

  async servedModels(): Promise<ServedModel[]> {
    const rows = await this.c.deployments.running();
    const out: ServedModel[] = [];
    for (const d of rows) {
      const cfg = d.config as VllmConfig;
      if (!d.endpoint) continue;
      const backend = await this.c.clusters.backend(d.clusterId).catch(() => null);
      out.push({
        deployment_id: d.id,
        id: servedName(cfg),
        endpoint: d.endpoint,
        max_model_len: cfg.max_model_len ?? null,
        created: Math.floor(d.createdAt.getTime() / 1000),
        reachable: !!backend?.httpReachable,
      });
    }
    return out;
  }

  async deploymentOrThrow(id: string) {
    return this.c.deployments.get(id).catch(() => {
      throw notFound('Deployment not found');
    });
  }
}
