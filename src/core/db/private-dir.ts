/**
 * The data folder is private to the user who runs BenchOps: folders 0700, files without any group or other bits
 * (0600 for what PGlite and the services write; git's read-only objects stay 0400).
 * It holds the database, the secret key and Git caches of private repositories. PGlite writes the files of a new
 * database 0666 whatever the umask, so the tree is checked and repaired when a folder is opened and closed, and the
 * process umask is made 077 so that what is written meanwhile (new tables, WAL segments, caches) is private already.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';

export interface PrivacyReport {
  /** Entries whose mode was changed (paths relative to the folder, at most 10 kept). */
  repaired: number;
  examples: string[];
  /** Entries checked. */
  checked: number;
}

/** Where something could not be made private (owned by another user, say): the folder must not be used. */
export class DataDirPermissionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirPermissionError';
  }
}

/** Mode an entry must have: folders 0700; files keep their owner bits (0600, 0400, 0700…) and lose group and other. */
export function privateMode(st: Pick<Stats, 'mode' | 'isDirectory'>): number {
  return st.isDirectory() ? 0o700 : st.mode & 0o700 || 0o600;
}

/** Makes new files of this process private (umask 077); returns the previous umask. */
export function restrictUmask(): number {
  return process.umask(0o077);
}

/**
 * Walks `dir` (iteratively; symbolic links are neither followed nor changed) and gives every entry its private mode.
 * Throws DataDirPermissionError when an entry cannot be changed.
 */
export function makeTreePrivate(dir: string): PrivacyReport {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const report: PrivacyReport = { repaired: 0, examples: [], checked: 0 };
  const stack = [dir];
  while (stack.length) {
    const p = stack.pop()!;
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch (e: any) {
      if (e.code === 'ENOENT') continue; // removed meanwhile (a WAL segment recycled)
      throw e;
    }
    if (st.isSymbolicLink()) continue;
    report.checked++;
    const want = privateMode(st);
    if ((st.mode & 0o777) !== want) {
      try {
        chmodSync(p, want);
      } catch (e: any) {
        if (e.code === 'ENOENT') continue;
        throw new DataDirPermissionError(
          `Cannot make ${p} private (mode ${(st.mode & 0o777).toString(8)}, owner uid ${st.uid}): ${e.code ?? e.message}. ` +
            'The data folder must belong to the user running BenchOps (chown -R it, or point BENCHOPS_DATA_DIR elsewhere).',
        );
      }
      report.repaired++;
      if (report.examples.length < 10) report.examples.push(`${path.relative(dir, p) || '.'} ${(st.mode & 0o777).toString(8)}→${want.toString(8)}`);
    }
    if (st.isDirectory()) for (const name of readdirSync(p)) stack.push(path.join(p, name));
  }
  return report;
}
