/**
 * A Kubernetes API test double: a real HTTP server on a loopback port speaking the REST paths and shapes the
 * BenchOps code uses, with a generic in-memory store for any namespaced (or cluster-scoped) resource.
 *
 * - `/api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]]` and `/apis/{group}/{version}/namespaces/{ns}/...`:
 *   POST create (409 AlreadyExists, 422 Invalid names, generateName), GET get/list (labelSelector, fieldSelector),
 *   `watch=true` streaming (ADDED/MODIFIED/DELETED lines), PUT replace, PATCH (merge patch), DELETE (ownerReference
 *   garbage collection unless propagationPolicy=Orphan), `/status` subresource.
 * - cluster-scoped lists: `/api/v1/nodes`, `/api/v1/namespaces`, and `/api/v1/{resource}` across namespaces.
 * - `pods/{name}/log` (container, tailLines, follow=true streams appended text until the pod ends).
 * - `pods/{name}/exec` over WebSocket, subprotocol `v4.channel.k8s.io` (channels 0 stdin, 1 stdout, 2 stderr,
 *   3 status, 4 resize); by default runs the command as a real local process in a temp folder.
 * - discovery (`/api`, `/apis`, `/api/v1`, `/apis/{g}/{v}`) and `/version`.
 * - A tiny job controller (on by default): creating a Job creates its first Pod (Pending), like the real controller.
 * - Hooks: `failNext()` injects API errors, `requests` records every call, helpers change pod phases, job
 *   conditions and pod logs.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { kubeconfigFor } from '../../src/core/kube.ts';

export type Obj = { apiVersion?: string; kind?: string; metadata: Record<string, any>; [k: string]: any };

export interface InjectedError {
  method?: string;
  /** Matched against the request path (no query). */
  path: RegExp | string;
  status: number;
  message?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  ws: WebSocket;
}

interface Watcher {
  key: string;
  url: string;
  namespace?: string;
  filter: (o: Obj) => boolean;
  send: (type: string, o: Obj) => void;
}

const KINDS: Record<string, string> = {
  configmaps: 'ConfigMap',
  secrets: 'Secret',
  services: 'Service',
  pods: 'Pod',
  jobs: 'Job',
  cronjobs: 'CronJob',
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  replicasets: 'ReplicaSet',
  daemonsets: 'DaemonSet',
  nodes: 'Node',
  namespaces: 'Namespace',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  serviceaccounts: 'ServiceAccount',
  events: 'Event',
  roles: 'Role',
  rolebindings: 'RoleBinding',
  ingresses: 'Ingress',
};
const CLUSTER_SCOPED = new Set(['nodes', 'namespaces', 'persistentvolumes', 'clusterroles', 'clusterrolebindings']);
const DISCOVERY: Record<string, string[]> = {
  v1: ['configmaps', 'secrets', 'services', 'pods', 'nodes', 'namespaces', 'persistentvolumeclaims', 'serviceaccounts', 'events'],
  'apps/v1': ['deployments', 'statefulsets', 'replicasets', 'daemonsets'],
  'batch/v1': ['jobs', 'cronjobs'],
};
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const kindOf = (resource: string) =>
  KINDS[resource] ?? resource.charAt(0).toUpperCase() + resource.slice(1).replace(/s$/, '');

/** Parses `a=b,c!=d,e,!f,g in (x,y),h notin (z)` into a predicate on labels. */
export function labelMatcher(selector: string | null): (labels: Record<string, string>) => boolean {
  if (!selector) return () => true;
  const parts = selector.match(/[^,(]+(\([^)]*\))?/g)?.map((s) => s.trim()).filter(Boolean) ?? [];
  const tests = parts.map((p) => {
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const set = m[3].split(',').map((s) => s.trim());
      const [k, neg] = [m[1], m[2] === 'notin'];
      return (l: Record<string, string>) => (k in l && set.includes(l[k])) !== neg;
    }
    if ((m = p.match(/^([^!=]+)!=(.*)$/))) return (l: Record<string, string>) => l[m![1].trim()] !== m![2].trim();
    if ((m = p.match(/^([^!=]+)==?(.*)$/))) return (l: Record<string, string>) => l[m![1].trim()] === m![2].trim();
    if (p.startsWith('!')) return (l: Record<string, string>) => !(p.slice(1) in l);
    return (l: Record<string, string>) => p in l;
  });
  return (labels) => tests.every((t) => t(labels ?? {}));
}

function fieldMatcher(selector: string | null): (o: Obj) => boolean {
  if (!selector) return () => true;
  const tests = selector.split(',').map((p) => {
    const neg = p.includes('!=');
    const [k, v] = p.split(neg ? '!=' : /==?/);
    const get = (o: Obj) => String(k.split('.').reduce((x: any, seg) => x?.[seg], o) ?? '');
    return (o: Obj) => (get(o) === v) !== neg;
  });
  return (o) => tests.every((t) => t(o));
}

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class K8sDouble {
  url = '';
  readonly requests: { method: string; path: string; query: string }[] = [];
  /** Resize frames received on exec channel 4. */
  readonly resizes: { width: number; height: number }[] = [];
  /** Creating a Job creates its first Pod (Pending). */
  simulateJobs = true;
  /** Replace to script exec sessions; the default spawns the command locally. */
  execHandler?: (req: ExecRequest) => void;
  private readonly server: Server;
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false),
  });
  /** resourceKey (`v1/pods`) → `${ns}/${name}` → object. */
  private readonly data = new Map<string, Map<string, Obj>>();
  private readonly logs = new Map<string, string>();
  private readonly logListeners = new Map<string, Set<(chunk: string | null) => void>>();
  private readonly watchers = new Set<Watcher>();
  private readonly errors: InjectedError[] = [];
  private readonly sockets = new Set<Socket>();
  private rv = 1;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(): Promise<K8sDouble> {
    const d = new K8sDouble();
    await new Promise<void>((r) => d.server.listen(0, '127.0.0.1', r));
    d.url = `http://127.0.0.1:${(d.server.address() as AddressInfo).port}`;
    return d;
  }

  /** Kubeconfig YAML pointing at this double. */
  get kubeconfig(): string {
    return kubeconfigFor(this.url, 'double-token');
  }

  /** Writes the kubeconfig to a temp file and returns its path. */
  kubeconfigFile(): string {
    const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'k8s-double-')), 'config');
    writeFileSync(f, this.kubeconfig);
    return f;
  }

  async close(): Promise<void> {
    for (const w of [...this.watchers]) this.watchers.delete(w);
    for (const c of this.wss.clients) c.terminate();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ---- store API for tests ----

  /** Injects an error for the next matching request(s). */
  failNext(e: InjectedError): void {
    this.errors.push({ times: 1, ...e });
  }

  key(resource: string, apiVersion = 'v1'): string {
    return `${apiVersion}/${resource}`;
  }

  get(resource: string, namespace: string, name: string, apiVersion?: string): Obj | undefined {
    return this.bucket(this.key(resource, apiVersion ?? this.defaultVersion(resource))).get(`${namespace}/${name}`);
  }

  list(resource: string, namespace?: string, apiVersion?: string): Obj[] {
    return [...this.bucket(this.key(resource, apiVersion ?? this.defaultVersion(resource))).values()].filter(
      (o) => !namespace || o.metadata.namespace === namespace,
    );
  }

  /** Every object of every resource (for "nothing left behind" checks). */
  all(): Obj[] {
    return [...this.data.values()].flatMap((m) => [...m.values()]);
  }

  /** Creates or replaces an object directly (fires watch events). */
  put(resource: string, obj: Obj, apiVersion?: string): Obj {
    const key = this.key(resource, apiVersion ?? this.defaultVersion(resource));
    const ns = obj.metadata.namespace ?? '';
    const existing = this.bucket(key).get(`${ns}/${obj.metadata.name}`);
    const o: Obj = {
      apiVersion: apiVersion ?? this.defaultVersion(resource),
      kind: kindOf(resource),
      ...obj,
      metadata: {
        uid: existing?.metadata.uid ?? randomUUID(),
        creationTimestamp: existing?.metadata.creationTimestamp ?? new Date().toISOString(),
        ...obj.metadata,
        resourceVersion: String(++this.rv),
      },
    };
    this.bucket(key).set(`${ns}/${o.metadata.name}`, o);
    this.notify(key, existing ? 'MODIFIED' : 'ADDED', o);
    return o;
  }

  addNode(name: string, allocatable: Record<string, string> = { cpu: '8', memory: '32Gi' }, labels: Record<string, string> = {}): Obj {
    return this.put('nodes', {
      metadata: { name, labels },
      status: { allocatable, capacity: allocatable, conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }

  /**
   * Sets a pod's phase (and container states); a finished pod ends its log follows. A failed container's `message` is
   * its termination message (what the kubelet records, e.g. the last log lines with FallbackToLogsOnError).
   */
  setPodPhase(namespace: string, pod: string, phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed', exitCode?: number, message?: string): Obj {
    const p = this.get('pods', namespace, pod);
    if (!p) throw new Error(`no pod ${namespace}/${pod}`);
    const now = new Date().toISOString();
    const code = exitCode ?? (phase === 'Succeeded' ? 0 : 1);
    const state =
      phase === 'Running'
        ? { running: { startedAt: now } }
        : phase === 'Pending'
          ? { waiting: { reason: 'ContainerCreating' } }
          : { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', finishedAt: now, ...(message ? { message } : {}) } };
    const out = this.put('pods', {
      ...p,
      status: {
        ...(p.status ?? {}),
        phase,
        startTime: p.status?.startTime ?? now,
        containerStatuses: (p.spec?.containers ?? []).map((c: any) => ({ name: c.name, ready: phase === 'Running', state })),
      },
    });
    if (phase === 'Succeeded' || phase === 'Failed') for (const c of p.spec?.containers ?? []) this.endLog(namespace, pod, c.name);
    this.syncJobCounters(out);
    return out;
  }

  /** A pending pod whose containers wait with a reason, as the kubelet reports a missing Secret (CreateContainerConfigError). */
  setPodWaiting(namespace: string, pod: string, reason: string, message: string): Obj {
    const p = this.get('pods', namespace, pod);
    if (!p) throw new Error(`no pod ${namespace}/${pod}`);
    return this.put('pods', {
      ...p,
      status: {
        ...(p.status ?? {}),
        phase: 'Pending',
        containerStatuses: (p.spec?.containers ?? []).map((c: any) => ({ name: c.name, ready: false, state: { waiting: { reason, message } } })),
      },
    });
  }

  /** Marks a job Complete or Failed (what the job controller does after its pods end). */
  setJobCondition(namespace: string, job: string, type: 'Complete' | 'Failed', reason?: string, message?: string): Obj {
    const j = this.get('jobs', namespace, job, 'batch/v1');
    if (!j) throw new Error(`no job ${namespace}/${job}`);
    const now = new Date().toISOString();
    return this.put(
      'jobs',
      {
        ...j,
        status: {
          ...(j.status ?? {}),
          active: 0,
          ...(type === 'Complete' ? { completionTime: now } : {}),
          conditions: [{ type, status: 'True', reason, message, lastTransitionTime: now, lastProbeTime: now }],
        },
      },
      'batch/v1',
    );
  }

  /** Appends text to a container's log (streams to followers). */
  appendLog(namespace: string, pod: string, text: string, container?: string): void {
    const c = container ?? this.get('pods', namespace, pod)?.spec?.containers?.[0]?.name ?? '';
    const k = `${namespace}/${pod}/${c}`;
    this.logs.set(k, (this.logs.get(k) ?? '') + text);
    for (const l of this.logListeners.get(k) ?? []) l(text);
  }

  endLog(namespace: string, pod: string, container: string): void {
    for (const l of this.logListeners.get(`${namespace}/${pod}/${container}`) ?? []) l(null);
  }

  /** Number of open watch streams (tests check they are closed). */
  get watchCount(): number {
    return this.watchers.size;
  }

  /** Path and query of every open watch stream. */
  openWatches(): string[] {
    return [...this.watchers].map((w) => w.url);
  }

  // ---- HTTP ----

  private defaultVersion(resource: string): string {
    for (const [gv, list] of Object.entries(DISCOVERY)) if (list.includes(resource)) return gv;
    return 'v1';
  }

  private bucket(key: string): Map<string, Obj> {
    let b = this.data.get(key);
    if (!b) this.data.set(key, (b = new Map()));
    return b;
  }

  private notify(key: string, type: string, o: Obj): void {
    for (const w of this.watchers) {
      if (w.key !== key) continue;
      if (w.namespace && o.metadata.namespace !== w.namespace) continue;
      if (w.filter(o)) w.send(type, o);
    }
  }

  private status(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code }));
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private injected(method: string, p: string): InjectedError | undefined {
    const i = this.errors.findIndex(
      (e) => (!e.method || e.method === method) && (typeof e.path === 'string' ? p.includes(e.path) : e.path.test(p)),
    );
    if (i < 0) return undefined;
    const e = this.errors[i];
    e.times = (e.times ?? 1) - 1;
    if (e.times <= 0) this.errors.splice(i, 1);
    return e;
  }

  private async body(req: IncomingMessage): Promise<any> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : undefined;
  }

  /** Splits a path into its resource address. */
  private route(p: string): { gv: string; ns?: string; resource: string; name?: string; sub?: string } | undefined {
    const segs = p.split('/').filter(Boolean).map(decodeURIComponent);
    let gv: string;
    let rest: string[];
    if (segs[0] === 'api' && segs[1] === 'v1') [gv, rest] = ['v1', segs.slice(2)];
    else if (segs[0] === 'apis' && segs.length >= 3) [gv, rest] = [`${segs[1]}/${segs[2]}`, segs.slice(3)];
    else return undefined;
    if (!rest.length) return undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      return { gv, ns: rest[1], resource: rest[2], name: rest[3], sub: rest.slice(4).join('/') || undefined };
    }
    return { gv, resource: rest[0], name: rest[1], sub: rest.slice(2).join('/') || undefined };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: u.pathname, query: u.search });
    try {
      const inj = this.injected(method, u.pathname);
      if (inj) {
        const reason = inj.status === 404 ? 'NotFound' : inj.status === 409 ? 'AlreadyExists' : inj.status === 403 ? 'Forbidden' : 'InternalError';
        return this.status(res, inj.status, reason, inj.message ?? `injected error ${inj.status}`);
      }
      if (u.pathname === '/version') return this.json(res, 200, { major: '1', minor: '30', gitVersion: 'v1.30.0-benchops-double', platform: 'linux/amd64' });
      if (u.pathname === '/api') return this.json(res, 200, { kind: 'APIVersions', versions: ['v1'] });
      if (u.pathname === '/apis') {
        const groups = Object.keys(DISCOVERY).filter((g) => g !== 'v1').map((gv) => {
          const [name, version] = gv.split('/');
          return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
        });
        return this.json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
      }
      const discovery = u.pathname === '/api/v1' || /^\/apis\/[^/]+\/[^/]+$/.test(u.pathname);
      if (discovery) return this.discovery(res, u.pathname);
      const r = this.route(u.pathname);
      if (!r) return this.status(res, 404, 'NotFound', `the server could not find the requested resource (${u.pathname})`);
      const key = `${r.gv}/${r.resource}`;
      if (r.resource === 'namespaces' && !r.ns) return this.namespaces(req, res, method, r.name);
      if (!r.name) {
        if (method === 'GET') return this.listOrWatch(req, res, u, key, r.resource, r.gv, r.ns);
        if (method === 'POST') {
          if (!r.ns && !CLUSTER_SCOPED.has(r.resource)) return this.status(res, 405, 'MethodNotAllowed', 'namespace required');
          return this.create(res, key, r.resource, r.gv, r.ns, await this.body(req));
        }
        return this.status(res, 405, 'MethodNotAllowed', `${method} not allowed on a collection`);
      }
      const ns = r.ns ?? '';
      if (r.resource === 'pods' && r.sub === 'log') return this.podLog(req, res, u, ns, r.name);
      if (r.resource === 'pods' && r.sub === 'exec') return this.status(res, 400, 'BadRequest', 'Upgrade request required');
      const obj = this.bucket(key).get(`${ns}/${r.name}`);
      const notFound = () => this.status(res, 404, 'NotFound', `${r.resource} "${r.name}" not found`, { name: r.name, kind: r.resource });
      if (method === 'GET') return obj ? this.json(res, 200, obj) : notFound();
      if (!obj) return notFound();
      if (method === 'DELETE') {
        const opts = (await this.body(req).catch(() => undefined)) ?? {};
        const policy = u.searchParams.get('propagationPolicy') ?? opts.propagationPolicy ?? 'Background';
        this.deleteObj(key, obj, policy);
        return this.json(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: r.name, kind: r.resource, uid: obj.metadata.uid } });
      }
      if (method === 'PUT' || method === 'PATCH') {
        const b = await this.body(req);
        const next: Obj =
          method === 'PUT'
            ? r.sub === 'status'
              ? { ...obj, status: b?.status }
              : { ...b, status: obj.status, metadata: { ...b?.metadata, uid: obj.metadata.uid } }
            : mergePatch(obj, r.sub === 'status' ? { status: b?.status } : b);
        next.metadata = { ...next.metadata, name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid };
        return this.json(res, 200, this.put(r.resource, next, r.gv));
      }
      return this.status(res, 405, 'MethodNotAllowed', `${method} not supported`);
    } catch (e: any) {
      if (!res.headersSent) this.status(res, 500, 'InternalError', String(e?.message ?? e));
      else res.end();
    }
  }

  private discovery(res: ServerResponse, p: string): void {
    const gv = p === '/api/v1' ? 'v1' : p.replace(/^\/apis\//, '');
    const resources = (DISCOVERY[gv] ?? []).map((name) => ({
      name,
      singularName: '',
      namespaced: !CLUSTER_SCOPED.has(name),
      kind: kindOf(name),
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    }));
    this.json(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources });
  }

  private namespaces(req: IncomingMessage, res: ServerResponse, method: string, name?: string): void {
    const names = new Set(['default', 'kube-system']);
    for (const o of this.all()) if (o.metadata.namespace) names.add(o.metadata.namespace);
    for (const o of this.list('namespaces')) names.add(o.metadata.name);
    const ns = (n: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n }, status: { phase: 'Active' } });
    if (method !== 'GET') {
      if (method === 'POST') {
        void this.body(req).then((b) => this.json(res, 201, this.put('namespaces', { metadata: { name: b?.metadata?.name } })));
        return;
      }
      return this.status(res, 405, 'MethodNotAllowed', 'not supported');
    }
    if (name) return names.has(name) ? this.json(res, 200, ns(name)) : this.status(res, 404, 'NotFound', `namespaces "${name}" not found`);
    this.json(res, 200, { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items: [...names].map(ns) });
  }

  private create(res: ServerResponse, key: string, resource: string, gv: string, ns: string | undefined, body: any): void {
    if (!body || typeof body !== 'object' || !body.metadata) return this.status(res, 400, 'BadRequest', 'the body must be an object with metadata');
    const meta = { ...body.metadata };
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    if (!meta.name || typeof meta.name !== 'string' || meta.name.length > 253 || !NAME.test(meta.name)) {
      return this.status(res, 422, 'Invalid', `${kindOf(resource)} "${meta.name ?? ''}" is invalid: metadata.name: Invalid value: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`);
    }
    if (ns && meta.namespace && meta.namespace !== ns) {
      return this.status(res, 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    }
    if (ns) meta.namespace = ns;
    if (this.bucket(key).has(`${ns ?? ''}/${meta.name}`)) {
      return this.status(res, 409, 'AlreadyExists', `${resource}${gv.includes('/') ? `.${gv.split('/')[0]}` : ''} "${meta.name}" already exists`, { name: meta.name, kind: resource });
    }
    delete meta.uid;
    delete meta.resourceVersion;
    const obj: Obj = { ...body, apiVersion: gv, kind: kindOf(resource), metadata: meta };
    if (resource === 'jobs') {
      const uid = randomUUID();
      obj.metadata.uid = uid;
      const tpl = obj.spec?.template ?? {};
      const labels = { ...(tpl.metadata?.labels ?? {}), 'controller-uid': uid, 'batch.kubernetes.io/controller-uid': uid, 'job-name': meta.name, 'batch.kubernetes.io/job-name': meta.name };
      obj.spec = { ...obj.spec, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }, template: { ...tpl, metadata: { ...(tpl.metadata ?? {}), labels } } };
      obj.status = {};
    }
    if (resource === 'pods') obj.status = { phase: 'Pending', ...(body.status ?? {}) };
    const created = this.put(resource, obj, gv);
    if (resource === 'jobs' && this.simulateJobs) this.startJobPod(created);
    this.json(res, 201, created);
  }

  /** The job controller's first step: a Pending pod owned by the job. */
  startJobPod(job: Obj): Obj {
    const tpl = job.spec?.template ?? {};
    const pod = this.put('pods', {
      metadata: {
        name: `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`,
        namespace: job.metadata.namespace,
        labels: { ...(tpl.metadata?.labels ?? {}) },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: tpl.spec ?? {},
      status: { phase: 'Pending' },
    });
    this.syncJobCounters(pod);
    return pod;
  }

  private syncJobCounters(pod: Obj): void {
    const owner = (pod.metadata.ownerReferences ?? []).find((r: any) => r.kind === 'Job');
    if (!owner) return;
    const job = this.get('jobs', pod.metadata.namespace, owner.name, 'batch/v1');
    if (!job) return;
    const pods = this.list('pods', pod.metadata.namespace).filter((p) => p.metadata.labels?.['job-name'] === owner.name);
    const n = (ph: string) => pods.filter((p) => p.status?.phase === ph).length;
    const status = {
      ...(job.status ?? {}),
      startTime: job.status?.startTime ?? new Date().toISOString(),
      active: n('Running') + n('Pending'),
      succeeded: n('Succeeded'),
      failed: n('Failed'),
    };
    this.put('jobs', { ...job, status }, 'batch/v1');
  }

  private deleteObj(key: string, obj: Obj, policy: string): void {
    const ns = obj.metadata.namespace ?? '';
    this.bucket(key).delete(`${ns}/${obj.metadata.name}`);
    this.notify(key, 'DELETED', obj);
    if (key.endsWith('/pods')) for (const c of obj.spec?.containers ?? []) this.endLog(ns, obj.metadata.name, c.name);
    if (policy === 'Orphan') return;
    for (const [k, b] of this.data) {
      for (const o of [...b.values()]) {
        if ((o.metadata.ownerReferences ?? []).some((r: any) => r.uid === obj.metadata.uid)) this.deleteObj(k, o, policy);
      }
    }
  }

  private listOrWatch(req: IncomingMessage, res: ServerResponse, u: URL, key: string, resource: string, gv: string, ns?: string): void {
    const lm = labelMatcher(u.searchParams.get('labelSelector'));
    const fm = fieldMatcher(u.searchParams.get('fieldSelector'));
    const filter = (o: Obj) => lm(o.metadata.labels ?? {}) && fm(o);
    const items = [...this.bucket(key).values()].filter((o) => (!ns || o.metadata.namespace === ns) && filter(o));
    if (u.searchParams.get('watch') !== 'true' && u.searchParams.get('watch') !== '1') {
      return this.json(res, 200, { kind: `${kindOf(resource)}List`, apiVersion: gv, metadata: { resourceVersion: String(this.rv) }, items });
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: Watcher = {
      key,
      url: decodeURIComponent(u.pathname + u.search),
      namespace: ns,
      filter,
      send: (type, o) => res.write(`${JSON.stringify({ type, object: o })}\n`),
    };
    if (!u.searchParams.get('resourceVersion')) for (const o of items) w.send('ADDED', o);
    this.watchers.add(w);
    const timeout = Number(u.searchParams.get('timeoutSeconds') ?? 0);
    const t = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    const done = () => {
      if (t) clearTimeout(t);
      this.watchers.delete(w);
    };
    req.on('close', done);
    res.on('close', done);
  }

  private podLog(_req: IncomingMessage, res: ServerResponse, u: URL, ns: string, name: string): void {
    const pod = this.get('pods', ns, name);
    if (!pod) return this.status(res, 404, 'NotFound', `pods "${name}" not found`);
    const containers: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
    let container = u.searchParams.get('container') ?? '';
    if (!container) {
      if (containers.length > 1) {
        return this.status(res, 400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
      }
      container = containers[0] ?? '';
    }
    if (!containers.includes(container)) return this.status(res, 400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    const k = `${ns}/${name}/${container}`;
    let text = this.logs.get(k) ?? '';
    const tail = Number(u.searchParams.get('tailLines') ?? 0);
    if (tail > 0) {
      const lines = text.split('\n');
      const trailing = lines.at(-1) === '';
      if (trailing) lines.pop();
      text = lines.slice(-tail).join('\n') + (trailing && lines.length ? '\n' : '');
    }
    const follow = u.searchParams.get('follow') === 'true';
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    if (text) res.write(text);
    const phase = pod.status?.phase;
    if (!follow || phase === 'Succeeded' || phase === 'Failed') return void res.end();
    const set = this.logListeners.get(k) ?? new Set();
    this.logListeners.set(k, set);
    const l = (chunk: string | null) => {
      if (chunk === null) {
        set.delete(l);
        res.end();
      } else res.write(chunk);
    };
    set.add(l);
    res.on('close', () => set.delete(l));
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const u = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: 'GET', path: u.pathname, query: u.search });
    const fail = (code: number, msg: string) => {
      socket.end(`HTTP/1.1 ${code} ${msg}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ kind: 'Status', status: 'Failure', message: msg, code })}`);
    };
    const inj = this.injected('GET', u.pathname);
    if (inj) return fail(inj.status, inj.message ?? 'injected error');
    const r = this.route(u.pathname);
    if (!r || r.resource !== 'pods' || r.sub !== 'exec' || !r.ns || !r.name) return fail(404, 'Not Found');
    const pod = this.get('pods', r.ns, r.name);
    if (!pod) return fail(404, `pods "${r.name}" not found`);
    if (pod.status?.phase !== 'Running') return fail(400, `cannot exec into a container in a ${String(pod.status?.phase ?? 'pending').toLowerCase()} pod`);
    const containers: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
    const container = u.searchParams.get('container') || containers[0];
    if (!containers.includes(container)) return fail(400, `container ${container} is not valid for pod ${r.name}`);
    const command = u.searchParams.getAll('command');
    if (!command.length) return fail(400, 'you must specify at least 1 command');
    const proto = String(req.headers['sec-websocket-protocol'] ?? '');
    if (!proto.split(',').map((s) => s.trim()).includes('v4.channel.k8s.io')) return fail(400, 'v4.channel.k8s.io subprotocol required');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const exec: ExecRequest = { namespace: r.ns!, pod: r.name!, container, command, ws };
      if (this.execHandler) return this.execHandler(exec);
      this.defaultExec(exec);
    });
  }

  /** Runs the command locally and bridges it to the v4 channel protocol. */
  private defaultExec({ ws, command }: ExecRequest): void {
    const frame = (ch: number, data: Buffer | string) => {
      if (ws.readyState !== ws.OPEN) return;
      const b = Buffer.isBuffer(data) ? data : Buffer.from(data);
      ws.send(Buffer.concat([Buffer.from([ch]), b]));
    };
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'k8s-double-exec-'));
    const shell = ['/bin/bash', '/bin/sh'].includes(command[0]) ? '/bin/sh' : command[0];
    const p = spawn(shell, command.slice(1), { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd }, stdio: 'pipe' });
    p.stdout.on('data', (d) => frame(1, d));
    p.stderr.on('data', (d) => frame(2, d));
    p.stdin.on('error', () => {});
    p.on('error', (e) => {
      frame(3, JSON.stringify({ metadata: {}, status: 'Failure', message: e.message, reason: 'InternalError' }));
      ws.close();
    });
    p.on('close', (code) => {
      frame(3, JSON.stringify(code === 0 ? { metadata: {}, status: 'Success' } : { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: ${code}`, reason: 'NonZeroExitCode' }));
      ws.close();
    });
    ws.on('message', (data: Buffer) => {
      if (!data.length) return;
      const ch = data[0];
      const payload = data.subarray(1);
      if (ch === 0) p.stdin.write(payload);
      else if (ch === 4) {
        try {
          const s = JSON.parse(payload.toString('utf8'));
          this.resizes.push({ width: s.Width ?? s.width, height: s.Height ?? s.height });
        } catch {
          /* ignore */
        }
      }
    });
    ws.on('close', () => p.kill('SIGKILL'));
  }
}
