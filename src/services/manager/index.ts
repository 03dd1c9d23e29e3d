/** The Benchmark Manager module (seed 001): projects in Git, synced originals, modified copies, background polling. */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { PlatformContext, ServiceModule } from '../../core/service.ts';
import type { ManagerApi } from './api.ts';
import { prepareDemoRepo } from './demo.ts';
import { SyncPoller } from './poller.ts';
import { registerManagerRoutes } from './routes.ts';
import { ManagerService } from './service.ts';
import { Syncer } from './sync.ts';

export interface ManagerModule extends ServiceModule {
  api: ManagerApi;
  service: ManagerService;
  syncer: Syncer;
  poller: SyncPoller;
  /** Registers and syncs the demo project when no project exists (embedded first start). */
  ensureDemo(): Promise<void>;
}

function gitAvailable(): string {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return 'ok';
  } catch {
    return 'down: the git CLI is not installed (needed to sync non-GitHub repositories)';
  }
}

export function createManagerService(ctx: PlatformContext): ManagerModule {
  const instanceId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const log = ctx.log.child({ svc: 'manager' });
  const service = new ManagerService(ctx.db, ctx.secrets, ctx.config.githubApiUrl);
  const syncs = new Counter({ name: 'benchops_manager_syncs_total', help: 'Project syncs by trigger and status', labelNames: ['trigger', 'status'], registers: [] });
  const duration = new Histogram({
    name: 'benchops_manager_sync_duration_seconds',
    help: 'Project sync duration',
    labelNames: ['status'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [],
  });
  const syncer = new Syncer({
    database: ctx.database,
    service,
    log,
    dataDir: ctx.config.dataDir,
    githubApiUrl: ctx.config.githubApiUrl,
    githubToken: ctx.config.githubToken,
    instanceId,
    observe: (trigger, status, seconds) => {
      syncs.inc({ trigger, status });
      duration.observe({ status }, seconds);
    },
  });
  const poller = new SyncPoller(ctx.db, syncer, instanceId, Math.round(ctx.config.pollTickSeconds * 1000), log);
  const gitHealth = gitAvailable();

  const ensureDemo = async () => {
    await ctx.database.withLock('benchops:manager:demo', async () => {
      const { total } = await service.listProjects({ limit: 1, offset: 0 });
      if (total > 0) return;
      const url = await prepareDemoRepo(ctx.config.dataDir);
      const p = await service.createProject({ name: 'demo', project_type: 'benchmark', github_repo_url: url, config_folder: 'config', job_folder: 'job' });
      const r = await syncer.sync(p.id, 'demo');
      if (r.status === 'success') log.info({ project_id: p.id, files: r.synced_files }, 'demo project registered and synced');
      else log.warn({ project_id: p.id, reason: r.message }, 'demo project registered but its sync failed');
    });
  };

  return {
    name: 'manager',
    title: 'BenchOps Benchmark Manager',
    description: 'Projects in Git: benchmark configs and job manifests synced from GitHub or any git URL, modified copies, diffs.',
    api: service,
    service,
    syncer: syncer,
    poller,
    ensureDemo,
    routes: async (app) => registerManagerRoutes(app, service, syncer),
    health: async () => ({ git: gitHealth }),
    status: async () => ({ ...(await service.status()), polling: poller.active ? 'running' : 'stopped', instance: instanceId }),
    metrics: (registry: Registry) => {
      registry.registerMetric(syncs);
      registry.registerMetric(duration);
    },
    start: async () => {
      if (ctx.config.demo) {
        await ensureDemo().catch((e) => log.error({ err: e }, 'demo project setup failed'));
      }
      poller.start();
    },
    stop: async () => {
      await poller.stop();
    },
  };
}


