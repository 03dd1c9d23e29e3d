/**
 * Benchmark vLLM service (:8005): vLLM deployments with GPU placement, the deploy-then-benchmark queue and its
 * scheduler, clusters and nodes. `registerModelGateway` (gateway.ts) adds `/v1/models` and OpenAI proxying to the
 * 8080 gateway.
 */
import path from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import type { PlatformContext, ServiceModule } from '../../core/service.ts';
import type { App } from '../../core/http.ts';
import type { DeployerApi } from '../deployer/api.ts';
import type { ManagerApi } from '../manager/api.ts';
import { managerApi } from '../manager/client.ts';
import type { VllmApi } from './api.ts';
import { deployerApi } from '../deployer/client.ts';
import { resultPksFor } from './clients.ts';
import { ClusterRegistry } from './clusters.ts';
import { DeploymentService } from './deployments.ts';
import { GitFollower, parseFollowList } from './follower.ts';
import { registerFollowerRoutes } from './follower/routes.ts';
import { parseLocalDevices } from './devices.ts';
import { sealLegacyRows } from './legacy-secrets.ts';
import { Pipeline } from './pipeline.ts';
import { QueueRepository } from './queue.ts';
import { registerRoutes } from './routes.ts';
import { newInstanceId, Scheduler } from './scheduler.ts';
import { VllmService, type VllmCore } from './service.ts';

import { registerModelGateway } from './gateway.ts';

export { registerModelGateway };
export type { VllmApi } from './api.ts';
export { vllmApi, VllmHttpClient } from './clients.ts';

/** Knobs tests and benchmarks turn; production uses the defaults. */
export interface VllmModuleOptions {
  deployer?: () => DeployerApi;
  manager?: () => ManagerApi | null;
  resultPks?: (runId: string) => Promise<string[]>;
  simCommand?: string[];
  instanceId?: string;
  leaseMs?: number;
  concurrency?: number;
  jobPollMs?: number;
  jobTimeoutMs?: number;
  deployPollMs?: number;
  readyTimeoutMs?: number;
  retryWaitMs?: number;
  /** How long a pod the cluster cannot schedule may stay pending before the item goes back to waiting (ms). */
  unschedulableGraceMs?: number;
  maxAttempts?: number;
  /** How often running deployments are checked for liveness (ms). */
  livenessMs?: number;
  /** Start the scheduler loop in start() (default true). */
  autoStart?: boolean;
  /** How often the Git follower looks at followed projects (ms; default the poll tick). */
  followMs?: number;
  /** Projects to follow from the start, `<project_id>[@<cluster_id>]` comma-separated (see parseFollowList). */
  follow?: string;
}

export interface VllmModule extends ServiceModule {
  api: VllmApi;
  core: VllmCore;
  follower: GitFollower;
}

export function createVllmModule(ctx: PlatformContext, o: VllmModuleOptions = {}): VllmModule {
  const { config, log } = ctx;
  const clusters = new ClusterRegistry({
    db: ctx.db,
    secrets: ctx.secrets,
    log,
    namespace: config.namespace,
    localDevices: parseLocalDevices(config.localDevices),
    kubernetesDefault: config.executor === 'kubernetes',
    simCommand: o.simCommand,
    // emulated servers watch a heartbeat file here (kept with the platform's data, private to the user)
    heartbeatDir: path.join(config.dataDir, 'vllm-local', 'heartbeats'),
  });
  const deployments = new DeploymentService(ctx.database, clusters, log, {
    readyTimeoutMs: o.readyTimeoutMs ?? config.vllmReadyTimeoutSeconds * 1000,
    pollMs: o.deployPollMs ?? 500,
    secrets: ctx.secrets,
  });
  const queue = new QueueRepository(ctx.db);
  const owner = o.instanceId ?? newInstanceId();
  const manager = o.manager ?? (() => {
    try {
      return managerApi(ctx);
    } catch {
      return null;
    }
  });
  const pipeline = new Pipeline({
    db: ctx.db,
    queue,
    deployments,
    deployer: o.deployer ?? (() => deployerApi(ctx)),
    manager,
    resultPks: o.resultPks ?? ((runId) => resultPksFor(ctx, runId)),
    log,
    owner,
    jobPollMs: o.jobPollMs ?? 1000,
    jobTimeoutMs: o.jobTimeoutMs ?? config.jobTimeoutSeconds * 1000,
    retryWaitMs: o.retryWaitMs ?? Math.max(1000, config.pollTickSeconds * 1000),
    unschedulableGraceMs: o.unschedulableGraceMs ?? 120_000,
    secrets: ctx.secrets,
  });
  const scheduler = new Scheduler({
    db: ctx.db,
    queue,
    pipeline,
    log,
    owner,
    defaultPollSeconds: config.pollTickSeconds,
    leaseMs: o.leaseMs ?? 30_000,
    concurrency: o.concurrency ?? 2,
    maxAttempts: o.maxAttempts ?? 3,
  });
  // a bad list stops the service at creation, like any invalid setting
  const followList = o.follow ? parseFollowList(o.follow) : [];
  const core: VllmCore = { db: ctx.db, log, queue, deployments, clusters, scheduler, pipeline, manager, secrets: ctx.secrets };
  const svc = new VllmService(core);
  // Git as the source of truth (follower.ts): idle until a vLLM project is followed (PUT /follow/{project_id})
  const follower = new GitFollower({
    database: ctx.database,
    log: log.child({ component: 'git-follower' }),
    manager,
    svc,
    queue,
    deployments,
    clusters,
    intervalMs: o.followMs ?? Math.max(200, config.pollTickSeconds * 1000),
  });
  let liveness: NodeJS.Timeout | null = null;

  return {
    name: 'vllm',
    title: 'BenchOps vLLM service',
    description:
      'Deploys vLLM servers (Kubernetes, or emulated servers locally) with GPU placement, and runs the deploy-then-benchmark queue.',
    api: svc,
    core,
    follower,
    routes: async (app: App) => {
      await registerRoutes(app, core, svc);
      await registerFollowerRoutes(app, ctx.db, follower);
    },
    // the OpenAI-compatible `/v1/models` and proxying at the root of the 8080 gateway
    gatewayRoutes: (app: App) => registerModelGateway(app, svc),
    health: async () => {
      const out: Record<string, string> = {};
      try {
        const b = await clusters.backend(config.executor === 'kubernetes' ? 'default' : 'local');
        await b.nodes();
        out.cluster = 'ok';
      } catch (e: any) {
        out.cluster = `down: ${e.message}`;
      }
      out.scheduler = scheduler.lastError ? `degraded: ${scheduler.lastError}` : 'ok';
      return out;
    },
    metrics: (registry: Registry) => {
      new Gauge({
        name: 'benchops_vllm_queue_items',
        help: 'vLLM queue items by status',
        labelNames: ['status'],
        registers: [registry],
        async collect() {
          const c = await svc.queueStatus().catch(() => null);
          if (!c) return;
          for (const st of ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const) this.set({ status: st }, (c as any)[`${st}_requests`]);
        },
      });
      new Gauge({
        name: 'benchops_vllm_deployments',
        help: 'vLLM deployments by status',
        labelNames: ['status'],
        registers: [registry],
        async collect() {
          const c = await deployments.counts().catch(() => null);
          if (!c) return;
          this.reset();
          for (const [st, n] of Object.entries(c)) this.set({ status: st }, n);
        },
      });
      new Gauge({
        name: 'benchops_vllm_follow_files',
        help: 'Values files of followed vLLM projects by state (deploying, deployed, waiting, error, invalid)',
        labelNames: ['status'],
        registers: [registry],
        async collect() {
          const c = await follower.store.counts().catch(() => null);
          if (!c) return;
          this.reset();
          for (const [st, n] of Object.entries(c)) this.set({ status: st }, n);
        },
      });
    },
    status: async () => ({
      queue: await svc.queueStatus(),
      deployments: await deployments.counts(),
      scheduler: { ...(await scheduler.settings()), instance_id: owner, active: scheduler.activeIds() },
      // per-project errors are on GET /follow; a follower problem is not the service's health (readiness stays up)
      follower: { followed: (await follower.store.follows()).length, last_error: follower.lastError },
    }),
    start: async () => {
      await ctx.database
        .tryWithLock('vllm:seal-legacy', async () => {
          const r = await sealLegacyRows(ctx.db, ctx.secrets, log);
          if (r.queue || r.deployments) log.info(r, 'sealed custom values and job YAML that older vLLM records kept in clear');
        })
        .catch((e) => log.warn({ err: e.message }, 'sealing older vLLM records failed'));
      await ctx.database
        .tryWithLock('vllm:reconcile', async () => {
          const r = await deployments.reconcile();
          if (r.checked) log.info(r, 'vLLM deployments reconciled');
        })
        .catch((e) => log.warn({ err: e.message }, 'vLLM reconciliation failed'));
      if (followList.length) await follower.ensureFollows(followList);
      if (o.autoStart !== false) {
        scheduler.start();
        follower.start();
      }
      liveness = setInterval(() => {
        void ctx.database.tryWithLock('vllm:liveness', () => deployments.sweep()).catch((e) => log.warn({ err: e.message }, 'liveness pass failed'));
      }, o.livenessMs ?? 10_000);
      liveness.unref?.();
    },
    stop: async () => {
      if (liveness) clearInterval(liveness);
      await follower.stop();
      await scheduler.stop();
      await clusters.close();
    },
  };
}

/** The platform's factory (registered in src/services/index.ts). */
export function createVllmService(ctx: PlatformContext): ServiceModule {
  return createVllmModule(ctx, { follow: ctx.config.vllmFollow });
}
