/**
 * Git as the source of truth for deployments: the vLLM service follows vLLM projects (the manager's
 * `custom-values*.yaml` under `vllm_values_path`), and every values file is a desired deployment — Argo CD's automated
 * sync with prune and self-heal, through the existing queue and placement:
 *
 * - a new or changed file is deployed (a queue item `keep_deployment`, no benchmark jobs); a changed file's previous
 *   deployment is stopped first (recreate: GPUs are rarely free twice over);
 * - a removed file's deployment is stopped (prune);
 * - a deployment that was stopped by hand, lost its server, or drifted from its record is deployed again (self-heal);
 * - a file that does not read as a vLLM config is a per-file error: whatever runs from its previous content stays.
 *
 * Only deployments the follower created are pruned or replaced: they carry the project, path and content hash
 * (`vllm_deployments.source_*`). Each pass over a project runs under a cluster-wide lock (two replicas on one
 * PostgreSQL never both act), reads the file list once, and starts at most `maxActions` deploys or stops; its state
 * lives in the database, so a restart resumes where it stopped. Off unless a project is followed (PUT /follow/{id}):
 * on a cluster with Argo CD the same files are Argo CD's to apply, and nothing here should follow them.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../../core/db/client.ts';
import { AppError, unprocessable } from '../../core/errors.ts';
import type { ManagerApi, ProjectFile } from '../manager/api.ts';
import type { ClusterRegistry } from './clusters.ts';
import { ACTIVE, describe, toRef, type DeploymentService } from './deployments.ts';
import { FollowStore, type FileRow, type FollowRow } from './follower/store.ts';
import { PRIORITIES } from './models.ts';
import type { QueueRepository } from './queue.ts';
import type { VllmService } from './service.ts';

export interface FollowerDeps {
  database: Database;
  log: Logger;
  manager: () => ManagerApi | null;
  svc: VllmService;
  queue: QueueRepository;
  deployments: DeploymentService;
  clusters: ClusterRegistry;
  /** How often every followed project is looked at (ms). */
  intervalMs: number;
  /** Deploys and stops started per project and pass; the rest waits for the next pass. */
  maxActions?: number;
  /** More values files than this in one project: the project is refused (a bounded pass), nothing is changed. */
  maxFiles?: number;
  /** Projects one service follows at most (default 100). */
  maxProjects?: number;
  /** First retry of a failed deploy after this long, doubling up to 10 minutes. */
  retryBaseMs?: number;
}

export interface FollowInput {
  cluster_id?: string;
  priority?: string;
  prune?: boolean;
  self_heal?: boolean;
}

/** What one pass did (for the sync route and tests). */
export interface PassResult {
  project_id: string;
  deployed: number;
  stopped: number;
  healed: number;
  invalid: number;
  deferred: number;
  error: string | null;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** null for a record that does not exist; any other error (the database busy, a timeout) is thrown, never taken for "gone". */
const orNull = <T>(p: Promise<T>): Promise<T | null> =>
  p.catch((e) => {
    if (e instanceof AppError && e.status === 404) return null;
    throw e;
  });

/** A readable message from a validation error: the field and why (never the file's text). */
function reason(e: unknown): string {
  if (e instanceof AppError) {
    const loc = e.issues?.[0]?.loc;
    return loc?.length ? `${loc.join('.')}: ${e.detail}` : e.detail;
  }
  return describe(e);
}

/**
 * Parses a follow list from the configuration: `<project_id>[@<cluster_id>]`, comma-separated (e.g.
 * `p1,p2@lab`); throws an Error naming the bad entry.
 */
export function parseFollowList(spec: string): Array<{ projectId: string; clusterId: string }> {
  const out: Array<{ projectId: string; clusterId: string }> = [];
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,199})(?:@([a-z0-9]([-a-z0-9]*[a-z0-9])?))?$/.exec(entry);
    if (!m) throw new Error(`follow list: "${entry.slice(0, 60)}" is not <project_id> or <project_id>@<cluster_id>`);
    if (!out.some((x) => x.projectId === m[1])) out.push({ projectId: m[1], clusterId: m[2] ?? 'local' });
  }
  return out;
}

export class GitFollower {
  readonly store: FollowStore;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** The last pass's error, for /health. */
  lastError: string | null = null;

  constructor(private readonly d: FollowerDeps) {
    this.store = new FollowStore(d.database.db);
  }

  /** Starts the periodic passes. */
  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), Math.max(100, this.d.intervalMs));
    this.timer.unref?.();
  }

  /** Stops the passes and waits for a running one. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** One pass over every followed project (skipped while the previous one runs). */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        let failed: string | null = null;
        for (const f of await this.store.follows()) {
          if (this.stopped) break;
          // one project's failure is its own (kept on its row), never the end of the pass for the others
          try {
            await this.d.database.tryWithLock(`vllm:follow:${f.projectId}`, () => this.pass(f));
          } catch (e) {
            failed = `${f.projectId}: ${describe(e)}`;
            this.d.log.warn({ project_id: f.projectId, err: describe(e) }, 'Git follower pass over a project failed');
            await this.store.markTick(f.projectId, describe(e)).catch(() => {});
          }
        }
        this.lastError = failed;
      } catch (e) {
        this.lastError = describe(e);
        this.d.log.warn({ err: this.lastError }, 'Git follower pass failed');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Follows a vLLM project (or changes how); 422 naming the field when the project or cluster is not usable. */
  async follow(projectId: string, input: FollowInput): Promise<FollowRow> {
    const manager = this.d.manager();
    if (!manager) throw new AppError(503, 'The benchmark manager is not reachable (needed to read the project)', 'unavailable');
    const project = await manager.getProject(projectId).catch((e) => {
      if (e instanceof AppError && e.status === 404) throw unprocessable(['path', 'project_id'], `Project ${projectId} not found`);
      throw e;
    });
    if (project.project_type !== 'vllm') throw unprocessable(['path', 'project_id'], `Project ${projectId} is a ${project.project_type} project; only vllm projects hold values files`);
    const clusterId = input.cluster_id ?? 'local';
    await this.d.clusters.get(clusterId).catch(() => {
      throw unprocessable(['body', 'cluster_id'], `Unknown cluster ${clusterId}`);
    });
    const priority = input.priority ?? 'medium';
    if (!(PRIORITIES as readonly string[]).includes(priority)) throw unprocessable(['body', 'priority'], `must be one of ${PRIORITIES.join(', ')}`);
    // every pass looks at every followed project: their number is bounded like the files of one
    const max = this.d.maxProjects ?? 100;
    const follows = await this.store.follows();
    if (follows.length >= max && !follows.some((x) => x.projectId === projectId)) throw unprocessable(['path', 'project_id'], `${max} projects are followed already (the most one vLLM service follows)`);
    const row = await this.store.upsertFollow({ projectId, clusterId, priority, prune: input.prune ?? true, selfHeal: input.self_heal ?? true });
    this.d.log.info({ project_id: projectId, cluster: clusterId }, 'Git follower: project followed');
    void this.tick();
    return row;
  }

  /**
   * Follows the projects of a configured list (start-up): missing ones are added, listed ones keep the settings a
   * route gave them except the cluster. Not checked against the manager here (it may not be up yet): a pass that
   * cannot read a project says so on its row.
   */
  async ensureFollows(list: Array<{ projectId: string; clusterId: string }>): Promise<void> {
    const existing = new Map((await this.store.follows()).map((f) => [f.projectId, f]));
    for (const { projectId, clusterId } of list) {
      const cur = existing.get(projectId);
      if (cur && cur.clusterId === clusterId) continue;
      await this.store.upsertFollow({ projectId, clusterId, priority: cur?.priority ?? 'medium', prune: cur?.prune ?? true, selfHeal: cur?.selfHeal ?? true });
    }
  }

  /** Stops following; with `prune`, stops every deployment the follower created for the project. */
  async unfollow(projectId: string, prune: boolean): Promise<{ stopped: number }> {
    return this.d.database.withLock(`vllm:follow:${projectId}`, async () => {
      let stopped = 0;
      if (prune) {
        for (const st of await this.store.files([projectId])) {
          await this.cancelItem(st);
          if (st.deploymentId && (await this.stopOwned(projectId, st.path, st.deploymentId, st.queueItemId, 'unfollowed: the project is no longer followed')) === 'stopped') stopped++;
        }
        for (const o of await this.store.ownedActive(projectId)) {
          if ((await this.stopOwned(projectId, o.path, o.id, null, 'unfollowed: the project is no longer followed')) === 'stopped') stopped++;
        }
      }
      await this.store.deleteFollow(projectId);
      return { stopped };
    });
  }

  /** Runs a pass over one project now (after a running one) and returns what it did. */
  async syncNow(projectId: string): Promise<PassResult> {
    const f = await this.store.follow(projectId);
    if (!f) throw new AppError(404, `Project ${projectId} is not followed`, 'not_found');
    return this.d.database.withLock(`vllm:follow:${projectId}`, () => this.pass(f));
  }

  /** One project: read its values files, then deploy, replace, heal and prune (bounded). */
  async pass(f: FollowRow): Promise<PassResult> {
    const out: PassResult = { project_id: f.projectId, deployed: 0, stopped: 0, healed: 0, invalid: 0, deferred: 0, error: null };
    const fail = async (msg: string) => {
      out.error = msg;
      await this.store.markTick(f.projectId, msg);
      return out;
    };
    const manager = this.d.manager();
    if (!manager) return fail('the benchmark manager is not reachable');
    let files: ProjectFile[];
    try {
      // originals only: Git is the source of truth, modified copies are drafts in the manager
      files = (await manager.listFiles(f.projectId, { file_type: 'vllm' })).filter((x) => x.source === 'original');
    } catch (e) {
      // an unreadable project changes nothing: no file is taken for removed because the list could not be read
      return fail(`cannot list the project's values files: ${describe(e)}`);
    }
    const max = this.d.maxFiles ?? 200;
    if (files.length > max) return fail(`${files.length} values files: more than the ${max} one project may have; nothing changed`);
    const states = new Map((await this.store.files([f.projectId])).map((s) => [s.path, s]));
    const owned = await this.store.ownedActive(f.projectId);
    let budget = this.d.maxActions ?? 4;
    for (const file of [...files].sort((a, b) => a.file_path.localeCompare(b.file_path))) {
      if (budget <= 0) {
        out.deferred++;
        continue;
      }
      budget -= await this.reconcile(f, file, states.get(file.file_path) ?? null, owned, out);
    }
    const present = new Set(files.map((x) => x.file_path));
    for (const st of states.values()) {
      if (present.has(st.path)) continue;
      if (budget <= 0) {
        out.deferred++;
        continue;
      }
      budget -= await this.prune(f, st, out);
    }
    // a deployment marked as the follower's without a state row (its row was lost or the project re-followed after
    // an unfollow that kept them) whose file is gone: pruned as well
    for (const o of owned) {
      if (present.has(o.path) || states.has(o.path) || budget <= 0) continue;
      if (!f.prune) continue;
      if ((await this.stopOwned(f.projectId, o.path, o.id, null, 'pruned: the values file was removed from Git')) === 'stopped') out.stopped++;
      budget--;
    }
    await this.store.markTick(f.projectId, null);
    return out;
  }

  /** Brings one file's deployment in line with its content; returns the actions it used. */
  private async reconcile(f: FollowRow, file: ProjectFile, st: FileRow | null, owned: Array<{ id: string; path: string; hash: string | null }>, out: PassResult): Promise<number> {
    const hash = sha256(file.content);
    const base = { projectId: f.projectId, path: file.file_path, fileId: file.file_id };
    if (!st) {
      // adopt what an earlier follower (this one before a restart, or before an unfollow) deployed from this path
      const mine = owned.find((o) => o.path === file.file_path);
      if (mine && mine.hash === hash) {
        await this.store.putFile({ ...base, contentHash: hash, status: 'deployed', deploymentId: mine.id, queueItemId: null, error: null, warnings: [], attempts: 0, retryAt: null, heals: 0 });
        return 0;
      }
      return this.deploy(f, file, hash, { ...base, deploymentId: mine?.id ?? null, queueItemId: null, heals: 0 }, out);
    }
    if (st.contentHash !== hash) return this.deploy(f, file, hash, st, out);
    switch (st.status) {
      case 'invalid':
        return 0;
      case 'waiting':
        return this.deploy(f, file, hash, st, out);
      case 'error':
        if (st.retryAt && st.retryAt.getTime() > Date.now()) return 0;
        return this.deploy(f, file, hash, st, out, { retry: true });
      case 'deploying':
        await this.followUp(f, st);
        return 0;
      case 'deployed':
        return f.selfHeal ? this.heal(f, file, hash, st, out) : 0;
      default:
        return 0;
    }
  }

  /** A queued deploy: completed → deployed (and marked as the follower's), failed → error with backoff. */
  private async followUp(f: FollowRow, st: FileRow): Promise<void> {
    const item = st.queueItemId ? await orNull(this.d.queue.get(st.queueItemId)) : null;
    if (!item) {
      // deleted, or never added (the process stopped between writing this state and adding the item): deployed again
      await this.store.putFile({ ...st, status: 'error', error: 'its queue item is gone (deleted, or never added because the service stopped); deployed again', retryAt: new Date() });
      return;
    }
    if (item.status === 'completed' && item.deploymentId) {
      if (item.createdDeployment) await this.store.markSource(item.deploymentId, f.projectId, st.path, st.contentHash);
      await this.store.putFile({ ...st, status: 'deployed', deploymentId: item.deploymentId, error: null, attempts: 0, retryAt: null });
      this.d.log.info({ project_id: f.projectId, path: st.path, deployment: item.deploymentId }, 'Git follower: deployed');
    } else if (item.status === 'failed' || item.status === 'cancelled' || item.status === 'completed') {
      const attempts = st.attempts + 1;
      const wait = Math.min(600_000, (this.d.retryBaseMs ?? 5000) * 2 ** (attempts - 1));
      await this.store.putFile({ ...st, status: 'error', error: item.errorMessage ?? `queue item ${item.status}`, attempts, retryAt: new Date(Date.now() + wait) });
      this.d.log.warn({ project_id: f.projectId, path: st.path, err: item.errorMessage, retry_in_ms: wait }, 'Git follower: deploy failed');
    } else if (item.currentStep === 'waiting_for_resources') {
      const why = (item.placement as { reason?: string } | null)?.reason;
      const error = `waiting for capacity${why ? `: ${why}` : ''}`;
      if (st.error !== error) await this.store.putFile({ ...st, error });
    }
  }

  /**
   * Deploys a file's content: validated first (a bad file is `invalid` and whatever runs stays), then the file's
   * previous follower deployment is stopped (recreate), then a queue item is added.
   */
  private async deploy(
    f: FollowRow,
    file: ProjectFile,
    hash: string,
    st: Pick<FileRow, 'projectId' | 'path' | 'fileId' | 'deploymentId' | 'queueItemId' | 'heals'> & Partial<FileRow>,
    out: PassResult,
    o: { retry?: boolean; heal?: boolean } = {},
  ): Promise<number> {
    const row = { projectId: f.projectId, path: file.file_path, fileId: file.file_id, heals: st.heals + (o.heal ? 1 : 0) };
    const values = { custom_values_content: file.content };
    if (st.deploymentId && !o.heal) {
      // back to the content its running deployment was made from (a bad edit reverted): nothing to redeploy
      const dep = await orNull(this.d.deployments.get(st.deploymentId));
      if (dep && ACTIVE.includes(dep.status) && dep.sourceProjectId === f.projectId && dep.sourcePath === file.file_path && dep.sourceHash === hash) {
        await this.cancelItem(st);
        await this.store.putFile({ ...row, contentHash: hash, status: 'deployed', error: null, warnings: [], deploymentId: dep.id, queueItemId: st.queueItemId, attempts: 0, retryAt: null });
        return 0;
      }
    }
    try {
      await this.d.svc.resolveConfig(values, null, ['file', file.file_path], { role: 'operator', dryRun: false });
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500) throw e;
      out.invalid++;
      // a deploy of the previous content still in flight is outdated: cancelled (or, finished, kept as deployed)
      await this.cancelItem(st);
      await this.store.putFile({ ...row, contentHash: hash, status: 'invalid', error: reason(e), warnings: [], deploymentId: st.deploymentId, queueItemId: st.queueItemId, attempts: 0, retryAt: null });
      this.d.log.warn({ project_id: f.projectId, path: file.file_path, err: reason(e) }, 'Git follower: values file is not a valid vLLM config; left as deployed');
      return 0;
    }
    await this.cancelItem(st);
    if (st.deploymentId) {
      const r = await this.stopOwned(f.projectId, file.file_path, st.deploymentId, st.queueItemId, 'replaced: its values file changed in Git');
      if (r === 'in_use') {
        await this.store.putFile({ ...row, contentHash: hash, status: 'waiting', error: 'the previous deployment is in use by a queue request; replaced when it finishes', warnings: [], deploymentId: st.deploymentId, queueItemId: null, attempts: st.attempts ?? 0, retryAt: null });
        return 0;
      }
      if (r === 'stopped') out.stopped++;
    }
    // the item's id is written into the file's state before the item exists: a process that dies between the two
    // writes leaves a state naming an item the next pass finds (and follows up, never enqueuing the file again), or
    // one naming an item that was never added (taken for gone and retried) — never an item the follower does not know
    const itemId = randomUUID();
    const attempts = o.retry ? (st.attempts ?? 0) : 0;
    await this.store.putFile({ ...row, contentHash: hash, status: 'deploying', queueItemId: itemId, deploymentId: null, error: null, warnings: [], attempts, retryAt: null });
    let item;
    try {
      item = await this.d.svc.enqueue(
        { vllm_config: values, benchmark_configs: [], cluster_id: f.clusterId, priority: f.priority as (typeof PRIORITIES)[number], keep_deployment: true },
        { role: 'operator', id: itemId },
      );
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500) throw e;
      // the file reads well but the queue refused it (e.g. the followed cluster was removed): retried with backoff
      const failed = (st.attempts ?? 0) + 1;
      const wait = Math.min(600_000, (this.d.retryBaseMs ?? 5000) * 2 ** (failed - 1));
      await this.store.putFile({ ...row, contentHash: hash, status: 'error', error: reason(e), warnings: [], deploymentId: null, queueItemId: null, attempts: failed, retryAt: new Date(Date.now() + wait) });
      return 1;
    }
    // only the warnings are new here: the state was complete before the item was added
    if (item.warnings.length) await this.store.putFile({ ...row, contentHash: hash, status: 'deploying', queueItemId: item.queue_request_id, deploymentId: null, error: null, warnings: item.warnings, attempts, retryAt: null });
    if (o.heal) out.healed++;
    else out.deployed++;
    this.d.log.info({ project_id: f.projectId, path: file.file_path, item: item.queue_request_id, heal: o.heal || undefined }, 'Git follower: deploy queued');
    return 1;
  }

  /** Self-heal: a deployed file whose deployment is gone, lost its server, or drifted is deployed again. */
  private async heal(f: FollowRow, file: ProjectFile, hash: string, st: FileRow, out: PassResult): Promise<number> {
    const dep = st.deploymentId ? await orNull(this.d.deployments.get(st.deploymentId)) : null;
    if (dep && dep.status === 'deploying') return 0;
    if (dep && dep.status === 'running') {
      const backend = await this.d.clusters.backend(dep.clusterId).catch(() => null);
      // an unreachable cluster is not a drift: nothing is redeployed on a guess
      const live = backend ? await backend.inspect(toRef(dep)).catch(() => null) : null;
      if (!live || live.state === 'ready' || live.state === 'starting') {
        const drifted = live?.fingerprint !== undefined && live.fingerprint !== dep.fingerprint;
        if (!drifted) return 0;
      }
      this.d.log.warn({ project_id: f.projectId, path: st.path, deployment: dep.id, state: live?.state }, 'Git follower: deployment lost or drifted; restoring');
    }
    return this.deploy(f, file, hash, st, out, { heal: true });
  }

  /** Prune: the file is gone from Git; its deployment (if the follower's) is stopped and its state removed. */
  private async prune(f: FollowRow, st: FileRow, out: PassResult): Promise<number> {
    if (!f.prune) {
      await this.store.deleteFile(f.projectId, st.path);
      return 0;
    }
    await this.cancelItem(st);
    if (st.deploymentId) {
      const r = await this.stopOwned(f.projectId, st.path, st.deploymentId, st.queueItemId, 'pruned: the values file was removed from Git');
      if (r === 'in_use') return 0; // next pass
      if (r === 'stopped') out.stopped++;
    }
    await this.store.deleteFile(f.projectId, st.path);
    this.d.log.info({ project_id: f.projectId, path: st.path, deployment: st.deploymentId }, 'Git follower: values file removed; pruned');
    return 1;
  }

  /** Cancels a file's queued deploy that has not finished (its content is outdated or gone). */
  private async cancelItem(st: Partial<FileRow>): Promise<void> {
    if (!st.queueItemId) return;
    const item = await orNull(this.d.queue.get(st.queueItemId));
    if (item && (item.status === 'pending' || item.status === 'processing')) await this.d.svc.cancel(item.id).catch(() => {});
    // a deploy that completed meanwhile: its deployment is the follower's and is stopped like any other
    const done = item ? await orNull(this.d.queue.get(item.id)) : null;
    if (done?.deploymentId && done.createdDeployment && !st.deploymentId) {
      await this.store.markSource(done.deploymentId, st.projectId!, st.path!, st.contentHash!);
      st.deploymentId = done.deploymentId;
    }
  }

  /** Stops a deployment if the follower created it from this path and no other queue request uses it. */
  private async stopOwned(projectId: string, path: string, id: string, ownItem: string | null, why: string): Promise<'stopped' | 'not_owned' | 'in_use' | 'inactive'> {
    const dep = await orNull(this.d.deployments.get(id));
    if (!dep || dep.sourceProjectId !== projectId || dep.sourcePath !== path) return 'not_owned';
    // a failed one is stopped too: its objects may still hold a GPU on the cluster
    if (dep.status === 'stopped' || dep.status === 'cleaned_up') return 'inactive';
    if (await this.d.deployments.inUseByOthers(id, ownItem ?? '')) return 'in_use';
    await this.d.deployments.stop(id, why);
    return 'stopped';
  }
}
