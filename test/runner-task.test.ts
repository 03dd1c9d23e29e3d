/**
 * The runner's task evaluation against a real emulated vLLM server (answers chosen by a responder, so the expected
 * score is known) and a real Results service; the earlier evalchemy.json and its task YAMLs; configuration errors.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../src/runner/index.ts';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/server.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';
import { FIXTURES as REFERENCE } from './helpers/fixtures.ts';

const FIXTURES = path.join(REFERENCE, 'vllm-eval');

const DOCS = [
  { q: 'What is two plus two?', a: '4' },
  { q: 'What is the capital of France?', a: 'Paris' },
  { q: 'What colour is a clear sky?', a: 'blue' },
  { q: 'What is the opposite of hot?', a: 'cold' },
  { q: 'Which planet is the largest?', a: 'Jupiter' },
  { q: 'How many legs has a spider?', a: '8' },
];
/** What the emulated model answers: right for the first three questions (one in other case with punctuation), wrong after. */
const ANSWERS: Record<string, string> = {
  'What is two plus two?': ' 4\nQ: something else',
  'What is the capital of France?': ' paris.',
  'What colour is a clear sky?': ' blue',
  'What is the opposite of hot?': ' warm',
  'Which planet is the largest?': ' Saturn',
};

describe('runner task evaluation', () => {
  let sim: EmulatedServer;
  let platform: TestPlatform;
  let resultsUrl: string;
  let dir: string;
  const prompts: string[] = [];

  beforeAll(async () => {
    sim = await startEmulatedServer({
      profile: { ttft_ms: 2, itl_ms: 1 },
      served_model_name: 'demo-model',
      responder: (prompt) => {
        prompts.push(prompt);
        const last = /Q: ([^\n]*)\nA:$/.exec(prompt);
        return last ? (ANSWERS[last[1]] ?? ' no idea') : undefined;
      },
    });
    platform = await startTestPlatform({ kind: 'pglite', services: ['results'] });
    resultsUrl = platform.urls.results!;
    dir = mkdtempSync(path.join(os.tmpdir(), 'runner-task-'));
    writeFileSync(path.join(dir, 'qa.jsonl'), DOCS.map((d) => JSON.stringify(d)).join('\n') + '\n');
  });

  afterAll(async () => {
    await sim?.close();
    await platform?.close();
  });

  const writeConfig = (name: string, cfg: unknown) => {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(cfg));
    return file;
  };

  const baseTask = {
    task: 'qa',
    doc_to_text: 'Q: {{q}}\nA:',
    doc_to_target: '{{a}}',
    dataset_kwargs: { data_files: { test: 'qa.jsonl' } },
    limit: 5,
    generation_kwargs: { until: ['\n'], max_tokens: 16 },
  };

  it('scores exact_match against the endpoint and posts raw and standardized results; /metrics exposes the score', async () => {
    const config = writeConfig('task.json', {
      mode: 'task',
      name: 'qa_eval',
      concurrency: 3,
      tasks: [
        {
          ...baseTask,
          metric_list: [
            { metric: 'exact_match', ignore_case: true, ignore_punctuation: true },
            { metric: 'contains', key: 'contains_strict' },
          ],
        },
      ],
    });
    const lines: string[] = [];
    const res = await runJob({
      env: { BENCHOPS_CONFIG_PATH: config, VLLM_MODEL_ENDPOINT: `${sim.url}/v1/completions`, BENCHOPS_RESULTS_URL: resultsUrl, BENCHOPS_RUN_ID: 'task-run-1' },
      cwd: dir,
      log: (l) => lines.push(l),
    });
    expect(res.error).toBeUndefined();
    expect(res.exitCode).toBe(0);
    // 4, paris. (case and punctuation ignored) and blue are right; warm and Saturn are wrong: 3/5.
    expect(res.output!.results.qa.exact_match).toBeCloseTo(0.6, 10);
    // contains without normalisation: "4" and "blue" only (" paris." does not contain "Paris").
    expect(res.output!.results.qa.contains_strict).toBeCloseTo(0.4, 10);
    expect(res.output!.results.qa.samples).toBe(5);
    expect(res.output!.results.qa.exact_match_stderr).toBeCloseTo(Math.sqrt(0.3 / 5), 6);
    expect(lines.join('\n')).toMatch(/progress: 5\/5 samples/);
    expect(lines.join('\n')).toMatch(/qa\s+exact_match\s+0\.6000/);

    const list = (await (await fetch(`${resultsUrl}/standardized_output?run_id=task-run-1`)).json()) as any[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ benchmark_name: 'qa_eval', model_id: 'demo-model', source: 'benchops-runner' });
    const std = (await (await fetch(`${resultsUrl}/standardized_output/${encodeURIComponent(list[0].pk)}`)).json()) as any;
    expect(std.data.results.qa.exact_match).toBeCloseTo(0.6, 10);
    expect(std.data.performance.summary.samples).toBe(5);
    expect(std.data.samples).toBeUndefined();
    const raw = (await (await fetch(`${resultsUrl}/raw_input/${encodeURIComponent(list[0].pk)}`)).json()) as any;
    expect(raw.data.samples).toHaveLength(5);
    expect(raw.data.samples[1]).toMatchObject({ filtered: ' paris.', targets: ['Paris'], scores: { exact_match: 1, contains_strict: 0 } });
    // The stop sequence cut the first answer even though the server ignored it.
    expect(raw.data.samples[0].filtered).toBe(' 4');

    const metrics = await (await fetch(`${resultsUrl}/metrics`)).text();
    expect(metrics).toMatch(/vllm_eval_exact_match\{[^}]*task="qa"[^}]*\} 0\.6/);
  });

  it('builds few-shot prompts and applies the chat API with a limit and a threshold that fails (exit 1)', async () => {
    prompts.length = 0;
    const config = writeConfig('fewshot.json', {
      name: 'qa_fewshot',
      api: 'chat',
      tasks: [{ ...baseTask, description: 'Answer briefly.', num_fewshot: 2, limit: 2, fewshot_docs: [{ q: 'Shot one?', a: 'one' }, { q: 'Shot two?', a: 'two' }, { q: 'Shot three?', a: 'three' }] }],
      thresholds: { 'qa.exact_match': 0.9 },
    });
    const lines: string[] = [];
    const res = await runJob({
      env: { BENCHOPS_CONFIG_PATH: config, VLLM_ENDPOINT: sim.url, BENCHOPS_RESULTS_URL: resultsUrl },
      log: (l) => lines.push(l),
    });
    expect(res.exitCode).toBe(1);
    expect(res.error).toMatch(/thresholds failed: qa\.exact_match \(qa\)/);
    expect(res.output!.results.qa.exact_match).toBe(0.5); // " paris." is wrong without ignore_case/ignore_punctuation
    expect(res.output!.results.qa.samples).toBe(2);
    expect(res.output!.meta.endpoint).toBe(`${sim.url}/v1/chat/completions`);
    // Chat: the whole few-shot prompt is one user message; the emulator's responder sees that message.
    expect(prompts).toContain('Answer briefly.\n\nQ: Shot one?\nA: one\n\nQ: Shot two?\nA: two\n\nQ: What is two plus two?\nA:');
    // Results are stored even when thresholds fail, with the verdict in the summary.
    const list = (await (await fetch(`${resultsUrl}/standardized_output?benchmark_name=qa_fewshot`)).json()) as any[];
    expect(list).toHaveLength(1);
    const std = (await (await fetch(`${resultsUrl}/standardized_output/${encodeURIComponent(list[0].pk)}`)).json()) as any;
    expect(std.data.performance.summary.thresholds_passed).toBe(0);
    expect(std.data.thresholds.checks[0]).toMatchObject({ name: 'qa.exact_match', passed: false, value: 0.5 });
  });

  it('runs the earlier evalchemy.json with its task YAMLs (active profile, few-shot from the test split when train is missing)', async () => {
    prompts.length = 0;
    const out = mkdtempSync(path.join(os.tmpdir(), 'runner-out-'));
    const lines: string[] = [];
    const res = await runJob({
      env: {
        BENCHOPS_CONFIG_PATH: path.join(FIXTURES, 'configs/evalchemy.json'),
        BENCHOPS_TASKS_DIR: path.join(FIXTURES, 'eval/evalchemy/tasks'),
        VLLM_MODEL_ENDPOINT: `${sim.url}/v1`,
        MODEL_NAME: 'Qwen/Qwen3-8B',
        BENCHOPS_OUTPUT_DIR: out,
      },
      log: (l) => lines.push(l),
    });
    expect(res.error).toBeUndefined();
    expect(res.exitCode).toBe(0);
    const log = lines.join('\n');
    expect(log).toMatch(/model "Qwen\/Qwen3-8B" is not served by the endpoint .*using "demo-model"/);
    expect(log).toMatch(/data_files\.train: file not found \(tried [^)]*train\.jsonl.*\); few-shot examples come from the other "test" documents/);
    expect(Object.keys(res.output!.results).sort()).toEqual(['custom_task_1', 'custom_task_2']);
    expect(res.output!.results.custom_task_1.samples).toBe(3);
    expect(res.output!.results.custom_task_1.num_fewshot).toBe(3);
    expect(res.output!.meta.model).toEqual({ id: 'demo-model', tokenizer_id: 'Qwen/Qwen3-8B' });
    // lm-eval layout: description, then the other two documents as examples (only two exist), then the question.
    expect(prompts).toContain(
      '커스텀 태스크 1 - 질문답변 평가\n\n질문: 자바스크립트에서 배열을 정렬하는 방법은?\n답변: sort() 메서드를 사용합니다.\n\n' +
        '질문: 세계에서 가장 긴 강은?\n답변: 나일강\n\n질문: 일본의 수도는 어디인가요?\n답변:',
    );
    // No results URL: both documents written as files, and the log says where.
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^custom_only-.*\.raw\.json$/);
    const std = JSON.parse(readFileSync(path.join(out, files[1]), 'utf8'));
    expect(std).toMatchObject({ benchmark_name: 'custom_only', source: 'benchops-runner', data: { results: { custom_task_2: { samples: 3 } } } });
    expect(log).toMatch(/no results URL \(BENCHOPS_RESULTS_URL\): results written to/);
  });

  it('retries transient Results service failures (503 twice, then stored) and sends BENCHOPS_TOKEN', async () => {
    let failures = 2;
    const auth: (string | undefined)[] = [];
    const proxy = http.createServer((req, res) => {
      auth.push(req.headers.authorization);
      if (failures > 0 && req.method === 'POST') {
        failures--;
        req.resume();
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"detail":"starting"}');
        return;
      }
      const target = new URL(req.url!, resultsUrl);
      const up = http.request(target, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const lines: string[] = [];
    try {
      const config = writeConfig('retry.json', { name: 'qa_retry', tasks: [{ ...baseTask, limit: 1 }] });
      const res = await runJob({
        env: {
          BENCHOPS_CONFIG_PATH: config,
          VLLM_MODEL_ENDPOINT: sim.url,
          BENCHOPS_RESULTS_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
          BENCHOPS_TOKEN: 'op-token-1',
        },
        log: (l) => lines.push(l),
        publishBackoffMs: 10,
      });
      expect(res.exitCode).toBe(0);
      expect(res.published?.posted).toBe(true);
      expect(lines.filter((l) => /posting raw_input failed .*retry/.test(l))).toHaveLength(2);
      // Three raw attempts, each with the token (the service derives the standardized document from the raw one, so
      // it is not posted again); the token never reaches the log.
      expect(res.published?.standardized).toBe('derived');
      expect(auth).toEqual(Array(3).fill('Bearer op-token-1'));
      expect(lines.join('\n')).not.toContain('op-token-1');
      const list = (await (await fetch(`${resultsUrl}/raw_input?benchmark_name=qa_retry`)).json()) as any[];
      expect(list).toHaveLength(1);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  it('does not retry a refused post (401): keeps the results as files and exits 1', async () => {
    let posts = 0;
    const refuse = http.createServer((req, res) => {
      posts++;
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"detail":"Not authenticated"}');
    });
    await new Promise<void>((r) => refuse.listen(0, '127.0.0.1', r));
    const out = mkdtempSync(path.join(os.tmpdir(), 'runner-refused-'));
    try {
      const config = writeConfig('refused.json', { name: 'qa_refused', tasks: [{ ...baseTask, limit: 1 }] });
      const res = await runJob({
        env: { BENCHOPS_CONFIG_PATH: config, VLLM_MODEL_ENDPOINT: sim.url, BENCHOPS_RESULTS_URL: `http://127.0.0.1:${(refuse.address() as AddressInfo).port}`, BENCHOPS_OUTPUT_DIR: out },
        log: () => {},
        publishBackoffMs: 10,
      });
      expect(res.exitCode).toBe(1);
      expect(res.error).toMatch(/could not post results to http:\/\/127\.0\.0\.1:\d+: Not authenticated/);
      expect(posts).toBe(1);
      expect(readdirSync(out).sort()).toEqual([expect.stringMatching(/^qa_refused-.*\.raw\.json$/), expect.stringMatching(/^qa_refused-.*\.standardized\.json$/)]);
    } finally {
      await new Promise((r) => refuse.close(r));
    }
  });

  it('reports configuration errors with exit code 2 and the field named', async () => {
    const cases: [unknown, RegExp][] = [
      [{ tasks: [{ ...baseTask, metric_list: [{ metric: 'bleu' }] }] }, /tasks\[0\]\.metric_list\[0\]: unsupported metric "bleu"/],
      [{ tasks: [{ ...baseTask, doc_to_text: undefined }] }, /tasks\[0\]\.doc_to_text: required/],
      [{ tasks: [{ ...baseTask, dataset_kwargs: { data_files: { test: 'missing.jsonl' } } }] }, /tasks\[0\]\.dataset_kwargs\.data_files\.test: file not found/],
      [{ tasks: [{ ...baseTask, doc_to_text: 'Q: {{question}}' }] }, /tasks\[0\]\.dataset_kwargs\.data_files\.test: document 1 has no field "question"/],
      [{ tasks: [{ ...baseTask, output_type: 'multiple_choice' }] }, /tasks\[0\]\.output_type: "multiple_choice" is not supported/],
      [{ mode: 'quality-ish', tasks: [] }, /^configuration error: mode: unknown mode "quality-ish"/],
      [{ hello: 1 }, /mode: cannot tell what to run/],
      [{ tasks: [baseTask], thresholds: { 'nope.exact_match': 1 } }, /thresholds\.nope\.exact_match: no task named "nope"/],
    ];
    for (const [cfg, pattern] of cases) {
      const config = writeConfig('bad.json', cfg);
      const res = await runJob({ env: { BENCHOPS_CONFIG_PATH: config, VLLM_MODEL_ENDPOINT: sim.url }, log: () => {} });
      expect(res.exitCode, JSON.stringify(cfg)).toBe(2);
      expect(res.error).toMatch(pattern);
    }
    // The earlier eval_config.json names lm-eval tasks the built-in evaluator has no definition for.
    const res = await runJob({ env: { BENCHOPS_CONFIG_PATH: path.join(FIXTURES, 'configs/eval_config.json'), VLLM_MODEL_ENDPOINT: sim.url }, log: () => {} });
    expect(res.exitCode).toBe(2);
    expect(res.error).toMatch(/benchmarks\[0\]\.tasks\[0\]: task "hellaswag" has no definition/);
    // Missing file and missing endpoint.
    const missing = await runJob({ env: { BENCHOPS_CONFIG_PATH: path.join(dir, 'nope.json') }, log: () => {} });
    expect(missing.exitCode).toBe(2);
    expect(missing.error).toMatch(/BENCHOPS_CONFIG_PATH: file not found/);
    const noEndpoint = await runJob({ env: { BENCHOPS_CONFIG_PATH: writeConfig('ok.json', { tasks: [baseTask] }) }, log: () => {} });
    expect(noEndpoint.exitCode).toBe(2);
    expect(noEndpoint.error).toMatch(/VLLM_MODEL_ENDPOINT: no model endpoint/);
  });

  it('finds the config at /app/configs/eval_config.json under BENCHOPS_MOUNT_ROOT and expands $(VAR) in --endpoint', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'runner-mount-'));
    mkdirSync(path.join(root, 'app/configs'), { recursive: true });
    writeFileSync(path.join(root, 'app/configs/eval_config.json'), JSON.stringify({ name: 'mounted', tasks: [{ ...baseTask, dataset_kwargs: undefined, docs: DOCS.slice(0, 2) }] }));
    const res = await runJob({
      flags: { endpoint: '$(VLLM_MODEL_ENDPOINT)', config: '/app/configs/evalchemy.json' },
      env: { BENCHOPS_MOUNT_ROOT: root, VLLM_MODEL_ENDPOINT: `${sim.url}/v1/completions`, BENCHOPS_OUTPUT_DIR: root },
      log: () => {},
    });
    expect(res.error).toBeUndefined();
    expect(res.plan?.name).toBe('mounted');
    expect(res.output!.results.qa).toMatchObject({ exact_match: 0.5, samples: 2 });
  });
});
