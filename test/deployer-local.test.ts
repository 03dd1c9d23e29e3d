/**
 * Deployer with the local executor (embedded mode), the real manager and a synced git project, PGlite and PostgreSQL:
 * an annotated job reads its mounted config, the runner image runs `bin/benchops.js`, deadline and backoff, an image
 * that cannot run locally, logs/status/terminal, reconciliation after a restart, and the operator role on the WebSocket.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DB_KINDS } from './helpers/db.ts';
import { call, startDeployer, until, type DeployerEnv } from './helpers/deployer-setup.ts';

const job = (name: string, spec: { command?: string; image?: string; args?: string[]; extra?: string; env?: string }) =>
  [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${name}`,
    ...(spec.command ? ['  annotations:', `    benchops.io/local-command: ${JSON.stringify(spec.command)}`] : []),
    'spec:',
    ...(spec.extra ? spec.extra.split('\n').map((l) => `  ${l}`) : []),
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    `      - name: main`,
    `        image: ${spec.image ?? 'busybox:1.36'}`,
    ...(spec.args ? [`        args: ${JSON.stringify(spec.args)}`] : []),
    '        env:',
    '        - name: VLLM_MODEL_ENDPOINT',
    '          value: "http://old-endpoint:8000"',
    '        - name: DERIVED',
    '          value: "$(VLLM_MODEL_ENDPOINT)/v1"',
    ...(spec.env ? spec.env.split('\n').map((l) => `        ${l}`) : []),
    '',
  ].join('\n');

const CONFIG = JSON.stringify({ model: 'tiny', note: 'hello from the mounted config' }, null, 2);
const FILES: Record<string, string> = {
  'config/local/cfg.json': CONFIG,
  'job/local/echo-config.yaml': job('echo-config', {
    command:
      'echo "config at $BENCHOPS_CONFIG_PATH"; cat "$BENCHOPS_CONFIG_PATH"; echo; echo "endpoint=$VLLM_MODEL_ENDPOINT"; ' +
      'echo "derived=$DERIVED"; echo "pwd=$(pwd)"; echo "secret-leak=${BENCHOPS_SECRET_KEY:-none}"',
  }),
  'job/local/runner.yaml': job('runner', { image: 'ghcr.io/benchops/benchops:0.1.0', args: ['--version'] }),
  'job/local/runner-config-error.yaml': job('runner-config-error', {
    image: 'ghcr.io/benchops/benchops:0.1.0',
    args: ['job', 'run'],
    extra: 'backoffLimit: 3',
    env: '- name: MAX_CONCURRENCY\n  value: "lots"',
  }),
  'job/local/slow.yaml': job('slow', { command: 'echo begin; sleep 30', extra: 'activeDeadlineSeconds: 1' }),
  'job/local/flaky.yaml': job('flaky', { command: 'echo attempt; exit 3', extra: 'backoffLimit: 1' }),
  'job/local/foreign.yaml': job('foreign', { image: 'nvcr.io/nvidia/cuda:12.4.0-runtime' }),
  'job/local/long.yaml': job('long', { command: 'echo started; sleep 60' }),
  // the first attempt waits to be stopped, the next succeeds (the work folder outlives its pods)
  'job/local/once.yaml': job('once', { command: 'echo attempt; if [ -f first-attempt-ran ]; then exit 0; fi; touch first-attempt-ran; sleep 60' }),
  'job/local/many-lines.yaml': job('many-lines', { command: 'seq 1 200000' }),
  'job/local/runner-env.yaml': job('runner-env', {
    command: 'echo "run=$BENCHOPS_RUN_ID"; echo "token-sha256=$(printf %s "$BENCHOPS_TOKEN" | sha256sum | cut -c1-64)"',
  }),
  'job/local/privileged.yaml':
    'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: p\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n' +
    '      containers:\n      - name: c\n        image: benchops\n        securityContext:\n          privileged: true\n',
};
const ENDPOINT = 'http://127.0.0.1:9/v1/completions';

describe.each(DB_KINDS)('deployer with the local executor (%s)', (kind) => {
  let env: DeployerEnv;
  let base: string;
  let dataDir: string;
  const run = (file: string, over: Record<string, unknown> = {}) =>
    call(base, 'POST', '/run', {
      project_id: env.projectId,
      benchmark_type: 'local',
      name: file.split('/').pop()!.replace('.yaml', ''),
      job_file_id: env.ids[file],
      config_file_id: env.ids['config/local/cfg.json'],
      vllm_model_endpoint: ENDPOINT,
      ...over,
    });
  const record = async (id: string) => (await call(base, 'GET', `/deployments/${id}`)).body;
  const settled = (id: string) =>
    until(async () => {
      const r = await record(id);
      return ['completed', 'failed', 'deleted'].includes(r.status) ? r : undefined;
    }, 30_000, `job ${id} to finish`);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-local-'));
    // Secrets in the server's own environment must not reach job processes.
    process.env.BENCHOPS_SECRET_KEY = 'ab'.repeat(32);
    env = await startDeployer(kind, FILES, { BENCHOPS_EXECUTOR: 'local' }, { dataDir });
    base = env.base;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('runs an annotated job with the config at its mount path and the endpoint set', async () => {
    const r = await run('job/local/echo-config.yaml');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const done = await settled(r.body.deployment_id);
    expect(done.status).toBe('completed');
    expect(done.completion_time).toMatch(/Z$/);
    const logs = await call(base, 'GET', `/jobs/${r.body.resource_name}/logs`);
    expect(logs.status).toBe(200);
    const text = logs.body.logs.join('\n');
    expect(text).toContain('hello from the mounted config');
    // the job declared a base URL: it gets the run's endpoint in that shape, and the run says so
    expect(text).toContain('endpoint=http://127.0.0.1:9\n');
    expect(text).toContain('derived=http://127.0.0.1:9/v1'); // $(VAR) expansion sees the replaced value
    expect(r.body.env_rewrites).toContainEqual({ container: 'main', name: 'VLLM_MODEL_ENDPOINT', family: 'endpoint', from: 'http://old-endpoint:8000', to: 'http://127.0.0.1:9' });
    expect(done.env_rewrites).toEqual(r.body.env_rewrites);
    expect(text).toContain('secret-leak=none'); // the server's environment is not inherited
    const cfgLine = logs.body.logs.find((l: string) => l.includes('config at '))!;
    const cfgPath = cfgLine.split('config at ')[1];
    expect(cfgPath.endsWith(path.join('mounts', 'app', 'configs', 'eval_config.json'))).toBe(true);
    expect(cfgPath.startsWith(path.join(dataDir, 'runs'))).toBe(true);
    // the local cluster's objects (ConfigMaps, Secrets) are readable by this user only
    const stored = readdirSync(path.join(dataDir, 'local-cluster'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(stored.length).toBeGreaterThan(1);
    for (const f of stored) expect(statSync(path.join(f.parentPath, f.name)).mode & 0o777, f.name).toBe(0o600);
    expect(readFileSync(cfgPath, 'utf8')).toBe(CONFIG);
    expect(logs.body.logs.every((l: string) => /^\[[a-z0-9-]+\] /.test(l))).toBe(true);
    const st = await call(base, 'GET', `/jobs/${r.body.resource_name}/status`);
    expect(st.body).toMatchObject({ status: 'completed', succeeded_pods: 1, failed_pods: 0, namespace: 'bench-ns' });
  });

  it('runs the BenchOps runner image as bin/benchops.js with the container args', async () => {
    const r = await run('job/local/runner.yaml');
    const done = await settled(r.body.deployment_id);
    const logs = await call(base, 'GET', `/jobs/${r.body.resource_name}/logs`);
    expect(done.status, JSON.stringify(logs.body)).toBe('completed');
    expect(logs.body.logs.join('\n')).toMatch(/\d+\.\d+\.\d+/);
  });

  it('fails a job past activeDeadlineSeconds, and retries up to backoffLimit', async () => {
    const slow = await run('job/local/slow.yaml');
    const flaky = await run('job/local/flaky.yaml');
    const s = await settled(slow.body.deployment_id);
    expect(s.status).toBe('failed');
    expect(s.message).toMatch(/DeadlineExceeded/);
    const f = await settled(flaky.body.deployment_id);
    expect(f.status).toBe('failed');
    expect(f.message).toMatch(/BackoffLimitExceeded/);
    const st = await call(base, 'GET', `/jobs/${flaky.body.resource_name}/status`);
    expect(st.body).toMatchObject({ status: 'failed', failed_pods: 2 });
    const logs = await call(base, 'GET', `/jobs/${flaky.body.resource_name}/logs`);
    expect(logs.body.logs.filter((l: string) => /^\[[a-z0-9-]+\] attempt$/.test(l))).toHaveLength(2);
    // each failed attempt, and the job's condition, are said at the end of the logs
    expect(logs.body.logs.filter((l: string) => / Error \(exit code 3\): attempt$/.test(l))).toHaveLength(2);
    expect(logs.body.logs.at(-1)).toBe(`[${flaky.body.resource_name}] Failed: BackoffLimitExceeded: Job has reached the specified backoff limit (1)`);
  });

  it('a runner configuration error (exit 2) fails the job at once, the reason in the record and the logs', async () => {
    const r = await run('job/local/runner-config-error.yaml');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const done = await settled(r.body.deployment_id);
    expect(done.status).toBe('failed');
    expect(done.message).toMatch(/^PodFailurePolicy: Container main for pod bench-ns\/\S+ failed with exit code 2 matching FailJob rule at index 0; last output: benchops job run: configuration error: MAX_CONCURRENCY: must be an integer/);
    const st = await call(base, 'GET', `/jobs/${r.body.resource_name}/status`);
    expect(st.body.failed_pods).toBe(1); // not retried up to backoffLimit 3
    const logs = (await call(base, 'GET', `/jobs/${r.body.resource_name}/logs`)).body.logs as string[];
    expect(logs.at(-1)).toMatch(new RegExp(`^\\[${r.body.resource_name}\\] Failed: PodFailurePolicy: `));
    expect(logs).toContainEqual(expect.stringMatching(/\] Error \(exit code 2\): benchops job run: configuration error: MAX_CONCURRENCY/));
  });

  it('fails a job whose image cannot run locally, with a clear message', async () => {
    const r = await run('job/local/foreign.yaml');
    const done = await settled(r.body.deployment_id);
    expect(done.status).toBe('failed');
    expect(done.message).toContain('nvcr.io/nvidia/cuda:12.4.0-runtime');
    expect(done.message).toMatch(/cannot run locally/);
    // no pod ever ran, so no log line: the logs still say why
    const logs = await call(base, 'GET', `/jobs/${r.body.resource_name}/logs`);
    expect(logs.body.logs).toEqual([expect.stringMatching(new RegExp(`^\\[${r.body.resource_name}\\] Failed: ImageNotRunnableLocally: .*nvcr\\.io`))]);
  });

  it('tails a long log (several MB) by reading its end only', async () => {
    const r = await run('job/local/many-lines.yaml');
    await until(async () => (await record(r.body.deployment_id)).status === 'completed', 20_000, 'completed');
    const last = await call(base, 'GET', `/jobs/${r.body.resource_name}/logs?tail_lines=3`);
    expect(last.body.logs.map((l: string) => l.replace(/^\[[a-z0-9-]+\] /, ''))).toEqual(['199998', '199999', '200000']);
    const dflt = await call(base, 'GET', `/jobs/${r.body.resource_name}/logs`);
    expect(dflt.body.logs).toHaveLength(100);
    expect(dflt.body.logs[0]).toMatch(/ 199901$/);
    const big = await call(base, 'GET', `/jobs/${r.body.resource_name}/logs?tail_lines=100000`);
    expect(big.body.logs).toHaveLength(100_000);
    expect(big.body.logs[0]).toMatch(/ 100001$/);
  });

  it('follows logs as SSE and opens a terminal in the run work folder', async () => {
    const r = await run('job/local/long.yaml');
    const name = r.body.resource_name;
    await until(async () => (await record(r.body.deployment_id)).status === 'running', 10_000, 'running');

    const ac = new AbortController();
    const res = await fetch(`${base}/jobs/${name}/logs?follow=true`, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let sse = '';
    while (!sse.includes('data: started')) sse += Buffer.from((await reader.read()).value ?? []).toString('utf8');
    ac.abort();

    const s = await call(base, 'POST', '/terminal/create', { job_name: name, shell: '/bin/sh' });
    expect(s.status).toBe(200);
    const ws = new WebSocket(`${base.replace('http', 'ws')}/terminal/${s.body.session_id}`);
    const msgs: any[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
    await until(async () => msgs.find((m) => m.type === 'connected'), 5000, 'connected');
    ws.send('cat mounts/app/configs/eval_config.json; echo; pwd\n'); // a non-JSON frame is input
    await until(async () => msgs.filter((m) => m.type === 'output').map((m) => m.data).join('').includes('hello from the mounted config'), 5000, 'config via terminal');
    const out = msgs.filter((m) => m.type === 'output').map((m) => m.data).join('');
    expect(out).toContain(path.join(dataDir, 'runs'));
    ws.close();

    const del = await call(base, 'DELETE', `/jobs/${name}/delete`);
    expect(del.status).toBe(200);
    expect((await record(r.body.deployment_id)).status).toBe('deleted');
  });

  it('gives bash a real terminal: Enter as the browser sends it, the window size, Ctrl-C interrupting the foreground job', async () => {
    const r = await run('job/local/long.yaml');
    const name = r.body.resource_name;
    await until(async () => (await record(r.body.deployment_id)).status === 'running', 10_000, 'running');
    const s = await call(base, 'POST', `/jobs/${name}/terminal`, { shell: '/bin/bash' });
    expect(s.status).toBe(200);
    const ws = new WebSocket(`${base.replace('http', 'ws')}/terminal/${s.body.session_id}`);
    const msgs: any[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
    const connected = await until(async () => msgs.find((m) => m.type === 'connected'), 10_000, 'connected');
    expect(connected).toMatchObject({ shell: '/bin/bash', tty: true });
    const screen = () => msgs.filter((m) => m.type === 'output' || m.type === 'error_output').map((m) => m.data).join('');
    const input = (data: string) => ws.send(JSON.stringify({ type: 'input', data }));
    const shows = (re: RegExp, what: string) => until(async () => re.test(screen()), 15_000, what);
    // the size is set on the pty as the shell comes up (asynchronously): asked again until the shell reports it
    const sizeIs = async (rows: number, cols: number) => {
      const re = new RegExp(`size ${rows} ${cols} tty /dev/pts/\\d+`);
      for (let i = 0; i < 40 && !re.test(screen()); i++) {
        // xterm.js sends \r for Enter: on a pipe that is no line end and bash waited for ever
        input('echo "size $(stty size) tty $(tty)"\r');
        await new Promise((res) => setTimeout(res, 250));
      }
      expect(screen(), JSON.stringify(screen().slice(-600))).toMatch(re);
    };
    ws.send(JSON.stringify({ type: 'resize', rows: 33, cols: 101 }));
    await sizeIs(33, 101);
    // a pod's shell: the prompt names the pod (no rc file of this host's user replaced it)
    expect(screen()).toContain(`${connected.pod_name}$ `);
    input('sleep 300; echo not-interrupted\r');
    // the pty echoes what bash read: the sleep runs in the foreground
    await shows(/sleep 300; echo not-interrupted\r?\n/, 'the sleep started');
    input('\x03');
    input('echo after-$((40+2))\r');
    await shows(/after-42/, 'a prompt again after Ctrl-C');
    // only the echoed command line says it: the list was interrupted with its sleep
    expect(screen().split('not-interrupted').length - 1).toBe(1);
    // a new size reaches the running shell
    ws.send(JSON.stringify({ type: 'resize', rows: 20, cols: 70 }));
    await sizeIs(20, 70);
    input('echo "pid-$$-"\r');
    await shows(/pid-\d+-/, 'the shell pid');
    const pid = Number(/pid-(\d+)-/.exec(screen().replace('pid-$$-', ''))![1]);
    ws.close();
    // closing the socket ends the shell with its terminal
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await until(async () => !alive(), 10_000, 'the shell to end');
    expect((await call(base, 'DELETE', `/jobs/${name}/delete`)).status).toBe(200);
  });

  it('a clean restart stops a running attempt, which counts as failed: the restarted platform retries it (backoffLimit)', async () => {
    const r = await run('job/local/once.yaml', { name: 'survivor' });
    // the attempt is under way (its first line is written), not merely spawned
    await until(async () => (await call(base, 'GET', `/jobs/${r.body.resource_name}/logs`)).body.logs?.some((l: string) => l.endsWith(' attempt')), 10_000, 'first attempt');
    const dbUrl = env.p.ctx.config.databaseUrl;
    await env.close(); // the processes are stopped with the platform
    env = await startDeployer(kind, FILES, { BENCHOPS_EXECUTOR: 'local', ...(dbUrl ? { DATABASE_URL: dbUrl } : {}) }, { dataDir });
    base = env.base;
    const done = await settled(r.body.deployment_id);
    const logs = (await call(base, 'GET', `/jobs/${r.body.resource_name}/logs`)).body.logs as string[];
    expect(done.status, logs.join('\n')).toBe('completed');
    const st = await call(base, 'GET', `/jobs/${r.body.resource_name}/status`);
    expect(st.body).toMatchObject({ status: 'completed', failed_pods: 1, succeeded_pods: 1 });
    expect(logs.filter((l) => /^\[[a-z0-9-]+\] attempt$/.test(l))).toHaveLength(2);
    // the stopped attempt's exit status was recorded by its supervisor and read after the restart
    expect(logs).toContainEqual(expect.stringMatching(/^\[benchmark-job-survivor-[a-z0-9-]+\] Shutdown \(exit code 143\)/));
    expect(existsSync(path.join(dataDir, 'local-cluster', 'bench-ns', 'Job', `${r.body.resource_name}.json`))).toBe(true);
  });
});

describe('deployer roles (local executor, pglite)', () => {
  let env: DeployerEnv;
  const OP = { authorization: 'Bearer operator-token-1' };
  const VIEW = { authorization: 'Bearer viewer-token-1' };
  beforeAll(async () => {
    env = await startDeployer(
      'pglite',
      FILES,
      { BENCHOPS_EXECUTOR: 'local', BENCHOPS_TOKENS: 'viewer:viewer-token-1,operator:operator-token-1,admin:admin-token-1' },
      { token: 'admin-token-1' },
    );
  });
  afterAll(async () => {
    await env?.close();
  });

  const ADMIN = { authorization: 'Bearer admin-token-1' };
  it('needs operator for runs, and admin for privileged pods, host commands and host terminals (also on the WebSocket)', async () => {
    const body = (file: string) => ({
      project_id: env.projectId,
      benchmark_type: 'local',
      name: 'roles',
      job_file_id: env.ids[file],
    });
    expect((await call(env.base, 'POST', '/run', body('job/local/long.yaml'))).status).toBe(401);
    expect((await call(env.base, 'POST', '/run', body('job/local/long.yaml'), VIEW)).status).toBe(403);
    const priv = await call(env.base, 'POST', '/run', body('job/local/privileged.yaml'), OP);
    expect(priv.status).toBe(403);
    expect(priv.body.detail).toMatch(/privileged/);
    // with the local executor a job's own command runs on this host: an operator may run the runner image only
    const hostCmd = await call(env.base, 'POST', '/run', body('job/local/long.yaml'), OP);
    expect(hostCmd.status).toBe(403);
    expect(hostCmd.body.detail).toMatch(/benchops\.io\/local-command annotation .*admin/);
    const custom = await call(env.base, 'POST', '/deploy', { yaml_content: job('custom', { image: 'ghcr.io/benchops/benchops:0.1.0', args: ['x'] }).replace('        args:', '        command: ["/bin/sh", "-c"]\n        args:') }, OP);
    expect(custom.status).toBe(403);
    expect(custom.body.detail).toMatch(/command "\/bin\/sh"/);
    const runner = await call(env.base, 'POST', '/run', body('job/local/runner.yaml'), OP);
    expect(runner.status).toBe(200);
    const before = (await call(env.base, 'GET', '/deployments?limit=1000', undefined, VIEW)).body.length;

    const r = await call(env.base, 'POST', '/run', body('job/local/long.yaml'), ADMIN);
    expect(r.status).toBe(200);
    expect((await call(env.base, 'GET', '/deployments?limit=1000', undefined, VIEW)).body.length).toBe(before + 1);
    await until(async () => (await call(env.base, 'GET', `/jobs/${r.body.resource_name}/status`, undefined, VIEW)).body.status === 'running');
    const viewerTerm = await call(env.base, 'POST', `/jobs/${r.body.resource_name}/terminal`, {}, VIEW);
    expect(viewerTerm.status).toBe(403);
    const opTerm = await call(env.base, 'POST', `/jobs/${r.body.resource_name}/terminal`, {}, OP);
    expect(opTerm.status).toBe(403);
    expect(opTerm.body.detail).toMatch(/shell on the BenchOps host/);
    const s = await call(env.base, 'POST', `/jobs/${r.body.resource_name}/terminal`, {}, ADMIN);
    expect(s.status).toBe(200);
    const url = `${env.base.replace('http', 'ws')}/terminal/${s.body.session_id}`;
    const refused = await new Promise<string>((res) => {
      const ws = new WebSocket(url, { headers: VIEW });
      ws.on('unexpected-response', (req, resp) => {
        res(String(resp.statusCode));
        req.destroy();
      });
      ws.on('open', () => res('open'));
      ws.on('error', () => {});
    });
    expect(refused).toBe('403');
    const opWs = new WebSocket(url, { headers: OP });
    const opFirst = await new Promise<any>((res) => opWs.on('message', (d) => res(JSON.parse(d.toString()))));
    expect(opFirst).toMatchObject({ type: 'error', message: expect.stringMatching(/only the admin role/) });
    const closed = await new Promise<number>((res) => opWs.on('close', (code) => res(code)));
    expect(closed).toBe(4403);
    const ws = new WebSocket(url, { headers: ADMIN });
    const first = await new Promise<any>((res) => ws.on('message', (d) => res(JSON.parse(d.toString()))));
    expect(first.type).toBe('connected');
    ws.close();
    expect((await call(env.base, 'DELETE', `/jobs/${r.body.resource_name}/delete`, undefined, OP)).status).toBe(200);
  });

  it('gives runner processes the run id and an operator token to post results with, never storing the token', async () => {
    const r = await call(env.base, 'POST', '/run', { project_id: env.projectId, benchmark_type: 'local', name: 'runner-env', job_file_id: env.ids['job/local/runner-env.yaml'] }, ADMIN);
    expect(r.status).toBe(200);
    await until(async () => (await call(env.base, 'GET', `/jobs/${r.body.resource_name}/status`, undefined, VIEW)).body.status === 'completed');
    const logs = (await call(env.base, 'GET', `/jobs/${r.body.resource_name}/logs`, undefined, VIEW)).body.logs.join('\n');
    expect(logs).toContain(`run=${r.body.deployment_id}`);
    expect(logs).toContain(`token-sha256=${createHash('sha256').update('operator-token-1').digest('hex')}`);
    const rec = await call(env.base, 'GET', `/deployments/${r.body.deployment_id}`, undefined, VIEW);
    expect(JSON.stringify(rec.body)).not.toContain('operator-token-1');
    expect(r.body.yaml_content).not.toContain('operator-token-1');
  });
});

describe('deployer under the gateway, and its in-process API (local executor, pglite)', () => {
  let env: DeployerEnv;
  beforeAll(async () => {
    env = await startDeployer(
      'pglite',
      {
        ...FILES,
        'job/local/placeholders.yaml': job('placeholders', {
          command: 'echo "svc=$VLLM_ENDPOINT model=$MODEL_NAME extra=$EXTRA results=$BENCHOPS_RESULTS_URL"',
          env: '- name: VLLM_ENDPOINT\n  value: "http://VLLM_SERVICE_NAME:8000"\n- name: MODEL_NAME\n  value: MODEL_NAME_PLACEHOLDER',
        }),
      },
      { BENCHOPS_EXECUTOR: 'local' },
      { gateway: true, withResults: true },
    );
  });
  afterAll(async () => {
    await env?.close();
  });

  it('serves /run, logs and the terminal WebSocket under /api/deployer', async () => {
    const gw = env.p.urls.gateway!;
    const r = await call(gw, 'POST', '/api/deployer/run', {
      project_id: env.projectId,
      benchmark_type: 'local',
      name: 'gw',
      job_file_id: env.ids['job/local/long.yaml'],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await until(async () => (await call(gw, 'GET', `/api/deployer/jobs/${r.body.resource_name}/status`)).body.status === 'running');
    const s = await call(gw, 'POST', `/api/deployer/jobs/${r.body.resource_name}/terminal`, { shell: '/bin/sh' });
    expect(s.body.websocket_url).toBe(`${gw.replace('http', 'ws')}/api/deployer/terminal/${s.body.session_id}`);
    const ws = new WebSocket(s.body.websocket_url);
    const first = await new Promise<any>((res) => ws.on('message', (d) => res(JSON.parse(d.toString()))));
    expect(first.type).toBe('connected');
    ws.close();
    await call(gw, 'DELETE', `/api/deployer/jobs/${r.body.resource_name}/delete`);
  });

  it('run() applies RunOptions: substitutions in parsed values, extra env and labels', async () => {
    const api = env.p.modules.get('deployer')!.api as import('../src/services/deployer/api.ts').DeployerApi;
    const res = await api.run(
      { project_id: env.projectId, benchmark_type: 'local', name: 'opts', job_file_id: env.ids['job/local/placeholders.yaml'] },
      {
        substitutions: { VLLM_SERVICE_NAME: 'vllm-tiny-svc', MODEL_NAME_PLACEHOLDER: 'org/tiny' },
        env: { EXTRA: 'from-options' },
        labels: { 'benchops.io/queue-item': 'q1' },
      },
    );
    expect(res.yaml_content).toContain('benchops.io/queue-item: q1');
    const rec = await until(async () => {
      const d = await api.getDeployment(res.deployment_id);
      return d.status === 'completed' ? d : undefined;
    });
    expect(rec.resource_name).toBe(res.resource_name);
    const logs = await call(env.base, 'GET', `/jobs/${res.resource_name}/logs`);
    expect(logs.body.logs.join('\n')).toContain(`svc=http://vllm-tiny-svc:8000 model=org/tiny extra=from-options results=${env.p.urls.results}`);
    await expect(api.run({ project_id: env.projectId, benchmark_type: 'x', name: 'n', job_file_id: 'missing' } as any)).rejects.toMatchObject({ status: 400 });
    await api.deleteJob(res.resource_name);
    await api.deleteJob(res.resource_name); // idempotent for internal callers
    expect((await api.getDeployment(res.deployment_id)).status).toBe('deleted');
  });
});
