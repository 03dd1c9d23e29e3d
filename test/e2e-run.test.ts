/**
 * End to end in embedded mode: the platform with every service and the demo project, an emulated vLLM server, the
 * deployer's POST /run with the demo's jobs and configs, the local executor running `benchops job run` as a process,
 * results in /standardized_output and scores on /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/server.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

interface ProjectFile {
  file_id: string;
  file_path: string;
  source: string;
}

const QA = [
  { question: 'What is two plus two?', answer: '4' },
  { question: 'What is the capital of France?', answer: 'Paris' },
  { question: 'What colour is a clear sky?', answer: 'blue' },
  { question: 'What is the opposite of hot?', answer: 'cold' },
  { question: 'Which planet is the largest?', answer: 'Jupiter' },
];
/** The emulated model's answers: three of the five English questions right (exact_match 0.6), two of the three demo questions. */
const ANSWERS: Record<string, string> = {
  'What is two plus two?': ' 4',
  'What is the capital of France?': ' Paris',
  'What colour is a clear sky?': ' blue',
  'What is the opposite of hot?': ' warm',
  'Which planet is the largest?': ' Saturn',
  '일본의 수도는 어디인가요?': ' 도쿄',
  '세계에서 가장 긴 강은?': ' 나일강',
  '자바스크립트에서 배열을 정렬하는 방법은?': ' 모르겠습니다',
};

describe('end to end: demo project → POST /run → local executor → runner → results', () => {
  let platform: TestPlatform;
  let sim: EmulatedServer;
  let urls: Record<string, string>;
  let projectId: string;
  let files: ProjectFile[];

  const json = async (url: string, init?: RequestInit) => {
    const res = await fetch(url, init);
    const body = await res.text();
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${body}`);
    return JSON.parse(body);
  };
  const post = (url: string, body: unknown) => json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const fileId = (p: string) => {
    const f = files.find((x) => x.file_path === p && x.source === 'original');
    if (!f) throw new Error(`demo file ${p} not synced; have ${files.map((x) => x.file_path).join(', ')}`);
    return f.file_id;
  };

  /** POST /run, then poll the deployment until it finishes; returns the record and the job's logs. */
  async function runAndWait(body: Record<string, unknown>, timeoutMs = 90_000) {
    const run = await post(`${urls.deployer}/run`, { project_id: projectId, ...body });
    const deadline = Date.now() + timeoutMs;
    let dep: any;
    for (;;) {
      dep = await json(`${urls.deployer}/deployments/${run.deployment_id}`);
      if (['completed', 'failed', 'deleted'].includes(dep.status) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const logs = await json(`${urls.deployer}/jobs/${run.resource_name}/logs?namespace=${run.namespace}&tail_lines=200`).catch((e) => String(e));
    return { run, dep, logs: JSON.stringify(logs) };
  }

  beforeAll(async () => {
    sim = await startEmulatedServer({
      profile: { ttft_ms: 10, itl_ms: 2 },
      served_model_name: 'demo-model',
      responder: (prompt) => {
        const q = /(?:Q|질문): ([^\n]*)\n(?:A|답변):$/.exec(prompt)?.[1];
        return q === undefined ? undefined : (ANSWERS[q] ?? ' ?');
      },
    });
    // The local executor hands runner processes the results URL it knows from the configured port, so the results
    // service gets a fixed free port here (port 0 would leave the runner without BENCHOPS_RESULTS_URL).
    // every port is 0 (any free one): local jobs get the results URL the platform actually listens on
    platform = await startTestPlatform({
      kind: 'pglite',
      env: { BENCHOPS_DEMO: '1', BENCHOPS_POLL_TICK_SECONDS: '0.2' },
    });
    urls = platform.urls as Record<string, string>;
    // The demo project is registered and synced at start.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const projects = await json(`${urls.manager}/projects`);
      const demo = projects.find((p: any) => p.name === 'demo');
      if (demo) {
        projectId = demo.project_id ?? demo.id;
        files = await json(`${urls.manager}/projects/${projectId}/files?limit=500`);
        if (files.length) break;
      }
      if (Date.now() > deadline) throw new Error('demo project not synced within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    await platform?.close();
    await sim?.close();
  });

  it('runs the demo performance job and posts TTFT/TPOT/throughput; /metrics exposes them', async () => {
    const t0 = performance.now();
    const { run, dep, logs } = await runAndWait({
      benchmark_type: 'vllm-benchmark',
      name: 'demo-perf',
      job_file_id: fileId('job/vllm-benchmark/benchops-perf-job.yaml'),
      config_file_id: fileId('config/vllm-benchmark/benchops-perf.json'),
      vllm_model_endpoint: `${sim.url}/v1/completions`,
    });
    expect(dep.status, logs).toBe('completed');
    expect(run.yaml_content).toContain('VLLM_MODEL_ENDPOINT');
    let list: any[] = [];
    for (let i = 0; i < 50 && !list.length; i++) {
      list = await json(`${urls.results}/standardized_output?benchmark_name=benchops-demo-performance-benchmark`);
      if (!list.length) await new Promise((r) => setTimeout(r, 100));
    }
    const wall = (performance.now() - t0) / 1000;
    console.log(`e2e: demo performance run, POST /run → results stored: ${wall.toFixed(2)} s`);
    expect(list, logs).toHaveLength(1);
    expect(list[0]).toMatchObject({ model_id: 'demo-model', source: 'benchops-runner' });
    const std = (await json(`${urls.results}/standardized_output/${encodeURIComponent(list[0].pk)}`)).data;
    // The demo's two scenarios ran against the emulator: 8 + 16 requests with 16 output tokens each.
    expect(sim.records().filter((r) => r.endpoint === 'completions' && r.output_tokens === 16)).toHaveLength(24);
    expect(std.performance.latency.ttft_ms.mean).toBeGreaterThan(8);
    expect(std.performance.latency.tpot_ms.mean).toBeGreaterThan(1);
    expect(std.performance.latency.ttft_ms.p99).toBeGreaterThan(0);
    expect(std.performance.throughput.output_throughput).toBeGreaterThan(0);
    expect(std.performance.throughput.request_throughput).toBeGreaterThan(0);
    expect(std.performance.summary).toMatchObject({ completed: 8, failed: 0, thresholds_passed: 1 });
    expect(Object.keys(std.performance.scenarios).sort()).toEqual(['concurrency_4', 'smoke']);
    const metrics = await (await fetch(`${urls.results}/metrics`)).text();
    expect(metrics).toMatch(/benchops_perf_ttft_ms\{[^}]*model_tag="demo-model"[^}]*\} \d/);
    expect(metrics).toMatch(/benchops_perf_output_throughput\{[^}]*\} \d/);
  });

  it('runs the demo task-evaluation job (exact_match posted), and a modified copy of its config with a known score', async () => {
    const job = fileId('job/custom-task/benchops-task-eval-job.yaml');
    const demo = await runAndWait({
      benchmark_type: 'custom-task',
      name: 'demo-task',
      job_file_id: job,
      config_file_id: fileId('config/custom-task/custom_task.json'),
      vllm_model_endpoint: `${sim.url}/v1/completions`,
    });
    expect(demo.dep.status, demo.logs).toBe('completed');
    const demoList = await json(`${urls.results}/raw_input?benchmark_name=custom-task-eval`);
    expect(demoList).toHaveLength(1);
    const demoRaw = (await json(`${urls.results}/raw_input/${encodeURIComponent(demoList[0].pk)}`)).data;
    expect(demoRaw.results.custom_task_1.samples).toBe(3);
    // The posted score is the share of answers equal to their target (the responder answers two of three right;
    // what reaches the runner is whatever the emulator sends back, so the expectation is computed from the samples).
    const right = demoRaw.samples.filter((s: any) => s.filtered.trim() === s.targets[0]).length;
    expect(demoRaw.results.custom_task_1.exact_match).toBeCloseTo(right / 3, 10);

    // A modified copy of the config (the UI's "edit a copy") with English questions: 3 of 5 right → 0.6.
    const original = JSON.parse((await json(`${urls.manager}/projects/${projectId}/files/${fileId('config/custom-task/custom_task.json')}`)).file.content);
    original.name = 'custom-task-english';
    original.task_definitions.custom_task_1.doc_to_text = 'Q: {{question}}\nA:';
    original.task_definitions.custom_task_1.dataset.test = QA;
    const copy = await post(`${urls.manager}/projects/${projectId}/modified-files`, {
      original_file_id: fileId('config/custom-task/custom_task.json'),
      modified_name: 'custom_task_english.json',
      content: JSON.stringify(original, null, 2),
    });
    const english = await runAndWait({
      benchmark_type: 'custom-task',
      name: 'demo-task-english',
      job_file_id: job,
      config_file_id: copy.file_id,
      vllm_model_endpoint: `${sim.url}/v1`,
    });
    expect(english.dep.status, english.logs).toBe('completed');
    const list = await json(`${urls.results}/standardized_output?benchmark_name=custom-task-english`);
    expect(list).toHaveLength(1);
    const std = (await json(`${urls.results}/standardized_output/${encodeURIComponent(list[0].pk)}`)).data;
    expect(std.results.custom_task_1).toMatchObject({ exact_match: 0.6, samples: 5, failed: 0 });
    const metrics = await (await fetch(`${urls.results}/metrics`)).text();
    expect(metrics).toMatch(/vllm_eval_exact_match\{[^}]*task="custom_task_1"[^}]*\} 0\.6/);
  });
});
