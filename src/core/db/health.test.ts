import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase } from './client.ts';
import { healthProbe } from './health.ts';

/** A check whose calls are counted and whose answers the test releases by hand. */
function controlledCheck() {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let calls = 0;
  const check = () =>
    new Promise<void>((resolve, reject) => {
      calls++;
      pending.push({ resolve, reject });
    });
  return { check, pending, calls: () => calls };
}

describe('healthProbe answers from a recent check', () => {
  it('waits for the first check, then answers from it while a refresh is in flight, until it is stale', async () => {
    let t = 0;
    const c = controlledCheck();
    const probe = healthProbe(c.check, { freshMs: 1000, staleMs: 10_000, waitMs: 50, now: () => t });
    const first = probe();
    expect(c.calls()).toBe(1);
    c.pending[0].resolve();
    await first;
    // fresh: no new check
    t = 500;
    await probe();
    expect(c.calls()).toBe(1);
    // older than fresh: one refresh starts, and the probe does not wait for it
    t = 2000;
    await probe();
    await probe();
    expect(c.calls()).toBe(2);
    // the refresh hangs (the connection is busy); past stale the probe waits waitMs and says the database is down
    t = 10_001;
    await expect(probe()).rejects.toThrow(/did not answer within/);
    expect(c.calls()).toBe(2); // the hung check is not duplicated
    c.pending[1].resolve();
    await new Promise((r) => setImmediate(r));
    await probe();
  });

  it('reports a failed check (with its reason) until a later one succeeds', async () => {
    let t = 0;
    const c = controlledCheck();
    const probe = healthProbe(c.check, { freshMs: 1000, staleMs: 10_000, waitMs: 50, now: () => t });
    const p = probe();
    c.pending[0].reject(new Error('connection refused'));
    await expect(p).rejects.toThrow('connection refused');
    t = 1500;
    const q = probe();
    await expect(q).rejects.toThrow('connection refused'); // the last answer, while the refresh runs
    c.pending[1].resolve();
    await new Promise((r) => setImmediate(r));
    await probe();
  });
});

describe('ping on PGlite does not queue behind queries', () => {
  it('answers before a backlog of queries on the one connection finishes', async () => {
    const d = await openDatabase({});
    try {
      await d.db.execute(sql`CREATE TABLE t AS SELECT g AS n, repeat('x', 200) AS pad FROM generate_series(1, 5000) g`);
      await d.ping(); // a first check
      const order: string[] = [];
      const backlog = Array.from({ length: 30 }, (_, i) =>
        d.db.execute(sql`SELECT count(*) FROM t a WHERE a.pad LIKE ${'%' + i + '%'}`).then(() => order.push(`q${i}`)),
      );
      const ping = d.ping().then(() => order.push('ping'));
      await Promise.all([...backlog, ping]);
      expect(order.indexOf('ping')).toBeLessThan(order.indexOf('q29'));
      expect(order.indexOf('ping')).toBeLessThan(5);
    } finally {
      await d.close();
    }
  });
});
