/**
 * `npm ci` on Node 20 prints no EBADENGINE warning: every installed package declares an engine range Node 20.19 (the
 * version package.json requires) satisfies. Three transitive packages declare Node ≥ 22 in their newest majors, so
 * package.json overrides them with the last major that declares Node 18+ (content-disposition 2 under @fastify/static,
 * content-type 2 under Octokit, cookie 1 under light-my-request); the paths BenchOps uses through them are exercised
 * here with the overridden versions.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import fastifyStatic from '@fastify/static';
import { Octokit } from '@octokit/rest';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
/** Every version of `name` the lockfile installs (wherever it is nested). */
const lockedVersions = (name: string) =>
  [...new Set(Object.entries<any>(lock.packages).filter(([where]) => where.endsWith(`node_modules/${name}`)).map(([, p]) => p.version as string))];

describe('dependencies on Node 20', () => {
  it('every locked package’s engines.node admits the Node version package.json requires', () => {
    const minimum = semver.minVersion(pkg.engines.node)!.version;
    expect(semver.major(minimum)).toBe(20);
    const refused: string[] = [];
    let checked = 0;
    for (const [where, p] of Object.entries<any>(lock.packages)) {
      const range = typeof p.engines === 'object' && !Array.isArray(p.engines) ? p.engines?.node : undefined;
      if (!range || p.optional) continue;
      checked++;
      if (!semver.satisfies(minimum, range, { includePrerelease: true })) refused.push(`${where}@${p.version}: node ${range}`);
    }
    expect(checked).toBeGreaterThan(100);
    expect(refused).toEqual([]);
  });

  it('pins the three overridden packages to the versions the lockfile installs', () => {
    expect(pkg.overrides).toMatchObject({ 'content-disposition': '2.0.1', 'content-type': '2.1.0', cookie: '1.1.1' });
    expect(lockedVersions('content-disposition')).toEqual(['2.0.1']);
    expect(lockedVersions('content-type')).toEqual(['2.1.0']);
    expect(lockedVersions('cookie')).toEqual(['1.1.1']);
  });

  it('@fastify/static serves files and downloads with content-disposition 2', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'benchops-static-'));
    writeFileSync(path.join(dir, 'report ü.csv'), 'a,b\n1,2\n');
    const app = Fastify();
    await app.register(fastifyStatic, { root: dir, serve: false });
    app.get('/file', (_req, reply) => reply.sendFile('report ü.csv'));
    app.get('/download', (_req, reply) => reply.download('report ü.csv'));
    const file = await app.inject('/file');
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe('a,b\n1,2\n');
    const dl = await app.inject('/download');
    expect(dl.headers['content-disposition']).toBe(`attachment; filename="report ?.csv"; filename*=UTF-8''report%20%C3%BC.csv`);
    await app.close();
  });

  it('Fastify’s inject (light-my-request) sends and reads cookies with cookie 1', async () => {
    const app = Fastify();
    app.get('/', (req, reply) => reply.header('set-cookie', 'session=abc; Path=/; HttpOnly').send({ got: req.headers.cookie ?? null }));
    const res = await app.inject({ url: '/', cookies: { theme: 'dark', lang: 'en' } });
    expect(res.json()).toEqual({ got: 'theme=dark; lang=en' });
    expect(res.cookies).toEqual([expect.objectContaining({ name: 'session', value: 'abc', path: '/', httpOnly: true })]);
    await app.close();
  });

  it('Octokit parses JSON responses with content-type 2', async () => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ full_name: 'org/repo', default_branch: 'main', path: req.url }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const octokit = new Octokit({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      const { data } = await octokit.repos.get({ owner: 'org', repo: 'repo' });
      expect(data).toMatchObject({ full_name: 'org/repo', default_branch: 'main', path: '/repos/org/repo' });
    } finally {
      server.close();
    }
  });
});
