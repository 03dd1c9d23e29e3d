/**
 * POST /deploy/preview on the local executor: every document's kind, name and namespace with whether /deploy would
 * apply it and why (allow-list, namespace, host commands for non-admins, duplicates, objects already there), nothing
 * applied; unreadable YAML is a 422 naming yaml_content.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './helpers/db.ts';
import { call, startDeployer, type DeployerEnv } from './helpers/deployer-setup.ts';

const TOKENS = 'operator:preview-operator-token,admin:preview-admin-token';
const OP = { authorization: 'Bearer preview-operator-token' };
const ADMIN = { authorization: 'Bearer preview-admin-token' };

const job = (name: string, command?: string) =>
  `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\n${command ? `  annotations:\n    benchops.io/local-command: ${JSON.stringify(command)}\n` : ''}` +
  'spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: ghcr.io/benchops/benchops:0.1.0\n        args: ["--version"]\n';
const configMap = (name: string, ns?: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}data:\n  a: "1"\n`;

describe.each(DB_KINDS)('deployer: preview of /deploy (%s)', (kind) => {
  let env: DeployerEnv;
  beforeAll(async () => {
    env = await startDeployer(kind, { 'job/x/keep.yaml': job('keep') }, { BENCHOPS_EXECUTOR: 'local', BENCHOPS_TOKENS: TOKENS }, { token: 'preview-admin-token' });
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  });

  it('says per document what would be applied and why not, and applies nothing', async () => {
    const yaml = [configMap('settings'), job('host-cmd', 'echo hi'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: raw-pod\n', configMap('settings'), configMap('elsewhere', 'other-ns')].join('---\n');
    const r = await call(env.base, 'POST', '/deploy/preview', { yaml_content: yaml }, OP);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.namespace).toBe('bench-ns');
    expect(r.body.allowed).toBe(false);
    const o = r.body.objects;
    expect(o.map((x: any) => `${x.kind}/${x.name}`)).toEqual(['ConfigMap/settings', 'Job/host-cmd', 'Pod/raw-pod', 'ConfigMap/settings', 'ConfigMap/elsewhere']);
    expect(o.map((x: any) => x.allowed)).toEqual([true, false, false, false, false]);
    expect(o[0]).toMatchObject({ reason: 'will be created', exists: false, namespace: 'bench-ns' });
    expect(o[1].reason).toMatch(/local-command annotation .*admin/);
    expect(o[2].reason).toMatch(/Kind Pod is not allowed/);
    expect(o[3].reason).toMatch(/appears twice/);
    expect(o[4].reason).toMatch(/differs from the request namespace/);
    // nothing was applied
    const list = await call(env.base, 'GET', '/deployments', undefined, OP);
    expect(list.body).toEqual([]);

    // the admin may run host commands: the same job is allowed for them
    const asAdmin = await call(env.base, 'POST', '/deploy/preview', { yaml_content: job('host-cmd', 'echo hi') }, ADMIN);
    expect(asAdmin.body).toMatchObject({ allowed: true, objects: [{ kind: 'Job', name: 'host-cmd', allowed: true }] });
  });

  it('names objects that are already there, so the apply would fail on them', async () => {
    const applied = await call(env.base, 'POST', '/deploy', { yaml_content: configMap('present') }, OP);
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    const r = await call(env.base, 'POST', '/deploy/preview', { yaml_content: configMap('present') + '---\n' + configMap('absent') }, OP);
    expect(r.body.objects).toEqual([
      expect.objectContaining({ name: 'present', allowed: false, exists: true, reason: expect.stringMatching(/already exists/) }),
      expect.objectContaining({ name: 'absent', allowed: true, exists: false }),
    ]);
  });

  it('answers 422 naming yaml_content for unreadable YAML or a document that is not an object', async () => {
    for (const yaml_content of ['a: [unclosed', '- just\n- a list\n']) {
      const r = await call(env.base, 'POST', '/deploy/preview', { yaml_content }, OP);
      expect(r.status).toBe(422);
      expect(r.body.detail[0].loc).toEqual(['body', 'yaml_content']);
    }
  });
});
