/**
 * deploy/monitoring: the Prometheus alert rules pass `promtool check rules` and their unit tests (`promtool test
 * rules`: a day of results, then regressions), the Grafana dashboard's queries are valid PromQL, every metric the
 * rules and dashboard name is one the platform exports, and the kustomization renders the files verbatim.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './helpers/platform.ts';

const DIR = path.resolve(import.meta.dirname, '../deploy/monitoring');
const RULES = readFileSync(path.join(DIR, 'alert-rules.yaml'), 'utf8');
const DASHBOARD = JSON.parse(readFileSync(path.join(DIR, 'grafana/benchops-overview.json'), 'utf8'));

const has = (bin: string, args: string[]) => {
  try {
    execFileSync(bin, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
// .ci/run installs Debian's `prometheus` (promtool); kubectl is optional
const hasPromtool = has('promtool', ['--version']);
const hasKubectl = has('kubectl', ['version', '--client']);
const promtool = (...args: string[]) => execFileSync('promtool', args, { cwd: DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const dashboardExprs = (): string[] => DASHBOARD.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr as string));

describe.skipIf(!hasPromtool)('alert rules (promtool)', () => {
  it('are valid rules', () => {
    expect(promtool('check', 'rules', 'alert-rules.yaml')).toMatch(/SUCCESS: 5 rules found/);
  });

  it("fire on a >10 % score, throughput or latency regression against the day before, and not on a 5 % dip", () => {
    expect(promtool('test', 'rules', 'alert-rules.test.yaml')).toMatch(/SUCCESS/);
  });

  it("the dashboard's queries are valid PromQL", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dash-'));
    const rules = {
      groups: [{ name: 'dashboard', rules: dashboardExprs().map((e, i) => ({ record: `benchops:dashboard_query_${i}`, expr: e.replaceAll('$model_tag', '.*') })) }],
    };
    writeFileSync(path.join(dir, 'q.yaml'), JSON.stringify(rules));
    expect(execFileSync('promtool', ['check', 'rules', path.join(dir, 'q.yaml')], { encoding: 'utf8' })).toMatch(/SUCCESS/);
  });
});

describe('monitoring names what the platform exports', () => {
  let p: TestPlatform;
  let exported: Set<string>;
  let text: string;
  beforeAll(async () => {
    p = await startTestPlatform({ kind: 'pglite', services: ['results', 'vllm'], background: false });
    const doc = {
      benchmark_name: 'perf',
      model_id: 'm1',
      source: 'benchops-runner',
      data: {
        results: { custom_task_1: { exact_match: 0.7 } },
        performance: {
          summary: { completed: 10, failed: 0 },
          throughput: { output_throughput: 160, request_throughput: 1.5 },
          latency: { ttft_ms: { p50: 50, p99: 140 }, tpot_ms: { p50: 10, p99: 20 }, itl_ms: { p99: 25 }, e2el_ms: { p99: 900 } },
        },
      },
    };
    const r = await fetch(`${p.urls.results}/standardized_output`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
    expect(r.status).toBe(200);
    text = (await (await fetch(`${p.urls.results}/metrics`)).text()) + (await (await fetch(`${p.urls.vllm}/metrics`)).text());
    // families with samples, and declared ones (a gauge by status has no sample while nothing is deployed)
    exported = new Set([...text.matchAll(/^(?:# TYPE )?([a-z_:][a-z0-9_:]*)(?:\{| )/gm)].map((m) => m[1]));
  });
  afterAll(async () => {
    await p?.close();
  });

  it('every metric in the rules and the dashboard exists', () => {
    const named = new Set([...`${RULES}\n${dashboardExprs().join('\n')}`.matchAll(/\b((?:vllm_eval|benchops)_[a-z0-9_]*[a-z0-9])\b/g)].map((m) => m[1]));
    expect(named.size).toBeGreaterThan(8);
    for (const n of named) expect(exported, n).toContain(n);
  });

  it('scores carry the labels the rules read and the promtool tests feed (task, filter, model_tag)', () => {
    const line = text.split('\n').find((l) => l.startsWith('vllm_eval_exact_match{'));
    expect(line).toBe('vllm_eval_exact_match{task="custom_task_1",filter="none",model_tag="m1"} 0.7');
    const fed = [...readFileSync(path.join(DIR, 'alert-rules.test.yaml'), 'utf8').matchAll(/series: 'vllm_eval_\w+\{([^}]*)\}'/g)];
    expect(fed.length).toBeGreaterThan(3);
    for (const [, labels] of fed) expect(labels.split(',').map((l) => l.split('=')[0].trim()).sort()).toEqual(['filter', 'model_tag', 'task']);
  });
});

describe.skipIf(!hasKubectl)('deploy/monitoring kustomization', () => {
  it('renders the rules and the dashboard verbatim into labelled ConfigMaps', () => {
    const docs = parseAllDocuments(execFileSync('kubectl', ['kustomize', DIR], { encoding: 'utf8' })).map((d) => d.toJSON());
    const rules = docs.find((d) => d.metadata.name === 'benchops-alert-rules');
    const dash = docs.find((d) => d.metadata.name === 'benchops-grafana-dashboards');
    expect(rules.metadata.labels).toMatchObject({ role: 'alert-rules' });
    expect(rules.data['alert-rules.yaml']).toBe(RULES);
    expect(dash.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(JSON.parse(dash.data['benchops-overview.json'])).toEqual(DASHBOARD);
  });
});
