/**
 * The deployer's `/vllm/*` endpoints (reference §2.5): the earlier web client and scripts post vLLM deployments and
 * deploy-then-benchmark requests here. The deployer runs no Helm and keeps no queue of its own; everything forwards to
 * the vLLM service's queue (in-process in embedded mode, `BENCHOPS_VLLM_URL` in cluster mode), so there is one queue and
 * one scheduler. Unlike the earlier deployer, a request the queue refuses is an error here (422 naming the field, 503
 * when the vLLM service is unreachable), never `status: "success"` with `queue_request_id: null`.
 */
import { z } from 'zod';
import { pageQuery, setTotal, type App } from '../../core/http.ts';
import type { VllmApi } from '../vllm/api.ts';
import type { QueueRequestInput } from '../vllm/models.ts';

const TAGS = ['vllm (forwarded)'];
const anyBody = z.record(z.string(), z.unknown());
const idParams = z.object({ id: z.string().min(1).max(200) });
const message = z.object({ message: z.string() });

export function registerVllmForwardRoutes(app: App, vllm: () => VllmApi): void {
  app.post(
    '/vllm/helm/deploy',
    {
      schema: {
        summary: 'Queue a vLLM deployment from Helm-style values (vllm_helm_config.project_id + values_file_id) or vllm_config, then its benchmark jobs',
        description:
          'Forwards to the vLLM service queue. Body as the earlier deployer: `vllm_config`, `vllm_helm_config` {project_id, values_file_id, ' +
          'release_name, namespace, chart_path, additional_args}, `benchmark_configs`, `scheduling_config`, `priority`, `skip_vllm_creation`. ' +
          'Validation errors from the queue come back as 422 naming the field.',
        tags: TAGS,
        body: anyBody,
      },
    },
    async (req) => {
      const body = { ...(req.body as Record<string, unknown>) };
      const skip = body.skip_vllm_creation === true;
      if (!skip && body.vllm_helm_config) body.helm_deployment = true;
      const item = await vllm().enqueue(body as QueueRequestInput, { role: req.role });
      return {
        status: 'success',
        message: skip
          ? 'Benchmark jobs registered in the queue (no vLLM deployment is created)'
          : 'VLLM Helm deployment request registered in queue successfully',
        deployment_id: skip ? 'skipped-vllm' : 'queued',
        queue_request_id: item.queue_request_id,
        action: 'queued',
        warnings: item.warnings ?? [],
      };
    },
  );

  app.post(
    '/vllm/queue/deployment',
    { schema: { summary: 'Queue a vLLM deployment and its benchmark jobs (forwarded to the vLLM service)', tags: TAGS, body: anyBody } },
    async (req) => vllm().enqueue(req.body as QueueRequestInput, { role: req.role }),
  );

  app.get(
    '/vllm/queue/list',
    {
      schema: {
        summary: 'Queue items, newest first (paginated; X-Total-Count)',
        tags: TAGS,
        querystring: pageQuery.extend({ status: z.enum(['pending', 'processing', 'completed', 'failed', 'cancelled']).optional() }),
      },
    },
    async (req, reply) => {
      const q = req.query as { limit: number; offset: number; status?: string };
      const api = vllm();
      const [items, counts] = await Promise.all([api.listQueue(q), api.queueStatus()]);
      const total = q.status ? (counts as unknown as Record<string, number>)[`${q.status}_requests`] : counts.total_requests;
      setTotal(reply, total ?? items.length);
      return items;
    },
  );

  app.get('/vllm/queue/status', { schema: { summary: 'Queue counts by status', tags: TAGS } }, async () => vllm().queueStatus());

  app.get(
    '/vllm/queue/scheduler/status',
    { schema: { summary: 'Whether the vLLM queue scheduler claims items and whether any is being processed', tags: TAGS } },
    async () => {
      const s = await vllm().schedulerState();
      return {
        processing_queue: s.active_requests > 0,
        scheduler_running: s.running,
        message: s.running ? 'Queue scheduler is running' : 'Queue scheduler is stopped (items wait until it is started)',
        ...s,
      };
    },
  );

  app.post(
    '/vllm/queue/scheduler/trigger',
    { schema: { summary: 'Run a scheduling pass now; returns at once (items run in the background)', tags: TAGS, response: { 200: message } } },
    async () => {
      await vllm().triggerScheduler();
      return { message: 'Queue processing triggered successfully' };
    },
  );

  app.get(
    '/vllm/queue/:id',
    { schema: { summary: 'One queue item', tags: TAGS, params: idParams } },
    async (req) => vllm().getQueueItem((req.params as { id: string }).id),
  );

  // The earlier deployer's DELETE cancels (its clients rely on that); the record stays, with status `cancelled`.
  app.delete(
    '/vllm/queue/:id',
    { schema: { summary: 'Cancel a pending or processing item (the record stays, status cancelled)', tags: TAGS, params: idParams, response: { 200: message } } },
    async (req) => {
      const { id } = req.params as { id: string };
      await vllm().cancel(id);
      return { message: `Queue request ${id} cancelled successfully` };
    },
  );

  app.post(
    '/vllm/queue/:id/cancel',
    { schema: { summary: 'Cancel a pending or processing item: its running step stops, only its own objects are cleaned', tags: TAGS, params: idParams, response: { 200: message } } },
    async (req) => {
      const { id } = req.params as { id: string };
      await vllm().cancel(id);
      return { message: `VLLM queue request ${id} cancelled successfully` };
    },
  );

  app.post(
    '/vllm/queue/:id/priority',
    {
      schema: {
        summary: 'Change the priority of a pending item (low, medium, high, urgent)',
        tags: TAGS,
        params: idParams,
        body: z.object({ priority: z.string().min(1).max(20) }),
        response: { 200: message },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { priority } = req.body as { priority: string };
      await vllm().setPriority(id, priority);
      return { message: `VLLM queue request ${id} priority changed to ${priority}` };
    },
  );
}
