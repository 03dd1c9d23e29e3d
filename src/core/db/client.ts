/**
 * Database access: PGlite (embedded PostgreSQL, the default) in `<dataDir>/pglite`, or a PostgreSQL server when
 * DATABASE_URL is set. Both are reached through one drizzle `PgDatabase`, so the same SQL runs everywhere.
 * The data folder is kept private to the user (private-dir.ts).
 */
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { fairPglite } from './fair-pglite.ts';
import { healthProbe } from './health.ts';
import { acquireDirLock, type DirLock } from './lock.ts';
import { makeTreePrivate, restrictUmask, type PrivacyReport } from './private-dir.ts';

export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>;
/** A transaction handle; pass it down instead of the Db inside a transaction (PGlite runs one query at a time). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Runs `fn` while holding a cluster-wide lock (advisory lock on a server, in-process on PGlite). */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Tries a cluster-wide lock without waiting; returns null when another holder has it. */
  tryWithLock<T>(key: string, fn: () => Promise<T>): Promise<T | null>;
  /** Liveness for /health, answered from a check at most a few seconds old (health.ts): it never queues behind queries. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** 64-bit advisory lock key from a name (stable across processes). */
function lockKey(name: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(name)) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return BigInt.asIntN(64, h);
}

export interface OpenOptions {
  databaseUrl?: string;
  /** Folder for the PGlite data; omitted (with no URL) means an in-memory database (tests). */
  dataDir?: string;
  poolSize?: number;
  /** Where the data-folder permission repairs are reported (pino-compatible); stderr when omitted. */
  log?: DbLog;
}

/** The part of a pino logger the database module uses. */
export interface DbLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const stderrLog: DbLog = {
  info: () => {},
  warn: (obj, msg) => process.stderr.write(`benchops: ${msg} ${JSON.stringify(obj)}\n`),
};

/**
 * Opens the configured database. PGlite refuses clearly when another process already has the folder open. With a
 * data folder, new files become private (umask 077) and the folder is checked first: entries others could read are
 * repaired (and said so in the log); one that cannot be repaired makes the open fail.
 */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const log = opts.log ?? stderrLog;
  if (opts.dataDir) {
    restrictUmask();
    reportRepairs(log, opts.dataDir, makeTreePrivate(opts.dataDir), 'the data folder was readable or writable by other users; made it private');
  }
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.poolSize ?? 10);
  return openPglite(opts.dataDir, log);
}

function reportRepairs(log: DbLog, dir: string, r: PrivacyReport, msg: string, level: 'warn' | 'info' = 'warn'): void {
  if (r.repaired) log[level]({ dir, repaired: r.repaired, checked: r.checked, examples: r.examples }, msg);
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {}); // idle client errors surface on the next query instead of crashing the process
  const db = drizzlePg({ client: pool }) as unknown as Db;
  const withClientLock = async <T>(key: string, wait: boolean, fn: () => Promise<T>): Promise<T | null> => {
    const client = await pool.connect();
    try {
      const k = lockKey(key).toString();
      if (wait) await client.query('SELECT pg_advisory_lock($1::bigint)', [k]);
      else {
        const r = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [k]);
        if (!r.rows[0].ok) return null;
      }
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [k]);
      }
    } finally {
      client.release();
    }
  };
  return {
    db,
    kind: 'postgres',
    withLock: (key, fn) => withClientLock(key, true, fn) as Promise<any>,
    tryWithLock: (key, fn) => withClientLock(key, false, fn),
    ping: healthProbe(async () => {
      await pool.query('SELECT 1');
    }),
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string | undefined, log: DbLog): Promise<Database> {
  let lock: DirLock | undefined;
  let client: PGlite;
  const dir = dataDir ? path.join(dataDir, 'pglite') : undefined;
  if (dir) {
    makeTreePrivate(dir);
    lock = acquireDirLock(dir);
    try {
      client = await PGlite.create(dir);
      // PGlite unpacks a new database's files 0666 whatever the umask: expected once, so said at info level
      reportRepairs(log, dir, makeTreePrivate(dir), 'made the files PGlite wrote private', 'info');
    } catch (e) {
      lock.release();
      throw e;
    }
  } else {
    client = await PGlite.create();
  }
  const db = drizzlePglite({ client: fairPglite(client) }) as unknown as Db;
  // One process owns a PGlite folder, so an in-process lock table is the cluster-wide lock.
  const held = new Map<string, Promise<unknown>>();
  const withLock = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    while (held.has(key)) await held.get(key)!.catch(() => {});
    const p = fn();
    held.set(key, p);
    try {
      return await p;
    } finally {
      held.delete(key);
    }
  };
  return {
    db,
    kind: 'pglite',
    withLock,
    tryWithLock: async (key, fn) => (held.has(key) ? null : withLock(key, fn)),
    ping: healthProbe(async () => {
      await db.execute(sql`SELECT 1`);
    }),
    close: async () => {
      try {
        if (!client.closed) await client.close();
        if (dir) reportRepairs(log, dir, makeTreePrivate(dir), 'made files PGlite wrote private at close');
      } finally {
        lock?.release();
      }
    },
  };
}
