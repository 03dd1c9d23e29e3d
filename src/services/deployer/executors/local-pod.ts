/**
 * What a local "pod" is made of, as the kubelet would make it: the command a container runs (the runner image or the
 * local-command annotation), its environment (a minimal base, then env/envFrom with ConfigMap and Secret references,
 * `$(VAR)` expansion), and its ConfigMap/Secret mounts materialised under the run's work folder. A reference that
 * cannot be resolved is reported the way the kubelet does (CreateContainerConfigError, FailedMount), never skipped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../../core/db/migrate.ts';
import { ANNOTATION_LOCAL_COMMAND, RUNNER_IMAGE } from '../manifest.ts';
import type { LocalStore } from './local-store.ts';
import type { K8sObject, PodInfo, PodProblem } from './types.ts';

const BASE_ENV_KEYS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'SHELL', 'BENCHOPS_USE_DIST', 'NODE_EXTRA_CA_CERTS'];

/** Reasons a pod never started; the job fails with them (no retry can help until the object appears). */
const START_PROBLEMS = new Set(['CreateContainerConfigError', 'FailedMount']);

export interface LocalPod {
  /** An Indexed Job's completion index (JOB_COMPLETION_INDEX) of this pod. */
  index?: number;
  name: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  containers: string[];
  /** Supervisor pids, one per container (each leads its container's process group). */
  pids: number[];
  exitCodes: (number | null)[];
  startedAt: string;
  finishedAt?: string;
  reason?: string;
  /** Why the pod has not started: CreateContainerConfigError / FailedMount with the kubelet's message. */
  waiting?: PodProblem;
  /** Termination messages of failed containers (FallbackToLogsOnError: the log's last lines). */
  messages?: (string | null)[];
  /** The podFailurePolicy rule applied when it failed. */
  policy?: { action: string; message: string };
}

/** Why a pod cannot start yet: the kubelet's reason and message. */
export interface StartProblem {
  reason: 'CreateContainerConfigError' | 'FailedMount';
  message: string;
}

export interface PodContext {
  store: LocalStore;
  workDir: string;
  podName: string;
  resultsUrl?: string;
  runnerToken?: string;
}

/** Kubernetes' `$(VAR)` expansion (`$$(VAR)` escapes it); unknown variables stay as written. */
export function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, esc, name) =>
    esc ? `$(${esc})` : env[name] !== undefined ? env[name] : m,
  );
}

export function decodeSecret(s: K8sObject | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s?.data ?? {})) out[k] = Buffer.from(String(v), 'base64').toString('utf8');
  for (const [k, v] of Object.entries(s?.stringData ?? {})) out[k] = String(v);
  return out;
}

/** The job's local-command annotation (on the Job or its pod template), if any. */
export function localCommand(job: K8sObject): string | undefined {
  const a = job.metadata.annotations?.[ANNOTATION_LOCAL_COMMAND] ?? job.spec?.template?.metadata?.annotations?.[ANNOTATION_LOCAL_COMMAND];
  return typeof a === 'string' && a.trim() ? a : undefined;
}

/** What a container runs locally, or why it cannot. */
export function containerPlan(job: K8sObject, c: any): { cmd: string; args: string[] } | { error: string } {
  const annotation = localCommand(job);
  if (annotation) return { cmd: '/bin/sh', args: ['-c', annotation] };
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

/** The first ConfigMap/Secret volume the pod mounts that does not exist (the kubelet's FailedMount). */
export function missingVolume(job: K8sObject, store: LocalStore): StartProblem | undefined {
  const ns = job.metadata.namespace!;
  for (const v of job.spec.template.spec.volumes ?? []) {
    if (v?.configMap && !v.configMap.optional && !store.get('ConfigMap', ns, v.configMap.name)) {
      return { reason: 'FailedMount', message: `MountVolume.SetUp failed for volume "${v.name}" : configmap "${v.configMap.name}" not found` };
    }
    if (v?.secret && !v.secret.optional && !store.get('Secret', ns, v.secret.secretName)) {
      return { reason: 'FailedMount', message: `MountVolume.SetUp failed for volume "${v.name}" : secret "${v.secret.secretName}" not found` };
    }
  }
  return undefined;
}

/**
 * The process environment of a container: a minimal base (never the server's secrets), the results settings, the
 * mount mapping, then envFrom and env as the kubelet resolves them. A missing non-optional reference is a
 * CreateContainerConfigError with the kubelet's wording.
 */
export function containerEnv(job: K8sObject, c: any, ctx: PodContext): { env: Record<string, string> } | { problem: StartProblem } {
  const ns = job.metadata.namespace!;
  const env: Record<string, string> = {};
  for (const k of BASE_ENV_KEYS) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  if (ctx.resultsUrl) env.BENCHOPS_RESULTS_URL = ctx.resultsUrl;
  if (ctx.runnerToken) env.BENCHOPS_TOKEN = ctx.runnerToken;
  env.HOSTNAME = ctx.podName;
  env.BENCHOPS_WORK_DIR = ctx.workDir;
  const mountRoot = path.join(ctx.workDir, 'mounts');
  env.BENCHOPS_MOUNT_ROOT = mountRoot;
  const mounts: any[] = c.volumeMounts ?? [];
  const configMount = mounts.find((m) => m.mountPath === '/app/configs/eval_config.json') ?? mounts[0];
  if (configMount) {
    const p = path.join(mountRoot, configMount.mountPath);
    env.BENCHOPS_CONFIG_PATH = configMount.subPath || configMount.mountPath.endsWith('.json') ? p : path.join(p, 'eval_config.json');
  }
  const fail = (message: string) => ({ problem: { reason: 'CreateContainerConfigError' as const, message } });
  for (const from of c.envFrom ?? []) {
    const ref = from?.configMapRef ?? from?.secretRef;
    if (!ref) continue;
    const isCm = !!from.configMapRef;
    const obj = ctx.store.get(isCm ? 'ConfigMap' : 'Secret', ns, ref.name);
    if (!obj) {
      if (ref.optional) continue;
      return fail(`${isCm ? 'configmap' : 'secret'} "${ref.name}" not found`);
    }
    const data = isCm ? (obj.data ?? {}) : decodeSecret(obj);
    for (const [k, v] of Object.entries(data)) env[`${from.prefix ?? ''}${k}`] = String(v);
  }
  for (const e of c.env ?? []) {
    if (!e?.name) continue;
    if (e.value !== undefined) env[e.name] = expandVars(String(e.value), env);
    else if (e.valueFrom?.configMapKeyRef || e.valueFrom?.secretKeyRef) {
      const isCm = !!e.valueFrom.configMapKeyRef;
      const ref = e.valueFrom.configMapKeyRef ?? e.valueFrom.secretKeyRef;
      const obj = ctx.store.get(isCm ? 'ConfigMap' : 'Secret', ns, ref.name);
      const value = obj ? (isCm ? obj.data?.[ref.key] : decodeSecret(obj)[ref.key]) : undefined;
      if (value !== undefined) env[e.name] = String(value);
      else if (!ref.optional) {
        return fail(
          obj
            ? `couldn't find key ${ref.key} in ${isCm ? 'ConfigMap' : 'Secret'} ${ns}/${ref.name}`
            : `${isCm ? 'configmap' : 'secret'} "${ref.name}" not found`,
        );
      }
    } else if (e.valueFrom?.fieldRef) {
      const f = e.valueFrom.fieldRef.fieldPath;
      env[e.name] = f === 'metadata.name' ? ctx.podName : f === 'metadata.namespace' ? ns : '';
    } else env[e.name] = '';
  }
  return { env };
}

function volumeFiles(v: any, ns: string, store: LocalStore): Record<string, Buffer> {
  let data: Record<string, Buffer> = {};
  let items: { key: string; path: string }[] | undefined;
  if (v.configMap) {
    const cm = store.get('ConfigMap', ns, v.configMap.name);
    for (const [k, s] of Object.entries(cm?.data ?? {})) data[k] = Buffer.from(String(s));
    for (const [k, s] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(String(s), 'base64');
    items = v.configMap.items;
  } else if (v.secret) {
    const s = store.get('Secret', ns, v.secret.secretName);
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

/** Writes mounted ConfigMap/Secret files under `<workDir>/mounts<mountPath>` (private to this user: Secrets included). */
export function materialiseMounts(job: K8sObject, workDir: string, store: LocalStore): void {
  const ns = job.metadata.namespace!;
  const root = path.join(workDir, 'mounts');
  const volumes = new Map<string, any>((job.spec.template.spec.volumes ?? []).map((v: any) => [v.name, v]));
  for (const c of job.spec.template.spec.containers as any[]) {
    for (const m of c.volumeMounts ?? []) {
      const v = volumes.get(m.name);
      const target = path.join(root, path.normalize(`/${m.mountPath}`));
      if (!target.startsWith(root)) continue;
      const files = v ? volumeFiles(v, ns, store) : {};
      if (m.subPath) {
        if (files[m.subPath] === undefined) continue;
        mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
        writeFileSync(target, files[m.subPath], { mode: 0o600 });
      } else {
        mkdirSync(target, { recursive: true, mode: 0o700 });
        for (const [k, content] of Object.entries(files)) {
          const f = path.join(target, path.normalize(`/${k}`));
          if (!f.startsWith(target)) continue;
          mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
          writeFileSync(f, content, { mode: 0o600 });
        }
      }
    }
  }
}

/** An argument naming a file under a mount path points at the materialised copy instead. */
export function mapPath(workDir: string, c: any, arg: string): string {
  const root = path.join(workDir, 'mounts');
  for (const m of c.volumeMounts ?? []) {
    const mp = String(m.mountPath).replace(/\/+$/, '');
    if (arg === mp || arg.startsWith(`${mp}/`)) return path.join(root, arg);
  }
  return arg;
}

/** A podFailurePolicy rule that matched a failed pod: the action and the controller's message. */
export interface PolicyMatch {
  action: 'FailJob' | 'Ignore' | 'Count' | 'FailIndex';
  message: string;
}

/**
 * The first podFailurePolicy rule matching a failed pod's exit codes (containers that exited 0 are not checked, as in
 * Kubernetes). Local pods have no disruption conditions, so `onPodConditions` rules never match.
 */
export function matchFailurePolicy(job: K8sObject, pod: { name: string; containers: string[]; exitCodes: (number | null)[] }): PolicyMatch | undefined {
  const rules: any[] = Array.isArray(job.spec?.podFailurePolicy?.rules) ? job.spec.podFailurePolicy.rules : [];
  for (const [i, r] of rules.entries()) {
    const oc = r?.onExitCodes;
    if (!oc) continue;
    const values: number[] = Array.isArray(oc.values) ? oc.values : [];
    for (const [ci, name] of pod.containers.entries()) {
      const code = pod.exitCodes[ci];
      if (code === null || code === 0 || (oc.containerName && oc.containerName !== name)) continue;
      const listed = values.includes(code);
      if ((oc.operator === 'In' && listed) || (oc.operator === 'NotIn' && !listed)) {
        return {
          action: r.action,
          message: `Container ${name} for pod ${job.metadata.namespace}/${pod.name} failed with exit code ${code} matching ${r.action} rule at index ${i}`,
        };
      }
    }
  }
  return undefined;
}

/** What follows a settled pod: the job's end (with its condition) or another attempt after a backoff. */
export function nextStep(job: K8sObject, pod: LocalPod): { type: 'Complete' | 'Failed'; reason?: string; message?: string } | { retryInMs: number } {
  if (pod.phase === 'Succeeded') return { type: 'Complete' };
  if (pod.reason && START_PROBLEMS.has(pod.reason)) return { type: 'Failed', reason: pod.reason, message: pod.waiting?.message };
  if (pod.policy?.action === 'FailJob') return { type: 'Failed', reason: 'PodFailurePolicy', message: pod.policy.message };
  const failures = job.status.failed ?? 0;
  const b = job.spec.backoffLimit;
  const backoffLimit = Number.isInteger(b) && b >= 0 ? b : 6;
  if (failures > backoffLimit) return { type: 'Failed', reason: 'BackoffLimitExceeded', message: `Job has reached the specified backoff limit (${backoffLimit})` };
  return { retryInMs: Math.min(10_000, 500 * Math.max(1, failures)) };
}

/** A job's pods as the API shows them, with why they are not running or how they ended badly. */
export function podInfos(job: K8sObject): PodInfo[] {
  return (((job._local as { pods?: LocalPod[] } | undefined)?.pods) ?? []).map((p) => {
    const problems: PodProblem[] = [];
    if (p.waiting) problems.push(p.waiting);
    p.exitCodes.forEach((code, i) => {
      if (code !== null && code !== 0) {
        // a pod ended on purpose says why (DeadlineExceeded, Shutdown), else how its process ended
        const reason = p.reason ?? (code === 137 ? 'Killed' : 'Error');
        problems.push({ container: p.containers[i], reason, exitCode: code, message: p.messages?.[i] ?? undefined });
      }
    });
    return { name: p.name, phase: p.phase, containers: p.containers, problems };
  });
}
