import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildRunManifests, parseManifests, redactSecrets, setEnv, substitute, toYaml, uniqueName } from './manifest.ts';
import { expandVars } from './executors/local.ts';
import { computeJobStatus } from './executors/types.ts';
import { Job } from 'kubernetes-models/batch/v1/Job';

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
    // "old" is no URL, so it gives no shape: the endpoint as given
    expect(main.env[2]).toEqual({ name: 'VLLM_MODEL_ENDPOINT', value: 'http://e:8000/v1' });
    // the earlier image's base-URL variable follows the endpoint too
    expect(main.env[0]).toEqual({ name: 'VLLM_ENDPOINT', value: 'http://e:8000' });
    const init = m.job.spec.template.spec.initContainers[0];
    expect(init.env).toEqual([{ name: 'VLLM_MODEL_ENDPOINT', value: 'http://e:8000/v1' }, { name: 'EXTRA', value: '1' }]);
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
    // a pod that cannot start says why; a failed job adds its container's last output
    const waiting = computeJobStatus(job({}), [{ phase: 'Pending', problems: [{ container: 'c', reason: 'CreateContainerConfigError', message: 'secret "s" not found' }] }], 'ns');
    expect(waiting).toMatchObject({ status: 'pending', message: 'container c: CreateContainerConfigError: secret "s" not found' });
    const policy = computeJobStatus(
      job({ conditions: [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: 'exit code 2' }] }),
      [{ phase: 'Failed', problems: [{ container: 'c', reason: 'Error', exitCode: 2, message: 'line 1\nconfiguration error: SERVED_MODEL_NAME: none\n' }] }],
      'ns',
    );
    expect(policy.message).toBe('PodFailurePolicy: exit code 2; last output: configuration error: SERVED_MODEL_NAME: none');
    const failed = computeJobStatus(job({ conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'too long' }] }), null, 'ns');
    expect(failed).toMatchObject({ status: 'failed', message: 'DeadlineExceeded: too long' });
  });
});

describe('run manifests for real job files', () => {
  const evalchemy = `apiVersion: batch/v1
kind: Job
metadata: {name: evalchemy}
spec:
  ttlSecondsAfterFinished: 120
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: evalchemy
          image: ghcr.io/thakicloud/vllm-eval-public-evalchemy:v1.1.0
          env:
            - {name: VLLM_MODEL_ENDPOINT, value: "http://vllm:8000/v1/completions"}
            - {name: BACKEND_API, value: "http://model-benchmark-backend-svc:8000"}
          args: ["--endpoint", "$(VLLM_MODEL_ENDPOINT)", "--config", "/app/configs/evalchemy.json"]
`;
  const run = (over: Partial<Parameters<typeof buildRunManifests>[0]> = {}) =>
    buildRunManifests({ ...base, jobYaml: evalchemy, config: '{"a": 1}', endpoint: 'http://qwen.vllm:8000/v1', resultsUrl: 'http://results:8000/', ...over });

  it('mounts the chosen config at the path the args name too, and points the endpoint and results URL at this run', () => {
    const m = run();
    const [c] = m.job.spec.template.spec.containers;
    expect(c.volumeMounts).toEqual([
      { name: 'benchops-config', mountPath: '/app/configs/eval_config.json', subPath: 'eval_config.json', readOnly: true },
      { name: 'benchops-config', mountPath: '/app/configs/evalchemy.json', subPath: 'eval_config.json', readOnly: true },
    ]);
    expect(m.configMounts).toEqual(['/app/configs/eval_config.json', '/app/configs/evalchemy.json']);
    // the declared /v1/completions shape is kept although the run gave a /v1 URL
    expect(c.env).toEqual([
      { name: 'VLLM_MODEL_ENDPOINT', value: 'http://qwen.vllm:8000/v1/completions' },
      { name: 'BACKEND_API', value: 'http://results:8000' },
    ]);
    expect(m.rewrites).toEqual([
      { container: 'evalchemy', name: 'VLLM_MODEL_ENDPOINT', family: 'endpoint', from: 'http://vllm:8000/v1/completions', to: 'http://qwen.vllm:8000/v1/completions' },
      { container: 'evalchemy', name: 'BACKEND_API', family: 'results', from: 'http://model-benchmark-backend-svc:8000', to: 'http://results:8000' },
    ]);
    expect(m.warnings).toEqual([]);
    expect(c.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    // not our image: exit code 2 means nothing known, so no failure policy
    expect(m.job.spec.podFailurePolicy).toBeUndefined();
  });

  it('warns about config paths it cannot tell apart, and about results that would be refused for want of a token', () => {
    const two = evalchemy.replace('"--config", "/app/configs/evalchemy.json"', '"/app/configs/a.json", "/app/configs/b.yaml"');
    const m = run({ jobYaml: two, tokensRequired: true });
    expect(m.configMounts).toEqual(['/app/configs/eval_config.json']);
    expect(m.warnings).toEqual([
      expect.stringMatching(/names \/app\/configs\/a\.json, \/app\/configs\/b\.yaml under \/app\/configs\/; .* those files come from the image/),
      expect.stringMatching(/container "evalchemy" posts results to BACKEND_API without a bearer token/),
    ]);
    const eq = run({ jobYaml: evalchemy.replace('"--config", "/app/configs/evalchemy.json"', '"--config=/app/configs/x.json", "/app/configs/other.txt"') });
    expect(eq.configMounts).toEqual(['/app/configs/eval_config.json', '/app/configs/x.json']);
    expect(eq.warnings[0]).toMatch(/names \/app\/configs\/other\.txt/);
    const none = run({ config: undefined });
    expect(none.job.spec.template.spec.containers[0].volumeMounts).toBeUndefined();
  });

  it('fails runner jobs at once on a configuration error (podFailurePolicy, schema-valid), keeping a policy of its own', () => {
    const runner = evalchemy.replace('ghcr.io/thakicloud/vllm-eval-public-evalchemy:v1.1.0', 'ghcr.io/benchops/benchops:0.1.0');
    const m = run({ jobYaml: runner });
    expect(m.job.spec.podFailurePolicy).toEqual({
      rules: [{ action: 'FailJob', onExitCodes: { containerName: 'evalchemy', operator: 'In', values: [2] } }],
    });
    expect(() => new Job(m.job as any).validate()).not.toThrow();
    const own = runner.replace('ttlSecondsAfterFinished: 120', 'ttlSecondsAfterFinished: 120\n  podFailurePolicy: {rules: [{action: Ignore, onExitCodes: {operator: In, values: [42]}}]}');
    expect(run({ jobYaml: own }).job.spec.podFailurePolicy.rules[0].action).toBe('Ignore');
    const onFailure = runner.replace('restartPolicy: Never', 'restartPolicy: OnFailure');
    expect(run({ jobYaml: onFailure }).job.spec.podFailurePolicy).toBeUndefined();
  });

  it('answers 403 when an operator asks for what only admins may apply, and 422/400 for unparseable YAML without quoting it', () => {
    const priv = JOB.replace('image: benchops\n          env:', 'image: benchops\n          securityContext: {privileged: true}\n          env:');
    expect(() => buildRunManifests({ ...base, jobYaml: priv })).toThrow(expect.objectContaining({ status: 403 }));
    const secretish = 'apiVersion: v1\nkind: Secret\nstringData:\n  token: "hunter2-very-secret\n';
    let caught: any;
    try {
      parseManifests(secretish, 'deployment', ['body', 'yaml_content']);
    } catch (e) {
      caught = e;
    }
    expect(caught.status).toBe(422);
    expect(caught.issues[0].loc).toEqual(['body', 'yaml_content']);
    expect(JSON.stringify(caught)).not.toContain('hunter2');
    expect(caught.issues[0].msg).toMatch(/line \d+/);
    expect(() => parseManifests(secretish, 'job')).toThrow(expect.objectContaining({ status: 400 }));
  });
});
