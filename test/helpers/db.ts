/** Fresh, migrated databases for tests: in-memory PGlite, or a new database on the suite's PostgreSQL server. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/core/db/client.ts';
import { runMigrations } from '../../src/core/db/migrate.ts';

export const DB_KINDS = ['pglite', 'postgres'] as const;
export type DbKind = (typeof DB_KINDS)[number];

/** Creates an empty database on the test server and returns its URL. */
export async function createPgDatabase(): Promise<string> {
  const admin = inject('pgAdminUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A migrated database of the given kind; `close()` releases it. */
export async function freshDatabase(kind: DbKind): Promise<Database & { url?: string }> {
  const url = kind === 'postgres' ? await createPgDatabase() : undefined;
  const database = await openDatabase({ databaseUrl: url });
  await runMigrations(database);
  return Object.assign(database, { url });
}
