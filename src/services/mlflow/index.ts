/**
 * The MLflow integration module (:8003, seed 002): polls (or hears webhooks from) the MLflow Model Registry, writes
 * each new version's engine values into Git (GitHub contents API or git push; optionally Argo CD manifests) and asks
 * the evaluation service to evaluate the engine. Exactly once per (model, version, engine) through database claims.
 */
import { randomUUID } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';
import type { PlatformContext, ServiceModule } from '../../core/service.ts';
import { managerApi } from '../manager/client.ts';
import { evalPort, type EvalPort } from './eval-client.ts';
import type { GitWriter } from './git-writer.ts';
import type { MlflowClient } from './mlflow-client.ts';
import { MlflowPoller } from './poller.ts';
import { MlflowRepository } from './repository.ts';
import { registerMlflowRoutes } from './routes.ts';
import { MlflowIntegration } from './service.ts';
import { SettingsStore, type Settings } from './settings.ts';

export { MlflowIntegration, type PollResult } from './service.ts';
export { signDelivery } from './webhook.ts';

/** Knobs tests and benchmarks turn; production uses the defaults. */
export interface MlflowModuleOptions {
  instanceId?: string;
  tickMs?: number;
  leaseMs?: number;
  backoff?: { baseMs: number; maxMs: number; maxAttempts: number };
  evalPort?: () => EvalPort | null;
  mlflowClient?: (s: Settings) => MlflowClient;
  gitWriter?: (s: Settings) => GitWriter | null;
}

export interface MlflowModule extends ServiceModule {
  integration: MlflowIntegration;
  repo: MlflowRepository;
  settings: SettingsStore;
  poller: MlflowPoller;
}

export function createMlflowModule(ctx: PlatformContext, o: MlflowModuleOptions = {}): MlflowModule {
  const log = ctx.log.child({ svc: 'mlflow' });
  const repo = new MlflowRepository(ctx.db);
  const settings = new SettingsStore(ctx.config, repo, ctx.secrets);
  const owner = o.instanceId ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
  const integration = new MlflowIntegration({
    repo,
    settings,
    log,
    owner,
    dataDir: ctx.config.dataDir,
    githubApiUrl: ctx.config.githubApiUrl,
    manager: () => managerApi(ctx),
    evalPort: o.evalPort ?? (() => evalPort(ctx)),
    // embedded: the 8080 gateway's /v1 serves every running vLLM deployment by its served model name
    embeddedEngineUrl: () => (ctx.local.has('vllm') ? ctx.urls?.gateway : undefined),
    leaseMs: o.leaseMs,
    backoff: o.backoff,
    mlflowClient: o.mlflowClient,
    gitWriter: o.gitWriter,
  });
  const tickMs = o.tickMs ?? Math.max(200, Math.min(ctx.config.mlflowPollSeconds, ctx.config.pollTickSeconds) * 1000);
  const poller = new MlflowPoller({ integration, settings, database: ctx.database, log, tickMs });
  return {
    name: 'mlflow',
    title: 'BenchOps MLflow integration',
    description:
      'Seed 002: MLflow Model Registry → engine values YAML in Git (GitHub contents API with sha, or git push; optional Argo CD Application) → evaluation request; exactly once per (model, version, engine).',
    integration,
    repo,
    settings,
    poller,
    routes: async (app) => registerMlflowRoutes(app, { integration, repo, settings }),
    // answered from the last check (at most 30 s old): probes never hammer MLflow or GitHub (§9.4.4)
    health: async () => {
      const st = await integration.checkConnections().catch(() => integration.state);
      const out: Record<string, string> = {};
      out.mlflow = !st.mlflow.configured || st.mlflow.ok !== false ? 'ok' : `degraded: ${st.mlflow.error} (polls are retried)`;
      out.git = !st.git.configured || st.git.ok !== false ? 'ok' : `degraded: ${st.git.error} (writes are retried)`;
      return out;
    },
    status: async () => ({ events: await repo.counts(), polling: poller.active ? 'running' : 'stopped', last_poll: integration.lastPoll?.timestamp ?? null, instance: owner }),
    metrics: (registry: Registry) => {
      new Gauge({
        name: 'benchops_mlflow_events',
        help: 'MLflow integration events by status',
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
    start: async () => poller.start(),
    stop: async () => poller.stop(),
  };
}

/** The platform's factory (registered in src/services/index.ts). */
export function createMlflowService(ctx: PlatformContext): ServiceModule {
  return createMlflowModule(ctx);
}
