/** Fresh, migrated databases for tests: in-memory PGlite, or a new database on the suite's PostgreSQL server. */
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/core/db/client.ts';
import { runMigrations } from '../../src/core/db/migrate.ts';
import { createDatabase } from '../setup/postgres-admin.ts';

export const DB_KINDS = ['pglite', 'postgres'] as const;
export type DbKind = (typeof DB_KINDS)[number];

/** Creates an empty database on the test server and returns its URL. */
export function createPgDatabase(): Promise<string> {
  return createDatabase(inject('pgAdminUrl'), 't');
}

/** A migrated database of the given kind; `close()` releases it. */
export async function freshDatabase(kind: DbKind): Promise<Database & { url?: string }> {
  const url = kind === 'postgres' ? await createPgDatabase() : undefined;
  const database = await openDatabase({ databaseUrl: url });
  await runMigrations(database);
  return Object.assign(database, { url });
}
