/**
 * The local executor behaves like a cluster where a user would notice (real processes, real files, no platform):
 * a missing Secret or ConfigMap keeps the pod from starting with the kubelet's reason (and it starts once the object
 * appears), podFailurePolicy decides retries, ttlSecondsAfterFinished removes finished jobs (also after a restart),
 * and every container's exit status is recorded by its supervisor.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalExecutor } from '../src/services/deployer/executors/local.ts';
import type { K8sObject } from '../src/services/deployer/executors/types.ts';
import { until } from './helpers/deployer-setup.ts';

const NS = 'bench-ns';
const log = pino({ level: 'silent' });
const open: LocalExecutor[] = [];

function executor(dataDir: string, over: Partial<ConstructorParameters<typeof LocalExecutor>[0]> = {}): LocalExecutor {
  const ex = new LocalExecutor({ dataDir, log, mountWaitMs: 2500, ...over });
  open.push(ex);
  return ex;
}

function job(name: string, command: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS, annotations: { 'benchops.io/local-command': command } },
    spec: {
      ...spec,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', terminationMessagePolicy: 'FallbackToLogsOnError', ...container }] } },
    },
  };
}

const secret = (name: string, data: Record<string, string>): K8sObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, stringData: data });
const finished = (ex: LocalExecutor, name: string) =>
  until(async () => {
    const s = await ex.jobStatus(name, NS);
    return s.status === 'completed' || s.status === 'failed' ? s : undefined;
  }, 20_000, `${name} to finish`);
const logsOf = async (ex: LocalExecutor, name: string) => {
  const out: string[] = [];
  for (const p of await ex.listPods(name, NS)) out.push(await ex.readLogs(NS, p.name, 'main', {}));
  return out;
};

afterEach(async () => {
  for (const ex of open.splice(0)) await ex.close();
});

describe('local executor parity with Kubernetes', () => {
  it('a missing Secret reference keeps the pod in CreateContainerConfigError (status says why), until the Secret appears', async () => {
    const ex = executor(mkdtempSync(path.join(os.tmpdir(), 'parity-')), { mountWaitMs: 20_000 });
    await ex.create(job('needs-secret', 'echo "token=$API_TOKEN"', {}, { env: [{ name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }] }));
    const waiting = await until(async () => {
      const s = await ex.jobStatus('needs-secret', NS);
      return s.message ? s : undefined;
    }, 10_000, 'the waiting reason');
    expect(waiting).toMatchObject({ status: 'pending', message: 'container main: CreateContainerConfigError: secret "api" not found' });
    const [pod] = await ex.listPods('needs-secret', NS);
    expect(pod).toMatchObject({ phase: 'Pending', problems: [{ container: 'main', reason: 'CreateContainerConfigError', message: 'secret "api" not found' }] });
    // a Secret without the key is still an error, with the kubelet's wording
    await ex.create(secret('api', { other: 'x' }));
    await until(async () => (await ex.jobStatus('needs-secret', NS)).message?.includes("couldn't find key token in Secret bench-ns/api"), 10_000, 'missing key');
    await ex.remove('Secret', 'api', NS);
    await ex.create(secret('api', { token: 'abc123' }));
    expect((await finished(ex, 'needs-secret')).status).toBe('completed');
    expect(await logsOf(ex, 'needs-secret')).toEqual(['token=abc123\n']);
  });

  it('a reference that never appears fails the job with the reason (env Secret, envFrom ConfigMap, volume); optional ones do not', async () => {
    const ex = executor(mkdtempSync(path.join(os.tmpdir(), 'parity-')));
    await ex.create(job('no-secret', 'true', {}, { env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }] }));
    await ex.create(job('no-cm', 'true', {}, { envFrom: [{ configMapRef: { name: 'settings' } }] }));
    const vol = job('no-volume', 'true');
    vol.spec.template.spec.volumes = [{ name: 'creds', secret: { secretName: 'creds' } }];
    vol.spec.template.spec.containers[0].volumeMounts = [{ name: 'creds', mountPath: '/etc/creds' }];
    await ex.create(vol);
    await ex.create(job('optional', 'echo "t=${T:-unset}"', {}, { env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } }] }));
    expect(await finished(ex, 'no-secret')).toMatchObject({ status: 'failed', message: 'CreateContainerConfigError: secret "gone" not found', failed_pods: 0 });
    expect(await finished(ex, 'no-cm')).toMatchObject({ status: 'failed', message: 'CreateContainerConfigError: configmap "settings" not found' });
    expect(await finished(ex, 'no-volume')).toMatchObject({
      status: 'failed',
      message: 'FailedMount: MountVolume.SetUp failed for volume "creds" : secret "creds" not found',
    });
    expect(await finished(ex, 'optional')).toMatchObject({ status: 'completed' });
    expect(await logsOf(ex, 'optional')).toEqual(['t=unset\n']);
  });

  it('podFailurePolicy: FailJob ends the job at the first matching exit, Ignore retries without counting', async () => {
    const ex = executor(mkdtempSync(path.join(os.tmpdir(), 'parity-')));
    const failJob = { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [2] } }] }, backoffLimit: 5 };
    await ex.create(job('config-error', 'echo "configuration error: SERVED_MODEL_NAME: none"; exit 2', failJob));
    const s = await finished(ex, 'config-error');
    expect(s.status).toBe('failed');
    expect(s.failed_pods).toBe(1); // no retry up to backoffLimit
    expect(s.message).toMatch(/^PodFailurePolicy: Container main for pod bench-ns\/config-error-[a-z0-9]+ failed with exit code 2 matching FailJob rule at index 0; last output: configuration error: SERVED_MODEL_NAME: none$/);
    // another exit code is retried as usual
    await ex.create(job('other-error', 'exit 1', { ...failJob, backoffLimit: 1 }));
    expect(await finished(ex, 'other-error')).toMatchObject({ status: 'failed', failed_pods: 2, message: expect.stringMatching(/^BackoffLimitExceeded/) });

    // Ignore: the first attempt exits 42 (not counted), the next succeeds
    const ignore = { podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } }] }, backoffLimit: 0 };
    await ex.create(job('flaky-infra', 'if [ -f tried ]; then echo ok; exit 0; fi; touch tried; exit 42', ignore));
    expect(await finished(ex, 'flaky-infra')).toMatchObject({ status: 'completed', failed_pods: 0, succeeded_pods: 1 });
    expect(await ex.listPods('flaky-infra', NS)).toHaveLength(2);
  });

  it('records every container exit status through its supervisor', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parity-'));
    const ex = executor(dataDir);
    await ex.create(job('exit-7', 'exit 7', { backoffLimit: 0 }));
    await finished(ex, 'exit-7');
    const [pod] = await ex.listPods('exit-7', NS);
    expect(pod.problems).toEqual([{ container: 'main', reason: 'Error', exitCode: 7 }]);
    const runDir = path.join(dataDir, 'runs', readdirSync(path.join(dataDir, 'runs')).find((d) => d.includes('exit-7'))!);
    const status = JSON.parse(readFileSync(path.join(runDir, 'logs', pod.name, 'main.exit'), 'utf8'));
    expect(status).toMatchObject({ code: 7, signal: null, orphaned: false });
  });

  it('ttlSecondsAfterFinished removes a finished job, what it owns and its work folder; a restart still does', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parity-'));
    const ex = executor(dataDir);
    const created = await ex.create(job('short-lived', 'echo done', { ttlSecondsAfterFinished: 1 }));
    await ex.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'owned', namespace: NS, ownerReferences: [{ kind: 'Job', name: 'short-lived', uid: created.metadata.uid }] },
      data: {},
    });
    await ex.create(job('kept', 'echo done'));
    expect((await finished(ex, 'short-lived')).status).toBe('completed');
    await finished(ex, 'kept');
    const runs = path.join(dataDir, 'runs');
    const workDir = (name: string) => (existsSync(runs) ? readdirSync(runs).find((d) => d.includes(`-${name}-`)) : undefined);
    expect(workDir('short-lived')).toBeDefined();
    await until(async () => !(await ex.get('Job', 'short-lived', NS)), 5000, 'the TTL');
    expect(await ex.get('ConfigMap', 'owned', NS)).toBeNull();
    await until(async () => !workDir('short-lived'), 5000, 'the work folder removed');
    expect(await ex.get('Job', 'kept', NS)).not.toBeNull();

    // finished before a restart, expired during it: the restarted executor removes it
    await ex.create(job('restart-ttl', 'echo done', { ttlSecondsAfterFinished: 1 }));
    await finished(ex, 'restart-ttl');
    await ex.close();
    const again = executor(dataDir);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await again.get('Job', 'restart-ttl', NS)).not.toBeNull();
    await again.reconcile();
    await until(async () => !(await again.get('Job', 'restart-ttl', NS)), 5000, 'the TTL after a restart');
  });
});
