/**
 * Vitest global setup: starts a real PostgreSQL server (Debian's `postgres`, as the `postgres` user when running as
 * root) in a temporary folder on a free loopback port, for the suites that run against both PGlite and PostgreSQL.
 * TEST_DATABASE_URL (an admin URL) skips the start and uses that server instead.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

function findBin(name: string): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    for (const v of readdirSync(base).sort().reverse()) {
      const p = path.join(base, v, 'bin', name);
      if (existsSync(p)) return p;
    }
  }
  throw new Error(`PostgreSQL's ${name} not found: install Debian's postgresql (bash .ci/run does) or set TEST_DATABASE_URL`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as any).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

let child: ChildProcess | undefined;
let dir: string | undefined;

export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('pgAdminUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  const asRoot = process.getuid?.() === 0;
  dir = mkdtempSync(path.join(os.tmpdir(), 'benchops-pg-'));
  const run = (bin: string, args: string[]) =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] as const : [bin, args] as const;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const [ib, ia] = run(findBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  execFileSync(ib, ia as string[], { stdio: 'ignore' });
  const port = await freePort();
  const [pb, pa] = run(findBin('postgres'), [
    '-D', data, '-p', String(port), '-k', dir, '-h', '127.0.0.1',
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300',
  ]);
  child = spawn(pb, pa as string[], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.unref();
  (child.stderr as any)?.unref?.();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const { default: pg } = await import('pg');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.end();
      break;
    } catch {
      await c.end().catch(() => {});
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`PostgreSQL did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  project.provide('pgAdminUrl', url);
  return teardown;
}

async function teardown() {
  // Signal the postmaster itself (runuser does not forward signals): SIGINT = fast shutdown.
  const pidFile = dir ? path.join(dir, 'data', 'postmaster.pid') : '';
  if (pidFile && existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 'SIGINT');
      for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    } catch {
      /* already gone */
    }
  }
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
}
