/**
 * One MLflow poll over a large registry against the registry test double: `--models` registered models × `--versions`
 * versions each (default 1,000 × 5). Prints the wall time and the MLflow requests of the first poll (listing every page,
 * selecting, claiming and processing one event per model: values rendered and handed to an in-memory Git writer, no
 * evaluation) and of a second poll (nothing new: listing and claim checks only). `--git N` also writes N versions
 * through the git CLI writer into a real local bare repository (commit + push each) for the per-commit cost.
 *
 *   npx tsx bench/mlflow-poll.ts [--models 1000] [--versions 5] [--git 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Authenticator } from '../src/core/auth.ts';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/core/db/client.ts';
import { runMigrations } from '../src/core/db/migrate.ts';
import { SecretBox } from '../src/core/secrets.ts';
import type { PlatformContext } from '../src/core/service.ts';
import { GitCliWriter, type GitWriter, type WriteResult } from '../src/services/mlflow/git-writer.ts';
import { createMlflowModule } from '../src/services/mlflow/index.ts';
import { makeRepo } from '../test/helpers/git.ts';
import { MlflowDouble } from '../test/helpers/mlflow-double.ts';
import { arg } from './common.ts';

const MODELS = Number(arg('models', '1000'));
const VERSIONS = Number(arg('versions', '5'));
const GIT = Number(arg('git', '50'));

/** Keeps files in memory: the poll's own cost without a Git server's. */
class MemoryWriter implements GitWriter {
  readonly kind = 'git' as const;
  readonly repo = 'memory://values';
  readonly files = new Map<string, string>();
  async ping(): Promise<void> {}
  async write(files: { path: string; content: string }[], o: { branch: string }): Promise<WriteResult> {
    const out: WriteResult = { branch: o.branch, commit: null, written: [], created: [], unchanged: [], retries: 0 };
    for (const f of files) {
      if (this.files.get(f.path) === f.content) out.unchanged.push(f.path);
      else {
        if (!this.files.has(f.path)) out.created.push(f.path);
        this.files.set(f.path, f.content);
        out.written.push(f.path);
      }
    }
    out.commit = out.written.length ? `c${this.files.size}` : null;
    return out;
  }
}

async function poll(label: string, writer: () => GitWriter, models: number, versions: number): Promise<void> {
  const mlflow = new MlflowDouble();
  for (let m = 0; m < models; m++) for (let v = 0; v < versions; v++) mlflow.addVersion(`team/model-${m}`);
  await mlflow.start();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-mlflow-bench-'));
  const database = await openDatabase({});
  await runMigrations(database);
  const config = loadConfig({ BENCHOPS_DATA_DIR: dataDir, BENCHOPS_MLFLOW_TRACKING_URI: mlflow.url, BENCHOPS_MLFLOW_EVALUATE: '0' });
  const ctx: PlatformContext = {
    config,
    database,
    db: database.db,
    secrets: SecretBox.fromKey('c'.repeat(64)),
    auth: new Authenticator([]),
    log: pino({ level: 'silent' }),
    local: new Map(),
  };
  const m = createMlflowModule(ctx, { gitWriter: writer, evalPort: () => null });
  try {
    for (const run of ['first poll', 'second poll']) {
      const before = mlflow.requests.length;
      const t0 = performance.now();
      const r = await m.integration.poll('manual');
      const ms = performance.now() - t0;
      console.log(
        `${label} ${run}: ${(ms / 1000).toFixed(2)} s wall, ${mlflow.requests.length - before} MLflow requests ` +
          `(registered-models/search ${mlflow.requests.slice(before).filter((q) => q.path.endsWith('registered-models/search')).length}, ` +
          `model-versions/search ${mlflow.requests.slice(before).filter((q) => q.path.endsWith('model-versions/search')).length}, ` +
          `runs/get ${mlflow.requests.slice(before).filter((q) => q.path.endsWith('runs/get')).length}), ` +
          `${r.registered_models} models, ${r.selected_versions} selected, ${r.new_events} new events, ${r.processed_models} processed, errors ${r.errors.length}`,
      );
    }
  } finally {
    await database.close();
    await mlflow.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await poll(`${MODELS} models x ${VERSIONS} versions, in-memory Git:`, () => new MemoryWriter(), MODELS, VERSIONS);
if (GIT > 0) {
  const repo = makeRepo({ 'README.md': 'values\n' });
  const work = mkdtempSync(path.join(os.tmpdir(), 'benchops-mlflow-bench-git-'));
  const w = new GitCliWriter({ url: repo.url, workRoot: work });
  try {
    await poll(`${GIT} models x ${VERSIONS} versions, git CLI to a local bare repository:`, () => w, GIT, VERSIONS);
  } finally {
    repo.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}
