/**
 * Secrets of vLLM requests at rest (issue 10 items 2 and 3): custom values text, secret env values and the job YAML
 * the earlier UI sends are sealed (SecretBox) beside the queue item and the deployment — the clear rows, the API and
 * the logs never hold them — and older rows that kept them in clear are sealed at start. YAML/JSON errors on the
 * routes that take them give line and column, never the text. PGlite and PostgreSQL.
 */
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/db/client.ts';
import { sealLegacyRows } from '../src/services/vllm/legacy-secrets.ts';
import { unseal } from '../src/services/vllm/sealed.ts';
import type { VllmModule } from '../src/services/vllm/index.ts';
import { DB_KINDS, freshDatabase } from './helpers/db.ts';
import { FakeDeployer, fakeModule, job, serveModule, until } from './vllm-fakes.ts';

const TOKEN = 'hf_FAKEsealedtoken0123456789';
const VALUES = `vllm:\n  model: Qwen/Qwen3-0.6B\n  served_model_name: qwen-sealed\nhfToken:\n  enabled: true\n  value: "${TOKEN}"\nenv:\n  - name: OPENAI_API_KEY\n    value: "sk-FAKE-env-secret-42"\n`;
const JOB_YAML = 'apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n      - name: x\n        env:\n        - name: HF_TOKEN\n          value: hf_FAKEjobyamltoken999\n';

const rowsText = async (db: Database, table: string) => {
  const r: any = await db.db.execute(sql.raw(`SELECT row_to_json(t)::text AS j FROM ${table} t`));
  return ((r.rows ?? r) as Array<{ j: string }>).map((x) => x.j).join('\n');
};

describe.each(DB_KINDS)('sealed secrets of vLLM requests (%s)', (kind) => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const c of open.reverse()) await c.close().catch(() => {});
    open.length = 0;
  });

  async function setup(deployer = new FakeDeployer(20)): Promise<{ db: Database; mod: VllmModule; deployer: FakeDeployer }> {
    const db = await freshDatabase(kind);
    const mod = fakeModule(db, deployer);
    open.push({ close: () => db.close() });
    open.push({ close: () => mod.stop!() });
    return { db, mod, deployer };
  }

  it('keeps values, env secrets and job YAML only sealed: queue row, deployment row and API hold none in clear', async () => {
    const { db, mod } = await setup();
    await mod.start!();
    const q = await mod.api.enqueue({ vllm_config: { custom_values_content: VALUES } as any, benchmark_configs: [{ ...job(1), yaml_content: JOB_YAML }] });
    expect(q.vllm_config).toMatchObject({ model_name: 'Qwen/Qwen3-0.6B', has_custom_values: true });
    expect(q.benchmark_configs[0]).toMatchObject({ has_yaml_content: true });
    expect(q.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/yaml_content has no effect/)]));
    const done = await until(async () => {
      const r = await mod.api.getQueueItem(q.queue_request_id);
      return r.status === 'completed' || r.status === 'failed' ? r : null;
    });
    expect(done.error_message).toBeNull();
    for (const secret of [TOKEN, 'sk-FAKE-env-secret-42', 'hf_FAKEjobyamltoken999']) {
      expect(await rowsText(db, 'vllm_queue')).not.toContain(secret);
      expect(await rowsText(db, 'vllm_deployments')).not.toContain(secret);
      expect(JSON.stringify(done)).not.toContain(secret);
    }
    const row = await mod.core.queue.get(q.queue_request_id);
    expect(row.secretsEnc).toMatch(/^v1:/);
    const opened = unseal(mod.core.secrets, row.secretsEnc);
    expect(opened).toEqual({ values: VALUES, env: { HF_TOKEN: TOKEN, OPENAI_API_KEY: 'sk-FAKE-env-secret-42' }, job_yaml: { '0': JOB_YAML } });
    // the deployment gets its own copy, without the job texts
    const dep = await mod.core.deployments.get(done.deployment_id!);
    expect(unseal(mod.core.secrets, dep.secretsEnc)).toEqual({ values: VALUES, env: { HF_TOKEN: TOKEN, OPENAI_API_KEY: 'sk-FAKE-env-secret-42' } });
    expect((dep.config as any).kubernetes.sealed_env).toEqual(['HF_TOKEN', 'OPENAI_API_KEY']);
    // lists never read the sealed column
    const { rows } = await mod.core.deployments.list();
    expect(rows.every((r) => r.secretsEnc === null)).toBe(true);
  });

  it("says back the earlier API's github_token and unknown fields instead of dropping them unseen, and stores none", async () => {
    const { db, mod } = await setup();
    await mod.start!();
    const srv = await serveModule(mod);
    open.push(srv);
    const GH = 'ghp_FAKEearlierapitoken0000';
    const r = await fetch(`${srv.base}/deploy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'gh', custom_values_path: '/etc/vllm.yaml', bogus_flag: 1 }, github_token: GH }),
    }).then(async (x) => ({ status: x.status, body: (await x.json()) as any }));
    expect(r.status).toBe(201);
    expect(r.body.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^github_token has no effect: .*not stored/),
        expect.stringMatching(/^config\.custom_values_path has no effect: a path on the server is not read/),
        expect.stringMatching(/^config\.bogus_flag has no effect/),
      ]),
    );
    const q = await mod.api.enqueue({ vllm_config: { model_name: 'Qwen/Qwen3-0.6B' }, github_token: GH, repository_url: 'https://github.com/o/charts' } as any);
    expect(q.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^github_token has no effect/), expect.stringMatching(/^repository_url has no effect/)]));
    expect(JSON.stringify(r.body) + JSON.stringify(q)).not.toContain(GH);
    expect(await rowsText(db, 'vllm_queue')).not.toContain(GH);
    expect(await rowsText(db, 'vllm_deployments')).not.toContain(GH);
    expect(srv.logs()).not.toContain(GH);
    await mod.api.cancel(q.queue_request_id);
  });

  it('seals what older rows kept in clear, once', async () => {
    const { db, mod } = await setup();
    const legacyCfg = { model_name: 'm/x', custom_values_content: `vllm: {model: m/x}\nhfToken: {value: ${TOKEN}}\n`, gpu_resource_type: 'cpu', gpu_resource_count: 0 };
    await db.db.execute(sql`INSERT INTO vllm_queue (id, priority, priority_rank, status, vllm_config, benchmark_configs, scheduling_config)
      VALUES ('legacy-q', 'medium', 2, 'completed', ${JSON.stringify(legacyCfg)}::jsonb, ${JSON.stringify([{ ...job(1), yaml_content: JOB_YAML }, job(2)])}::jsonb, '{}'::jsonb)`);
    await db.db.execute(sql`INSERT INTO vllm_deployments (id, name, cluster_id, backend, namespace, status, config, fingerprint, resources)
      VALUES ('legacy-d', 'vllm-x-legacy', 'local', 'local', 'local', 'stopped', ${JSON.stringify(legacyCfg)}::jsonb, 'fp', '{}'::jsonb)`);
    const log = { info() {}, warn() {} } as any;
    expect(await sealLegacyRows(db.db, mod.core.secrets, log)).toEqual({ queue: 1, deployments: 1 });
    expect(await rowsText(db, 'vllm_queue')).not.toContain(TOKEN);
    expect(await rowsText(db, 'vllm_queue')).not.toContain('hf_FAKEjobyamltoken999');
    expect(await rowsText(db, 'vllm_deployments')).not.toContain(TOKEN);
    const q = await mod.core.queue.get('legacy-q');
    expect(unseal(mod.core.secrets, q.secretsEnc)).toEqual({ values: legacyCfg.custom_values_content, job_yaml: { '0': JOB_YAML } });
    expect((q.benchmarkConfigs as any[]).map((b) => !!b.has_yaml_content)).toEqual([true, false]);
    expect((await mod.api.getQueueItem('legacy-q')).vllm_config).toMatchObject({ has_custom_values: true });
    expect(await sealLegacyRows(db.db, mod.core.secrets, log)).toEqual({ queue: 0, deployments: 0 });
  });

  it('answers YAML/JSON errors with line and column, never the text, and logs none of it', async () => {
    const { mod } = await setup();
    const srv = await serveModule(mod);
    open.push(srv);
    const post = (path: string, body: unknown) =>
      fetch(srv.base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const broken = `vllm:\n  model: m/x\nhfToken:\n  value: "${TOKEN}"\n   bad: [1, 2\n`;
    const kube = `apiVersion: v1\nclusters:\n- name: c\n  cluster: {server: https://k8s.example:6443}\nusers:\n- name: u\n  user:\n    token: kube-FAKE-token-777\n   oops: [\n`;
    const cases = [
      await post('/deploy', { custom_values_content: broken }),
      await post('/placement/preview', { custom_values_content: broken }),
      await post('/configs/validate', { model_name: 'm/x', custom_values_content: broken }),
      await post('/queue/deployment', { vllm_config: { custom_values_content: broken } }),
      await post('/clusters', { name: 'lab', kubeconfig: kube }),
      await fetch(`${srv.base}/configs/validate?config=${encodeURIComponent(`{"model_name": "m", "custom_values_content": "${TOKEN}",,}`)}`).then(async (r) => ({ status: r.status, text: await r.text() })),
    ];
    for (const c of cases) {
      expect(c.status).toBe(422);
      expect(c.text).toMatch(/line \d+/);
      expect(c.text).not.toContain(TOKEN);
      expect(c.text).not.toContain('kube-FAKE-token');
      expect(c.text).not.toMatch(/bad:|oops:/);
    }
    expect(JSON.parse(cases[0].text).detail[0].loc).toEqual(['body', 'config', 'custom_values_content']);
    expect(JSON.parse(cases[3].text).detail[0].loc).toEqual(['body', 'vllm_config', 'custom_values_content']);
    expect(JSON.parse(cases[4].text).detail[0].loc).toEqual(['body', 'kubeconfig']);
    expect(JSON.parse(cases[5].text).detail[0].loc).toEqual(['query', 'config']);
    // a kubeconfig is content, never a path on the server; structural errors name the part, not the text
    const path = await post('/clusters', { name: 'lab', kubeconfig: '/etc/passwd' });
    expect(path.status).toBe(422);
    expect(path.text).toMatch(/must be a YAML mapping/);
    const noServer = await post('/clusters', { name: 'lab', kubeconfig: 'apiVersion: v1\ncurrent-context: x\nclusters: [{name: c, cluster: {server: "kube-FAKE-token-777"}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {token: t}}]\n' });
    expect(noServer.status).toBe(422);
    expect(noServer.text).toMatch(/no valid server URL/);
    expect(noServer.text).not.toContain('kube-FAKE-token');
    expect(srv.logs()).not.toContain(TOKEN);
    expect(srv.logs()).not.toContain('kube-FAKE-token');
  });
});
