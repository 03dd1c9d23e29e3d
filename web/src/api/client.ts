/**
 * Typed API clients, one per service, generated from the services' own OpenAPI documents (./schema, `npm run gen:api`)
 * and called through openapi-fetch: paths, parameters and bodies are checked by the compiler. Every call carries the
 * session's bearer token; `unwrap` turns an error answer into an ApiError (422 issues kept for the form fields).
 */
import createClient, { type Middleware } from 'openapi-fetch';
import { getToken, reportUnauthorized } from '../auth/token';
import { ApiError, apiErrorFrom } from './errors';
import type { paths as DeployerPaths } from './schema/deployer';
import type { paths as EvalPaths } from './schema/eval';
import type { paths as GatewayPaths } from './schema/gateway';
import type { paths as ManagerPaths } from './schema/manager';
import type { paths as MlflowPaths } from './schema/mlflow';
import type { paths as ResultsPaths } from './schema/results';
import type { paths as VllmPaths } from './schema/vllm';
import type { paths as WorkflowsPaths } from './schema/workflows';

const origin = typeof window !== 'undefined' ? window.location.origin : 'http://127.0.0.1:8080';

const auth: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) reportUnauthorized();
    return response;
  },
};

function client<P extends object>(prefix: string) {
  const c = createClient<P>({ baseUrl: `${origin}${prefix}` });
  c.use(auth);
  return c;
}

/** Projects, files, sync (the manager service, /api/manager). */
export const manager = client<ManagerPaths>('/api/manager');
/** Results, compare, history (/api/results). */
export const results = client<ResultsPaths>('/api/results');
/** Runs, jobs, logs, terminals (/api/deployer). */
export const deployer = client<DeployerPaths>('/api/deployer');
/** Model deployments, placement, the queue (/api/vllm). */
export const vllm = client<VllmPaths>('/api/vllm');
/** The performance-benchmark workflow (seed 003: steps, Simulate, runs; /api/workflows). */
export const workflows = client<WorkflowsPaths>('/api/workflows');
/** Evaluations and their cron schedules (seed 002; /api/eval). */
export const evaluations = client<EvalPaths>('/api/eval');
/** The MLflow integration: connections, polls, processed model versions (/api/mlflow). */
export const mlflow = client<MlflowPaths>('/api/mlflow');
/** The gateway's own routes: `/v1/models`, `/api/session`. */
export const gateway = client<GatewayPaths>('');

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits an openapi-fetch call: its data, or an ApiError (status 0 when the server could not be reached). */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let r: FetchResult<T>;
  try {
    r = await call;
  } catch (e) {
    throw new ApiError(0, `The server could not be reached (${(e as Error).message})`);
  }
  if (!r.response.ok) throw apiErrorFrom(r.response.status, r.error);
  return r.data as T;
}

/** Like unwrap, for list routes: the items and the `X-Total-Count` total. */
export async function unwrapPage<T>(call: Promise<FetchResult<T[]>>): Promise<{ items: T[]; total: number }> {
  let response: Response | undefined;
  const items = await unwrap(
    call.then((r) => {
      response = r.response;
      return r;
    }),
  );
  const total = Number(response?.headers.get('x-total-count') ?? items.length);
  return { items, total: Number.isFinite(total) ? total : items.length };
}

/**
 * unwrap for a route whose OpenAPI entry declares no response schema yet: the caller names the shape (api/views.ts).
 * Replace with unwrap once the service declares it and the types are regenerated.
 */
export function unwrapAs<T>(call: Promise<FetchResult<any>>): Promise<T> {
  return unwrap(call) as Promise<T>;
}

/** unwrapPage for a list route without a declared response schema. */
export function unwrapPageAs<T>(call: Promise<FetchResult<any>>): Promise<{ items: T[]; total: number }> {
  return unwrapPage(call as Promise<FetchResult<T[]>>);
}
