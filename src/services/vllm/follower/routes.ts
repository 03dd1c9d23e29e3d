/** Routes of the Git follower on the vLLM service: which vLLM projects are followed, and each values file's state. */
import { inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../../core/db/client.ts';
import { notFound } from '../../../core/errors.ts';
import type { App } from '../../../core/http.ts';
import type { GitFollower } from '../follower.ts';
import { PRIORITIES } from '../models.ts';
import { vllmDeployments } from '../schema.ts';
import { fileView, followView, type FileRow, type FollowRow } from './store.ts';

const projectParam = z.object({ project_id: z.string().min(1).max(200) });
const followBody = z
  .object({
    cluster_id: z.string().min(1).max(100).optional(),
    priority: z.enum(PRIORITIES).optional(),
    prune: z.boolean().optional(),
    self_heal: z.boolean().optional(),
  })
  .strict();

const fileSchema = z.object({
  path: z.string(),
  file_id: z.string().nullable(),
  status: z.enum(['deploying', 'deployed', 'waiting', 'error', 'invalid']).describe('deploying | deployed | waiting (the previous deployment is in use) | error (retried at retry_at) | invalid (not a vLLM config)'),
  content_hash: z.string().describe('sha256 of the content this state is about'),
  queue_item_id: z.string().nullable(),
  deployment_id: z.string().nullable(),
  deployment_status: z.string().nullable(),
  endpoint: z.string().nullable(),
  error: z.string().nullable(),
  warnings: z.array(z.string()),
  attempts: z.number().int(),
  retry_at: z.string().nullable(),
  heals: z.number().int(),
  updated_at: z.string().nullable(),
});
const followSchema = z.object({
  project_id: z.string(),
  cluster_id: z.string(),
  priority: z.string(),
  prune: z.boolean(),
  self_heal: z.boolean(),
  last_tick_at: z.string().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string().nullable(),
  files: z.array(fileSchema),
});
const passSchema = z.object({
  project_id: z.string(),
  deployed: z.number().int(),
  stopped: z.number().int(),
  healed: z.number().int(),
  invalid: z.number().int(),
  deferred: z.number().int(),
  error: z.string().nullable(),
});

/** Views of follows with their files and the deployments' live status (one query for all deployments). */
async function views(db: Db, follows: FollowRow[], files: FileRow[]) {
  const ids = files.map((f) => f.deploymentId).filter((x): x is string => !!x);
  const deps = ids.length
    ? await db.select({ id: vllmDeployments.id, status: vllmDeployments.status, endpoint: vllmDeployments.endpoint }).from(vllmDeployments).where(inArray(vllmDeployments.id, ids))
    : [];
  const byId = new Map(deps.map((d) => [d.id, d]));
  return follows.map((f) =>
    followView(
      f,
      files.filter((x) => x.projectId === f.projectId).map((x) => fileView(x, x.deploymentId ? byId.get(x.deploymentId) : null)),
    ),
  );
}

export async function registerFollowerRoutes(app: App, db: Db, follower: GitFollower): Promise<void> {
  const tags = ['git follower'];
  const one = async (projectId: string) => {
    const f = await follower.store.follow(projectId);
    if (!f) throw notFound(`Project ${projectId} is not followed`);
    return (await views(db, [f], await follower.store.files([projectId])))[0];
  };

  app.get('/follow', { schema: { summary: 'Followed vLLM projects (Git as the source of truth) with each values file’s state, deployment and error', tags, response: { 200: z.array(followSchema) } } }, async () => {
    const follows = await follower.store.follows();
    return views(db, follows, await follower.store.files(follows.map((f) => f.projectId)));
  });

  app.get('/follow/:project_id', { schema: { summary: 'One followed project with its files’ states', tags, params: projectParam, response: { 200: followSchema } } }, async (req) => one(req.params.project_id));

  app.put(
    '/follow/:project_id',
    {
      schema: {
        summary:
          'Follow a vLLM project: every custom-values*.yaml under its vllm_values_path is kept deployed (new/changed → deployed, removed → pruned, stopped or drifted → restored). Leave off on a cluster where Argo CD applies the same files.',
        tags,
        params: projectParam,
        body: followBody,
        response: { 200: followSchema },
      },
    },
    async (req) => {
      await follower.follow(req.params.project_id, req.body);
      return one(req.params.project_id);
    },
  );

  app.delete(
    '/follow/:project_id',
    {
      schema: {
        summary: 'Stop following (prune=true, the default: also stop the deployments the follower created for it)',
        tags,
        params: projectParam,
        querystring: z.object({ prune: z.enum(['true', 'false', '1', '0']).optional() }),
        response: { 200: z.object({ message: z.string(), stopped_deployments: z.number().int() }) },
      },
    },
    async (req) => {
      if (!(await follower.store.follow(req.params.project_id))) throw notFound(`Project ${req.params.project_id} is not followed`);
      const prune = req.query.prune === undefined || req.query.prune === 'true' || req.query.prune === '1';
      const r = await follower.unfollow(req.params.project_id, prune);
      return { message: `Project ${req.params.project_id} no longer followed`, stopped_deployments: r.stopped };
    },
  );

  app.post(
    '/follow/:project_id/sync',
    { schema: { summary: 'Run a pass over the project now (after the manager synced it) and return what it did and the files’ states', tags, params: projectParam, response: { 200: z.object({ result: passSchema, follow: followSchema }) } } },
    async (req) => {
      const result = await follower.syncNow(req.params.project_id);
      return { result, follow: await one(req.params.project_id) };
    },
  );
}
