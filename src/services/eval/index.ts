/**
 * The evaluation module (:8004, seed 002): stores evaluations, waits for engines without blocking, renders the
 * team's job template from the Git project and runs it through the deployer, follows it to its results; recurring
 * schedules. `api` is the in-process EvalApi (the MLflow integration calls it); client.ts is the same over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';
import type { PlatformContext, ServiceModule } from '../../core/service.ts';
import type { EvalApi } from './api.ts';
import { EvalDriver } from './driver.ts';
import { platformPorts, type EvalPorts } from './ports.ts';
import { EvalRepository } from './repository.ts';
import { registerEvalRoutes } from './routes.ts';
import { ScheduleService } from './schedules.ts';
import { EvalService } from './service.ts';
import { DEMO_TEMPLATE } from './template.ts';
import { evaluations } from './schema.ts';
import { isNotNull } from 'drizzle-orm';

export type { EvalApi } from './api.ts';

/** Knobs tests turn; production uses the defaults (and the config). */
export interface EvalModuleOptions {
  ports?: EvalPorts;
  instanceId?: string;
  tickMs?: number;
  leaseMs?: number;
  probeTimeoutMs?: number;
  firstBackoffMs?: number;
  maxBackoffMs?: number;
  followMs?: number;
  submitRetries?: number;
}

export interface EvalModule extends ServiceModule {
  api: EvalApi;
  service: EvalService;
  schedules: ScheduleService;
  driver: EvalDriver;
  repo: EvalRepository;
}

export function createEvalModule(ctx: PlatformContext, o: EvalModuleOptions = {}): EvalModule {
  const log = ctx.log.child({ svc: 'eval' });
  const cfg = ctx.config;
  const repo = new EvalRepository(ctx.db);
  const ports = o.ports ?? platformPorts(ctx);
  const tickMs = o.tickMs ?? Math.min(2000, Math.max(50, cfg.pollTickSeconds * 1000));
  const driverRef: { d?: EvalDriver } = {};
  // embedded mode with the demo: the demo project's task evaluation, so the seed's two-field body works as it is
  const defaultTemplate = cfg.evalTemplate ?? (cfg.demo ? DEMO_TEMPLATE : undefined);
  const service = new EvalService({
    repo,
    ports,
    log,
    defaultTemplate,
    readyTimeoutSeconds: cfg.evalReadyTimeoutSeconds,
    maxWaiting: cfg.evalMaxWaiting,
    onNew: () => driverRef.d?.poke(),
  });
  const schedules = new ScheduleService({ repo, ports, service, log, defaultTemplate, minIntervalSeconds: cfg.evalMinIntervalSeconds });
  const driver = new EvalDriver({
    repo,
    ports,
    log,
    owner: o.instanceId ?? `${process.pid}-${randomUUID().slice(0, 8)}`,
    tickMs,
    leaseMs: o.leaseMs ?? 30_000,
    concurrency: cfg.evalConcurrency,
    probeTimeoutMs: o.probeTimeoutMs ?? 5000,
    firstBackoffMs: o.firstBackoffMs ?? Math.min(1000, tickMs),
    maxBackoffMs: o.maxBackoffMs ?? 30_000,
    followMs: o.followMs ?? tickMs,
    jobTimeoutMs: cfg.jobTimeoutSeconds * 1000,
    submitRetries: o.submitRetries ?? 5,
    alsoEachTick: async () => void (await schedules.tick()),
  });
  driverRef.d = driver;
  return {
    name: 'eval',
    title: 'BenchOps Evaluation',
    description:
      'Seed 002: POST /evaluate waits (without blocking) until the engine lists the model on /v1/models, renders the evaluation job from the Git project and runs it through the deployer; evaluations are stored with their history and result pks; recurring schedules (cron).',
    api: service,
    service,
    schedules,
    driver,
    repo,
    routes: async (app) => registerEvalRoutes(app, { service, schedules }),
    health: () => ports.health(),
    status: async () => ({ evaluations: await repo.counts(), schedules: await repo.countSchedules() }),
    metrics: (registry: Registry) => {
      new Gauge({
        name: 'benchops_evaluations',
        help: 'Evaluations by status',
        labelNames: ['status'],
        registers: [registry],
        async collect() {
          const c = await repo.counts().catch(() => null);
          if (!c) return;
          this.reset();
          for (const [status, n] of Object.entries(c)) this.set({ status }, n);
        },
      });
    },
    start: async () => {
      // PGlite's folder is this process's alone: every lease left in it is from a process that stopped, so work
      // in flight resumes now instead of after the lease lapses (on a server other replicas' leases are live).
      if (ctx.database.kind === 'pglite') await ctx.db.update(evaluations).set({ leaseOwner: null, leaseUntil: null }).where(isNotNull(evaluations.leaseOwner));
      driver.start();
    },
    stop: async () => driver.stop(),
  };
}

/** The platform's factory (registered in src/services/index.ts). */
export function createEvalService(ctx: PlatformContext): ServiceModule {
  return createEvalModule(ctx);
}
