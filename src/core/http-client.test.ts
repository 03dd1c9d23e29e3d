import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { jsonClient, RemoteServiceError, safeUrl } from './http-client.ts';

const TOKEN = 'secret-token-1234567890';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real server on a real port; each path answers one way. */
let server: http.Server;
let base: string;
const seen: Seen[] = [];
let flaky = 0;

function answer(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const path = req.url!.split('?')[0];
      switch (path) {
        case '/items':
          return answer(res, 200, [{ id: 1 }], { 'x-total-count': '7' });
        case '/echo':
          return answer(res, 201, { method: req.method, body: body ? JSON.parse(body) : null });
        case '/plain':
          return answer(res, 200, 'not json');
        case '/missing':
          return answer(res, 404, { detail: 'Thing x not found' });
        case '/conflict':
          return answer(res, 409, { detail: { reason: 'taken', id: 3 } });
        case '/boom':
          return answer(res, 500, { detail: 'database down' });
        case '/boom-text':
          return answer(res, 500, 'Internal trouble');
        case '/boom-empty':
          res.writeHead(503);
          return res.end();
        case '/invalid':
          return answer(res, 422, { detail: [{ loc: ['body', 'config', 'model_name'], msg: 'Field required', type: 'missing' }] });
        case '/echo-auth':
          return answer(res, 403, { detail: `token ${req.headers.authorization} may not` });
        case '/echo-auth-422':
          return answer(res, 422, { detail: [{ loc: ['header', 'authorization'], msg: `bad ${req.headers.authorization}`, type: 'value_error' }] });
        case '/echo-auth-text':
          return answer(res, 500, `upstream saw ${req.headers.authorization}`);
        case '/flaky':
          // 503 twice, then an answer
          return ++flaky <= 2 ? answer(res, 503, { detail: 'starting' }) : answer(res, 200, { ok: true, tries: flaky });
        case '/slow':
          return setTimeout(() => answer(res, 200, { late: true }), 2_000);
        default:
          return answer(res, 404, { detail: 'no route' });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

/** A port nothing listens on (a server's, closed again). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const everything = (e: AppError) => `${e.message} ${e.detail} ${JSON.stringify(e)} ${JSON.stringify(e.issues ?? [])} ${e.stack}`;

describe('jsonClient', () => {
  const client = () => jsonClient({ base, token: TOKEN, service: 'Test service' });

  it('sends the bearer, accepts JSON and returns the typed body and headers', async () => {
    seen.length = 0;
    const r = await client().get<Array<{ id: number }>>('/items?a=1', { query: { b: 2, skip: undefined, none: null } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual([{ id: 1 }]);
    expect(r.headers.get('x-total-count')).toBe('7');
    expect(seen[0].url).toBe('/items?a=1&b=2');
    expect(seen[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0].headers.accept).toBe('application/json');
    expect(seen[0].headers['content-type']).toBeUndefined();
  });

  it('sends bodies as JSON with every method, and extra headers', async () => {
    seen.length = 0;
    for (const m of ['post', 'put'] as const) {
      const r = await client()[m]<{ method: string; body: unknown }>('/echo', { a: [1, 'x'] }, { headers: { 'x-extra': 'yes' } });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({ method: m.toUpperCase(), body: { a: [1, 'x'] } });
    }
    expect((await client().delete<{ method: string }>('/echo')).body.method).toBe('DELETE');
    expect(seen.map((s) => [s.method, s.headers['content-type'], s.headers['x-extra']])).toEqual([
      ['POST', 'application/json', 'yes'],
      ['PUT', 'application/json', 'yes'],
      ['DELETE', undefined, undefined],
    ]);
  });

  it('sends no authorization without a token, and a body that is not JSON is undefined with its text', async () => {
    seen.length = 0;
    const r = await jsonClient({ base, service: 'Test service' }).get('/plain');
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(r.body).toBeUndefined();
    expect(r.text).toBe('not json');
  });

  it('a refused connection is a 503 naming the service and its URL', async () => {
    const port = await closedPort();
    const e = await rejection(jsonClient({ base: `http://127.0.0.1:${port}`, token: TOKEN, service: 'Results service' }).get('/x'));
    expect(e.status).toBe(503);
    expect(e.code).toBe('unavailable');
    expect(e.detail).toBe(`Results service unreachable at http://127.0.0.1:${port}: ECONNREFUSED`);
    expect(e).not.toBeInstanceOf(RemoteServiceError);
  });

  it('no answer within the timeout is a 503 that says so', async () => {
    const e = await rejection(client().get('/slow', { timeoutMs: 200 }));
    expect(e.status).toBe(503);
    expect(e.detail).toMatch(/^Test service unreachable at http:\/\/127\.0\.0\.1:\d+: no answer within 200 ms$/);
    const e2 = await rejection(jsonClient({ base, service: 'Test service', timeoutMs: 150 }).get('/slow'));
    expect(e2.detail).toMatch(/no answer within 150 ms/);
  });

  it("4xx keeps the service's status and detail; 5xx is a 502 unless passed", async () => {
    const notFound = await rejection(client().get('/missing'));
    expect([notFound.status, notFound.detail]).toEqual([404, 'Thing x not found']);
    expect(notFound).toBeInstanceOf(RemoteServiceError);
    expect((notFound as RemoteServiceError).remoteStatus).toBe(404);
    expect((notFound as RemoteServiceError).url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/missing$/);
    const conflict = await rejection(client().post('/conflict', {}));
    expect([conflict.status, conflict.detail]).toEqual([409, '{"reason":"taken","id":3}']);

    const boom = await rejection(client().get('/boom'));
    expect([boom.status, boom.detail, (boom as RemoteServiceError).remoteStatus]).toEqual([502, 'database down', 500]);
    expect((await rejection(client().get('/boom-text'))).detail).toBe('Internal trouble');
    const empty = await rejection(client().get('/boom-empty'));
    expect([empty.status, empty.detail]).toEqual([502, 'Test service answered 503']);

    const passing = jsonClient({ base, service: 'Test service', serverErrors: 'pass' });
    expect((await rejection(passing.get('/boom'))).status).toBe(500);
    expect((await rejection(passing.get('/boom-empty'))).status).toBe(503);
  });

  it('a 422 keeps its field locations', async () => {
    const e = await rejection(client().post('/invalid', { config: {} }));
    expect(e.status).toBe(422);
    expect(e.code).toBe('validation');
    expect(e.issues).toEqual([{ loc: ['body', 'config', 'model_name'], msg: 'Field required', type: 'missing' }]);
    expect(e.detail).toBe('body.config.model_name: Field required');
  });

  it('retries only the methods asked for, on no answer and 502/503/504', async () => {
    flaky = 0;
    seen.length = 0;
    const retrying = jsonClient({ base, service: 'Test service', retries: 2, retryDelayMs: () => 10 });
    expect((await retrying.post<{ tries: number }>('/flaky', {})).body.tries).toBe(3);
    expect(seen.length).toBe(3);
    flaky = 0;
    // GET is not in the default retry methods: the first 503 is the answer
    expect((await rejection(retrying.get('/flaky'))).status).toBe(502);
    flaky = 0;
    expect((await rejection(jsonClient({ base, service: 'Test service', retries: 1, retryDelayMs: () => 10 }).post('/flaky', {}))).status).toBe(502);
    expect(flaky).toBe(2);
    const port = await closedPort();
    const dead = jsonClient({ base: `http://127.0.0.1:${port}`, service: 'Dead service', retries: 2, retryDelayMs: () => 10 });
    expect((await rejection(dead.post('/x', {}))).status).toBe(503);
  });

  it('never puts the token in an error, even when the service echoes it', async () => {
    for (const path of ['/echo-auth', '/echo-auth-422', '/echo-auth-text']) {
      const e = await rejection(client().get(path));
      expect(e.status).toBe(path === '/echo-auth' ? 403 : path === '/echo-auth-422' ? 422 : 502);
      expect(everything(e)).not.toContain(TOKEN);
      expect(e.detail).toContain('Bearer ***');
    }
    // credentials in the URL are not named (fetch refuses them; the error says where, without them)
    const e = await rejection(jsonClient({ base: `http://user:${TOKEN}@127.0.0.1:1/api?key=${TOKEN}`, token: TOKEN, service: 'Test service' }).get('/x'));
    expect(e.status).toBe(503);
    expect(everything(e)).not.toContain(TOKEN);
    expect(e.detail).toContain('http://127.0.0.1:1/api');
    const other = await rejection(jsonClient({ base: 'http://user:pw-other@127.0.0.1:1/api?key=k-other', service: 'Test service' }).get('/x'));
    expect(other.detail).not.toMatch(/pw-other|k-other/);
  });

  it('safeUrl drops user info, query and fragment', () => {
    expect(safeUrl('http://u:p@host:8/a/?q=1#f')).toBe('http://host:8/a');
    expect(safeUrl('not a url?x=1')).toBe('not a url');
  });
});
