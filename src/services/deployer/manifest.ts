/**
 * Building Kubernetes objects from user YAML: safe parsing, valid unique names, labels, the config ConfigMap mount,
 * env injection and placeholder substitution inside the parsed values (never on the YAML text).
 */
import { stringify } from 'yaml';
import { AppError, badRequest, forbidden, unprocessable } from '../../core/errors.ts';
import { parseYamlAll, SafeParseError } from '../../core/parse.ts';
import { rewriteJobEnv, type EnvRewrite, type ModelNames } from './endpoint-env.ts';
import type { K8sObject } from './executors/types.ts';

export const CONFIG_MOUNT_PATH = '/app/configs/eval_config.json';
export const CONFIG_KEY = 'eval_config.json';
export const CONFIG_VOLUME = 'benchops-config';
export const LABEL_RUN_ID = 'benchops.io/run-id';
export const LABEL_PROJECT_ID = 'benchops.io/project-id';
export const LABEL_BENCHMARK_TYPE = 'benchops.io/benchmark-type';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const ANNOTATION_LOCAL_COMMAND = 'benchops.io/local-command';
export const ANNOTATION_RUN_NAME = 'benchops.io/run-name';

/** Kinds `/deploy` and `/run` may create: namespaced only. */
export const ALLOWED_KINDS: Record<string, { apiVersion: string; resourceType: string }> = {
  Job: { apiVersion: 'batch/v1', resourceType: 'job' },
  Deployment: { apiVersion: 'apps/v1', resourceType: 'deployment' },
  Service: { apiVersion: 'v1', resourceType: 'service' },
  ConfigMap: { apiVersion: 'v1', resourceType: 'configmap' },
  Secret: { apiVersion: 'v1', resourceType: 'secret' },
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const MAX_CONFIGMAP_BYTES = 1024 * 1024 - 1024;

export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && DNS_SUBDOMAIN.test(s);
}

/** Lower-cases and replaces what a DNS label cannot hold; never empty. */
export function toDnsLabel(s: string, max = 63): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
  return out || 'x';
}

/** A label value (≤63, alphanumeric ends); invalid characters become '-'. */
export function toLabelValue(s: string): string {
  return s
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

export function assertLabels(labels: Record<string, string>, where: string): void {
  for (const [k, v] of Object.entries(labels)) {
    const [prefix, name] = k.includes('/') ? [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)] : [undefined, k];
    if ((prefix !== undefined && !isDnsSubdomain(prefix)) || name.length > 63 || !LABEL_KEY_NAME.test(name)) {
      throw badRequest(`${where}: invalid label key "${k}"`);
    }
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) throw badRequest(`${where}: invalid label value for "${k}"`);
  }
}

/** `<prefix>-<base>-<suffix>` cut so the whole stays a valid DNS label of at most `max` characters. */
export function uniqueName(prefix: string, base: string, suffix: string, max = 63): string {
  const room = max - prefix.length - suffix.length - 2;
  const mid = toDnsLabel(base, Math.max(1, room));
  return `${prefix}-${mid}-${suffix}`.replace(/-+/g, '-');
}

/**
 * Parses multi-document YAML with alias limits; empty documents are dropped. A parse error never quotes the text (it
 * may hold secrets): 422 naming `field` when the YAML is a request field, else 400 (a project file). Structural
 * problems are 400 naming the document.
 */
export function parseManifests(text: string, what: string, field?: (string | number)[]): K8sObject[] {
  let values: unknown[];
  try {
    values = parseYamlAll(text, { maxAliasCount: 50 });
  } catch (e) {
    const msg = `Malformed ${what} YAML: ${e instanceof SafeParseError ? e.message : 'unreadable'}`;
    throw field ? unprocessable(field, msg) : badRequest(msg);
  }
  const out: K8sObject[] = [];
  for (const [i, value] of values.entries()) {
    if (value == null) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw badRequest(`Malformed ${what} YAML (document ${i + 1}): a Kubernetes object (a mapping) is expected`);
    }
    const obj = value as K8sObject;
    if (typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') {
      throw badRequest(`Malformed ${what} YAML (document ${i + 1}): apiVersion and kind are required`);
    }
    if (obj.metadata != null && (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) {
      throw badRequest(`Malformed ${what} YAML (document ${i + 1}): metadata must be a mapping`);
    }
    obj.metadata = obj.metadata ?? ({} as K8sObject['metadata']);
    out.push(obj);
  }
  if (!out.length) throw badRequest(`The ${what} YAML holds no Kubernetes object`);
  return out;
}

/** Multi-document YAML text of objects (keys in insertion order). */
export function toYaml(objs: K8sObject[]): string {
  return objs.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** Checks a document against the allow-list and the namespace; fills the namespace. */
export function checkAllowed(obj: K8sObject, namespace: string, opts: { admin: boolean; defaultNamespace: string }): void {
  const allowed = ALLOWED_KINDS[obj.kind];
  const label = `${obj.kind}/${obj.metadata?.name ?? '?'}`;
  if (!allowed) {
    throw badRequest(`Kind ${obj.kind} is not allowed (allowed: ${Object.keys(ALLOWED_KINDS).join(', ')}; namespaced objects only)`);
  }
  if (obj.apiVersion !== allowed.apiVersion) throw badRequest(`${label}: apiVersion must be ${allowed.apiVersion}`);
  if (typeof obj.metadata.name !== 'string' || !isDnsSubdomain(obj.metadata.name)) {
    throw badRequest(`${label}: metadata.name must be a valid DNS name (lower-case letters, digits, '-', '.')`);
  }
  if ((obj.kind === 'Job' || obj.kind === 'Service' || obj.kind === 'Deployment') && !isDnsLabel(obj.metadata.name)) {
    throw badRequest(`${label}: metadata.name must be a DNS label (at most 63 characters, no dots)`);
  }
  const ns = obj.metadata.namespace ?? namespace;
  if (ns !== namespace) throw badRequest(`${label}: metadata.namespace "${ns}" differs from the request namespace "${namespace}"`);
  if (!opts.admin && ns !== opts.defaultNamespace) {
    throw forbidden(`${label}: only the admin role may deploy outside the namespace "${opts.defaultNamespace}"`);
  }
  obj.metadata.namespace = ns;
  if (obj.metadata.labels) assertLabels(obj.metadata.labels, label);
  const pod = podSpecOf(obj);
  if (pod && !opts.admin) assertUnprivileged(pod, label, { ...(obj.spec?.template?.metadata?.annotations ?? {}) });
  if (obj.kind === 'Service' && !opts.admin) assertInternalService(obj, label);
}

/** The pod spec of a workload object, if any. */
export function podSpecOf(obj: K8sObject): any | undefined {
  if (obj.kind === 'Job' || obj.kind === 'Deployment') return obj.spec?.template?.spec;
  return undefined;
}

/** Capabilities the Kubernetes Pod Security "baseline" profile lets a container add. */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID',
  'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

const unconfined = (v: unknown) => String(v ?? '').toLowerCase() === 'unconfined';

/**
 * Rejects what would escape the pod (SPEC 5), following the Pod Security "baseline" profile: privileged containers,
 * host namespaces and ports, hostPath volumes, capabilities beyond baseline, Unconfined seccomp/AppArmor, unmasked /proc.
 */
export function assertUnprivileged(pod: any, label: string, annotations: Record<string, string> = {}): void {
  // the caller is known and the request well-formed: it is the role that is missing (403, not 400)
  const deny = (what: string): never => {
    throw adminOnly(`${label}: ${what}`);
  };
  for (const k of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (pod[k] === true) deny(`spec.template.spec.${k}`);
  for (const v of pod.volumes ?? []) if (v?.hostPath) deny(`hostPath volume "${v.name}"`);
  if (unconfined(pod.securityContext?.seccompProfile?.type)) deny('an Unconfined seccomp profile');
  if (unconfined(pod.securityContext?.appArmorProfile?.type)) deny('an Unconfined AppArmor profile');
  for (const [k, v] of Object.entries(annotations)) if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && unconfined(v)) deny(`AppArmor "${k}: unconfined"`);
  for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? []), ...(pod.ephemeralContainers ?? [])]) {
    const sc = c?.securityContext ?? {};
    if (sc.privileged === true) deny(`container "${c.name}" running privileged`);
    const added = ((sc.capabilities?.add ?? []) as unknown[]).map((a) => String(a).toUpperCase().replace(/^CAP_/, ''));
    const extra = added.filter((a) => !BASELINE_CAPABILITIES.has(a));
    if (extra.length) deny(`container "${c.name}" adding the capabilities ${extra.join(', ')}`);
    if (unconfined(sc.seccompProfile?.type)) deny(`container "${c.name}" with an Unconfined seccomp profile`);
    if (unconfined(sc.appArmorProfile?.type)) deny(`container "${c.name}" with an Unconfined AppArmor profile`);
    if (sc.procMount && sc.procMount !== 'Default') deny(`container "${c.name}" with procMount ${sc.procMount}`);
    for (const p of c?.ports ?? []) if (p?.hostPort) deny(`container "${c.name}" binding hostPort ${p.hostPort}`);
  }
}

/** What only an admin may apply: 403 saying so. */
export function adminOnly(what: string): AppError {
  return forbidden(`${what} is not allowed for the operator role (admin only)`);
}

/** Services operators may create: cluster-internal only (no node ports, load balancers or external IPs). */
function assertInternalService(obj: K8sObject, label: string): void {
  const type = obj.spec?.type ?? 'ClusterIP';
  if (type !== 'ClusterIP') throw adminOnly(`${label}: a Service of type ${type}`);
  if (Array.isArray(obj.spec?.externalIPs) && obj.spec.externalIPs.length) throw adminOnly(`${label}: Service externalIPs`);
}

/** Replaces placeholder tokens inside every string value of a parsed document (not keys, not the YAML text). */
export function substitute<T>(value: T, subs: Record<string, string>): T {
  const keys = Object.keys(subs).filter(Boolean);
  if (!keys.length) return value;
  const esc = keys.sort((a, b) => b.length - a.length).map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp(`(?<![A-Za-z0-9_])(${esc.join('|')})(?![A-Za-z0-9_])`, 'g');
  const walk = (v: any): any => {
    if (typeof v === 'string') return v.replace(re, (m) => subs[m]);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

/** Sets an env variable in a container: replaces the first same-named entry (keeping its position), drops the others. */
export function setEnv(container: any, name: string, value: string): void {
  const env: any[] = Array.isArray(container.env) ? container.env : [];
  const idx = env.findIndex((e) => e?.name === name);
  const entry = { name, value };
  const rest = env.filter((e, i) => e?.name !== name || i === idx);
  if (idx >= 0) rest[rest.findIndex((e) => e?.name === name)] = entry;
  else rest.push(entry);
  container.env = rest;
}

/** Sets `name` from a Secret key (valueFrom), replacing any entry of that name. */
export function setEnvFromSecret(container: any, name: string, ref: { name: string; key: string }): void {
  setEnv(container, name, '');
  const entry = container.env.find((e: any) => e?.name === name);
  delete entry.value;
  entry.valueFrom = { secretKeyRef: { name: ref.name, key: ref.key, optional: true } };
}

export interface RunBuildInput {
  jobYaml: string;
  config?: string;
  runName: string;
  deploymentId: string;
  namespace: string;
  projectId: string;
  benchmarkType: string;
  endpoint?: string;
  /** The model the endpoint serves (the queue knows it): fills the job's declared model variables. */
  model?: ModelNames;
  /** Where this platform's Results service is for jobs: replaces a declared BACKEND_API-style URL. */
  resultsUrl?: string;
  /** Results writes need a bearer token (platform tokens on): warn when an image other than ours posts. */
  tokensRequired?: boolean;
  env?: Record<string, string>;
  /** Variables read from Secret keys in the job's namespace (e.g. the runner's BENCHOPS_TOKEN); never inlined. */
  secretEnv?: Record<string, { name: string; key: string }>;
  labels?: Record<string, string>;
  substitutions?: Record<string, string>;
  admin: boolean;
}

export interface RunManifests {
  job: K8sObject;
  configMap?: K8sObject;
  /** Other objects of the job file (created after the Job, owned by it). */
  extras: K8sObject[];
  labels: Record<string, string>;
  /** Declared variables rewritten to point at the run's endpoint, model and results service. */
  rewrites: EnvRewrite[];
  /** Where the chosen config is mounted (eval_config.json, plus paths the job's arguments name). */
  configMounts: string[];
  /** What the run does differently from what the job file says, or cannot do (said back, never silent). */
  warnings: string[];
  /** Pods the run's load is split over (an Indexed Job's completions; 1 otherwise). */
  parts: number;
}

/** Images that run `benchops job run`: ghcr.io/benchops/benchops (any tag), benchops, benchops-runner. */
export const RUNNER_IMAGE = /^(?:(?:ghcr\.io\/)?benchops\/benchops|benchops|benchops-runner|(?:[\w.-]+(?::\d+)?\/)?benchops\/benchops-runner)(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** The runner's exit code for configuration errors: retrying cannot help, so the job fails at once. */
export const RUNNER_CONFIG_EXIT = 2;

const CONFIG_DIR = '/app/configs/';
const CONFIG_PATH = /\/app\/configs\/(?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]*[A-Za-z0-9_-]\.[A-Za-z0-9]+/g;
const CONFIG_FLAG = /^--?(?:config|c|cfg|config[-_]?file|config[-_]?path|conf)$/i;

/**
 * The `/app/configs/<file>` paths a container's command, args and env name for its config: the value of a config flag
 * (`--config /app/configs/x.json`, `--config=…`) or of a *CONFIG* variable; else, when it names exactly one such path,
 * that one. Other named paths are returned apart (they stay the image's own files).
 */
export function namedConfigPaths(c: any): { mount: string[]; others: string[] } {
  const words = [...(Array.isArray(c.command) ? c.command : []), ...(Array.isArray(c.args) ? c.args : [])].map(String);
  const flagged = new Set<string>();
  const all = new Set<string>();
  const scan = (text: string, isConfig: boolean) => {
    for (const m of text.matchAll(CONFIG_PATH)) {
      if (m[0] === CONFIG_MOUNT_PATH) continue;
      all.add(m[0]);
      if (isConfig) flagged.add(m[0]);
    }
  };
  for (const [i, w] of words.entries()) {
    const eq = /^(--?[A-Za-z][\w-]*)=(.*)$/s.exec(w);
    if (eq) scan(eq[2], CONFIG_FLAG.test(eq[1]));
    else scan(w, i > 0 && CONFIG_FLAG.test(words[i - 1]));
  }
  for (const e of Array.isArray(c.env) ? c.env : []) {
    if (typeof e?.value === 'string') scan(e.value, /CONFIG/i.test(String(e.name)));
  }
  const mount = flagged.size ? [...flagged] : all.size === 1 ? [...all] : [];
  return { mount, others: [...all].filter((p) => !mount.includes(p)) };
}

/**
 * A podFailurePolicy failing the Job at once when a runner container exits with the configuration-error code (no
 * retries up to backoffLimit), or undefined when the job has its own policy or cannot have one (restartPolicy Never
 * is required; only runner images are known to mean "configuration error" by exit code 2).
 */
export function runnerFailurePolicy(pod: any, existing: unknown): Record<string, unknown> | undefined {
  if (existing !== undefined || pod.restartPolicy !== 'Never') return undefined;
  const runners = (pod.containers as any[]).filter((c) => RUNNER_IMAGE.test(String(c.image ?? '')));
  if (!runners.length) return undefined;
  return {
    rules: runners.map((c) => ({ action: 'FailJob', onExitCodes: { containerName: c.name, operator: 'In', values: [RUNNER_CONFIG_EXIT] } })),
  };
}

/** The variable telling the runner how many parts the run is split into (JOB_COMPLETION_INDEX says which one). */
export const PARTS_ENV = 'BENCHOPS_JOB_PARTS';
/** Pods one run may be split over (the results service merges at most this many parts). */
export const MAX_JOB_PARTS = 64;

/**
 * A Job whose spec says `completionMode: Indexed` runs as many pods as `completions`, each with JOB_COMPLETION_INDEX
 * (Kubernetes sets it; the local executor too): every container is told the number of parts (BENCHOPS_JOB_PARTS) so a
 * runner takes its share of the load and posts a part the results service merges into one run. `parallelism`
 * defaults to `completions`: fewer would run the parts in waves, not as one load (said back as a warning). A
 * NonIndexed Job with several completions would run the whole benchmark several times: said back too.
 */
export function applyIndexedParts(job: K8sObject, containers: any[], warnings: string[]): number {
  const spec = job.spec;
  const mode = spec.completionMode ?? 'NonIndexed';
  if (mode !== 'Indexed' && mode !== 'NonIndexed') throw badRequest(`The Job's spec.completionMode must be Indexed or NonIndexed, got ${JSON.stringify(mode)}`);
  if (mode === 'NonIndexed') {
    if ((Number(spec.completions) > 1 || Number(spec.parallelism) > 1) && containers.some((c) => RUNNER_IMAGE.test(String(c.image ?? '')))) {
      warnings.push('the Job runs several pods without completionMode: Indexed: each pod runs the whole benchmark and stores its own result (set completionMode: Indexed to split one load over the pods and merge it into one run)');
    }
    return 1;
  }
  const n = spec.completions;
  if (!Number.isInteger(n) || n < 1 || n > MAX_JOB_PARTS) throw badRequest(`An Indexed Job needs spec.completions, an integer in 1..${MAX_JOB_PARTS} (the number of parts)`);
  if (spec.parallelism === undefined) spec.parallelism = n;
  const p = spec.parallelism;
  if (!Number.isInteger(p) || p < 1) throw badRequest('spec.parallelism must be a positive integer');
  if (p < n) warnings.push(`spec.parallelism ${p} < completions ${n}: the parts run in waves, so the server never sees the whole load at once`);
  for (const c of containers) setEnv(c, PARTS_ENV, String(n));
  return n;
}

/** Builds the Job (and its config ConfigMap) of a `/run` from the job file and the config content. */
export function buildRunManifests(input: RunBuildInput): RunManifests {
  let docs = parseManifests(input.jobYaml, 'job');
  if (input.substitutions) docs = substitute(docs, input.substitutions);
  const jobs = docs.filter((d) => d.kind === 'Job');
  if (jobs.length !== 1) throw badRequest(`The job file must hold exactly one Job (found ${jobs.length})`);
  const suffix = input.deploymentId.replace(/-/g, '').slice(0, 8);
  const jobName = uniqueName('benchmark-job', input.runName, suffix);
  const labels: Record<string, string> = {
    ...(input.labels ?? {}),
    [LABEL_RUN_ID]: input.deploymentId,
    [LABEL_PROJECT_ID]: toLabelValue(input.projectId) || 'unknown',
    [LABEL_BENCHMARK_TYPE]: toLabelValue(input.benchmarkType) || 'unknown',
    [LABEL_MANAGED_BY]: 'benchops',
  };
  assertLabels(labels, 'labels');
  const job = jobs[0];
  if (job.apiVersion !== 'batch/v1') throw badRequest('The Job must use apiVersion batch/v1');
  const pod = job.spec?.template?.spec;
  if (!pod || !Array.isArray(pod.containers) || !pod.containers.length) {
    throw badRequest('The Job has no containers (spec.template.spec.containers)');
  }
  for (const [i, c] of pod.containers.entries()) {
    if (!c || typeof c !== 'object' || typeof c.name !== 'string' || !c.name) {
      throw badRequest(`The Job's container ${i + 1} has no name`);
    }
  }
  if (!input.admin) assertUnprivileged(pod, `Job/${jobName}`, { ...(job.spec?.template?.metadata?.annotations ?? {}) });
  const meta = job.metadata;
  for (const k of ['uid', 'resourceVersion', 'generateName', 'creationTimestamp', 'selfLink', 'managedFields', 'ownerReferences']) delete meta[k];
  delete job.status;
  meta.name = jobName;
  meta.namespace = input.namespace;
  meta.labels = { ...(meta.labels ?? {}), ...labels };
  meta.annotations = { ...(meta.annotations ?? {}), [ANNOTATION_RUN_NAME]: input.runName };
  if (meta.labels) assertLabels(meta.labels, `Job/${jobName}`);
  job.spec.template.metadata = job.spec.template.metadata ?? {};
  job.spec.template.metadata.labels = { ...(job.spec.template.metadata.labels ?? {}), ...labels };
  // A pod template selector must not be copied from another job: the controller generates it.
  delete job.spec.selector;
  delete job.spec.manualSelector;
  if (!pod.restartPolicy || pod.restartPolicy === 'Always') pod.restartPolicy = 'Never';
  const warnings: string[] = [];
  const containers: any[] = [...pod.containers, ...(Array.isArray(pod.initContainers) ? pod.initContainers : [])];
  const parts = applyIndexedParts(job, pod.containers, warnings);

  let configMap: K8sObject | undefined;
  const configMounts: string[] = [];
  if (input.config !== undefined) {
    if (Buffer.byteLength(input.config) > MAX_CONFIGMAP_BYTES) throw badRequest('The config file is larger than a ConfigMap can hold (1 MiB)');
    const cmName = uniqueName('benchmark-config', input.runName, suffix);
    configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: cmName, namespace: input.namespace, labels: { ...labels } },
      data: { [CONFIG_KEY]: input.config },
    };
    pod.volumes = (Array.isArray(pod.volumes) ? pod.volumes : []).filter((v: any) => v?.name !== CONFIG_VOLUME);
    pod.volumes.push({ name: CONFIG_VOLUME, configMap: { name: cmName } });
    configMounts.push(CONFIG_MOUNT_PATH);
    for (const c of containers) {
      const named = namedConfigPaths(c);
      const paths = [CONFIG_MOUNT_PATH, ...named.mount];
      const own = (Array.isArray(c.volumeMounts) ? c.volumeMounts : []).filter((m: any) => m?.name !== CONFIG_VOLUME);
      for (const m of own) {
        if (named.mount.includes(m?.mountPath)) warnings.push(`container "${c.name}": its own mount at ${m.mountPath} is replaced by the chosen config`);
      }
      // subPath mounts keep the rest of the image's /app/configs visible (jobs read their own files there too)
      c.volumeMounts = [
        ...own.filter((m: any) => !paths.includes(m?.mountPath)),
        ...paths.map((p) => ({ name: CONFIG_VOLUME, mountPath: p, subPath: CONFIG_KEY, readOnly: true })),
      ];
      for (const p of named.mount) if (!configMounts.includes(p)) configMounts.push(p);
      if (named.others.length) {
        warnings.push(
          `container "${c.name}" names ${named.others.join(', ')} under ${CONFIG_DIR}; the chosen config is mounted at ` +
            `${paths.join(' and ')} only, so ${named.others.length > 1 ? 'those files come' : 'that file comes'} from the image`,
        );
      }
    }
  }
  const annotations = { ...(meta.annotations ?? {}), ...(job.spec.template.metadata.annotations ?? {}) };
  const { rewrites, warnings: envWarnings } = rewriteJobEnv(pod, {
    endpoint: input.endpoint,
    model: input.model,
    resultsUrl: input.resultsUrl,
    annotations,
  });
  warnings.push(...envWarnings);
  for (const c of containers) {
    for (const [k, v] of Object.entries(input.env ?? {})) {
      setEnv(c, k, v);
      // an explicit variable of the caller wins over the rewrite: report what the container really gets
      for (const r of rewrites) if (r.container === c.name && r.name === k) r.to = v;
    }
    for (const [k, ref] of Object.entries(input.secretEnv ?? {})) setEnvFromSecret(c, k, ref);
    // a container that fails before writing a termination message reports its last log lines instead
    if (c.terminationMessagePolicy === undefined) c.terminationMessagePolicy = 'FallbackToLogsOnError';
  }
  if (input.tokensRequired) {
    for (const r of rewrites) {
      const c = containers.find((x) => x.name === r.container);
      if (r.family === 'results' && c && !RUNNER_IMAGE.test(String(c.image ?? ''))) {
        warnings.push(
          `container "${r.container}" posts results to ${r.name} without a bearer token, and this platform requires one: ` +
            'the Results service answers 401 (see the README, "Earlier images and tokens")',
        );
      }
    }
  }
  const policy = runnerFailurePolicy(pod, job.spec.podFailurePolicy);
  if (policy) job.spec.podFailurePolicy = policy;

  const extras: K8sObject[] = [];
  for (const d of docs) {
    if (d === job) continue;
    checkAllowed(d, input.namespace, { admin: input.admin, defaultNamespace: input.namespace });
    if (d.kind === 'Job') continue;
    d.metadata.labels = { ...(d.metadata.labels ?? {}), ...labels };
    extras.push(d);
  }
  return { job, configMap, extras, labels, rewrites, configMounts, warnings, parts };
}

/** An ownerReference to a created object (garbage collection removes dependents with their owner). */
export function ownerRef(owner: K8sObject): Record<string, unknown> {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: false,
    blockOwnerDeletion: true,
  };
}

/** A copy with Secret values replaced, for storing and returning YAML (SPEC 5: secrets never echoed back). */
export function redactSecrets(objs: K8sObject[]): K8sObject[] {
  return objs.map((o) => {
    if (o.kind !== 'Secret') return o;
    const c = structuredClone(o);
    for (const f of ['data', 'stringData']) {
      if (c[f] && typeof c[f] === 'object') c[f] = Object.fromEntries(Object.keys(c[f]).map((k) => [k, '[redacted]']));
    }
    return c;
  });
}

export function resourceTypeOf(kind: string): 'job' | 'deployment' | 'service' | 'configmap' | 'secret' | 'unknown' {
  return (ALLOWED_KINDS[kind]?.resourceType ?? 'unknown') as any;
}
