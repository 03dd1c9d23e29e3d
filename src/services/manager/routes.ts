/** HTTP routes of the manager (seed 001 + SPEC 3.1); thin: validate, call the service, shape the response. */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { iso, pageQuery, setTotal, type App } from '../../core/http.ts';
import type { ManagerService } from './service.ts';
import { syncFailureResponse, type Syncer, type SyncResponse } from './sync.ts';
import { mapLimit } from './git/source.ts';
import { listSyncRuns } from './repository.ts';
import { modifiedView, projectView } from './views.ts';

const FILE_TYPES = ['config', 'job', 'vllm'] as const;
const text = (max: number) => z.string().max(max);

const projectFields = {
  project_type: z.enum(['benchmark', 'vllm', '']).nullish().transform((v) => (v ? v : undefined)),
  github_repo_url: text(2048).nullish(),
  repository_url: text(2048).nullish().describe('Alias of github_repo_url (earlier web client)'),
  github_token: text(1024).nullish().describe('Write-only; empty or masked keeps the stored token'),
  clear_github_token: z.boolean().optional(),
  config_folder: text(1024).nullish(),
  config_path: text(1024).nullish().describe('Alias of config_folder'),
  job_folder: text(1024).nullish(),
  job_path: text(1024).nullish().describe('Alias of job_folder'),
  vllm_values_path: text(1024).nullish(),
  branch: text(255).nullish().describe("Default: the repository's default branch"),
  polling_interval: z.number().int().min(0).max(31_536_000).nullish().describe('Seconds; 0 = manual sync only'),
};
const projectCreate = z.object({ name: z.string().min(1).max(200), ...projectFields });
const projectUpdate = z.object({ name: z.string().min(1).max(200).nullish(), ...projectFields });

const modifiedBody = z.object({
  original_file_id: text(100).nullish(),
  modified_name: text(255).nullish(),
  file_path: text(1024).nullish(),
  file_type: z.enum(FILE_TYPES).nullish(),
  content: z.string().nullish(),
  project_id: text(100).nullish(),
  // Sent by the earlier client; accepted and ignored (ids and times are the server's).
  modified: z.boolean().nullish(),
  file_id: z.string().nullish(),
  created_at: z.string().nullish(),
  modified_at: z.string().nullish(),
  benchmark_type: z.string().nullish(),
  file_name: z.string().nullish(),
});

const projectParams = z.object({ project_id: z.string().min(1).max(100) });
const fileParams = z.object({ project_id: z.string().min(1).max(100), file_id: z.string().min(1).max(100) });
const modifiedParams = z.object({ file_id: z.string().min(1).max(100) });

/** Largest page of a file list that carries content (files are up to 5 MiB each). */
const MAX_PAGE_WITH_CONTENT = 100;

const filesQueryFields = z.object({
    file_type: z.enum(FILE_TYPES).optional(),
    benchmark_type: z.string().max(255).optional(),
    source: z.enum(['original', 'modified']).optional(),
    include_content: z
      .enum(['true', 'false', '1', '0'])
      .optional()
      .transform((v) => v === 'true' || v === '1')
      .describe(`Also return each file's content (pages of at most ${MAX_PAGE_WITH_CONTENT}); lists leave it out by default`),
    // The earlier clients read whole lists, so the default page is large (without content, 1,000 entries are ~250 KiB).
    limit: z.coerce.number().int().min(1).max(10_000).optional().describe(`Default 1000; with include_content ${MAX_PAGE_WITH_CONTENT}`),
    offset: z.coerce.number().int().min(0).default(0),
  });

/** The page size: default by whether content is included, and bounded then. */
function pageDefaults<Q extends { limit?: number; include_content: boolean }>(q: Q, ctx: z.RefinementCtx): Q & { limit: number } {
  const limit = q.limit ?? (q.include_content ? MAX_PAGE_WITH_CONTENT : 1000);
  if (q.include_content && limit > MAX_PAGE_WITH_CONTENT) {
    ctx.addIssue({ code: 'custom', path: ['limit'], message: `limit is at most ${MAX_PAGE_WITH_CONTENT} with include_content` });
  }
  return { ...q, limit };
}
const filesQuery = filesQueryFields.transform(pageDefaults);
const modifiedFilesQuery = filesQueryFields.omit({ source: true }).transform(pageDefaults);

/** Sends JSON text the database built as the response body, as is (no parse, no serialisation). */
function sendJsonText(reply: FastifyReply, json: string) {
  return reply.type('application/json; charset=utf-8').send(json);
}

const strip = <T extends Record<string, any>>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export function registerManagerRoutes(app: App, svc: ManagerService, syncer: Syncer): void {
  const tags = ['projects'];
  const fileTags = ['files'];

  app.post('/projects', { schema: { summary: 'Create a project (a Git repository)', tags, body: projectCreate } }, async (req) =>
    projectView(await svc.createProject(strip(req.body) as any, req.role ?? 'operator')),
  );

  app.get(
    '/projects',
    {
      schema: {
        summary: 'List projects',
        tags,
        querystring: pageQuery.extend({ project_type: z.enum(['benchmark', 'vllm']).optional(), name: z.string().max(200).optional() }),
      },
    },
    async (req, reply) => {
      const { json, total } = await svc.pageProjects(req.query);
      setTotal(reply, total);
      return sendJsonText(reply, json);
    },
  );

  app.post('/projects/sync-all', { schema: { summary: 'Sync every project', tags } }, async () => {
    const ids: string[] = [];
    for (let offset = 0; ; offset += 1000) {
      const { rows } = await svc.listProjects({ limit: 1000, offset });
      ids.push(...rows.map((r) => r.id));
      if (rows.length < 1000) break;
    }
    // one project's failure is its entry (and its last_sync_status), never the loss of every other result
    return mapLimit(ids, 4, (id) =>
      syncer.sync(id, 'sync-all').catch((e): SyncResponse | null => {
        if (e?.status === 404) return null; // deleted meanwhile
        return syncFailureResponse(id, `unexpected error: ${e?.message ?? e}`);
      }),
    ).then((r) => r.filter((x) => x !== null));
  });

  app.get('/projects/:project_id', { schema: { summary: 'A project and its file counts', tags, params: projectParams } }, async (req) =>
    svc.projectDetail(req.params.project_id),
  );

  app.put(
    '/projects/:project_id',
    { schema: { summary: 'Update a project (partial); an empty or masked token keeps the stored one', tags, params: projectParams, body: projectUpdate } },
    async (req) => projectView(await svc.updateProject(req.params.project_id, strip(req.body) as any, req.role ?? 'operator')),
  );

  app.delete('/projects/:project_id', { schema: { summary: 'Delete a project, its files and modified files', tags, params: projectParams } }, async (req) => {
    await svc.deleteProject(req.params.project_id);
    await syncer.forget(req.params.project_id);
    return { message: 'Project deleted successfully' };
  });

  app.post(
    '/projects/:project_id/sync',
    {
      schema: {
        summary:
          'Sync the project from its repository: 200 with status "error" on failure (the earlier clients read that shape); nothing changes then, and the failure is kept on the project (last_sync_status, last_sync_error) and in its sync runs',
        tags,
        params: projectParams,
      },
    },
    async (req) => syncer.sync(req.params.project_id, 'manual'),
  );

  app.get(
    '/projects/:project_id/sync-runs',
    { schema: { summary: 'Sync history of a project, newest first', tags, params: projectParams, querystring: pageQuery } },
    async (req, reply) => {
      await svc.requireProject(req.params.project_id);
      const { rows, total } = await listSyncRuns(svc.db, req.params.project_id, req.query.limit, req.query.offset);
      setTotal(reply, total);
      return rows.map((r) => ({
        run_id: r.id,
        project_id: r.projectId,
        trigger: r.trigger,
        instance: r.instance,
        status: r.status,
        message: r.message,
        new_files: r.newFiles,
        updated_files: r.updatedFiles,
        deleted_files: r.deletedFiles,
        synced_files: r.syncedFiles,
        commit: r.commit,
        started_at: iso(r.startedAt),
        finished_at: iso(r.finishedAt),
      }));
    },
  );

  app.get(
    '/projects/:project_id/files',
    {
      schema: {
        summary: 'Files of a project: originals, then modified copies (flat array without content unless include_content; total in X-Total-Count)',
        tags: fileTags,
        params: projectParams,
        querystring: filesQuery,
      },
    },
    async (req, reply) => {
      const { json, total } = await svc.pageFiles(req.params.project_id, req.query);
      setTotal(reply, total);
      return sendJsonText(reply, json);
    },
  );

  app.get(
    '/projects/:project_id/files/:file_id',
    { schema: { summary: 'One file of the project: {file_type: original|modified, file}', tags: fileTags, params: fileParams } },
    async (req) => svc.getFileEntry(req.params.project_id, req.params.file_id),
  );

  app.get(
    '/projects/:project_id/files/:file_id/diff',
    { schema: { summary: 'Unified diff of a modified file against its original', tags: fileTags, params: fileParams } },
    async (req) => svc.diff(req.params.project_id, req.params.file_id),
  );

  app.post(
    '/projects/:project_id/modified-files',
    {
      schema: {
        summary: 'Create a modified copy (from original_file_id [+ modified_name], or file_path + content)',
        tags: fileTags,
        params: projectParams,
        body: modifiedBody,
      },
    },
    async (req) => modifiedView(await svc.createModified(req.params.project_id, req.body)),
  );

  app.get(
    '/projects/:project_id/modified-files',
    { schema: { summary: 'Modified copies of a project (no content unless include_content)', tags: fileTags, params: projectParams, querystring: modifiedFilesQuery } },
    async (req, reply) => {
      const { json, total } = await svc.listModifiedFiles(req.params.project_id, req.query);
      setTotal(reply, total);
      return sendJsonText(reply, json);
    },
  );

  app.delete(
    '/projects/:project_id/modified-files',
    { schema: { summary: 'Reset: delete every modified copy of the project (originals stay)', tags: fileTags, params: projectParams } },
    async (req) => {
      const n = await svc.resetProject(req.params.project_id);
      return { message: `Reset completed. Deleted ${n} modified files.`, deleted_count: n };
    },
  );

  app.get('/modified-files/:file_id', { schema: { summary: 'A modified copy', tags: fileTags, params: modifiedParams } }, async (req) =>
    modifiedView(await svc.getModifiedFile(req.params.file_id)),
  );

  app.put(
    '/modified-files/:file_id',
    {
      schema: {
        summary: 'Update a modified copy (content, rename via file_path or modified_name)',
        tags: fileTags,
        params: modifiedParams,
        body: modifiedBody,
      },
    },
    async (req) => modifiedView(await svc.updateModified(req.params.file_id, req.body)),
  );

  app.delete('/modified-files/:file_id', { schema: { summary: 'Delete a modified copy', tags: fileTags, params: modifiedParams } }, async (req) => {
    await svc.deleteModified(req.params.file_id);
    return { message: 'Modified file deleted successfully' };
  });
}
