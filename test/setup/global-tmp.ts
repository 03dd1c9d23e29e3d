/**
 * Vitest global setup: every temporary file of one test run (PGlite data folders, git repos, browser profiles, the
 * PostgreSQL server's cluster) goes under one folder of its own, removed when the run ends. A suite that forgets to
 * clean up, or a run cut short, then costs one folder instead of gigabytes of leftovers in the machine's /tmp (a CI
 * run failed with ENOSPC on a disk that earlier runs had filled with per-test data folders). The folder's name holds
 * the run's pid, so a later run removes the folders of runs that were killed before their teardown.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pidAlive } from '../../src/core/pid.ts';

const PREFIX = 'benchops-vitest-';

/** Removes the folders of earlier runs whose process is gone; returns their names. */
export function removeStale(parent: string): string[] {
  const gone: string[] = [];
  for (const name of readdirSync(parent)) {
    const m = name.startsWith(PREFIX) ? /^(\d+)-/.exec(name.slice(PREFIX.length)) : null;
    if (!m || pidAlive(Number(m[1]))) continue;
    rmSync(path.join(parent, name), { recursive: true, force: true, maxRetries: 3 });
    gone.push(name);
  }
  return gone;
}

export default function setup() {
  const parent = os.tmpdir();
  const stale = removeStale(parent);
  if (stale.length) console.log(`removed ${stale.length} temporary folder(s) of earlier test runs that did not finish: ${stale.join(', ')}`);
  const root = mkdtempSync(path.join(parent, `${PREFIX}${process.pid}-`));
  // traversable by the PostgreSQL server's own user (the global PostgreSQL setup runs it as `postgres` under root)
  chmodSync(root, 0o711);
  const before = process.env.TMPDIR;
  // os.tmpdir() reads TMPDIR on each call; the test workers and every process they start inherit it
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
