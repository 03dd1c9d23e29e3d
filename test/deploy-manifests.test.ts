/** The cluster-shape manifests under deploy/ are valid Kubernetes objects (schema-checked) and least-privilege. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

const KINDS: Record<string, () => Promise<any>> = {
  'v1/Namespace': async () => (await import('kubernetes-models/v1/Namespace')).Namespace,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'v1/Secret': async () => (await import('kubernetes-models/v1/Secret')).Secret,
  'v1/ServiceAccount': async () => (await import('kubernetes-models/v1/ServiceAccount')).ServiceAccount,
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'rbac.authorization.k8s.io/v1/Role': async () => (await import('kubernetes-models/rbac.authorization.k8s.io/v1/Role')).Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': async () =>
    (await import('kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding')).RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': async () =>
    (await import('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole')).ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': async () =>
    (await import('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding')).ClusterRoleBinding,
};

function docs(file: string): any[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON()).filter(Boolean);
}

describe('deploy/base manifests', () => {
  const dir = 'deploy/base';
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  const all = files.flatMap((f) => docs(path.join(dir, f)).map((d) => ({ file: f, d })));

  it('every object validates against the Kubernetes schema', async () => {
    expect(all.length).toBeGreaterThan(10);
    for (const { file, d } of all) {
      const load = KINDS[`${d.apiVersion}/${d.kind}`];
      expect(load, `${file}: ${d.apiVersion}/${d.kind} has a validator`).toBeDefined();
      const Model = await load!();
      expect(() => new Model(d).validate(), `${file}: ${d.kind} ${d.metadata?.name}`).not.toThrow();
    }
  });

  it('the kustomization lists files that exist and a Deployment per service', () => {
    const k = docs(path.join(dir, 'kustomization.yaml'))[0];
    for (const r of k.resources) expect(files).toContain(r);
    const deployments = all.filter((x) => x.d.kind === 'Deployment').map((x) => x.d);
    const args = deployments.map((d) => d.spec.template.spec.containers[0].args.join(' '));
    expect(args).toEqual(expect.arrayContaining(['serve results', 'serve manager', 'serve deployer', 'serve vllm']));
    for (const d of deployments) {
      const env = d.spec.template.spec.containers[0].env.map((e: any) => e.name);
      expect(env).toEqual(expect.arrayContaining(['DATABASE_URL', 'BENCHOPS_TOKENS', 'BENCHOPS_EXECUTOR']));
      // No secret value in clear in the manifests: they come from a Secret.
      // (a variable that names a Secret, *_SECRET, holds no secret)
      for (const e of d.spec.template.spec.containers[0].env) {
        if (/TOKENS|DATABASE_URL|SECRET/.test(e.name) && !/_SECRET$/.test(e.name)) expect(e.valueFrom, e.name).toBeDefined();
      }
    }
  });

  it('RBAC is namespaced for writes; cluster-wide access is read-only', () => {
    const clusterRoles = all.filter((x) => x.d.kind === 'ClusterRole').map((x) => x.d);
    for (const r of clusterRoles) for (const rule of r.rules) expect(rule.verbs.every((v: string) => ['get', 'list', 'watch'].includes(v))).toBe(true);
    const role = all.find((x) => x.d.kind === 'Role')!.d;
    expect(role.metadata.namespace).toBe('benchmark');
    expect(JSON.stringify(role.rules)).not.toContain('"*"');
  });
});
