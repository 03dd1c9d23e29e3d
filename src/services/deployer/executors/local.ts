/**
 * The local executor (SPEC 3.2): Kubernetes objects kept in the data folder, and Jobs run as local processes when
 * their image is the BenchOps runner image (args → `node bin/benchops.js <args>`) or they carry the annotation
 * `benchops.io/local-command` (a shell command). It behaves like a cluster where a user would notice: each attempt is
 * a "pod" with its log; ConfigMap/Secret mounts appear under the run's work folder; a missing Secret or ConfigMap
 * keeps the pod from starting with the kubelet's reason; `activeDeadlineSeconds`, `backoffLimit`, `podFailurePolicy`
 * and `ttlSecondsAfterFinished` are honoured. Containers run under a supervisor (supervisor.ts) that records their
 * exit status and ends them when the platform stays silent, so a restart adopts what survived and learns how it ended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { badRequest, conflict, notFound } from '../../../core/errors.ts';
import { LABEL_RUN_ID } from '../manifest.ts';
import { followFile, readTail, terminationMessage } from './local-logs.ts';
import {
  containerEnv,
  containerPlan,
  expandVars,
  localCommand,
  mapPath,
  matchFailurePolicy,
  materialiseMounts,
  missingVolume,
  nextStep,
  podInfos,
  type LocalPod,
} from './local-pod.ts';
import { LocalStore } from './local-store.ts';
import { openShell } from './local-shell.ts';
import { DEFAULT_ORPHAN_GRACE_MS, HeartbeatKeeper, installSupervisor, isSupervisorOf, killGroup, readExitStatus } from './supervisor.ts';
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
  type PodProblem,
} from './types.ts';

export { RUNNER_IMAGE } from '../manifest.ts';
export { expandVars };
export type { LocalPod };

interface LocalState {
  workDir: string;
  pods: LocalPod[];
}

/** How a pod slot's attempts ended: the job's outcome as far as that slot decides it. */
type AttemptsEnd = { type: 'Complete' | 'Failed'; reason?: string; message?: string };

interface Running {
  timers: NodeJS.Timeout[];
  cancelled?: { reason: string; message: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LocalExecutorOptions {
  dataDir: string;
  log: Logger;
  /** Results service URL given to runner processes as BENCHOPS_RESULTS_URL (when known). */
  resultsUrl?: () => string | undefined;
  /** Bearer token runner processes post results with (BENCHOPS_TOKEN), when the platform requires one. */
  runnerToken?: () => string | undefined;
  /** How long a pod waits for its ConfigMaps/Secrets before the job fails with the kubelet's reason. */
  mountWaitMs?: number;
  /** How long job processes outlive a platform that stopped touching their heartbeat (crash, kill -9). */
  orphanGraceMs?: number;
}

export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  readonly store: LocalStore;
  private readonly running = new Map<string, Running>();
  private readonly ttlTimers = new Map<string, NodeJS.Timeout>();
  private readonly events = new EventEmitter();
  private readonly heartbeats: HeartbeatKeeper;
  private readonly supervisor: string;
  private readonly graceMs: number;
  private closed = false;

  constructor(private readonly opts: LocalExecutorOptions) {
    this.store = new LocalStore(path.join(opts.dataDir, 'local-cluster'));
    this.events.setMaxListeners(0);
    this.graceMs = opts.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS;
    this.heartbeats = new HeartbeatKeeper(HeartbeatKeeper.intervalFor(this.graceMs));
    this.supervisor = installSupervisor(path.join(opts.dataDir, 'runs'));
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
      this.running.set(this.key(o), { timers: [] });
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
      clearTimeout(this.ttlTimers.get(this.key(o)));
      this.ttlTimers.delete(this.key(o));
      this.emit(o, { ...computeJobStatus(o, podInfos(o), namespace), status: 'deleted', message: 'The job was deleted' });
      if (state?.workDir) {
        this.heartbeats.delete(heartbeatFile(state));
        setTimeout(() => rmSync(state.workDir, { recursive: true, force: true }), 200).unref();
      }
    } else {
      this.store.delete(kind, namespace, name);
    }
    for (const d of this.store.dependents(o.metadata.uid!)) await this.remove(d.kind, d.metadata.name, d.metadata.namespace!);
    return true;
  }

  async jobStatus(name: string, namespace: string): Promise<JobStatus> {
    const job = this.store.get('Job', namespace, name);
    if (!job) throw notFound(`Job ${name} not found in namespace ${namespace}`);
    return computeJobStatus(job, podInfos(job), namespace);
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
    return job ? podInfos(job) : [];
  }

  async readLogs(namespace: string, pod: string, container: string, opts: LogOptions): Promise<string> {
    return (await readTail(this.logFile(namespace, pod, container), opts.tailLines)).text;
  }

  async followLogs(namespace: string, pod: string, container: string, opts: LogOptions, out: Writable, signal: AbortSignal): Promise<void> {
    await followFile(this.logFile(namespace, pod, container), opts.tailLines, out, signal, () => this.closed || this.podFinished(namespace, pod));
  }

  async exec(namespace: string, pod: string, container: string, shell: string, h: ExecHandlers): Promise<ExecSession> {
    const job = this.jobOfPod(namespace, pod);
    if (!job) throw notFound(`Pod ${pod} not found in namespace ${namespace}`);
    const state = job._local as LocalState;
    const c = (job.spec.template.spec.containers as any[]).find((x) => x.name === container);
    if (!c) throw notFound(`Container ${container} not found in pod ${pod}`);
    mkdirSync(state.workDir, { recursive: true });
    const resolved = containerEnv(job, c, this.podContext(state, pod));
    if ('problem' in resolved) throw badRequest(`${resolved.problem.reason}: ${resolved.problem.message}`);
    return openShell(shell, state.workDir, { ...resolved.env, PS1: `${pod}$ `, TERM: 'dumb' }, h);
  }

  async health(): Promise<string> {
    return 'ok';
  }

  /**
   * After a restart: a pod whose supervisors still run is adopted (its heartbeat resumes; its exit status is read when
   * it ends); a pod that ended meanwhile is settled from its recorded exit status, and the job goes on (retry, policy,
   * completion) as if nothing had happened; finished jobs get their TTL clean-up scheduled again.
   */
  async reconcile(): Promise<void> {
    for (const job of this.store.list('Job')) {
      const key = this.key(job);
      if (this.running.has(key)) continue;
      if (isFinished(job)) {
        this.scheduleTtl(job);
        continue;
      }
      const state = job._local as LocalState;
      const last = state.pods.at(-1);
      // a pod that never started has no process: it is started again
      if (indexedCompletions(job) !== undefined) state.pods = state.pods.filter((p) => p.phase !== 'Pending');
      else if (last?.phase === 'Pending') state.pods.pop();
      // an Indexed Job resumes each index from its own last pod (runJob picks them)
      const resume = indexedCompletions(job) !== undefined ? state.pods.at(-1) : last?.phase === 'Pending' ? undefined : last;
      if (resume?.phase === 'Running') this.opts.log.info({ job: job.metadata.name, pod: resume.name, pids: resume.pids }, 'local job: adopting its processes');
      this.running.set(key, { timers: [] });
      void this.runJob(job, resume).catch((e) => this.opts.log.error({ err: e, job: job.metadata.name }, 'local job failed to resume'));
    }
  }

  /** Stops every job process (their attempts count as failed; a restart retries them within backoffLimit). */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.ttlTimers.values()) clearTimeout(t);
    this.ttlTimers.clear();
    for (const [key, r] of this.running) {
      for (const t of r.timers) clearTimeout(t);
      const job = this.store.list('Job').find((j) => this.key(j) === key);
      // an Indexed Job may have several pods running; any other job at most its last
      for (const pod of (job?._local as LocalState | undefined)?.pods.filter((p) => p.phase === 'Running') ?? []) {
        pod.reason = 'Shutdown';
        this.store.save(job!);
        for (const pid of pod.pids) killGroup(pid, 'SIGTERM');
      }
    }
    this.running.clear();
    this.heartbeats.stop();
    this.events.removeAllListeners();
  }

  // ---- running a job ----

  /** The job's attempts, from `resume` (an adopted or already settled pod) or from a fresh pod. */
  private async runJob(job: K8sObject, resume?: LocalPod): Promise<void> {
    const run = this.running.get(this.key(job));
    if (!run) return;
    const state = job._local as LocalState;
    if (!resume) {
      const notRunnable = (job.spec.template.spec.containers as any[]).map((c) => containerPlan(job, c)).find((p) => 'error' in p);
      if (notRunnable && 'error' in notRunnable) return this.finish(job, 'Failed', 'ImageNotRunnableLocally', notRunnable.error);
    }
    mkdirSync(path.join(state.workDir, 'logs'), { recursive: true, mode: 0o700 });
    this.heartbeats.add(heartbeatFile(state));
    if (!job.status.startTime) {
      job.status.startTime = new Date().toISOString();
      this.saveQuietly(job);
    }
    // the deadline counts from the job's start, across restarts
    const deadline = Number(job.spec.activeDeadlineSeconds);
    if (deadline > 0) {
      const left = Date.parse(job.status.startTime) + deadline * 1000 - Date.now();
      run.timers.push(setTimeout(() => this.cancel(job, 'DeadlineExceeded', `Job was active longer than activeDeadlineSeconds (${deadline}s)`), Math.max(0, left)));
    }
    try {
      const parts = indexedCompletions(job);
      if (parts === undefined) {
        const end = await this.runAttempts(job, run, undefined, resume);
        if (end) this.finish(job, end.type, end.reason, end.message);
        return;
      }
      // an Indexed Job: every index runs its own attempts at once; the job completes when each index has succeeded
      // and fails as soon as one index fails for good (the others are stopped, as the Job controller does)
      const last = (i: number) => [...state.pods].reverse().find((p) => p.index === i);
      const ends = await Promise.all(
        Array.from({ length: parts }, async (_, i) => {
          const end = await this.runAttempts(job, run, i, resume ? last(i) : undefined);
          if (end?.type === 'Failed') this.cancel(job, end.reason ?? 'Failed', end.message ?? `index ${i} failed`);
          return end;
        }),
      );
      if (run.cancelled || this.closed) return;
      const failed = ends.find((e) => e?.type === 'Failed');
      if (failed) this.finish(job, 'Failed', failed.reason, failed.message);
      else if (ends.every((e) => e?.type === 'Complete')) this.finish(job, 'Complete');
    } finally {
      // no process of this job runs any more (a cancelled attempt has been waited for): nothing to keep alive
      if (!this.closed) this.heartbeats.delete(heartbeatFile(state));
    }
  }

  /**
   * The attempts of one pod slot (the job's, or one index of an Indexed Job) until it succeeds or the job must fail;
   * undefined when cancelled or closed meanwhile. A slot that already ended (resumed after a restart) is judged as is.
   */
  private async runAttempts(job: K8sObject, run: Running, index: number | undefined, resume?: LocalPod): Promise<AttemptsEnd | undefined> {
    let pod = resume;
    for (;;) {
      if (!pod) pod = await this.runPod(job, run, index);
      else if (pod.phase === 'Running') await this.awaitAdopted(job, pod, run);
      if (run.cancelled || this.closed) return undefined;
      const next = nextStep(job, pod);
      if ('type' in next) return next;
      await new Promise<void>((r) => run.timers.push(setTimeout(r, next.retryInMs)));
      if (run.cancelled || this.closed) return undefined;
      pod = undefined;
    }
  }

  /** Runs one attempt ("pod"): waits until it can start (like the kubelet), runs every container, settles it. */
  private async runPod(job: K8sObject, run: Running, index?: number): Promise<LocalPod> {
    const state = job._local as LocalState;
    const containers = job.spec.template.spec.containers as any[];
    // Kubernetes names an Indexed Job's pods <job>-<index>-<random>
    const podName = `${job.metadata.name}-${index === undefined ? '' : `${index}-`}${randomBytes(3).toString('hex').slice(0, 5)}`;
    const pod: LocalPod = {
      ...(index === undefined ? {} : { index }),
      name: podName,
      phase: 'Pending',
      containers: containers.map((c) => c.name),
      pids: [],
      exitCodes: containers.map(() => null),
      startedAt: new Date().toISOString(),
    };
    state.pods.push(pod);
    this.save(job);
    const ctx = this.podContext(state, podName);
    const waitUntil = Date.now() + (this.opts.mountWaitMs ?? 30_000);
    let envs: Record<string, string>[];
    for (let delay = 50; ; delay = Math.min(1000, delay * 2)) {
      const volume = missingVolume(job, this.store);
      let problem: PodProblem | undefined = volume && { container: '', ...volume };
      envs = [];
      for (const c of containers) {
        if (problem) break;
        const r = containerEnv(job, c, ctx);
        if ('problem' in r) problem = { container: c.name, ...r.problem };
        // the Job controller sets the index of an Indexed Job's pod (over any variable of that name)
        else envs.push(index === undefined ? r.env : { ...r.env, JOB_COMPLETION_INDEX: String(index) });
      }
      if (!problem) break;
      if (pod.waiting?.message !== problem.message) {
        pod.waiting = problem;
        this.save(job);
      }
      if (run.cancelled || this.closed) return pod;
      if (Date.now() > waitUntil) {
        Object.assign(pod, { phase: 'Failed', reason: problem.reason, finishedAt: new Date().toISOString() });
        this.saveQuietly(job);
        return pod;
      }
      await sleep(delay);
    }
    pod.waiting = undefined;
    mkdirSync(path.join(state.workDir, 'logs', podName), { recursive: true, mode: 0o700 });
    materialiseMounts(job, state.workDir, this.store);
    // Running before any process exists, saved after each: a stored Pending pod never has processes to adopt
    pod.phase = 'Running';
    const exits = containers.map((c, i) => {
      const plan = containerPlan(job, c) as { cmd: string; args: string[] };
      const args = plan.args.map((a) => mapPath(state.workDir, c, expandVars(a, envs[i])));
      const logFile = this.logFile(job.metadata.namespace!, podName, c.name);
      const statusFile = exitFile(state, podName, c.name);
      const fd = openSync(logFile, 'a', 0o600);
      let p: ChildProcess;
      try {
        p = spawn(process.execPath, [this.supervisor, statusFile, heartbeatFile(state), String(this.graceMs), plan.cmd, ...args], {
          cwd: state.workDir,
          env: envs[i],
          stdio: ['ignore', fd, fd],
          detached: true,
        });
      } finally {
        closeSync(fd);
      }
      pod.pids.push(p.pid ?? 0);
      this.saveQuietly(job);
      return new Promise<number>((resolve) => {
        p.on('error', (e) => {
          writeFileSync(logFile, `failed to start: ${e.message}\n`, { flag: 'a' });
          resolve(127);
        });
        // the supervisor's record is the authority (it ends its group, itself included, after writing it)
        p.on('exit', (code, signal) => resolve(readExitStatus(statusFile)?.code ?? code ?? (signal === 'SIGKILL' ? 137 : 143)));
      });
    });
    job.status.active = runningPods(state);
    this.save(job);
    await this.settle(job, pod, await Promise.all(exits));
    return pod;
  }

  /** Waits for an adopted pod's supervisors, then settles it from their records (or as lost, when none was left). */
  private async awaitAdopted(job: K8sObject, pod: LocalPod, run: Running): Promise<void> {
    const state = job._local as LocalState;
    const files = pod.containers.map((c) => exitFile(state, pod.name, c));
    for (;;) {
      const statuses = files.map((f) => readExitStatus(f));
      const codes = statuses.map((x) => x?.code ?? null);
      if (codes.every((c) => c !== null)) {
        // ended by its own watchdog: the platform was silent for longer than the grace period
        if (statuses.some((x) => x?.orphaned)) pod.reason = 'Orphaned';
        return this.settle(job, pod, codes as number[]);
      }
      const alive = files.some((f, i) => codes[i] === null && pod.pids[i] > 0 && isSupervisorOf(pod.pids[i], f));
      if (!alive) {
        Object.assign(pod, { phase: 'Failed', reason: 'ProcessLost', finishedAt: new Date().toISOString(), exitCodes: codes });
        pod.waiting = { container: '', reason: 'ProcessLost', message: 'the job process ended while BenchOps was not running and left no exit status' };
        job.status.active = runningPods(state);
        job.status.failed = (job.status.failed ?? 0) + 1;
        this.saveQuietly(job);
        return;
      }
      if (run.cancelled || this.closed) return;
      await sleep(500);
    }
  }

  /** Records how a pod ended: phase, exit codes, termination messages, the failure policy, the job's counters. */
  private async settle(job: K8sObject, pod: LocalPod, codes: number[]): Promise<void> {
    pod.exitCodes = codes;
    pod.phase = codes.every((c) => c === 0) ? 'Succeeded' : 'Failed';
    pod.finishedAt = new Date().toISOString();
    const containers = job.spec.template.spec.containers as any[];
    if (pod.phase === 'Failed') {
      pod.messages = await Promise.all(
        containers.map(async (c, i) =>
          codes[i] !== 0 && c.terminationMessagePolicy === 'FallbackToLogsOnError'
            ? ((await terminationMessage(this.logFile(job.metadata.namespace!, pod.name, c.name)).catch(() => undefined)) ?? null)
            : null,
        ),
      );
      const rule = matchFailurePolicy(job, pod);
      if (rule) pod.policy = rule;
    }
    job.status.active = runningPods(job._local as LocalState);
    if (pod.phase === 'Succeeded') job.status.succeeded = (job.status.succeeded ?? 0) + 1;
    else if (pod.policy?.action !== 'Ignore') job.status.failed = (job.status.failed ?? 0) + 1;
    // Stored without an event: the job's end (or the next attempt) reports its status, so a watcher never sees
    // "failed" between a failed attempt and its retry.
    this.saveQuietly(job);
  }

  hostCommand(job: K8sObject): string | null {
    if (localCommand(job)) return 'the benchops.io/local-command annotation';
    const pod = job.spec?.template?.spec ?? {};
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const p = containerPlan(job, c);
      if ('cmd' in p && p.cmd !== process.execPath) return `container "${c.name}" command "${p.cmd}"`;
    }
    return null;
  }

  private cancel(job: K8sObject, reason: string, message: string): void {
    const run = this.running.get(this.key(job));
    if (!run || run.cancelled) return;
    run.cancelled = { reason, message };
    for (const t of run.timers) clearTimeout(t);
    const state = job._local as LocalState;
    const live = state.pods.filter((p) => p.phase === 'Running' || p.phase === 'Pending');
    for (const pod of live.filter((p) => p.phase === 'Running')) {
      pod.pids.forEach((pid, i) => {
        killGroup(pid, 'SIGTERM');
        const file = exitFile(state, pod.name, pod.containers[i]);
        // only a supervisor still running this container is killed: its pid may belong to another process by now
        setTimeout(() => isSupervisorOf(pid, file) && killGroup(pid, 'SIGKILL'), 3000).unref();
      });
    }
    if (reason !== 'Deleted') {
      for (const pod of live) pod.reason = reason;
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
    this.scheduleTtl(job);
  }

  /** ttlSecondsAfterFinished: the finished job, what it owns and its work folder are removed after it. */
  private scheduleTtl(job: K8sObject): void {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (!Number.isInteger(ttl) || ttl < 0 || this.closed) return;
    const cond = (job.status?.conditions ?? []).find((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    const at = Date.parse(cond?.lastTransitionTime ?? '') + ttl * 1000;
    const key = this.key(job);
    clearTimeout(this.ttlTimers.get(key));
    const t = setTimeout(() => {
      this.ttlTimers.delete(key);
      if (this.store.get('Job', job.metadata.namespace!, job.metadata.name) !== job) return;
      this.opts.log.info({ job: job.metadata.name, ttl }, 'local job removed after ttlSecondsAfterFinished');
      void this.remove('Job', job.metadata.name, job.metadata.namespace!);
    }, Math.max(0, Number.isFinite(at) ? at - Date.now() : 0));
    t.unref();
    this.ttlTimers.set(key, t);
  }

  private podContext(state: LocalState, podName: string) {
    return { store: this.store, workDir: state.workDir, podName, resultsUrl: this.opts.resultsUrl?.(), runnerToken: this.opts.runnerToken?.() };
  }

  private save(job: K8sObject): void {
    if (!this.saveQuietly(job)) return;
    this.emit(job, computeJobStatus(job, podInfos(job), job.metadata.namespace!));
  }

  /** Stores the job if it still exists (a deleted job is never written back). */
  private saveQuietly(job: K8sObject): boolean {
    // once closed, the data folder may already belong to the next process (a restart): nothing is written back
    if (this.closed || this.store.get('Job', job.metadata.namespace!, job.metadata.name) !== job) return false;
    this.store.save(job);
    return true;
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

/** The number of indexes of an Indexed Job (completionMode: Indexed), undefined for any other job. */
function indexedCompletions(job: K8sObject): number | undefined {
  if (job.spec?.completionMode !== 'Indexed') return undefined;
  const n = Number(job.spec.completions ?? 1);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Pods of the job running now (a job's `status.active`). */
function runningPods(state: LocalState): number {
  return state.pods.filter((p) => p.phase === 'Running').length;
}

/** The file the platform touches while it follows the job (its processes end when it goes stale). */
function heartbeatFile(state: LocalState): string {
  return path.join(state.workDir, 'heartbeat');
}

/** Where a container's supervisor records its exit status. */
function exitFile(state: LocalState, pod: string, container: string): string {
  return path.join(state.workDir, 'logs', pod, `${container}.exit`);
}

function publicView(o: K8sObject): K8sObject {
  const c = structuredClone(o);
  delete c._local;
  return c;
}

function isFinished(job: K8sObject): boolean {
  return (job.status?.conditions ?? []).some((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}
