/**
 * Cluster mode (`benchops serve web`): the gateway forwards `/api/<service>/*` to a service running in another
 * process, so the UI reaches every service through one origin. The body passes through untouched (no JSON parse:
 * the service validates it and answers its own 422), and so do the caller's bearer token and the response.
 */
import { Readable } from 'node:stream';
import type { ServiceName } from '../core/config.ts';
import type { App } from '../core/http.ts';

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'te', 'trailer', 'proxy-authorization']);
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Registers `/api/<name>/*` → `<url>/*` on the gateway. */
export async function registerForwarding(app: App, name: ServiceName, url: string): Promise<void> {
  const base = url.replace(/\/+$/, '');
  await app.register(
    async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      // auth is the service's own: it sees the caller's token and answers 401/403 itself
      scope.route({
        method: [...METHODS],
        url: '/*',
        config: { public: true },
        schema: { hide: true },
        handler: async (req, reply) => {
          const target = base + req.url.slice(`/api/${name}`.length);
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && typeof v === 'string') headers[k] = v;
          let res: Response;
          try {
            res = await fetch(target, {
              method: req.method,
              headers,
              body: req.method === 'GET' || req.method === 'HEAD' ? undefined : (req.body as Buffer | undefined),
              signal: AbortSignal.timeout(300_000),
            });
          } catch (e: any) {
            return reply.code(503).send({ detail: `The ${name} service is unreachable at ${base}: ${e?.cause?.code ?? e?.message ?? e}` });
          }
          reply.code(res.status);
          res.headers.forEach((v, k) => {
            if (!HOP.has(k) && k !== 'content-encoding') reply.header(k, v);
          });
          return reply.send(res.body ? Readable.fromWeb(res.body as any) : '');
        },
      });
    },
    { prefix: `/api/${name}` },
  );
}
