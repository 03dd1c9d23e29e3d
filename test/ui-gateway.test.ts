/**
 * The gateway serves the web UI: files from the built folder, index.html for every page path (deep links), JSON 404s
 * for unknown API paths, the session route the UI asks first; and in cluster mode (`benchops serve web`) forwards
 * /api/<service> to a service in another process with the caller's token and the service's own answers.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Authenticator, loadTokens } from '../src/core/auth.ts';
import { createApp } from '../src/core/http.ts';
import { socketProtocols } from '../web/src/features/runs/terminal-protocol.ts';
import { until } from './helpers/deployer-setup.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

function fakeUi(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'benchops-ui-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>BenchOps UI</title><div id="root"></div>');
  writeFileSync(path.join(dir, 'assets', 'app-123.js'), 'console.log("ui")');
  writeFileSync(path.join(dir, 'robots.txt'), 'User-agent: *');
  return dir;
}

describe('gateway serves the UI (embedded)', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startTestPlatform({ kind: 'pglite', webDir: fakeUi(), background: false });
  });
  afterAll(() => p?.close());

  it('answers / and any page path with index.html, revalidated', async () => {
    for (const u of ['/', '/projects/abc', '/results/2025-01-01T00:00:00Z-bench-run', '/results/2025-01-01T00:00:00.000Z-bench-4f1c2d3e', '/compare?pks=a,b']) {
      const r = await fetch(p.urls.gateway + u);
      expect(r.status, u).toBe(200);
      expect(r.headers.get('content-type'), u).toMatch(/text\/html/);
      expect(r.headers.get('cache-control'), u).toBe('no-cache');
      expect(await r.text(), u).toContain('<title>BenchOps UI</title>');
    }
  });

  it('serves files as they are; hashed assets are cached for a year', async () => {
    const js = await fetch(`${p.urls.gateway}/assets/app-123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toBe('console.log("ui")');
    const txt = await fetch(`${p.urls.gateway}/robots.txt`);
    expect(await txt.text()).toBe('User-agent: *');
  });

  it('keeps JSON 404s for unknown API paths and missing assets, and never serves outside the folder', async () => {
    for (const u of ['/api/manager/nope', '/api/nothing', '/v1/nope', '/assets/missing-1.js']) {
      const r = await fetch(p.urls.gateway + u);
      expect(r.status, u).toBe(404);
      expect((await r.json()).detail, u).toMatch(/^Not Found/);
    }
    const r = await fetch(`${p.urls.gateway}/..%2f..%2fpackage.json`);
    expect(await r.text()).not.toContain('"dependencies"');
    // the APIs still answer next to the UI
    const projects = await fetch(`${p.urls.gateway}/api/manager/projects`);
    expect(projects.status).toBe(200);
    expect(Array.isArray(await projects.json())).toBe(true);
  });

  it('says the session: no tokens on loopback means admin, nothing to ask', async () => {
    const s = await (await fetch(`${p.urls.gateway}/api/session`)).json();
    expect(s).toMatchObject({ auth_required: false, role: 'admin', reason: null });
    expect(s.services).toEqual(expect.arrayContaining(['manager', 'results', 'deployer', 'vllm']));
  });
});

describe('gateway without a built UI', () => {
  it('answers / with a page that says how to build it, and the APIs keep working', async () => {
    const p = await startTestPlatform({ kind: 'pglite', services: ['results'], gateway: true, webDir: mkdtempSync(path.join(os.tmpdir(), 'benchops-noui-')), background: false });
    try {
      const r = await fetch(`${p.urls.gateway}/`);
      expect(r.status).toBe(503);
      expect(await r.text()).toContain('npm run build:web');
      expect((await fetch(`${p.urls.gateway}/api/results/standardized_output`)).status).toBe(200);
      expect(p.logs()).toContain('web UI not built');
    } finally {
      await p.close();
    }
  });
});

describe('cluster mode: benchops serve web forwards to the services', () => {
  const tokens = 'viewer:viewer-token-1,operator:operator-token-1';
  let svc: TestPlatform;
  let web: TestPlatform;
  beforeAll(async () => {
    svc = await startTestPlatform({ kind: 'pglite', services: ['manager'], env: { BENCHOPS_TOKENS: tokens }, background: false });
    web = await startTestPlatform({ kind: 'pglite', services: [], gateway: true, remotes: { manager: svc.urls.manager! }, env: { BENCHOPS_TOKENS: tokens }, webDir: fakeUi(), background: false });
  });
  afterAll(async () => {
    await web?.close();
    await svc?.close();
  });

  it('passes the token and the body through and answers what the service answers', async () => {
    const g = web.urls.gateway!;
    expect((await fetch(`${g}/api/manager/projects`)).status).toBe(401);
    const viewer = { authorization: 'Bearer viewer-token-1', 'content-type': 'application/json' };
    const operator = { authorization: 'Bearer operator-token-1', 'content-type': 'application/json' };
    expect((await fetch(`${g}/api/manager/projects`, { method: 'POST', headers: viewer, body: '{"name":"x"}' })).status).toBe(403);
    const bad = await fetch(`${g}/api/manager/projects`, { method: 'POST', headers: operator, body: '{"name":""}' });
    expect(bad.status).toBe(422);
    expect((await bad.json()).detail[0].loc).toEqual(['body', 'name']);
    const made = await fetch(`${g}/api/manager/projects?x=1`, { method: 'POST', headers: operator, body: JSON.stringify({ name: 'fwd' }) });
    expect(made.status).toBe(200);
    const created = await made.json();
    const list = await fetch(`${g}/api/manager/projects?name=fwd`, { headers: viewer });
    expect(list.headers.get('x-total-count')).toBe('1');
    expect((await list.json())[0].project_id).toBe(created.project_id);
    // the session reflects the token; the UI is still served without one
    expect(await (await fetch(`${g}/api/session`, { headers: viewer })).json()).toMatchObject({ auth_required: true, role: 'viewer' });
    expect(await (await fetch(`${g}/api/session`, { headers: { authorization: 'Bearer wrong-token-123' } })).json()).toMatchObject({ auth_required: true, role: null, reason: 'Invalid token' });
    expect((await fetch(`${g}/projects`)).status).toBe(200);
    // the gateway's health names the remote service
    const h = await (await fetch(`${g}/health`)).json();
    expect(h.checks.manager).toBe('ok');
  });

  it('serves the OpenAI model list from a vLLM service in another process', async () => {
    const v = await startTestPlatform({ kind: 'pglite', services: ['vllm'], env: { BENCHOPS_TOKENS: tokens }, background: false });
    const gw = await startTestPlatform({ kind: 'pglite', services: [], gateway: true, remotes: { vllm: v.urls.vllm! }, env: { BENCHOPS_TOKENS: tokens }, webDir: fakeUi(), background: false });
    try {
      const r = await fetch(`${gw.urls.gateway}/v1/models`, { headers: { authorization: 'Bearer viewer-token-1' } });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ object: 'list', data: [] });
      const s = await (await fetch(`${gw.urls.gateway}/api/session`)).json();
      expect(s.services).toEqual(['vllm']);
    } finally {
      await gw.close();
      await v.close();
    }
  });

  it('joins a WebSocket (a run\'s terminal) to the service with the caller\'s token; the service\'s refusal closes it with 4000 + status', async () => {
    // a service with a WebSocket route, behind BenchOps' own HTTP app (auth, subprotocol bearer) on a real port
    const svcApp = await createApp({ title: 'ws-service', auth: new Authenticator(loadTokens({ tokens })) });
    svcApp.get('/ws/echo', { websocket: true, config: { role: 'operator' } }, (socket) => {
      socket.on('message', (m: Buffer) => socket.send(`echo ${m.toString()}`));
    });
    await svcApp.listen({ host: '127.0.0.1', port: 0 });
    const gw = await startTestPlatform({
      kind: 'pglite', services: [], gateway: true, remotes: { deployer: `http://127.0.0.1:${(svcApp.server.address() as any).port}` },
      env: { BENCHOPS_TOKENS: tokens }, webDir: fakeUi(), background: false,
    });
    const url = `${gw.urls.gateway!.replace('http', 'ws')}/api/deployer/ws/echo`;
    const connect = (protocols?: string[]) =>
      new Promise<{ ws: WebSocket; replies: string[]; closed: Promise<number> }>((resolve, reject) => {
        const ws = new WebSocket(url, protocols);
        const replies: string[] = [];
        ws.on('message', (m) => replies.push(m.toString()));
        const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
        ws.once('open', () => resolve({ ws, replies, closed }));
        ws.once('error', reject);
      });
    try {
      // the UI's way: the token as a subprotocol; a message sent at once waits for the service's side to open
      const c = await connect(socketProtocols('operator-token-1'));
      expect(c.ws.protocol).toBe('benchops');
      c.ws.send('hello');
      await until(async () => c.replies.length > 0, 30_000, 'the echo through the gateway');
      expect(c.replies).toEqual(['echo hello']);
      c.ws.close();
      // the service refuses a viewer (operator route) and a missing token: the caller's socket closes with 4403 / 4401
      expect(await (await connect(socketProtocols('viewer-token-1'))).closed).toBe(4403);
      expect(await (await connect()).closed).toBe(4401);
    } finally {
      await gw.close();
      await svcApp.close();
    }
  });

  it('answers 503 naming the service when it is unreachable', async () => {
    const lone = await startTestPlatform({ kind: 'pglite', services: [], gateway: true, remotes: { results: 'http://127.0.0.1:9' }, webDir: fakeUi(), background: false });
    try {
      const r = await fetch(`${lone.urls.gateway}/api/results/standardized_output`);
      expect(r.status).toBe(503);
      expect((await r.json()).detail).toMatch(/results service is unreachable/);
    } finally {
      await lone.close();
    }
  });
});
