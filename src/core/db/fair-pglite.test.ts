import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { fairPglite } from './fair-pglite.ts';

/** Queues `n` queries at once and records when a timer (standing for a request arriving) gets to run among them. */
async function timerAmongQueries(client: Pick<PGlite, 'query'>, n: number): Promise<number> {
  const order: string[] = [];
  const queries = Array.from({ length: n }, (_, i) => client.query(`SELECT ${i} AS i, repeat('x', 1000)`).then(() => order.push(`q${i}`)));
  const timer = new Promise<void>((r) =>
    setTimeout(() => {
      order.push('timer');
      r();
    }, 0),
  );
  await Promise.all([...queries, timer]);
  return order.indexOf('timer');
}

describe('fairPglite', () => {
  it('lets the event loop run between queued queries (PGlite alone drains its queue first)', async () => {
    const client = await PGlite.create();
    try {
      expect(await timerAmongQueries(client, 40)).toBe(40); // the behaviour the gate exists for
      expect(await timerAmongQueries(fairPglite(client), 40)).toBeLessThan(5);
    } finally {
      await client.close();
    }
  });

  it('keeps order, results, errors and transactions', async () => {
    const client = await PGlite.create();
    const fair = fairPglite(client);
    try {
      await fair.exec('CREATE TABLE t (n int)');
      const done: number[] = [];
      await Promise.all(Array.from({ length: 10 }, (_, i) => fair.query('INSERT INTO t VALUES ($1)', [i]).then(() => done.push(i))));
      expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await expect(fair.query('SELECT nope FROM t')).rejects.toThrow(/nope/);
      await fair.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (100)');
        await tx.query('INSERT INTO t VALUES (101)');
      });
      await expect(
        fair.transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (200)');
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      const r = await fair.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
      expect(r.rows[0].n).toBe(12);
      expect(fair.closed).toBe(false);
    } finally {
      await client.close();
    }
  });
});
