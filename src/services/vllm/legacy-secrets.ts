/**
 * The one-time pass that seals secrets older records kept in clear: `custom_values_content` inside the stored config
 * of queue items and deployments, and `benchmark_configs[].yaml_content` of queue items (written before
 * migration 0001 added `secrets_enc`). SQL cannot encrypt with the platform's key, so it runs at start, in batches,
 * under a lock; it is idempotent (a sealed row no longer matches).
 */
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../core/db/client.ts';
import type { SecretBox } from '../../core/secrets.ts';
import type { VllmConfig } from './models.ts';
import { mergeSecrets, seal, splitSecrets, unseal, type SealedSecrets } from './sealed.ts';
import { vllmDeployments, vllmQueue } from './schema.ts';

const BATCH = 100;

/** Seals what older rows hold in clear; returns how many rows of each table were rewritten. */
export async function sealLegacyRows(db: Db, box: SecretBox, log: Logger): Promise<{ queue: number; deployments: number }> {
  let queue = 0;
  let deployments = 0;
  for (;;) {
    const rows = await db
      .select({ id: vllmQueue.id, cfg: vllmQueue.vllmConfig, jobs: vllmQueue.benchmarkConfigs, enc: vllmQueue.secretsEnc })
      .from(vllmQueue)
      .where(sql`jsonb_exists(coalesce(${vllmQueue.vllmConfig}, '{}'::jsonb), 'custom_values_content') OR jsonb_path_exists(${vllmQueue.benchmarkConfigs}, '$[*].yaml_content')`)
      .limit(BATCH);
    if (!rows.length) break;
    for (const r of rows) {
      const parts: SealedSecrets[] = [];
      let cfg = r.cfg as VllmConfig | null;
      if (cfg) {
        const split = splitSecrets(cfg);
        cfg = split.config;
        parts.push(split.secrets);
      }
      const job_yaml: Record<string, string> = {};
      const jobs = ((r.jobs as Array<Record<string, unknown>>) ?? []).map((b, i) => {
        const { yaml_content, ...rest } = b;
        if (typeof yaml_content === 'string' && yaml_content) job_yaml[String(i)] = yaml_content;
        return yaml_content ? { ...rest, has_yaml_content: true } : rest;
      });
      parts.push({ job_yaml });
      const sealed = seal(box, mergeSecrets(openOrEmpty(box, r.enc, log, r.id), ...parts));
      await db.update(vllmQueue).set({ vllmConfig: cfg, benchmarkConfigs: jobs, secretsEnc: sealed }).where(eq(vllmQueue.id, r.id));
      queue++;
    }
  }
  for (;;) {
    const rows = await db
      .select({ id: vllmDeployments.id, cfg: vllmDeployments.config, enc: vllmDeployments.secretsEnc })
      .from(vllmDeployments)
      .where(sql`jsonb_exists(${vllmDeployments.config}, 'custom_values_content')`)
      .limit(BATCH);
    if (!rows.length) break;
    for (const r of rows) {
      const split = splitSecrets(r.cfg as VllmConfig);
      const sealed = seal(box, mergeSecrets(openOrEmpty(box, r.enc, log, r.id), split.secrets));
      await db.update(vllmDeployments).set({ config: split.config, secretsEnc: sealed }).where(eq(vllmDeployments.id, r.id));
      deployments++;
    }
  }
  return { queue, deployments };
}

function openOrEmpty(box: SecretBox, enc: string | null, log: Logger, id: string): SealedSecrets {
  try {
    return unseal(box, enc);
  } catch {
    // a ciphertext under another key is left unreadable rather than overwritten with nothing
    log.warn({ record: id }, 'sealed secrets of a vLLM record cannot be opened with this key; keeping them');
    throw new Error(`sealed secrets of ${id} cannot be opened (was BENCHOPS_SECRET_KEY changed?)`);
  }
}
