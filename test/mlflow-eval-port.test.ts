/**
 * The MLflow integration's EvalPort over HTTP (cluster mode) against a real server on a real port: the evaluation's id
 * back, and each failure an EvalCallError that says whether retrying can help (4xx but 408/429: no; 5xx, 408/429
 * and no answer: yes), with the service's detail and never the token.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvalCallError, EvalHttpPort } from '../src/services/mlflow/eval-client.ts';

const TOKEN = 'operator-token-abcdef123';
let server: http.Server;
let base: string;
const seen: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push(req.headers);
      const model = JSON.parse(body).model_name as string;
      const send = (status: number, b: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(b));
      if (model === 'ok') return send(201, { id: 'ev-1', status: 'waiting' });
      if (model === 'no-id') return send(200, { status: 'waiting' });
      if (model === 'invalid') return send(422, { detail: [{ loc: ['body', 'template'], msg: `unknown template (${req.headers.authorization})`, type: 'value_error' }] });
      if (model === 'busy') return send(429, { detail: 'two evaluations wait already' });
      return send(500, { detail: 'database down' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function failure(p: Promise<unknown>): Promise<EvalCallError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(EvalCallError);
  return e as EvalCallError;
}

const call = (model: string, port = new EvalHttpPort(base, TOKEN)) => port.evaluate({ model_name: model, inference_engine_url: 'http://engine:8000' });

describe('EvalHttpPort', () => {
  it('posts with the bearer and returns the evaluation id', async () => {
    expect(await call('ok')).toEqual({ id: 'ev-1', status: 'waiting' });
    expect(seen.at(-1)!.authorization).toBe(`Bearer ${TOKEN}`);
    expect((await failure(call('no-id'))).permanent).toBe(false);
  });

  it('says whether a failure is worth another try, with the detail and without the token', async () => {
    const invalid = await failure(call('invalid'));
    expect([invalid.permanent, invalid.message]).toEqual([true, 'evaluation service answered 422: body.template: unknown template (Bearer ***)']);
    const busy = await failure(call('busy'));
    expect([busy.permanent, busy.message]).toEqual([false, 'evaluation service answered 429: two evaluations wait already']);
    const down = await failure(call('boom'));
    expect([down.permanent, down.message]).toEqual([false, 'evaluation service answered 500: database down']);

    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const gone = await failure(call('ok', new EvalHttpPort(`http://127.0.0.1:${port}`, TOKEN)));
    expect(gone.permanent).toBe(false);
    expect(gone.message).toBe(`Evaluation service unreachable at http://127.0.0.1:${port}: ECONNREFUSED`);
    for (const e of [invalid, busy, down, gone]) expect(`${e.message} ${e.stack}`).not.toContain(TOKEN);
  });
});
