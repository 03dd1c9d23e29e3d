/** The wizard's calls: the workflow steps and runs, the dataset, model and credential registries (workflows service), clusters and nodes (vLLM service). */
import { unwrapAs, unwrapPageAs, vllm, workflows } from '../../api/client';
import type { CredentialView, DatasetView, ModelView, NodeView, RunView, WorkflowSummary, WorkflowView } from './model';

const byId = (id: string) => ({ params: { path: { id } } });

export const wizardApi = {
  step: (body: Record<string, unknown>) => unwrapAs<WorkflowView>(workflows.POST('/workflows/performance', { body: body as never })),
  get: (id: string) => unwrapAs<WorkflowView>(workflows.GET('/workflows/performance/{id}', byId(id))),
  list: (q: { limit: number; offset: number; name?: string }) => unwrapPageAs<WorkflowSummary>(workflows.GET('/workflows/performance', { params: { query: q } })),
  remove: (id: string) => unwrapAs<{ message: string }>(workflows.DELETE('/workflows/performance/{id}', byId(id))),
  cancel: (id: string) => unwrapAs<RunView>(workflows.POST('/workflows/performance/{id}/cancel', byId(id))),
  datasets: () => unwrapPageAs<DatasetView>(workflows.GET('/datasets', { params: { query: { limit: 100, offset: 0 } } })),
  uploadDataset: (b: { name: string; content: string; format?: 'jsonl' | 'sharegpt'; description?: string }) => unwrapAs<DatasetView>(workflows.POST('/datasets', { body: b })),
  models: () => unwrapPageAs<ModelView>(workflows.GET('/models', { params: { query: { limit: 100, offset: 0 } } })),
  createModel: (b: Record<string, unknown>) => unwrapAs<ModelView>(workflows.POST('/models', { body: b as never })),
  credentials: () => unwrapPageAs<CredentialView>(workflows.GET('/credentials', { params: { query: { limit: 100, offset: 0 } } })),
  createCredential: (b: { name: string; provider?: string; api_key: string }) => unwrapAs<CredentialView>(workflows.POST('/credentials', { body: b })),
  clusters: () => unwrapAs<Array<{ id: string; name: string; kind: string; namespace: string }>>(vllm.GET('/clusters')),
  nodes: (cluster: string) => unwrapAs<NodeView[]>(vllm.GET('/clusters/{id}/nodes', byId(cluster))),
};
