/**
 * The audit's view of the API: every operation of every service's `/openapi.json` (a real running platform), and the
 * role each route declares (`config: { role }` or `config: { public }`, else core/auth's default for its method).
 */
import diagnostics from 'node:diagnostics_channel';
import { defaultRole, type Role } from '../../src/core/auth.ts';
import type { TestPlatform } from './platform.ts';

/** A JSON Schema node as fastify-type-provider-zod writes it into the OpenAPI document. */
export type JsonSchema = Record<string, any>;

export interface Param {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  /** The document it comes from: a service name or `gateway`. */
  service: string;
  /** Base URL of that service. */
  base: string;
  method: string;
  /** OpenAPI path, `{name}` placeholders. */
  path: string;
  params: Param[];
  /** JSON body schema, when the route declares one. */
  body?: JsonSchema;
}

/** Reads `/openapi.json` of every listening service (and the gateway) and flattens it into operations. */
export async function loadOperations(urls: TestPlatform['urls']): Promise<Operation[]> {
  const out: Operation[] = [];
  for (const [service, base] of Object.entries(urls)) {
    if (!base) continue;
    const res = await fetch(`${base}/openapi.json`);
    if (res.status !== 200) throw new Error(`${service}: /openapi.json answered ${res.status}`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, any>> };
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const params: Param[] = (op.parameters ?? [])
          .filter((p: any) => p.in === 'path' || p.in === 'query')
          .map((p: any) => ({ name: p.name, in: p.in, required: !!p.required || p.in === 'path', schema: p.schema ?? {} }));
        const body = op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined;
        out.push({ service, base, method: method.toUpperCase(), path, params, body });
      }
    }
  }
  return out;
}

/** `METHOD /path` with Fastify's `:param` syntax, the key of {@link declaredRoles}. */
export function routeKey(method: string, openapiPath: string): string {
  return `${method.toUpperCase()} ${openapiPath.replace(/\{([^}]+)\}/g, ':$1')}`;
}

export type Declared = Role | 'public';

/**
 * Records the role every route declares (`config.role` / `config.public`, else core/auth's default for the method) as
 * Fastify registers it: a subscriber to Fastify's `fastify.initialization` diagnostics channel adds an onRoute hook to
 * each app the moment it is created, before any route exists. Start the platform after calling this, then read the
 * routes of each app with `forApps(platform.apps)`. A running Fastify instance does not expose route config otherwise.
 */
export function recordDeclaredRoles(): { forApps(apps: TestPlatform['apps']): Record<string, Map<string, Declared>>; stop(): void } {
  const byApp = new Map<object, Map<string, Declared>>();
  const onInit = (msg: unknown) => {
    const app = (msg as { fastify: any }).fastify;
    const seen = new Map<string, Declared>();
    byApp.set(app, seen);
    app.addHook('onRoute', (r: any) => {
      const methods: string[] = Array.isArray(r.method) ? r.method : [r.method];
      const cfg = r.config ?? {};
      for (const m of methods) {
        if (m !== 'HEAD') seen.set(`${m} ${r.url}`, cfg.public ? 'public' : ((cfg.role as Role | undefined) ?? defaultRole(m)));
      }
    });
  };
  diagnostics.subscribe('fastify.initialization', onInit);
  return {
    forApps(apps) {
      const out: Record<string, Map<string, Declared>> = {};
      for (const [name, app] of Object.entries(apps)) {
        const seen = app && byApp.get(app);
        if (seen) out[name] = seen;
      }
      return out;
    },
    stop: () => diagnostics.unsubscribe('fastify.initialization', onInit),
  };
}
