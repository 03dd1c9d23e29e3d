/**
 * The fuzz audit (issue 10, item 16), generated from every service's `/openapi.json` on a real embedded platform:
 * for each route and method, fast-check draws requests of each input kind (malformed bodies, wrong types, missing
 * and unknown fields, NUL and unpaired surrogates, 5,000–100,000-deep nesting, huge strings and numbers, impossible
 * dates, bad path and query parameters, oversize bodies). Every answer must be below 500, a 4xx must have the
 * documented shape (`{detail: string}` or FastAPI's 422 list), inputs that are invalid for certain must be refused,
 * error bodies stay small, and each service's `/health` still answers 200 after its routes were fuzzed.
 *
 * Bounded: a fixed seed, one case per kind per route plus BENCHOPS_AUDIT_RUNS random ones (default 10). Deeper:
 * `BENCHOPS_AUDIT_RUNS=200 BENCHOPS_AUDIT_SEED=<n> BENCHOPS_AUDIT_DB=pglite,postgres npx vitest run test/audit-fuzz.test.ts`.
 * The gateway's `/api/<service>/*` routes are the services' own handlers and are not fuzzed twice; its own routes
 * (`/v1/*` proxied to a real emulated vLLM server, `/api/session`, `/health`, `/status`) are.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arbitrariesFor, type CaseContext } from './helpers/audit-cases.ts';
import { problemOf, send, Tally } from './helpers/audit-client.ts';
import { loadOperations, type Operation } from './helpers/audit-openapi.ts';
import { DB_KINDS, type DbKind } from './helpers/db.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const RUNS = Number(process.env.BENCHOPS_AUDIT_RUNS ?? 10);
const SEED = Number(process.env.BENCHOPS_AUDIT_SEED ?? 20_251_016);
const DBS = (process.env.BENCHOPS_AUDIT_DB ?? 'pglite').split(',').filter((k): k is DbKind => (DB_KINDS as readonly string[]).includes(k));
const SERVICES = ['results', 'manager', 'deployer', 'vllm', 'gateway'] as const;
const MODEL = 'audit-model';
/** A log line longer than this means a request was logged whole (issue 10, item 8). */
const MAX_LOG_LINE = 64 * 1024;

const hash = (s: string) => [...s].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) | 0, 7);

async function until<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Real ids for path parameters: a synced project with files and a modified copy, a result, a deployment. */
async function seed(p: TestPlatform, repo: TestRepo, problems: string[]): Promise<CaseContext> {
  const u = p.urls;
  const project = await call(u.manager!, 'POST', '/projects', { name: 'audit', github_repo_url: repo.url });
  expect(project.status, JSON.stringify(project.body)).toBe(200);
  const pid = project.body.project_id;
  expect((await call(u.manager!, 'POST', `/projects/${pid}/sync`)).body.status).toBe('success');
  const files = (await call(u.manager!, 'GET', `/projects/${pid}/files`)).body as any[];
  const modified = await call(u.manager!, 'POST', `/projects/${pid}/modified-files`, {
    original_file_id: files[0].file_id,
    modified_name: 'audit-copy.json',
    content: '{"a": 2}',
  });
  expect(modified.status, JSON.stringify(modified.body)).toBeLessThan(300);
  const result = await call(u.results!, 'POST', '/raw_input', { benchmark_name: 'audit', model_id: 'audit-m', source: 'audit', data: { x: 1 } });
  expect(result.status).toBe(200);
  const cm = await call(u.deployer!, 'POST', '/deploy', { yaml_content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: audit-cm\ndata:\n  a: b\n' });
  expect(cm.status, JSON.stringify(cm.body)).toBe(200);
  // one running emulated vLLM server, so /v1/* requests reach a real upstream through the gateway proxy
  // (best effort: without it the fuzz still runs, /v1/* then ends at "model not found", and a test below fails)
  const dep = await call(u.vllm!, 'POST', '/deploy', { config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: MODEL, max_model_len: 2048 } });
  if (dep.status !== 201) problems.push(`POST /deploy of the emulated server: ${dep.status} ${JSON.stringify(dep.body).slice(0, 300)}`);
  else {
    await until(
      async () => {
        const st = (await call(u.vllm!, 'GET', `/deployments/${dep.body.deployment_id}/status`)).body;
        return st.status === 'deploying' ? undefined : st;
      },
      90_000,
      'emulated vLLM server',
    ).then((st) => st.status !== 'running' && problems.push(`emulated server ${st.status}: ${st.error_message}`));
  }
  return {
    ids: {
      project_id: [pid],
      file_id: [...files.map((f) => f.file_id), modified.body.file_id ?? modified.body.id].filter(Boolean),
      pk: [result.body.pk],
      model_id: ['audit-m'],
      deployment_id: [cm.body.deployment_id],
      id: [dep.body?.deployment_id, 'local'].filter(Boolean),
    },
    hints: { model: [MODEL], prompt: ['hello'], max_tokens: [4] },
    bodyLimitBytes: p.ctx.config.bodyLimitBytes,
  };
}

describe.each(DBS)('OpenAPI fuzz (%s)', (kind) => {
  let p: TestPlatform;
  let repo: TestRepo;
  let ctx: CaseContext;
  let ops: Operation[];
  const tally = new Tally();
  const seedProblems: string[] = [];

  beforeAll(async () => {
    p = await startTestPlatform({ kind, background: false });
    repo = makeRepo({
      'config/vllm-benchmark/audit.json': '{"max_concurrency": 4}\n',
      'job/vllm-benchmark/audit-job.yaml': 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: audit-job\n',
    });
    ctx = await seed(p, repo, seedProblems);
    // the gateway's /api/<service>/* are the services' handlers again: fuzz only the gateway's own routes
    ops = (await loadOperations(p.urls)).filter((o) => o.service !== 'gateway' || !/^\/api\/(results|manager|deployer|vllm)\//.test(o.path));
  }, 180_000);

  afterAll(async () => {
    console.log(`fuzz (${kind}, seed ${SEED}, ${RUNS} random cases per route): status classes\n${tally.table()}\nfailures:\n${tally.failuresOf().join('\n') || 'none'}`);
    await p?.close();
    repo?.cleanup();
  });

  it('seeds the data the fuzz aims at (a running emulated vLLM server for the /v1 proxy)', () => {
    expect(seedProblems).toEqual([]);
  });

  it.each(SERVICES)('%s: no 5xx, documented 4xx, invalid input refused, healthy afterwards', async (service) => {
    const mine = ops.filter((o) => o.service === service);
    expect(mine.length, `${service} routes in its OpenAPI document`).toBeGreaterThan(3);
    const unhealthy: string[] = [];
    let sent = 0;
    for (const op of mine) {
      const arbs = arbitrariesFor(op, ctx);
      const route = `${op.method} ${op.path}`;
      // one case of every kind that applies, then random ones over the kinds
      const cases = [...arbs].flatMap(([k, a]) => fc.sample(a, { seed: SEED ^ hash(`${route} ${k}`), numRuns: 1 }));
      // (an oversize body is 10 MB on the wire: once per route is enough)
      const random = [...arbs].filter(([k]) => k !== 'oversize').map(([, a]) => a);
      cases.push(...fc.sample(fc.oneof(...random), { seed: SEED ^ hash(route), numRuns: RUNS }));
      for (const c of cases) {
        const o = await send(op.base, c);
        tally.add(service, route, c, o, problemOf(c, o));
        sent++;
      }
      const health = await send(op.base, { kind: 'valid', method: 'GET', url: '/health', headers: {}, refuse: false, note: 'health' });
      if (health.status !== 200) unhealthy.push(`after ${route}: /health ${health.status} ${health.text.slice(0, 200)}`);
    }
    expect(sent).toBeGreaterThan(mine.length * 5);
    expect(unhealthy).toEqual([]);
    expect(tally.failuresOf(service)).toEqual([]);
  }, 300_000);

  it('logs no request whole', () => {
    const longest = p.logs().split('\n').reduce((m, l) => Math.max(m, l.length), 0);
    expect(longest).toBeLessThanOrEqual(MAX_LOG_LINE);
  });
});
