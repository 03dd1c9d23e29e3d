/**
 * The demo project of embedded mode: on a first start (no project yet) the bundled examples/benchmark-repo/ is copied to
 * `<dataDir>/demo-repo`, committed as a local git repository, registered as project "demo" (file:// URL) and synced.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../../core/db/migrate.ts';
import { runGit } from './git/gitcli.ts';

export const DEMO_SOURCE = path.join(PACKAGE_ROOT, 'examples', 'benchmark-repo');

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'BenchOps',
  GIT_AUTHOR_EMAIL: 'benchops@localhost',
  GIT_COMMITTER_NAME: 'BenchOps',
  GIT_COMMITTER_EMAIL: 'benchops@localhost',
};

async function git(args: string[], cwd: string): Promise<void> {
  const r = await runGit(args, { cwd, env: GIT_IDENTITY });
  if (r.code !== 0) throw new Error(`git ${args[0]} failed in ${cwd}: ${r.stderr.trim()}`);
}

/** Makes `<dataDir>/demo-repo` a git repository holding the example files (idempotent); returns its file:// URL. */
export async function prepareDemoRepo(dataDir: string, source = DEMO_SOURCE): Promise<string> {
  const dest = path.join(dataDir, 'demo-repo');
  if (!existsSync(path.join(dest, '.git', 'HEAD'))) {
    rmSync(dest, { recursive: true, force: true });
    cpSync(source, dest, { recursive: true });
    await git(['init', '-q', '--initial-branch=main', '.'], dest);
    await git(['add', '-A'], dest);
    await git(['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'BenchOps demo benchmark repository'], dest);
  }
  return pathToFileURL(dest).href;
}
