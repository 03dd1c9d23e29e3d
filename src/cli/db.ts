/** `benchops db migrate`: apply pending migrations to the configured database and exit. */
import type { Command } from 'commander';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/client.ts';
import { runMigrations } from '../core/db/migrate.ts';

export function registerDb(program: Command): void {
  const db = program.command('db').description('Database maintenance');
  db.command('migrate')
    .description('Apply pending migrations (PGlite in BENCHOPS_DATA_DIR, or DATABASE_URL) and exit')
    .action(async () => {
      const config = loadConfig();
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const applied = await runMigrations(database);
        console.log(`Migrations applied for: ${applied.join(', ') || '(none)'} on ${database.kind}`);
      } finally {
        await database.close();
      }
    });
}
