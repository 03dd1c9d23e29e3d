/**
 * The 8080 gateway: every local service's routes under /api/<service>, each service's root routes (the OpenAI `/v1/*`),
 * services running elsewhere forwarded to their URLs (cluster mode: `benchops serve web`), `GET /api/session` for the
 * UI, and the built web UI at `/`.
 */
import { serviceToken as sharedServiceToken } from '../core/auth.ts';
import type { ServiceName } from '../core/config.ts';
import { createApp, type App } from '../core/http.ts';
import type { PlatformContext, ServiceModule } from '../core/service.ts';
import { registerForwarding } from './forward.ts';
import { registerSession } from './session.ts';
import { registerWebUi } from './web.ts';

export interface GatewayOptions {
  ctx: PlatformContext;
  /** Services running in this process. */
  modules: Map<ServiceName, ServiceModule>;
  /** Services running elsewhere: name → base URL; their `/api/<name>/*` requests are forwarded. */
  remotes?: Partial<Record<ServiceName, string>>;
  dbHealth?: () => Promise<string>;
  webDir?: string;
}

/** Builds the gateway app (not listening yet). */
export async function createGateway(opts: GatewayOptions): Promise<App> {
  const { ctx, modules } = opts;
  const { config, auth } = ctx;
  const remotes = Object.entries(opts.remotes ?? {}) as [ServiceName, string][];
  const gw = await createApp({
    title: 'BenchOps gateway',
    description: 'Every BenchOps service under /api/<service>; the OpenAI-compatible model gateway at /v1; the web UI at /.',
    auth,
    logLevel: config.logLevel,
    logStream: ctx.logStream,
    bodyLimitBytes: config.bodyLimitBytes,
    health: async () => {
      const checks: Record<string, string> = opts.dbHealth ? { database: await opts.dbHealth() } : {};
      for (const m of modules.values()) {
        for (const [k, v] of Object.entries((await m.health?.()) ?? {})) checks[`${m.name}.${k}`] = v;
      }
      for (const [name, url] of remotes) checks[name] = await remoteHealth(url);
      return checks;
    },
    status: async () => {
      const out: Record<string, unknown> = {};
      for (const m of modules.values()) out[m.name] = (await m.status?.()) ?? {};
      return { services: out };
    },
    metrics: (registry) => {
      for (const m of modules.values()) m.metrics?.(registry);
    },
  });
  for (const m of modules.values()) {
    await gw.register(async (scope) => m.routes(scope as App), { prefix: `/api/${m.name}` });
    if (m.gatewayRoutes) await gw.register(async (scope) => m.gatewayRoutes!(scope as App));
  }
  for (const [name, url] of remotes) await registerForwarding(gw, name, url);
  const remoteVllm = opts.remotes?.vllm;
  if (remoteVllm && !modules.has('vllm')) {
    // the OpenAI `/v1/*` gateway needs the vLLM service's model list: over HTTP when it runs elsewhere
    const { registerModelGateway, VllmHttpClient } = await import('../services/vllm/index.ts');
    await gw.register(async (scope) => registerModelGateway(scope as App, new VllmHttpClient(remoteVllm, serviceToken(ctx))));
  }
  registerSession(gw, auth, [...modules.keys(), ...remotes.map(([n]) => n)]);
  await registerWebUi(gw, { webDir: opts.webDir, log: ctx.log });
  return gw;
}

async function remoteHealth(url: string): Promise<string> {
  try {
    const r = await fetch(`${url.replace(/\/+$/, '')}/health`, { signal: AbortSignal.timeout(3000) });
    return r.ok ? 'ok' : `down: HTTP ${r.status}`;
  } catch (e: any) {
    return `down: ${e?.cause?.code ?? e?.message ?? e}`;
  }
}

/** The token this process uses towards other services (operator first), as the services' own clients do. */
function serviceToken(ctx: PlatformContext): string | undefined {
  return sharedServiceToken(ctx.config, ['operator', 'admin', 'viewer']);
}
