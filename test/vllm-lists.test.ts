/**
 * The vLLM list endpoints stay cheap and exact (issue 10 item 14): `GET /deployments` (the earlier object map) and
 * `GET /queue/list` are served from a cache keyed by query and table version, which a trigger bumps on every write —
 * also writes this process did not make (another replica) — so a cached answer is never stale; ETags give 304s; the
 * sealed column is never read for a list. PGlite and PostgreSQL.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/db/client.ts';
import { ListCache } from '../src/services/vllm/list-cache.ts';
import type { VllmModule } from '../src/services/vllm/index.ts';
import { DB_KINDS, freshDatabase } from './helpers/db.ts';
import { FakeDeployer, fakeModule, serveModule } from './vllm-fakes.ts';

describe.each(DB_KINDS)('vLLM list endpoints (%s)', (kind) => {
  let db: Database;
  let mod: VllmModule;
  let srv: Awaited<ReturnType<typeof serveModule>>;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(srv.base + path, { headers }).then(async (r) => ({ status: r.status, etag: r.headers.get('etag'), total: r.headers.get('x-total-count'), body: (await r.text()) as string }));

  beforeAll(async () => {
    db = await freshDatabase(kind);
    mod = fakeModule(db, new FakeDeployer(0));
    srv = await serveModule(mod);
    for (let i = 0; i < 3; i++) {
      await db.db.execute(sql`INSERT INTO vllm_deployments (id, name, cluster_id, backend, namespace, status, config, fingerprint, resources, secrets_enc, created_at)
        VALUES (${`d${i}`}, ${`vllm-m-d${i}`}, 'local', 'local', 'local', 'stopped', ${JSON.stringify({ model_name: `org/m${i}` })}::jsonb, 'fp', '{}'::jsonb, 'v1:SEALED-MARKER', now() - ${`${i} minutes`}::interval)`);
    }
  });
  afterAll(async () => {
    await srv?.close();
    await mod?.stop!();
    await db?.close();
  });

  it('answers the object map from the cache until any writer changes the table, then the new state', async () => {
    const a = await get('/deployments');
    expect(a.status).toBe(200);
    expect(Object.keys(JSON.parse(a.body))).toEqual(['d0', 'd1', 'd2']);
    expect(a.total).toBe('3');
    expect(a.body).not.toContain('SEALED-MARKER');
    const again = await get('/deployments');
    expect(again.etag).toBe(a.etag);
    expect(again.body).toBe(a.body);
    expect((await get('/deployments', { 'if-none-match': a.etag! })).status).toBe(304);
    // a write this process did not make (another replica): the next answer shows it
    await db.db.execute(sql`UPDATE vllm_deployments SET status = 'failed', error_message = 'elsewhere' WHERE id = 'd1'`);
    const b = await get('/deployments');
    expect(b.etag).not.toBe(a.etag);
    expect(JSON.parse(b.body).d1).toMatchObject({ status: 'failed', error_message: 'elsewhere' });
    expect((await get('/deployments', { 'if-none-match': a.etag! })).status).toBe(200);
    // filters and pages are separate entries, each exact
    expect(Object.keys(JSON.parse((await get('/deployments?status=failed')).body))).toEqual(['d1']);
    expect(Object.keys(JSON.parse((await get('/deployments?limit=1&offset=1')).body))).toEqual(['d1']);
    await db.db.execute(sql`DELETE FROM vllm_deployments WHERE id = 'd2'`);
    const c = await get('/deployments');
    expect(Object.keys(JSON.parse(c.body))).toEqual(['d0', 'd1']);
    expect(c.total).toBe('2');
  });

  it('does the same for the queue list', async () => {
    await mod.core.scheduler.setSettings({ running: false });
    const q1 = await mod.api.enqueue({ skip_vllm_creation: true });
    const a = await get('/queue/list');
    expect(JSON.parse(a.body).map((x: any) => x.queue_request_id)).toEqual([q1.queue_request_id]);
    expect((await get('/queue/list', { 'if-none-match': a.etag! })).status).toBe(304);
    await mod.api.setPriority(q1.queue_request_id, 'urgent');
    const b = await get('/queue/list');
    expect(JSON.parse(b.body)[0].priority).toBe('urgent');
    expect(b.etag).not.toBe(a.etag);
    await mod.api.cancel(q1.queue_request_id);
  });
});

describe('ListCache', () => {
  it('is bounded by entries and bytes, least recently used first, and matches versions exactly', () => {
    const c = new ListCache(2, 1000);
    const e = (v: number, body: string) => ({ version: v, body, total: 1, etag: `"${v}"` });
    c.set('a', e(1, 'x'.repeat(100)));
    c.set('b', e(1, 'y'.repeat(100)));
    expect(c.get('a', 1)?.body).toHaveLength(100);
    expect(c.get('a', 2)).toBeUndefined();
    c.set('c', e(1, 'z'));
    // b was least recently used
    expect(c.get('b', 1)).toBeUndefined();
    expect(c.get('a', 1)).toBeDefined();
    c.set('d', e(1, 'w'.repeat(240)));
    c.set('huge', e(1, 'h'.repeat(400)));
    expect(c.get('huge', 1)).toBeUndefined();
    expect(c.size).toBeLessThanOrEqual(2);
  });
});
