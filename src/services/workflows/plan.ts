/**
 * What a trigger will do, from the merged steps: the device (from the chosen nodes' shape: a GPU group before the
 * CPU), how many, the tensor-parallel degree (the smallest that divides the heads and leaves KV-cache room for the
 * longest request), the workload (configuration: fixed lengths at `concurrent_requests`; dataset: the datasets' rows),
 * and for a real run the vLLM deployment pinned to the chosen node, or a cloud model's endpoint.
 */
import { unprocessable } from '../../core/errors.ts';
import { slug } from '../../runner/values.ts';
import {
  engineOptionsFromFields,
  findHardware,
  formatFromName,
  hardwareForResource,
  PerformanceModel,
  resolveDeployment,
  type EfficiencyFactors,
  type EngineFields,
  type EngineOptions,
} from '../../simulator/index.ts';
import { DEFAULT_DATASET_OUTPUT_LEN, type DatasetStats } from './datasets.ts';
import type { ModelRecord, SimulatorShape } from './models.ts';
import type { NodeChoice, WorkflowState } from './steps.ts';

/** Requests a run sends unless step 1 says `num_prompts` (vLLM bench serve's default). */
export const DEFAULT_NUM_PROMPTS = 1000;
/** Goodput SLOs (ms) unless step 1 says `goodput`. */
export const DEFAULT_GOODPUT: Record<string, number> = { ttft: 1000, tpot: 100 };
/** Bytes of dataset rows a benchmark job mounts (a ConfigMap holds at most 1 MiB with its other keys). */
export const MAX_JOB_DATASET_BYTES = 900 * 1024;

export interface PlanWorkload {
  eval_with: 'configuration' | 'dataset';
  concurrent_requests: number;
  num_prompts: number;
  input_len: number | null;
  output_len: number | null;
  datasets: Array<{ id: string; name: string; rows: number }>;
  goodput: Record<string, number>;
  api: 'completions' | 'chat';
  benchmark_name: string;
}

export interface SimulatorPlan {
  model: string;
  hardware: string;
  tensor_parallel: number;
  device_count: number;
  max_model_len: number | null;
  factors: Partial<EfficiencyFactors> | null;
  calibration: { model: string; hardware: string; run_id: string; updated_at: string } | null;
  /** Step 5's engine arguments (simulate.ts applies them; a …-FP8 checkpoint name gives the format when none is set). */
  engine?: EngineFields | null;
}

export interface DeploymentPlan {
  cluster_id: string;
  node: string;
  vllm_config: Record<string, unknown>;
}

export interface ExecutionPlan {
  action: 'simulate' | 'deploy_and_benchmark' | 'benchmark_endpoint';
  model: { id: string; name: string; kind: string; model_name: string; served_model_name: string; api: string; endpoint_url: string | null; credential_id: string | null };
  /** The device group the run uses (served models). */
  device: { hostname: string; name: string; type: string; resource_name: string | null; count: number } | null;
  simulator: SimulatorPlan | null;
  /** Why the run cannot be simulated (the real run may still be possible). */
  simulator_error: string | null;
  deployment: DeploymentPlan | null;
  workload: PlanWorkload;
  warnings: string[];
}

export interface PlanInputs {
  state: WorkflowState;
  model: ModelRecord;
  datasets: Array<{ id: string; name: string; rows: number; stats: DatasetStats }>;
  runAsSimulation: boolean;
}

/** The longest request the workload sends, in tokens (prompt + output). */
function longestRequest(st: WorkflowState, ds: PlanInputs['datasets']): number {
  if (st.eval_with === 'configuration') return (st.max_input_tokens ?? 0) + (st.max_output_tokens ?? 0);
  return Math.max(1, ...ds.map((d) => d.stats.input_tokens.max + (d.stats.output_tokens?.max ?? DEFAULT_DATASET_OUTPUT_LEN)));
}

/** The device group of the chosen nodes a served model runs on: the largest GPU group, else a CPU. */
function pickDevice(nodes: NodeChoice[], warnings: string[]): ExecutionPlan['device'] {
  const groups = nodes.flatMap((n) => n.devices.map((d) => ({ hostname: n.hostname, name: d.name, type: d.type, resource_name: (d.resource_name as string | null) ?? null, count: d.available_count })));
  const gpus = groups.filter((g) => g.type === 'gpu' && g.count > 0).sort((a, b) => b.count - a.count);
  const pick = gpus[0] ?? groups.find((g) => g.type === 'cpu') ?? groups[0];
  if (!pick) return null;
  if (nodes.length > 1) {
    warnings.push(`${nodes.length} nodes chosen: the run is pinned to ${pick.hostname} (its ${pick.count} × ${pick.name}); one vLLM deployment does not span nodes`);
  }
  return pick;
}

/** Catalogue hardware for a chosen device; unknown CPUs are modelled as the catalogue CPU (said in warnings). */
function hardwareOf(device: NonNullable<ExecutionPlan['device']>, warnings: string[]): string | null {
  const hw = findHardware(device.name) ?? (device.resource_name && device.resource_name !== 'cpu' ? hardwareForResource(device.resource_name) : undefined);
  if (hw && (hw.type === 'gpu') === (device.type === 'gpu')) return hw.name;
  if (device.type === 'cpu') {
    const cpu = findHardware('cpu')!;
    warnings.push(`CPU ${device.name} is not in the simulator's hardware catalogue: simulated as ${cpu.name}`);
    return cpu.name;
  }
  return null;
}

/** The smallest tensor-parallel degree ≤ count that divides the heads and fits the longest request; or why none does. */
export function chooseTensorParallel(
  model: string,
  hardware: string,
  count: number,
  longest: number,
  maxModelLen: number | null,
  engine: Partial<EngineOptions> = {},
): { tp: number } | { error: string } {
  const tried: string[] = [];
  for (let tp = 1; tp <= Math.max(1, count); tp *= 2) {
    try {
      const perf = new PerformanceModel(resolveDeployment({ ...engine, model, hardware, tensor_parallel: tp }));
      const room = perf.kvCapacityTokens();
      if (room >= Math.max(longest, 1)) return { tp };
      tried.push(`tp ${tp}: KV cache holds ${room} tokens, the longest request needs ${longest}`);
    } catch (e) {
      tried.push(`tp ${tp}: ${(e as Error).message}`);
    }
  }
  if (maxModelLen && longest > maxModelLen) return { error: `the longest request (${longest} tokens) exceeds max_model_len ${maxModelLen}` };
  return { error: `${model} does not fit on up to ${count} × ${hardware} (${tried.join('; ')})` };
}

/** Builds the plan; throws a 422 (naming the step's field) when the steps cannot run at all. */
export function buildPlan(inp: PlanInputs): ExecutionPlan {
  const { state: st, model: m } = inp;
  const warnings: string[] = [];
  const shape = (m.simulator ?? { known: false, model: null }) as SimulatorShape;
  const servedName = m.servedModelName ?? m.modelName;
  const workload: PlanWorkload = {
    eval_with: st.eval_with,
    concurrent_requests: st.concurrent_requests,
    num_prompts: st.num_prompts ?? DEFAULT_NUM_PROMPTS,
    input_len: st.eval_with === 'configuration' ? (st.max_input_tokens ?? null) : null,
    output_len: st.eval_with === 'configuration' ? (st.max_output_tokens ?? null) : null,
    datasets: st.eval_with === 'dataset' ? inp.datasets.map((d) => ({ id: d.id, name: d.name, rows: d.rows })) : [],
    goodput: st.goodput && Object.keys(st.goodput).length ? st.goodput : DEFAULT_GOODPUT,
    api: m.api === 'chat' ? 'chat' : 'completions',
    benchmark_name: `workflow-${slug(st.name)}`,
  };
  const longest = longestRequest(st, inp.datasets);
  const cloud = m.kind === 'cloud';
  let device: ExecutionPlan['device'] = null;
  let simulator: SimulatorPlan | null = null;
  let simError: string | null = null;
  let deployment: DeploymentPlan | null = null;
  let hardware: string | null = null;
  let tp = 1;
  if (!cloud) {
    if (!st.nodes?.length || !st.cluster_id) throw unprocessable(['body', 'nodes'], 'a served model runs on the chosen cluster and nodes (steps 3 and 4)', 'step_incomplete');
    device = pickDevice(st.nodes, warnings);
    if (!device) throw unprocessable(['body', 'nodes'], 'the chosen nodes have no device', 'value_error');
    hardware = hardwareOf(device, warnings);
    if (!hardware) simError = `device ${device.name} is not in the simulator's hardware catalogue`;
  } else {
    if (st.nodes?.length || st.cluster_id) warnings.push('a cloud model is benchmarked at its endpoint: the chosen cluster and nodes are not used for it');
    hardware = shape.hardware ?? null;
    if (!hardware) simError = `cloud model ${m.name} gives no simulator.hardware: its hardware is unknown`;
    tp = shape.tensor_parallel ?? 1;
  }
  if (!shape.known) simError = shape.reason ?? `${m.modelName} cannot be simulated`;
  if (shape.known && hardware && !simError) {
    const count = cloud ? tp : device!.type === 'gpu' ? device!.count : 1;
    // sized in the checkpoint's own format: a 70B-FP8 fits where its BF16 original needs two devices
    const engine = engineOptionsFromFields(st.engine);
    const named = formatFromName(m.modelName);
    if (engine.quantization === undefined && named) engine.quantization = named.method;
    const fit = cloud ? { tp } : chooseTensorParallel(shape.model!, hardware, count, longest, m.maxModelLen, engine);
    if ('error' in fit) simError = fit.error;
    else {
      tp = fit.tp;
      simulator = { model: shape.model!, hardware, tensor_parallel: tp, device_count: count, max_model_len: m.maxModelLen, factors: null, calibration: null, engine: st.engine ?? null };
      if (!cloud && device!.type === 'gpu' && count > tp) warnings.push(`${count} × ${device!.name} available; tensor parallel ${tp} uses ${tp} of them (the smallest degree that fits)`);
    }
  }
  if (!cloud) {
    const gpu = device!.type === 'gpu';
    if (gpu && simError && !simulator) {
      // without the simulator's catalogue the degree cannot be sized: one device per head-divisible power of two is a guess
      warnings.push(`tensor parallel 1 (the model or device is unknown to the simulator: ${simError})`);
    }
    deployment = {
      cluster_id: st.cluster_id!,
      node: device!.hostname,
      vllm_config: {
        model_name: m.modelName,
        served_model_name: servedName,
        ...(m.maxModelLen ? { max_model_len: m.maxModelLen } : {}),
        tensor_parallel_size: gpu ? tp : 1,
        gpu_resource_type: gpu ? (device!.resource_name ?? 'nvidia.com/gpu') : 'cpu',
        gpu_resource_count: gpu ? tp : 0,
        ...(gpu && hardware ? { hardware } : {}),
        node_selector: { 'kubernetes.io/hostname': device!.hostname },
      },
    };
  }
  const action: ExecutionPlan['action'] = inp.runAsSimulation ? 'simulate' : cloud ? 'benchmark_endpoint' : 'deploy_and_benchmark';
  return {
    action,
    model: { id: m.id, name: m.name, kind: m.kind, model_name: m.modelName, served_model_name: servedName, api: m.api, endpoint_url: m.endpointUrl, credential_id: cloud ? (st.credential_id ?? m.credentialId) : null },
    device,
    simulator,
    simulator_error: simError,
    deployment,
    workload,
    warnings,
  };
}

/** The plan with calibration factors fitted earlier for its (model, hardware), when there are any. */
export function withCalibration(plan: ExecutionPlan, cal: { model: string; hardware: string; run_id: string; updated_at: string; factors: Partial<EfficiencyFactors> } | null): ExecutionPlan {
  if (!plan.simulator || !cal) return plan;
  return { ...plan, simulator: { ...plan.simulator, factors: cal.factors, calibration: { model: cal.model, hardware: cal.hardware, run_id: cal.run_id, updated_at: cal.updated_at } } };
}

/** The workload as the runner's config file (`benchops job run`, eval_config.json). */
export function runnerConfig(plan: ExecutionPlan, datasetPath: string | null): Record<string, unknown> {
  const w = plan.workload;
  const scenario: Record<string, unknown> = {
    name: 'workflow',
    backend: w.api === 'chat' ? 'openai-chat' : 'openai',
    num_prompts: w.num_prompts,
    max_concurrency: w.concurrent_requests,
    ignore_eos: true,
    seed: 0,
    goodput: w.goodput,
  };
  if (w.eval_with === 'configuration') Object.assign(scenario, { dataset_name: 'random', random_input_len: w.input_len, random_output_len: w.output_len });
  else Object.assign(scenario, { dataset_name: 'jsonl', dataset_path: datasetPath, random_output_len: DEFAULT_DATASET_OUTPUT_LEN });
  return { name: w.benchmark_name, benchmark_name: w.benchmark_name, scenarios: [scenario] };
}
