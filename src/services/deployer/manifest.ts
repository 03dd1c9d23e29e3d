/**
 * Building Kubernetes objects from user YAML: safe parsing, valid unique names, labels, the config ConfigMap mount,
 * env injection and placeholder substitution inside the parsed values (never on the YAML text).
 */
import { parseAllDocuments, stringify } from 'yaml';
import { badRequest } from '../../core/errors.ts';
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

/** Parses multi-document YAML with alias limits; empty documents are dropped. 400 naming what is wrong. */
export function parseManifests(text: string, what: string): K8sObject[] {
  let docs;
  try {
    docs = parseAllDocuments(text, { prettyErrors: true });
  } catch (e: any) {
    throw badRequest(`Malformed ${what} YAML: ${e.message}`);
  }
  const out: K8sObject[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  for (const [i, doc] of list.entries()) {
    if (doc.errors.length) throw badRequest(`Malformed ${what} YAML (document ${i + 1}): ${doc.errors[0].message.split('\n')[0]}`);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 50 });
    } catch (e: any) {
      throw badRequest(`Malformed ${what} YAML (document ${i + 1}): ${e.message}`);
    }
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
    throw badRequest(`${label}: only the admin role may deploy outside the namespace "${opts.defaultNamespace}"`);
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
  const deny = (what: string) => {
    throw badRequest(`${label}: ${what} is not allowed (admin only)`);
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

/** Services operators may create: cluster-internal only (no node ports, load balancers or external IPs). */
function assertInternalService(obj: K8sObject, label: string): void {
  const type = obj.spec?.type ?? 'ClusterIP';
  if (type !== 'ClusterIP') throw badRequest(`${label}: a Service of type ${type} is not allowed (admin only)`);
  if (Array.isArray(obj.spec?.externalIPs) && obj.spec.externalIPs.length) throw badRequest(`${label}: Service externalIPs are not allowed (admin only)`);
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

  let configMap: K8sObject | undefined;
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
  }
  const env: Record<string, string> = { ...(input.env ?? {}) };
  if (input.endpoint) env.VLLM_MODEL_ENDPOINT = input.endpoint;
  for (const c of [...pod.containers, ...(Array.isArray(pod.initContainers) ? pod.initContainers : [])]) {
    for (const [k, v] of Object.entries(env)) setEnv(c, k, v);
    for (const [k, ref] of Object.entries(input.secretEnv ?? {})) setEnvFromSecret(c, k, ref);
    if (configMap) {
      const mounts = (Array.isArray(c.volumeMounts) ? c.volumeMounts : []).filter(
        (m: any) => m?.mountPath !== CONFIG_MOUNT_PATH && m?.name !== CONFIG_VOLUME,
      );
      // subPath keeps the rest of the image's /app/configs visible (jobs read their own files there too).
      mounts.push({ name: CONFIG_VOLUME, mountPath: CONFIG_MOUNT_PATH, subPath: CONFIG_KEY, readOnly: true });
      c.volumeMounts = mounts;
    }
  }

  const extras: K8sObject[] = [];
  for (const d of docs) {
    if (d === job) continue;
    checkAllowed(d, input.namespace, { admin: input.admin, defaultNamespace: input.namespace });
    if (d.kind === 'Job') continue;
    d.metadata.labels = { ...(d.metadata.labels ?? {}), ...labels };
    extras.push(d);
  }
  return { job, configMap, extras, labels };
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
