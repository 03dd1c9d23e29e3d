/**
 * The benchmark job of a real run: a ConfigMap with the runner's config (and the dataset rows), a Secret with a cloud
 * model's API key (the Job references it: the key is never in the Job's env in clear), and a Job running the BenchOps
 * runner image (`benchops job run`), which posts raw and standardized results under the run's id. Applied and deleted
 * through the deployer's YAML endpoints.
 */
import { stringify } from 'yaml';
/** The runner image (the deployer's local executor runs it as a local process). */
export const RUNNER_IMAGE = 'ghcr.io/benchops/benchops:latest';
const CONFIG_DIR = '/app/configs';
/**
 * Where the job finds the dataset file: the mounted path on Kubernetes; the local executor materialises mounts under
 * `mounts/` in the job's work folder (its working directory), and the runner reads `dataset_path` as given.
 */
export function datasetPathFor(executor) {
    return executor === 'kubernetes' ? `${CONFIG_DIR}/dataset.jsonl` : `mounts${CONFIG_DIR}/dataset.jsonl`;
}
/** The job's objects. */
export function jobManifests(i) {
    const base = `benchops-wf-${i.runId.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 12)}`;
    const names = { job: base, configMap: `${base}-config`, secret: i.apiKey ? `${base}-key` : null };
    const labels = { 'app.kubernetes.io/part-of': 'benchops', 'benchops.io/workflow-id': i.workflowId, 'benchops.io/workflow-run-id': i.runId };
    const env = [
        { name: 'VLLM_MODEL_ENDPOINT', value: i.endpoint },
        { name: 'SERVED_MODEL_NAME', value: i.servedModelName },
        { name: 'MODEL_NAME', value: i.modelName },
        { name: 'BENCHOPS_RUN_ID', value: i.resultRunId },
    ];
    if (names.secret)
        env.push({ name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: names.secret, key: 'api_key' } } });
    if (i.executor === 'kubernetes') {
        // local runner processes get both from the executor; a cluster pod needs them in its spec
        if (i.resultsUrl)
            env.push({ name: 'BENCHOPS_RESULTS_URL', value: i.resultsUrl });
        if (i.runnerTokenSecret) {
            const [name, key = 'token'] = i.runnerTokenSecret.split(':');
            env.push({ name: 'BENCHOPS_TOKEN', valueFrom: { secretKeyRef: { name, key, optional: true } } });
        }
    }
    const configMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: names.configMap, labels },
        data: {
            'eval_config.json': JSON.stringify(i.config, null, 2),
            ...(i.datasetContent !== null ? { 'dataset.jsonl': i.datasetContent } : {}),
        },
    };
    const secret = names.secret
        ? { apiVersion: 'v1', kind: 'Secret', metadata: { name: names.secret, labels }, type: 'Opaque', stringData: { api_key: i.apiKey } }
        : null;
    const job = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: names.job, labels },
        spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: i.deadlineSeconds,
            template: {
                metadata: { labels },
                spec: {
                    restartPolicy: 'Never',
                    containers: [
                        {
                            name: 'benchmark',
                            image: RUNNER_IMAGE,
                            args: ['job', 'run'],
                            env,
                            volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR }],
                            resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '1Gi' } },
                        },
                    ],
                    volumes: [{ name: 'config', configMap: { name: names.configMap } }],
                },
            },
        },
    };
    const docs = [configMap, ...(secret ? [secret] : []), job];
    const byName = docs.map((d) => ({ apiVersion: d.apiVersion, kind: d.kind, metadata: { name: d.metadata.name } }));
    return { yaml: docs.map((d) => stringify(d)).join('---\n'), deleteYaml: byName.map((d) => stringify(d)).join('---\n'), names };
}
//# sourceMappingURL=job.js.map