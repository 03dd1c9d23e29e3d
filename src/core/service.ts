/** What a service module is and what it gets: the seam between the platform (ports, db, auth) and each service. */
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Authenticator } from './auth.ts';
import type { Config, ServiceName } from './config.ts';
import type { Database, Db } from './db/client.ts';
import type { App } from './http.ts';
import type { SecretBox } from './secrets.ts';

export interface PlatformContext {
  config: Config;
  database: Database;
  db: Db;
  secrets: SecretBox;
  auth: Authenticator;
  log: Logger;
  logStream?: Writable;
  /** Modules running in this process (embedded mode has all of them); others are reached over HTTP. */
  local: Map<ServiceName, ServiceModule>;
  /** Where this process's services listen, filled once they do (before `start()`): e.g. the results URL for local jobs. */
  urls?: Partial<Record<ServiceName | 'gateway', string>>;
}

export interface ServiceModule {
  name: ServiceName;
  title: string;
  description?: string;
  /** Registers the service's routes (the platform adds /health, /status, /metrics, /docs). */
  routes(app: App): Promise<void>;
  /** In-process interface other services use in embedded mode (the HTTP client implements the same). */
  api?: unknown;
  /** Routes this service adds at the root of the 8080 gateway (not under /api/<service>), e.g. the OpenAI `/v1/*`. */
  gatewayRoutes?(app: App): void | Promise<void>;
  health?(): Promise<Record<string, string>>;
  status?(): Promise<Record<string, unknown>>;
  metrics?(registry: Registry): void;
  /** Background work (polling, schedulers); called after every module is created and listening. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export type ServiceFactory = (ctx: PlatformContext) => ServiceModule | Promise<ServiceModule>;

/** Where another service runs when it is not in this process (cluster mode): its BENCHOPS_<SERVICE>_URL. */
export function configuredUrl(config: Config, svc: ServiceName): string | undefined {
  const urls: Record<ServiceName, string | undefined> = {
    results: config.resultsUrl,
    manager: config.managerUrl,
    deployer: config.deployerUrl,
    mlflow: config.mlflowUrl,
    eval: config.evalUrl,
    vllm: config.vllmUrl,
    workflows: config.workflowsUrl,
  };
  return urls[svc];
}

/**
 * The health of the services a service works with: `ok` when one runs in this process, else its `/health` over HTTP
 * (3 s), or why it cannot be reached.
 */
export async function collaboratorHealth(ctx: PlatformContext, services: readonly ServiceName[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const svc of services) {
    const url = configuredUrl(ctx.config, svc);
    if (ctx.local.has(svc)) out[svc] = 'ok';
    else if (!url) out[svc] = `down: not running in this process and BENCHOPS_${svc.toUpperCase()}_URL is not set`;
    else {
      try {
        const r = await fetch(`${url.replace(/\/+$/, '')}/health`, { signal: AbortSignal.timeout(3000) });
        out[svc] = r.ok ? 'ok' : `down: HTTP ${r.status}`;
      } catch (e: any) {
        out[svc] = `down: ${e?.cause?.code ?? e?.message ?? e}`;
      }
    }
  }
  return out;
}
