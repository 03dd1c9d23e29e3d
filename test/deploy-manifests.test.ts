/** The cluster-shape manifests under deploy/ are valid Kubernetes objects (schema-checked) and least-privilege. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, SERVICE_NAMES, type ServiceName } from '../src/core/config.ts';
import { availableServices } from '../src/platform/start.ts';

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
  return parseDocs(readFileSync(file, 'utf8'));
}

function parseDocs(text: string): any[] {
  return parseAllDocuments(text).map((d) => d.toJSON()).filter(Boolean);
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

/** `kubectl kustomize` (kustomize v5) when this machine has kubectl; the CI image may not. */
function kustomize(dir: string): string | null {
  try {
    return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e: any) {
    if (e.code === 'ENOENT') return null;
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr || e.message}`);
  }
}
const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

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
    expect(args).toEqual(expect.arrayContaining(['serve results', 'serve manager', 'serve deployer', 'serve vllm', 'serve workflows']));
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

  it('each BENCHOPS_<SERVICE>_URL names that service at its seed port, and the web gateway can reach every service', () => {
    const deployments = all.filter((x) => x.d.kind === 'Deployment').map((x) => x.d);
    const services = new Set(all.filter((x) => x.d.kind === 'Service').map((x) => x.d.metadata.name));
    for (const d of deployments) {
      for (const e of d.spec.template.spec.containers[0].env) {
        const m = /^BENCHOPS_([A-Z]+)_URL$/.exec(e.name);
        const svc = m?.[1].toLowerCase() as ServiceName | undefined;
        if (!svc || !(SERVICE_NAMES as readonly string[]).includes(svc)) continue;
        expect(e.value, `${d.metadata.name}: ${e.name}`).toBe(`http://benchops-${svc}.benchops.svc:${DEFAULT_PORTS[svc]}`);
        expect(services, `${d.metadata.name}: ${e.name} names a Service that exists`).toContain(`benchops-${svc}`);
      }
    }
    // the gateway forwards /api/<service> to the service's URL: one for every service this build has
    const web = deployments.find((d) => d.metadata.name === 'benchops-web');
    const webEnv = web.spec.template.spec.containers[0].env.map((e: any) => e.name);
    for (const svc of availableServices()) expect(webEnv, `benchops-web forwards /api/${svc}`).toContain(`BENCHOPS_${svc.toUpperCase()}_URL`);
  });

  it('RBAC is namespaced for writes; cluster-wide access is read-only', () => {
    const clusterRoles = all.filter((x) => x.d.kind === 'ClusterRole').map((x) => x.d);
    for (const r of clusterRoles) for (const rule of r.rules) expect(rule.verbs.every((v: string) => ['get', 'list', 'watch'].includes(v))).toBe(true);
    const role = all.find((x) => x.d.kind === 'Role')!.d;
    expect(role.metadata.namespace).toBe('benchmark');
    expect(JSON.stringify(role.rules)).not.toContain('"*"');
  });
});

describe('kustomize', () => {
  const base = docs('deploy/base/kustomization.yaml')[0];
  it('the base sets no namespace transformer: its objects live in two namespaces (services and jobs) and name their own', () => {
    // a `namespace:` here would rename both Namespace objects (kustomize refuses: ID conflict) and move the jobs' Role
    expect(base.namespace).toBeUndefined();
    for (const f of base.resources as string[]) {
      for (const d of docs(path.join('deploy/base', f))) {
        if (!CLUSTER_SCOPED.has(d.kind)) expect(d.metadata.namespace, `${f}: ${d.kind} ${d.metadata.name}`).toMatch(/^(benchops|benchmark)$/);
      }
    }
  });

  it.skipIf(!hasKubectl).each(['deploy/overlays/prod', 'deploy/overlays/dev'])('%s renders, validates, and keeps the jobs Role in the jobs namespace', async (dir) => {
    const rendered = parseDocs(kustomize(dir)!);
    expect(rendered.length).toBeGreaterThan(10);
    for (const d of rendered) {
      const Model = await KINDS[`${d.apiVersion}/${d.kind}`]!();
      expect(() => new Model(d).validate(), `${d.kind} ${d.metadata?.name}`).not.toThrow();
    }
    const find = (kind: string) => rendered.filter((d) => d.kind === kind);
    expect(find('Namespace').map((n) => n.metadata.name).sort()).toEqual(['benchmark', 'benchops']);
    expect(find('Role').map((r) => r.metadata.namespace)).toEqual(['benchmark']);
    expect(find('RoleBinding')[0].subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: 'benchops', namespace: 'benchops' })]);
    for (const d of find('Deployment')) {
      expect(d.metadata.namespace).toBe('benchops');
      expect(d.spec.template.spec.containers[0].image).toMatch(/^ghcr\.io\/benchops\/benchops:/);
    }
  });
});
