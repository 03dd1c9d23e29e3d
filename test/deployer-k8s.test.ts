/**
 * Deployer with the Kubernetes executor against the Kubernetes API test double (real HTTP, real WebSocket), the real
 * manager with a synced git project, PGlite and PostgreSQL: seed 000 `POST /run` on every real job file (schema-valid
 * output, mount, env, labels, unique names, owner reference), bad inputs, API errors mid-way leaving nothing behind,
 * status tracked to completion, logs (tail and follow), terminal over WebSocket, /deploy and /delete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import WebSocket from 'ws';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { DB_KINDS } from './helpers/db.ts';
import { K8sDouble } from './helpers/k8s-double.ts';
import { call, fixture, startDeployer, until, type DeployerEnv } from './helpers/deployer-setup.ts';
import { startTestPlatform } from './helpers/platform.ts';
import { DeployerHttpClient } from '../src/services/deployer/client.ts';

const JOB_FILES = ['job/vllm-eval/evalchemy-job.yaml', 'job/vllm-eval/vllm-benchmark-job.yaml'];
const FILES = {
  'job/vllm-eval/evalchemy-job.yaml': fixture('vllm-manifests/vllm-eval/evalchemy-job.yaml'),
  'job/vllm-eval/vllm-benchmark-job.yaml': fixture('vllm-manifests/vllm-eval/vllm-benchmark-job.yaml'),
  'config/vllm-eval/evalchemy.json': fixture('vllm-eval/configs/evalchemy.json'),
  'config/vllm-eval/vllm_benchmark.json': fixture('vllm-eval/configs/vllm_benchmark.json'),
  'job/bad/broken.yaml': 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: x\nspec: [\n',
  'job/bad/not-a-job.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: only-a-configmap\ndata: {}\n',
  'job/bad/privileged.yaml':
    'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: p\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: benchops\n        securityContext:\n          privileged: true\n',
  'job/runner/perf.yaml':
    'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: perf\nspec:\n  backoffLimit: 3\n  template:\n    spec:\n      containers:\n      - name: runner\n        image: ghcr.io/benchops/benchops:0.1.0\n        args: [job, run]\n',
};
const ENDPOINT = 'http://vllm-qwen3-8b.vllm:8000/v1/completions';
const RESULTS_URL = 'http://benchops-results.benchops.svc:8000';
const OURS = ['BENCHOPS_RUN_ID', 'BENCHOPS_RESULTS_URL', 'BENCHOPS_TOKEN'];

const docsOf = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS());

describe.each(DB_KINDS)('deployer on Kubernetes (%s)', (kind) => {
  let k8s: K8sDouble;
  let env: DeployerEnv;
  let base: string;
  const run = (over: Record<string, unknown> = {}) =>
    call(base, 'POST', '/run', {
      project_id: env.projectId,
      benchmark_type: 'vllm-eval',
      name: 'Evalchemy_Run.1',
      job_file_id: env.ids['job/vllm-eval/evalchemy-job.yaml'],
      config_file_id: env.ids['config/vllm-eval/evalchemy.json'],
      vllm_model_endpoint: ENDPOINT,
      ...over,
    });

  beforeAll(async () => {
    k8s = await K8sDouble.start();
    process.env.BENCHOPS_KUBECONFIG = k8s.kubeconfig;
    env = await startDeployer(kind, FILES, {
      BENCHOPS_EXECUTOR: 'kubernetes',
      BENCHOPS_RESULTS_URL: RESULTS_URL,
      BENCHOPS_RUNNER_TOKEN_SECRET: 'benchops-runner:token',
    });
    base = env.base;
  });
  afterAll(async () => {
    await env?.close();
    await k8s?.close();
  });

  it('builds valid, mounted, labelled, owned objects from every real job file', async () => {
    const names = new Set<string>();
    for (const jobPath of JOB_FILES) {
      for (let i = 0; i < 2; i++) {
        const r = await run({ job_file_id: env.ids[jobPath], name: 'Same_Name.v1' });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        // seed 000's fields, plus what the run changed in the job file and what it could not honour
        expect(Object.keys(r.body).sort()).toEqual(
          ['created_at', 'deployment_id', 'message', 'namespace', 'resource_name', 'resource_type', 'status', 'yaml_content', 'env_rewrites', 'config_mounts', 'warnings'].sort(),
        );
        expect(r.body).toMatchObject({ status: 'pending', resource_type: 'job', namespace: 'bench-ns' });
        expect(r.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
        const name: string = r.body.resource_name;
        expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        expect(name.length).toBeLessThanOrEqual(63);
        expect(names.has(name)).toBe(false);
        names.add(name);

        const docs = docsOf(r.body.yaml_content);
        const job = docs.find((d) => d.kind === 'Job');
        const cm = docs.find((d) => d.kind === 'ConfigMap');
        expect(() => new Job(job).validate()).not.toThrow();
        expect(() => new ConfigMap(cm).validate()).not.toThrow();

        // what the API server received
        const live = k8s.get('jobs', 'bench-ns', name, 'batch/v1')!;
        const liveCm = k8s.get('configmaps', 'bench-ns', cm.metadata.name)!;
        expect(live).toBeDefined();
        expect(liveCm.data['eval_config.json']).toBe(FILES['config/vllm-eval/evalchemy.json']);
        expect(liveCm.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: 'Job', name, uid: live.metadata.uid, apiVersion: 'batch/v1' }),
        ]);
        const labels = {
          'benchops.io/run-id': r.body.deployment_id,
          'benchops.io/project-id': env.projectId,
          'benchops.io/benchmark-type': 'vllm-eval',
          'app.kubernetes.io/managed-by': 'benchops',
        };
        for (const o of [live.metadata, live.spec.template.metadata, liveCm.metadata]) expect(o.labels).toMatchObject(labels);
        const pod = live.spec.template.spec;
        expect(pod.volumes).toContainEqual({ name: 'benchops-config', configMap: { name: cm.metadata.name } });
        for (const c of pod.containers) {
          expect(c.volumeMounts).toContainEqual(
            expect.objectContaining({ name: 'benchops-config', mountPath: '/app/configs/eval_config.json', subPath: 'eval_config.json' }),
          );
          const eps = c.env.filter((e: any) => e.name === 'VLLM_MODEL_ENDPOINT');
          expect(eps).toEqual([{ name: 'VLLM_MODEL_ENDPOINT', value: ENDPOINT }]);
          // the earlier results service's URL now points at ours; the earlier base-URL variable at the run's model
          expect(c.env).toContainEqual({ name: 'BACKEND_API', value: RESULTS_URL });
          if (c.env.some((e: any) => e.name === 'VLLM_ENDPOINT')) expect(c.env).toContainEqual({ name: 'VLLM_ENDPOINT', value: 'http://vllm-qwen3-8b.vllm:8000' });
          expect(c.terminationMessagePolicy).toBe('FallbackToLogsOnError');
        }
        expect(r.body.env_rewrites).toContainEqual({
          container: pod.containers[0].name, name: 'BACKEND_API', family: 'results', from: 'http://model-benchmark-backend-svc:8000', to: RESULTS_URL,
        });
        // evalchemy's args name /app/configs/evalchemy.json: the chosen config is there too, not the image's own file
        const evalchemy = jobPath.includes('evalchemy');
        expect(r.body.config_mounts).toEqual(evalchemy ? ['/app/configs/eval_config.json', '/app/configs/evalchemy.json'] : ['/app/configs/eval_config.json']);
        if (evalchemy) {
          expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'benchops-config', mountPath: '/app/configs/evalchemy.json', subPath: 'eval_config.json', readOnly: true });
        }
        // the vllm-benchmark job names its model, and /run gives none: said back, never silent
        expect(r.body.warnings.some((w: string) => /names its model in MODEL_NAME, SERVED_MODEL_NAME/.test(w))).toBe(!evalchemy);
        expect(r.body.warnings.some((w: string) => /benchmark_type/.test(w))).toBe(false);
        // the runner's results settings: run id = deployment id, the results URL, the token from a Secret (never inlined)
        for (const c of pod.containers) {
          expect(c.env).toContainEqual({ name: 'BENCHOPS_RUN_ID', value: r.body.deployment_id });
          expect(c.env).toContainEqual({ name: 'BENCHOPS_RESULTS_URL', value: RESULTS_URL });
          expect(c.env).toContainEqual({ name: 'BENCHOPS_TOKEN', valueFrom: { secretKeyRef: { name: 'benchops-runner', key: 'token', optional: true } } });
        }
        // the fixture's other env entries are kept in order
        const original = docsOf(FILES[jobPath as keyof typeof FILES])[0].spec.template.spec.containers[0].env.map((e: any) => e.name);
        expect(pod.containers[0].env.map((e: any) => e.name).filter((n: string) => !OURS.includes(n))).toEqual(
          original.includes('VLLM_MODEL_ENDPOINT') ? original : [...original, 'VLLM_MODEL_ENDPOINT'],
        );
        // the record is stored
        const rec = await call(base, 'GET', `/deployments/${r.body.deployment_id}`);
        expect(rec.status).toBe(200);
        expect(rec.body).toMatchObject({ resource_name: name, namespace: 'bench-ns', project_id: env.projectId, configmap_name: cm.metadata.name });
      }
    }
  });

  it('a runner job fails at once on a configuration error (podFailurePolicy), and a pod that cannot start says why', async () => {
    const r = await run({ name: 'cfg-error', job_file_id: env.ids['job/runner/perf.yaml'] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // the file sits in job/runner/: the request's type is kept, and the mismatch said back
    expect(r.body.warnings).toContainEqual(expect.stringMatching(/benchmark_type "vllm-eval" differs from the job file's benchmark type "runner"/));
    const name = r.body.resource_name;
    const live = k8s.get('jobs', 'bench-ns', name, 'batch/v1')!;
    expect(live.spec.podFailurePolicy).toEqual({ rules: [{ action: 'FailJob', onExitCodes: { containerName: 'runner', operator: 'In', values: [2] } }] });
    expect(live.spec.template.spec.restartPolicy).toBe('Never');
    expect(() => new Job(live as any).validate()).not.toThrow();
    const rec = async () => (await call(base, 'GET', `/deployments/${r.body.deployment_id}`)).body;
    expect((await rec()).warnings).toEqual(r.body.warnings);

    const pod = k8s.list('pods', 'bench-ns').find((p) => p.metadata.labels['job-name'] === name)!;
    k8s.setPodWaiting('bench-ns', pod.metadata.name, 'CreateContainerConfigError', 'secret "benchops-runner" not found');
    const waiting = await until(async () => ((await rec()).message.includes('CreateContainerConfigError') ? rec() : undefined), 10_000, 'waiting reason');
    expect(waiting).toMatchObject({ status: 'pending', message: 'container runner: CreateContainerConfigError: secret "benchops-runner" not found' });
    const logs1 = await call(base, 'GET', `/jobs/${name}/logs`);
    expect(logs1.body.logs).toEqual([`[${pod.metadata.name}] CreateContainerConfigError: secret "benchops-runner" not found`]);

    const out = 'benchops job run: performance benchmark\nbenchops job run: configuration error: VLLM_MODEL_ENDPOINT: no model endpoint';
    k8s.setPodPhase('bench-ns', pod.metadata.name, 'Failed', 2, out);
    const policy = `Container runner for pod bench-ns/${pod.metadata.name} failed with exit code 2 matching FailJob rule at index 0`;
    k8s.setJobCondition('bench-ns', name, 'Failed', 'PodFailurePolicy', policy);
    const failed = await until(async () => ((await rec()).status === 'failed' ? rec() : undefined), 10_000, 'failed');
    expect(failed.message).toBe(`PodFailurePolicy: ${policy}; last output: benchops job run: configuration error: VLLM_MODEL_ENDPOINT: no model endpoint`);
    const logs2 = await call(base, 'GET', `/jobs/${name}/logs`);
    expect(logs2.body.logs.slice(-2)).toEqual([
      `[${pod.metadata.name}] Error (exit code 2): benchops job run: configuration error: VLLM_MODEL_ENDPOINT: no model endpoint`,
      `[${name}] Failed: PodFailurePolicy: ${policy}`,
    ]);
  });

  it('rejects bad inputs with 4xx naming the problem, creating nothing', async () => {
    const before = k8s.all().length;
    const extra = await run({ unexpected: 1 });
    expect(extra.status).toBe(422);
    expect(extra.body.detail).toContainEqual(expect.objectContaining({ loc: ['body', 'unexpected'], type: 'extra_forbidden' }));

    const missing = await call(base, 'POST', '/run', { project_id: env.projectId, benchmark_type: 'x', name: 'n' });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toContainEqual(expect.objectContaining({ loc: ['body', 'job_file_id'] }));

    const badUrl = await run({ vllm_model_endpoint: 'file:///etc/passwd' });
    expect(badUrl.status).toBe(422);
    expect(JSON.stringify(badUrl.body.detail)).toContain('vllm_model_endpoint');

    const unknownJob = await run({ job_file_id: 'no-such-file-id' });
    expect(unknownJob.status).toBe(400);
    expect(unknownJob.body.detail).toContain('no-such-file-id');
    const unknownConfig = await run({ config_file_id: 'no-such-config' });
    expect(unknownConfig.status).toBe(400);
    expect(unknownConfig.body.detail).toContain('no-such-config');
    const unknownProject = await run({ project_id: 'nope' });
    expect(unknownProject.status).toBe(400);

    const swapped = await run({ job_file_id: env.ids['config/vllm-eval/evalchemy.json'] });
    expect(swapped.status).toBe(400);
    expect(swapped.body.detail).toMatch(/not a job file/);

    const broken = await run({ job_file_id: env.ids['job/bad/broken.yaml'] });
    expect(broken.status).toBe(400);
    expect(broken.body.detail).toMatch(/Malformed job YAML/);
    const noJob = await run({ job_file_id: env.ids['job/bad/not-a-job.yaml'] });
    expect(noJob.status).toBe(400);
    expect(noJob.body.detail).toMatch(/exactly one Job/);

    expect(k8s.all().length).toBe(before);
  });

  it('leaves nothing behind when the API fails mid-way (ConfigMap create after the Job)', async () => {
    const before = await call(base, 'GET', '/deployments?limit=1000');
    k8s.failNext({ method: 'POST', path: /\/configmaps$/, status: 500, message: 'etcdserver: request timed out' });
    const r = await run({ name: 'will-fail' });
    expect(r.status).toBe(500);
    expect(r.body.detail).toContain('etcdserver: request timed out');
    // the Job was created, then deleted again with its pods
    expect(k8s.requests.some((q) => q.method === 'POST' && q.path.endsWith('/jobs'))).toBe(true);
    const leftovers = k8s.all().filter((o) => o.metadata.annotations?.['benchops.io/run-name'] === 'will-fail' || /will-fail/.test(o.metadata.name));
    expect(leftovers).toEqual([]);
    const after = await call(base, 'GET', '/deployments?limit=1000');
    expect(after.headers.get('x-total-count')).toBe(before.headers.get('x-total-count'));

    // the Job create itself refused: nothing at all
    k8s.failNext({ method: 'POST', path: /\/jobs$/, status: 403, message: 'jobs.batch is forbidden' });
    const r2 = await run({ name: 'forbidden' });
    expect(r2.status).toBe(500);
    expect(k8s.all().filter((o) => /forbidden/.test(o.metadata.name))).toEqual([]);
  });

  it('tracks the job status to completion, and serves logs (tail and follow) without blocking', async () => {
    const r = await run({ name: 'tracked' });
    expect(r.status).toBe(200);
    const name = r.body.resource_name;
    const pod = k8s.list('pods', 'bench-ns').find((p) => p.metadata.labels['job-name'] === name)!;
    expect(pod).toBeDefined();
    k8s.setPodPhase('bench-ns', pod.metadata.name, 'Running');
    await until(async () => (await call(base, 'GET', `/deployments/${r.body.deployment_id}`)).body.status === 'running', 10_000, 'running');
    const st = await call(base, 'GET', `/jobs/${name}/status`);
    expect(st.status).toBe(200);
    expect(st.body).toMatchObject({ job_name: name, namespace: 'bench-ns', status: 'running', active_pods: 1 });

    k8s.appendLog('bench-ns', pod.metadata.name, 'line one\n\nline two\nline three\n');
    const logs = await call(base, 'GET', `/jobs/${name}/logs?tail_lines=2`);
    expect(logs.status).toBe(200);
    expect(logs.body.logs).toEqual([`[${pod.metadata.name}] line two`, `[${pod.metadata.name}] line three`]);
    const post = await call(base, 'POST', '/jobs/logs', { job_name: name, tail_lines: 10 });
    expect(post.body.logs).toHaveLength(3);

    // follow: streams appended text; other requests are answered meanwhile
    const res = await fetch(`${base}/jobs/${name}/logs?follow=true&tail_lines=1`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (s: string) => {
      while (!text.includes(s)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    };
    await readUntil('line three');
    const t0 = Date.now();
    const health = await call(base, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    k8s.appendLog('bench-ns', pod.metadata.name, 'line four\n');
    await readUntil('line four');
    k8s.setPodPhase('bench-ns', pod.metadata.name, 'Succeeded');
    k8s.setJobCondition('bench-ns', name, 'Complete');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    expect(text).not.toContain('line two');
    expect(text).toContain('line four');

    await until(async () => (await call(base, 'GET', `/deployments/${r.body.deployment_id}`)).body.status === 'completed', 10_000, 'completed');
    const done = await call(base, 'GET', `/deployments/${r.body.deployment_id}`);
    expect(done.body.completion_time).toMatch(/Z$/);
    // no watch stream stays open for a finished job
    await until(async () => !k8s.openWatches().some((w) => w.includes(`metadata.name=${name}`)), 5000, 'watch closed');
  });

  it('opens a terminal over WebSocket (exec, v4.channel.k8s.io) and speaks the 2.4 protocol', async () => {
    const r = await run({ name: 'term' });
    const name = r.body.resource_name;
    const pod = k8s.list('pods', 'bench-ns').find((p) => p.metadata.labels['job-name'] === name)!;
    const pending = await call(base, 'POST', `/jobs/${name}/terminal`, { job_name: name, namespace: 'bench-ns', shell: '/bin/bash' });
    expect(pending.status).toBe(200); // a session is created; exec into a pending pod fails on connect
    k8s.setPodPhase('bench-ns', pod.metadata.name, 'Running');

    const badShell = await call(base, 'POST', `/jobs/${name}/terminal?shell=/usr/bin/python3`);
    expect(badShell.status).toBe(422);
    expect(badShell.body.detail[0].loc).toEqual(['query', 'shell']);

    const s = await call(base, 'POST', `/jobs/${name}/terminal?shell=/bin/sh`);
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ job_name: name, namespace: 'bench-ns', pod_name: pod.metadata.name, shell: '/bin/sh', is_active: true });
    expect(s.body.websocket_url).toBe(`${base.replace('http', 'ws')}/terminal/${s.body.session_id}`);

    const ws = new WebSocket(s.body.websocket_url);
    const msgs: any[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
    await new Promise((res, rej) => (ws.on('open', res), ws.on('error', rej)));
    await until(async () => msgs.find((m) => m.type === 'connected'), 5000, 'connected');
    expect(msgs[0]).toMatchObject({ type: 'connected', session_id: s.body.session_id, pod_name: pod.metadata.name });
    ws.send(JSON.stringify({ type: 'ping' }));
    await until(async () => msgs.find((m) => m.type === 'pong'), 5000, 'pong');
    ws.send(JSON.stringify({ type: 'resize', rows: 40, cols: 120 }));
    ws.send(JSON.stringify({ type: 'input', data: 'echo hello-$((40+2))\n' }));
    await until(async () => msgs.some((m) => m.type === 'output' && m.data.includes('hello-42')), 5000, 'output');
    ws.send(JSON.stringify({ type: 'input', data: 'echo oops >&2\n' }));
    await until(async () => msgs.some((m) => m.type === 'error_output' && m.data.includes('oops')), 5000, 'stderr');
    await until(async () => k8s.resizes.some((z) => z.width === 120 && z.height === 40), 5000, 'resize');

    const list = await call(base, 'GET', `/terminal/sessions?job_name=${name}`);
    expect(list.body.total_sessions).toBe(2);
    const info = await call(base, 'GET', `/terminal/${s.body.session_id}`);
    expect(info.body).toMatchObject({ session_id: s.body.session_id, is_active: true });
    const closed = new Promise((res) => ws.on('close', res));
    const del = await call(base, 'DELETE', `/terminal/${s.body.session_id}`);
    expect(del.status).toBe(200);
    await closed;
    expect((await call(base, 'DELETE', '/terminal/00000000-0000-0000-0000-000000000000')).status).toBe(404);

    // a stopped session cannot be attached again
    const again = new WebSocket(s.body.websocket_url);
    const first = await new Promise<any>((res) => again.on('message', (d) => res(JSON.parse(d.toString()))));
    expect(first).toMatchObject({ type: 'error' });
    again.close();
    // behind the cluster gateway the URL points back through it; a prefix that is not /api/<service> is ignored
    for (const [prefix, want] of [['/api/deployer', 'ws://gw.example:8080/api/deployer/terminal/'], ['/evil/../x', 'ws://gw.example:8080/terminal/']]) {
      const viaGw = await fetch(`${base}/jobs/${name}/terminal?shell=/bin/sh`, {
        method: 'POST',
        headers: { 'x-forwarded-host': 'gw.example:8080', 'x-forwarded-proto': 'http', 'x-forwarded-prefix': prefix },
      });
      const v = await viaGw.json();
      expect(v.websocket_url).toBe(`${want}${v.session_id}`);
      expect((await call(base, 'DELETE', `/terminal/${v.session_id}`)).status).toBe(200);
    }
  });

  it('deletes a job with its owned ConfigMap and marks the record', async () => {
    const r = await run({ name: 'to-delete' });
    const name = r.body.resource_name;
    const cmName = docsOf(r.body.yaml_content).find((d) => d.kind === 'ConfigMap').metadata.name;
    expect(k8s.get('configmaps', 'bench-ns', cmName)).toBeDefined();
    const del = await call(base, 'DELETE', `/jobs/${name}/delete`);
    expect(del.status).toBe(200);
    expect(k8s.get('jobs', 'bench-ns', name, 'batch/v1')).toBeUndefined();
    expect(k8s.get('configmaps', 'bench-ns', cmName)).toBeUndefined();
    expect(k8s.list('pods', 'bench-ns').filter((p) => p.metadata.labels['job-name'] === name)).toEqual([]);
    expect((await call(base, 'GET', `/deployments/${r.body.deployment_id}`)).body.status).toBe('deleted');
    expect((await call(base, 'DELETE', `/jobs/${name}/delete`)).status).toBe(404);
    expect((await call(base, 'GET', `/jobs/${name}/status`)).status).toBe(404);
  });

  it('applies multi-document YAML all-or-nothing, with a kind allow-list, and deletes it again', async () => {
    const yaml = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-cfg\ndata:\n  a: "1"',
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secret\nstringData:\n  token: s3cr3t-value',
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: app-job\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox',
    ].join('\n---\n');
    k8s.failNext({ method: 'POST', path: /\/jobs$/, status: 500, message: 'apiserver overloaded' });
    const failed = await call(base, 'POST', '/deploy', { yaml_content: yaml });
    expect(failed.status).toBe(500);
    expect(failed.body.detail).toMatch(/rolled back 2/);
    expect(k8s.get('configmaps', 'bench-ns', 'app-cfg')).toBeUndefined();
    expect(k8s.get('secrets', 'bench-ns', 'app-secret')).toBeUndefined();

    const ok = await call(base, 'POST', '/deploy', { yaml_content: yaml, namespace: 'bench-ns' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'success', resource_type: 'job', resource_name: 'app-job', namespace: 'bench-ns' });
    expect(ok.body.yaml_content).not.toContain('s3cr3t-value');
    expect(k8s.get('secrets', 'bench-ns', 'app-secret')!.stringData.token).toBe('s3cr3t-value');

    const dup = await call(base, 'POST', '/deploy', { yaml_content: yaml });
    expect(dup.status).toBe(409);
    expect(k8s.get('configmaps', 'bench-ns', 'app-cfg')).toBeDefined(); // the first apply's objects are untouched

    const cluster = await call(base, 'POST', '/deploy', { yaml_content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: x\n' });
    expect(cluster.status).toBe(400);
    expect(cluster.body.detail).toMatch(/ClusterRole is not allowed/);
    const hostPath = await call(base, 'POST', '/deploy', {
      yaml_content:
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: x}]\n      volumes: [{name: h, hostPath: {path: /}}]\n',
    });
    expect(hostPath.status).toBe(200); // tokens are off in tests, so the caller is admin
    const otherNs = await call(base, 'POST', '/deploy', { yaml_content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n  namespace: other\n' });
    expect(otherNs.status).toBe(400);
    const extraField = await call(base, 'POST', '/deploy', { yaml_content: yaml, bogus: true });
    expect(extraField.status).toBe(422);

    const page1 = await call(base, 'GET', '/deployments?limit=2&offset=0');
    const page2 = await call(base, 'GET', '/deployments?limit=2&offset=2');
    expect(page1.body).toHaveLength(2);
    expect(Number(page1.headers.get('x-total-count'))).toBeGreaterThan(4);
    expect(page2.body[0].deployment_id).not.toBe(page1.body[1].deployment_id);
    const jobsOnly = await call(base, 'GET', '/deployments?resource_type=deployment');
    expect(jobsOnly.body.map((d: any) => d.resource_name)).toEqual(['d']);
    // listing has no side effects
    const before = JSON.stringify((await call(base, 'GET', '/deployments?limit=1000')).body.map((d: any) => [d.deployment_id, d.status, d.updated_at]));
    const writes = k8s.requests.length;
    await call(base, 'GET', '/deployments?limit=1000');
    expect(k8s.requests.slice(writes).filter((q) => q.method !== 'GET')).toEqual([]);

    const del = await call(base, 'POST', '/delete', { yaml_content: yaml });
    expect(del.status).toBe(200);
    expect(del.body.deleted_resources.map((x: any) => x.kind)).toEqual(['ConfigMap', 'Secret', 'Job']);
    expect(k8s.get('configmaps', 'bench-ns', 'app-cfg')).toBeUndefined();
    expect((await call(base, 'GET', `/deployments/${ok.body.deployment_id}`)).body.status).toBe('deleted');
    void before;
  });
});

describe('deployer in cluster shape: the manager over HTTP (pglite)', () => {
  it('fetches the project files from BENCHOPS_MANAGER_URL, and answers 503 when the manager is down', async () => {
    const k8s = await K8sDouble.start();
    process.env.BENCHOPS_KUBECONFIG = k8s.kubeconfig;
    const mgr = await startDeployer('pglite', FILES, { BENCHOPS_EXECUTOR: 'kubernetes' });
    const dep = await startTestPlatform({
      kind: 'pglite',
      services: ['deployer'],
      env: { BENCHOPS_EXECUTOR: 'kubernetes', BENCHOPS_MANAGER_URL: mgr.p.urls.manager!, BENCHOPS_POLL_TICK_SECONDS: '0.2' },
    });
    try {
      const body = {
        project_id: mgr.projectId,
        benchmark_type: 'vllm-eval',
        name: 'over-http',
        job_file_id: mgr.ids['job/vllm-eval/vllm-benchmark-job.yaml'],
        config_file_id: mgr.ids['config/vllm-eval/vllm_benchmark.json'],
      };
      const r = await call(dep.urls.deployer!, 'POST', '/run', body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.namespace).toBe('benchmark'); // the default namespace
      expect(k8s.get('jobs', 'benchmark', r.body.resource_name, 'batch/v1')).toBeDefined();
      // RunOptions over HTTP (the vLLM queue's client): a JSON header outside seed 000's strict body
      const client = new DeployerHttpClient(dep.urls.deployer!);
      const viaClient = await client.run(body, { substitutions: { 'Qwen/Qwen3-8B': 'org/tiny' }, env: { BENCHOPS_RUN_ID: 'q-1' }, labels: { 'benchops.io/queue-item': 'q' } });
      const live = k8s.get('jobs', 'benchmark', viaClient.resource_name, 'batch/v1')!;
      const cenv = live.spec.template.spec.containers[0].env;
      expect(cenv).toContainEqual({ name: 'MODEL_NAME', value: 'org/tiny' });
      expect(cenv).toContainEqual({ name: 'BENCHOPS_RUN_ID', value: 'q-1' });
      expect(live.metadata.labels['benchops.io/queue-item']).toBe('q');
      // the queue names the model it deployed: the job's declared model variables follow, in the form they were written
      const withModel = await client.run(
        { ...body, vllm_model_endpoint: 'http://vllm-tiny.vllm:8000/v1' },
        { model: { served_model_name: 'tiny', model_name: 'org/Tiny-1B' } },
      );
      const menv = k8s.get('jobs', 'benchmark', withModel.resource_name, 'batch/v1')!.spec.template.spec.containers[0].env;
      expect(menv).toContainEqual({ name: 'SERVED_MODEL_NAME', value: 'tiny' });
      expect(menv).toContainEqual({ name: 'MODEL_NAME', value: 'org/Tiny-1B' });
      expect(menv).toContainEqual({ name: 'VLLM_ENDPOINT', value: 'http://vllm-tiny.vllm:8000' });
      expect(withModel.env_rewrites).toEqual(
        expect.arrayContaining([
          { container: 'vllm-benchmark', name: 'MODEL_NAME', family: 'model', from: 'Qwen/Qwen3-8B', to: 'org/Tiny-1B' },
          { container: 'vllm-benchmark', name: 'SERVED_MODEL_NAME', family: 'model', from: 'qwen3-8b', to: 'tiny' },
        ]),
      );
      // this deployer has no BENCHOPS_RESULTS_URL: the job's BACKEND_API cannot be pointed at it, and that is said
      expect(withModel.warnings).toEqual([expect.stringMatching(/BACKEND_API points at http:\/\/model-benchmark-backend-svc:8000 and BenchOps does not know its own results URL/)]);
      const badModel = await call(dep.urls.deployer!, 'POST', '/run', body, { 'x-benchops-run-options': '{"model": {"served": "x"}}' });
      expect(badModel.status).toBe(422);
      expect(badModel.body.detail[0].loc).toEqual(['header', 'x-benchops-run-options', 'model']);
      expect((await client.getDeployment(viaClient.deployment_id)).resource_name).toBe(viaClient.resource_name);
      const badHeader = await call(dep.urls.deployer!, 'POST', '/run', body, { 'x-benchops-run-options': '{"env": {"A": 1}}' });
      expect(badHeader.status).toBe(422);
      expect(badHeader.body.detail[0].loc).toEqual(['header', 'x-benchops-run-options', 'env', 'A']);
      const unknown = await call(dep.urls.deployer!, 'POST', '/run', { ...body, job_file_id: 'not-there' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.detail).toContain('not-there');
      await mgr.close();
      const down = await call(dep.urls.deployer!, 'POST', '/run', body);
      expect(down.status).toBe(503);
    } finally {
      await dep.close();
      await mgr.close().catch(() => {});
      await k8s.close();
    }
  });
});

describe('deployer on Kubernetes with tokens (pglite)', () => {
  let k8s: K8sDouble;
  let env: DeployerEnv;
  const OP = { authorization: 'Bearer op-token-1' };
  const ADMIN = { authorization: 'Bearer admin-token-1' };
  const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: "1"\n`;

  beforeAll(async () => {
    k8s = await K8sDouble.start();
    process.env.BENCHOPS_KUBECONFIG = k8s.kubeconfig;
    env = await startDeployer('pglite', FILES, { BENCHOPS_EXECUTOR: 'kubernetes', BENCHOPS_TOKENS: 'operator:op-token-1,admin:admin-token-1' }, { token: 'admin-token-1' });
  });
  afterAll(async () => {
    await env?.close();
    await k8s?.close();
  });

  it('operators delete only what BenchOps created, and nothing when one object is foreign', async () => {
    k8s.put('configmaps', { metadata: { name: 'foreign-cfg', namespace: 'bench-ns', labels: { app: 'someone-else' } }, data: {} });
    const applied = await call(env.base, 'POST', '/deploy', { yaml_content: cm('mine') }, OP);
    expect(applied.status).toBe(200);
    expect(k8s.get('configmaps', 'bench-ns', 'mine')!.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'benchops',
      'benchops.io/run-id': applied.body.deployment_id,
    });
    const both = await call(env.base, 'POST', '/delete', { yaml_content: `${cm('mine')}---\n${cm('foreign-cfg')}` }, OP);
    expect(both.status).toBe(403);
    expect(both.body.detail).toMatch(/ConfigMap\/foreign-cfg was not created by BenchOps/);
    expect(k8s.get('configmaps', 'bench-ns', 'mine')).toBeDefined();
    expect(k8s.get('configmaps', 'bench-ns', 'foreign-cfg')).toBeDefined();
    expect((await call(env.base, 'POST', '/delete', { yaml_content: cm('mine') }, OP)).status).toBe(200);
    expect(k8s.get('configmaps', 'bench-ns', 'mine')).toBeUndefined();
    expect((await call(env.base, 'POST', '/delete', { yaml_content: cm('foreign-cfg') }, ADMIN)).status).toBe(200);
    expect(k8s.get('configmaps', 'bench-ns', 'foreign-cfg')).toBeUndefined();
  });

  it('operators apply only cluster-internal Services and baseline pods; admins may do more', async () => {
    const svc = (spec: string) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: s1\nspec:\n  ${spec}\n  ports: [{port: 80}]\n`;
    const nodePort = await call(env.base, 'POST', '/deploy', { yaml_content: svc('type: NodePort') }, OP);
    // the request is well-formed; the role is missing: 403 (not 400)
    expect(nodePort.status).toBe(403);
    expect(nodePort.body.detail).toMatch(/Service of type NodePort is not allowed for the operator role \(admin only\)/);
    const external = await call(env.base, 'POST', '/deploy', { yaml_content: svc('externalIPs: [203.0.113.7]') }, OP);
    expect(external.body.detail).toMatch(/externalIPs/);
    const apparmor = await call(env.base, 'POST', '/deploy', {
      yaml_content:
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: aa\nspec:\n  template:\n    metadata:\n      annotations:\n        container.apparmor.security.beta.kubernetes.io/c: unconfined\n' +
        '    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\n',
    }, OP);
    expect(apparmor.status).toBe(403);
    expect(apparmor.body.detail).toMatch(/AppArmor/);
    const otherNs = await call(env.base, 'POST', '/deploy', { yaml_content: cm('elsewhere').replace('name: elsewhere', 'name: elsewhere\n  namespace: kube-system'), namespace: 'kube-system' }, OP);
    expect(otherNs.status).toBe(403);
    expect(otherNs.body.detail).toMatch(/only the admin role may deploy outside the namespace/);
    const delOther = await call(env.base, 'POST', '/delete', { yaml_content: cm('x'), namespace: 'kube-system' }, OP);
    expect(delOther.status).toBe(403);
    const runPriv = await call(env.base, 'POST', '/run', { project_id: env.projectId, benchmark_type: 'bad', name: 'p', job_file_id: env.ids['job/bad/privileged.yaml'] }, OP);
    expect(runPriv.status).toBe(403);
    expect(runPriv.body.detail).toMatch(/privileged is not allowed for the operator role/);
    // malformed YAML in the body is a 422 naming the field, and never quotes it (user YAML carries tokens)
    const broken = await call(env.base, 'POST', '/deploy', { yaml_content: 'apiVersion: v1\nkind: Secret\nstringData:\n  token: "s3cr3t-token-value\n' }, OP);
    expect(broken.status).toBe(422);
    expect(broken.body.detail[0].loc).toEqual(['body', 'yaml_content']);
    expect(JSON.stringify(broken.body)).not.toContain('s3cr3t-token-value');
    expect(k8s.get('services', 'bench-ns', 's1')).toBeUndefined();
    expect((await call(env.base, 'POST', '/deploy', { yaml_content: svc('type: NodePort') }, ADMIN)).status).toBe(200);
  });
});
