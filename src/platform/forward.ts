/**
 * Cluster mode (`benchops serve web`): the gateway forwards `/api/<service>/*` to a service running in another
 * process, so the UI reaches every service through one origin. The body passes through untouched (no JSON parse:
 * the service validates it and answers its own 422), and so do the caller's bearer token and the response.
 */
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WebSocket, type RawData } from 'ws';
import type { ServiceName } from '../core/config.ts';
import type { App } from '../core/http.ts';

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'te', 'trailer', 'proxy-authorization']);
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Messages a WebSocket client may send before the service's side is open (then the socket is closed: bounded). */
const MAX_EARLY_MESSAGES = 64;

/** Registers `/api/<name>/*` → `<url>/*` on the gateway. */
export async function registerForwarding(app: App, name: ServiceName, url: string): Promise<void> {
  const base = url.replace(/\/+$/, '');
  await app.register(
    async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      // auth is the service's own: it sees the caller's token and answers 401/403 itself
      const forward = async (req: FastifyRequest, reply: FastifyReply) => {
        const target = base + req.url.slice(`/api/${name}`.length);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && typeof v === 'string') headers[k] = v;
        // where the caller reached the service: URLs it answers with (a terminal's websocket_url) point back here
        headers['x-forwarded-host'] = req.headers.host ?? '';
        headers['x-forwarded-proto'] = req.protocol;
        headers['x-forwarded-prefix'] = `/api/${name}`;
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
      };
      const common = { url: '/*', config: { public: true }, schema: { hide: true } } as const;
      // a WebSocket upgrade (a run's terminal) is joined to one opened to the service with the caller's credentials
      scope.route({ ...common, method: ['GET', 'HEAD'], handler: forward, wsHandler: (socket, req) => pipeSocket(socket, req, base + req.url.slice(`/api/${name}`.length)) });
      scope.route({ ...common, method: METHODS.filter((m) => m !== 'GET' && m !== 'HEAD'), handler: forward });
    },
    { prefix: `/api/${name}` },
  );
}

/**
 * Joins a caller's WebSocket to one opened to `target` with the caller's bearer (header or subprotocol): messages pass
 * both ways untouched; the service's refusal (401/403/404) closes the caller's socket with 4000 + its status.
 */
function pipeSocket(socket: WebSocket, req: FastifyRequest, target: string): void {
  const headers: Record<string, string> = {};
  if (typeof req.headers.authorization === 'string') headers.authorization = req.headers.authorization;
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const up = new WebSocket(target.replace(/^http/, 'ws'), protocols, { headers });
  const early: Array<[RawData, boolean]> = [];
  const closeBoth = (code: number, reason: string) => {
    if (socket.readyState === WebSocket.OPEN) socket.close(code, reason.slice(0, 120));
    if (up.readyState === WebSocket.OPEN || up.readyState === WebSocket.CONNECTING) up.terminate();
  };
  socket.on('message', (data: RawData, binary: boolean) => {
    if (up.readyState === WebSocket.OPEN) up.send(data, { binary });
    else if (early.push([data, binary]) > MAX_EARLY_MESSAGES) closeBoth(1008, 'too many messages before the service answered');
  });
  socket.on('close', () => closeBoth(1000, ''));
  up.on('open', () => {
    for (const [data, binary] of early.splice(0)) up.send(data, { binary });
  });
  up.on('message', (data: RawData, binary: boolean) => socket.readyState === WebSocket.OPEN && socket.send(data, { binary }));
  up.on('unexpected-response', (_r, res) => closeBoth(4000 + (res.statusCode ?? 500), `the service answered ${res.statusCode}`));
  up.on('error', (e: any) => closeBoth(1011, `the service is unreachable: ${e?.code ?? e?.message ?? e}`));
  // 1005/1006 are not codes one may send: a service that went away is 1011
  up.on('close', (code: number, reason: Buffer) => closeBoth(code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 ? code : 1011, reason.toString()));
}
