/**
 * The automatic pipeline end to end, embedded (one platform, PGlite), real parts: the MLflow registry test double gets
 * a new model version → the MLflow integration's background poll commits the values file (and the Argo CD Application)
 * to a real local git repository → the manager syncs that vLLM project and the vLLM service's follower deploys it (an
 * emulated vLLM server) → the evaluation service waits for `/v1/models` to list the model, renders the team's job from
 * a Git project and runs it (local executor, `benchops job run`) → results stored under the model's tag → the
 * `vllm_eval_*` gauge on the results service's `/metrics`. The wall time from "version registered" to "score on
 * /metrics" is printed. A second version, deployed from a values template the team changed in Git (a context length
 * too small for part of the task), scores lower through the same real path; both real scores through promtool fire the
 * regression alert, and a 5 % dip does not. Then the same version polled again, and two more replicas on one
 * PostgreSQL polling at once: nothing processed twice, no second commit.
 *
 * The emulated engine cannot answer questions, so the task scores whether each question was answered: its output filter
 * never matches and falls back to the target ("answered"), and a request the engine refuses (prompt over the context
 * length) scores 0.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MlflowModule } from '../src/services/mlflow/index.ts';
import { createPgDatabase } from './helpers/db.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { MlflowDouble } from './helpers/mlflow-double.ts';
import { commitsOn, fileAt, waitFor } from './helpers/mlflow-setup.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const PROMTOOL = '/usr/bin/promtool';
const question = (q: string) => ({ question: q, answer: 'answered' });
const TASK_CONFIG = JSON.stringify({
  name: 'answered-task',
  mode: 'task',
  generation_kwargs: { temperature: 0, max_tokens: 16 },
  benchmarks: { custom_task_1: { enabled: true, tasks: ['custom_task_1'], num_fewshot: 0, batch_size: 2, limit: 4, metrics: ['exact_match'] } },
  task_definitions: {
    custom_task_1: {
      test_split: 'test',
      doc_to_text: '질문: {{question}}\n답변:',
      doc_to_target: '{{answer}}',
      output_type: 'generate_until',
      generation_kwargs: { until: ['\n'] },
      filter_list: [{ name: 'answered', filter: [{ function: 'regex', regex_pattern: '(?!)', fallback: 'answered' }] }],
      // two short questions, two longer than the second version's context length
      dataset: { test: [question('a?'), question('b?'), question('long '.repeat(150)), question('longer '.repeat(150))] },
      metric_list: [{ metric: 'exact_match', aggregation: 'mean', higher_is_better: true }],
    },
  },
});
const valuesTemplate = (maxModelLen: number) =>
  `# the team's vLLM values template (the MLflow integration fills model, names and global)\nvllm:\n  model: ""\n  maxModelLen: ${maxModelLen}\n  maxNumSeqs: 16\nfullnameOverride: ""\nserviceAccount:\n  create: true\n  name: ""\n`;
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

/** `vllm_eval_exact_match` of custom_task_1 for a model tag on a Prometheus text page (value and filter), or null. */
function gauge(text: string, modelTag: string): { value: number; filter: string } | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith('vllm_eval_exact_match{')) continue;
    if (!line.includes(`model_tag="${modelTag}"`) || !line.includes('task="custom_task_1"')) continue;
    return { value: Number(line.slice(line.lastIndexOf(' ') + 1)), filter: /filter="([^"]*)"/.exec(line)?.[1] ?? '' };
  }
  return null;
}

async function metrics(results: string): Promise<string> {
  return (await fetch(`${results}/metrics`)).text();
}

describe('MLflow → Git → follower → evaluation → results → alert (embedded)', () => {
  let p: TestPlatform;
  let mlflow: MlflowDouble;
  let values: TestRepo;
  let templates: TestRepo;
  let urls: Record<string, string>;
  let vllmProject: string;
  let templateProject: string;

  beforeAll(async () => {
    mlflow = new MlflowDouble();
    await mlflow.start();
    values = makeRepo({ 'vllm/README.md': 'Desired vLLM deployments, written by the MLflow integration\n' });
    templates = makeRepo({ 'job/evaluation/eval-job.yaml': JOB, 'config/evaluation/answered_task.json': TASK_CONFIG, 'templates/custom-values-vllm.yaml': valuesTemplate(4096) });
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
    // the values template lives in a vLLM project of its own (not followed)
    const vt = await call(urls.manager, 'POST', '/projects', { name: 'mlflow-templates', project_type: 'vllm', github_repo_url: templates.url, vllm_values_path: 'templates' });
    templateProject = vt.body.project_id;
    expect((await call(urls.manager, 'POST', `/projects/${templateProject}/sync`)).body.status).toBe('success');
    const set = await call(urls.mlflow, 'PUT', '/settings', {
      template: templateProject,
      eval_template: `${tp.body.project_id}:job/evaluation/eval-job.yaml:config/evaluation/answered_task.json`,
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await p?.close();
    await mlflow?.stop();
    values?.cleanup();
    templates?.cleanup();
  });

  let first: { value: number; filter: string };
  let second: { value: number; filter: string };
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
    expect(written.vllm).toMatchObject({ maxModelLen: 4096, served_model_name: MODEL, model: '/data/local_models/qwen3-8b' });
    expect(ev.outcome.git.template).toBe(`project:${templateProject}:templates/custom-values-vllm.yaml`);
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
    first = await waitFor(async () => gauge(await metrics(urls.results), MODEL), 'the vllm_eval gauge', 60_000);
    const wall = (Date.now() - t0) / 1000;
    console.log(`pipeline e2e: version registered -> score on /metrics in ${wall.toFixed(1)} s (exact_match ${first.value})`);
    // every question answered by the first version's engine
    expect(first.value).toBe(1);
  }, 600_000);

  it('a second version from a changed values template is redeployed by the follower and scores lower', async () => {
    // the team lowers the template's context length in Git; the first version is not re-processed because of it
    templates.commit({ 'templates/custom-values-vllm.yaml': valuesTemplate(120) }, 'smaller context');
    expect((await call(urls.manager, 'POST', `/projects/${templateProject}/sync`)).body.status).toBe('success');
    // the old engine answers under the same name until the follower replaced it
    expect((await call(urls.mlflow, 'PUT', '/settings', { eval_delay_seconds: 20 })).status).toBe(200);
    mlflow.addVersion(MODEL, { experiment_id: '3' });
    const ev = await waitFor(async () => {
      const list = (await call(urls.mlflow, 'GET', `/events?model_name=${MODEL}&version=2`)).body;
      return list[0]?.status === 'completed' ? list[0] : null;
    }, 'the second MLflow event', 120_000);
    expect(ev.event_type).toBe('model_version_updated');
    expect(parse(fileAt(values.bareDir, ev.outcome.git.values_path)!).vllm.maxModelLen).toBe(120);
    const evaluation = await waitFor(async () => {
      const e = (await call(urls.eval, 'GET', `/evaluations/${ev.outcome.evaluation.id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(e.status) ? e : null;
    }, 'the second evaluation', 300_000);
    expect(evaluation.status, JSON.stringify(evaluation)).toBe('completed');
    const f = (await call(urls.vllm, 'GET', `/follow/${vllmProject}`)).body.files.find((x: any) => x.path === ev.outcome.git.values_path);
    expect(f.status).toBe('deployed');
    second = await waitFor(async () => {
      const g = gauge(await metrics(urls.results), MODEL);
      return g && g.value !== first.value ? g : null;
    }, 'the second score', 60_000);
    // the two long questions no longer fit the context: half answered
    expect(second.value).toBe(0.5);
  }, 600_000);

  it.skipIf(!existsSync(PROMTOOL))('promtool: the second version’s real score fires the regression alert, a 5 % dip does not', () => {
    // the first version's score the day before, the second version's in the last hours (one model_tag); a control
    // series dips 5 % from the same level
    const before = first.value;
    const regressed = second.value;
    const dip = before * 0.95;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'benchops-e2e-promtool-'));
    try {
      const rules = readFileSync(new URL('../deploy/monitoring/alert-rules.yaml', import.meta.url), 'utf8');
      writeFileSync(path.join(dir, 'alert-rules.yaml'), rules);
      const series = (tag: string, a: number, b: number) => `      - series: 'vllm_eval_exact_match{task="custom_task_1", filter="${first.filter}", model_tag="${tag}"}'\n        values: '${a}+0x300 ${b}+0x30'\n`;
      const test = `rule_files: [alert-rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 5m
    input_series:
${series(MODEL, before, regressed)}${series('dip-model', before, dip)}    alert_rule_test:
      - eval_time: 27h30m
        alertname: CustomTaskRegression
        exp_alerts:
          - exp_labels: { severity: warning, task: custom_task_1, filter: ${first.filter}, model_tag: ${MODEL} }
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
    // Hold the registry's answers, so that a poll which asks it stays in flight. The background poller may already be
    // polling (then `first` joins it, and it may end before the hold); wait until some poll is held at the registry.
    let release!: () => void;
    mlflow.hold = new Promise<void>((r) => (release = r));
    const seen = mlflow.requests.length;
    const first = m.integration.poll('manual');
    await waitFor(() => mlflow.requests.length > seen && m.integration.polling, 'a poll held at the registry');
    // two more polls in this process join the one in flight; one over HTTP may join it or follow it
    const x = m.integration.poll('manual');
    expect(m.integration.poll('manual')).toBe(x);
    const overHttp = call(urls.mlflow, 'POST', '/poll').then((r) => r.body);
    release();
    mlflow.hold = null;
    const [a, xr, b] = await Promise.all([first, x, overHttp]);
    for (const r of [a, xr, b]) expect(r.processed_models).toBe(0);
    expect(commitsOn(values.bareDir)).toHaveLength(commits);
    const evs = (await call(urls.eval, 'GET', `/evaluations?model_name=${MODEL}`)).body;
    expect(evs).toHaveLength(2);
    expect((await call(urls.mlflow, 'GET', `/events?model_name=${MODEL}`)).body).toHaveLength(2);
  });

  it('two MLflow replicas on one PostgreSQL (cluster mode) polling at once: each version once, no second commit', async () => {
    // a fresh pair of replicas reading the same registry, template (the embedded manager over HTTP) and repository
    const env = {
      DATABASE_URL: await createPgDatabase(),
      BENCHOPS_SECRET_KEY: 'd'.repeat(64),
      BENCHOPS_MLFLOW_TRACKING_URI: mlflow.url,
      BENCHOPS_MLFLOW_GIT_URL: values.url,
      BENCHOPS_MLFLOW_ARGOCD: '1',
      BENCHOPS_MLFLOW_TEMPLATE: templateProject,
      BENCHOPS_MANAGER_URL: urls.manager,
      BENCHOPS_MLFLOW_EVALUATE: '0',
    };
    const a = await startTestPlatform({ kind: 'postgres', services: ['mlflow'], background: false, env });
    const b = await startTestPlatform({ kind: 'postgres', services: ['mlflow'], background: false, env });
    try {
      const commits = commitsOn(values.bareDir).length;
      const [ra, rb] = await Promise.all([call(a.urls.mlflow!, 'POST', '/poll'), call(b.urls.mlflow!, 'POST', '/poll')]);
      expect(ra.body.errors, JSON.stringify(ra.body)).toEqual([]);
      expect(rb.body.errors, JSON.stringify(rb.body)).toEqual([]);
      expect(ra.body.processed_models + rb.body.processed_models).toBe(1);
      const [ev] = (await call(a.urls.mlflow!, 'GET', `/events?model_name=${MODEL}`)).body;
      expect(ev).toMatchObject({ version: '2', status: 'completed', event_type: 'model_version_unchanged', attempts: 1 });
      // the same version renders the same bytes: nothing was rewritten
      expect(ev.outcome.git.unchanged).toEqual(expect.arrayContaining([ev.outcome.git.values_path, 'argocd/applications/vllm-qwen3-8b.yaml']));
      expect(commitsOn(values.bareDir)).toHaveLength(commits);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
