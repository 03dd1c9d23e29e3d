/**
 * Starts services: opens the database, migrates, creates each requested module, listens on its seed port, and
 * (embedded mode) a gateway on 8080 mounting every service under /api/<service> and serving the web UI at `/`.
 * This sits above src/services: the core knows nothing of which services exist.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { pino } from 'pino';
import { Authenticator, loadTokens } from '../core/auth.ts';
import { isLoopback, type Config, type ServiceName } from '../core/config.ts';
import { openDatabase } from '../core/db/client.ts';
import { runMigrations } from '../core/db/migrate.ts';
import { createApp, type App } from '../core/http.ts';
import { REDACT_PATHS, SecretBox } from '../core/secrets.ts';
import type { PlatformContext, ServiceModule } from '../core/service.ts';
import { SERVICE_FACTORIES } from '../services/index.ts';
import { createGateway } from './gateway.ts';

export interface StartOptions {
  config: Config;
  /** Services to run; all known services when omitted (embedded mode). */
  services?: ServiceName[];
  gateway?: boolean;
  logStream?: Writable;
  /** Skip background work (tests that drive it by hand). */
  background?: boolean;
  /** Services running elsewhere whose `/api/<name>/*` the gateway forwards (cluster mode: `benchops serve web`). */
  remotes?: Partial<Record<ServiceName, string>>;
  /** Folder of the built web UI the gateway serves at `/` (default web/dist of this checkout). */
  webDir?: string;
}

export interface RunningPlatform {
  ctx: PlatformContext;
  urls: Partial<Record<ServiceName | 'gateway', string>>;
  apps: Partial<Record<ServiceName | 'gateway', App>>;
  modules: Map<ServiceName, ServiceModule>;
  close(): Promise<void>;
}

/** Refuses a non-loopback bind without tokens: an open platform on a network would run anyone's jobs. */
export function assertSafeBind(config: Config, auth: Authenticator): void {
  if (!isLoopback(config.host) && !auth.enabled) {
    throw new Error(
      `Refusing to listen on ${config.host} without authentication. Set BENCHOPS_TOKENS (role:token,...) or ` +
        'BENCHOPS_TOKENS_FILE, or bind to 127.0.0.1 (BENCHOPS_HOST).',
    );
  }
}

/** Every service this build has, in start order. */
export function availableServices(): ServiceName[] {
  return Object.keys(SERVICE_FACTORIES) as ServiceName[];
}

/** Starts the requested services (and the gateway) on one database; `close()` stops them in reverse order. */
export async function startPlatform(opts: StartOptions): Promise<RunningPlatform> {
  const { config } = opts;
  const auth = new Authenticator(loadTokens(config));
  assertSafeBind(config, auth);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const log = pino(
    { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { svc: 'benchops' } },
    opts.logStream ?? process.stdout,
  );
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
  const apps: RunningPlatform['apps'] = {};
  const modules = new Map<ServiceName, ServiceModule>();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const m of [...modules.values()].reverse()) await m.stop?.().catch((e) => log.error({ err: e }, 'stop failed'));
    for (const a of Object.values(apps)) await a?.close().catch(() => {});
    await database.close();
  };
  try {
    await runMigrations(database);
    const ctx: PlatformContext = {
      config,
      database,
      db: database.db,
      secrets: SecretBox.load(config),
      auth,
      log,
      logStream: opts.logStream,
      local: modules,
    };
    const names = opts.services ?? availableServices();
    for (const name of names) {
      const load = SERVICE_FACTORIES[name];
      if (!load) throw new Error(`Unknown or not yet available service: ${name}`);
      const factory = await load();
      modules.set(name, await factory(ctx));
    }
    const dbHealth = async () => {
      try {
        await database.ping();
        return 'ok';
      } catch (e: any) {
        return `down: ${e.message}`;
      }
    };
    const urls: RunningPlatform['urls'] = {};
    ctx.urls = urls; // filled as each app listens (ports may be 0 = any)
    for (const m of modules.values()) {
      const app = await createApp({
        title: m.title,
        description: m.description,
        auth,
        logLevel: config.logLevel,
        logStream: opts.logStream,
        bodyLimitBytes: config.bodyLimitBytes,
        health: async () => ({ database: await dbHealth(), ...(m.health ? await m.health() : {}) }),
        status: m.status?.bind(m),
        metrics: m.metrics?.bind(m),
      });
      await app.register(async (scope) => m.routes(scope as App));
      apps[m.name] = app;
      urls[m.name] = await listen(app, config.host, config.ports[m.name]);
    }
    if (opts.gateway ?? !opts.services) {
      const gw = await createGateway({ ctx, modules, remotes: opts.remotes, dbHealth, webDir: opts.webDir });
      apps.gateway = gw;
      urls.gateway = await listen(gw, config.host, config.ports.gateway);
    }
    if (opts.background !== false) for (const m of modules.values()) await m.start?.();
    return { ctx, urls, apps, modules, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function listen(app: App, host: string, port: number): Promise<string> {
  // the gateway carries benchmarks' inference traffic: Node's default backlog (511) drops SYNs of a ~1,000-connection
  // burst, whose clients then connect a kernel retransmit (1 s) later; uvicorn's default is 2048
  await app.listen({ host, port, backlog: 4096 });
  const addr = app.server.address() as AddressInfo;
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${h}:${addr.port}`;
}
