/**
 * The cluster registry: `local` (built in: this machine, emulated vLLM servers, devices from BENCHOPS_LOCAL_DEVICES or
 * one CPU), `default` (built in when the executor is Kubernetes: in-cluster config or KUBECONFIG), and clusters added
 * by kubeconfig, stored encrypted. Each resolves to a ServingBackend, created once and cached.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { AppError, conflict, notFound } from '../../core/errors.ts';
import type { Db } from '../../core/db/client.ts';
import type { SecretBox } from '../../core/secrets.ts';
import { iso } from '../../core/http.ts';
import { KubernetesBackend } from './backends/kubernetes.ts';
import { LocalBackend } from './backends/local.ts';
import type { ServingBackend } from './backends/types.ts';
import type { LocalDevice } from './devices.ts';
import { loadKubeconfigContent } from './kubeconfig.ts';
import { vllmClusters } from './schema.ts';

export interface ClusterView {
  id: string;
  name: string;
  kind: 'local' | 'kubernetes';
  namespace: string;
  built_in: boolean;
  has_kubeconfig: boolean;
  context: string | null;
  created_at: string | null;
}

export interface ClusterRegistryOptions {
  db: Db;
  secrets: SecretBox;
  log: Logger;
  namespace: string;
  localDevices: LocalDevice[];
  /** Built-in `default` Kubernetes cluster (cluster mode). */
  kubernetesDefault: boolean;
  /** Overrides the emulated-server command (tests). */
  simCommand?: string[];
  simReadyTimeoutMs?: number;
  /** Where the local backend keeps its emulated servers' heartbeat files. */
  heartbeatDir?: string;
}

const inCluster = () => !!process.env.KUBERNETES_SERVICE_HOST;

export class ClusterRegistry {
  private readonly backends = new Map<string, ServingBackend>();

  constructor(private readonly opts: ClusterRegistryOptions) {}

  private builtIns(): ClusterView[] {
    const out: ClusterView[] = [
      { id: 'local', name: 'local', kind: 'local', namespace: 'local', built_in: true, has_kubeconfig: false, context: null, created_at: null },
    ];
    if (this.opts.kubernetesDefault) {
      out.push({ id: 'default', name: 'default', kind: 'kubernetes', namespace: this.opts.namespace, built_in: true, has_kubeconfig: false, context: null, created_at: null });
    }
    return out;
  }

  async list(): Promise<ClusterView[]> {
    const rows = await this.opts.db.select().from(vllmClusters).orderBy(vllmClusters.createdAt);
    return [...this.builtIns(), ...rows.map(toView)];
  }

  async get(id: string): Promise<ClusterView> {
    const b = this.builtIns().find((c) => c.id === id);
    if (b) return b;
    const [row] = await this.opts.db.select().from(vllmClusters).where(eq(vllmClusters.id, id));
    if (!row) throw notFound(`Cluster ${id} not found`);
    return toView(row);
  }

  /** Registers a kubeconfig cluster; the kubeconfig must load (and name the context, when given). */
  async add(body: { name: string; kubeconfig: string; context?: string | null; namespace?: string | null }): Promise<ClusterView> {
    if (this.builtIns().some((c) => c.name === body.name)) throw conflict(`Cluster name ${body.name} is reserved`);
    // content only (never a path on this server), with errors that never quote it
    loadKubeconfigContent(body.kubeconfig, body.context);
    const [dup] = await this.opts.db.select({ id: vllmClusters.id }).from(vllmClusters).where(eq(vllmClusters.name, body.name));
    if (dup) throw conflict(`Cluster ${body.name} already exists`);
    const [row] = await this.opts.db
      .insert(vllmClusters)
      .values({
        id: randomUUID(),
        name: body.name,
        kind: 'kubeconfig',
        kubeconfigEnc: this.opts.secrets.encrypt(body.kubeconfig),
        context: body.context ?? null,
        namespace: body.namespace ?? this.opts.namespace,
      })
      .returning();
    return toView(row);
  }

  async remove(id: string): Promise<void> {
    if (this.builtIns().some((c) => c.id === id)) throw conflict(`Cluster ${id} is built in`);
    const deleted = await this.opts.db.delete(vllmClusters).where(eq(vllmClusters.id, id)).returning({ id: vllmClusters.id });
    if (!deleted.length) throw notFound(`Cluster ${id} not found`);
    const b = this.backends.get(id);
    this.backends.delete(id);
    await b?.close();
  }

  /** The backend serving a cluster (created on first use). */
  async backend(id: string): Promise<ServingBackend> {
    const cached = this.backends.get(id);
    if (cached) return cached;
    let b: ServingBackend;
    // loaded on demand: the local cluster needs no Kubernetes client
    const kube = () => import('../../core/kube.ts');
    if (id === 'local') {
      b = new LocalBackend({ devices: this.opts.localDevices, log: this.opts.log, command: this.opts.simCommand, readyTimeoutMs: this.opts.simReadyTimeoutMs, heartbeatDir: this.opts.heartbeatDir });
    } else if (id === 'default' && this.opts.kubernetesDefault) {
      b = new KubernetesBackend((await kube()).loadKubeConfig().kc, this.opts.namespace, inCluster());
    } else {
      const [row] = await this.opts.db.select().from(vllmClusters).where(eq(vllmClusters.id, id));
      if (!row) throw notFound(`Cluster ${id} not found`);
      let kc;
      try {
        kc = loadKubeconfigContent(this.opts.secrets.decrypt(row.kubeconfigEnc), row.context);
      } catch {
        throw new AppError(503, `Cluster ${id}: its stored kubeconfig cannot be opened or loaded (was BENCHOPS_SECRET_KEY changed?)`, 'unavailable');
      }
      b = new KubernetesBackend(kc, row.namespace, inCluster());
    }
    const again = this.backends.get(id);
    if (again) return again;
    this.backends.set(id, b);
    return b;
  }

  async namespaceOf(id: string): Promise<string> {
    return (await this.get(id)).namespace;
  }

  async close(): Promise<void> {
    for (const b of this.backends.values()) await b.close().catch(() => {});
    this.backends.clear();
  }
}

function toView(row: typeof vllmClusters.$inferSelect): ClusterView {
  return {
    id: row.id,
    name: row.name,
    kind: 'kubernetes',
    namespace: row.namespace,
    built_in: false,
    has_kubeconfig: true,
    context: row.context,
    created_at: iso(row.createdAt),
  };
}
