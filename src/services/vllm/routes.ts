/** HTTP routes of the vLLM service (:8005): deployments, queue, scheduler, clusters and nodes. */
import { z } from 'zod';
import { badRequest, conflict, unprocessable } from '../../core/errors.ts';
import { iso, pageQuery, type App } from '../../core/http.ts';
import { parseJsonSafe, SafeParseError } from '../../core/parse.ts';
import { deploymentView, unreachable } from './deployments.ts';
import { nodeView } from './devices.ts';
import { fingerprint, PRIORITIES, priorityRank, publicConfig, resourcesOf, servedName, unknownKeys, type VllmConfig } from './models.ts';
import { CPU_SLOT, normalize, type Resources } from './placement.ts';
import { queueView } from './queue.ts';
import { cachedList, ListCache } from './list-cache.ts';
import { seal } from './sealed.ts';
import type { VllmCore, VllmService } from './service.ts';

const idParam = z.object({ id: z.string().min(1).max(200) });
/** POST /deploy; loose, so that fields of the earlier API (github_token…) can be said back instead of dropped unseen. */
const deployBody = z
  .object({
    config: z.record(z.string(), z.unknown()).nullish(),
    deployment_name: z.string().max(100).nullish(),
    custom_values_content: z.string().max(1_000_000).nullish(),
    project_id: z.string().max(200).nullish(),
    values_file_id: z.string().max(200).nullish(),
    cluster_id: z.string().max(100).default('local'),
    priority: z.enum(PRIORITIES).default('medium'),
    allow_eviction: z.boolean().default(false),
    nodes: z.array(z.string().max(253)).max(100).nullish(),
  })
  .loose();
const message = z.object({ message: z.string() });

export async function registerRoutes(app: App, core: VllmCore, svc: VllmService): Promise<void> {
  const tags = ['deployments'];
  // the list responses, per query and table version (list-cache.ts)
  const deploymentsCache = new ListCache();
  const queueCache = new ListCache();

  app.post(
    '/deploy',
    {
      schema: {
        summary: 'Deploy a vLLM server (config, or Helm-style custom values inline or from a vLLM project file); placement decides the node',
        tags,
        body: deployBody,
      },
    },
    async (req, reply) => {
      const b = req.body;
      const raw = { ...(b.config ?? {}), ...(b.custom_values_content ? { custom_values_content: b.custom_values_content } : {}) };
      const resolved = await svc.resolveConfig(raw, { project_id: b.project_id, values_file_id: b.values_file_id }, ['body', 'config'], { role: req.role });
      if (!resolved) throw unprocessable(['body', 'config'], 'Field required: config, custom_values_content, or project_id with values_file_id');
      await core.clusters.get(b.cluster_id).catch(() => {
        throw unprocessable(['body', 'cluster_id'], `Unknown cluster ${b.cluster_id}`);
      });
      // the earlier API's github_token (for a chart clone) and the like: said back, never stored
      const warnings = [...unknownKeys(deployBody, b, ''), ...resolved.warnings, ...(await svc.clusterWarnings(b.cluster_id, resolved.config))];
      const out = await core.deployments.create(resolved.config, {
        clusterId: b.cluster_id,
        priorityRank: priorityRank(b.priority),
        allowEviction: b.allow_eviction,
        keep: true,
        name: b.deployment_name,
        nodes: b.nodes ?? undefined,
        sealed: seal(core.secrets, resolved.secrets),
      });
      if (out.kind === 'wait' || out.kind === 'unschedulable') {
        // a direct deploy does not queue: the caller gets the placement's reason (POST /queue/deployment waits instead)
        throw conflict(`No capacity for this deployment now (${out.decision.action}): ${out.decision.reason}`);
      }
      const d = out.deployment;
      if (out.kind === 'created') {
        // readiness is watched in the background; the status endpoint shows progress
        void core.deployments.waitReady(d.id).catch((e) => core.log.warn({ deployment: d.id, err: e.message }, 'deployment not ready'));
      }
      reply.code(out.kind === 'created' ? 201 : 200);
      return {
        deployment_id: d.id,
        deployment_name: d.name,
        status: d.status,
        config: publicConfig(d.config as any),
        created_at: iso(d.createdAt),
        endpoint: d.endpoint,
        k8s_service_name: d.serviceName,
        placement: out.decision,
        reused: out.kind === 'reused',
        warnings,
        message:
          out.kind === 'reused'
            ? `Reusing running deployment ${d.id} with the same configuration (kept for you until DELETE /deployments/${d.id}, like any direct deploy)`
            : `vLLM deployment ${d.name} started`,
      };
    },
  );

  app.get(
    '/deployments',
    {
      schema: {
        summary: 'Deployments as an object map (id → deployment with status, config, k8s_service_name, endpoint, placement)',
        tags,
        querystring: z.object({
          status: z.string().max(32).optional(),
          cluster_id: z.string().max(100).optional(),
          // an object map, so the default page is large; X-Total-Count says when there are more
          limit: z.coerce.number().int().min(1).max(1000).default(1000),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
    },
    async (req, reply) => {
      const q = req.query;
      return cachedList({ db: core.db, cache: deploymentsCache, table: 'vllm_deployments', key: JSON.stringify([q.status, q.cluster_id, q.limit, q.offset]), req, reply }, async () => {
        const { rows, total } = await core.deployments.list({ status: q.status, clusterId: q.cluster_id, limit: q.limit, offset: q.offset });
        return { body: Object.fromEntries(rows.map((d) => [d.id, deploymentView(d)])), total };
      });
    },
  );

  app.get('/deployments/:id', { schema: { summary: 'One deployment', tags, params: idParam } }, async (req) =>
    deploymentView(await svc.deploymentOrThrow(req.params.id)),
  );

  app.get('/deployments/:id/status', { schema: { summary: 'Status of one deployment', tags, params: idParam } }, async (req) => {
    const d = await svc.deploymentOrThrow(req.params.id);
    return {
      deployment_id: d.id,
      deployment_name: d.name,
      status: d.status,
      uptime: d.status === 'running' ? Math.round((Date.now() - d.updatedAt.getTime()) / 1000) : null,
      endpoint: d.endpoint,
      node_name: d.nodeName,
      placement: d.placement,
      error_message: d.errorMessage,
    };
  });

  app.delete(
    '/deployments/:id',
    {
      schema: {
        summary: 'Done with a deployment: stops it (objects or process removed), or — while a queue request still benchmarks it — releases it to stop when that request finishes (202)',
        tags,
        params: idParam,
        response: { 200: message, 202: message },
      },
    },
    async (req, reply) => {
      await svc.deploymentOrThrow(req.params.id);
      const r = await core.deployments.delete(req.params.id);
      if (!r.stopped) {
        reply.code(202);
        return { message: `Deployment ${req.params.id} released: it stops when queue request ${r.users.join(', ')} (its last user) finishes` };
      }
      return { message: `Deployment ${req.params.id} stopped successfully` };
    },
  );

  app.post(
    '/placement/preview',
    {
      // decides nothing and creates nothing: a read, whatever its method
      config: { role: 'viewer' },
      schema: {
        summary: 'What placement would decide now for a config (place / reuse / evict / wait / unschedulable), without deploying',
        tags,
        body: z.object({
          config: z.record(z.string(), z.unknown()).nullish(),
          custom_values_content: z.string().max(1_000_000).nullish(),
          cluster_id: z.string().max(100).default('local'),
          priority: z.enum(PRIORITIES).default('medium'),
          allow_eviction: z.boolean().default(false),
          nodes: z.array(z.string().max(253)).max(100).nullish(),
        }),
      },
    },
    async (req) => {
      const b = req.body;
      const raw = { ...(b.config ?? {}), ...(b.custom_values_content ? { custom_values_content: b.custom_values_content } : {}) };
      const resolved = await svc.resolveConfig(raw, null, ['body', 'config'], { role: req.role, dryRun: true });
      if (!resolved) throw unprocessable(['body', 'config'], 'Field required');
      const cfg = resolved.config;
      await core.clusters.get(b.cluster_id).catch(() => {
        throw unprocessable(['body', 'cluster_id'], `Unknown cluster ${b.cluster_id}`);
      });
      const { decision } = await core.deployments.decide(cfg, {
        clusterId: b.cluster_id,
        priorityRank: priorityRank(b.priority),
        allowEviction: b.allow_eviction,
        nodes: b.nodes ?? undefined,
      });
      const warnings = [...resolved.warnings, ...(await svc.clusterWarnings(b.cluster_id, cfg))];
      return { decision, resources: resourcesOf(cfg), fingerprint: fingerprint(cfg, b.cluster_id), warnings };
    },
  );

  const validate = async (raw: unknown, loc: string[], role: Parameters<VllmService['resolveConfig']>[3]) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw unprocessable(loc, 'config must be a JSON object');
    const resolved = await svc.resolveConfig(raw as Record<string, unknown>, null, loc, { ...role, dryRun: true });
    if (!resolved) throw unprocessable([...loc, 'model_name'], 'Field required');
    return { valid: true, message: 'Configuration is valid', config: publicConfig(resolved.config), warnings: resolved.warnings };
  };
  app.post('/configs/validate', { config: { role: 'viewer' }, schema: { summary: 'Validate a vLLM config (422 naming the field when invalid; warnings for settings without effect)', tags, body: z.record(z.string(), z.unknown()) } }, async (req) =>
    validate(req.body, ['body'], { role: req.role }),
  );
  app.get(
    '/configs/validate',
    { schema: { summary: 'Validate a vLLM config given as JSON in the `config` query parameter', tags, querystring: z.object({ config: z.string().max(100_000) }) } },
    async (req) => {
      let raw: unknown;
      try {
        raw = parseJsonSafe(req.query.config);
      } catch (e) {
        // line and column only: the text may carry a custom values file with tokens
        throw unprocessable(['query', 'config'], `config must be a JSON object: ${e instanceof SafeParseError ? e.message : 'invalid JSON'}`);
      }
      return validate(raw, ['query', 'config'], { role: req.role });
    },
  );

  // ---------------------------------------------------------------- queue
  const qtags = ['queue'];
  app.post(
    '/queue/deployment',
    {
      schema: {
        summary: 'Queue "deploy vLLM, then run N benchmark jobs" (priority, scheduling_config, allow_eviction, keep_deployment)',
        tags: qtags,
        body: z.record(z.string(), z.unknown()),
      },
    },
    async (req) => svc.enqueue(req.body as any, { role: req.role }),
  );

  app.get(
    '/queue/list',
    {
      schema: {
        summary: 'Queue items, newest first (with current_step, total_steps, completed_steps, placement)',
        tags: qtags,
        querystring: pageQuery.extend({ status: z.enum(['pending', 'processing', 'completed', 'failed', 'cancelled']).optional() }),
      },
    },
    async (req, reply) => {
      const q = req.query;
      return cachedList({ db: core.db, cache: queueCache, table: 'vllm_queue', key: JSON.stringify([q.status, q.limit, q.offset]), req, reply }, async () => {
        const { rows, total } = await core.queue.list(q);
        return { body: rows.map(queueView), total };
      });
    },
  );

  app.get('/queue/status', { schema: { summary: 'Counts per status', tags: qtags } }, async () => svc.queueStatus());

  app.get('/queue/:id', { schema: { summary: 'One queue item', tags: qtags, params: idParam } }, async (req) => svc.getQueueItem(req.params.id));

  app.delete(
    '/queue/:id',
    {
      schema: {
        summary: 'Delete a finished or pending item (force=true: cancel and clean up a processing one first)',
        tags: qtags,
        params: idParam,
        querystring: z.object({ force: z.enum(['true', 'false', '1', '0']).optional() }),
        response: { 200: message },
      },
    },
    async (req) => {
      const force = req.query.force === 'true' || req.query.force === '1';
      if (force) await svc.forceDelete(req.params.id);
      else await core.queue.delete(req.params.id);
      return { message: `Queue request ${req.params.id} ${force ? 'force ' : ''}deleted successfully` };
    },
  );

  app.delete('/queue/:id/force', { schema: { summary: 'Cancel (with cleanup) and delete', tags: qtags, params: idParam, response: { 200: message } } }, async (req) => {
    await svc.forceDelete(req.params.id);
    return { message: `Queue request ${req.params.id} force deleted successfully` };
  });

  app.post('/queue/:id/cancel', { schema: { summary: 'Cancel: stops the running step, cleans only what this request created', tags: qtags, params: idParam, response: { 200: message } } }, async (req) => {
    await svc.cancel(req.params.id);
    return { message: `Queue request ${req.params.id} cancelled successfully` };
  });

  app.post(
    '/queue/:id/priority',
    { schema: { summary: 'Change the priority of a pending item', tags: qtags, params: idParam, body: z.object({ priority: z.enum(PRIORITIES) }), response: { 200: message } } },
    async (req) => {
      await svc.setPriority(req.params.id, req.body.priority);
      return { message: `Queue request ${req.params.id} priority changed to ${req.body.priority}` };
    },
  );

  // ---------------------------------------------------------------- scheduler
  const stags = ['scheduler'];
  const status = async () => {
    const s = await core.scheduler.settings();
    const counts = await svc.queueStatus();
    return {
      running: s.running,
      paused: !s.running,
      poll_interval: s.pollInterval,
      auto_start: true,
      task_running: s.running,
      active_requests: counts.processing_requests,
      pending_requests: counts.pending_requests,
      instance_id: core.scheduler.owner,
      instance_active_requests: core.scheduler.activeIds(),
      last_poll_time: iso(core.scheduler.lastTickAt),
      last_error: core.scheduler.lastError,
      total_processed: core.scheduler.processed,
    };
  };
  app.get('/scheduler/status', { schema: { summary: 'Scheduler state (shared by every replica) and counts', tags: stags } }, status);
  for (const [verb, running, word] of [
    ['start', true, 'started'],
    ['resume', true, 'resumed'],
    ['stop', false, 'stopped'],
    ['pause', false, 'paused'],
  ] as const) {
    app.post(
      `/scheduler/${verb}`,
      { schema: { summary: `${verb[0].toUpperCase()}${verb.slice(1)} claiming new items (running items always finish)`, tags: stags, response: { 200: message } } },
      async () => {
        await core.scheduler.setSettings({ running });
        return { message: `Queue scheduler ${word} successfully` };
      },
    );
  }
  app.post(
    '/scheduler/trigger',
    { schema: { summary: 'Run a scheduling pass now (returns at once; items run in the background)', tags: stags, response: { 200: message } } },
    async () => {
      core.scheduler.wake();
      return { message: 'Queue processing triggered successfully' };
    },
  );
  const setPoll = async (v: number | undefined) => {
    if (v !== undefined) {
      if (!Number.isFinite(v) || v < 1 || v > 3600) throw badRequest('poll_interval must be between 1 and 3600 seconds');
      await core.scheduler.setSettings({ pollInterval: Math.round(v) });
    }
    const s = await core.scheduler.settings();
    return { message: 'Scheduler configuration updated', poll_interval: s.pollInterval, running: s.running };
  };
  app.post(
    '/scheduler/config',
    { schema: { summary: 'Set the poll interval (query poll_interval, seconds)', tags: stags, querystring: z.object({ poll_interval: z.coerce.number().optional() }) } },
    async (req) => setPoll(req.query.poll_interval),
  );
  app.put(
    '/scheduler/config',
    { schema: { summary: 'Set the poll interval (body {poll_interval})', tags: stags, body: z.object({ poll_interval: z.number() }) } },
    async (req) => setPoll(req.body.poll_interval),
  );

  // ---------------------------------------------------------------- clusters
  const ctags = ['clusters'];
  app.get('/clusters', { schema: { summary: 'Clusters (local built in; kubeconfig clusters are stored encrypted, never returned)', tags: ctags } }, async () =>
    core.clusters.list(),
  );
  app.post(
    '/clusters',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Register a Kubernetes cluster by kubeconfig (admin)',
        tags: ctags,
        body: z
          .object({
            name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63),
            kubeconfig: z.string().min(1).max(256 * 1024),
            context: z.string().max(253).nullish(),
            namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63).nullish(),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      reply.code(201);
      return core.clusters.add(req.body);
    },
  );
  app.get('/clusters/:id', { schema: { summary: 'One cluster', tags: ctags, params: idParam } }, async (req) => core.clusters.get(req.params.id));
  app.delete('/clusters/:id', { config: { role: 'admin' }, schema: { summary: 'Remove a registered cluster (admin)', tags: ctags, params: idParam, response: { 200: message } } }, async (req) => {
    const byStatus = await Promise.all(['running', 'deploying'].map((status) => core.deployments.list({ clusterId: req.params.id, status, limit: 1 })));
    const active = byStatus.reduce((n, r) => n + r.total, 0);
    if (active) throw conflict(`Cluster ${req.params.id} still has ${active} active deployment(s)`);
    await core.clusters.remove(req.params.id);
    return { message: `Cluster ${req.params.id} removed` };
  });
  app.get(
    '/clusters/:id/nodes',
    { schema: { summary: 'Nodes in seed 003 shape: hostname, status, devices with peak_fp16_TFLOPS, memory bandwidth, available_count', tags: ctags, params: idParam } },
    async (req) => {
      await core.clusters.get(req.params.id);
      const backend = await core.clusters.backend(req.params.id);
      let nodes;
      let foreign;
      try {
        nodes = await backend.nodes();
        foreign = await backend.foreignWorkloads();
      } catch (e) {
        throw unreachable(req.params.id, e);
      }
      const mine = await core.deployments.workloads(req.params.id, null, { live: false });
      return nodes.map((n) => {
        const used: Resources = {};
        for (const w of [...mine, ...foreign]) {
          if (w.node !== n.name) continue;
          for (const [k, v] of Object.entries(normalize(w.resources))) used[k] = (used[k] ?? 0) + v;
        }
        return nodeView(n, used);
      });
    },
  );

  const holder = z.object({ id: z.string(), kind: z.enum(['deployment', 'workload']), name: z.string(), model: z.string().nullable(), status: z.string().nullable(), count: z.number() });
  const occupancyDevice = z.object({
    key: z.string().describe('Resource name, or pool key when two products share one'),
    name: z.string(),
    resource_name: z.string(),
    mig_profile: z.string().nullable(),
    total: z.number(),
    used: z.number(),
    free: z.number(),
    holders: z.array(holder),
  });
  app.get(
    '/clusters/:id/occupancy',
    {
      schema: {
        summary: 'GPU occupancy per node: each device group (name, MIG profile) with used / free and which deployment or workload holds it',
        tags: ctags,
        params: idParam,
        response: { 200: z.object({ cluster_id: z.string(), nodes: z.array(z.object({ hostname: z.string(), status: z.string(), devices: z.array(occupancyDevice) })) }) },
      },
    },
    async (req) => {
      await core.clusters.get(req.params.id);
      const backend = await core.clusters.backend(req.params.id);
      let nodes;
      let foreign;
      try {
        nodes = await backend.nodes();
        foreign = await backend.foreignWorkloads();
      } catch (e) {
        throw unreachable(req.params.id, e);
      }
      const mine = await core.deployments.workloads(req.params.id, null, { live: false });
      // names and models of BenchOps' own holders (active deployments of this cluster, one bounded page)
      const rows = mine.length ? (await core.deployments.list({ clusterId: req.params.id, limit: 1000 })).rows : [];
      const byId = new Map(rows.map((r) => [r.id, r]));
      return {
        cluster_id: req.params.id,
        nodes: nodes.map((n) => {
          const view = nodeView(n, {});
          const devices = Object.entries(n.allocatable).map(([key, total]) => {
            const res = n.pools?.[key]?.resource ?? key;
            const holders = [...mine, ...foreign]
              .filter((w) => w.node === n.name && (normalize(w.resources)[key] ?? 0) > 0)
              .map((w) => {
                const d = byId.get(w.id);
                return {
                  id: w.id,
                  kind: w.managedByBenchops ? ('deployment' as const) : ('workload' as const),
                  name: d?.name ?? w.id,
                  model: d ? servedName(d.config as VllmConfig) : null,
                  status: d?.status ?? null,
                  count: normalize(w.resources)[key],
                };
              });
            const used = holders.reduce((s, h) => s + h.count, 0);
            const name = key === CPU_SLOT ? 'CPU deployment slots' : (n.hardware[key]?.name ?? res);
            return { key, name, resource_name: res, mig_profile: res.startsWith('nvidia.com/mig-') ? res.slice('nvidia.com/mig-'.length) : null, total, used, free: Math.max(0, total - used), holders };
          });
          return { hostname: view.hostname, status: view.status, devices };
        }),
      };
    },
  );
}

