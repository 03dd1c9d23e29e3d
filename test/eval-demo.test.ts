/**
 * Embedded mode as a newcomer meets it (demo on, PGlite, the gateway): the seed's two-field body
 * `{model_name, inference_engine_url}` posted to `/api/eval/evaluate` evaluates an engine with the demo project's task
 * evaluation (the default template), and a template may name its project by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedServer } from '../src/simulator/server.ts';
import { startEngine } from './eval-fixtures.ts';
import { until } from './helpers/deployer-setup.ts';
import { call } from './helpers/http.ts';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

describe('evaluation with the demo project (pglite, gateway)', () => {
  let p: TestPlatform;
  let engine: EmulatedServer;
  let gw: string;
  let demoId: string;

  beforeAll(async () => {
    p = await startTestPlatform({ kind: 'pglite', services: ['results', 'manager', 'deployer', 'eval'], gateway: true, env: { BENCHOPS_DEMO: '1', BENCHOPS_POLL_TICK_SECONDS: '0.2' } });
    gw = p.urls.gateway!;
    demoId = await until(async () => {
      const list = (await call(gw, 'GET', '/api/manager/projects')).body as any[];
      const demo = list.find((x) => x.name === 'demo');
      if (!demo) return null;
      const files = (await call(gw, 'GET', `/api/manager/projects/${demo.project_id}/files?limit=500`)).body as any[];
      return files.some((f) => f.file_path === 'job/custom-task/benchops-task-eval-job.yaml') ? (demo.project_id as string) : null;
    }, 90_000, 'the demo project');
    engine = await startEngine('demo-eval-model');
  }, 150_000);

  afterAll(async () => {
    await p?.close();
    await engine?.close();
  });

  it("runs the seed's body with the demo's task evaluation", async () => {
    const r = await call(gw, 'POST', '/api/eval/evaluate', { model_name: 'demo-eval-model', inference_engine_url: engine.url });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.evaluation.template).toMatchObject({ project_id: demoId, job_file: 'job/custom-task/benchops-task-eval-job.yaml', config_file: 'config/custom-task/custom_task.json' });
    const e = await until(async () => {
      const x = (await call(gw, 'GET', `/api/eval/evaluations/${r.body.id}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(x.status) ? x : null;
    }, 150_000, 'the evaluation');
    expect(e.status, JSON.stringify(e)).toBe('completed');
    expect(e.result_pks.length).toBeGreaterThan(0);
    const doc = (await call(gw, 'GET', `/api/results/standardized_output/${encodeURIComponent(e.result_pks[0])}`)).body;
    expect(JSON.stringify(doc)).toContain('demo-eval-model');
    expect(JSON.stringify(doc)).toContain('exact_match');
  }, 200_000);

  it('takes a project name in a template, and says when none has it', async () => {
    const ok = await call(gw, 'POST', '/api/eval/evaluate', { model_name: 'x', inference_engine_url: 'http://127.0.0.1:9', template: 'demo:job/custom-task/benchops-task-eval-job.yaml' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.evaluation.template.project_id).toBe(demoId);
    await call(gw, 'POST', `/api/eval/evaluations/${ok.body.id}/cancel`);
    const bad = await call(gw, 'POST', '/api/eval/evaluate', { model_name: 'x', inference_engine_url: 'http://127.0.0.1:9', template: 'no-such-project:job/a.yaml' });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'template', 'project_id']);
    expect(bad.body.detail[0].msg).toMatch(/neither an id nor a name/);
  });
});
