/**
 * The executor interface: where Kubernetes objects live and run. `kubernetes` talks to a cluster; `local` keeps the
 * objects in the data folder and runs BenchOps runner Jobs as local processes. The deployer only sees this interface.
 */
import type { Writable } from 'node:stream';

export interface K8sMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Record<string, unknown>[];
  [k: string]: any;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: K8sMetadata;
  [k: string]: any;
}

export type JobPhase = 'pending' | 'running' | 'completed' | 'failed' | 'deleted';

/** `GET /jobs/{name}/status` (reference 2.3) plus a message. */
export interface JobStatus {
  job_name: string;
  namespace: string;
  status: JobPhase;
  phase: string | null;
  start_time: string | null;
  completion_time: string | null;
  active_pods: number;
  succeeded_pods: number;
  failed_pods: number;
  message: string | null;
}

/** Why a pod's container is not running or ended badly (what `kubectl describe pod` would show). */
export interface PodProblem {
  /** '' for the pod itself (Unschedulable, Evicted). */
  container: string;
  /** CreateContainerConfigError, ImagePullBackOff, Error, OOMKilled, Unschedulable… */
  reason: string;
  message?: string;
  /** Set when the container ended. */
  exitCode?: number;
}

export interface PodInfo {
  name: string;
  phase: string;
  containers: string[];
  problems?: PodProblem[];
}

/** Waiting reasons that are the normal way to start, not a problem. */
export const NORMAL_WAITING = new Set(['ContainerCreating', 'PodInitializing']);

/** One log-style line for a problem: `[container] Reason (exit code N): message`. */
export function problemLine(p: PodProblem, multi: boolean): string {
  const who = multi && p.container ? `container ${p.container}: ` : '';
  const code = p.exitCode !== undefined ? ` (exit code ${p.exitCode})` : '';
  return `${who}${p.reason}${code}${p.message ? `: ${p.message}` : ''}`;
}

/** The last non-empty line of a termination message (the runner's error is its last line). */
export function lastLine(text: string | undefined): string | undefined {
  const lines = String(text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.at(-1)?.slice(0, 500);
}

export interface ExecHandlers {
  stdout(data: string): void;
  stderr(data: string): void;
  /** The shell ended (or the connection broke: `error` says why). */
  exit(error?: string): void;
}

export interface ExecSession {
  /** Whether the shell has a terminal (echo, line editing, Ctrl-C as an interrupt); true when not said. */
  tty?: boolean;
  write(data: string): void;
  resize(rows: number, cols: number): void;
  close(): void;
}

export interface LogOptions {
  tailLines?: number;
  container?: string;
}

export interface Executor {
  readonly kind: 'local' | 'kubernetes';
  /** Creates an object; AppError 409 when it exists, 400 when the API refuses it. Returns it with its uid. */
  create(obj: K8sObject): Promise<K8sObject>;
  /** null when absent. */
  get(kind: string, name: string, namespace: string): Promise<K8sObject | null>;
  /** Deletes with its dependents (background propagation); false when it did not exist. */
  remove(kind: string, name: string, namespace: string): Promise<boolean>;
  /** AppError 404 when the job does not exist. */
  jobStatus(name: string, namespace: string): Promise<JobStatus>;
  /** Calls `onChange` on every status change until stopped (or the job ends). */
  watchJob(name: string, namespace: string, onChange: (s: JobStatus) => void): () => void;
  listPods(jobName: string, namespace: string): Promise<PodInfo[]>;
  readLogs(namespace: string, pod: string, container: string, opts: LogOptions): Promise<string>;
  /** Streams the log (from `tailLines` back) until the container ends or `signal` aborts. */
  followLogs(namespace: string, pod: string, container: string, opts: LogOptions, out: Writable, signal: AbortSignal): Promise<void>;
  exec(namespace: string, pod: string, container: string, shell: string, h: ExecHandlers): Promise<ExecSession>;
  /** 'ok' or why it is down. */
  health(): Promise<string>;
  /**
   * What in this job would run as a command of the executor's choosing on the BenchOps host itself (the local
   * executor), or null. Such jobs, and terminals there, are host shells: only the admin role may start them.
   */
  hostCommand?(job: K8sObject): string | null;
  /** After a restart: settles jobs whose process or pod is gone. */
  reconcile?(): Promise<void>;
  close(): Promise<void>;
}

/** The status of a job that no longer exists (deleted, or gone behind BenchOps' back). */
export function deletedJobStatus(name: string, namespace: string): JobStatus {
  return {
    job_name: name,
    namespace,
    status: 'deleted',
    phase: null,
    start_time: null,
    completion_time: null,
    active_pods: 0,
    succeeded_pods: 0,
    failed_pods: 0,
    message: 'The job no longer exists',
  };
}

/** Reference 2.3 status logic from a Job and its pods' phases. */
export function computeJobStatus(job: K8sObject, pods: { phase: string; problems?: PodProblem[] }[] | null, namespace: string): JobStatus {
  const st = job.status ?? {};
  const cond = (t: string) => (st.conditions ?? []).find((c: any) => c.type === t && c.status === 'True');
  let status: JobPhase;
  let message: string | null = null;
  const complete = cond('Complete');
  const failed = cond('Failed');
  if (complete) status = 'completed';
  else if (failed) {
    status = 'failed';
    message = [failed.reason, failed.message].filter(Boolean).join(': ') || null;
  } else if (pods) {
    const n = (p: string) => pods.filter((x) => x.phase === p).length;
    const [running, succeeded, bad, pending] = [n('Running'), n('Succeeded'), n('Failed'), n('Pending')];
    if (!pods.length) status = 'pending';
    else if (running > 0) status = 'running';
    else if (succeeded === pods.length) status = 'completed';
    // A failed pod with retries left is not a failed job: the controller starts another pod (backoffLimit).
    else if (bad > 0 && running + succeeded + pending === 0) {
      status = (st.failed ?? bad) <= backoffLimit(job) ? 'pending' : 'failed';
      if (status === 'failed') message = `${bad} pod(s) failed`;
    }
    else if (bad > 0) status = 'running';
    else if (pending > 0) status = 'pending';
    else status = 'pending';
  } else status = (st.active ?? 0) > 0 ? 'running' : 'pending';
  const problems = (pods ?? []).flatMap((p) => p.problems ?? []);
  if (status === 'pending' || status === 'running') {
    // a pod that cannot start says why (CreateContainerConfigError, ImagePullBackOff, Unschedulable…): the record shows it
    const waiting = problems.find((p) => p.exitCode === undefined);
    if (waiting) message = problemLine(waiting, true);
  } else if (status === 'failed') {
    const out = lastLine([...problems].reverse().find((p) => p.exitCode !== undefined && p.message)?.message);
    if (out && !(message ?? '').includes(out)) message = `${message ?? 'failed'}; last output: ${out}`;
  }
  return {
    job_name: job.metadata.name,
    namespace,
    status,
    phase: null,
    start_time: toIso(st.startTime),
    completion_time: toIso(st.completionTime),
    active_pods: st.active ?? 0,
    succeeded_pods: st.succeeded ?? 0,
    failed_pods: st.failed ?? 0,
    message,
  };
}

export const TERMINAL_PHASES: JobPhase[] = ['completed', 'failed', 'deleted'];

function toIso(v: unknown): string | null {
  if (v == null || v === '') return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function backoffLimit(job: K8sObject): number {
  const b = job.spec?.backoffLimit;
  return Number.isInteger(b) && b >= 0 ? b : 6;
}
