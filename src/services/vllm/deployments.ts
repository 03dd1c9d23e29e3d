/**
 * vLLM deployments: placement (under a per-cluster lock so two schedulers never promise the same GPU twice), start on
 * the cluster's backend, readiness (backend state, then `/health` and `/v1/models` when reachable), delete, and
 * reconciliation of stored records with what is actually running.
 */
import { randomUUID } from 'node:crypto';
import { and, count, desc, eq, getTableColumns, inArray, ne, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../../core/db/client.ts';
import { AppError, conflict, notFound } from '../../core/errors.ts';
import { iso } from '../../core/http.ts';
import type { SecretBox } from '../../core/secrets.ts';
import type { DeploymentRef, LiveState } from './backends/types.ts';
import type { ClusterRegistry } from './clusters.ts';
import { emulatedHardware, type ClusterNode } from './devices.ts';
import { fingerprint, k8sName, publicConfig, resourcesOf, servedName, type VllmConfig } from './models.ts';
import { decidePlacement, type PlacementDecision, type Resources, type Workload } from './placement.ts';
import { unseal } from './sealed.ts';
import { vllmDeployments, vllmQueue } from './schema.ts';

export type DeploymentRow = typeof vllmDeployments.$inferSelect;
export const ACTIVE = ['deploying', 'running'];

/** The cluster cannot schedule the deployment's pod (see `waitReady`); the deployment has been stopped. */
export class UnschedulableError extends Error {}

export interface CreateOptions {
  clusterId: string;
  priorityRank: number;
  allowEviction?: boolean;
  allowReuse?: boolean;
  keep?: boolean;
  ownerRequestId?: string | null;
  name?: string | null;
  nodes?: string[];
  signal?: AbortSignal;
  /** The request's sealed secrets (sealed.ts): copied to the deployment, opened only to start it. */
  sealed?: string | null;
  /**
   * Records a reuse on the caller's request while the placement lock is held, so that the owner's teardown (which
   * takes the same lock) sees the deployment in use and leaves it running.
   */
  onReuse?: (deploymentId: string) => Promise<void>;
}

export type CreateOutcome =
  | { kind: 'created'; deployment: DeploymentRow; decision: PlacementDecision }
  | { kind: 'reused'; deployment: DeploymentRow; decision: PlacementDecision }
  | { kind: 'wait'; decision: PlacementDecision }
  | { kind: 'unschedulable'; decision: PlacementDecision };

/** A readable message from any error, including Kubernetes API errors (status and the API's own message). */
export function describe(e: any): string {
  const code = e?.code ?? e?.statusCode;
  let body = e?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* plain text */
    }
  }
  const msg = body?.message ?? e?.message ?? String(e);
  return typeof code === 'number' && !String(msg).includes(String(code)) ? `HTTP ${code}: ${msg}` : String(msg);
}

/** 503 naming the cluster that could not be reached. */
export function unreachable(clusterId: string, e: unknown): AppError {
  return e instanceof AppError ? e : new AppError(503, `Cluster ${clusterId} is unreachable: ${describe(e)}`, 'unavailable');
}

export function toRef(d: DeploymentRow): DeploymentRef {
  return { id: d.id, name: d.name, namespace: d.namespace, endpoint: d.endpoint, pid: d.pid, config: d.config as VllmConfig };
}

/** The API view (earlier shape plus the placement decision); custom values are never returned. */
export function deploymentView(d: DeploymentRow) {
  const cfg = d.config as VllmConfig;
  return {
    deployment_id: d.id,
    deployment_name: d.name,
    status: d.status,
    config: publicConfig(cfg),
    cluster_id: d.clusterId,
    backend: d.backend,
    namespace: d.namespace,
    node_name: d.nodeName,
    k8s_service_name: d.serviceName,
    helm_release_name: null,
    endpoint: d.endpoint,
    served_model_name: servedName(cfg),
    resources: d.resources,
    fingerprint: d.fingerprint,
    placement: d.placement,
    owner_request_id: d.ownerRequestId,
    keep: d.keep,
    error_message: d.errorMessage,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
  };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('cancelled'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', on);
      resolve();
    }, ms);
    const on = () => {
      clearTimeout(t);
      reject(signal!.reason ?? new Error('cancelled'));
    };
    signal?.addEventListener('abort', on, { once: true });
  });

/** The columns a list shows: never the sealed secrets. */
const { secretsEnc: _sealed, ...LIST_COLUMNS } = getTableColumns(vllmDeployments);

export class DeploymentService {
  constructor(
    private readonly database: Database,
    private readonly clusters: ClusterRegistry,
    private readonly log: Logger,
    private readonly opts: { readyTimeoutMs?: number; pollMs?: number; secrets?: SecretBox } = {},
  ) {}

  private get db() {
    return this.database.db;
  }

  /** Newest first; filtered and paged in SQL (the table keeps every deployment ever made). */
  async list(o: { status?: string; clusterId?: string; limit?: number; offset?: number } = {}): Promise<{ rows: DeploymentRow[]; total: number }> {
    const where = and(
      o.status ? eq(vllmDeployments.status, o.status) : undefined,
      o.clusterId ? eq(vllmDeployments.clusterId, o.clusterId) : undefined,
    );
    const [rows, [{ n }]] = await Promise.all([
      this.db
        .select(LIST_COLUMNS)
        .from(vllmDeployments)
        .where(where)
        .orderBy(desc(vllmDeployments.createdAt), desc(vllmDeployments.id))
        .limit(o.limit ?? 1000)
        .offset(o.offset ?? 0),
      this.db.select({ n: count() }).from(vllmDeployments).where(where),
    ]);
    return { rows: rows.map((r) => ({ ...r, secretsEnc: null })), total: Number(n) };
  }

  async get(id: string): Promise<DeploymentRow> {
    const [d] = await this.db.select().from(vllmDeployments).where(eq(vllmDeployments.id, id));
    if (!d) throw notFound(`Deployment ${id} not found`);
    return d;
  }

  async running(): Promise<DeploymentRow[]> {
    const rows = await this.db.select(LIST_COLUMNS).from(vllmDeployments).where(eq(vllmDeployments.status, 'running'));
    return rows.map((r) => ({ ...r, secretsEnc: null }));
  }

  private async patch(id: string, set: Partial<typeof vllmDeployments.$inferInsert>): Promise<void> {
    await this.db.update(vllmDeployments).set({ ...set, updatedAt: new Date() }).where(eq(vllmDeployments.id, id));
  }

  /**
   * BenchOps workloads on a cluster for placement: live state checked (for reuse; `live: false` skips the probes, as a
   * node view only needs what they hold), pinned when an active request uses them.
   */
  async workloads(clusterId: string, exceptRequest?: string | null, o: { live?: boolean } = {}): Promise<Workload[]> {
    const rows = await this.db
      .select(LIST_COLUMNS)
      .from(vllmDeployments)
      .where(and(eq(vllmDeployments.clusterId, clusterId), inArray(vllmDeployments.status, ACTIVE)));
    if (!rows.length) return [];
    const users = await this.db
      .select({ id: vllmQueue.id, deploymentId: vllmQueue.deploymentId })
      .from(vllmQueue)
      .where(and(eq(vllmQueue.status, 'processing'), inArray(vllmQueue.deploymentId, rows.map((r) => r.id))));
    const backend = await this.clusters.backend(clusterId);
    const out: Workload[] = [];
    for (const r of rows) {
      let healthy = false;
      if (r.status === 'running' && o.live !== false) {
        const live = await backend.inspect(toRef({ ...r, secretsEnc: null })).catch(() => null);
        healthy = live?.state === 'ready' && (live.fingerprint === undefined || live.fingerprint === r.fingerprint);
      }
      out.push({
        id: r.id,
        node: r.nodeName,
        resources: r.resources as Record<string, number>,
        managedByBenchops: true,
        priorityRank: r.priorityRank,
        fingerprint: r.fingerprint,
        healthy,
        pinned: users.some((u) => u.deploymentId === r.id && u.id !== exceptRequest),
      });
    }
    return out;
  }

  /** The placement decision for a config right now (no side effects). */
  async decide(config: VllmConfig, o: Pick<CreateOptions, 'clusterId' | 'priorityRank' | 'allowEviction' | 'allowReuse' | 'nodes' | 'ownerRequestId'>) {
    const backend = await this.clusters.backend(o.clusterId);
    let nodes: ClusterNode[];
    let foreign: Workload[];
    try {
      nodes = await backend.nodes();
      foreign = await backend.foreignWorkloads();
    } catch (e) {
      throw unreachable(o.clusterId, e);
    }
    const running = [...(await this.workloads(o.clusterId, o.ownerRequestId)), ...foreign];
    const decision = decidePlacement(
      {
        fingerprint: fingerprint(config, o.clusterId),
        resources: resourcesOf(config),
        priorityRank: o.priorityRank,
        allowEviction: !!o.allowEviction,
        allowReuse: o.allowReuse,
        nodeSelector: config.node_selector ?? undefined,
        nodes: o.nodes,
        hardware: config.hardware,
      },
      nodes,
      running,
    );
    return { decision, nodes };
  }

  /**
   * Places and starts a deployment (or reuses an identical healthy one). Placement and the record that reserves the
   * GPUs happen under one cluster-wide lock; starting the server happens after it.
   */
  async create(config: VllmConfig, o: CreateOptions): Promise<CreateOutcome> {
    const backend = await this.clusters.backend(o.clusterId);
    const namespace = await this.clusters.namespaceOf(o.clusterId);
    const fp = fingerprint(config, o.clusterId);
    const resources = resourcesOf(config);
    const reserved = await this.database.withLock(`vllm:placement:${o.clusterId}`, async () => {
      const { decision, nodes } = await this.decide(config, o);
      if (decision.action === 'wait' || decision.action === 'unschedulable') return { decision };
      if (decision.action === 'reuse') {
        let reused = await this.get(decision.deployment_id);
        // a caller that keeps what it deploys (POST /deploy, keep_deployment) is a user until it deletes it: the
        // request that created the deployment must not tear it down under this caller when it finishes
        // (a direct caller takes it over: the request that created it no longer owns it, so its cancel leaves it)
        if (o.keep && !reused.keep) {
          await this.patch(reused.id, { keep: true, ...(o.ownerRequestId ? {} : { ownerRequestId: null }) });
          reused = await this.get(reused.id);
        }
        await o.onReuse?.(reused.id);
        return { decision, reused };
      }
      const override = config.kubernetes?.name_override;
      if (override) {
        const [taken] = await this.db
          .select({ id: vllmDeployments.id })
          .from(vllmDeployments)
          .where(and(eq(vllmDeployments.clusterId, o.clusterId), eq(vllmDeployments.name, override), inArray(vllmDeployments.status, ACTIVE)));
        if (taken) throw conflict(`The name ${override} (fullnameOverride) is used by active deployment ${taken.id} on cluster ${o.clusterId}`);
      }
      if (decision.action === 'evict') {
        for (const victim of decision.evict) await this.stop(victim, `evicted for a higher-priority deployment (${decision.reason})`);
      }
      const id = randomUUID();
      const row: typeof vllmDeployments.$inferInsert = {
        id,
        name: override ?? (o.name ? k8sName(o.name, id) : k8sName(config.model_name, id)),
        clusterId: o.clusterId,
        backend: backend.kind,
        namespace,
        status: 'deploying',
        config,
        fingerprint: fp,
        // what it holds on the node: a pool's key when the node splits a resource name, a CPU slot locally
        resources: ('resources' in decision && decision.resources) || resources,
        priorityRank: o.priorityRank,
        nodeName: decision.node,
        ownerRequestId: o.ownerRequestId ?? null,
        keep: !!o.keep,
        placement: decision,
        secretsEnc: o.sealed ?? null,
      };
      const [d] = await this.db.insert(vllmDeployments).values(row).returning();
      return { decision, created: d, node: nodes.find((n) => n.name === decision.node) };
    });
    if ('reused' in reserved && reserved.reused) return { kind: 'reused', deployment: reserved.reused, decision: reserved.decision };
    if (!('created' in reserved) || !reserved.created) {
      return reserved.decision.action === 'wait' ? { kind: 'wait', decision: reserved.decision } : { kind: 'unschedulable', decision: reserved.decision };
    }
    const d = reserved.created;
    try {
      await this.launch(d, (reserved as { node?: ClusterNode }).node, o.signal);
    } catch (e: any) {
      if (o.signal?.aborted || e instanceof AppError) throw e;
      throw new AppError(502, `Starting ${d.name} failed: ${describe(e)}`, 'upstream');
    }
    return { kind: 'created', deployment: await this.get(d.id), decision: reserved.decision };
  }

  private async launch(d: DeploymentRow, node: ClusterNode | undefined, signal?: AbortSignal): Promise<void> {
    const backend = await this.clusters.backend(d.clusterId);
    const cfg = d.config as VllmConfig;
    try {
      let secretEnv: Record<string, string> | undefined;
      if (d.secretsEnc && this.opts.secrets) {
        try {
          secretEnv = unseal(this.opts.secrets, d.secretsEnc).env;
        } catch {
          throw new Error('its sealed secrets cannot be opened (was BENCHOPS_SECRET_KEY changed?)');
        }
      }
      const res = await backend.start(
        {
          id: d.id,
          name: d.name,
          namespace: d.namespace,
          config: cfg,
          fingerprint: d.fingerprint,
          resources: d.resources as Resources,
          priorityRank: d.priorityRank,
          node: backend.kind === 'kubernetes' ? d.nodeName : null,
          ownerRequestId: d.ownerRequestId,
          hardware: emulatedHardware(node, d.resources as Resources, cfg.hardware),
          ...(secretEnv ? { secretEnv } : {}),
        },
        signal,
      );
      await this.patch(d.id, { endpoint: res.endpoint, serviceName: res.serviceName, pid: res.pid ?? null });
    } catch (e: any) {
      await this.patch(d.id, { status: 'failed', errorMessage: `start failed: ${describe(e)}` });
      throw e;
    }
  }

  /**
   * Waits until the deployment serves: backend ready, then `/health` and `/v1/models` (listing the served name). With
   * `unschedulableGraceMs`, a pod the cluster cannot schedule for that long stops the deployment and throws
   * `UnschedulableError` (the queue waits for capacity instead of holding a pending pod until the ready timeout).
   */
  async waitReady(id: string, signal?: AbortSignal, o: { unschedulableGraceMs?: number } = {}): Promise<DeploymentRow> {
    const timeout = this.opts.readyTimeoutMs ?? 600_000;
    const deadline = Date.now() + timeout;
    let last = '';
    let unschedulableSince: number | null = null;
    for (;;) {
      const d = await this.get(id);
      if (d.status === 'running') return d;
      if (d.status !== 'deploying') throw new Error(`deployment ${id} is ${d.status}${d.errorMessage ? `: ${d.errorMessage}` : ''}`);
      const backend = await this.clusters.backend(d.clusterId);
      const live: LiveState = await backend.inspect(toRef(d)).catch((e) => ({ state: 'starting' as const, message: e.message }));
      if (live.state === 'failed' || live.state === 'missing') {
        await this.patch(id, { status: 'failed', errorMessage: live.message ?? live.state });
        throw new Error(`deployment ${d.name} failed: ${live.message ?? live.state}`);
      }
      last = live.message ?? last;
      unschedulableSince = live.unschedulable ? (unschedulableSince ?? Date.now()) : null;
      if (unschedulableSince !== null && o.unschedulableGraceMs !== undefined && Date.now() - unschedulableSince >= o.unschedulableGraceMs) {
        await this.stop(id, `unschedulable: ${live.message ?? ''}`);
        throw new UnschedulableError(live.message ?? `deployment ${d.name} cannot be scheduled`);
      }
      if (live.state === 'ready') {
        const ok = backend.httpReachable && d.endpoint ? await this.servesModel(d) : true;
        if (ok === true) {
          await this.db
            .update(vllmDeployments)
            .set({ status: 'running', errorMessage: null, updatedAt: new Date() })
            .where(and(eq(vllmDeployments.id, id), eq(vllmDeployments.status, 'deploying')));
          return this.get(id);
        }
        last = ok;
      }
      if (Date.now() > deadline) {
        await this.patch(id, { status: 'failed', errorMessage: `not ready within ${Math.round(timeout / 1000)} s${last ? `: ${last}` : ''}` });
        throw new Error(`deployment ${d.name} not ready within ${Math.round(timeout / 1000)} s${last ? `: ${last}` : ''}`);
      }
      await sleep(this.opts.pollMs ?? 1000, signal);
    }
  }

  /** True when `/health` answers and `/v1/models` lists the served name; else why not. */
  private async servesModel(d: DeploymentRow): Promise<true | string> {
    try {
      const h = await fetch(`${d.endpoint}/health`, { signal: AbortSignal.timeout(3000) });
      await h.body?.cancel().catch(() => {});
      if (!h.ok) return `/health answered ${h.status}`;
      const m = await fetch(`${d.endpoint}/v1/models`, { signal: AbortSignal.timeout(3000) });
      if (!m.ok) return `/v1/models answered ${m.status}`;
      const body: any = await m.json();
      const want = servedName(d.config as VllmConfig);
      if (!Array.isArray(body?.data) || !body.data.some((x: any) => x?.id === want)) return `/v1/models does not list ${want}`;
      return true;
    } catch (e: any) {
      return `endpoint unreachable: ${e.message}`;
    }
  }

  /** Stops a deployment: removes its objects or process, status `stopped` (kept as history). */
  async stop(id: string, reason?: string): Promise<DeploymentRow> {
    const d = await this.get(id);
    if (d.status === 'stopped' || d.status === 'cleaned_up') return d;
    const backend = await this.clusters.backend(d.clusterId);
    await backend.remove(toRef(d));
    await this.patch(id, { status: 'stopped', pid: null, ...(reason ? { errorMessage: reason } : {}) });
    this.log.info({ deployment: id, reason }, 'vLLM deployment stopped');
    return this.get(id);
  }

  /**
   * DELETE /deployments/{id}: the caller is done with it. Stops it now, unless a processing queue request benchmarks
   * it: then a kept deployment is released (it stops when that request, its last user, finishes) and one the queue
   * owns is refused (cancel that request instead).
   */
  async delete(id: string): Promise<{ stopped: boolean; users: string[] }> {
    const d = await this.get(id);
    return this.database.withLock(`vllm:placement:${d.clusterId}`, async () => {
      const users = await this.db
        .select({ id: vllmQueue.id })
        .from(vllmQueue)
        .where(and(eq(vllmQueue.deploymentId, id), eq(vllmQueue.status, 'processing')));
      if (users.length) {
        const now = await this.get(id);
        if (!now.keep) throw conflict(`Deployment ${id} is in use by queue request ${users[0].id}; cancel it first`);
        await this.patch(id, { keep: false });
        return { stopped: false, users: users.map((u) => u.id) };
      }
      await this.stop(id, 'deleted');
      return { stopped: true, users: [] };
    });
  }

  /**
   * Stops a deployment unless another active request uses it; under the cluster's placement lock, so that a reuse
   * being recorded (see `CreateOptions.onReuse`) and this check never interleave. Returns whether it stopped.
   */
  async stopUnlessInUse(id: string, requestId: string, reason: string, o: { owner?: string } = {}): Promise<boolean> {
    const d = await this.get(id).catch(() => null);
    if (!d) return false;
    return this.database.withLock(`vllm:placement:${d.clusterId}`, async () => {
      if (await this.inUseByOthers(id, requestId)) return false;
      const now = await this.get(id);
      if (now.status !== 'running' && now.status !== 'deploying') return false;
      // kept: its direct user (POST /deploy, keep_deployment) decides; `owner`: only if that request still owns it
      if (now.keep && !(o.owner && now.ownerRequestId === o.owner)) return false;
      if (o.owner && now.ownerRequestId !== o.owner) return false;
      await this.stop(id, reason);
      return true;
    });
  }

  /** Whether another active request (not `requestId`) uses the deployment. */
  async inUseByOthers(id: string, requestId: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: vllmQueue.id })
      .from(vllmQueue)
      .where(and(eq(vllmQueue.deploymentId, id), inArray(vllmQueue.status, ['processing']), ne(vllmQueue.id, requestId)));
    return rows.length > 0;
  }

  /**
   * Start-up reconciliation: a `running`/`deploying` record whose server is gone is restarted (local backend) or marked
   * failed (Kubernetes); a `deploying` one that became ready is marked running.
   */
  async reconcile(): Promise<{ checked: number; restarted: number; failed: number }> {
    const rows = await this.db.select().from(vllmDeployments).where(inArray(vllmDeployments.status, ACTIVE));
    let restarted = 0;
    let failed = 0;
    for (const d of rows) {
      let backend;
      try {
        backend = await this.clusters.backend(d.clusterId);
      } catch (e: any) {
        this.log.warn({ deployment: d.id, err: e.message }, 'cannot reach the cluster of a deployment; left as is');
        continue;
      }
      const live = await backend.inspect(toRef(d)).catch(() => null);
      if (!live) continue;
      if (live.state === 'ready' && d.status === 'deploying') await this.patch(d.id, { status: 'running' });
      if (live.state !== 'missing' && live.state !== 'failed') continue;
      if (backend.kind === 'local' && live.state === 'missing') {
        try {
          const node = (await backend.nodes())[0];
          await this.patch(d.id, { status: 'deploying', errorMessage: `restarted: ${live.message ?? 'process gone'}` });
          await this.launch({ ...d, status: 'deploying' }, node);
          await this.waitReady(d.id);
          restarted++;
          continue;
        } catch (e: any) {
          this.log.warn({ deployment: d.id, err: e.message }, 'restart of a local deployment failed');
        }
      }
      await this.patch(d.id, { status: 'failed', pid: null, errorMessage: `found ${live.state} on start-up: ${live.message ?? ''}`.trim() });
      failed++;
    }
    return { checked: rows.length, restarted, failed };
  }

  /**
   * Periodic liveness pass: a `running` deployment whose server vanished or fails is marked `failed` (so reuse and the
   * gateway skip it); a `deploying` one that became ready without anyone waiting is marked `running`.
   */
  async sweep(): Promise<{ failed: number; promoted: number }> {
    const rows = await this.db.select().from(vllmDeployments).where(inArray(vllmDeployments.status, ACTIVE));
    let failed = 0;
    let promoted = 0;
    for (const d of rows) {
      // a deployment still being launched has no endpoint yet; its launcher decides
      if (!d.endpoint) continue;
      const backend = await this.clusters.backend(d.clusterId).catch(() => null);
      const live = backend ? await backend.inspect(toRef(d)).catch(() => null) : null;
      if (!live) continue;
      if (live.state === 'ready' && d.status === 'deploying') {
        await this.db
          .update(vllmDeployments)
          .set({ status: 'running', updatedAt: new Date() })
          .where(and(eq(vllmDeployments.id, d.id), eq(vllmDeployments.status, 'deploying')));
        promoted++;
      } else if ((live.state === 'missing' || live.state === 'failed') && d.status === 'running') {
        await this.db
          .update(vllmDeployments)
          .set({ status: 'failed', errorMessage: `found ${live.state} while running: ${live.message ?? ''}`.trim(), updatedAt: new Date() })
          .where(and(eq(vllmDeployments.id, d.id), eq(vllmDeployments.status, 'running')));
        this.log.warn({ deployment: d.id, state: live.state, message: live.message }, 'running vLLM deployment lost');
        failed++;
      }
    }
    return { failed, promoted };
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.db
      .select({ status: vllmDeployments.status, n: sql<number>`count(*)::int` })
      .from(vllmDeployments)
      .groupBy(vllmDeployments.status);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}
