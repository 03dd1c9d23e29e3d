/**
 * The Kubernetes executor: typed @kubernetes/client-node 1.x calls (object-parameter API) for create/get/delete,
 * `Watch` for job status, `Log` for following pod logs, `Exec` for terminals. Every call is asynchronous.
 */
import { PassThrough, Writable, type Writable as WritableT } from 'node:stream';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  Log,
  VersionApi,
  Watch,
} from '@kubernetes/client-node';
import { AppError, badRequest, conflict, notFound } from '../../../core/errors.ts';
import {
  computeJobStatus,
  NORMAL_WAITING,
  TERMINAL_PHASES,
  type PodProblem,
  type ExecHandlers,
  type ExecSession,
  type Executor,
  type JobStatus,
  type K8sObject,
  type LogOptions,
  type PodInfo,
} from './types.ts';

/** Plain JSON (dates as ISO strings) from the client's typed objects. */
const plain = <T>(o: T): any => JSON.parse(JSON.stringify(o));

function apiMessage(e: any): string {
  let body = e?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* plain text */
    }
  }
  return (typeof body === 'object' && body?.message) || (typeof body === 'string' && body) || e?.message || String(e);
}

/** Maps a Kubernetes API error to an AppError that says which object and why. */
export function k8sError(e: any, what: string): AppError {
  if (e instanceof AppError) return e;
  const code = typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : 0;
  const msg = apiMessage(e);
  if (code === 404) return notFound(`${what} not found: ${msg}`);
  if (code === 409) return conflict(`${what} already exists: ${msg}`);
  if (code === 400 || code === 422) return badRequest(`Kubernetes rejected ${what}: ${msg}`);
  return new AppError(500, `Kubernetes API error on ${what}${code ? ` (HTTP ${code})` : ''}: ${msg}`, 'kubernetes');
}

/**
 * What keeps a pod from running, or how its containers ended badly: unschedulable or evicted pods, waiting reasons
 * other than the normal start (CreateContainerConfigError, ImagePullBackOff…), non-zero exits with their
 * termination message (the last log lines, with terminationMessagePolicy FallbackToLogsOnError).
 */
export function podProblems(pod: any): PodProblem[] {
  const out: PodProblem[] = [];
  const st = pod?.status ?? {};
  const unschedulable = (st.conditions ?? []).find((c: any) => c.type === 'PodScheduled' && c.status === 'False' && c.reason);
  if (unschedulable) out.push({ container: '', reason: unschedulable.reason, message: unschedulable.message });
  if (st.reason) out.push({ container: '', reason: st.reason, message: st.message });
  for (const cs of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
    const w = cs?.state?.waiting;
    const t = cs?.state?.terminated;
    if (w?.reason && !NORMAL_WAITING.has(w.reason)) out.push({ container: cs.name, reason: w.reason, message: w.message });
    else if (t && t.exitCode !== 0) out.push({ container: cs.name, reason: t.reason ?? 'Error', message: t.message, exitCode: t.exitCode });
  }
  return out;
}

export class KubernetesExecutor implements Executor {
  readonly kind = 'kubernetes' as const;
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;
  private readonly apps: AppsV1Api;
  private readonly watches = new Set<() => void>();

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
  }

  async create(obj: K8sObject): Promise<K8sObject> {
    const namespace = obj.metadata.namespace!;
    const what = `${obj.kind} ${obj.metadata.name} in namespace ${namespace}`;
    const body = obj as any;
    try {
      switch (obj.kind) {
        case 'Job':
          return plain(await this.batch.createNamespacedJob({ namespace, body }));
        case 'ConfigMap':
          return plain(await this.core.createNamespacedConfigMap({ namespace, body }));
        case 'Secret':
          return plain(await this.core.createNamespacedSecret({ namespace, body }));
        case 'Service':
          return plain(await this.core.createNamespacedService({ namespace, body }));
        case 'Deployment':
          return plain(await this.apps.createNamespacedDeployment({ namespace, body }));
        default:
          throw badRequest(`Kind ${obj.kind} is not supported`);
      }
    } catch (e) {
      throw k8sError(e, what);
    }
  }

  async get(kind: string, name: string, namespace: string): Promise<K8sObject | null> {
    try {
      switch (kind) {
        case 'Job':
          return plain(await this.batch.readNamespacedJob({ name, namespace }));
        case 'ConfigMap':
          return plain(await this.core.readNamespacedConfigMap({ name, namespace }));
        case 'Secret':
          return plain(await this.core.readNamespacedSecret({ name, namespace }));
        case 'Service':
          return plain(await this.core.readNamespacedService({ name, namespace }));
        case 'Deployment':
          return plain(await this.apps.readNamespacedDeployment({ name, namespace }));
        default:
          throw badRequest(`Kind ${kind} is not supported`);
      }
    } catch (e: any) {
      if (e?.code === 404) return null;
      throw k8sError(e, `${kind} ${name} in namespace ${namespace}`);
    }
  }

  async remove(kind: string, name: string, namespace: string): Promise<boolean> {
    const propagationPolicy = 'Background';
    try {
      switch (kind) {
        case 'Job':
          await this.batch.deleteNamespacedJob({ name, namespace, propagationPolicy });
          break;
        case 'ConfigMap':
          await this.core.deleteNamespacedConfigMap({ name, namespace });
          break;
        case 'Secret':
          await this.core.deleteNamespacedSecret({ name, namespace });
          break;
        case 'Service':
          await this.core.deleteNamespacedService({ name, namespace });
          break;
        case 'Deployment':
          await this.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy });
          break;
        default:
          throw badRequest(`Kind ${kind} is not supported`);
      }
      return true;
    } catch (e: any) {
      if (e?.code === 404) return false;
      throw k8sError(e, `${kind} ${name} in namespace ${namespace}`);
    }
  }

  async jobStatus(name: string, namespace: string): Promise<JobStatus> {
    const job = await this.get('Job', name, namespace);
    if (!job) throw notFound(`Job ${name} not found in namespace ${namespace}`);
    let pods: PodInfo[] | null = null;
    try {
      pods = await this.listPods(name, namespace);
    } catch {
      pods = null; // reference 2.3: fall back to the job's own counters
    }
    return computeJobStatus(job, pods, namespace);
  }

  watchJob(name: string, namespace: string, onChange: (s: JobStatus) => void): () => void {
    let stopped = false;
    let controller: AbortController | undefined;
    let timer: NodeJS.Timeout | undefined;
    let last = '';
    const emit = (s: JobStatus) => {
      const key = JSON.stringify(s);
      if (key === last) return;
      last = key;
      onChange(s);
      if (TERMINAL_PHASES.includes(s.status)) stop();
    };
    const start = async () => {
      if (stopped) return;
      try {
        controller = await new Watch(this.kc).watch(
          `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`,
          { fieldSelector: `metadata.name=${name}`, allowWatchBookmarks: false },
          (type, obj) => {
            if (stopped) return;
            if (type === 'DELETED') emit({ ...computeJobStatus(obj, null, namespace), status: 'deleted', message: 'The job was deleted' });
            else if (type === 'ADDED' || type === 'MODIFIED') {
              const s = computeJobStatus(obj, null, namespace);
              // a failed job's status carries its pods' last output: fetched once, at the end
              if (s.status !== 'failed') emit(s);
              else void this.listPods(name, namespace).then((pods) => emit(computeJobStatus(obj, pods, namespace)), () => emit(s));
            }
          },
          () => {
            if (!stopped) timer = setTimeout(() => void start(), 1000);
          },
        );
        if (stopped) controller.abort();
      } catch {
        if (!stopped) timer = setTimeout(() => void start(), 2000);
      }
    };
    const stop = () => {
      if (stopped) return;
      stopped = true;
      this.watches.delete(stop);
      if (timer) clearTimeout(timer);
      controller?.abort();
    };
    this.watches.add(stop);
    void start();
    return stop;
  }

  async listPods(jobName: string, namespace: string): Promise<PodInfo[]> {
    try {
      const list = await this.core.listNamespacedPod({ namespace, labelSelector: `job-name=${jobName}` });
      return list.items.map((p) => ({
        name: p.metadata!.name!,
        phase: p.status?.phase ?? 'Pending',
        containers: (p.spec?.containers ?? []).map((c) => c.name),
        problems: podProblems(plain(p)),
      }));
    } catch (e) {
      throw k8sError(e, `pods of job ${jobName} in namespace ${namespace}`);
    }
  }

  async readLogs(namespace: string, pod: string, container: string, opts: LogOptions): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({ name: pod, namespace, container, tailLines: opts.tailLines });
    } catch (e) {
      throw k8sError(e, `log of pod ${pod}`);
    }
  }

  async followLogs(namespace: string, pod: string, container: string, opts: LogOptions, out: WritableT, signal: AbortSignal): Promise<void> {
    const sink = new PassThrough();
    sink.on('data', (d) => out.write(d));
    const ended = new Promise<void>((resolve) => {
      sink.on('end', resolve);
      sink.on('close', resolve);
      sink.on('error', () => resolve());
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    let ctl: AbortController;
    try {
      ctl = await new Log(this.kc).log(namespace, pod, container, sink, { follow: true, tailLines: opts.tailLines });
    } catch (e) {
      throw k8sError(e, `log of pod ${pod}`);
    }
    const onAbort = () => ctl.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    await ended;
    signal.removeEventListener('abort', onAbort);
    ctl.abort();
  }

  async exec(namespace: string, pod: string, container: string, shell: string, h: ExecHandlers): Promise<ExecSession> {
    const stdin = new PassThrough();
    const stdout = Object.assign(
      new Writable({
        write(chunk, _enc, cb) {
          h.stdout(chunk.toString('utf8'));
          cb();
        },
      }),
      { rows: 24, columns: 80 },
    );
    const stderr = new Writable({
      write(chunk, _enc, cb) {
        h.stderr(chunk.toString('utf8'));
        cb();
      },
    });
    let done = false;
    const finish = (err?: string) => {
      if (done) return;
      done = true;
      h.exit(err);
    };
    let ws;
    try {
      ws = await new Exec(this.kc).exec(namespace, pod, container, [shell], stdout, stderr, stdin, true, (st) => {
        finish(st.status === 'Success' ? undefined : st.message || st.reason || 'the shell ended with an error');
      });
    } catch (e: any) {
      throw new AppError(502, `Cannot exec into pod ${pod}: ${e?.message ?? e}`, 'kubernetes');
    }
    ws.on('close', () => finish());
    ws.on('error', (e: any) => finish(String(e?.message ?? e)));
    return {
      write: (d) => stdin.write(d),
      resize: (rows, cols) => {
        stdout.rows = rows;
        stdout.columns = cols;
        stdout.emit('resize');
      },
      close: () => {
        stdin.end();
        ws.close();
      },
    };
  }

  async health(): Promise<string> {
    try {
      await this.kc.makeApiClient(VersionApi).getCode();
      return 'ok';
    } catch (e: any) {
      return `down: ${apiMessage(e)}`;
    }
  }

  async close(): Promise<void> {
    for (const stop of [...this.watches]) stop();
  }
}
