/**
 * Readiness probes against real HTTP servers: what counts as "not yet" (refused, no answer within the probe's
 * timeout, 5xx, a list without the model, an oversized answer) and as ready (`id` or `root` lists the model); the
 * backoff; and the cap on concurrent waiters: with BENCHOPS_EVAL_CONCURRENCY=2, six evaluations against an engine
 * that never answers have at most two probes open at once, while the service keeps answering.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffMs, engineBase, listedModels, probeEngine } from '../src/services/eval/readiness.ts';
import { freePort, templateProject } from './eval-fixtures.ts';
import { until } from './helpers/deployer-setup.ts';
import type { TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const models = (...ids: Array<{ id: string; root?: string }>) => JSON.stringify({ object: 'list', data: ids.map((m) => ({ object: 'model', ...m })) });

describe('readiness probes', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('takes the base URL from any OpenAI-style URL and reads ids and roots', () => {
    expect(engineBase('http://h:1/v1/completions')).toBe('http://h:1');
    expect(engineBase('http://h:1/v1/')).toBe('http://h:1');
    expect(engineBase('http://h:1/prefix/v1/chat/completions')).toBe('http://h:1/prefix');
    expect(engineBase('http://h:1/prefix')).toBe('http://h:1/prefix');
    expect(listedModels(JSON.parse(models({ id: 'served', root: 'org/model' })))).toEqual(['served', 'org/model']);
    expect(listedModels({ data: 'nope' })).toEqual([]);
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, 500, 3000))).toEqual([500, 1000, 2000, 3000, 3000]);
  });

  it('says "not yet" for every way an engine is not serving the model, and ready when it is', async () => {
    const refused = await probeEngine(`http://127.0.0.1:${await freePort()}`, 'm', 2000);
    expect(refused).toMatchObject({ ready: false });
    expect(refused.detail).toMatch(/not reachable yet \(ECONNREFUSED\)/);

    const hang = await serve(() => {});
    closers.push(hang.close);
    const silent = await probeEngine(hang.url, 'm', 300);
    expect(silent.ready).toBe(false);
    expect(silent.detail).toMatch(/no answer within 300 ms/);

    const s = await serve((req, res) => {
      const u = req.url ?? '';
      if (u.startsWith('/down')) return void res.writeHead(503).end('loading');
      if (u.startsWith('/huge')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('['.repeat(2 * 1024 * 1024));
      if (u.startsWith('/text')) return void res.writeHead(200).end('hello');
      res.writeHead(200, { 'content-type': 'application/json' }).end(models({ id: 'served-name', root: 'Org/Model-7B' }));
    });
    closers.push(s.close);
    expect(await probeEngine(`${s.url}/down`, 'm', 2000)).toEqual({ ready: false, detail: 'HTTP 503' });
    expect((await probeEngine(`${s.url}/huge`, 'm', 5000)).detail).toMatch(/larger than 1 MiB/);
    expect((await probeEngine(`${s.url}/text`, 'm', 2000)).detail).toMatch(/not JSON/);
    const other = await probeEngine(s.url, 'another', 2000);
    expect(other.ready).toBe(false);
    expect(other.detail).toBe('answers but lists served-name, Org/Model-7B, not another');
    expect((await probeEngine(`${s.url}/v1/completions`, 'served-name', 2000)).ready).toBe(true);
    expect((await probeEngine(s.url, 'Org/Model-7B', 2000)).ready).toBe(true);
  });
});

describe('concurrent readiness waiters are capped (pglite)', () => {
  let p: TestPlatform;
  let repo: TestRepo;
  let projectId: string;
  let open = 0;
  let maxOpen = 0;
  let seen = 0;
  let engine: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    // accepts every probe and never answers: each one holds its slot until the probe's own timeout (5 s)
    engine = await serve((req) => {
      seen++;
      open++;
      maxOpen = Math.max(maxOpen, open);
      req.socket.once('close', () => open--);
    });
    p = await startTestPlatform({ kind: 'pglite', services: ['manager', 'eval'], env: { BENCHOPS_POLL_TICK_SECONDS: '0.2', BENCHOPS_EVAL_CONCURRENCY: '2' } });
    ({ projectId, repo } = await templateProject(p));
  }, 120_000);

  afterAll(async () => {
    await p?.close();
    await engine?.close();
    repo?.cleanup();
  });

  it('keeps at most two probes open and answers requests meanwhile', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await call(p.urls.eval!, 'POST', '/evaluate', { model_name: `m${i}`, inference_engine_url: engine.url, template: `${projectId}:job/evaluation/eval-job.yaml`, overrides: { team: 'x' } });
      expect(r.status).toBe(200);
      ids.push(r.body.id);
    }
    await until(async () => seen >= 4, 60_000, 'four probes');
    // while two probes hang, the service answers at once (nothing waits on them)
    const status = await call(p.urls.eval!, 'GET', '/status');
    expect(status.status).toBe(200);
    // /health says what this process lacks (no deployer or results service here, no URLs for them)
    const health = await call(p.urls.eval!, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(JSON.stringify(health.body)).toMatch(/BENCHOPS_DEPLOYER_URL/);
    expect((await call(p.urls.eval!, 'GET', '/evaluations?status=waiting')).headers.get('x-total-count')).toBe('6');
    expect(maxOpen).toBeLessThanOrEqual(2);
    expect(maxOpen).toBe(2);
    const views = await Promise.all(ids.map(async (id) => (await call(p.urls.eval!, 'GET', `/evaluations/${id}`)).body));
    const probed = views.filter((v) => v.readiness.attempts > 0);
    expect(probed.length).toBeGreaterThanOrEqual(2);
    for (const v of probed) expect(v.readiness.last_probe).toMatch(/no answer within/);
    for (const id of ids) await call(p.urls.eval!, 'POST', `/evaluations/${id}/cancel`);
  }, 90_000);
});
