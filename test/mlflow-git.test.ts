/**
 * Writing to Git: the GitHub contents API (against the GitHub test doubles) creates and updates with the file's sha,
 * re-reads a stale sha, leaves an unchanged file alone and opens per-version branches; the git CLI writer pushes to a
 * real bare repository, survives a non-fast-forward rejection without losing the other writer's commit, and the Argo CD
 * manifests it writes pass a schema of the fields Argo CD requires.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appProject, application } from '../src/services/mlflow/argocd.ts';
import { GitCliWriter, GithubContentsWriter, githubRepoOf } from '../src/services/mlflow/git-writer.ts';
import { isDnsLabel } from '../src/services/mlflow/names.ts';
import { git, makeRepo, type TestRepo } from './helpers/git.ts';
import { GithubWriteDouble } from './helpers/mlflow-double.ts';
import { commitsOn, fileAt } from './helpers/mlflow-setup.ts';

describe('GitHub contents API writer', () => {
  let gh: GithubWriteDouble;
  let writer: GithubContentsWriter;

  beforeAll(async () => {
    gh = new GithubWriteDouble('team', 'values', { 'README.md': 'hi\n' });
    await gh.start();
    gh.gh.requiredToken = 'ghp_secret_token_value';
    expect(githubRepoOf('https://github.com/team/values.git')).toEqual({ owner: 'team', repo: 'values' });
    writer = new GithubContentsWriter({ owner: 'team', repo: 'values', apiBase: gh.url, token: 'ghp_secret_token_value' });
  });
  afterAll(async () => gh?.stop());

  it('creates a file without a sha and updates it with the sha it read', async () => {
    const a = await writer.write([{ path: 'vllm/m.yaml', content: 'v: 1\n' }], { message: 'create', branch: 'main', base: 'main' });
    expect(a).toMatchObject({ written: ['vllm/m.yaml'], created: ['vllm/m.yaml'], unchanged: [] });
    const b = await writer.write([{ path: 'vllm/m.yaml', content: 'v: 2\n' }], { message: 'update', branch: 'main', base: 'main' });
    expect(b).toMatchObject({ written: ['vllm/m.yaml'], created: [], unchanged: [] });
    expect(gh.files().get('vllm/m.yaml')).toBe('v: 2\n');
    expect(gh.puts.map((p) => [p.status, p.sha === undefined])).toEqual([
      [201, true],
      [200, false],
    ]);
    expect(b.commit).toBe(gh.commits.at(-1)!.sha);
  });

  it('does not rewrite a file that already has the content', async () => {
    const before = gh.puts.length;
    const r = await writer.write([{ path: 'vllm/m.yaml', content: 'v: 2\n' }], { message: 'again', branch: 'main', base: 'main' });
    expect(r).toMatchObject({ written: [], unchanged: ['vllm/m.yaml'], commit: null });
    expect(gh.puts.length).toBe(before);
  });

  it('reads the file again when its sha went stale between read and write', async () => {
    // another writer changes the file after our read: the first PUT answers 409, the retry carries the new sha
    const orig = (writer as any).current.bind(writer);
    let first = true;
    (writer as any).current = async (p: string, b: string) => {
      const cur = await orig(p, b);
      if (first) {
        first = false;
        gh.gh.setFiles({ 'vllm/m.yaml': 'v: someone else\n' });
      }
      return cur;
    };
    const r = await writer.write([{ path: 'vllm/m.yaml', content: 'v: 3\n' }], { message: 'race', branch: 'main', base: 'main' });
    (writer as any).current = orig;
    expect(r.retries).toBe(1);
    expect(gh.puts.slice(-2).map((p) => p.status)).toEqual([409, 200]);
    expect(gh.files().get('vllm/m.yaml')).toBe('v: 3\n');
  });

  it('writes onto a new branch per version, leaving main as it was', async () => {
    const r = await writer.write([{ path: 'vllm/m.yaml', content: 'v: 4\n' }], { message: 'v4', branch: 'mlflow/m-v4', base: 'main' });
    expect(r.written).toEqual(['vllm/m.yaml']);
    expect(gh.files('mlflow/m-v4').get('vllm/m.yaml')).toBe('v: 4\n');
    expect(gh.files('mlflow/m-v4').get('README.md')).toBe('hi\n');
    expect(gh.files().get('vllm/m.yaml')).toBe('v: 3\n');
    // the reviewable change: a pull request from the version's branch to main, opened once
    expect(r.pull_request).toEqual({ number: 1, url: 'https://github.com/team/values/pull/1' });
    expect(gh.pulls).toEqual([expect.objectContaining({ head: 'mlflow/m-v4', base: 'main', title: 'v4' })]);
    const again = await writer.write([{ path: 'vllm/m.yaml', content: 'v: 4b\n' }], { message: 'v4b', branch: 'mlflow/m-v4', base: 'main' });
    expect(again.pull_request).toEqual({ number: 1, url: 'https://github.com/team/values/pull/1' });
    expect(gh.pulls).toHaveLength(1);
  });

  it('says why a write failed without the token', async () => {
    const bad = new GithubContentsWriter({ owner: 'team', repo: 'values', apiBase: gh.url, token: 'wrong-token-123' });
    const e = await bad.write([{ path: 'x.yaml', content: 'a' }], { message: 'm', branch: 'main', base: 'main' }).catch((x) => x);
    expect(String(e.message)).toMatch(/401/);
    expect(String(e.message)).not.toContain('wrong-token-123');
    await expect(writer.write([{ path: '../escape.yaml', content: 'a' }], { message: 'm', branch: 'main', base: 'main' })).rejects.toThrow(/unsafe path/);
  });
});

describe('git CLI writer', () => {
  let repo: TestRepo;
  let work: string;

  beforeAll(() => {
    repo = makeRepo({ 'README.md': 'values\n' });
    work = mkdtempSync(path.join(os.tmpdir(), 'benchops-mlflow-git-'));
  });
  afterAll(() => {
    repo?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('commits and pushes, and leaves an unchanged file alone', async () => {
    const w = new GitCliWriter({ url: repo.url, workRoot: work });
    const a = await w.write([{ path: 'vllm/a.yaml', content: 'a: 1\n' }], { message: 'add a', branch: 'main', base: 'main' });
    expect(a.created).toEqual(['vllm/a.yaml']);
    expect(a.commit).toBe(git(repo.bareDir, 'rev-parse', 'refs/heads/main'));
    const b = await w.write([{ path: 'vllm/a.yaml', content: 'a: 1\n' }], { message: 'again', branch: 'main', base: 'main' });
    expect(b).toMatchObject({ commit: null, written: [], unchanged: ['vllm/a.yaml'] });
    expect(commitsOn(repo.bareDir)).toEqual(['add a', 'initial']);
  });

  it('a push rejected as non-fast-forward is re-applied on the new tip: both updates survive', async () => {
    const w = new GitCliWriter({
      url: repo.url,
      workRoot: work,
      // between our commit and our push, someone else pushes (the working repo of makeRepo is behind: pull first)
      beforePush: async (attempt) => {
        if (attempt !== 1) return;
        git(repo.dir, 'pull', '-q', '--rebase', 'origin', 'main');
        repo.commit({ 'other/file.txt': 'theirs\n' }, 'their change');
      },
    });
    const r = await w.write([{ path: 'vllm/b.yaml', content: 'b: 1\n' }], { message: 'add b', branch: 'main', base: 'main' });
    expect(r.retries).toBe(1);
    expect(commitsOn(repo.bareDir).slice(0, 2)).toEqual(['add b', 'their change']);
    expect(fileAt(repo.bareDir, 'other/file.txt')).toBe('theirs');
    expect(fileAt(repo.bareDir, 'vllm/b.yaml')).toBe('b: 1');
    expect(fileAt(repo.bareDir, 'vllm/a.yaml')).toBe('a: 1');
  });

  it('opens a branch per version from the base', async () => {
    const w = new GitCliWriter({ url: repo.url, workRoot: work });
    await w.write([{ path: 'vllm/a.yaml', content: 'a: 2\n' }], { message: 'a v2', branch: 'mlflow/a-v2', base: 'main' });
    expect(fileAt(repo.bareDir, 'vllm/a.yaml', 'mlflow/a-v2')).toBe('a: 2');
    expect(fileAt(repo.bareDir, 'vllm/a.yaml')).toBe('a: 1');
    expect(commitsOn(repo.bareDir, 'mlflow/a-v2')[1]).toBe(commitsOn(repo.bareDir)[0]);
  });

  it('fails with the reason and no credentials when the remote is unreachable', async () => {
    const w = new GitCliWriter({ url: 'https://user:s3cr3t-pass@127.0.0.1:9/nothing.git', workRoot: work, token: 'tok-123456' });
    const e = await w.write([{ path: 'x.yaml', content: 'x' }], { message: 'm', branch: 'main', base: 'main' }).catch((x) => x);
    expect(String(e.message)).toMatch(/git fetch failed/);
    expect(String(e.message)).not.toMatch(/s3cr3t-pass|tok-123456/);
  });
});

describe('Argo CD manifests', () => {
  // the fields Argo CD's CRDs require for what we generate (names are DNS labels; automated sync with prune)
  const name = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };
  const meta = { type: 'object', required: ['name', 'namespace'], properties: { name, namespace: name } };
  const appSchema = {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { const: 'argoproj.io/v1alpha1' },
      kind: { const: 'Application' },
      metadata: meta,
      spec: {
        type: 'object',
        required: ['project', 'source', 'destination'],
        properties: {
          project: name,
          source: {
            type: 'object',
            required: ['repoURL', 'targetRevision', 'path', 'helm'],
            properties: { helm: { type: 'object', required: ['valueFiles'], properties: { valueFiles: { type: 'array', minItems: 1, items: { type: 'string' } } } } },
          },
          destination: { type: 'object', required: ['server', 'namespace'] },
          syncPolicy: { type: 'object', required: ['automated'], properties: { automated: { type: 'object', required: ['prune', 'selfHeal'] } } },
        },
      },
    },
  };
  const projectSchema = {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      kind: { const: 'AppProject' },
      metadata: meta,
      spec: { type: 'object', required: ['sourceRepos', 'destinations', 'clusterResourceWhitelist'], properties: { clusterResourceWhitelist: { maxItems: 0 } } },
    },
  };

  it('builds valid manifests for awkward MLflow names, with the values file relative to the chart', () => {
    const ajv = new Ajv({ allErrors: true });
    const s = { repoUrl: 'https://git.example/values.git', targetRevision: 'main', project: 'benchops-models', argoNamespace: 'argocd', engineNamespace: 'models', chartPath: 'charts/{engine}', dir: 'argocd' };
    for (const model of ['org/Model Name.v2', 'Qwen3-8B', 'a'.repeat(120), "it's {weird}: yes\nkind: Secret"]) {
      const app = application(s, 'vllm', model, '3', 'vllm/x.yaml');
      const parsed = parse(app.content);
      expect(ajv.validate(appSchema, parsed), JSON.stringify(ajv.errors)).toBe(true);
      expect(isDnsLabel(parsed.metadata.name)).toBe(true);
      expect(parsed.spec.source.path).toBe('charts/vllm');
      expect(parsed.spec.source.helm.valueFiles).toEqual(['../../vllm/x.yaml']);
      // a name with YAML syntax stays a string inside one annotation
      expect(parsed.metadata.annotations['benchops.io/mlflow-model']).toBe(model);
      expect(Object.keys(parsed)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    }
    const proj = parse(appProject(s).content);
    expect(ajv.validate(projectSchema, proj), JSON.stringify(ajv.errors)).toBe(true);
    expect(proj.spec.sourceRepos).toEqual([s.repoUrl]);
  });
});
