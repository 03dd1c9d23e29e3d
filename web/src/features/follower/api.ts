/**
 * The Git follower's calls on the vLLM service (/api/vllm/follow…), typed from its OpenAPI document
 * (api/schema/vllm.ts: the routes declare their responses), plus the projects and clusters it is followed from and on.
 */
import { manager, unwrap, unwrapAs, unwrapPageAs, vllm } from '../../api/client';
import type { paths } from '../../api/schema/vllm';
import type { ProjectView } from '../../api/views';

type Ok<T> = T extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;

/** A followed project with its values files' states. */
export type Follow = Ok<paths['/follow/{project_id}']['get']>;
/** One values file's state. */
export type FollowFile = Follow['files'][number];
/** What a pass did. */
export type PassResult = Ok<paths['/follow/{project_id}/sync']['post']>['result'];
export type FollowBody = NonNullable<paths['/follow/{project_id}']['put']['requestBody']>['content']['application/json'];

export interface ClusterOption {
  id: string;
  name: string;
  kind: string;
}

const path = (project_id: string) => ({ params: { path: { project_id } } });

export const followerApi = {
  list: () => unwrap(vllm.GET('/follow')),
  follow: (projectId: string, body: FollowBody) => unwrap(vllm.PUT('/follow/{project_id}', { ...path(projectId), body })),
  unfollow: (projectId: string, prune: boolean) =>
    unwrap(vllm.DELETE('/follow/{project_id}', { params: { path: { project_id: projectId }, query: { prune: prune ? 'true' : 'false' } } })),
  passNow: (projectId: string) => unwrap(vllm.POST('/follow/{project_id}/sync', path(projectId))),
  vllmProjects: async () => (await unwrapPageAs<ProjectView>(manager.GET('/projects', { params: { query: { limit: 1000 } } }))).items.filter((p) => p.project_type === 'vllm'),
  clusters: () => unwrapAs<ClusterOption[]>(vllm.GET('/clusters')),
};
