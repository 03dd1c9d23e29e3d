import { describe, expect, it } from 'vitest';
import { enqueueBody, stepProgress, stepWords, type EnqueueForm } from './model';

const item = (o: Partial<Parameters<typeof stepProgress>[0]>) => ({ status: 'processing' as const, current_step: 'vllm_deployment', completed_steps: 0, total_steps: 3, benchmark_configs: [{}, {}], ...o });

describe('queue step progress', () => {
  it('is completed_steps of total_steps, full once completed, empty with no steps', () => {
    expect(stepProgress(item({}))).toMatchObject({ percent: 0, label: '0 / 3 steps', step: 'deploying vLLM', active: true, color: 'blue' });
    expect(stepProgress(item({ completed_steps: 2, current_step: 'benchmark_job_2' }))).toMatchObject({ percent: 67, label: '2 / 3 steps', step: 'benchmark job 2 of 2' });
    expect(stepProgress(item({ status: 'completed', completed_steps: 3, current_step: 'completed' }))).toMatchObject({ percent: 100, label: '3 / 3 steps', step: 'done', active: false, color: 'teal' });
    // a deploy-only request kept for later: completed with its one step
    expect(stepProgress(item({ status: 'completed', total_steps: 0, completed_steps: 0 })).percent).toBe(100);
    expect(stepProgress(item({ status: 'pending', total_steps: 0, completed_steps: 0, current_step: 'pending' }))).toMatchObject({ percent: 0, step: 'waiting to be claimed', active: false });
    // counts beyond the total (a resumed item) never overflow the bar
    expect(stepProgress(item({ completed_steps: 5 })).percent).toBe(100);
    expect(stepWords('some_new_step', { benchmark_configs: [] })).toBe('some new step');
  });
});

describe('enqueue body', () => {
  const form: EnqueueForm = {
    model_name: ' Qwen/Qwen3-0.6B ',
    served_model_name: '',
    gpu_resource_type: 'cpu',
    gpu_resource_count: 2,
    tensor_parallel_size: 1,
    max_model_len: 2048,
    max_num_seqs: null,
    cluster_id: 'local',
    priority: 'high',
    scheduled_time: '',
    max_wait_time: 600,
    keep_deployment: false,
    allow_eviction: false,
    jobs: [{ project_id: 'p', job_file_id: 'j', config_file_id: null, benchmark_type: 'vllm-benchmark', name: 'perf' }],
  };
  it('sends the config, jobs and scheduling the form holds (no GPUs on cpu, immediate without a time)', () => {
    const b = enqueueBody(form) as any;
    expect(b.vllm_config).toEqual({ model_name: 'Qwen/Qwen3-0.6B', gpu_resource_type: 'cpu', gpu_resource_count: 0, tensor_parallel_size: 1, max_model_len: 2048 });
    expect(b.benchmark_configs).toEqual([{ project_id: 'p', job_file_id: 'j', benchmark_type: 'vllm-benchmark', name: 'perf' }]);
    expect(b.scheduling_config).toEqual({ immediate: true, scheduled_time: null, max_wait_time: 600 });
    expect(b).toMatchObject({ priority: 'high', cluster_id: 'local' });
  });
  it('sends a scheduled local time as UTC', () => {
    const b = enqueueBody({ ...form, gpu_resource_type: 'nvidia.com/gpu', scheduled_time: '2030-01-02T03:04' }) as any;
    expect(b.scheduling_config.immediate).toBe(false);
    expect(b.scheduling_config.scheduled_time).toBe(new Date('2030-01-02T03:04').toISOString());
    expect(b.vllm_config.gpu_resource_count).toBe(2);
  });
});
