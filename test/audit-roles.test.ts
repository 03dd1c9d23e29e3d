/**
 * The role matrix (issue 10, item 16): every route+method of every OpenAPI document (each service and the gateway) with
 * tokens configured. No token or a wrong token → 401; viewer on a route that needs more → 403; operator on an admin
 * route → 403; a role at or above the route's → neither 401 nor 403. The expected role is what the route declares
 * (`config: { role }` / `{ public }`, else reads viewer and writes operator), recorded as Fastify registers each route,
 * so a route that forgets its role shows up here as a decision to review.
 *
 * Writes are sent with a malformed JSON body: authentication runs before body parsing, so an allowed caller gets the
 * parse error (422) and no write handler runs (no deploy, no sync, no delete); reads run against ids that do not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/core/auth.ts';
import { loadOperations, recordDeclaredRoles, routeKey, type Declared, type Operation } from './helpers/audit-openapi.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const TOKENS: Record<Role, string> = { viewer: 'audit-viewer-token', operator: 'audit-operator-token', admin: 'audit-admin-token' };
const RANK: Record<Declared, number> = { public: -1, viewer: 0, operator: 1, admin: 2 };
type Caller = 'none' | 'wrong' | Role;
const CALLERS: Caller[] = ['none', 'wrong', 'viewer', 'operator', 'admin'];

/**
 * Writes that a viewer may call, each a decision written down here (README "Authentication and secrets"): the vLLM
 * service's config validation and placement preview are POSTs that create nothing (they answer what a deploy would do).
 * OpenAI inference on the gateway needs operator (it spends the GPUs benchmarks measure). Any other write declared
 * viewer fails.
 */
const VIEWER_WRITES = new Set(['/configs/validate', '/placement/preview']);
/** Writes authenticated by a signature instead of a token (MLflow webhooks cannot send a bearer token; HMAC checked). */
const SIGNED_WRITES = new Set(['/webhooks/mlflow']);

function expected(declared: Declared, caller: Caller): 'allowed' | 401 | 403 {
  if (declared === 'public') return 'allowed';
  if (caller === 'none' || caller === 'wrong') return 401;
  return RANK[caller] >= RANK[declared] ? 'allowed' : 403;
}

async function send(op: Operation, caller: Caller): Promise<number> {
  const url = op.base + op.path.replace(/\{[^}]+\}/g, 'audit-missing-id');
  const headers: Record<string, string> = {};
  if (caller === 'wrong') headers.authorization = 'Bearer not-a-configured-token';
  else if (caller !== 'none') headers.authorization = `Bearer ${TOKENS[caller]}`;
  const write = op.method !== 'GET';
  if (write) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: op.method, headers, body: write ? '{"audit": ' : undefined, signal: AbortSignal.timeout(30_000) });
  await res.arrayBuffer();
  return res.status;
}

describe('role matrix over every OpenAPI route (tokens configured)', () => {
  let p: TestPlatform;
  let ops: Operation[];
  let roles: Record<string, Map<string, Declared>>;

  beforeAll(async () => {
    const recorder = recordDeclaredRoles();
    try {
      p = await startTestPlatform({
        kind: 'pglite',
        background: false,
        env: { BENCHOPS_TOKENS: Object.entries(TOKENS).map(([r, t]) => `${r}:${t}`).join(',') },
      });
    } finally {
      recorder.stop();
    }
    roles = recorder.forApps(p.apps);
    ops = await loadOperations(p.urls);
  });
  afterAll(async () => p?.close());

  it('finds every route of every service document and the role it declares', () => {
    const services = new Set(ops.map((o) => o.service));
    for (const s of ['results', 'manager', 'deployer', 'vllm', 'gateway']) expect(services, s).toContain(s);
    const undeclared = ops.filter((o) => !roles[o.service]?.has(routeKey(o.method, o.path))).map((o) => `${o.service} ${o.method} ${o.path}`);
    expect(undeclared, 'OpenAPI routes the registrations do not know').toEqual([]);
    // the gateway mounts each service unchanged: the same route must declare the same role in both places
    const drift: string[] = [];
    for (const o of ops.filter((x) => x.service === 'gateway' && x.path.startsWith('/api/'))) {
      const [, , svc, ...rest] = o.path.split('/');
      if (!roles[svc]) continue; // the gateway's own /api/* routes (e.g. /api/session)
      const own = roles[svc]?.get(routeKey(o.method, `/${rest.join('/')}`));
      const gw = roles.gateway.get(routeKey(o.method, o.path));
      if (own !== gw) drift.push(`${o.method} ${o.path}: ${svc} ${own}, gateway ${gw}`);
    }
    expect(drift).toEqual([]);
  });

  it('declares no write weaker than operator except the listed viewer writes', () => {
    const weak = ops
      .filter((o) => o.method !== 'GET')
      .filter((o) => RANK[roles[o.service].get(routeKey(o.method, o.path))!] < RANK.operator && !VIEWER_WRITES.has(o.path.replace(/^\/api\/[a-z]+(?=\/)/, '')) && !SIGNED_WRITES.has(o.path.replace(/^\/api\/[a-z]+(?=\/)/, '')))
      .map((o) => `${o.service} ${o.method} ${o.path}`);
    expect(weak).toEqual([]);
  });

  it('answers 401 without a token, 403 under the declared role, and lets the declared role and above through', async () => {
    const wrong: string[] = [];
    const decisions: string[] = [];
    const tally: Record<string, number> = {};
    for (const op of ops) {
      const declared = roles[op.service].get(routeKey(op.method, op.path))!;
      const got: string[] = [];
      for (const caller of CALLERS) {
        const status = await send(op, caller);
        const want = expected(declared, caller);
        const ok = want === 'allowed' ? status !== 401 && status !== 403 : status === want;
        tally[`${want}`] = (tally[`${want}`] ?? 0) + 1;
        if (!ok) wrong.push(`${op.service} ${op.method} ${op.path} as ${caller}: ${status}, expected ${want === 'allowed' ? 'not 401/403' : want}`);
        got.push(`${caller}=${status}`);
      }
      decisions.push(`${op.service.padEnd(8)} ${op.method.padEnd(6)} ${op.path.padEnd(52)} ${declared.padEnd(8)} ${got.join(' ')}`);
    }
    console.log(`role matrix: ${ops.length} route+method pairs, ${ops.length * CALLERS.length} requests; expected ${JSON.stringify(tally)}\n${decisions.join('\n')}`);
    expect(ops.length).toBeGreaterThan(150);
    // both refusals are exercised, otherwise the matrix proves nothing
    expect(tally['401']).toBeGreaterThan(0);
    expect(tally['403']).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  }, 120_000);

  it('refuses admin-only content to an operator with 403, before anything is applied (item 4)', async () => {
    const op = { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' };
    const job = (spec: string) =>
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: audit-job\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n${spec}`;
    const cases: [string, string, string, unknown][] = [
      ['privileged container', p.urls.deployer!, '/deploy', { yaml_content: job('      containers:\n        - name: c\n          image: busybox\n          securityContext:\n            privileged: true\n') }],
      ['host network', p.urls.deployer!, '/deploy', { yaml_content: job('      hostNetwork: true\n      containers:\n        - name: c\n          image: busybox\n') }],
      ['NodePort Service', p.urls.deployer!, '/deploy', { yaml_content: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: audit-svc\nspec:\n  type: NodePort\n  ports:\n    - port: 80\n' }],
      ['another namespace', p.urls.deployer!, '/deploy', { yaml_content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: audit-cm\ndata:\n  a: b\n', namespace: 'kube-system' }],
      ['delete in another namespace', p.urls.deployer!, '/delete', { yaml_content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: audit-cm\n  namespace: kube-system\n' }],
      ['file:// repository', p.urls.manager!, '/projects', { name: 'audit-file-repo', github_repo_url: 'file:///etc' }],
    ];
    const wrong: string[] = [];
    for (const [what, base, path, body] of cases) {
      const res = await fetch(base + path, { method: 'POST', headers: op, body: JSON.stringify(body) });
      const text = await res.text();
      if (res.status !== 403) wrong.push(`${what}: ${res.status} ${text.slice(0, 200)}`);
      else expect(typeof JSON.parse(text).detail, what).toBe('string');
    }
    expect(wrong).toEqual([]);
    // refused means nothing recorded
    const deployments = await fetch(`${p.urls.deployer}/deployments`, { headers: op });
    expect(await deployments.json()).toEqual([]);
    const projects = await fetch(`${p.urls.manager}/projects`, { headers: op });
    expect(await projects.json()).toEqual([]);
  });

  it('keeps /health open and everything else closed to a caller without a token', async () => {
    for (const base of Object.values(p.urls)) {
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/status`)).status).toBe(401);
      expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
    }
  });
});
