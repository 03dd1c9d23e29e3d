/** `benchops db migrate`: apply pending migrations to the configured database and exit. */
import type { Command } from 'commander';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/client.ts';
import { runMigrations } from '../core/db/migrate.ts';

/** Applies the migrations; resolves to the line to print. Throws with a message meant for the user. */
async function migrate(): Promise<string> {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await runMigrations(database);
    return `Migrations applied for: ${applied.join(', ') || '(none)'} on ${database.kind}`;
  } finally {
    await database.close();
  }
}

export function registerDb(program: Command): void {
  const db = program.command('db').description('Database maintenance');
  db.command('migrate')
    .description('Apply pending migrations (PGlite in BENCHOPS_DATA_DIR, or DATABASE_URL) and exit')
    .action(async () => {
      try {
        console.log(await migrate());
      } catch (e: any) {
        // The message says what to do (folder in use, bad configuration, server unreachable); a stack trace would bury it.
        console.error(`benchops db migrate: ${e?.message ?? e}`);
        process.exitCode = 1;
      }
    });
}
