/**
 * HTTP routes of the MLflow integration (:8003): the seed's `/health` (platform), `POST /poll`, `GET /connections`,
 * plus the events it recorded, its settings (admin; secrets never returned) and MLflow webhooks (HMAC-signed, no
 * bearer token: MLflow cannot send one). Thin: validate, call the integration, shape the response.
 */
import { z } from 'zod';
import { AppError, notFound, unprocessable } from '../../core/errors.ts';
import { iso, pageQuery, setTotal, type App } from '../../core/http.ts';
import { parseJsonSafe, SafeParseError } from '../../core/parse.ts';
import { redactUrl } from './git-writer.ts';
import type { EventRow, MlflowRepository } from './repository.ts';
import type { MlflowIntegration } from './service.ts';
import { publicSettings, settingsInput, type SettingsStore } from './settings.ts';
import { readPayload, verifyDelivery } from './webhook.ts';

export interface MlflowRouteDeps {
  integration: MlflowIntegration;
  repo: MlflowRepository;
  settings: SettingsStore;
}

const idParam = z.object({ id: z.string().uuid() });
/** These POSTs take no input: a body, if any, must be an empty object (anything else is a 422, never ignored). */
const noBody = z.object({}).strict().nullish();
const STATUSES = ['pending', 'processing', 'completed', 'failed', 'abandoned'] as const;

/** An event as the API shows it. */
export function eventView(r: EventRow) {
  return {
    id: r.id,
    model_name: r.modelName,
    version: r.version,
    engine: r.engine,
    event_type: r.eventType,
    status: r.status,
    trigger: r.trigger,
    selection: r.selection,
    mlflow: r.mlflow,
    attempts: r.attempts,
    next_attempt_at: r.status === 'failed' ? iso(r.nextAttemptAt) : null,
    outcome: r.outcome,
    warnings: r.warnings,
    error: r.error,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    finished_at: iso(r.finishedAt),
  };
}

export async function registerMlflowRoutes(app: App, d: MlflowRouteDeps): Promise<void> {
  const tags = ['mlflow'];

  app.post(
    '/poll',
    {
      schema: {
        summary: 'Poll the MLflow registry now; joins a poll this replica is already running and returns its result (wait=false: 202 at once, the poll runs on)',
        tags,
        body: noBody,
        querystring: z
          .object({
            wait: z
              .enum(['true', 'false', '1', '0'])
              .optional()
              .transform((v) => v !== 'false' && v !== '0'),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const running = d.integration.poll('manual');
      if (req.query.wait) return running;
      running.catch(() => {}); // its outcome is on GET /connections (last_poll) and in GET /events
      return reply.code(202).send({ status: 'started', polling: true, timestamp: new Date().toISOString() });
    },
  );

  app.get(
    '/connections',
    { schema: { summary: 'MLflow and Git reachability (checked at most every 30 s), the configured targets, the last poll', tags } },
    async () => {
      const st = await d.integration.checkConnections();
      const s = await d.settings.effective();
      const anyDown = (st.mlflow.configured && st.mlflow.ok === false) || (st.git.configured && st.git.ok === false);
      return {
        status: anyDown ? 'degraded' : 'healthy',
        mlflow_connected: st.mlflow.configured ? st.mlflow.ok === true : false,
        github_connected: st.git.configured ? st.git.ok === true : null,
        git_connected: st.git.configured ? st.git.ok === true : null,
        mlflow_uri: s.tracking_uri ? redactUrl(s.tracking_uri) : null,
        github_repo: s.git_url ? redactUrl(s.git_url) : null,
        git_branch: s.git_branch,
        selection: s.select,
        engines: s.engines,
        mlflow: st.mlflow,
        git: st.git,
        last_check: [st.mlflow.checked_at, st.git.checked_at].filter(Boolean).sort().pop() ?? null,
        last_poll: d.integration.lastPoll
          ? { timestamp: d.integration.lastPoll.timestamp, status: d.integration.lastPoll.status, message: d.integration.lastPoll.message, errors: d.integration.lastPoll.errors }
          : null,
        polling: d.integration.polling,
      };
    },
  );

  app.get(
    '/events',
    {
      schema: {
        summary: 'Recorded events, newest first (filters: model_name, version, engine, status, trigger, event_type; total in X-Total-Count)',
        tags,
        querystring: pageQuery.extend({
          model_name: z.string().min(1).max(500).optional(),
          version: z.string().min(1).max(100).optional(),
          engine: z.enum(['vllm', 'tensorrt-llm']).optional(),
          status: z.enum(STATUSES).optional(),
          trigger: z.enum(['poll', 'manual', 'webhook']).optional(),
          event_type: z.enum(['model_version_created', 'model_version_updated', 'model_version_unchanged']).optional(),
        }).strict(),
      },
    },
    async (req, reply) => {
      const { rows, total } = await d.repo.list(req.query);
      setTotal(reply, total);
      return rows.map(eventView);
    },
  );

  app.get('/events/:id', { schema: { summary: 'One event', tags, params: idParam } }, async (req) => {
    const row = await d.repo.get(req.params.id);
    if (!row) throw notFound(`Event ${req.params.id} not found`);
    return eventView(row);
  });

  app.post(
    '/events/:id/retry',
    { schema: { summary: 'Retry a failed or abandoned event now (fresh attempts; finished steps are not repeated)', tags, params: idParam, body: noBody } },
    async (req) => {
      const row = await d.repo.retryNow(req.params.id);
      if (!row) {
        if (!(await d.repo.get(req.params.id))) throw notFound(`Event ${req.params.id} not found`);
        throw new AppError(409, 'Only failed or abandoned events can be retried', 'conflict');
      }
      const s = await d.settings.effective();
      void d.integration.processDue(s, undefined, [row.id]).catch(() => {});
      return eventView(row);
    },
  );

  app.get('/settings', { config: { role: 'admin' }, schema: { summary: 'Effective settings (environment overridden by stored ones); secrets only as set / not set (admin)', tags } }, async () =>
    publicSettings(await d.settings.effective()),
  );

  app.put(
    '/settings',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Store settings over the environment (admin): tokens and the webhook secret are encrypted at rest and never returned; null removes a stored value',
        tags,
        body: settingsInput,
      },
    },
    async (req) => publicSettings(await d.settings.update(req.body)),
  );

  // Webhooks: the raw body is needed for the signature, so this scope reads JSON as text and parses it after the check.
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post(
      '/webhooks/mlflow',
      {
        config: { public: true },
        schema: {
          summary: 'MLflow webhook receiver (model_version.created, model_version_alias.created); X-MLflow-Signature HMAC-SHA256 checked, no bearer token',
          tags,
        },
      },
      async (req, reply) => {
        const s = await d.settings.effective();
        // no secret, no receiver: an unsigned delivery is never acted on
        if (!s.webhook_secret) throw notFound('No webhook receiver is configured (BENCHOPS_MLFLOW_WEBHOOK_SECRET or PUT /settings webhook_secret)');
        const raw = typeof req.body === 'string' ? req.body : '';
        const h = (n: string) => {
          const v = req.headers[n];
          return Array.isArray(v) ? v[0] : v;
        };
        const why = verifyDelivery(s.webhook_secret, { signature: h('x-mlflow-signature'), deliveryId: h('x-mlflow-delivery-id'), timestamp: h('x-mlflow-timestamp') }, raw);
        if (why) throw new AppError(401, `Webhook refused: ${why}`, 'unauthorized');
        let payload: unknown;
        try {
          payload = parseJsonSafe(raw);
        } catch (e) {
          throw unprocessable(['body'], `not valid JSON: ${e instanceof SafeParseError ? e.message : 'unreadable'}`, 'json_invalid');
        }
        const a = readPayload(payload);
        if (a.kind === 'invalid') throw unprocessable(a.loc, a.msg);
        if (a.kind === 'ignored') return reply.code(200).send({ status: 'ignored', reason: a.reason, events: [] });
        const out = await d.integration.webhook(a, ((payload as any).data ?? {}) as Record<string, unknown>);
        return reply.code(out.status === 'accepted' ? 202 : 200).send(out);
      },
    );
  });
}
