import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildRunManifests, parseManifests, redactSecrets, setEnv, substitute, toYaml, uniqueName } from './manifest.ts';
import { expandVars } from './executors/local.ts';
import { computeJobStatus } from './executors/types.ts';

const JOB = `apiVersion: batch/v1
kind: Job
metadata:
  name: bench
  labels:
    app: VLLM_DEPLOYMENT_NAME
spec:
  template:
    spec:
      containers:
        - name: main
          image: benchops
          env:
            - name: VLLM_ENDPOINT
              value: "http://VLLM_SERVICE_NAME:8000"
            - name: MODEL_NAME
              value: MODEL_NAME_PLACEHOLDER
            - name: VLLM_MODEL_ENDPOINT
              value: old
            - name: VLLM_MODEL_ENDPOINT
              value: older
            - name: POD
              value: VLLM_POD_NAME_SUFFIX_IS_NOT_A_PLACEHOLDER
      initContainers:
        - name: init
          image: benchops
`;

const base = {
  jobYaml: JOB,
  runName: 'My Run_1',
  deploymentId: '0123abcd-0000-4000-8000-000000000000',
  namespace: 'benchmark',
  projectId: 'p1',
  benchmarkType: 'perf',
  admin: false,
};

describe('run manifests', () => {
  it('substitutes placeholders inside parsed values, never into YAML structure', () => {
    const evil = 'x\n  privileged: true\nkind: ClusterRole';
    const m = buildRunManifests({
      ...base,
      substitutions: { VLLM_SERVICE_NAME: 'vllm-qwen-svc', MODEL_NAME_PLACEHOLDER: evil, VLLM_DEPLOYMENT_NAME: 'vllm-qwen', VLLM_POD_NAME: 'p-0' },
    });
    const env = m.job.spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'VLLM_ENDPOINT').value).toBe('http://vllm-qwen-svc:8000');
    expect(env.find((e: any) => e.name === 'MODEL_NAME').value).toBe(evil);
    expect(env.find((e: any) => e.name === 'POD').value).toBe('VLLM_POD_NAME_SUFFIX_IS_NOT_A_PLACEHOLDER');
    expect(m.job.metadata.labels?.app).toBe('vllm-qwen');
    // round trip: still one Job, the injected text is a string value
    const docs = parseAllDocuments(toYaml([m.job])).map((d) => d.toJS());
    expect(docs).toHaveLength(1);
    expect(docs[0].kind).toBe('Job');
    expect(docs[0].spec.template.spec.containers[0].securityContext).toBeUndefined();
  });

  it('sets the endpoint once per container (init containers too), keeping its position', () => {
    const m = buildRunManifests({ ...base, endpoint: 'http://e:8000/v1', env: { EXTRA: '1' } });
    const [main] = m.job.spec.template.spec.containers;
    expect(main.env.map((e: any) => e.name)).toEqual(['VLLM_ENDPOINT', 'MODEL_NAME', 'VLLM_MODEL_ENDPOINT', 'POD', 'EXTRA']);
    expect(main.env[2]).toEqual({ name: 'VLLM_MODEL_ENDPOINT', value: 'http://e:8000/v1' });
    const init = m.job.spec.template.spec.initContainers[0];
    expect(init.env).toEqual([{ name: 'EXTRA', value: '1' }, { name: 'VLLM_MODEL_ENDPOINT', value: 'http://e:8000/v1' }]);
    expect(m.configMap).toBeUndefined();
    expect(m.job.spec.template.spec.volumes).toBeUndefined();
  });

  it('makes valid unique names and label values from any run name', () => {
    const long = 'A'.repeat(300) + '__x..y';
    const n = uniqueName('benchmark-job', long, 'abcdef12');
    expect(n.length).toBeLessThanOrEqual(63);
    expect(n).toMatch(/^benchmark-job-a+-abcdef12$/);
    expect(uniqueName('benchmark-job', '___', 'abcdef12')).toBe('benchmark-job-x-abcdef12');
    const m = buildRunManifests({ ...base, config: '{}', projectId: 'proj/with spaces', benchmarkType: '-perf-' });
    expect(m.job.metadata.name).toBe('benchmark-job-my-run-1-0123abcd');
    expect(m.configMap!.metadata.name).toBe('benchmark-config-my-run-1-0123abcd');
    expect(m.labels['benchops.io/project-id']).toBe('proj-with-spaces');
    expect(m.labels['benchops.io/benchmark-type']).toBe('perf');
  });

  it('refuses privileged pods unless admin, alias bombs, and non-object documents', () => {
    const priv = JOB.replace('image: benchops\n          env:', 'image: benchops\n          securityContext: {privileged: true}\n          env:');
    expect(() => buildRunManifests({ ...base, jobYaml: priv })).toThrow(/privileged/);
    expect(() => buildRunManifests({ ...base, jobYaml: priv, admin: true })).not.toThrow();
    // the Pod Security baseline profile, for everything but admins
    const withSc = (sc: string) => JOB.replace('image: benchops\n          env:', `image: benchops\n          securityContext: ${sc}\n          env:`);
    for (const [sc, msg] of [
      ['{capabilities: {add: [SYS_MODULE]}}', /capabilities SYS_MODULE/],
      ['{capabilities: {add: [CAP_BPF, NET_BIND_SERVICE]}}', /capabilities BPF/],
      ['{capabilities: {add: [dac_read_search]}}', /capabilities DAC_READ_SEARCH/],
      ['{seccompProfile: {type: Unconfined}}', /Unconfined seccomp/],
      ['{procMount: Unmasked}', /procMount Unmasked/],
    ] as const) {
      expect(() => buildRunManifests({ ...base, jobYaml: withSc(sc) }), sc).toThrow(msg);
      expect(() => buildRunManifests({ ...base, jobYaml: withSc(sc), admin: true }), sc).not.toThrow();
    }
    expect(() => buildRunManifests({ ...base, jobYaml: withSc('{capabilities: {add: [NET_BIND_SERVICE, CHOWN]}, runAsNonRoot: true}') })).not.toThrow();
    const hostPort = JOB.replace('image: benchops\n          env:', 'image: benchops\n          ports: [{containerPort: 80, hostPort: 80}]\n          env:');
    expect(() => buildRunManifests({ ...base, jobYaml: hostPort })).toThrow(/hostPort 80/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefghij'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`), 'kind: Job', 'apiVersion: batch/v1'].join('\n');
    expect(() => parseManifests(bomb, 'job')).toThrow(/Malformed job YAML/);
    expect(() => parseManifests('- just\n- a list\n', 'job')).toThrow(/mapping/);
    expect(() => parseManifests('', 'job')).toThrow(/no Kubernetes object/);
  });

  it('redacts Secret values and leaves other kinds alone', () => {
    const [s, c] = redactSecrets([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'c2VjcmV0' }, stringData: { b: 'x' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'visible' } },
    ]);
    expect(s.data).toEqual({ a: '[redacted]' });
    expect(s.stringData).toEqual({ b: '[redacted]' });
    expect(c.data).toEqual({ a: 'visible' });
  });

  it('helpers: setEnv, substitute, $(VAR) expansion, job status classification', () => {
    const c: any = { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'A', value: '3' }] };
    setEnv(c, 'A', 'x');
    expect(c.env).toEqual([{ name: 'A', value: 'x' }, { name: 'B', value: '2' }]);
    expect(substitute({ k: ['FOO', 'FOO_BAR', 'a FOO b'] }, { FOO: 'z' })).toEqual({ k: ['z', 'FOO_BAR', 'a z b'] });
    expect(expandVars('$(A)/$$(A)/$(MISSING)', { A: 'v' })).toBe('v/$(A)/$(MISSING)');
    const job = (status: any, spec: any = {}) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec, status });
    expect(computeJobStatus(job({}), [], 'ns').status).toBe('pending');
    expect(computeJobStatus(job({ active: 1 }), [{ phase: 'Running' }], 'ns').status).toBe('running');
    expect(computeJobStatus(job({ failed: 1 }, { backoffLimit: 2 }), [{ phase: 'Failed' }], 'ns').status).toBe('pending');
    expect(computeJobStatus(job({ failed: 3 }, { backoffLimit: 2 }), [{ phase: 'Failed' }], 'ns').status).toBe('failed');
    const failed = computeJobStatus(job({ conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'too long' }] }), null, 'ns');
    expect(failed).toMatchObject({ status: 'failed', message: 'DeadlineExceeded: too long' });
  });
});
