/**
 * The local executor (SPEC 3.2): Kubernetes objects kept in the data folder, and Jobs run as local processes when
 * their image is the BenchOps runner image (args → `node bin/benchops.js <args>`) or they carry the annotation
 * `benchops.io/local-command` (a shell command). ConfigMap/Secret mounts are materialised inside a per-run work folder
 * (`<dataDir>/runs/<run>/mounts/<mountPath>`), `activeDeadlineSeconds` and `backoffLimit` are honoured, each attempt
 * is a "pod" with its log file, and the terminal is a shell in the run's work folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { badRequest, conflict, notFound } from '../../../core/errors.ts';
import { PACKAGE_ROOT } from '../../../core/db/migrate.ts';
import { ANNOTATION_LOCAL_COMMAND, LABEL_RUN_ID } from '../manifest.ts';
import { LocalStore } from './local-store.ts';
import {
  computeJobStatus,
  deletedJobStatus,
  type ExecHandlers,
  type ExecSession,
  type Executor,
  type JobStatus,
  type K8sObject,
  type LogOptions,
  type PodInfo,
} from './types.ts';

/** Images the local executor runs as `benchops` CLI processes: ghcr.io/benchops/benchops (any tag), benchops, benchops-runner. */
export const RUNNER_IMAGE = /^(?:(?:ghcr\.io\/)?benchops\/benchops|benchops|benchops-runner|(?:[\w.-]+(?::\d+)?\/)?benchops\/benchops-runner)(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export interface LocalPod {
  name: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  containers: string[];
  pids: number[];
  exitCodes: (number | null)[];
  startedAt: string;
  finishedAt?: string;
  reason?: string;
}

interface LocalState {
  workDir: string;
  pods: LocalPod[];
}

interface Running {
  procs: ChildProcess[];
  timers: NodeJS.Timeout[];
  cancelled?: { reason: string; message: string };
}

const BASE_ENV_KEYS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'SHELL', 'BENCHOPS_USE_DIST', 'NODE_EXTRA_CA_CERTS'];
const SHELLS = ['/bin/bash', '/bin/sh', '/usr/bin/bash', '/bin/zsh', '/usr/bin/zsh', '/bin/ash', '/bin/dash'];

export interface LocalExecutorOptions {
  dataDir: string;
  log: Logger;
  /** Results service URL given to runner processes as BENCHOPS_RESULTS_URL (when known). */
  resultsUrl?: () => string | undefined;
  /** Bearer token runner processes post results with (BENCHOPS_TOKEN), when the platform requires one. */
  runnerToken?: () => string | undefined;
  /** How long a Job waits for its ConfigMaps/Secrets to appear (the kubelet waits too). */
  mountWaitMs?: number;
}

export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  readonly store: LocalStore;
  private readonly running = new Map<string, Running>();
  private readonly events = new EventEmitter();
  private closed = false;

  constructor(private readonly opts: LocalExecutorOptions) {
    this.store = new LocalStore(path.join(opts.dataDir, 'local-cluster'));
    this.events.setMaxListeners(0);
  }

  async create(obj: K8sObject): Promise<K8sObject> {
    const o = structuredClone(obj);
    delete o.status;
    if (!this.store.add(o)) {
      throw conflict(`${o.kind} ${o.metadata.name} already exists: ${o.kind.toLowerCase()}s "${o.metadata.name}" already exists in namespace ${o.metadata.namespace}`);
    }
    if (o.kind === 'Job') {
      o.status = { active: 0, succeeded: 0, failed: 0 };
      o._local = { workDir: this.workDirFor(o), pods: [] } satisfies LocalState;
      this.store.save(o);
      this.running.set(this.key(o), { procs: [], timers: [] });
      void this.runJob(o).catch((e) => this.opts.log.error({ err: e, job: o.metadata.name }, 'local job failed to run'));
    }
    return publicView(o);
  }

  async get(kind: string, name: string, namespace: string): Promise<K8sObject | null> {
    const o = this.store.get(kind, namespace, name);
    return o ? publicView(o) : null;
  }

  async remove(kind: string, name: string, namespace: string): Promise<boolean> {
    const o = this.store.get(kind, namespace, name);
    if (!o) return false;
    if (kind === 'Job') {
      this.cancel(o, 'Deleted', 'The job was deleted');
      const state = o._local as LocalState | undefined;
      this.store.delete(kind, namespace, name);
      this.emit(o, { ...computeJobStatus(o, o._local?.pods ?? [], namespace), status: 'deleted', message: 'The job was deleted' });
      if (state?.workDir) setTimeout(() => rmSync(state.workDir, { recursive: true, force: true }), 200).unref();
    } else {
      this.store.delete(kind, namespace, name);
    }
    for (const d of this.store.dependents(o.metadata.uid!)) await this.remove(d.kind, d.metadata.name, d.metadata.namespace!);
    return true;
  }

  async jobStatus(name: string, namespace: string): Promise<JobStatus> {
    const job = this.store.get('Job', namespace, name);
    if (!job) throw notFound(`Job ${name} not found in namespace ${namespace}`);
    return computeJobStatus(job, (job._local as LocalState).pods, namespace);
  }

  watchJob(name: string, namespace: string, onChange: (s: JobStatus) => void): () => void {
    const ev = `job:${namespace}/${name}`;
    const h = (s: JobStatus) => onChange(s);
    this.events.on(ev, h);
    void this.jobStatus(name, namespace).then(h, () => h(deletedJobStatus(name, namespace)));
    return () => this.events.off(ev, h);
  }

  async listPods(jobName: string, namespace: string): Promise<PodInfo[]> {
    const job = this.store.get('Job', namespace, jobName);
    if (!job) return [];
    return (job._local as LocalState).pods.map((p) => ({ name: p.name, phase: p.phase, containers: p.containers }));
  }

  async readLogs(namespace: string, pod: string, container: string, opts: LogOptions): Promise<string> {
    return (await readTail(this.logFile(namespace, pod, container), opts.tailLines)).text;
  }

  async followLogs(namespace: string, pod: string, container: string, opts: LogOptions, out: Writable, signal: AbortSignal): Promise<void> {
    const file = this.logFile(namespace, pod, container);
    const start = await readTail(file, opts.tailLines);
    let offset = start.size;
    if (start.text) out.write(start.text);
    while (!signal.aborted && !this.closed) {
      const finished = this.podFinished(namespace, pod);
      if (existsSync(file) && statSync(file).size > offset) {
        const fh = await open(file, 'r');
        try {
          const size = (await fh.stat()).size;
          const buf = Buffer.alloc(size - offset);
          await fh.read(buf, 0, buf.length, offset);
          offset = size;
          out.write(buf);
        } finally {
          await fh.close();
        }
      } else if (finished) return;
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  async exec(namespace: string, pod: string, container: string, shell: string, h: ExecHandlers): Promise<ExecSession> {
    const job = this.jobOfPod(namespace, pod);
    if (!job) throw notFound(`Pod ${pod} not found in namespace ${namespace}`);
    const state = job._local as LocalState;
    const c = (job.spec.template.spec.containers as any[]).find((x) => x.name === container);
    if (!c) throw notFound(`Container ${container} not found in pod ${pod}`);
    const bin = [shell, ...SHELLS].find((s) => SHELLS.includes(s) && existsSync(s));
    if (!bin) throw badRequest(`No usable shell (${shell}) on this machine`);
    mkdirSync(state.workDir, { recursive: true });
    const env = { ...this.containerEnv(job, c, pod, state), PS1: `${pod}$ `, TERM: 'dumb' };
    const p = spawn(bin, ['-i'], { cwd: state.workDir, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let done = false;
    const finish = (err?: string) => {
      if (!done) {
        done = true;
        h.exit(err);
      }
    };
    p.stdout.on('data', (d: Buffer) => h.stdout(d.toString('utf8')));
    p.stderr.on('data', (d: Buffer) => h.stderr(d.toString('utf8')));
    p.on('error', (e) => finish(e.message));
    p.on('close', () => finish());
    p.stdin.on('error', () => {});
    return {
      write: (d) => {
        if (!done) p.stdin.write(d);
      },
      resize: () => {},
      close: () => killGroup(p, 'SIGKILL'),
    };
  }

  async health(): Promise<string> {
    return 'ok';
  }

  /** After a restart: a job whose process is gone is marked failed with the reason; a live one is waited for. */
  async reconcile(): Promise<void> {
    for (const job of this.store.list('Job')) {
      if (this.running.has(this.key(job)) || isFinished(job)) continue;
      const state = job._local as LocalState;
      const pod = state.pods.at(-1);
      const alive = (pod?.pids ?? []).filter(pidAlive);
      const fail = (message: string) => {
        if (pod && (pod.phase === 'Running' || pod.phase === 'Pending')) {
          pod.phase = 'Failed';
          pod.finishedAt = new Date().toISOString();
          pod.reason = 'ProcessLost';
        }
        this.finish(job, 'Failed', 'ProcessLost', message);
      };
      if (!alive.length) {
        fail('BenchOps restarted while the job was running and its process is gone');
        continue;
      }
      const timer = setInterval(() => {
        if (alive.some(pidAlive)) return;
        clearInterval(timer);
        fail('The process ended while BenchOps was restarting; its exit status is unknown');
      }, 1000);
      this.running.set(this.key(job), { procs: [], timers: [timer] });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.running.values()) {
      for (const t of r.timers) clearTimeout(t);
      for (const p of r.procs) killGroup(p, 'SIGTERM');
    }
    this.running.clear();
    this.events.removeAllListeners();
  }

  // ---- running a job ----

  private async runJob(job: K8sObject): Promise<void> {
    const key = this.key(job);
    const spec = job.spec ?? {};
    const pod = spec.template?.spec ?? {};
    const state = job._local as LocalState;
    const notRunnable = (pod.containers as any[]).map((c) => this.plan(job, c)).find((p) => 'error' in p);
    if (notRunnable && 'error' in notRunnable) return this.finish(job, 'Failed', 'ImageNotRunnableLocally', notRunnable.error);
    const missing = await this.waitForVolumes(job);
    if (this.running.get(key)?.cancelled) return;
    if (missing) return this.finish(job, 'Failed', 'MountNotFound', missing);
    mkdirSync(path.join(state.workDir, 'logs'), { recursive: true });
    this.materialiseMounts(job);
    job.status.startTime = new Date().toISOString();
    this.store.save(job);
    const deadline = Number(spec.activeDeadlineSeconds);
    const run = this.running.get(key);
    if (!run) return;
    if (deadline > 0) {
      run.timers.push(
        setTimeout(() => this.cancel(job, 'DeadlineExceeded', `Job was active longer than activeDeadlineSeconds (${deadline}s)`), deadline * 1000),
      );
    }
    const backoffLimit = Number.isInteger(spec.backoffLimit) && spec.backoffLimit >= 0 ? spec.backoffLimit : 6;
    for (let failures = 0; ; ) {
      const ok = await this.runPod(job);
      if (run.cancelled || this.closed) return;
      if (ok) return this.finish(job, 'Complete');
      failures++;
      if (failures > backoffLimit) return this.finish(job, 'Failed', 'BackoffLimitExceeded', `Job has reached the specified backoff limit (${backoffLimit})`);
      await new Promise<void>((r) => run.timers.push(setTimeout(r, Math.min(10_000, 500 * failures))));
      if (run.cancelled || this.closed) return;
    }
  }

  /** Runs one attempt ("pod"); true when every container exited 0. */
  private async runPod(job: K8sObject): Promise<boolean> {
    const state = job._local as LocalState;
    const run = this.running.get(this.key(job))!;
    const containers = job.spec.template.spec.containers as any[];
    const podName = `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const pod: LocalPod = {
      name: podName,
      phase: 'Running',
      containers: containers.map((c) => c.name),
      pids: [],
      exitCodes: containers.map(() => null),
      startedAt: new Date().toISOString(),
    };
    state.pods.push(pod);
    mkdirSync(path.join(state.workDir, 'logs', podName), { recursive: true });
    const exits = containers.map((c, i) => {
      const plan = this.plan(job, c) as { cmd: string; args: string[] };
      const env = this.containerEnv(job, c, podName, state);
      const args = plan.args.map((a) => this.mapPath(job, c, expandVars(a, env)));
      const fd = openSync(this.logFile(job.metadata.namespace!, podName, c.name), 'a');
      let p: ChildProcess;
      try {
        p = spawn(plan.cmd, args, { cwd: state.workDir, env, stdio: ['ignore', fd, fd], detached: true });
      } finally {
        closeSync(fd);
      }
      run.procs.push(p);
      if (p.pid) pod.pids.push(p.pid);
      return new Promise<number>((resolve) => {
        p.on('error', (e) => {
          writeFileSync(this.logFile(job.metadata.namespace!, podName, c.name), `failed to start: ${e.message}\n`, { flag: 'a' });
          resolve(127);
        });
        p.on('exit', (code, signal) => {
          run.procs = run.procs.filter((x) => x !== p);
          pod.exitCodes[i] = code ?? (signal ? 128 : 1);
          resolve(pod.exitCodes[i]!);
        });
      });
    });
    job.status.active = 1;
    this.save(job);
    const codes = await Promise.all(exits);
    pod.phase = codes.every((c) => c === 0) ? 'Succeeded' : 'Failed';
    pod.finishedAt = new Date().toISOString();
    job.status.active = 0;
    if (pod.phase === 'Succeeded') job.status.succeeded = (job.status.succeeded ?? 0) + 1;
    else job.status.failed = (job.status.failed ?? 0) + 1;
    // Stored without an event: the caller's finish() (or the next attempt) reports the job's status, so a watcher
    // never sees "failed" between a failed attempt and its retry or the job's final condition.
    if (this.store.get('Job', job.metadata.namespace!, job.metadata.name) === job) this.store.save(job);
    return pod.phase === 'Succeeded';
  }

  hostCommand(job: K8sObject): string | null {
    const annotation =
      job.metadata.annotations?.[ANNOTATION_LOCAL_COMMAND] ?? job.spec?.template?.metadata?.annotations?.[ANNOTATION_LOCAL_COMMAND];
    if (typeof annotation === 'string' && annotation.trim()) return `the ${ANNOTATION_LOCAL_COMMAND} annotation`;
    const pod = job.spec?.template?.spec ?? {};
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const p = this.plan(job, c);
      if ('cmd' in p && p.cmd !== process.execPath) return `container "${c.name}" command "${p.cmd}"`;
    }
    return null;
  }

  /** What a container runs locally, or why it cannot. */
  private plan(job: K8sObject, c: any): { cmd: string; args: string[] } | { error: string } {
    const annotation =
      job.metadata.annotations?.[ANNOTATION_LOCAL_COMMAND] ?? job.spec?.template?.metadata?.annotations?.[ANNOTATION_LOCAL_COMMAND];
    if (typeof annotation === 'string' && annotation.trim()) return { cmd: '/bin/sh', args: ['-c', annotation] };
    const image = String(c.image ?? '');
    if (!RUNNER_IMAGE.test(image)) {
      return {
        error:
          `Container "${c.name}" uses image "${image || '(none)'}", which cannot run locally: the local executor runs only the BenchOps ` +
          `runner image (ghcr.io/benchops/benchops, benchops, benchops-runner) or jobs annotated ${ANNOTATION_LOCAL_COMMAND}. ` +
          'Use the kubernetes executor (BENCHOPS_EXECUTOR=kubernetes) for other images.',
      };
    }
    const command: string[] = Array.isArray(c.command) ? c.command.map(String) : [];
    const args: string[] = Array.isArray(c.args) ? c.args.map(String) : [];
    const cli = path.join(PACKAGE_ROOT, 'bin', 'benchops.js');
    if (!command.length) return { cmd: process.execPath, args: [cli, ...args] };
    const first = path.basename(command[0]);
    if (first === 'benchops' || first === 'benchops.js') return { cmd: process.execPath, args: [cli, ...command.slice(1), ...args] };
    if (first === 'node' && command[1] && /benchops(\.js)?$/.test(command[1])) return { cmd: process.execPath, args: [cli, ...command.slice(2), ...args] };
    return { cmd: command[0], args: [...command.slice(1), ...args] };
  }

  /** Waits for the ConfigMaps and Secrets the pod mounts; the reason when one never appears. */
  private async waitForVolumes(job: K8sObject): Promise<string | undefined> {
    const ns = job.metadata.namespace!;
    const deadline = Date.now() + (this.opts.mountWaitMs ?? 30_000);
    for (;;) {
      const missing = (job.spec.template.spec.volumes ?? [])
        .map((v: any) =>
          v.configMap && !v.configMap.optional && !this.store.get('ConfigMap', ns, v.configMap.name)
            ? `ConfigMap ${v.configMap.name}`
            : v.secret && !v.secret.optional && !this.store.get('Secret', ns, v.secret.secretName)
              ? `Secret ${v.secret.secretName}`
              : undefined,
        )
        .filter(Boolean);
      if (!missing.length) return undefined;
      if (Date.now() > deadline || this.closed || this.running.get(this.key(job))?.cancelled) {
        return `Volume source not found: ${missing.join(', ')} (namespace ${ns})`;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Writes mounted ConfigMap/Secret files under `<workDir>/mounts<mountPath>`. */
  private materialiseMounts(job: K8sObject): void {
    const ns = job.metadata.namespace!;
    const state = job._local as LocalState;
    const root = path.join(state.workDir, 'mounts');
    const volumes = new Map<string, any>((job.spec.template.spec.volumes ?? []).map((v: any) => [v.name, v]));
    for (const c of job.spec.template.spec.containers as any[]) {
      for (const m of c.volumeMounts ?? []) {
        const v = volumes.get(m.name);
        const target = path.join(root, path.normalize(`/${m.mountPath}`));
        if (!target.startsWith(root)) continue;
        const files = v ? this.volumeFiles(v, ns) : {};
        if (m.subPath) {
          if (files[m.subPath] === undefined) continue;
          mkdirSync(path.dirname(target), { recursive: true });
          writeFileSync(target, files[m.subPath]);
        } else {
          mkdirSync(target, { recursive: true });
          for (const [k, content] of Object.entries(files)) {
            const f = path.join(target, path.normalize(`/${k}`));
            if (!f.startsWith(target)) continue;
            mkdirSync(path.dirname(f), { recursive: true });
            writeFileSync(f, content);
          }
        }
      }
    }
  }

  private volumeFiles(v: any, ns: string): Record<string, Buffer> {
    let data: Record<string, Buffer> = {};
    let items: { key: string; path: string }[] | undefined;
    if (v.configMap) {
      const cm = this.store.get('ConfigMap', ns, v.configMap.name);
      for (const [k, s] of Object.entries(cm?.data ?? {})) data[k] = Buffer.from(String(s));
      for (const [k, s] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(String(s), 'base64');
      items = v.configMap.items;
    } else if (v.secret) {
      const s = this.store.get('Secret', ns, v.secret.secretName);
      for (const [k, x] of Object.entries(s?.data ?? {})) data[k] = Buffer.from(String(x), 'base64');
      for (const [k, x] of Object.entries(s?.stringData ?? {})) data[k] = Buffer.from(String(x));
      items = v.secret.items;
    }
    if (Array.isArray(items)) {
      const picked: Record<string, Buffer> = {};
      for (const it of items) if (data[it.key]) picked[it.path] = data[it.key];
      data = picked;
    }
    return data;
  }

  /** The process environment: a minimal base (never the server's secrets), the container's env, the mount mapping. */
  private containerEnv(job: K8sObject, c: any, podName: string, state: LocalState): Record<string, string> {
    const ns = job.metadata.namespace!;
    const env: Record<string, string> = {};
    for (const k of BASE_ENV_KEYS) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    const results = this.opts.resultsUrl?.();
    if (results) env.BENCHOPS_RESULTS_URL = results;
    const token = this.opts.runnerToken?.();
    if (token) env.BENCHOPS_TOKEN = token;
    env.HOSTNAME = podName;
    env.BENCHOPS_WORK_DIR = state.workDir;
    const mountRoot = path.join(state.workDir, 'mounts');
    env.BENCHOPS_MOUNT_ROOT = mountRoot;
    const mounts: any[] = c.volumeMounts ?? [];
    const configMount = mounts.find((m) => m.mountPath === '/app/configs/eval_config.json') ?? mounts[0];
    if (configMount) {
      const p = path.join(mountRoot, configMount.mountPath);
      env.BENCHOPS_CONFIG_PATH = configMount.subPath || configMount.mountPath.endsWith('.json') ? p : path.join(p, 'eval_config.json');
    }
    for (const from of c.envFrom ?? []) {
      const src = from.configMapRef
        ? this.store.get('ConfigMap', ns, from.configMapRef.name)?.data
        : from.secretRef
          ? decodeSecret(this.store.get('Secret', ns, from.secretRef.name))
          : undefined;
      for (const [k, v] of Object.entries(src ?? {})) env[`${from.prefix ?? ''}${k}`] = String(v);
    }
    for (const e of c.env ?? []) {
      if (!e?.name) continue;
      if (e.value !== undefined) env[e.name] = expandVars(String(e.value), env);
      else if (e.valueFrom?.configMapKeyRef) {
        const v = this.store.get('ConfigMap', ns, e.valueFrom.configMapKeyRef.name)?.data?.[e.valueFrom.configMapKeyRef.key];
        if (v !== undefined) env[e.name] = String(v);
      } else if (e.valueFrom?.secretKeyRef) {
        const v = decodeSecret(this.store.get('Secret', ns, e.valueFrom.secretKeyRef.name))[e.valueFrom.secretKeyRef.key];
        if (v !== undefined) env[e.name] = v;
      } else if (e.valueFrom?.fieldRef) {
        const f = e.valueFrom.fieldRef.fieldPath;
        env[e.name] = f === 'metadata.name' ? podName : f === 'metadata.namespace' ? ns : '';
      } else env[e.name] = '';
    }
    return env;
  }

  /** An argument naming a file under a mount path points at the materialised copy instead. */
  private mapPath(job: K8sObject, c: any, arg: string): string {
    const root = path.join((job._local as LocalState).workDir, 'mounts');
    for (const m of c.volumeMounts ?? []) {
      const mp = String(m.mountPath).replace(/\/+$/, '');
      if (arg === mp || arg.startsWith(`${mp}/`)) return path.join(root, arg);
    }
    return arg;
  }

  private cancel(job: K8sObject, reason: string, message: string): void {
    const run = this.running.get(this.key(job));
    if (!run || run.cancelled) return;
    run.cancelled = { reason, message };
    for (const t of run.timers) clearTimeout(t);
    for (const p of run.procs) {
      killGroup(p, 'SIGTERM');
      setTimeout(() => killGroup(p, 'SIGKILL'), 3000).unref();
    }
    if (reason !== 'Deleted') {
      const pod = (job._local as LocalState).pods.at(-1);
      if (pod && pod.phase === 'Running') pod.reason = reason;
      this.finish(job, 'Failed', reason, message);
    } else this.running.delete(this.key(job));
  }

  private finish(job: K8sObject, type: 'Complete' | 'Failed', reason?: string, message?: string): void {
    const now = new Date().toISOString();
    const run = this.running.get(this.key(job));
    if (run) for (const t of run.timers) clearTimeout(t);
    this.running.delete(this.key(job));
    if (this.store.get('Job', job.metadata.namespace!, job.metadata.name) !== job) return;
    if (isFinished(job)) return;
    job.status.active = 0;
    job.status.conditions = [{ type, status: 'True', reason, message, lastTransitionTime: now, lastProbeTime: now }];
    if (type === 'Complete') job.status.completionTime = now;
    this.save(job);
  }

  private save(job: K8sObject): void {
    this.store.save(job);
    this.emit(job, computeJobStatus(job, (job._local as LocalState).pods, job.metadata.namespace!));
  }

  private emit(job: K8sObject, s: JobStatus): void {
    this.events.emit(`job:${job.metadata.namespace}/${job.metadata.name}`, s);
  }

  private key(job: K8sObject): string {
    return `${job.metadata.namespace}/${job.metadata.name}`;
  }

  private workDirFor(job: K8sObject): string {
    const run = job.metadata.labels?.[LABEL_RUN_ID] ?? job.metadata.uid!;
    return path.join(this.opts.dataDir, 'runs', `${job.metadata.namespace}-${job.metadata.name}-${run}`.slice(0, 200));
  }

  private jobOfPod(namespace: string, pod: string): K8sObject | undefined {
    return this.store
      .list('Job')
      .find((j) => j.metadata.namespace === namespace && (j._local as LocalState).pods.some((p) => p.name === pod));
  }

  private podFinished(namespace: string, pod: string): boolean {
    const p = (this.jobOfPod(namespace, pod)?._local as LocalState | undefined)?.pods.find((x) => x.name === pod);
    return !p || p.phase === 'Succeeded' || p.phase === 'Failed';
  }

  private logFile(namespace: string, pod: string, container: string): string {
    const job = this.jobOfPod(namespace, pod);
    if (!job) throw notFound(`Pod ${pod} not found in namespace ${namespace}`);
    if (!/^[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(container)) throw badRequest('Invalid container name');
    return path.join((job._local as LocalState).workDir, 'logs', pod, `${container}.log`);
  }
}

function publicView(o: K8sObject): K8sObject {
  const c = structuredClone(o);
  delete c._local;
  return c;
}

function isFinished(job: K8sObject): boolean {
  return (job.status?.conditions ?? []).some((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** Kubernetes' `$(VAR)` expansion (`$$(VAR)` escapes it); unknown variables stay as written. */
export function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, esc, name) =>
    esc ? `$(${esc})` : env[name] !== undefined ? env[name] : m,
  );
}

function decodeSecret(s: K8sObject | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s?.data ?? {})) out[k] = Buffer.from(String(v), 'base64').toString('utf8');
  for (const [k, v] of Object.entries(s?.stringData ?? {})) out[k] = String(v);
  return out;
}

/**
 * The last `lines` lines of a file (all of it without a limit) and the size they end at, read backwards in chunks:
 * a long job's log is not read whole, nor synchronously, on every request.
 */
async function readTail(file: string, lines?: number): Promise<{ text: string; size: number }> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return { text: '', size: 0 };
  }
  try {
    const size = (await fh.stat()).size;
    const want = lines && lines > 0 ? lines : Infinity;
    const chunks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    while (pos > 0 && newlines <= want) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      chunks.unshift(buf);
      for (const b of buf) if (b === 10) newlines++;
    }
    return { text: tail(Buffer.concat(chunks).toString('utf8'), lines), size };
  } finally {
    await fh.close();
  }
}

function tail(text: string, lines?: number): string {
  if (!lines || lines <= 0) return text;
  const parts = text.split('\n');
  const trailing = parts.at(-1) === '' ? parts.pop() : undefined;
  const out = parts.slice(-lines).join('\n');
  return trailing !== undefined && out ? `${out}\n` : out;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e.code === 'EPERM';
  }
}

function killGroup(p: ChildProcess, sig: NodeJS.Signals): void {
  if (p.exitCode !== null || p.signalCode !== null || !p.pid) return;
  try {
    process.kill(-p.pid, sig);
  } catch {
    try {
      p.kill(sig);
    } catch {
      /* gone */
    }
  }
}
