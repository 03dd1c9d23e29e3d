import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { socketProtocols } from '../web/src/features/runs/terminal-protocol.ts';
import { Authenticator, loadTokens } from '../src/core/auth.ts';
import { openDatabase } from '../src/core/db/client.ts';
import { notFound, unprocessable } from '../src/core/errors.ts';
import { createApp, pageQuery, setTotal, type App } from '../src/core/http.ts';

const json = async (r: Response): Promise<any> => r.json();
const TOKENS = 'viewer:viewer-token-abc,operator:operator-token-abc,admin:admin-token-abcd';

async function makeApp(opts: { tokens?: string; health?: () => Promise<Record<string, string>> } = {}) {
  const stream = new PassThrough();
  let logs = '';
  stream.on('data', (d) => (logs += d));
  const app = await createApp({
    title: 'test',
    auth: new Authenticator(loadTokens({ tokens: opts.tokens })),
    logStream: stream,
    bodyLimitBytes: 1024,
    health: opts.health,
  });
  app.post(
    '/things',
    { schema: { body: z.object({ name: z.string().min(1), count: z.number().int(), nested: z.object({ x: z.string() }).optional() }).strict() } },
    async (req) => ({ ok: true, name: req.body.name }),
  );
  app.get('/things', { schema: { querystring: pageQuery } }, async (req, reply) => {
    setTotal(reply, 42);
    return { limit: req.query.limit, offset: req.query.offset };
  });
  app.get('/missing', async () => {
    throw notFound('Thing not found');
  });
  app.get('/bad-field', async () => {
    throw unprocessable(['body', 'content'], 'content is not valid YAML');
  });
  app.get('/boom', async () => {
    throw new Error('secret internal detail');
  });
  app.delete('/admin-only', { config: { role: 'admin' } }, async () => ({ ok: true }));
  app.get('/ws-echo', { websocket: true, config: { role: 'operator' } }, (socket) => {
    socket.on('message', (m: Buffer) => socket.send(`echo ${m.toString()}`));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as any).port}`;
  return { app: app as App, base, logs: () => logs };
}

describe('HTTP conventions over a real port', () => {
  let t: Awaited<ReturnType<typeof makeApp>>;
  beforeAll(async () => {
    t = await makeApp();
  });
  afterAll(async () => t.app.close());

  it('answers validation failures with FastAPI-shaped 422s naming the field', async () => {
    const r = await fetch(`${t.base}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 'x', extra: 1 }),
    });
    expect(r.status).toBe(422);
    const body = await json(r);
    const locs = body.detail.map((d: any) => d.loc.join('.'));
    expect(locs).toContain('body.name');
    expect(locs).toContain('body.count');
    expect(locs).toContain('body.extra');
    expect(body.detail.find((d: any) => d.loc.join('.') === 'body.name').type).toBe('missing');
    expect(body.detail.find((d: any) => d.loc.join('.') === 'body.extra').type).toBe('extra_forbidden');
  });

  it('turns malformed JSON into a 422 on the body and oversize bodies into 413', async () => {
    const bad = await fetch(`${t.base}/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    expect(bad.status).toBe(422);
    expect((await json(bad)).detail[0]).toMatchObject({ loc: ['body'], type: 'json_invalid' });
    const big = await fetch(`${t.base}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(5000), count: 1 }),
    });
    expect(big.status).toBe(413);
  });

  it('uses {detail} for errors, hides internals on 500, and 404s unknown routes', async () => {
    expect(await (await fetch(`${t.base}/missing`)).json()).toEqual({ detail: 'Thing not found' });
    const f = await fetch(`${t.base}/bad-field`);
    expect(f.status).toBe(422);
    expect((await json(f)).detail[0].loc).toEqual(['body', 'content']);
    const boom = await fetch(`${t.base}/boom`);
    expect(boom.status).toBe(500);
    expect(await json(boom)).toEqual({ detail: 'Internal server error' });
    const nf = await fetch(`${t.base}/nowhere`);
    expect(nf.status).toBe(404);
    expect((await json(nf)).detail).toMatch(/Not Found/);
  });

  it('paginates with limits and reports the total in a header', async () => {
    const r = await fetch(`${t.base}/things?limit=5&offset=10`);
    expect(await json(r)).toEqual({ limit: 5, offset: 10 });
    expect(r.headers.get('x-total-count')).toBe('42');
    expect((await fetch(`${t.base}/things?limit=5000`)).status).toBe(422);
  });

  it('propagates request ids and logs them', async () => {
    const r = await fetch(`${t.base}/missing`, { headers: { 'x-request-id': 'req-12345' } });
    expect(r.headers.get('x-request-id')).toBe('req-12345');
    expect(t.logs()).toContain('"reqId":"req-12345"');
    const gen = await fetch(`${t.base}/missing`);
    expect(gen.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves OpenAPI, docs, health and metrics', async () => {
    const spec = await (await fetch(`${t.base}/openapi.json`)).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toContain('/things');
    expect((await fetch(`${t.base}/docs`)).status).toBeLessThan(400);
    expect(await (await fetch(`${t.base}/health`)).json()).toMatchObject({ status: 'healthy' });
    const m = await (await fetch(`${t.base}/metrics`)).text();
    expect(m).toContain('benchops_http_request_duration_seconds');
  });
});

describe('health reports the failing dependency', () => {
  it('answers 503 naming what is down', async () => {
    const t = await makeApp({ health: async () => ({ database: 'ok', kubernetes: 'down: connection refused' }) });
    const r = await fetch(`${t.base}/health`);
    expect(r.status).toBe(503);
    expect((await json(r)).checks.kubernetes).toMatch(/refused/);
    await t.app.close();
  });

  it('answers 200 degraded when only an outside system it works around is missing, and 503 when anything is down', async () => {
    const t = await makeApp({ health: async () => ({ database: 'ok', mlflow: 'degraded: MLflow unreachable' }) });
    const r = await fetch(`${t.base}/health`);
    expect(r.status).toBe(200);
    expect(await json(r)).toMatchObject({ status: 'degraded', checks: { mlflow: 'degraded: MLflow unreachable' } });
    await t.app.close();
    const both = await makeApp({ health: async () => ({ database: 'down: gone', mlflow: 'degraded: MLflow unreachable' }) });
    const b = await fetch(`${both.base}/health`);
    expect(b.status).toBe(503);
    expect((await json(b)).status).toBe('unhealthy');
    await both.app.close();
  });
});

describe('bearer auth with roles', () => {
  let t: Awaited<ReturnType<typeof makeApp>>;
  beforeAll(async () => {
    t = await makeApp({ tokens: TOKENS });
  });
  afterAll(async () => t.app.close());
  const call = (p: string, method: string, token?: string, body?: unknown) =>
    fetch(`${t.base}${p}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('requires a token except on health, docs and metrics', async () => {
    expect((await call('/things', 'GET')).status).toBe(401);
    expect((await call('/health', 'GET')).status).toBe(200);
    expect((await call('/metrics', 'GET')).status).toBe(200);
    expect((await call('/openapi.json', 'GET')).status).toBe(200);
  });

  it('reads need viewer, writes operator, marked routes admin', async () => {
    expect((await call('/things', 'GET', 'viewer-token-abc')).status).toBe(200);
    expect((await call('/things', 'POST', 'viewer-token-abc', { name: 'a', count: 1 })).status).toBe(403);
    expect((await call('/things', 'POST', 'operator-token-abc', { name: 'a', count: 1 })).status).toBe(200);
    expect((await call('/admin-only', 'DELETE', 'operator-token-abc')).status).toBe(403);
    expect((await call('/admin-only', 'DELETE', 'admin-token-abcd')).status).toBe(200);
    expect((await call('/things', 'GET', 'wrong-token-xyz')).status).toBe(401);
  });

  it('a browser WebSocket authenticates with its token as a subprotocol, which is never echoed', async () => {
    const wsUrl = `${t.base.replace('http', 'ws')}/ws-echo`;
    // what the web UI's terminal offers (web/src/features/runs/terminal-protocol.ts)
    const open = (protocols?: string[]) =>
      new Promise<{ ok: true; ws: WebSocket } | { ok: false; status: number }>((resolve) => {
        const ws = new WebSocket(wsUrl, protocols);
        ws.once('open', () => resolve({ ok: true, ws }));
        ws.once('unexpected-response', (_req, res) => resolve({ ok: false, status: res.statusCode ?? 0 }));
        ws.once('error', () => resolve({ ok: false, status: -1 }));
      });
    expect(await open()).toEqual({ ok: false, status: 401 });
    expect(await open(socketProtocols('wrong-token-xyz'))).toEqual({ ok: false, status: 401 });
    expect(await open(socketProtocols('viewer-token-abc'))).toEqual({ ok: false, status: 403 });
    const r = await open(socketProtocols('operator-token-abc'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.ws.protocol).toBe('benchops');
    const reply = new Promise<string>((resolve) => r.ws.once('message', (m) => resolve(m.toString())));
    r.ws.send('hi');
    expect(await reply).toBe('echo hi');
    r.ws.close();
    expect(t.logs()).not.toContain(socketProtocols('operator-token-abc')![1]);
  });

  it('never logs the bearer token', async () => {
    await call('/things', 'GET', 'viewer-token-abc');
    expect(t.logs()).not.toContain('viewer-token-abc');
  });

  it('logs request URLs without secret-looking query values (a config or token in a GET)', async () => {
    await call('/things?limit=5&config=%7B%22hf_token%22%3A%22hf_q5ecret%22%7D&access_token=tok-q5ecret', 'GET', 'viewer-token-abc');
    const logs = t.logs();
    expect(logs).toContain('/things?limit=5&config=[redacted]&access_token=[redacted]');
    expect(logs).not.toContain('q5ecret');
    // by the words of a name, not substrings: a tokenizer id or a token budget stays readable, an apiKey does not
    await call('/things?tokenizer_id=Qwen%2FQwen3-0.6B&max_tokens=64&apiKey=k-q6ecret&X-Hf-Token=h-q6ecret', 'GET', 'viewer-token-abc');
    const more = t.logs();
    expect(more).toContain('/things?tokenizer_id=Qwen%2FQwen3-0.6B&max_tokens=64&apiKey=[redacted]&X-Hf-Token=[redacted]');
    expect(more).not.toContain('q6ecret');
  });
});

describe('PGlite data folder has one owner', () => {
  it('a second process opening the same folder gets a clear error, and the first keeps working', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bo-lock-'));
    const first = await openDatabase({ dataDir: dir });
    try {
      const script = `import { openDatabase } from ${JSON.stringify(path.resolve('src/core/db/client.ts'))};
        try { await openDatabase({ dataDir: ${JSON.stringify(dir)} }); console.log('OPENED'); process.exit(0); }
        catch (e) { console.log(e.message); process.exit(3); }`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const code = await new Promise((r) => child.on('exit', r));
      expect(code).toBe(3);
      expect(out).toMatch(/in use by another BenchOps process \(pid \d+\)/);
      await first.ping();
    } finally {
      await first.close();
    }
    // Once closed, the folder opens again.
    const again = await openDatabase({ dataDir: dir });
    await again.ping();
    await again.close();
  });
});
