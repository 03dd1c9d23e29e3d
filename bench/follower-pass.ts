/**
 * The Git follower's figures, embedded (PGlite): (1) "values file committed → model served": wall time from the commit
 * of a new values file, through the manager's sync and the follower's pass, to the emulated server listing the model on
 * /v1/models; (2) the steady-state cost of a pass over a project with many values files (a few deployed, the rest
 * invalid, so nothing deploys): median and p90 of `POST /follow/{id}/sync` over repeated passes, with the queue items
 * made (which must stay at the deployed count: a pass that changes nothing makes none).
 *
 *   npx tsx bench/follower-pass.ts [--files 200] [--deployed 3] [--passes 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { DEFAULT_PORTS, loadConfig } from '../src/core/config.ts';
import { startPlatform } from '../src/platform/start.ts';
import { makeRepo } from '../test/helpers/git.ts';
import { arg, percentileOf as pct } from './common.ts';

const FILES = Number(arg('files', '200'));
const DEPLOYED = Number(arg('deployed', '3'));
const PASSES = Number(arg('passes', '30'));

const values = (served: string) => `vllm:\n  model: Qwen/Qwen3-0.6B\n  servedModelName: ${served}\n  maxModelLen: 1024\n`;

async function json(url: string, init?: RequestInit & { body?: string }): Promise<any> {
  const res = await fetch(url, { ...init, headers: init?.body ? { 'content-type': 'application/json' } : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function until<T>(fn: () => Promise<T | null>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}


async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-follow-bench-'));
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES - DEPLOYED; i++) files[`vllm/custom-values-bad-${String(i).padStart(4, '0')}.yaml`] = `vllm:\n  model: m\n  maxModelLen: [not, a, number]\n  n: ${i}\n`;
  const repo = makeRepo(files);
  const env = {
    BENCHOPS_DATA_DIR: dataDir,
    BENCHOPS_DEMO: '0',
    BENCHOPS_LOG_LEVEL: 'warn',
    BENCHOPS_POLL_TICK_SECONDS: '0.5',
    BENCHOPS_LOCAL_DEVICES: `cpu:${Math.max(4, DEPLOYED + 1)}`,
    ...Object.fromEntries(Object.keys(DEFAULT_PORTS).map((s) => [`BENCHOPS_${s.toUpperCase()}_PORT`, '0'])),
  };
  const platform = await startPlatform({ config: loadConfig(env), services: ['manager', 'vllm'], logStream: new PassThrough() });
  const urls = platform.urls as Record<string, string>;
  try {
    const p = await json(`${urls.manager}/projects`, {
      method: 'POST',
      body: JSON.stringify({ name: 'bench', project_type: 'vllm', github_repo_url: repo.url, vllm_values_path: 'vllm', polling_interval: 0 }),
    });
    const id = p.project_id ?? p.project?.project_id ?? p.id;
    await json(`${urls.manager}/projects/${id}/sync`, { method: 'POST' });
    await json(`${urls.vllm}/follow/${id}`, { method: 'PUT', body: '{}' });

    // (1) commit → served, one file at a time
    const served: number[] = [];
    for (let i = 0; i < DEPLOYED; i++) {
      const name = `bench-${i}`;
      const t0 = performance.now();
      repo.commit({ [`vllm/custom-values-${name}.yaml`]: values(name) }, `add ${name}`);
      await json(`${urls.manager}/projects/${id}/sync`, { method: 'POST' });
      await json(`${urls.vllm}/follow/${id}/sync`, { method: 'POST' });
      await until(async () => {
        const f = (await json(`${urls.vllm}/follow/${id}`)).files.find((x: any) => x.path === `vllm/custom-values-${name}.yaml`);
        if (!f?.endpoint) return null;
        const m = await json(`${f.endpoint}/v1/models`);
        return m.data.some((x: any) => x.id === name) ? true : null;
      });
      served.push(performance.now() - t0);
    }
    console.log(`commit → sync → follower → /v1/models lists the model: ${served.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')}`);

    // (2) steady state: passes that change nothing
    const before = (await json(`${urls.vllm}/queue/list?limit=1000`)).length;
    const times: number[] = [];
    for (let i = 0; i < PASSES; i++) {
      const t0 = performance.now();
      const r = await json(`${urls.vllm}/follow/${id}/sync`, { method: 'POST' });
      times.push(performance.now() - t0);
      if (r.result.deployed || r.result.stopped || r.result.healed) throw new Error(`a steady pass acted: ${JSON.stringify(r.result)}`);
    }
    const after = (await json(`${urls.vllm}/queue/list?limit=1000`)).length;
    const states = (await json(`${urls.vllm}/follow/${id}`)).files;
    console.log(
      `steady pass over ${FILES} values files (${DEPLOYED} deployed, ${states.filter((f: any) => f.status === 'invalid').length} invalid): ` +
        `median ${pct(times, 50).toFixed(1)} ms, p90 ${pct(times, 90).toFixed(1)} ms over ${PASSES} passes (each a POST /follow/{id}/sync round trip); ` +
        `queue items before ${before}, after ${after}`,
    );
  } finally {
    await platform.close();
    repo.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
