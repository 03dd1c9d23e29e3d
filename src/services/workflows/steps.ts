/**
 * Seed 003's eight steps: the request body (every step's fields, the seed's spelling `datset_ids` included), what
 * each step owns and requires, its validation (a 422 naming the field), which later steps a change marks incomplete
 * again, and which steps the trigger still needs. Steps 3–4 (cluster, nodes) are not required for a cloud model (it
 * is benchmarked at its endpoint); step 6 (credential) is required exactly for a cloud model.
 */
import { z } from 'zod';
import { AppError, unprocessable, type ValidationIssue } from '../../core/errors.ts';
import { engineFieldsSchema, findHardware, type EngineFields } from '../../simulator/index.ts';
import type { ModelRecord, SimulatorShape } from './models.ts';
import type { ClusterInfo, LiveNode } from './ports.ts';

export const STEP_NAMES: Record<number, string> = {
  1: 'basic_info',
  2: 'evaluation_details',
  3: 'cluster',
  4: 'nodes',
  5: 'model',
  6: 'credential',
  7: 'confirmation',
  8: 'execution',
};
export const STEP_COUNT = 8;

const deviceSchema = z
  .object({
    name: z.string().min(1).max(200),
    type: z.string().min(1).max(32),
    available_count: z.number().int().min(0).max(4096),
    device_info: z.record(z.string(), z.unknown()).optional(),
    device_config: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

/** A node as GET /clusters/{id}/nodes answers it (extra fields such as labels are kept with the choice). */
const nodeSchema = z
  .object({
    hostname: z.string().min(1).max(253),
    status: z.string().min(1).max(32),
    devices: z.array(deviceSchema).min(1).max(32),
  })
  .passthrough();

const ids = z.array(z.string().min(1).max(100)).min(1).max(20);
const tag = z.union([z.string().max(100), z.object({ name: z.string().max(100) }).passthrough()]);

/** Every step's body: the seed's fields (all optional here; each step says what it requires). Unknown fields are 422. */
export const stepBodySchema = z
  .object({
    step_number: z.number().int().min(1).max(STEP_COUNT),
    workflow_id: z.string().min(1).max(100).optional(),
    workflow_total_steps: z.number().int().min(STEP_COUNT).max(50).optional(),
    trigger_workflow: z.boolean().optional(),
    name: z.string().trim().min(1).max(200).optional(),
    tags: z.array(tag).max(50).optional(),
    description: z.string().max(5000).optional(),
    concurrent_requests: z.number().int().min(1).max(10_000).optional(),
    eval_with: z.enum(['configuration', 'dataset']).optional(),
    /** Requests to send (BenchOps addition; default 1000, vLLM bench serve's default). */
    num_prompts: z.number().int().min(1).max(20_000).optional(),
    /** SLOs in ms for goodput (BenchOps addition; default ttft 1000, tpot 100). */
    goodput: z.object({ ttft: z.number().positive().optional(), tpot: z.number().positive().optional(), e2el: z.number().positive().optional() }).strict().optional(),
    max_input_tokens: z.number().int().min(1).max(10_000_000).optional(),
    max_output_tokens: z.number().int().min(1).max(10_000_000).optional(),
    datset_ids: ids.optional(),
    dataset_ids: ids.optional(),
    cluster_id: z.string().min(1).max(100).optional(),
    nodes: z.array(nodeSchema).min(1).max(64).optional(),
    model_id: z.string().min(1).max(100).optional(),
    /** vLLM engine arguments the model is served (and simulated) with (BenchOps addition; `vllm serve`'s flags in snake case). */
    engine: engineFieldsSchema.optional(),
    credential_id: z.string().min(1).max(100).optional(),
    user_confirmation: z.boolean().optional(),
    run_as_simulation: z.boolean().optional(),
  })
  .strict();
export type StepBody = z.infer<typeof stepBodySchema>;

export interface DeviceChoice {
  name: string;
  type: string;
  available_count: number;
  /** Resolved against the live node: the Kubernetes resource name and the catalogue hardware behind it. */
  resource_name?: string | null;
  [k: string]: unknown;
}
export interface NodeChoice {
  hostname: string;
  status: string;
  devices: DeviceChoice[];
  [k: string]: unknown;
}

/** Every step's fields merged: what the workflow is. */
export interface WorkflowState {
  name: string;
  tags: unknown[];
  description: string;
  concurrent_requests: number;
  eval_with: 'configuration' | 'dataset';
  num_prompts: number | null;
  goodput: Record<string, number> | null;
  max_input_tokens?: number | null;
  max_output_tokens?: number | null;
  dataset_ids?: string[] | null;
  cluster_id?: string | null;
  nodes?: NodeChoice[] | null;
  model_id?: string | null;
  engine?: EngineFields | null;
  credential_id?: string | null;
  user_confirmation?: boolean | null;
  run_as_simulation?: boolean | null;
}

export interface StepRecord {
  status: 'complete' | 'incomplete';
  updated_at: string | null;
  /** The step whose change marked this one incomplete again. */
  invalidated_by?: number | null;
}
export type StepRecords = Record<string, StepRecord>;

/** Fields each step owns (the common fields of step 1 repeat in every body). */
const OWNED: Record<number, string[]> = {
  1: ['name', 'tags', 'description', 'concurrent_requests', 'eval_with', 'num_prompts', 'goodput'],
  2: ['max_input_tokens', 'max_output_tokens', 'datset_ids', 'dataset_ids'],
  3: ['cluster_id'],
  4: ['nodes'],
  5: ['model_id', 'engine'],
  6: ['credential_id'],
  7: ['user_confirmation'],
  8: ['run_as_simulation'],
};
const COMMON = ['name', 'tags', 'description', 'concurrent_requests', 'eval_with'];
const ENVELOPE = new Set(['step_number', 'workflow_id', 'workflow_total_steps', 'trigger_workflow']);

/** What validation needs to look up. */
export interface StepDeps {
  missingDatasets(ids: readonly string[]): Promise<string[]>;
  model(id: string): Promise<ModelRecord | undefined>;
  credentialExists(id: string): Promise<boolean>;
  cluster(id: string): Promise<ClusterInfo | null>;
  nodes(clusterId: string): Promise<LiveNode[]>;
}

export interface StepOutcome {
  patch: Partial<WorkflowState>;
  warnings: string[];
}

const loc = (...path: (string | number)[]) => ['body', ...path];

function many(issues: ValidationIssue[]): AppError {
  return new AppError(422, issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '), 'validation', issues);
}

function required(body: StepBody, field: keyof StepBody, why: string): void {
  if (body[field] === undefined) throw unprocessable(loc(field), `Field required: ${why}`, 'missing');
}

/** The context the token lengths must fit in, once the model is known. */
export function contextOf(m: ModelRecord | undefined): number | null {
  if (!m) return null;
  return m.maxModelLen ?? (m.simulator as SimulatorShape | null)?.max_context ?? null;
}

/** Said back for fields a step does not own: the common fields echo step 1, others belong to another step. */
function foreignWarnings(body: StepBody, step: number, current: WorkflowState | null): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined || ENVELOPE.has(k) || OWNED[step].includes(k)) continue;
    if (COMMON.includes(k) && current) {
      const now = (current as unknown as Record<string, unknown>)[k];
      if (JSON.stringify(now) !== JSON.stringify(v)) out.push(`${k} differs from step 1's (${JSON.stringify(now)}): ignored; re-send step 1 to change it`);
      continue;
    }
    const owner = Object.entries(OWNED).find(([, fs]) => fs.includes(k))?.[0];
    out.push(`${k} belongs to step ${owner ?? '?'} (${STEP_NAMES[Number(owner)] ?? 'unknown'}): ignored in step ${step}`);
  }
  return out;
}

/** Validates one step's fields and returns the state they set. Throws a 422 naming the field. */
export async function validateStep(body: StepBody, current: WorkflowState | null, deps: StepDeps): Promise<StepOutcome> {
  const step = body.step_number;
  const warnings = foreignWarnings(body, step, current);
  if (body.trigger_workflow && step !== STEP_COUNT) {
    throw unprocessable(loc('trigger_workflow'), `only step ${STEP_COUNT} (execution) triggers the workflow; this is step ${step}`);
  }
  switch (step) {
    case 1: {
      required(body, 'name', 'step 1 names the workflow');
      required(body, 'concurrent_requests', 'step 1 gives the number of concurrent requests');
      required(body, 'eval_with', 'step 1 chooses configuration or dataset');
      return {
        patch: {
          name: body.name!,
          tags: body.tags ?? [],
          description: body.description ?? '',
          concurrent_requests: body.concurrent_requests!,
          eval_with: body.eval_with!,
          num_prompts: body.num_prompts ?? null,
          goodput: body.goodput ? (Object.fromEntries(Object.entries(body.goodput).filter(([, v]) => v !== undefined)) as Record<string, number>) : null,
        },
        warnings,
      };
    }
    case 2: {
      const method = current!.eval_with;
      if (body.eval_with && body.eval_with !== method) {
        throw unprocessable(loc('eval_with'), `step 1 chose ${method}; re-send step 1 to evaluate with ${body.eval_with}`);
      }
      if (method === 'configuration') {
        for (const f of ['datset_ids', 'dataset_ids'] as const) if (body[f]) warnings.push(`${f} is ignored: the workflow evaluates with configuration`);
        required(body, 'max_input_tokens', 'configuration needs max_input_tokens');
        required(body, 'max_output_tokens', 'configuration needs max_output_tokens');
        const m = current!.model_id ? await deps.model(current!.model_id) : undefined;
        const ctxLen = contextOf(m);
        if (ctxLen !== null && body.max_input_tokens! + body.max_output_tokens! > ctxLen) {
          throw unprocessable(loc('max_input_tokens'), `max_input_tokens ${body.max_input_tokens} + max_output_tokens ${body.max_output_tokens} exceed the context of model ${m!.name} (${ctxLen} tokens)`);
        }
        return { patch: { max_input_tokens: body.max_input_tokens, max_output_tokens: body.max_output_tokens, dataset_ids: null }, warnings };
      }
      for (const f of ['max_input_tokens', 'max_output_tokens'] as const) if (body[f] !== undefined) warnings.push(`${f} is ignored: the workflow evaluates with a dataset`);
      const field = body.datset_ids ? 'datset_ids' : 'dataset_ids';
      if (body.datset_ids && body.dataset_ids && JSON.stringify(body.datset_ids) !== JSON.stringify(body.dataset_ids)) {
        throw unprocessable(loc('dataset_ids'), 'datset_ids and dataset_ids name different datasets; send one of them');
      }
      const list = body.datset_ids ?? body.dataset_ids;
      if (!list) throw unprocessable(loc('datset_ids'), 'Field required: dataset evaluation needs datset_ids (or dataset_ids)', 'missing');
      const missing = new Set(await deps.missingDatasets(list));
      const issues = list.flatMap((id, i) => (missing.has(id) ? [{ loc: loc(field, i), msg: `Dataset ${id} not found`, type: 'not_found' }] : []));
      if (issues.length) throw many(issues);
      return { patch: { dataset_ids: [...new Set(list)], max_input_tokens: null, max_output_tokens: null }, warnings };
    }
    case 3: {
      required(body, 'cluster_id', 'step 3 chooses the cluster');
      if (!(await deps.cluster(body.cluster_id!))) throw unprocessable(loc('cluster_id'), `Cluster ${body.cluster_id} not found`, 'not_found');
      return { patch: { cluster_id: body.cluster_id }, warnings };
    }
    case 4: {
      required(body, 'nodes', 'step 4 chooses the nodes');
      if (!current!.cluster_id) throw unprocessable(loc('nodes'), 'choose the cluster first (step 3): nodes are checked against it', 'step_order');
      return { patch: { nodes: await checkNodes(body.nodes as NodeChoice[], current!.cluster_id, deps) }, warnings };
    }
    case 5: {
      required(body, 'model_id', 'step 5 chooses the model');
      const m = await deps.model(body.model_id!);
      if (!m) throw unprocessable(loc('model_id'), `Model ${body.model_id} not found`, 'not_found');
      if ((m.simulator as SimulatorShape | null)?.embedding) throw unprocessable(loc('model_id'), `${m.name} is an embedding model: there are no completions to benchmark`);
      const ctxLen = contextOf(m);
      const st = current!;
      if (ctxLen !== null && st.eval_with === 'configuration' && st.max_input_tokens && st.max_output_tokens && st.max_input_tokens + st.max_output_tokens > ctxLen) {
        throw unprocessable(loc('model_id'), `model ${m.name} has a context of ${ctxLen} tokens: step 2's max_input_tokens ${st.max_input_tokens} + max_output_tokens ${st.max_output_tokens} do not fit (change step 2 or the model)`);
      }
      return { patch: { model_id: m.id, engine: body.engine ?? null }, warnings };
    }
    case 6: {
      required(body, 'credential_id', 'step 6 chooses the cloud model\'s credential');
      if (!(await deps.credentialExists(body.credential_id!))) throw unprocessable(loc('credential_id'), `Credential ${body.credential_id} not found`, 'not_found');
      const m = current!.model_id ? await deps.model(current!.model_id) : undefined;
      if (m && m.kind !== 'cloud') warnings.push(`model ${m.name} is served by BenchOps: the credential is kept but not used`);
      return { patch: { credential_id: body.credential_id }, warnings };
    }
    case 7: {
      required(body, 'user_confirmation', 'step 7 is the confirmation');
      if (body.user_confirmation !== true) throw unprocessable(loc('user_confirmation'), 'must be true to confirm the benchmark details', 'value_error');
      return { patch: { user_confirmation: true }, warnings };
    }
    default: {
      required(body, 'run_as_simulation', 'step 8 chooses Simulate (true) or Run on cluster (false)');
      return { patch: { run_as_simulation: body.run_as_simulation }, warnings };
    }
  }
}

/**
 * Every chosen node must be a node of the cluster, Ready now, and have each claimed device with at least the claimed
 * number available. Returns the choice with each device's resource name filled from the live node.
 */
async function checkNodes(nodes: NodeChoice[], clusterId: string, deps: StepDeps): Promise<NodeChoice[]> {
  const live = await deps.nodes(clusterId);
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  const out: NodeChoice[] = [];
  nodes.forEach((n, i) => {
    if (seen.has(n.hostname)) issues.push({ loc: loc('nodes', i, 'hostname'), msg: `node ${n.hostname} is chosen twice`, type: 'duplicate' });
    seen.add(n.hostname);
    const l = live.find((x) => x.hostname === n.hostname);
    if (!l) {
      const names = live.map((x) => x.hostname).slice(0, 10).join(', ') || 'none';
      issues.push({ loc: loc('nodes', i, 'hostname'), msg: `${n.hostname} is not a node of cluster ${clusterId} (its nodes: ${names})`, type: 'not_found' });
      return;
    }
    if (l.status !== 'Ready') issues.push({ loc: loc('nodes', i, 'status'), msg: `node ${n.hostname} is ${l.status}, not Ready`, type: 'not_ready' });
    const devices = n.devices.map((d, j) => {
      // the same device by name, or by the catalogue hardware both names stand for ("Intel(R) Xeon(R) Platinum 8480+" is Xeon-8480+)
      const hw = findHardware(d.name)?.name;
      const ld =
        l.devices.find((x) => x.name === d.name && x.type === d.type) ??
        l.devices.find((x) => x.name === d.name) ??
        (hw ? l.devices.find((x) => x.type === d.type && findHardware(x.name)?.name === hw) : undefined);
      if (!ld) {
        issues.push({ loc: loc('nodes', i, 'devices', j, 'name'), msg: `node ${n.hostname} has no ${d.type} device ${d.name} (it has: ${l.devices.map((x) => x.name).join(', ')})`, type: 'not_found' });
        return d;
      }
      if (d.available_count < 1) issues.push({ loc: loc('nodes', i, 'devices', j, 'available_count'), msg: 'at least one device must be available', type: 'value_error' });
      else if (d.available_count > ld.available_count) {
        issues.push({ loc: loc('nodes', i, 'devices', j, 'available_count'), msg: `${d.available_count} claimed available, but node ${n.hostname} has ${ld.available_count} ${d.name} available now`, type: 'not_available' });
      }
      return { ...d, resource_name: ld.resource_name ?? null };
    });
    out.push({ ...n, devices });
  });
  if (issues.length) throw many(issues);
  return out;
}

/** Later steps a change marks incomplete again (and whether their fields are cleared). */
export function dependents(step: number, before: WorkflowState | null, after: WorkflowState): Array<{ step: number; clear: (keyof WorkflowState)[] }> {
  if (!before) return [];
  const changed = (k: keyof WorkflowState) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null);
  const out: Array<{ step: number; clear: (keyof WorkflowState)[] }> = [];
  const fields = OWNED[step].filter((f) => f !== 'datset_ids').map((f) => f as keyof WorkflowState);
  const any = fields.some(changed) || (step === 2 && (changed('dataset_ids') || changed('max_input_tokens') || changed('max_output_tokens')));
  if (!any) return out;
  if (step === 1 && changed('eval_with')) out.push({ step: 2, clear: ['max_input_tokens', 'max_output_tokens', 'dataset_ids'] });
  if (step === 3) out.push({ step: 4, clear: ['nodes'] });
  if (step === 5) out.push({ step: 6, clear: ['credential_id'] });
  // whatever changed before the confirmation, the user confirmed other details
  if (step < 7) out.push({ step: 7, clear: ['user_confirmation'] });
  return out;
}

export interface StepView {
  step_number: number;
  name: string;
  status: 'complete' | 'incomplete' | 'not_required';
  required: boolean;
  updated_at: string | null;
  invalidated_by: number | null;
}

/** Each step's status; `model` is the chosen model (decides whether steps 3, 4 and 6 are required). */
export function stepViews(records: StepRecords, model: ModelRecord | undefined): StepView[] {
  const cloud = model?.kind === 'cloud';
  return Array.from({ length: STEP_COUNT }, (_, i) => {
    const n = i + 1;
    const r = records[String(n)];
    const isRequired = n === 8 ? false : n === 6 ? cloud : n === 3 || n === 4 ? !cloud : true;
    const complete = r?.status === 'complete';
    return {
      step_number: n,
      name: STEP_NAMES[n],
      status: complete ? 'complete' : isRequired || n === 8 ? 'incomplete' : 'not_required',
      required: isRequired,
      updated_at: r?.updated_at ?? null,
      invalidated_by: r?.invalidated_by ?? null,
    };
  });
}

/** Required steps (1–7) still incomplete. */
export function missingSteps(views: StepView[]): StepView[] {
  return views.filter((v) => v.required && v.status !== 'complete');
}
