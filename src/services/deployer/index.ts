/**
 * The deployer service (:8002): seed 000 `POST /run`, YAML apply/delete, job status/logs, terminals, and the status
 * watcher; `/vllm/*` forwards to the vLLM service's queue. The executor is `config.executor`, else `kubernetes`
 * inside a cluster, else `local` (embedded mode).
 */
import { loadTokens } from '../../core/auth.ts';
import { loadKubeConfig } from '../../core/kube.ts';
import type { PlatformContext, ServiceModule } from '../../core/service.ts';
import { managerApi } from '../manager/client.ts';
import { vllmApi } from '../vllm/clients.ts';
import { KubernetesExecutor } from './executors/kubernetes.ts';
import { LocalExecutor } from './executors/local.ts';
import type { Executor } from './executors/types.ts';
import { DeployerRepository } from './repository.ts';
import { registerDeployerRoutes } from './routes.ts';
import { DeployerService } from './service.ts';
import { TerminalManager } from './terminal.ts';
import { StatusWatcher } from './watcher.ts';
import { registerVllmForwardRoutes } from './vllm-routes.ts';

export type { DeployerService } from './service.ts';

/** What `ServiceModule.api` of the deployer is: the DeployerApi plus embedded-mode wiring. */
export interface DeployerModuleApi extends DeployerService {
  /** Sets the results URL given to local runner processes (BENCHOPS_RESULTS_URL). */
  setResultsUrl(url: string | undefined): void;
  /** Runs one status-watch tick now (tests, and right after a run). */
  tick(): Promise<void>;
}

/** The token local runner processes post results with: an operator token (results writes need one), else admin. */
function runnerToken(ctx: Pick<PlatformContext, 'config'>): string | undefined {
  const tokens = loadTokens(ctx.config);
  return (tokens.find((t) => t.role === 'operator') ?? tokens.find((t) => t.role === 'admin'))?.token;
}

function createExecutor(ctx: PlatformContext, resultsUrl: () => string | undefined): Executor {
  const kind = ctx.config.executor ?? (process.env.KUBERNETES_SERVICE_HOST ? 'kubernetes' : 'local');
  if (kind === 'kubernetes') {
    const { kc, origin } = loadKubeConfig();
    ctx.log.info({ origin, server: kc.getCurrentCluster()?.server }, 'deployer: kubernetes executor');
    return new KubernetesExecutor(kc);
  }
  return new LocalExecutor({ dataDir: ctx.config.dataDir, log: ctx.log, resultsUrl, runnerToken: () => runnerToken(ctx), orphanGraceMs: orphanGraceMs(ctx) });
}

/**
 * How long local job processes and emulated servers outlive a platform that stopped its heartbeat (seconds, default
 * 60): BENCHOPS_ORPHAN_GRACE_SECONDS, read here until the config module carries it as `orphanGraceSeconds`.
 */
export function orphanGraceMs(ctx: Pick<PlatformContext, 'config'>, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = (ctx.config as { orphanGraceSeconds?: unknown }).orphanGraceSeconds ?? env.BENCHOPS_ORPHAN_GRACE_SECONDS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`BENCHOPS_ORPHAN_GRACE_SECONDS must be a positive number of seconds, got "${String(raw)}"`);
  return n * 1000;
}

export function createDeployerService(ctx: PlatformContext): ServiceModule {
  const { config } = ctx;
  let resultsOverride: string | undefined;
  const resultsUrl = () => {
    if (resultsOverride) return resultsOverride;
    if (config.resultsUrl) return config.resultsUrl;
    if (ctx.urls?.results) return ctx.urls.results;
    if (ctx.local.has('results') && config.ports.results) {
      const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
      return `http://${host.includes(':') ? `[${host}]` : host}:${config.ports.results}`;
    }
    return undefined;
  };
  const executor = createExecutor(ctx, resultsUrl);
  const repo = new DeployerRepository(ctx.db);
  // The in-process manager (embedded mode) or its HTTP client (BENCHOPS_MANAGER_URL), resolved per call.
  const manager = () => managerApi(ctx);
  const log = ctx.log.child({ svc: 'deployer' });
  const service = new DeployerService({
    repo,
    executor,
    manager,
    namespace: config.namespace,
    log,
    onNewJob: () => void watcher.tick(),
    internalRole: ctx.auth.enabled ? 'operator' : 'admin',
    tokensRequired: ctx.auth.enabled,
    // what a job's declared BACKEND_API-style URL becomes: the URL jobs post results to
    resultsUrl: () => (executor.kind === 'kubernetes' ? config.resultsUrl : resultsUrl()),
    // cluster jobs reach the results service at BENCHOPS_RESULTS_URL (local processes get it from the executor)
    jobEnv: (): Record<string, string> => (executor.kind === 'kubernetes' && config.resultsUrl ? { BENCHOPS_RESULTS_URL: config.resultsUrl } : {}),
    jobSecretEnv: (): Record<string, { name: string; key: string }> => {
      if (executor.kind !== 'kubernetes' || !config.runnerTokenSecret) return {};
      const [name, key = 'token'] = config.runnerTokenSecret.split(':');
      return { BENCHOPS_TOKEN: { name, key } };
    },
  });
  const terminals = new TerminalManager(repo, executor, log, (job, ns) => service.namespaceOf(job, ns));
  const watcher: StatusWatcher = new StatusWatcher(repo, executor, log, Math.max(50, config.pollTickSeconds * 1000), () => terminals.expire());
  const api = Object.assign(service, {
    setResultsUrl: (u: string | undefined) => {
      resultsOverride = u;
    },
    tick: () => watcher.tick(),
  }) as DeployerModuleApi;

  return {
    name: 'deployer',
    title: 'BenchOps Deployer',
    description:
      'Runs benchmark jobs (seed 000 POST /run), applies YAML, reports job status and logs, and opens terminals. ' +
      `Executor: ${executor.kind}.`,
    api,
    routes: async (app) => {
      await registerDeployerRoutes(app, { service, terminals });
      // `/vllm/*`: forwarded to the vLLM service's queue (in-process, or BENCHOPS_VLLM_URL)
      registerVllmForwardRoutes(app, () => vllmApi(ctx));
    },
    health: async () => ({ executor: await executor.health() }),
    status: async () => ({
      executor: executor.kind,
      namespace: config.namespace,
      deployments: await repo.counts(),
      watcher: { owner: watcher.owner, ticks: watcher.ticks },
    }),
    start: async () => {
      await executor.reconcile?.();
      watcher.start();
    },
    stop: async () => {
      await watcher.stop();
      terminals.closeAll();
      await executor.close();
    },
  };
}
