import { describe, expect, it } from 'vitest';
import { inShapeOf, rewriteJobEnv, splitEndpoint } from './endpoint-env.ts';

/** The earlier vllm-benchmark image's container, as its public manifest declares it. */
const vllmBenchmark = () => ({
  containers: [
    {
      name: 'vllm-benchmark',
      image: 'ghcr.io/thakicloud/vllm-eval-public-vllm-benchmark:v1.1.0',
      env: [
        { name: 'VLLM_ENDPOINT', value: 'http://vllm:8000' },
        { name: 'MODEL_NAME', value: 'Qwen/Qwen3-8B' },
        { name: 'SERVED_MODEL_NAME', value: 'qwen3-8b' },
        { name: 'RANDOM_INPUT_LEN', value: '512' },
        { name: 'BACKEND_API', value: 'http://model-benchmark-backend-svc:8000' },
      ],
    },
  ],
});

const value = (pod: any, name: string, c = 0) => pod.containers[c].env.find((e: any) => e.name === name)?.value;

describe('endpoint shapes', () => {
  it('splits an endpoint into its base and API form', () => {
    expect(splitEndpoint('http://vllm:8000/v1/completions')).toEqual({ base: 'http://vllm:8000', suffix: '/v1/completions' });
    expect(splitEndpoint('https://gw.example/api/models/x/v1/chat/completions')).toEqual({ base: 'https://gw.example/api/models/x', suffix: '/v1/chat/completions' });
    expect(splitEndpoint('http://vllm:8000/v1/')).toEqual({ base: 'http://vllm:8000', suffix: '/v1/' });
    expect(splitEndpoint('http://vllm:8000/')).toEqual({ base: 'http://vllm:8000', suffix: '' });
    expect(splitEndpoint('http://u:p@vllm:8000/v1')).toEqual({ base: 'http://u:p@vllm:8000', suffix: '/v1' });
    for (const bad of ['', 'vllm:8000', 'file:///etc/passwd', 'VLLM_SERVICE_NAME', 'http://a b']) expect(splitEndpoint(bad), bad).toBeUndefined();
  });

  it('keeps the form the container declared: base URL, /v1 or /v1/completions', () => {
    const target = 'http://qwen.vllm:8000/v1/chat/completions';
    expect(inShapeOf('http://vllm:8000', target, 'VLLM_ENDPOINT')).toBe('http://qwen.vllm:8000');
    expect(inShapeOf('http://vllm:8000/v1', target, 'OPENAI_BASE_URL')).toBe('http://qwen.vllm:8000/v1');
    expect(inShapeOf('http://vllm:8000/v1/completions', target, 'VLLM_MODEL_ENDPOINT')).toBe('http://qwen.vllm:8000/v1/completions');
    expect(inShapeOf('http://vllm:8000/v1/completions', 'http://x:1', 'MODEL_ENDPOINT')).toBe('http://x:1/v1/completions');
    // nothing to take the shape from: the OpenAI SDKs want /v1, the earlier image a base URL, the rest the given form
    expect(inShapeOf('', target, 'OPENAI_API_BASE')).toBe('http://qwen.vllm:8000/v1');
    expect(inShapeOf('changeme', target, 'VLLM_ENDPOINT')).toBe('http://qwen.vllm:8000');
    expect(inShapeOf('', target, 'MODEL_ENDPOINT')).toBe(target);
  });
});

describe('rewriting the declared endpoint, model and results variables', () => {
  it('points the earlier vllm-benchmark image at the run, model and results service (and says so)', () => {
    const pod = vllmBenchmark();
    const r = rewriteJobEnv(pod, {
      endpoint: 'http://vllm-tiny.vllm:8000/v1',
      model: { served_model_name: 'tiny', model_name: 'org/Tiny-1B' },
      resultsUrl: 'http://benchops-results:8000',
      annotations: {},
    });
    expect(value(pod, 'VLLM_ENDPOINT')).toBe('http://vllm-tiny.vllm:8000');
    // next to a served-name variable, MODEL_NAME is the model itself (the tokenizer name)
    expect(value(pod, 'MODEL_NAME')).toBe('org/Tiny-1B');
    expect(value(pod, 'SERVED_MODEL_NAME')).toBe('tiny');
    expect(value(pod, 'BACKEND_API')).toBe('http://benchops-results:8000');
    expect(value(pod, 'RANDOM_INPUT_LEN')).toBe('512');
    // seed 000's variable is added where it was not declared
    expect(pod.containers[0].env.at(-1)).toEqual({ name: 'VLLM_MODEL_ENDPOINT', value: 'http://vllm-tiny.vllm:8000/v1' });
    expect(r.rewrites.map((x) => `${x.family}:${x.name}:${x.from}→${x.to}`)).toEqual([
      'endpoint:VLLM_ENDPOINT:http://vllm:8000→http://vllm-tiny.vllm:8000',
      'model:MODEL_NAME:Qwen/Qwen3-8B→org/Tiny-1B',
      'model:SERVED_MODEL_NAME:qwen3-8b→tiny',
      'results:BACKEND_API:http://model-benchmark-backend-svc:8000→http://benchops-results:8000',
      'endpoint:VLLM_MODEL_ENDPOINT:→http://vllm-tiny.vllm:8000/v1',
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('rewrites the common names real images read, and MODEL_NAME alone becomes the served name', () => {
    const pod: any = {
      containers: [
        {
          name: 'lm-eval',
          env: [
            { name: 'OPENAI_API_BASE', value: 'http://old:8000/v1' },
            { name: 'OPENAI_BASE_URL', value: 'http://old:8000/v1/' },
            { name: 'API_BASE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'api' } } },
            { name: 'MODEL_ENDPOINT', value: 'http://old:8000/v1/completions' },
            { name: 'MODEL_NAME', value: 'old-model' },
            { name: 'DERIVED', value: '$(MODEL_ENDPOINT)/extra' },
            { name: 'BACKEND_API', value: 'openai-chat' },
          ],
        },
      ],
    };
    const r = rewriteJobEnv(pod, { endpoint: 'http://new:9000', model: { served_model_name: 'new-served', model_name: 'org/new' }, annotations: {} });
    expect(value(pod, 'OPENAI_API_BASE')).toBe('http://new:9000/v1');
    expect(value(pod, 'OPENAI_BASE_URL')).toBe('http://new:9000/v1/');
    expect(pod.containers[0].env.find((e: any) => e.name === 'API_BASE')).toEqual({ name: 'API_BASE', value: 'http://new:9000/v1' });
    expect(value(pod, 'MODEL_ENDPOINT')).toBe('http://new:9000/v1/completions');
    expect(value(pod, 'MODEL_NAME')).toBe('new-served');
    // a value built from another variable follows it; a non-URL BACKEND_API names an API and stays
    expect(value(pod, 'DERIVED')).toBe('$(MODEL_ENDPOINT)/extra');
    expect(value(pod, 'BACKEND_API')).toBe('openai-chat');
    expect(r.rewrites.map((x) => x.name)).toEqual(['OPENAI_API_BASE', 'OPENAI_BASE_URL', 'API_BASE', 'MODEL_ENDPOINT', 'MODEL_NAME', 'VLLM_MODEL_ENDPOINT']);
  });

  it('honours the per-job annotations: off, extra names, skipped names; a bad name is a 400 naming the annotation', () => {
    const off = vllmBenchmark();
    const r = rewriteJobEnv(off, {
      endpoint: 'http://new:9000/v1/completions',
      model: { served_model_name: 'm' },
      resultsUrl: 'http://r:8000',
      annotations: { 'benchops.io/endpoint-env': 'off', 'benchops.io/model-env': 'off', 'benchops.io/results-env': 'off' },
    });
    expect(value(off, 'VLLM_ENDPOINT')).toBe('http://vllm:8000');
    expect(value(off, 'SERVED_MODEL_NAME')).toBe('qwen3-8b');
    expect(value(off, 'BACKEND_API')).toBe('http://model-benchmark-backend-svc:8000');
    // seed 000's own variable is still set, as given
    expect(r.rewrites.map((x) => x.name)).toEqual(['VLLM_MODEL_ENDPOINT']);

    const pod: any = vllmBenchmark();
    pod.containers[0].env.push({ name: 'MY_LLM_URL', value: 'http://old:1/v1' }, { name: 'MY_MODEL', value: 'x' });
    rewriteJobEnv(pod, {
      endpoint: 'http://new:9000',
      model: { served_model_name: 'm' },
      annotations: { 'benchops.io/endpoint-env': 'MY_LLM_URL, -VLLM_ENDPOINT', 'benchops.io/model-env': '+MY_MODEL' },
    });
    expect(value(pod, 'MY_LLM_URL')).toBe('http://new:9000/v1');
    expect(value(pod, 'VLLM_ENDPOINT')).toBe('http://vllm:8000');
    expect(value(pod, 'MY_MODEL')).toBe('m');
    expect(() => rewriteJobEnv(vllmBenchmark(), { endpoint: 'http://x:1', annotations: { 'benchops.io/model-env': 'A, b-c' } })).toThrow(
      expect.objectContaining({ status: 400, detail: expect.stringContaining('benchops.io/model-env') }),
    );
  });

  it('warns where it cannot point a job at its model or results', () => {
    const pod: any = vllmBenchmark();
    pod.containers[0].envFrom = [{ configMapRef: { name: 'endpoints' } }];
    const r = rewriteJobEnv(pod, { endpoint: 'http://new:9000', annotations: {} });
    expect(value(pod, 'SERVED_MODEL_NAME')).toBe('qwen3-8b');
    expect(r.warnings).toEqual([
      expect.stringMatching(/BACKEND_API points at http:\/\/model-benchmark-backend-svc:8000 and BenchOps does not know its own results URL/),
      expect.stringMatching(/takes variables from envFrom/),
      expect.stringMatching(/names its model in MODEL_NAME, SERVED_MODEL_NAME; the run gives an endpoint but no model name, so they keep/),
    ]);
  });
});
