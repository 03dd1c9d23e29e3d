import { describe, expect, it } from 'vitest';
import { enginesOf, isDnsLabel, k8sName, releaseName, versionBranch } from './names.ts';

describe('Kubernetes names for MLflow names', () => {
  it('keeps names that are already labels (lower-cased) and hashes any lossy change', () => {
    expect(k8sName('Qwen3-8B')).toBe('qwen3-8b');
    expect(k8sName('org/model')).toMatch(/^org-model-[0-9a-f]{6}$/);
    // two MLflow names that would collapse onto one label stay apart
    expect(k8sName('org/model')).not.toBe(k8sName('org-model'));
    expect(k8sName('org/model')).not.toBe(k8sName('org.model'));
  });

  it('gives a valid release, service account and branch for any name', () => {
    for (const n of ['org/Model Name.v2', '  spaced  ', '___', 'ünïcödé/模型', 'a'.repeat(300), '-lead', 'x--y', "it's: {yaml}\n"]) {
      const base = k8sName(n);
      expect(isDnsLabel(base), n).toBe(true);
      for (const e of ['vllm', 'tensorrt-llm'] as const) {
        expect(isDnsLabel(releaseName(e, n)), `${e} ${n}`).toBe(true);
        expect(isDnsLabel(`${releaseName(e, n)}-sa`), `${e} ${n} sa`).toBe(true);
      }
      expect(versionBranch(n, '12')).toMatch(/^mlflow\/[a-z0-9-]+-v12$/);
      // stable: the same name always maps to the same label
      expect(k8sName(n)).toBe(base);
    }
  });

  it('reads the engine setting like the earlier service, without crashing on anything else', () => {
    expect(enginesOf('all')).toEqual(['vllm', 'tensorrt-llm']);
    expect(enginesOf('tensorrt-llm')).toEqual(['tensorrt-llm']);
    expect(enginesOf('bogus')).toEqual(['vllm']);
  });
});

describe('MLflow client', () => {
  it('sends user info of the tracking URI as basic auth and never shows it in errors', async () => {
    const { MlflowClient } = await import('./mlflow-client.ts');
    const c = new MlflowClient({ baseUrl: 'http://user:hunter2-secret@127.0.0.1:9', timeoutMs: 2000 });
    const e = await c.ping().catch((x) => x);
    expect(String(e.message)).toMatch(/MLflow unreachable at http:\/\/127\.0\.0\.1:9/);
    expect(String(e.message)).not.toContain('hunter2');
    const { createServer } = await import('node:http');
    let seen = '';
    const srv = createServer((req, res) => {
      seen = String(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"registered_models": []}');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as any).port;
    await new MlflowClient({ baseUrl: `http://ml%40user:p%3Ass@127.0.0.1:${port}/` }).searchRegisteredModels();
    srv.close();
    expect(seen).toBe(`Basic ${Buffer.from('ml@user:p:ss').toString('base64')}`);
  });
});
