/**
 * Starts BenchOps exactly as the README says (`npm start`, i.e. `benchops serve`) as a child process on a fresh data
 * folder, waits for /health, finds the demo project synced, the web UI served and the demo model running, and checks
 * a clean shutdown on Ctrl-C; and the log format: JSON lines on a pipe, human-readable lines when asked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORTS } from '../src/core/config.ts';

const PORT_VARS = Object.keys(DEFAULT_PORTS).map((s) => s.toUpperCase());

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

    // the web UI at the gateway's root (built by npm start when missing or stale), its script loads, deep links work
    const html = await (await fetch(`${urls.gateway}/`)).text();
    expect(html).toContain('<div id="root"></div>');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    const js = await fetch(`${urls.gateway}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await (await fetch(`${urls.gateway}/projects/${demo.project_id}`)).text()).toBe(html);
    expect(out).toContain(`web UI    ${urls.gateway}/`);

    // first start: the demo model on an emulated GPU, served through the gateway
    const models = await waitFor(
      async () => {
        const m = await (await fetch(`${urls.gateway}/v1/models`)).json();
        return m.data?.length ? m.data : undefined;
      },
      90_000,
      'the demo model in /v1/models',
    );
    expect(models.map((m: any) => m.id)).toEqual(['Qwen/Qwen3-0.6B']);
    const deployments = Object.values(await (await fetch(`${urls.vllm}/deployments`)).json()) as any[];
    expect(deployments).toHaveLength(1);
    expect(deployments[0].status).toBe('running');
    expect(deployments[0].deployment_name).toContain('benchops-demo');
    expect(deployments[0].config.gpu_resource_type).toBe('nvidia.com/gpu');
    expect(deployments[0].placement.resources).toEqual({ 'nvidia.com/gpu': 1 });
    // the local node has the emulated GPU the demo asks for (BENCHOPS_LOCAL_DEVICES unset)
    const nodes = await (await fetch(`${urls.vllm}/clusters/local/nodes`)).json();
    expect(JSON.stringify(nodes)).toContain('L4');

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

describe('benchops serve with BENCHOPS_DEMO=0', () => {
  it('starts with neither the demo project nor the demo model', async () => {
    const c = spawn(process.execPath, [path.resolve('bin/benchops.js'), 'serve'], {
      env: {
        ...process.env,
        BENCHOPS_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'benchops-nodemo-')),
        BENCHOPS_DEMO: '0',
        BENCHOPS_LOG_LEVEL: 'warn',
        ...Object.fromEntries(PORT_VARS.map((s) => [`BENCHOPS_${s}_PORT`, '0'])),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    c.stdout!.on('data', (d) => (text += d));
    c.stderr!.on('data', (d) => (text += d));
    try {
      const urls = JSON.parse(
        await waitFor(async () => {
          if (c.exitCode !== null) throw new Error(`exited ${c.exitCode}: ${text}`);
          return /BENCHOPS_READY (\{.*\})/.exec(text)?.[1];
        }, 90_000, 'ready'),
      );
      // READY comes after the first-start work (the demo project's sync, the demo model's deployment request)
      expect(await (await fetch(`${urls.gateway}/api/manager/projects`)).json()).toEqual([]);
      expect(await (await fetch(`${urls.gateway}/api/vllm/deployments`)).json()).toEqual({});
      expect(await (await fetch(`${urls.gateway}/v1/models`)).json()).toEqual({ object: 'list', data: [] });
      // and no emulated GPU was made up for it: the local node keeps its default devices
      expect(JSON.stringify(await (await fetch(`${urls.vllm}/clusters/local/nodes`)).json())).not.toContain('L4');
    } finally {
      c.kill('SIGTERM');
      await new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)));
    }
  }, 120_000);
});

describe('benchops serve log format', () => {
  const start = (env: Record<string, string>) =>
    spawn(process.execPath, [path.resolve('bin/benchops.js'), 'serve', 'results'], {
      env: {
        ...process.env,
        BENCHOPS_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'benchops-logfmt-')),
        BENCHOPS_LOG_LEVEL: 'info',
        BENCHOPS_RESULTS_PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const runUntilReady = async (env: Record<string, string>) => {
    const c = start(env);
    let text = '';
    c.stdout!.on('data', (d) => (text += d));
    c.stderr!.on('data', (d) => (text += d));
    try {
      const url = await waitFor(async () => {
        if (c.exitCode !== null) throw new Error(`exited ${c.exitCode}: ${text}`);
        return /BENCHOPS_READY (\{.*\})/.exec(text)?.[1];
      }, 60_000, 'ready');
      await fetch(`${JSON.parse(url).results}/standardized_output`); // one request line in the log
      await waitFor(async () => (/request completed/.test(text) ? true : undefined), 10_000, 'a request log line');
      return text;
    } finally {
      c.kill('SIGTERM');
      await new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)));
    }
  };

  it('writes JSON lines when stdout is not a terminal, and readable lines with BENCHOPS_LOG_FORMAT=pretty', async () => {
    const json = await runUntilReady({});
    const logLines = json.split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const l of logLines) expect(JSON.parse(l)).toHaveProperty('level');
    expect(logLines.some((l) => JSON.parse(l).msg === 'request completed')).toBe(true);

    const pretty = await runUntilReady({ BENCHOPS_LOG_FORMAT: 'pretty' });
    const line = pretty.split('\n').find((l) => l.includes('request completed'))!;
    expect(line).toBeDefined();
    expect(line.startsWith('{')).toBe(false);
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO/);
  }, 120_000);

  it('refuses an unknown BENCHOPS_LOG_FORMAT naming the variable (exit 2)', async () => {
    const c = start({ BENCHOPS_LOG_FORMAT: 'xml' });
    let err = '';
    c.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((r) => c.once('exit', r));
    expect(code).toBe(2);
    expect(err).toContain('BENCHOPS_LOG_FORMAT must be one of auto, pretty, json');
  }, 60_000);
});
