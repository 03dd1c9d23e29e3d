/** The queue and scheduler calls of the vLLM service (typed paths; shapes from ./model until the routes declare them). */
import { unwrap, unwrapAs, unwrapPageAs, vllm } from '../../api/client';
import type { Priority, QueueCounts, QueueItem, QueueStatus, SchedulerStatus } from './model';

const id = (i: string) => ({ params: { path: { id: i } } });

export const queueApi = {
  list: (q: { status?: QueueStatus; limit: number; offset: number }) => unwrapPageAs<QueueItem>(vllm.GET('/queue/list', { params: { query: q } })),
  get: (i: string) => unwrapAs<QueueItem>(vllm.GET('/queue/{id}', id(i))),
  counts: () => unwrapAs<QueueCounts>(vllm.GET('/queue/status')),
  enqueue: (body: Record<string, unknown>) => unwrapAs<QueueItem>(vllm.POST('/queue/deployment', { body })),
  cancel: (i: string) => unwrap(vllm.POST('/queue/{id}/cancel', id(i))),
  /** Cancels with cleanup (when processing) and deletes. */
  force: (i: string) => unwrap(vllm.DELETE('/queue/{id}/force', id(i))),
  remove: (i: string) => unwrap(vllm.DELETE('/queue/{id}', { params: { path: { id: i }, query: {} } })),
  priority: (i: string, priority: Priority) => unwrap(vllm.POST('/queue/{id}/priority', { params: { path: { id: i } }, body: { priority } })),
  scheduler: () => unwrapAs<SchedulerStatus>(vllm.GET('/scheduler/status')),
  schedulerAction: (verb: 'start' | 'stop' | 'pause' | 'resume' | 'trigger') => unwrap(vllm.POST(`/scheduler/${verb}` as '/scheduler/start')),
  setPollInterval: (seconds: number) => unwrapAs<{ message: string; poll_interval: number; running: boolean }>(vllm.PUT('/scheduler/config', { body: { poll_interval: seconds } })),
  clusters: () => unwrapAs<Array<{ id: string; name: string; kind: string; namespace: string }>>(vllm.GET('/clusters')),
};
