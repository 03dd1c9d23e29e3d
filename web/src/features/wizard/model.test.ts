import { describe, expect, it } from 'vitest';
import { firstOpenStep, metricLabel, nodeChoice, selectable, stageProgress, stepBody, type NodeView, type StepView } from './model';

const node: NodeView = {
  hostname: 'vm',
  status: 'Ready',
  devices: [
    { name: 'L4', type: 'gpu', available_count: 2, total_count: 2, resource_name: 'nvidia.com/gpu' },
    { name: 'A100', type: 'gpu', available_count: 0, total_count: 1 },
    { name: 'Intel(R) Xeon(R)', type: 'cpu', available_count: 8, device_info: { num_virtual_cores: 8 } },
  ],
};

describe('wizard model', () => {
  it('sends a node with the devices it has available, each claiming what was set (within 1..available)', () => {
    expect(nodeChoice(node).devices.map((d) => [d.name, d.available_count])).toEqual([
      ['L4', 2],
      ['Intel(R) Xeon(R)', 8],
    ]);
    expect(nodeChoice(node, { L4: 1, 'Intel(R) Xeon(R)': 99 }).devices.map((d) => d.available_count)).toEqual([1, 8]);
    expect(nodeChoice(node, { L4: 0 }).devices[0].available_count).toBe(1);
    // the rest of the node shape travels as it came
    expect(nodeChoice(node).devices[0]).toMatchObject({ resource_name: 'nvidia.com/gpu', total_count: 2 });
  });
  it('refuses nodes that are not Ready or have nothing available', () => {
    expect(selectable(node)).toEqual({ ok: true, why: null });
    expect(selectable({ ...node, status: 'NotReady' })).toEqual({ ok: false, why: 'NotReady, not Ready' });
    expect(selectable({ ...node, devices: [{ name: 'L4', type: 'gpu', available_count: 0 }] }).ok).toBe(false);
  });
  it('builds step bodies in the seed shape (common fields, trigger_workflow only where the seed has it)', () => {
    const w = { workflow_id: 'w1', state: { name: 'test-111', tags: [], description: 'd', concurrent_requests: 50, eval_with: 'configuration' as const, num_prompts: null, goodput: null } };
    expect(stepBody(w, 3, { cluster_id: 'local' })).toEqual({ name: 'test-111', tags: [], description: 'd', concurrent_requests: 50, eval_with: 'configuration', workflow_id: 'w1', step_number: 3, trigger_workflow: false, cluster_id: 'local' });
    expect(stepBody(w, 5, { model_id: 'm' })).not.toHaveProperty('trigger_workflow');
    expect(stepBody(w, 8, { run_as_simulation: true, trigger_workflow: true })).toMatchObject({ step_number: 8, trigger_workflow: true });
  });
  it('opens at the first required step not complete', () => {
    const steps = (done: number[], notRequired: number[] = []): StepView[] =>
      Array.from({ length: 8 }, (_, i) => ({ step_number: i + 1, name: '', status: done.includes(i + 1) ? 'complete' : notRequired.includes(i + 1) ? 'not_required' : 'incomplete', required: !notRequired.includes(i + 1) && i + 1 !== 8, updated_at: null, invalidated_by: null }));
    expect(firstOpenStep({ steps: steps([1, 2]) })).toBe(3);
    expect(firstOpenStep({ steps: steps([1, 2, 3, 4, 5, 7], [6]) })).toBe(8);
    expect(firstOpenStep({ steps: steps([1, 3, 4, 5, 7], [6]) })).toBe(2);
  });
  it('places a run stage on the progress bar and names metrics', () => {
    expect(stageProgress('queued', 'running')).toEqual({ index: 0, percent: 0, label: 'queued' });
    expect(stageProgress('benchmarking', 'running')).toMatchObject({ index: 2, percent: 40 });
    expect(stageProgress('completed', 'completed').percent).toBe(100);
    expect(stageProgress('deploying', 'failed').percent).toBe(20);
    expect(metricLabel('p99_ttft_ms')).toBe('TTFT p99 (ms)');
    expect(metricLabel('output_throughput')).toBe('output throughput (tok/s)');
    expect(metricLabel('request_goodput')).toBe('request goodput (req/s)');
  });
});
