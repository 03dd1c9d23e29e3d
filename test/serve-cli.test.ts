/**
 * Starts BenchOps exactly as the README says (`npm start`, i.e. `benchops serve`) as a child process on a fresh data
 * folder, waits for /health, finds the demo project synced, and checks a clean shutdown on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const PORT_VARS = ['RESULTS', 'MANAGER', 'DEPLOYER', 'MLFLOW', 'EVAL', 'VLLM', 'GATEWAY'];

async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

describe('npm start (benchops serve, embedded mode)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-serve-'));
  let child: ChildProcess | undefined;
  let out = '';
  afterAll(() => {
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  });

  it('starts every service, syncs the demo project, and shuts down cleanly', async () => {
    child = spawn('npm', ['start'], {
      env: {
        ...process.env,
        BENCHOPS_DATA_DIR: dataDir,
        BENCHOPS_LOG_LEVEL: 'warn',
        ...Object.fromEntries(PORT_VARS.map((s) => [`BENCHOPS_${s}_PORT`, '0'])),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, like a terminal job: Ctrl-C signals the whole group
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const urls = await waitFor(
      async () => {
        const m = /BENCHOPS_READY (\{.*\})/.exec(out);
        if (child!.exitCode !== null) throw new Error(`exited ${child!.exitCode}: ${out}`);
        return m ? (JSON.parse(m[1]) as Record<string, string>) : undefined;
      },
      90_000,
      'BENCHOPS_READY',
    );
    for (const svc of ['gateway', 'manager', 'results', 'deployer']) expect(urls[svc], `${svc} url`).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await (await fetch(`${urls.gateway}/health`)).json();
    expect(health.status).toBe('healthy');
    expect(health.checks.database).toBe('ok');

    const demo = await waitFor(
      async () => {
        const projects = await (await fetch(`${urls.manager}/projects`)).json();
        const p = projects.find((x: any) => x.name === 'demo');
        return p?.last_sync ? p : undefined;
      },
      60_000,
      'demo project synced',
    );
    const files = await (await fetch(`${urls.gateway}/api/manager/projects/${demo.project_id}/files`)).json();
    const types = new Set(files.map((f: any) => `${f.file_type}:${f.benchmark_type}`));
    expect(types).toContain('job:vllm-benchmark');
    expect(types).toContain('config:vllm-benchmark');
    expect(files.every((f: any) => f.source === 'original')).toBe(true);

    const lock = path.join(dataDir, 'pglite', 'benchops.lock');
    expect(existsSync(lock)).toBe(true);
    const exited = new Promise((r) => child!.once('exit', (c, sig) => r(c ?? sig)));
    process.kill(-child.pid!, 'SIGINT'); // what Ctrl-C in the terminal does
    // npm re-raises the signal it got; benchops itself closes the database (lock released) and exits.
    expect([0, 'SIGINT']).toContain(await exited);
    await waitFor(async () => (existsSync(lock) ? undefined : true), 15_000, 'lock released');
    const groupGone = () => {
      try {
        process.kill(-child!.pid!, 0);
        return undefined;
      } catch {
        return true;
      }
    };
    await waitFor(async () => groupGone(), 15_000, 'every process of the group exited');
    expect(out).not.toMatch(/stop failed|Unhandled|Error:/);
  }, 180_000);
});
