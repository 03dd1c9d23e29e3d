/**
 * kill -9 of the whole platform (a real `benchops serve` child process), for real:
 * - within the grace period the restarted platform adopts the surviving runner and emulated vLLM server; the runner
 *   finishes, its exit status comes from its supervisor (not "presumed lost"), its result is stored and the queue
 *   item completes (PGlite and PostgreSQL);
 * - with nobody restarting it, every orphan (job processes, emulated server) ends after the grace period and frees its
 *   port; a restart then reports how each pod ended (orphaned, or lost without a record).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PORTS } from '../src/core/config.ts';
import { createPgDatabase } from './helpers/db.ts';
import { call, until } from './helpers/deployer-setup.ts';
import { makeRepo } from './helpers/git.ts';

const BIN = fileURLToPath(new URL('../bin/benchops.js', import.meta.url));

interface Child {
  proc: ChildProcess;
  urls: Record<string, string>;
  output: () => string;
}

const children: ChildProcess[] = [];
const leftovers: number[] = [];

/**
 * A free port below the kernel's ephemeral range (32768+): the restart binds the same ports again, and a port from the
 * ephemeral range can be taken in between as the source port of any outgoing connection (parallel test files make
 * thousands), which made the restart fail with EADDRINUSE on a busy machine.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

/** Fixed ports, so runners started by the first platform post their results to the restarted one. */
async function platformEnv(over: Record<string, string>): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    BENCHOPS_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'benchops-crash-')),
    BENCHOPS_DEMO: '0',
    BENCHOPS_LOG_LEVEL: 'warn',
    BENCHOPS_POLL_TICK_SECONDS: '0.2',
    BENCHOPS_EXECUTOR: 'local',
    ...over,
  };
  for (const s of Object.keys(DEFAULT_PORTS)) env[`BENCHOPS_${s.toUpperCase()}_PORT`] = String(await freePort());
  return env;
}

/** `benchops serve` as a child process; resolves once it prints BENCHOPS_READY. */
async function startPlatform(env: Record<string, string>): Promise<Child> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BENCHOPS_') && k !== 'DATABASE_URL'));
  const proc = spawn(process.execPath, [BIN, 'serve'], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out = (out + d).slice(-200_000)));
  proc.stderr!.on('data', (d) => (out = (out + d).slice(-200_000)));
  const urls = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform not ready in 90 s:\n${out.slice(-3000)}`)), 90_000);
    const check = () => {
      const m = /BENCHOPS_READY (\{.*\})/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]));
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => reject(new Error(`platform exited (${code}) before it was ready:\n${out.slice(-3000)}`)));
  });
  return { proc, urls, output: () => out };
}

function kill9(c: Child): Promise<void> {
  return new Promise((resolve) => {
    c.proc.once('exit', () => resolve());
    c.proc.kill('SIGKILL');
  });
}

async function stop(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.proc.once('exit', () => r()));
  c.proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e.code === 'EPERM';
  }
}

/** Live processes whose command line contains every one of `parts` (Linux /proc). */
function pidsOf(...parts: string[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (parts.every((p) => cmd.includes(p))) out.push(Number(d));
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

const json = (res: { status: number; body: any }, what: string) => {
  if (res.status !== 200 && res.status !== 201) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

/** The stored local Job object (the executor's own record of pods, pids and exit codes). */
function storedJob(dataDir: string, ns: string, name: string): any {
  return JSON.parse(readFileSync(path.join(dataDir, 'local-cluster', ns, 'Job', `${name}.json`), 'utf8'));
}

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

const PERF_JOB = `apiVersion: batch/v1
kind: Job
metadata:
  name: perf
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: runner
          image: ghcr.io/benchops/benchops:latest
          args: ["job", "run"]
          env:
            - name: VLLM_MODEL_ENDPOINT
              value: "http://vllm:8000/v1/completions"
`;
// 24 requests at 2 per second: the benchmark runs for ~12 s whatever the machine's speed (results posting retries
// for about a minute, so a runner that finishes while the platform is down still stores its result)
const PERF_CONFIG = JSON.stringify({
  name: 'crash-perf',
  mode: 'performance',
  defaults: { backend: 'openai', endpoint_path: '/v1/completions', dataset_type: 'random' },
  scenarios: [{ name: 'paced', max_concurrency: 2, random_input_len: 16, random_output_len: 8, num_prompts: 24, request_rate: 2 }],
});

describe.each(['pglite', 'postgres'] as const)('kill -9 mid-benchmark, restart within the grace period (%s)', (kind) => {
  it('adopts the runner and the emulated server; the job completes from its recorded exit status; the queue item completes', async () => {
    const repo = makeRepo({ 'job/perf/perf-job.yaml': PERF_JOB, 'config/perf/paced.json': PERF_CONFIG });
    const env = await platformEnv({ BENCHOPS_ORPHAN_GRACE_SECONDS: '60', ...(kind === 'postgres' ? { DATABASE_URL: await createPgDatabase() } : {}) });
    let p = await startPlatform(env);
    try {
      const project = json(await call(p.urls.manager, 'POST', '/projects', { name: 'crash', repository_url: repo.url, config_path: 'config', job_path: 'job' }), 'project');
      json(await call(p.urls.manager, 'POST', `/projects/${project.project_id}/sync`), 'sync');
      const files = json(await call(p.urls.manager, 'GET', `/projects/${project.project_id}/files?limit=100`), 'files');
      const id = (fp: string) => files.find((f: any) => f.file_path === fp).file_id;
      const served = `crash-${kind}`;
      const q = json(
        await call(p.urls.vllm, 'POST', '/queue/deployment', {
          vllm_config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: served, max_model_len: 2048, max_num_seqs: 8 },
          benchmark_configs: [{ project_id: project.project_id, job_file_id: id('job/perf/perf-job.yaml'), config_file_id: id('config/perf/paced.json'), name: 'paced' }],
          priority: 'high',
        }),
        'enqueue',
      );
      const qid = q.queue_request_id;
      // wait until the benchmark is well under way: the runner has been sending requests for a few seconds
      const job = await until(async () => {
        const item = json(await call(p.urls.vllm, 'GET', `/queue/${qid}`), 'item');
        const j = item.jobs?.[0];
        if (!j?.resource_name) return undefined;
        const logs = await call(p.urls.deployer, 'GET', `/jobs/${j.resource_name}/logs?tail_lines=50`);
        return logs.status === 200 && logs.body.logs.some((l: string) => /endpoint .* model/.test(l)) ? j : undefined;
      }, 90_000, 'the benchmark job to run');
      await new Promise((r) => setTimeout(r, 3000));
      const before = storedJob(env.BENCHOPS_DATA_DIR, job.namespace, job.resource_name);
      const [pod] = before._local.pods;
      const supervisor = pod.pids[0];
      const emulators = pidsOf('sim', 'serve', '--served-model-name', served);
      expect(emulators).toHaveLength(1);
      leftovers.push(supervisor, ...emulators);

      const runnerBeat = path.join(env.BENCHOPS_DATA_DIR, 'runs', readdirSync(path.join(env.BENCHOPS_DATA_DIR, 'runs')).find((d) => d.includes(job.resource_name))!, 'heartbeat');
      const itemNow = json(await call(p.urls.vllm, 'GET', `/queue/${qid}`), 'item');
      const emulatorBeat = path.join(env.BENCHOPS_DATA_DIR, 'vllm-local', 'heartbeats', `${itemNow.deployment_id}.heartbeat`);
      expect(existsSync(emulatorBeat)).toBe(true);

      await kill9(p);
      const killedAt = Date.now();
      // the orphans run on within the grace period (a restart can still adopt them)
      expect(alive(supervisor)).toBe(true);
      expect(alive(emulators[0])).toBe(true);

      p = await startPlatform(env);
      // the restarted platform took both over: it beats their heartbeats again
      await until(async () => statSync(runnerBeat).mtimeMs > killedAt && statSync(emulatorBeat).mtimeMs > killedAt, 20_000, 'the heartbeats to resume');
      const item = await until(async () => {
        const it = json(await call(p.urls.vllm, 'GET', `/queue/${qid}`), 'item');
        return ['completed', 'failed', 'cancelled'].includes(it.status) ? it : undefined;
      }, 120_000, 'the queue item to finish');
      const record = json(await call(p.urls.deployer, 'GET', `/deployments/${job.deployer_deployment_id}`), 'record');
      const after = storedJob(env.BENCHOPS_DATA_DIR, job.namespace, job.resource_name);
      const detail = JSON.stringify({ item, record: { status: record.status, message: record.message }, pods: after._local.pods }, null, 1);
      expect(record.status, detail).toBe('completed');
      // one attempt, adopted: its exit code is the one its supervisor recorded, not "unknown"
      expect(after._local.pods, detail).toHaveLength(1);
      expect(after._local.pods[0]).toMatchObject({ name: pod.name, phase: 'Succeeded', exitCodes: [0], pids: [supervisor] });
      const runDir = path.join(env.BENCHOPS_DATA_DIR, 'runs', readdirSync(path.join(env.BENCHOPS_DATA_DIR, 'runs')).find((d) => d.includes(job.resource_name))!);
      expect(JSON.parse(readFileSync(path.join(runDir, 'logs', pod.name, 'runner.exit'), 'utf8'))).toMatchObject({ code: 0, orphaned: false });
      expect(item.status, detail).toBe('completed');
      expect(item.jobs[0].status).toBe('completed');
      expect(item.result_pks.length).toBeGreaterThan(0);
      const std = json(await call(p.urls.results, 'GET', `/standardized_output/${encodeURIComponent(item.result_pks[0])}`), 'result').data;
      expect(std.performance.summary).toMatchObject({ completed: 24, failed: 0 });
      // the adopted server served the whole benchmark; the item's teardown stopped it
      await until(async () => !alive(emulators[0]), 15_000, 'the emulated server to stop');
    } finally {
      await stop(p);
      repo.cleanup();
    }
  }, 300_000);
});

describe('kill -9 with nobody restarting: orphans end after the grace period (pglite)', () => {
  it('the job processes and the emulated server end and free their port; a later restart says how each pod ended', async () => {
    const env = await platformEnv({ BENCHOPS_ORPHAN_GRACE_SECONDS: '3' });
    let p = await startPlatform(env);
    try {
      const served = `orphan-${process.pid}`;
      const dep = json(
        await call(p.urls.vllm, 'POST', '/deploy', { config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: served, max_model_len: 1024 } }),
        'vllm deploy',
      );
      const endpoint = await until(async () => {
        const d = json(await call(p.urls.vllm, 'GET', `/deployments/${dep.deployment_id}`), 'deployment');
        return d.status === 'running' ? (d.endpoint as string) : undefined;
      }, 60_000, 'the emulated server');
      const job = (name: string, marker: string) =>
        `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\n  annotations:\n    benchops.io/local-command: "echo started; sleep 300; echo ${marker}"\n` +
        'spec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox\n';
      json(await call(p.urls.deployer, 'POST', '/deploy', { yaml_content: job('orphan', `m1-${process.pid}`) }), 'deploy orphan');
      json(await call(p.urls.deployer, 'POST', '/deploy', { yaml_content: job('lost', `m2-${process.pid}`) }), 'deploy lost');
      await until(async () => {
        const a = await call(p.urls.deployer, 'GET', '/jobs/orphan/logs');
        const b = await call(p.urls.deployer, 'GET', '/jobs/lost/logs');
        return a.body.logs?.some((l: string) => l.endsWith('started')) && b.body.logs?.some((l: string) => l.endsWith('started'));
      }, 30_000, 'both jobs to run');
      const ns = 'benchmark';
      const [orphanSup] = storedJob(env.BENCHOPS_DATA_DIR, ns, 'orphan')._local.pods[0].pids;
      const [lostSup] = storedJob(env.BENCHOPS_DATA_DIR, ns, 'lost')._local.pods[0].pids;
      const orphanSleep = pidsOf('sleep 300; echo m1-');
      const emulator = pidsOf('sim', 'serve', '--served-model-name', served);
      expect(orphanSleep.length).toBeGreaterThan(0);
      expect(emulator).toHaveLength(1);
      leftovers.push(orphanSup, lostSup, ...emulator);

      await kill9(p);
      // a job whose supervisor dies with no record (kill -9 of its group as well): its outcome is truly unknown
      process.kill(-lostSup, 'SIGKILL');
      const t0 = Date.now();
      await until(async () => [orphanSup, ...orphanSleep, ...emulator].every((pid) => !alive(pid)), 30_000, 'the orphans to end');
      const waited = Date.now() - t0;
      console.log(`orphans ended ${(waited / 1000).toFixed(1)} s after kill -9 (grace 3 s)`);
      // the emulated server's port is free again
      await expect(fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
      const runs = path.join(env.BENCHOPS_DATA_DIR, 'runs');
      const orphanDir = readdirSync(runs).find((d) => d.includes('-orphan-'))!;
      const orphanPod = storedJob(env.BENCHOPS_DATA_DIR, ns, 'orphan')._local.pods[0].name;
      expect(JSON.parse(readFileSync(path.join(runs, orphanDir, 'logs', orphanPod, 'main.exit'), 'utf8'))).toMatchObject({ orphaned: true, code: 143 });
      const lostDir = readdirSync(runs).find((d) => d.includes('-lost-'))!;
      const lostPod = storedJob(env.BENCHOPS_DATA_DIR, ns, 'lost')._local.pods[0].name;
      expect(existsSync(path.join(runs, lostDir, 'logs', lostPod, 'main.exit'))).toBe(false);

      p = await startPlatform(env);
      const status = (name: string) =>
        until(async () => {
          const s = await call(p.urls.deployer, 'GET', `/jobs/${name}/status`);
          return s.body.status === 'failed' ? s.body : undefined;
        }, 30_000, `${name} to be failed`);
      expect((await status('orphan')).message).toMatch(/^BackoffLimitExceeded/);
      const orphanLogs = (await call(p.urls.deployer, 'GET', '/jobs/orphan/logs')).body.logs as string[];
      expect(orphanLogs).toContainEqual(expect.stringMatching(/\] Orphaned \(exit code 143\)/));
      await status('lost');
      const lostLogs = (await call(p.urls.deployer, 'GET', '/jobs/lost/logs')).body.logs as string[];
      expect(lostLogs).toContainEqual(expect.stringMatching(/\] ProcessLost: the job process ended while BenchOps was not running and left no exit status$/));
    } finally {
      await stop(p);
    }
  }, 240_000);
});
