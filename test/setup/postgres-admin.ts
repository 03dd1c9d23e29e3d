/**
 * A PostgreSQL server for scripts outside vitest (the benchmarks), and empty databases on it: the same server the
 * test setup starts (Debian's `postgres`), or TEST_DATABASE_URL when set.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import setup from './global-postgres.ts';

/** Starts the server (or uses TEST_DATABASE_URL); `stop()` shuts down what was started. */
export async function startPostgresServer(): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) return { adminUrl: process.env.TEST_DATABASE_URL, stop: async () => {} };
  let adminUrl = '';
  const teardown = await setup({ provide: (_k: string, v: string) => (adminUrl = v) } as any);
  return { adminUrl, stop: async () => void (await (teardown as any)?.()) };
}

/** Creates an empty database named `<prefix>_<random>` and returns its URL. */
export async function createDatabase(adminUrl: string, prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
