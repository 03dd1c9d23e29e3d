/** The service catalogue: name → factory. A service joins the platform by adding itself here. */
import type { ServiceName } from '../core/config.ts';
import type { ServiceFactory } from '../core/service.ts';

export const SERVICE_FACTORIES: Partial<Record<ServiceName, () => Promise<ServiceFactory>>> = {
  results: async () => (await import('./results/index.ts')).createResultsService,
  manager: async () => (await import('./manager/index.ts')).createManagerService,
  deployer: async () => (await import('./deployer/index.ts')).createDeployerService,
  vllm: async () => (await import('./vllm/index.ts')).createVllmService,
  eval: async () => (await import('./eval/index.ts')).createEvalService,
  workflows: async () => (await import('./workflows/index.ts')).createWorkflowsService,
  mlflow: async () => (await import('./mlflow/index.ts')).createMlflowService,
};
