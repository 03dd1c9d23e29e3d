/** Deployer HTTP routes (seed 000 `/run`, reference 2.1–2.4): thin handlers over the service and terminal manager. */
import { Writable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isAppError, notFound, unprocessable } from '../../core/errors.ts';
import type { Role } from '../../core/auth.ts';
import { pageQuery, setTotal, type App } from '../../core/http.ts';
import { parseJsonSafe } from '../../core/parse.ts';
import type { RunOptions } from './api.ts';
import { RUN_OPTIONS_HEADER } from './client.ts';
import { runRequestSchema, statusLines, type DeployerService } from './service.ts';
import { sessionInfo, type TerminalManager } from './terminal.ts';
import { TERMINAL_PHASES } from './executors/types.ts';
import { checkAllowed, parseManifests } from './manifest.ts';

const TAGS = ['deployer'];
const STATUSES = ['pending', 'running', 'completed', 'failed', 'deleted'] as const;
const RESOURCE_TYPES = ['job', 'deployment', 'service', 'configmap', 'secret', 'unknown'] as const;
const namespace = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a valid namespace name');
const k8sName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a valid Kubernetes name');
const boolish = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');
const tailLines = z.coerce.number().int().min(1).max(100_000).default(100);

const envRewrite = z.object({ container: z.string(), name: z.string(), family: z.enum(['endpoint', 'model', 'results']), from: z.string(), to: z.string() });
const runResponse = z.object({
  deployment_id: z.string(),
  status: z.enum(STATUSES),
  resource_type: z.enum(RESOURCE_TYPES),
  resource_name: z.string(),
  namespace: z.string(),
  yaml_content: z.string(),
  message: z.string(),
  created_at: z.string(),
  // additions to seed 000's response: what the run changed in the job file, and what it could not honour
  env_rewrites: z.array(envRewrite).optional().describe('Declared endpoint/model/results variables rewritten for this run'),
  config_mounts: z.array(z.string()).optional().describe('Paths the chosen config file is mounted at'),
  warnings: z.array(z.string()).optional().describe('What the run does differently from its files, or cannot do'),
});
const errorResponse = z.object({ detail: z.any() });

const logResponse = z.object({ job_name: z.string(), namespace: z.string(), logs: z.array(z.string()), timestamp: z.string() });

const sessionBody = z
  .object({
    job_name: k8sName,
    namespace: namespace.optional(),
    pod_name: k8sName.optional(),
    container_name: z.string().min(1).max(63).optional(),
    shell: z.string().min(1).max(64).optional(),
  })
  .strict();

const strMap = z.record(z.string().max(253), z.string().max(4096));
const modelName = z.string().min(1).max(512);
const runOptionsSchema = z
  .object({
    substitutions: strMap.optional(),
    env: strMap.optional(),
    labels: strMap.optional(),
    model: z.object({ served_model_name: modelName.optional(), model_name: modelName.optional() }).strict().optional(),
  })
  .strict();

function runOptions(raw: string | string[] | undefined): RunOptions {
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = parseJsonSafe(Array.isArray(raw) ? raw[0] : raw);
  } catch (e) {
    throw unprocessable(['header', RUN_OPTIONS_HEADER], `must be JSON (${(e as Error).message})`);
  }
  const r = runOptionsSchema.safeParse(parsed);
  if (!r.success) throw unprocessable(['header', RUN_OPTIONS_HEADER, ...r.error.issues[0].path.map(String)], r.error.issues[0].message);
  return r.data;
}

export interface RouteDeps {
  service: DeployerService;
  terminals: TerminalManager;
}

/** `<prefix>` under which these routes are mounted (the gateway adds `/api/deployer`). */
function prefixOf(req: FastifyRequest, routePath: string): string {
  const url = req.routeOptions.url ?? routePath;
  const own = url.endsWith(routePath) ? url.slice(0, url.length - routePath.length) : '';
  // behind the cluster gateway (`benchops serve web` forwards /api/deployer/*): the path the caller reached us by
  const fwd = req.headers['x-forwarded-prefix'];
  return typeof fwd === 'string' && /^\/api\/[a-z]+$/.test(fwd) ? fwd + own : own;
}

function wsUrl(req: FastifyRequest, prefix: string, id: string): string {
  const proto = String(req.headers['x-forwarded-proto'] ?? req.protocol) === 'https' ? 'wss' : 'ws';
  const host = req.headers['x-forwarded-host'] ?? req.headers.host ?? 'localhost';
  return `${proto}://${host}${prefix}/terminal/${id}`;
}

export async function registerDeployerRoutes(app: App, { service, terminals }: RouteDeps): Promise<void> {
  app.post(
    '/run',
    {
      schema: {
        summary: 'Run a benchmark (seed 000): the project job file with its config mounted at /app/configs/eval_config.json',
        tags: TAGS,
        body: runRequestSchema,
        response: { 200: runResponse, 400: errorResponse, 500: errorResponse },
      },
    },
    async (req) => service.run(req.body, runOptions(req.headers[RUN_OPTIONS_HEADER]), req.role ?? 'operator'),
  );

  app.post(
    '/deploy',
    {
      schema: {
        summary: 'Apply multi-document YAML (Job, ConfigMap, Secret, Deployment, Service; namespaced; all or nothing)',
        tags: TAGS,
        body: z
          .object({ yaml_content: z.string().min(1), namespace: namespace.optional(), name: z.string().max(253).optional() })
          .strict(),
      },
    },
    async (req) => service.deploy(req.body.yaml_content, req.body.namespace, req.role ?? 'operator'),
  );

  const previewObject = z.object({
    kind: z.string(),
    name: z.string(),
    namespace: z.string(),
    allowed: z.boolean(),
    reason: z.string().describe('Why it may or may not be applied'),
    exists: z.boolean().nullable().describe('Already present (apply would fail on it); null when not checked'),
  });
  app.post(
    '/deploy/preview',
    {
      schema: {
        summary: 'What POST /deploy would apply for this YAML and role (kinds, names, allowed or not and why), applying nothing',
        tags: TAGS,
        body: z.object({ yaml_content: z.string().min(1), namespace: namespace.optional() }).strict(),
        response: { 200: z.object({ namespace: z.string(), allowed: z.boolean(), objects: z.array(previewObject) }) },
      },
    },
    async (req) => previewDeploy(service, req.body.yaml_content, req.body.namespace, req.role ?? 'operator'),
  );

  app.post(
    '/delete',
    {
      schema: {
        summary: 'Delete the objects named in YAML (absent ones count as deleted) and mark their deployment records',
        tags: TAGS,
        body: z.object({ yaml_content: z.string().min(1), namespace: namespace.optional() }).strict(),
      },
    },
    async (req) => service.deleteYaml(req.body.yaml_content, req.body.namespace, req.role ?? 'operator'),
  );

  app.get(
    '/deployments',
    {
      schema: {
        summary: 'Deployment records, newest first (no side effects; total in X-Total-Count)',
        tags: TAGS,
        querystring: pageQuery.extend({
          status: z.enum(STATUSES).optional(),
          resource_type: z.enum(RESOURCE_TYPES).optional(),
          namespace: namespace.optional(),
          project_id: z.string().max(200).optional(),
          benchmark_type: z.string().max(200).optional(),
          resource_name: z.string().max(253).optional(),
          include_deleted: boolish.optional(),
        }),
      },
    },
    async (req, reply) => {
      const { limit, offset, ...f } = req.query;
      const { items, total } = await service.list(f, limit, offset);
      setTotal(reply, total);
      return items;
    },
  );

  app.get(
    '/deployments/:deployment_id',
    { schema: { summary: 'One deployment record', tags: TAGS, params: z.object({ deployment_id: z.string().min(1).max(100) }) } },
    async (req) => service.getDeployment(req.params.deployment_id),
  );

  const jobParams = z.object({ job_name: k8sName });
  const nsQuery = z.object({ namespace: namespace.optional() });

  app.get(
    '/jobs/:job_name/status',
    { schema: { summary: 'Live job status (pending, running, completed, failed)', tags: TAGS, params: jobParams, querystring: nsQuery } },
    async (req) => service.jobStatus(req.params.job_name, req.query.namespace),
  );

  app.delete(
    '/jobs/:job_name/delete',
    { schema: { summary: 'Delete a job with its pods and owned ConfigMap', tags: TAGS, params: jobParams, querystring: nsQuery } },
    async (req) => {
      const existed = await service.deleteJobChecked(req.params.job_name, req.query.namespace, req.role ?? 'operator');
      if (!existed) throw notFound(`Job ${req.params.job_name} not found`);
      return { status: 'success', message: `Job '${req.params.job_name}' deleted successfully` };
    },
  );

  const logsQuery = nsQuery.extend({
    tail_lines: tailLines,
    follow: boolish.default(false),
    pod_name: k8sName.optional(),
    container_name: z.string().min(1).max(63).optional(),
  });
  app.get(
    '/jobs/:job_name/logs',
    {
      schema: {
        summary: 'Job logs: the last tail_lines per pod as JSON, or follow=true streams text (SSE with Accept: text/event-stream)',
        tags: TAGS,
        params: jobParams,
        querystring: logsQuery,
      },
    },
    async (req, reply) => {
      const q = req.query;
      if (q.follow) return streamLogs(service, req, reply, req.params.job_name, q);
      return service.logs(req.params.job_name, q.namespace, q.tail_lines);
    },
  );

  app.post(
    '/jobs/logs',
    {
      schema: {
        summary: 'Job logs (body form); follow=true streams without blocking the server',
        tags: TAGS,
        body: z
          .object({
            job_name: k8sName,
            namespace: namespace.optional(),
            tail_lines: z.number().int().min(1).max(100_000).default(100),
            follow: z.boolean().default(false),
            pod_name: k8sName.optional(),
            container_name: z.string().min(1).max(63).optional(),
          })
          .strict(),
        response: { 200: logResponse },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (b.follow) return streamLogs(service, req, reply, b.job_name, b);
      return service.logs(b.job_name, b.namespace, b.tail_lines);
    },
  );

  const sessionResponse = (req: FastifyRequest, routePath: string, s: Awaited<ReturnType<TerminalManager['create']>>) => ({
    ...sessionInfo(s),
    websocket_url: wsUrl(req, prefixOf(req, routePath), s.sessionId),
  });

  app.post(
    '/terminal/create',
    { schema: { summary: 'Open a terminal session in a job pod (operator)', tags: TAGS, body: sessionBody } },
    async (req) => sessionResponse(req, '/terminal/create', await terminals.create(req.body, req.role ?? 'operator', 'body')),
  );

  app.post(
    '/jobs/:job_name/terminal',
    {
      schema: {
        summary: 'Open a terminal session in a job pod; options in the JSON body or the query (operator)',
        tags: TAGS,
        params: jobParams,
        querystring: sessionBody.omit({ job_name: true }),
        body: sessionBody.partial().nullish(),
      },
    },
    async (req) => {
      const fromBody = req.body ?? {};
      const merged = { ...req.query, ...Object.fromEntries(Object.entries(fromBody).filter(([, v]) => v !== undefined)) };
      delete (merged as any).job_name;
      const loc = req.body && Object.keys(req.body).length ? 'body' : 'query';
      const s = await terminals.create({ ...merged, job_name: req.params.job_name }, req.role ?? 'operator', loc);
      return sessionResponse(req, '/jobs/:job_name/terminal', s);
    },
  );

  app.get(
    '/terminal/sessions',
    {
      schema: {
        summary: 'Terminal sessions (optionally of one job)',
        tags: TAGS,
        querystring: z.object({ job_name: z.string().max(253).optional() }),
      },
    },
    async (req) => {
      const rows = await service.terminalSessions(req.query.job_name);
      const sessions = rows.map(sessionInfo);
      return { sessions, total_sessions: sessions.length, active_sessions: sessions.filter((s) => s.is_active).length };
    },
  );

  app.route({
    method: 'GET',
    url: '/terminal/:session_id',
    config: { role: 'operator' },
    schema: {
      summary: 'A terminal session; a WebSocket upgrade on this path attaches to its shell (operator)',
      tags: TAGS,
      params: z.object({ session_id: z.string().min(1).max(100) }),
    },
    handler: async (req) => {
      const s = await service.terminalSession((req.params as any).session_id);
      if (!s) throw notFound('Terminal session not found');
      return sessionInfo(s);
    },
    wsHandler: (socket, req) => {
      void terminals.serve(socket, (req.params as any).session_id, req.role ?? 'operator');
    },
  });

  app.delete(
    '/terminal/:session_id',
    { schema: { summary: 'Stop a terminal session', tags: TAGS, params: z.object({ session_id: z.string().min(1).max(100) }) } },
    async (req) => {
      const id = req.params.session_id;
      if (!(await service.terminalSession(id))) throw notFound(`Terminal session ${id} not found`);
      await terminals.stop({ id });
      return { message: `Terminal session ${id} stopped successfully` };
    },
  );

  app.delete(
    '/terminal/job/:job_name',
    { schema: { summary: "Stop every terminal session of a job", tags: TAGS, params: jobParams } },
    async (req) => {
      const ids = await terminals.stop({ jobName: req.params.job_name });
      return { message: `All terminal sessions for job '${req.params.job_name}' stopped successfully`, stopped: ids.length };
    },
  );
}

/**
 * Streams a job's logs as chunked text (or SSE) until the job ends or the client goes away. Follows retries: when an
 * attempt ends and another pod appears, it continues with that one. Nothing here blocks the event loop.
 */
async function streamLogs(
  service: DeployerService,
  req: FastifyRequest,
  reply: FastifyReply,
  jobName: string,
  q: { namespace?: string; tail_lines: number; pod_name?: string; container_name?: string },
): Promise<void> {
  const ex = service.executor;
  const ns = await service.namespaceOf(jobName, q.namespace);
  if (!(await ex.get('Job', jobName, ns))) throw notFound(`Job ${jobName} not found in namespace ${ns}`);
  const sse = String(req.headers.accept ?? '').includes('text/event-stream');
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': sse ? 'text/event-stream; charset=utf-8' : 'text/plain; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    'x-request-id': req.id,
  });
  const ac = new AbortController();
  raw.on('close', () => ac.abort());
  let pending = '';
  const emit = (text: string) => {
    if (!sse) return void raw.write(text);
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) raw.write(`data: ${l}\n\n`);
  };
  const out = new Writable({
    write(chunk, _enc, cb) {
      emit(chunk.toString('utf8'));
      cb();
    },
  });
  const followed = new Set<string>();
  let final = 'unknown';
  try {
    while (!ac.signal.aborted) {
      const pods = await ex.listPods(jobName, ns);
      const pod = q.pod_name ? pods.find((p) => p.name === q.pod_name) : pods.find((p) => !followed.has(p.name));
      if (pod && !followed.has(pod.name)) {
        followed.add(pod.name);
        const container = q.container_name ?? pod.containers[0];
        await ex.followLogs(ns, pod.name, container, { tailLines: q.tail_lines }, out, ac.signal);
        continue;
      }
      const st = await ex.jobStatus(jobName, ns).catch(() => undefined);
      final = st?.status ?? 'deleted';
      if (!st || TERMINAL_PHASES.includes(st.status) || q.pod_name) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    // a job that failed (or cannot start) says why at the end of the stream, as the JSON logs do
    if (!ac.signal.aborted && final === 'failed') {
      const job = await ex.get('Job', jobName, ns);
      if (job) for (const l of statusLines(job, await ex.listPods(jobName, ns))) emit(`${l}\n`);
    }
  } catch (e: any) {
    emit(`\n[error] ${e?.detail ?? e?.message ?? e}\n`);
  }
  if (sse) {
    if (pending) raw.write(`data: ${pending}\n\n`);
    raw.write(`event: end\ndata: ${JSON.stringify({ status: final })}\n\n`);
  }
  raw.end();
}

/** The objects per document stop being looked up past this many (work per request is bounded). */
const PREVIEW_LOOKUPS = 50;

/** POST /deploy's checks run per document without applying anything: each object's verdict and reason. */
async function previewDeploy(service: DeployerService, yamlContent: string, namespace: string | undefined, role: Role) {
  const ns = namespace ?? service.namespace;
  // unreadable YAML is a 422 naming yaml_content, as for /deploy
  let docs;
  try {
    docs = parseManifests(yamlContent, 'deployment', ['body', 'yaml_content']);
  } catch (e) {
    // a document that is not an object is the YAML's fault too: named as the field it came in
    throw isAppError(e) && e.status === 400 ? unprocessable(['body', 'yaml_content'], e.detail) : e;
  }
  const seen = new Set<string>();
  const objects = [];
  for (const [i, d] of docs.entries()) {
    const name = typeof d.metadata?.name === 'string' ? d.metadata.name : '';
    const key = `${d.kind}/${name}`;
    let allowed = true;
    let reason = 'will be created';
    try {
      checkAllowed(d, ns, { admin: role === 'admin', defaultNamespace: service.namespace });
      const host = d.kind === 'Job' && role !== 'admin' ? service.executor.hostCommand?.(d) : null;
      if (host) throw new Error(`would run ${host} as a process on the BenchOps host (local executor); only the admin role may run host commands`);
      if (seen.has(key)) throw new Error(`${key} appears twice in the YAML`);
    } catch (e) {
      allowed = false;
      reason = isAppError(e) ? e.detail : (e as Error).message;
    }
    seen.add(key);
    const objNs = d.metadata?.namespace ?? ns;
    let exists: boolean | null = null;
    if (allowed && name && i < PREVIEW_LOOKUPS) {
      exists = !!(await service.executor.get(d.kind, name, objNs).catch(() => undefined));
      if (exists) {
        allowed = false;
        reason = `${key} already exists in namespace ${objNs}: delete it first`;
      }
    }
    objects.push({ kind: d.kind, name: name || '?', namespace: objNs, allowed, reason, exists });
  }
  return { namespace: ns, allowed: objects.every((o) => o.allowed), objects };
}
