/**
 * The MLflow event queue's clock (PGlite and PostgreSQL): a new event is due at once for a claim made right after
 * the insert. The due time comes from the process's clock, the one the claim compares with; the database's now()
 * carries microseconds a claim in the same millisecond is earlier than, and the event then waited for the next poll
 * (seen on CI as a poll reporting new_events 1, processed_models 0).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/db/client.ts';
import { MlflowRepository } from '../src/services/mlflow/repository.ts';
import { DB_KINDS, freshDatabase } from './helpers/db.ts';

describe.each(DB_KINDS)('MLflow event queue (%s)', (kind) => {
  let database: Database;
  let repo: MlflowRepository;
  beforeAll(async () => {
    database = await freshDatabase(kind);
    repo = new MlflowRepository(database.db);
  });
  afterAll(async () => database?.close());

  const ev = (modelName: string, version: string) => ({ modelName, version, engine: 'vllm', trigger: 'poll', selection: 'latest', mlflow: {} });

  it('events inserted (one or many) are due on the process clock, and claimed by the very next claim', async () => {
    const n = 40;
    expect(await repo.insertManyIfNew(Array.from({ length: n }, (_, i) => ev(`many-${i}`, '1')))).toBe(n);
    expect(await repo.insertIfNew(ev('one', '1'))).toBe(true);
    // whole milliseconds: no sub-millisecond part a same-millisecond claim could be earlier than
    const r = await database.db.execute(sql`select count(*)::int as n from mlflow_events where extract(microseconds from next_attempt_at)::bigint % 1000 <> 0`);
    expect(Number(((r as any).rows ?? r)[0].n)).toBe(0);
    const claimed = await repo.claimDue('test', 60_000, 100);
    expect(claimed).toHaveLength(n + 1);
    // the same (model, version, engine) again is not new
    expect(await repo.insertIfNew(ev('one', '1'))).toBe(false);
    expect(await repo.insertManyIfNew([ev('one', '1'), ev('many-0', '1'), ev('fresh', '1')])).toBe(1);
  });
});
