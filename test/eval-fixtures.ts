/** Shared by the evaluation service's tests: a template project on a real git repository, the engine's answers, ports. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { expect } from 'vitest';
import { startEmulatedServer, type EmulatedServer } from '../src/simulator/server.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';
import type { TestPlatform } from './helpers/platform.ts';

export const TASK_CONFIG = readFileSync(new URL('../examples/benchmark-repo/config/custom-task/custom_task.json', import.meta.url), 'utf8');

/** Two documents; placeholders in values, including one that is the whole value and one inside a longer string. */
export const TEMPLATE = `apiVersion: batch/v1
kind: Job
metadata:
  name: eval-{model_name_lower}
  labels:
    evaluated-model: "{model_name_lower}"
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: task-eval
          image: ghcr.io/benchops/benchops:latest
          args: ["job", "run"]
          env:
            - name: VLLM_MODEL_ENDPOINT
              value: "http://vllm:8000/v1/completions"
            - name: EVAL_NOTE
              value: "model {served_model_name} at {vllm-url}; {team}"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: eval-notes-{evaluation_id}
data:
  engine: "{inference_engine_url}"
  evaluation: "{evaluation_id}"
  team: "{team}"
`;

export const TEMPLATE_FILES = { 'job/evaluation/eval-job.yaml': TEMPLATE, 'config/evaluation/custom_task.json': TASK_CONFIG };

const ANSWERS: Record<string, string> = { '일본의 수도는 어디인가요?': ' 도쿄', '세계에서 가장 긴 강은?': ' 나일강' };

/** A port nothing listens on (yet): connections are refused until an engine starts there. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** An emulated vLLM engine serving `model` that answers the custom task's questions (port 0: any). */
export function startEngine(model: string, port = 0): Promise<EmulatedServer> {
  return startEmulatedServer({
    port,
    host: '127.0.0.1',
    profile: { ttft_ms: 5, itl_ms: 1 },
    served_model_name: model,
    responder: (prompt) => {
      const q = /질문: ([^\n]*)\n답변:$/.exec(prompt)?.[1];
      return q === undefined ? undefined : (ANSWERS[q] ?? ' ?');
    },
  });
}

/** Creates and syncs a manager project on a fresh repository holding the template; returns the project id. */
export async function templateProject(p: TestPlatform, files: Record<string, string> = TEMPLATE_FILES): Promise<{ projectId: string; repo: TestRepo }> {
  const repo = makeRepo(files);
  const m = p.urls.manager!;
  const created = await call(m, 'POST', '/projects', { name: `eval-templates-${Math.random().toString(36).slice(2, 8)}`, repository_url: repo.url, config_path: 'config', job_path: 'job' });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const projectId = created.body.project_id;
  const s = await call(m, 'POST', `/projects/${projectId}/sync`);
  expect(s.body.status, JSON.stringify(s.body)).toBe('success');
  return { projectId, repo };
}
