/**
 * The automatic pipeline end to end, embedded (one platform, PGlite), real parts: the MLflow registry test double gets
 * a new model version → the MLflow integration's background poll commits the values file (and the Argo CD Application)
 * to a real local git repository → the manager syncs that vLLM project and the vLLM service's follower deploys it (an
 * emulated vLLM server) → the evaluation service waits for `/v1/models` to list the model, renders the team's job from
 * a Git project and runs it (local executor, `benchops job run`) → results stored under the model's tag → the
 * `vllm_eval_*` gauge on the results service's `/metrics`. The wall time from "version registered" to "score on
 * /metrics" is printed. Then the scores of two versions through promtool (the regression fires, a 5 % dip does not),
 * and the same version polled again: nothing processed twice, no second commit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MlflowModule } from '../src/services/mlflow/index.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { MlflowDouble } from './helpers/mlflow-double.ts';
import { commitsOn, fileAt, waitFor } from './helpers/mlflow-setup.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const PROMTOOL = '/usr/bin/promtool';
const TASK_CONFIG = readFileSync(new URL('../examples/benchmark-repo/config/custom-task/custom_task.json', import.meta.url), 'utf8');
const JOB = `apiVersion: batch/v1
kind: Job
metadata:
  name: eval-{model_name_lower}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: task-eval
          image: ghcr.io/benchops/benchops:latest
          args: ["job", "run"]
`;
const MODEL = 'Qwen3-8B';

/** The value of `vllm_eval_exact_match` for a model tag on a Prometheus text page, or null. */
function gauge(text: string, modelTag: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith('vllm_eval_exact_match{')) continue;
    if (!line.includes(`model_tag="${modelTag}"`) || !line.includes('task="custom_task_1"')) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

describe('MLflow → Git → follower → evaluation → results → alert (embedded)', () => {
  let p: TestPlatform;
  let mlflow: MlflowDouble;
  let values: TestRepo;
  let templates: TestRepo;
  let urls: Record<string, string>;
  let vllmProject: string;

  beforeAll(async () => {
    mlflow = new MlflowDouble();
    await mlflow.start();
    values = makeRepo({ 'vllm/README.md': 'Desired vLLM deployments, written by the MLflow integration\n' });
    templates = makeRepo({ 'job/evaluation/eval-job.yaml': JOB, 'config/evaluation/custom_task.json': TASK_CONFIG });
    p = await startTestPlatform({
      kind: 'pglite',
      env: {
        BENCHOPS_POLL_TICK_SECONDS: '0.3',
        BENCHOPS_LOCAL_DEVICES: 'cpu:4',
        BENCHOPS_MLFLOW_TRACKING_URI: mlflow.url,
        BENCHOPS_MLFLOW_GIT_URL: values.url,
        BENCHOPS_MLFLOW_ARGOCD: '1',
        BENCHOPS_MLFLOW_POLL_SECONDS: '1',
      },
    });
    urls = p.urls as Record<string, string>;
    const vp = await call(urls.manager, 'POST', '/projects', { name: 'mlflow-values', project_type: 'vllm', github_repo_url: values.url, vllm_values_path: 'vllm', polling_interval: 1 });
    expect(vp.status, JSON.stringify(vp.body)).toBeLessThan(300);
    vllmProject = vp.body.project_id;
    expect((await call(urls.manager, 'POST', `/projects/${vllmProject}/sync`)).body.status).toBe('success');
    const follow = await call(urls.vllm, 'PUT', `/follow/${vllmProject}`, {});
    expect(follow.status, JSON.stringify(follow.body)).toBe(200);
    const tp = await call(urls.manager, 'POST', '/projects', { name: 'eval-templates', repository_url: templates.url, config_path: 'config', job_path: 'job' });
    expect(tp.status, JSON.stringify(tp.body)).toBe(200);
    expect((await call(urls.manager, 'POST', `/projects/${tp.body.project_id}/sync`)).body.status).toBe('success');
    const set = await call(urls.mlflow, 'PUT', '/settings', { eval_template: `${tp.body.project_id}:job/evaluation/eval-job.yaml:config/evaluation/custom_task.json` });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await p?.close();
    await mlflow?.stop();
    values?.cleanup();
    templates?.cleanup();
  });

  let score: number;
  it('a registered version ends as a score on /metrics, through Git, the follower and the evaluation service', async () => {
    const t0 = Date.now();
    const v = mlflow.addVersion(MODEL, { experiment_id: '3' });

    // the background poll commits the values file and the Argo CD manifests
    const ev = await waitFor(async () => {
      const list = (await call(urls.mlflow, 'GET', `/events?model_name=${MODEL}`)).body;
      return list[0]?.status === 'completed' ? list[0] : null;
    }, 'the MLflow event', 120_000);
    expect(ev.trigger).toBe('poll');
    const valuesPath = ev.outcome.git.values_path;
    expect(valuesPath).toBe('vllm/custom-values-qwen3-8b.yaml');
    const written = parse(fileAt(values.bareDir, valuesPath)!);
    expect(written.global).toMatchObject({ modelName: MODEL, modelVersion: '1', runid: v.run_id, experimentId: '3' });
    const app = parse(fileAt(values.bareDir, 'argocd/applications/vllm-qwen3-8b.yaml')!);
    expect(app.kind).toBe('Application');
    expect(app.spec.source.helm.valueFiles[0]).toMatch(/vllm\/custom-values-qwen3-8b\.yaml$/);
    expect(ev.outcome.evaluation.id).toBeTruthy();

    // the follower deploys it
    const file = await waitFor(async () => {
      const r = await call(urls.vllm, 'GET', `/follow/${vllmProject}`);
      const f = r.body?.files?.find((x: any) => x.path === valuesPath);
      return f?.status === 'deployed' && f.endpoint ? f : null;
    }, 'the follower deployment', 180_000);
    expect(file.deployment_id).toBeTruthy();

    // the evaluation waited for /v1/models, ran the team's job and linked the results
    const evaluation = await waitFor(async () => {
      const e = (await call(urls.eval, 'GET', `/evaluations/${ev.outcome.evaluation.id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(e.status) ? e : null;
    }, 'the evaluation', 300_000);
    expect(evaluation.status, JSON.stringify(evaluation)).toBe('completed');
    expect(evaluation.model_name).toBe(MODEL);
    expect(evaluation.source).toMatchObject({ kind: 'mlflow', model: MODEL, version: '1' });
    expect(evaluation.result_pks.length).toBeGreaterThan(0);

    // the score on the results service's /metrics, under the model's tag
    const text: string = await waitFor(async () => {
      const t = await (await fetch(`${urls.results}/metrics`)).text();
      return gauge(t, MODEL) !== null ? t : '';
    }, 'the vllm_eval gauge', 60_000);
    score = gauge(text, MODEL)!;
    const wall = (Date.now() - t0) / 1000;
    console.log(`pipeline e2e: version registered -> score on /metrics in ${wall.toFixed(1)} s (exact_match ${score})`);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
  }, 600_000);

  it.skipIf(!existsSync(PROMTOOL))('promtool: a second version scoring lower fires the regression alert on that data, a 5 % dip does not', () => {
    // the first version's real score is the day before; the second version's is the last hours (both on one model_tag)
    const before = Math.max(score, 0.8);
    const regressed = before * 0.7;
    const dip = before * 0.95;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'benchops-e2e-promtool-'));
    try {
      const rules = readFileSync(new URL('../deploy/monitoring/alert-rules.yaml', import.meta.url), 'utf8');
      writeFileSync(path.join(dir, 'alert-rules.yaml'), rules);
      const series = (tag: string, a: number, b: number) => `      - series: 'vllm_eval_exact_match{task="custom_task_1", filter="none", model_tag="${tag}"}'\n        values: '${a}+0x300 ${b}+0x30'\n`;
      const test = `rule_files: [alert-rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 5m
    input_series:
${series(MODEL, before, regressed)}${series('dip-model', before, dip)}    alert_rule_test:
      - eval_time: 27h30m
        alertname: CustomTaskRegression
        exp_alerts:
          - exp_labels: { severity: warning, task: custom_task_1, filter: none, model_tag: ${MODEL} }
            exp_annotations:
              summary: "Custom Task 1 성능 저하 감지"
              description: "exact_match of custom_task_1 for ${MODEL} is ${regressed}, more than 10 % below yesterday's average."
`;
      writeFileSync(path.join(dir, 'e2e.test.yaml'), test);
      const out = execFileSync(PROMTOOL, ['test', 'rules', 'e2e.test.yaml'], { cwd: dir, encoding: 'utf8' });
      expect(out).toMatch(/SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the same version polled again, and two polls at once: nothing processed twice, no second commit', async () => {
    const commits = commitsOn(values.bareDir).length;
    const m = p.modules.get('mlflow') as MlflowModule;
    const [a, b] = await Promise.all([m.integration.poll('manual'), call(urls.mlflow, 'POST', '/poll').then((r) => r.body)]);
    expect(a.timestamp).toBe(b.timestamp);
    expect(a.processed_models).toBe(0);
    expect(commitsOn(values.bareDir)).toHaveLength(commits);
    const evs = (await call(urls.eval, 'GET', `/evaluations?model_name=${MODEL}`)).body;
    expect(evs).toHaveLength(1);
    expect((await call(urls.mlflow, 'GET', `/events?model_name=${MODEL}`)).body).toHaveLength(1);
  });
});
