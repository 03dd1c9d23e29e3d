/**
 * The evaluation service with real parts, on PGlite and PostgreSQL: manager (a project on a real git repository),
 * deployer (local executor running `benchops job run`), results, and an emulated vLLM server as the engine that
 * starts only after the evaluation was asked for (refused connections are "not yet"). The job template is a
 * two-document file with placeholders filled inside the parsed YAML; the evaluation goes waiting → submitted →
 * completed with the deployer run and the result pks. An engine that never lists the model fails at its deadline
 * and no job is submitted; cancel; 422s name the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/server.ts';
import { freePort, startEngine, templateProject } from './eval-fixtures.ts';
import { DB_KINDS } from './helpers/db.ts';
import { until } from './helpers/deployer-setup.ts';
import type { TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

describe.each(DB_KINDS)('evaluation service end to end (%s)', (kind) => {
  let p: TestPlatform;
  let repo: TestRepo;
  let base: string;
  let projectId: string;
  const sims: EmulatedServer[] = [];

  beforeAll(async () => {
    p = await startTestPlatform({ kind, services: ['results', 'manager', 'deployer', 'eval'], env: { BENCHOPS_POLL_TICK_SECONDS: '0.2' } });
    base = p.urls.eval!;
    ({ projectId, repo } = await templateProject(p));
  }, 120_000);

  afterAll(async () => {
    await p?.close();
    for (const s of sims) await s.close().catch(() => {});
    repo?.cleanup();
  });

  const template = () => `${projectId}:job/evaluation/eval-job.yaml:config/evaluation/custom_task.json`;

  it('waits for an engine that is not up yet, renders the template, runs the job and links the results', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const model = 'Team_Model.v2';
    const r = await call(base, 'POST', '/evaluate', { model_name: model, 'vllm-url': url, template: template(), overrides: { team: 'quality' }, source: { kind: 'test' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // the earlier service's response fields, and the stored evaluation
    expect(r.body.message).toBe('Evaluation deployment scheduled successfully');
    expect(r.body.deployment_response).toEqual({ status: 'scheduled' });
    expect(r.body.inference_engine_url).toBe(url);
    expect(r.body.status).toBe('waiting');
    expect(r.body.warnings).toEqual([]);
    const id = r.body.id;

    // refused connections are "not yet": probes go on, the evaluation stays waiting
    const waiting = await until(async () => {
      const e = (await call(base, 'GET', `/evaluations/${id}`)).body;
      return e.readiness.attempts >= 2 ? e : null;
    }, 60_000, 'two readiness probes');
    expect(waiting.status).toBe('waiting');
    expect(waiting.readiness.last_probe).toMatch(/not reachable yet/);
    expect(waiting.deployment).toBeNull();

    sims.push(await startEngine(model, port));
    const done = await until(async () => {
      const e = (await call(base, 'GET', `/evaluations/${id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(e.status) ? e : null;
    }, 150_000, 'the evaluation to finish');
    expect(done.status, JSON.stringify(done)).toBe('completed');
    const statuses = done.history.map((h: any) => h.status);
    expect(statuses[0]).toBe('waiting');
    expect(statuses.at(-1)).toBe('completed');
    expect(statuses.indexOf('submitted')).toBeGreaterThan(0);
    expect(statuses.filter((s: string) => !['waiting', 'submitted', 'running', 'completed'].includes(s))).toEqual([]);
    expect(done.result_pks.length).toBeGreaterThan(0);
    expect(done.deployment.deployment_id).toBeTruthy();

    // the deployer run: placeholders filled inside values, the endpoint injected, the evaluation's label on the objects
    const dep = (await call(p.urls.deployer!, 'GET', `/deployments/${done.deployment.deployment_id}`)).body;
    expect(dep.status).toBe('completed');
    const yaml: string = dep.yaml_content;
    expect(yaml).toContain(`benchops.io/evaluation-id: ${id}`);
    expect(yaml).toContain('evaluated-model: team-model-v2');
    expect(yaml).toContain(`model ${model} at ${url}; quality`);
    expect(yaml).toContain(`evaluation: ${id}`);
    expect(yaml).toContain(`name: eval-notes-${id}`);
    expect(yaml).not.toMatch(/\{(model_name|vllm-url|team|served_model_name|inference_engine_url)/);
    expect(yaml).toContain(`${url}/v1/completions`);

    // the stored result is the model's, under the deployer run's id
    const res = (await call(p.urls.results!, 'GET', `/standardized_output?run_id=${encodeURIComponent(done.deployment.deployment_id)}`)).body;
    expect(res.map((x: any) => x.pk).sort()).toEqual(done.result_pks.filter((pk: string) => res.some((x: any) => x.pk === pk)).sort());
    expect(res.every((x: any) => x.model_id === model)).toBe(true);

    // counted on /metrics by status
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/benchops_evaluations\{status="completed"\} 1\b/);
    // listed, filterable
    const list = await call(base, 'GET', `/evaluations?model_name=${encodeURIComponent(model)}&status=completed`);
    expect(list.body.map((e: any) => e.id)).toEqual([id]);
    expect(list.headers.get('x-total-count')).toBe('1');
    expect((await call(base, 'GET', '/evaluations?status=waiting')).body.map((e: any) => e.id)).not.toContain(id);
    // a finished evaluation cannot be cancelled
    expect((await call(base, 'POST', `/evaluations/${id}/cancel`)).status).toBe(409);
  }, 240_000);

  it('fails at the deadline when the engine never lists the model, and submits nothing', async () => {
    const sim = await startEmulatedServer({ profile: { ttft_ms: 5, itl_ms: 1 }, served_model_name: 'some-other-model' });
    sims.push(sim);
    const before = (await call(p.urls.deployer!, 'GET', '/deployments?limit=1000')).body.length;
    const r = await call(base, 'POST', '/evaluate', { model_name: 'never-served', inference_engine_url: sim.url, template: template(), overrides: { team: 'x' }, readiness_timeout_seconds: 2 });
    expect(r.status).toBe(200);
    const e = await until(async () => {
      const x = (await call(base, 'GET', `/evaluations/${r.body.id}`)).body;
      return x.status !== 'waiting' ? x : null;
    }, 60_000, 'the deadline');
    expect(e.status).toBe('failed');
    expect(e.error).toMatch(/did not list model never-served/);
    expect(e.error).toMatch(/some-other-model/);
    expect(e.error).toMatch(/not submitted/);
    expect(e.deployment).toBeNull();
    expect(e.history.map((h: any) => h.status)).toEqual(['waiting', 'failed']);
    expect((await call(p.urls.deployer!, 'GET', '/deployments?limit=1000')).body.length).toBe(before);
  }, 90_000);

  it('cancels a waiting evaluation; it is never probed again', async () => {
    const r = await call(base, 'POST', '/evaluate', { model_name: 'm', inference_engine_url: `http://127.0.0.1:${await freePort()}`, template: template(), overrides: { team: 'x' } });
    const c = await call(base, 'POST', `/evaluations/${r.body.id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('cancelled');
    const attempts = c.body.readiness.attempts;
    await new Promise((res) => setTimeout(res, 1000));
    const later = (await call(base, 'GET', `/evaluations/${r.body.id}`)).body;
    expect(later.status).toBe('cancelled');
    expect(later.readiness.attempts).toBe(attempts);
    expect((await call(base, 'POST', `/evaluations/${r.body.id}/cancel`)).status).toBe(409);
    expect((await call(base, 'GET', '/evaluations/nope')).status).toBe(404);
  });

  it('answers 422 naming the field, and stores nothing', async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ inference_engine_url: 'http://x' }, ['body', 'model_name']],
      [{ model_name: 'm' }, ['body', 'inference_engine_url']],
      [{ model_name: 'm', inference_engine_url: 'ftp://x' }, ['body', 'inference_engine_url']],
      [{ model_name: 'm', inference_engine_url: 'http://a', 'vllm-url': 'http://b' }, ['body', 'vllm-url']],
      [{ model_name: 'm', 'vllm-url': 'http://user:secret@a' }, ['body', 'vllm-url']],
      [{ model_name: 'm', inference_engine_url: 'http://a', surprise: 1 }, ['body']],
      [{ model_name: 'm', inference_engine_url: 'http://a' }, ['body', 'template']],
      [{ model_name: 'm', inference_engine_url: 'http://a', template: 'nope:job/x.yaml' }, ['body', 'template', 'project_id']],
      [{ model_name: 'm', inference_engine_url: 'http://a', template: `${projectId}:job/missing.yaml` }, ['body', 'template', 'job_file']],
      [{ model_name: 'm', inference_engine_url: 'http://a', template: `${projectId}:job/evaluation/eval-job.yaml`, overrides: { team: { a: 1 } } }, ['body', 'overrides', 'team']],
      [{ model_name: 'm', inference_engine_url: 'http://a', template: `${projectId}:job/evaluation/eval-job.yaml`, overrides: { model_name: 'x' } }, ['body', 'overrides', 'model_name']],
    ];
    const before = (await call(base, 'GET', '/evaluations')).headers.get('x-total-count');
    for (const [body, loc] of cases) {
      const r = await call(base, 'POST', '/evaluate', body);
      expect(r.status, JSON.stringify([body, r.body])).toBe(422);
      expect(r.body.detail[0].loc.slice(0, loc.length), JSON.stringify(r.body)).toEqual(loc);
    }
    expect((await call(base, 'GET', '/evaluations')).headers.get('x-total-count')).toBe(before);
    expect(p.logs()).not.toContain('secret@');
    expect((await call(base, 'GET', '/evaluations?status=bogus')).status).toBe(422);
    const sched = (body: Record<string, unknown>) => call(base, 'POST', '/schedules', { name: 's', model_name: 'm', inference_engine_url: 'http://a', template: template(), ...body });
    for (const [body, loc] of [
      [{ cron: 'every tuesday' }, ['body', 'cron']],
      [{ cron: '* * * * * *' }, ['body', 'cron']], // every second: busier than BENCHOPS_EVAL_MIN_INTERVAL_SECONDS (60)
      [{ cron: '0 3 * * *', timezone: 'Mars/Olympus' }, ['body', 'timezone']],
      [{ cron: '0 3 * * *', template: `${projectId}:job/missing.yaml` }, ['body', 'template', 'job_file']],
      [{ cron: '0 3 * * *', inference_engine_url: 'file:///etc' }, ['body', 'inference_engine_url']],
    ] as Array<[Record<string, unknown>, string[]]>) {
      const r = await sched(body);
      expect(r.status, JSON.stringify([body, r.body])).toBe(422);
      expect(r.body.detail[0].loc.slice(0, loc.length)).toEqual(loc);
    }
    expect((await call(base, 'GET', '/schedules')).body).toEqual([]);
    expect((await call(base, 'GET', '/evaluations?limit=0')).status).toBe(422);
  });

  it('says back overrides the template does not use and placeholders nothing fills', async () => {
    const r = await call(base, 'POST', '/evaluate', { model_name: 'm', inference_engine_url: 'http://127.0.0.1:9', template: template(), overrides: { colour: 'blue' } });
    expect(r.status).toBe(200);
    expect(r.body.warnings.join(' ')).toMatch(/\{team\}/);
    expect(r.body.warnings.join(' ')).toMatch(/colour/);
    await call(base, 'POST', `/evaluations/${r.body.id}/cancel`);
  });
});
