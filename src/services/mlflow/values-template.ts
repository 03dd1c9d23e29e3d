/**
 * Where the values template comes from: a file in a BenchOps manager project (`BENCHOPS_MLFLOW_TEMPLATE` =
 * `<project_id>` or `<project_id>:<path>`, the path may hold `{engine}`), else the built-in default below. The default
 * path, `templates/custom-values-{engine}.yaml`, is what the manager syncs in a vLLM project whose `vllm_values_path`
 * is `templates` (do not follow that project). A modified copy in the manager wins over the synced original.
 */
import { parseYamlOne, SafeParseError } from '../../core/parse.ts';
import type { ManagerApi } from '../manager/api.ts';
import type { Engine } from './names.ts';

export const DEFAULT_TEMPLATE_PATH = 'templates/custom-values-{engine}.yaml';

/** Built-in templates: the chart shape the vLLM service deploys directly, and the earlier TensorRT-LLM umbrella. */
export const BUILTIN_TEMPLATES: Record<Engine, Record<string, unknown>> = {
  vllm: {
    vllm: { model: '', maxModelLen: 4096, gpuMemoryUtilization: 0.9 },
    fullnameOverride: '',
    replicaCount: 1,
    serviceAccount: { create: true, name: '' },
  },
  'tensorrt-llm': {
    'tensorrt-llm': {
      tensorrtLLM: { modelPath: '' },
      fullnameOverride: '',
      serviceAccount: { create: true, name: '' },
    },
  },
};

export interface TemplateRef {
  projectId: string;
  path: string;
}

/** Parses the setting (`<project_id>[:<path>]`); undefined means the built-in templates. */
export function parseTemplateRef(setting: string | undefined): TemplateRef | undefined {
  const s = setting?.trim();
  if (!s) return undefined;
  const i = s.indexOf(':');
  return i < 0 ? { projectId: s, path: DEFAULT_TEMPLATE_PATH } : { projectId: s.slice(0, i), path: s.slice(i + 1) || DEFAULT_TEMPLATE_PATH };
}

export class TemplateError extends Error {}

export interface LoadedTemplate {
  template: unknown;
  /** `builtin` or `project:<id>:<path>`. */
  origin: string;
}

/** The template for one engine; throws TemplateError (no YAML text quoted) when the project file is missing or bad. */
export async function loadTemplate(engine: Engine, ref: TemplateRef | undefined, manager: () => ManagerApi): Promise<LoadedTemplate> {
  if (!ref) return { template: structuredClone(BUILTIN_TEMPLATES[engine]), origin: 'builtin' };
  const path = ref.path.replaceAll('{engine}', engine);
  const files = await manager().listFiles(ref.projectId);
  const matches = files.filter((f) => f.file_path === path);
  const file = matches.find((f) => f.source === 'modified') ?? matches[0];
  if (!file) throw new TemplateError(`values template ${path} is not in project ${ref.projectId}`);
  try {
    return { template: parseYamlOne(file.content), origin: `project:${ref.projectId}:${path}` };
  } catch (e) {
    throw new TemplateError(`values template ${path} is not valid YAML: ${e instanceof SafeParseError ? e.message : 'unreadable'}`);
  }
}
