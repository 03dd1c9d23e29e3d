/**
 * Git as the source of truth for deployments, end to end and embedded (PGlite and PostgreSQL): a real git repository
 * holds a vLLM project's values files, the real manager syncs it, the vLLM service's follower deploys each file as an
 * emulated vLLM server (the local backend), and the deployments follow the repository: a new file answers
 * /v1/models, a changed file is redeployed with its new settings, a deployment stopped by hand is restored, a removed
 * file is torn down, a bad file is an error on that file only, and a deployment the follower did not create is never
 * touched. Then two replicas on one PostgreSQL (one deployment per file, one queue item), a Deployment edited behind
 * BenchOps' back on Kubernetes (the API double) replaced, and a restart that resumes without redeploying.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidAlive } from '../src/core/pid.ts';
import { DB_KINDS, createPgDatabase } from './helpers/db.ts';
import { until } from './helpers/deployer-setup.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { fetchJson as call } from './helpers/http.ts';
import { K8sDouble } from './helpers/k8s-double.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const values = (served: string, maxLen: number) => `# desired deployment ${served}\nvllm:\n  model: Qwen/Qwen3-0.6B\n  servedModelName: ${served}\n  maxModelLen: ${maxLen}\n  maxNumSeqs: 16\n`;
// a YAML syntax error whose text carries a token: the error names the line, never the text
const BAD = 'vllm:\n  model: Qwen/Qwen3-0.6B\nhfToken:\n  value: "hf_FOLLOWER_SECRET"\n  broken: [unclosed\n';

/** Polls `fn` until it gives a value (errors count as not yet). */
const waitFor = <T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000): Promise<T> => until(fn, timeoutMs, what);

/** The project's files on the follower, by path. */
async function files(vllm: string, projectId: string): Promise<Record<string, any>> {
  const r = await call(`${vllm}/follow/${projectId}`);
  if (r.status !== 200) throw new Error(`GET /follow/${projectId}: ${r.status}`);
  return Object.fromEntries(r.body.files.map((f: any) => [f.path, f]));
}

/** The served models of an endpoint, or null when it does not answer. */
async function models(endpoint: string): Promise<Array<{ id: string; max_model_len?: number }> | null> {
  try {
    const r = await fetch(`${endpoint}/v1/models`, { signal: AbortSignal.timeout(3000) });
    return r.ok ? ((await r.json()) as any).data : null;
  } catch {
    return null;
  }
}

describe.each(DB_KINDS)('Git follower (%s)', (kind) => {
  let p: TestPlatform;
  let repo: TestRepo;
  let urls: Record<string, string>;
  let projectId: string;
  const sync = async () => {
    const r = await call(`${urls.manager}/projects/${projectId}/sync`, { method: 'POST' });
    expect(r.body.status, JSON.stringify(r.body)).toBe('success');
  };
  const deployed = (path: string, o: { not?: string | null; served?: string } = {}) =>
    waitFor(`${path} deployed`, async () => {
      const f = (await files(urls.vllm, projectId))[path];
      if (!f || f.status !== 'deployed' || f.deployment_status !== 'running' || !f.endpoint || f.deployment_id === o.not) return null;
      const m = await models(f.endpoint);
      return m && (!o.served || m.some((x) => x.id === o.served)) ? { ...f, models: m } : null;
    });

  beforeAll(async () => {
    repo = makeRepo({
      'vllm/custom-values-a.yaml': values('qwen-a', 2048),
      'vllm/custom-values-bad.yaml': BAD,
      'vllm/notes.md': 'not a values file',
    });
    p = await startTestPlatform({ kind, env: { BENCHOPS_POLL_TICK_SECONDS: '0.3', BENCHOPS_LOCAL_DEVICES: 'cpu:4' } });
    urls = p.urls as Record<string, string>;
    const created = await call(`${urls.manager}/projects`, {
      method: 'POST',
      json: { name: `follow-${kind}`, project_type: 'vllm', github_repo_url: repo.url, vllm_values_path: 'vllm', polling_interval: 0 },
    });
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
    projectId = created.body.project_id ?? created.body.project?.project_id ?? created.body.id;
    await sync();
  });
  afterAll(async () => {
    await p?.close();
    repo?.cleanup();
  });

  it('refuses what cannot be followed with a 422 naming the field', async () => {
    const missing = await call(`${urls.vllm}/follow/no-such-project`, { method: 'PUT', json: {} });
    expect(missing.status).toBe(422);
    expect(JSON.stringify(missing.body)).toContain('project_id');
    const cluster = await call(`${urls.vllm}/follow/${projectId}`, { method: 'PUT', json: { cluster_id: 'nowhere' } });
    expect(cluster.status).toBe(422);
    expect(JSON.stringify(cluster.body)).toContain('cluster_id');
    const unknown = await call(`${urls.vllm}/follow/${projectId}`, { method: 'PUT', json: { prun: false } });
    expect(unknown.status).toBe(422);
    // nothing was half-applied: the project is not followed
    expect((await call(`${urls.vllm}/follow/${projectId}`)).status).toBe(404);
    expect((await call(`${urls.vllm}/follow`)).body).toEqual([]);
  });

  it('a configured follow list is followed at start; a project it cannot read is an error on its row, nothing else', async () => {
    const follower = (p.modules.get('vllm') as any).follower;
    await follower.ensureFollows([{ projectId: 'gone-project', clusterId: 'local' }]);
    const r = await call(`${urls.vllm}/follow/gone-project/sync`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ deployed: 0, stopped: 0 });
    expect(r.body.result.error).toMatch(/cannot list the project's values files.*not found/i);
    expect(r.body.follow.last_error).toBe(r.body.result.error);
    expect((await call(`${urls.vllm}/follow/gone-project`, { method: 'DELETE' })).status).toBe(200);
    expect((await call(`${urls.vllm}/follow`)).body).toEqual([]);
  });

  let first: any;
  let manual: string;
  it('deploys every values file: the deployment answers /v1/models; a bad file is an error on that file only', async () => {
    // a deployment made by hand, not from Git: the follower must never touch it
    const direct = await call(`${urls.vllm}/deploy`, { method: 'POST', json: { config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'by-hand', max_model_len: 1024 } } });
    expect(direct.status, JSON.stringify(direct.body)).toBe(201);
    manual = direct.body.deployment_id;

    const put = await call(`${urls.vllm}/follow/${projectId}`, { method: 'PUT', json: {} });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ project_id: projectId, cluster_id: 'local', prune: true, self_heal: true });
    first = await deployed('vllm/custom-values-a.yaml', { served: 'qwen-a' });
    expect(first.models.find((m: any) => m.id === 'qwen-a').max_model_len).toBe(2048);
    const all = await files(urls.vllm, projectId);
    // only custom-values*.yaml under vllm_values_path are desired deployments
    expect(Object.keys(all).sort()).toEqual(['vllm/custom-values-a.yaml', 'vllm/custom-values-bad.yaml']);
    const bad = all['vllm/custom-values-bad.yaml'];
    expect(bad.status).toBe('invalid');
    expect(bad.deployment_id).toBeNull();
    expect(bad.error).toMatch(/custom-values-bad\.yaml.*line \d+/);
    expect(JSON.stringify(all)).not.toContain('hf_FOLLOWER_SECRET');
    expect(p.logs()).not.toContain('hf_FOLLOWER_SECRET');
    // the deployment is marked as the follower's: project, path and content hash
    const rec = await (p.modules.get('vllm') as any).core.deployments.get(first.deployment_id);
    expect(rec).toMatchObject({ sourceProjectId: projectId, sourcePath: 'vllm/custom-values-a.yaml', sourceHash: first.content_hash, keep: true });
    // a bad file is retried only when it changes: no queue item was made for it
    const queue = (await call(`${urls.vllm}/queue/list?limit=100`)).body;
    expect(queue.filter((q: any) => q.status !== 'cancelled').length).toBe(1);
    const metrics = await (await fetch(`${urls.vllm}/metrics`)).text();
    expect(metrics).toMatch(/benchops_vllm_follow_files\{status="deployed"\} 1\b/);
    expect(metrics).toMatch(/benchops_vllm_follow_files\{status="invalid"\} 1\b/);
  });

  it('a changed file is redeployed with the new settings and its previous deployment stopped', async () => {
    repo.commit({ 'vllm/custom-values-a.yaml': values('qwen-a', 4096) }, 'a: longer context');
    await sync();
    const next = await deployed('vllm/custom-values-a.yaml', { not: first.deployment_id, served: 'qwen-a' });
    expect(next.models.find((m: any) => m.id === 'qwen-a').max_model_len).toBe(4096);
    expect(next.content_hash).not.toBe(first.content_hash);
    const old = (await call(`${urls.vllm}/deployments/${first.deployment_id}`)).body;
    expect(old.status).toBe('stopped');
    expect(old.error_message).toMatch(/replaced/);
    first = next;
  });

  it('a deployment stopped by hand or whose server was killed is restored (self-heal); the bad file is still the only error', async () => {
    const del = await call(`${urls.vllm}/deployments/${first.deployment_id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const healed = await deployed('vllm/custom-values-a.yaml', { not: first.deployment_id, served: 'qwen-a' });
    expect(healed.heals).toBeGreaterThanOrEqual(1);
    expect(healed.content_hash).toBe(first.content_hash);
    expect((await files(urls.vllm, projectId))['vllm/custom-values-bad.yaml'].status).toBe('invalid');
    // its server killed (kill -9): the deployment lost its server and is restored as well
    const rec = await (p.modules.get('vllm') as any).core.deployments.get(healed.deployment_id);
    process.kill(rec.pid, 'SIGKILL');
    const again = await deployed('vllm/custom-values-a.yaml', { not: healed.deployment_id, served: 'qwen-a' });
    expect(again.heals).toBeGreaterThan(healed.heals);
    expect((await call(`${urls.vllm}/deployments/${healed.deployment_id}`)).body.status).not.toBe('running');
    first = again;
  });

  it('a bad edit leaves the running deployment alone; reverting it changes nothing (no redeploy)', async () => {
    const good = values('qwen-a', 4096);
    repo.commit({ 'vllm/custom-values-a.yaml': 'vllm:\n  model: Qwen/Qwen3-0.6B\n  maxModelLen: [1, 2]\n' }, 'a: broken');
    await sync();
    const broken = await waitFor('a invalid', async () => {
      const f = (await files(urls.vllm, projectId))['vllm/custom-values-a.yaml'];
      return f?.status === 'invalid' ? f : null;
    });
    expect(broken.error).toMatch(/maxModelLen|max_model_len/);
    expect(broken.deployment_id).toBe(first.deployment_id);
    expect(broken.deployment_status).toBe('running');
    repo.commit({ 'vllm/custom-values-a.yaml': good }, 'a: reverted');
    await sync();
    const back = await deployed('vllm/custom-values-a.yaml', { served: 'qwen-a' });
    expect(back.deployment_id).toBe(first.deployment_id);
    expect(back.content_hash).toBe(first.content_hash);
    expect(back.error).toBeNull();
  });

  it('a removed file is torn down (prune), a new one deployed, a fixed bad file deployed; the hand-made deployment untouched', async () => {
    const rec = await (p.modules.get('vllm') as any).core.deployments.get(first.deployment_id);
    expect(pidAlive(rec.pid)).toBe(true);
    repo.commit({ 'vllm/custom-values-a.yaml': null, 'vllm/custom-values-c.yaml': values('qwen-c', 1024), 'vllm/custom-values-bad.yaml': values('qwen-fixed', 1024) }, 'a removed, c added, bad fixed');
    await sync();
    const c = await deployed('vllm/custom-values-c.yaml', { served: 'qwen-c' });
    const fixed = await deployed('vllm/custom-values-bad.yaml', { served: 'qwen-fixed' });
    expect(fixed.error).toBeNull();
    await waitFor('a pruned', async () => !(await files(urls.vllm, projectId))['vllm/custom-values-a.yaml']);
    const gone = (await call(`${urls.vllm}/deployments/${first.deployment_id}`)).body;
    expect(gone.status).toBe('stopped');
    expect(gone.error_message).toMatch(/pruned/);
    expect(pidAlive(rec.pid)).toBe(false);
    expect((await call(`${urls.vllm}/deployments/${manual}`)).body.status).toBe('running');
    expect(c.deployment_id).not.toBe(fixed.deployment_id);
  });

  it('unfollowing with prune stops what the follower created and nothing else', async () => {
    const r = await call(`${urls.vllm}/follow/${projectId}`, { method: 'DELETE' });
    expect(r.status).toBe(200);
    expect(r.body.stopped_deployments).toBe(2);
    const deps = (await call(`${urls.vllm}/deployments?status=running`)).body;
    expect(Object.keys(deps)).toEqual([manual]);
    expect((await call(`${urls.vllm}/follow`)).body).toEqual([]);
  });
});

describe('Git follower: two replicas on one PostgreSQL', () => {
  let a: TestPlatform;
  let b: TestPlatform;
  let repo: TestRepo;
  beforeAll(async () => {
    repo = makeRepo({ 'vllm/custom-values-one.yaml': values('qwen-one', 1024), 'vllm/custom-values-two.yaml': values('qwen-two', 1024) });
    const url = await createPgDatabase();
    // replicas share the database and the key that seals what they store (a queue item sealed by one is run by the other)
    const env = { DATABASE_URL: url, BENCHOPS_SECRET_KEY: randomBytes(32).toString('base64'), BENCHOPS_POLL_TICK_SECONDS: '0.2', BENCHOPS_LOCAL_DEVICES: 'cpu:4' };
    a = await startTestPlatform({ kind: 'postgres', env });
    b = await startTestPlatform({ kind: 'postgres', env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    repo?.cleanup();
  });

  it('both follow the project, each file is deployed once, with one queue item each', async () => {
    const ua = a.urls as Record<string, string>;
    const ub = b.urls as Record<string, string>;
    const created = await call(`${ua.manager}/projects`, { method: 'POST', json: { name: 'replicas', project_type: 'vllm', github_repo_url: repo.url, vllm_values_path: 'vllm', polling_interval: 0 } });
    const projectId = created.body.project_id ?? created.body.project?.project_id ?? created.body.id;
    expect((await call(`${ua.manager}/projects/${projectId}/sync`, { method: 'POST' })).body.status).toBe('success');
    // both replicas are told to follow, and both pass over it at once, on top of their background passes
    const puts = await Promise.all([ua, ub].map((u) => call(`${u.vllm}/follow/${projectId}`, { method: 'PUT', json: {} })));
    for (const r of puts) expect(r.status, JSON.stringify(r.body)).toBe(200);
    await Promise.all([ua, ub, ua, ub].map((u) => call(`${u.vllm}/follow/${projectId}/sync`, { method: 'POST' })));
    const done = await waitFor('both files deployed', async () => {
      const f = await files(ub.vllm, projectId);
      const both = ['vllm/custom-values-one.yaml', 'vllm/custom-values-two.yaml'].map((k) => f[k]);
      return both.every((x) => x?.status === 'deployed' && x.deployment_status === 'running') ? f : null;
    });
    // let a few more passes of both replicas run: still nothing twice
    await Promise.all([ua, ub].map((u) => call(`${u.vllm}/follow/${projectId}/sync`, { method: 'POST' })));
    const queue = (await call(`${ua.vllm}/queue/list?limit=100`)).body;
    const deps = (await call(`${ua.vllm}/deployments`)).body;
    expect(queue.length, JSON.stringify({ queue: queue.map((q: any) => [q.status, q.error_message, q.deployment_id]), deps: Object.values(deps).map((d: any) => [d.deployment_id, d.status, d.error_message]), logs: (a.logs() + b.logs()).split('\n').filter((l) => /Git follower|queue item/.test(l)) })).toBe(2);
    const running = Object.values((await call(`${ua.vllm}/deployments?status=running`)).body) as any[];
    expect(running.map((d) => d.served_model_name).sort()).toEqual(['qwen-one', 'qwen-two']);
    expect(running.map((d) => d.deployment_id).sort()).toEqual(Object.values(done).map((f: any) => f.deployment_id).sort());
  });
});

describe('Git follower on Kubernetes (API double): a drifted Deployment is restored', () => {
  const NS = 'models';
  let k8s: K8sDouble;
  let p: TestPlatform;
  let repo: TestRepo;
  afterAll(async () => {
    await p?.close();
    await k8s?.close();
    repo?.cleanup();
  });

  it('deploys the file as a Deployment; one edited behind its back (fingerprint annotation changed) is replaced', async () => {
    k8s = await K8sDouble.start();
    k8s.addNode('gpu-a', { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '2' }, { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    repo = makeRepo({ 'vllm/custom-values-k.yaml': 'vllm:\n  model: Qwen/Qwen3-8B\n  servedModelName: qwen-k\nresources:\n  limits:\n    nvidia.com/gpu: 1\n' });
    p = await startTestPlatform({ kind: 'pglite', services: ['manager', 'vllm'], env: { BENCHOPS_POLL_TICK_SECONDS: '0.3' } });
    const urls = p.urls as Record<string, string>;
    const cluster = await call(`${urls.vllm}/clusters`, { method: 'POST', json: { name: 'lab', kubeconfig: k8s.kubeconfig, namespace: NS } });
    expect(cluster.status).toBe(201);
    const created = await call(`${urls.manager}/projects`, { method: 'POST', json: { name: 'k8s', project_type: 'vllm', github_repo_url: repo.url, vllm_values_path: 'vllm', polling_interval: 0 } });
    const projectId = created.body.project_id ?? created.body.project?.project_id ?? created.body.id;
    expect((await call(`${urls.manager}/projects/${projectId}/sync`, { method: 'POST' })).body.status).toBe('success');
    expect((await call(`${urls.vllm}/follow/${projectId}`, { method: 'PUT', json: { cluster_id: cluster.body.id } })).status).toBe(200);

    // the cluster's controller: a BenchOps Deployment becomes ready once it exists
    const ready = (name: string) => k8s.put('deployments', { ...k8s.get('deployments', NS, name, 'apps/v1')!, status: { replicas: 1, readyReplicas: 1 } }, 'apps/v1');
    const deployedAs = (not?: string) =>
      waitFor('the file deployed on the cluster', async () => {
        for (const d of k8s.list('deployments', NS, 'apps/v1') as any[]) if (d.metadata.name !== not && !d.status?.readyReplicas) ready(d.metadata.name);
        const f = (await files(urls.vllm, projectId))['vllm/custom-values-k.yaml'];
        return f?.status === 'deployed' && f.deployment_status === 'running' && f.deployment_id !== not ? f : null;
      });
    const first = await deployedAs();
    const dep = (await call(`${urls.vllm}/deployments/${first.deployment_id}`)).body;
    const obj: any = k8s.get('deployments', NS, dep.deployment_name, 'apps/v1');
    expect(obj.metadata.annotations['benchops.io/config-fingerprint']).toBe(dep.fingerprint);
    expect(obj.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');

    // someone edits the live Deployment (kubectl edit): its fingerprint no longer matches the record
    k8s.put('deployments', { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, 'benchops.io/config-fingerprint': 'edited-by-hand' } } }, 'apps/v1');
    const healed = await deployedAs(first.deployment_id);
    expect(healed.heals).toBe(1);
    expect(k8s.get('deployments', NS, dep.deployment_name, 'apps/v1')).toBeUndefined();
    const now = (await call(`${urls.vllm}/deployments/${healed.deployment_id}`)).body;
    expect((k8s.get('deployments', NS, now.deployment_name, 'apps/v1') as any).metadata.annotations['benchops.io/config-fingerprint']).toBe(now.fingerprint);
    expect(k8s.list('deployments', NS, 'apps/v1').length).toBe(1);
  });
});

describe('Git follower across a restart (PostgreSQL, same data folder)', () => {
  let p: TestPlatform | undefined;
  let repo: TestRepo;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-follow-restart-'));
  afterAll(async () => {
    await p?.close();
    repo?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes from its stored state: the same deployment, no second queue item', async () => {
    repo = makeRepo({ 'vllm/custom-values-r.yaml': values('qwen-r', 1024) });
    const env = { DATABASE_URL: await createPgDatabase(), BENCHOPS_DATA_DIR: dataDir, BENCHOPS_POLL_TICK_SECONDS: '0.3' };
    p = await startTestPlatform({ kind: 'postgres', env });
    let urls = p.urls as Record<string, string>;
    const created = await call(`${urls.manager}/projects`, { method: 'POST', json: { name: 'restart', project_type: 'vllm', github_repo_url: repo.url, vllm_values_path: 'vllm', polling_interval: 0 } });
    const projectId = created.body.project_id ?? created.body.project?.project_id ?? created.body.id;
    expect((await call(`${urls.manager}/projects/${projectId}/sync`, { method: 'POST' })).body.status).toBe('success');
    expect((await call(`${urls.vllm}/follow/${projectId}`, { method: 'PUT', json: {} })).status).toBe(200);
    const before = await waitFor('deployed', async () => {
      const f = (await files(urls.vllm, projectId))['vllm/custom-values-r.yaml'];
      return f?.status === 'deployed' && f.deployment_status === 'running' ? f : null;
    });
    await p.close();
    p = await startTestPlatform({ kind: 'postgres', env });
    urls = p.urls as Record<string, string>;
    // passes after the restart (background ones and two asked for) find everything in place
    for (let i = 0; i < 2; i++) expect((await call(`${urls.vllm}/follow/${projectId}/sync`, { method: 'POST' })).body.result).toMatchObject({ deployed: 0, stopped: 0, error: null });
    const after = await waitFor('still deployed', async () => {
      const f = (await files(urls.vllm, projectId))['vllm/custom-values-r.yaml'];
      return f?.status === 'deployed' && f.deployment_status === 'running' && f.endpoint && (await models(f.endpoint))?.some((m) => m.id === 'qwen-r') ? f : null;
    });
    expect(after.deployment_id).toBe(before.deployment_id);
    expect((await call(`${urls.vllm}/queue/list?limit=100`)).body.length).toBe(1);
  });
});
