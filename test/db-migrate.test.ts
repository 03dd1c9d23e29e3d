/** Migrations apply on PGlite and PostgreSQL, are idempotent, and are safe when replicas start together. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/core/db/client.ts';
import { MIGRATION_ORDER, migrationsFolder, runMigrations } from '../src/core/db/migrate.ts';
import { createPgDatabase } from './helpers/db.ts';

const run = promisify(execFile);
const withMigrations = MIGRATION_ORDER.filter((s) => existsSync(path.join(migrationsFolder(s), 'meta/_journal.json')));

async function tables(url?: string, dataDir?: string): Promise<string[]> {
  const d = await openDatabase({ databaseUrl: url, dataDir });
  try {
    const r: any = await d.db.execute(sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    return (r.rows ?? r).map((x: any) => x.table_name).sort();
  } finally {
    await d.close();
  }
}

describe('migrations', () => {
  it('two replicas migrating one PostgreSQL at once both succeed and apply each migration once', async () => {
    expect(withMigrations.length).toBeGreaterThan(0);
    const url = await createPgDatabase();
    const [a, b] = await Promise.all([openDatabase({ databaseUrl: url }), openDatabase({ databaseUrl: url })]);
    try {
      const [ra, rb] = await Promise.all([runMigrations(a), runMigrations(b)]);
      expect(ra).toEqual(withMigrations);
      expect(rb).toEqual(withMigrations);
      for (const svc of withMigrations) {
        const r: any = await a.db.execute(sql.raw(`SELECT count(*)::int AS n FROM "__migrations_${svc}"`));
        const journal = (await import(path.join(migrationsFolder(svc), 'meta/_journal.json'), { with: { type: 'json' } })).default;
        expect(r.rows[0].n).toBe(journal.entries.length);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('`benchops db migrate` creates the tables on a PGlite folder and on PostgreSQL', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bo-migrate-'));
    const url = await createPgDatabase();
    for (const env of [{ BENCHOPS_DATA_DIR: dataDir }, { DATABASE_URL: url }]) {
      const { stdout } = await run(process.execPath, ['bin/benchops.js', 'db', 'migrate'], { env: { ...process.env, ...env } });
      expect(stdout).toMatch(/Migrations applied for/);
    }
    const lite = await tables(undefined, dataDir);
    const server = await tables(url);
    expect(lite).toEqual(server);
    for (const svc of withMigrations) expect(lite).toContain(`__migrations_${svc}`);
  });

  it('`benchops db migrate` on a PGlite folder in use prints the reason and exits 1, without a stack trace', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bo-migrate-busy-'));
    const holder = await openDatabase({ dataDir }); // this process has it open, as a running `serve` would
    try {
      const err: any = await run(process.execPath, ['bin/benchops.js', 'db', 'migrate'], { env: { ...process.env, BENCHOPS_DATA_DIR: dataDir } }).then(
        () => null,
        (e) => e,
      );
      expect(err).not.toBeNull();
      expect(err.code).toBe(1);
      expect(err.stderr).toMatch(new RegExp(`^benchops db migrate: The data folder .* is in use by another BenchOps process \\(pid ${process.pid}\\)`));
      expect(err.stderr).not.toMatch(/\n\s+at /);
      expect(err.stderr.trim().split('\n')).toHaveLength(1);
      await holder.ping(); // the running holder is unaffected
    } finally {
      await holder.close();
    }
  });
});
