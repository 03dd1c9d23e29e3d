/**
 * Test doubles for the vLLM service's unit-level suites: a tiny OpenAI-compatible server started the way the local
 * backend starts `benchops sim serve` (prints BENCHOPS_SIM_READY), a scripted DeployerApi, and a module factory on a
 * fresh database. The end-to-end suite uses the real emulated server and the real deployer instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Authenticator } from '../src/core/auth.ts';
import { loadConfig } from '../src/core/config.ts';
import type { Database } from '../src/core/db/client.ts';
import { SecretBox } from '../src/core/secrets.ts';
import type { PlatformContext } from '../src/core/service.ts';
import type { DeployerApi, DeploymentRecord, RunOptions, RunRequest, RunResponse } from '../src/services/deployer/api.ts';
import { createVllmModule, type VllmModule, type VllmModuleOptions } from '../src/services/vllm/index.ts';

/** Node script: an OpenAI-ish server on a free port that serves `--served-model-name`. */
const FAKE_SERVER = `
const http = require('node:http');
const a = process.argv; const i = a.indexOf('--served-model-name');
const served = i > 0 ? a[i + 1] : 'model';
const s = http.createServer((req, res) => {
  const send = (code, body) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
  if (req.url === '/health') return send(200, {});
  if (req.url === '/v1/models') return send(200, { object: 'list', data: [{ id: served, object: 'model', owned_by: 'vllm', created: 1700000000, max_model_len: 4096 }] });
  let b = ''; req.on('data', (d) => (b += d)); req.on('end', () => send(200, { id: 'x', object: 'text_completion', model: served, choices: [{ text: 'hi', index: 0 }], echo: b ? JSON.parse(b) : null }));
});
s.listen(0, '127.0.0.1', () => console.log('BENCHOPS_SIM_READY ' + JSON.stringify({ url: 'http://127.0.0.1:' + s.address().port })));
process.on('SIGTERM', () => process.exit(0));
`;
export const FAKE_SIM_COMMAND = [process.execPath, '-e', FAKE_SERVER, '--'];

export interface FakeRun {
  req: RunRequest;
  opts?: RunOptions;
  id: string;
  name: string;
}

/** A DeployerApi whose jobs finish when the test says so (or after `autoCompleteMs`). */
export class FakeDeployer implements DeployerApi {
  runs: FakeRun[] = [];
  deleted: string[] = [];
  status = new Map<string, DeploymentRecord['status']>();
  pks = new Map<string, string[]>();
  constructor(public autoCompleteMs: number | null = 0) {}

  async run(req: RunRequest, opts?: RunOptions): Promise<RunResponse> {
    const id = randomBytes(8).toString('hex');
    const name = `benchmark-job-${req.name}`;
    this.runs.push({ req, opts, id, name });
    this.status.set(id, 'running');
    if (this.autoCompleteMs !== null) {
      setTimeout(() => {
        if (this.status.get(id) !== 'running') return;
        this.status.set(id, 'completed');
        const runId = opts?.env?.BENCHOPS_RUN_ID ?? id;
        this.pks.set(runId, [`2026-01-01T00:00:00Z-perf-${runId}`]);
      }, this.autoCompleteMs);
    }
    const now = new Date().toISOString();
    return { deployment_id: id, status: 'pending', resource_type: 'job', resource_name: name, namespace: 'benchmark', yaml_content: '', message: 'ok', created_at: now };
  }

  async getDeployment(id: string): Promise<DeploymentRecord> {
    const r = this.runs.find((x) => x.id === id);
    const now = new Date().toISOString();
    return { deployment_id: id, status: this.status.get(id) ?? 'failed', resource_type: 'job', resource_name: r?.name ?? '', namespace: 'benchmark', created_at: now, updated_at: now };
  }

  async deleteJob(name: string): Promise<void> {
    this.deleted.push(name);
    const r = this.runs.find((x) => x.name === name);
    if (r) this.status.set(r.id, 'deleted');
  }

  complete(id: string, status: 'completed' | 'failed' = 'completed'): void {
    this.status.set(id, status);
  }
}

export function testContext(database: Database, env: Record<string, string> = {}): PlatformContext {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-vllm-'));
  const config = loadConfig({ BENCHOPS_DATA_DIR: dataDir, BENCHOPS_POLL_TICK_SECONDS: '0.05', BENCHOPS_DEMO: '0', ...env });
  return {
    config,
    database,
    db: database.db,
    secrets: SecretBox.fromKey(randomBytes(32).toString('base64')),
    auth: new Authenticator([]),
    log: pino({ level: 'silent' }),
    local: new Map(),
  };
}

/** A vLLM module on `database` with the fake server and fast polling; `start()` is left to the test. */
export function fakeModule(database: Database, deployer: DeployerApi, o: VllmModuleOptions & { env?: Record<string, string> } = {}): VllmModule {
  const { env, ...opts } = o;
  const ctx = testContext(database, env);
  const fake = deployer as FakeDeployer;
  return createVllmModule(ctx, {
    deployer: () => deployer,
    manager: () => null,
    resultPks: async (runId) => fake.pks?.get(runId) ?? [],
    simCommand: FAKE_SIM_COMMAND,
    jobPollMs: 20,
    deployPollMs: 20,
    leaseMs: 2000,
    retryWaitMs: 100,
    concurrency: 2,
    ...opts,
  });
}

export async function until<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const job = (i: number) => ({ project_id: 'p1', job_file_id: `job-${i}`, benchmark_type: 'performance', name: `bench-${i}` });

/**
 * Serves a vLLM module's routes (and, with `gateway`, the OpenAI gateway routes) over real HTTP on port 0 with the
 * platform's app conventions; `tokens` turns authentication on (`role:token,…`). Logs are captured for assertions.
 */
export async function serveModule(mod: VllmModule, o: { tokens?: string; gateway?: boolean } = {}): Promise<{ base: string; logs: () => string; close(): Promise<void> }> {
  const { createApp } = await import('../src/core/http.ts');
  const { loadTokens } = await import('../src/core/auth.ts');
  const { PassThrough } = await import('node:stream');
  const stream = new PassThrough();
  let logs = '';
  stream.on('data', (d) => (logs += d));
  const app = await createApp({ title: 'vllm-test', auth: new Authenticator(loadTokens({ tokens: o.tokens })), logStream: stream, logLevel: 'debug' });
  await mod.routes!(app);
  if (o.gateway) await mod.gatewayRoutes!(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  return { base: `http://127.0.0.1:${addr.port}`, logs: () => logs, close: () => app.close() };
}
