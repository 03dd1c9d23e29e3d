/** The Prometheus exporter against the database directly: families appear, move, disappear, and survive a failed read. */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/db/client.ts';
import { installResultsExporter } from '../src/services/results/prometheus.ts';
import { ResultsService } from '../src/services/results/service.ts';
import { DB_KINDS, freshDatabase } from './helpers/db.ts';

const log = pino({ level: 'silent' });

describe.each(DB_KINDS)('results exporter (%s)', (kind) => {
  // One database for the suite (tests use their own model ids); the last test closes it.
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase(kind);
  });
  afterAll(async () => {
    await database?.close().catch(() => {});
  });

  const setup = async () => {
    const service = new ResultsService(database.db, log);
    const registry = new Registry();
    installResultsExporter(registry, database.db, log);
    return { database, service, registry };
  };
  const envelope = { benchmark_name: 'evalchemy-run', model_id: 'm1', tokenizer_id: 'm1', source: 'evalchemy', run_id: 'r1', timestamp: '2026-05-01T00:00:00Z' };
  const evalchemy = {
    results: { custom_task_1: { 'exact_match,none': 0.6, 'exact_match_stderr,none': 0.2 }, AIME24: { accuracy: 0.3, accuracy_avg: 0.28 } },
  };

  it('exports a family on the first scrape after the post, and drops it when its only result no longer has it', async () => {
    const { service, registry } = await setup();
    expect(await registry.metrics()).not.toContain('vllm_eval_');
    await service.postRaw({ ...envelope, data: evalchemy });
    let text = await registry.metrics();
    expect(text).toContain('vllm_eval_exact_match{task="custom_task_1",filter="none",model_tag="m1"} 0.6');
    expect(text).toContain('vllm_eval_accuracy_avg{task="AIME24",filter="none",model_tag="m1"} 0.28');
    // The earlier images post their own standardized document after the raw one: it replaces the derived one.
    await service.postStandardized({ ...envelope, data: { results: { custom_task_1: { exact_match: 0.65 } } } });
    text = await registry.metrics();
    expect(text).toContain('vllm_eval_exact_match{task="custom_task_1",filter="none",model_tag="m1"} 0.65');
    expect(text).not.toContain('vllm_eval_accuracy_avg');
    expect(text).not.toContain('vllm_eval_accuracy{');
    const json = await registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'vllm_eval_exact_match')?.values).toEqual([{ labels: { task: 'custom_task_1', filter: 'none', model_tag: 'm1' }, value: 0.65 }]);
  });

  it('keeps one series per (task, model): the newest result wins whatever the posting order', async () => {
    const { service, registry } = await setup();
    const post = (run: string, ts: string, v: number, model: string) =>
      service.postStandardized({ ...envelope, source: 's', model_id: model, run_id: run, timestamp: ts, data: { results: { t: { exact_match: v } } } });
    await post('b', '2026-05-02T00:00:00Z', 0.2, 'm3');
    await post('a', '2026-05-01T00:00:00Z', 0.1, 'm3');
    await post('c', '2026-05-01T12:00:00Z', 0.15, 'm4');
    const text = await registry.metrics();
    expect(text.split('\n').filter((l) => l.startsWith('vllm_eval_exact_match{task="t"'))).toEqual([
      'vllm_eval_exact_match{task="t",filter="none",model_tag="m3"} 0.2',
      'vllm_eval_exact_match{task="t",filter="none",model_tag="m4"} 0.15',
    ]);
  });

  it('a failed database read keeps the previous values and says so in benchops_results_export_up', async () => {
    const { service, registry } = await setup();
    await service.postStandardized({ ...envelope, run_id: 'perf', source: 's', data: { performance: { latency: { ttft_ms: { p99: 12.5 } } } } });
    expect(await registry.metrics()).toContain('benchops_perf_ttft_ms{model_tag="m1",benchmark="evalchemy-run",stat="p99"} 12.5');
    await database.close();
    const text = await registry.metrics();
    expect(text).toContain('benchops_results_export_up 0');
    expect(text).toContain('benchops_perf_ttft_ms{model_tag="m1",benchmark="evalchemy-run",stat="p99"} 12.5');
  });
});
