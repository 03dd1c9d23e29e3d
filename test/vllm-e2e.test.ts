/**
 * Embedded end to end: every service in one process with the demo project; a queue item "deploy emulated model X, then
 * run the demo performance job" goes through every step (emulated vLLM server started, the job run by the deployer's
 * local executor with the deployment's endpoint, the runner posting results), the result pks land on the item, and
 * the deployment is torn down. Prints the time from queueing to the first stored result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidAlive } from '../src/core/pid.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  const body = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${body}`);
  return JSON.parse(body);
};

describe('embedded: queue → emulated vLLM → demo performance job → results → teardown', () => {
  let p: TestPlatform;
  let urls: Record<string, string>;
  let projectId: string;
  let files: Array<{ file_id: string; file_path: string; source: string }>;

  beforeAll(async () => {
    // every port is 0 (any free one): local jobs get the results URL the platform actually listens on
    p = await startTestPlatform({ kind: 'pglite', env: { BENCHOPS_DEMO: '1', BENCHOPS_POLL_TICK_SECONDS: '0.2' } });
    urls = p.urls as Record<string, string>;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const demo = (await json(`${urls.manager}/projects`)).find((x: any) => x.name === 'demo');
      if (demo) {
        projectId = demo.project_id;
        files = await json(`${urls.manager}/projects/${projectId}/files?limit=500`);
        if (files.length) break;
      }
      if (Date.now() > deadline) throw new Error('demo project not synced within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  afterAll(async () => {
    await p?.close();
  });

  it('runs every step with the counters right, stores results, tears the deployment down', async () => {
    const id = (path: string) => files.find((f) => f.file_path === path && f.source === 'original')!.file_id;
    const t0 = performance.now();
    const q = await json(`${urls.vllm}/queue/deployment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        vllm_config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'qwen-e2e', max_model_len: 2048, max_num_seqs: 32 },
        benchmark_configs: [
          { project_id: projectId, job_file_id: id('job/vllm-benchmark/benchops-perf-job.yaml'), config_file_id: id('config/vllm-benchmark/benchops-perf.json'), name: 'demo-perf' },
        ],
        priority: 'high',
      }),
    });
    expect(q).toMatchObject({ status: 'pending', total_steps: 2, completed_steps: 0 });
    const qid = q.queue_request_id;
    const steps = new Set<string>();
    let firstResultMs: number | null = null;
    let item: any;
    const deadline = Date.now() + 150_000;
    for (;;) {
      item = await json(`${urls.vllm}/queue/${qid}`);
      steps.add(`${item.current_step}:${item.completed_steps}`);
      if (firstResultMs === null && item.jobs?.[0]?.run_id) {
        const found = await json(`${urls.results}/standardized_output?run_id=${encodeURIComponent(item.jobs[0].run_id)}`);
        if (found.length) firstResultMs = performance.now() - t0;
      }
      if (['completed', 'failed', 'cancelled'].includes(item.status) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const totalMs = performance.now() - t0;
    console.log(`[vllm e2e] queue → first stored result: ${firstResultMs === null ? 'n/a' : (firstResultMs / 1000).toFixed(2)} s; queue → item completed: ${(totalMs / 1000).toFixed(2)} s`);
    expect(item.error_message).toBeNull();
    expect(item).toMatchObject({ status: 'completed', current_step: 'completed', total_steps: 2, completed_steps: 2 });
    expect([...steps]).toEqual(expect.arrayContaining(['vllm_deployment:0', 'benchmark_job_1:1', 'completed:2']));
    expect(item.jobs[0]).toMatchObject({ status: 'completed', name: 'demo-perf' });
    expect(item.result_pks.length).toBeGreaterThan(0);
    for (const pk of item.result_pks) {
      const doc = await json(`${urls.results}/standardized_output/${encodeURIComponent(pk)}`);
      expect(doc.data.performance).toBeDefined();
    }
    // the runner benchmarked the emulated deployment the queue started (model served under the requested name)
    const list = await json(`${urls.results}/standardized_output?run_id=${encodeURIComponent(item.jobs[0].run_id)}`);
    expect(list[0].model_id).toMatch(/qwen-e2e|Qwen3-0\.6B/);
    // the deployer job carried the deployment's endpoint
    const job = await json(`${urls.deployer}/deployments/${item.jobs[0].deployer_deployment_id}`);
    expect(job.status).toBe('completed');
    const dep = await json(`${urls.vllm}/deployments/${item.deployment_id}`);
    expect(dep.status).toBe('stopped');
    const rec = await (p.modules.get('vllm') as any).core.deployments.get(item.deployment_id);
    expect(pidAlive(rec.pid)).toBe(false);
    expect(firstResultMs).not.toBeNull();
  });
  it('cancel during the benchmark step: the runner job is deleted, the deployment stopped, the item stays cancelled', async () => {
    const original = files.find((f) => f.file_path === 'config/vllm-benchmark/benchops-perf.json' && f.source === 'original')!;
    const cfg = JSON.parse((await json(`${urls.manager}/projects/${projectId}/files/${original.file_id}`)).file.content);
    cfg.scenarios = [{ name: 'long', max_concurrency: 1, random_input_len: 16, random_output_len: 64, num_prompts: 100000 }];
    const long = await json(`${urls.manager}/projects/${projectId}/modified-files`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ original_file_id: original.file_id, modified_name: 'long.json', content: JSON.stringify(cfg) }),
    });
    const jobId = files.find((f) => f.file_path === 'job/vllm-benchmark/benchops-perf-job.yaml' && f.source === 'original')!.file_id;
    const q = await json(`${urls.vllm}/queue/deployment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        vllm_config: { model_name: 'Qwen/Qwen3-0.6B', served_model_name: 'qwen-cancel', max_model_len: 2048 },
        benchmark_configs: [
          { project_id: projectId, job_file_id: jobId, config_file_id: long.file_id ?? long.modified_file_id, name: 'long-perf' },
          { project_id: projectId, job_file_id: jobId, config_file_id: original.file_id, name: 'never-runs' },
        ],
      }),
    });
    const qid = q.queue_request_id;
    let item: any;
    const deadline = Date.now() + 60_000;
    for (;;) {
      item = await json(`${urls.vllm}/queue/${qid}`);
      if (item.current_step === 'benchmark_job_1' && item.jobs?.[0]?.deployer_deployment_id) {
        const job = await json(`${urls.deployer}/deployments/${item.jobs[0].deployer_deployment_id}`);
        if (job.status === 'running') break;
      }
      if (Date.now() > deadline || ['failed', 'completed'].includes(item.status)) throw new Error(`job never ran: ${JSON.stringify(item)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const rec = await (p.modules.get('vllm') as any).core.deployments.get(item.deployment_id);
    expect(pidAlive(rec.pid)).toBe(true);
    const res = await fetch(`${urls.vllm}/queue/${qid}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    const after = await json(`${urls.vllm}/queue/${qid}`);
    expect(after.status).toBe('cancelled');
    const job = await json(`${urls.deployer}/deployments/${item.jobs[0].deployer_deployment_id}`);
    expect(job.status).toBe('deleted');
    expect((await json(`${urls.vllm}/deployments/${item.deployment_id}`)).status).toBe('stopped');
    expect(pidAlive(rec.pid)).toBe(false);
    // nothing overwrites the cancellation and the second job never starts
    await new Promise((r) => setTimeout(r, 1500));
    const later = await json(`${urls.vllm}/queue/${qid}`);
    expect(later.status).toBe('cancelled');
    expect(later.jobs).toHaveLength(1);
    const runs = await json(`${urls.deployer}/deployments?limit=1000`);
    expect(runs.filter((d: any) => d.run_name === 'never-runs')).toEqual([]);
  }, 120_000);
});
