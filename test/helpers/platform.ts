/** Starts the real platform for a test: real ports (0 = any free one), a temp data folder, PGlite or PostgreSQL. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { DEFAULT_PORTS, loadConfig, type ServiceName } from '../../src/core/config.ts';
import { startPlatform, type RunningPlatform } from '../../src/platform/start.ts';
import { createPgDatabase, type DbKind } from './db.ts';

export interface TestPlatform extends RunningPlatform {
  /** Every log line the platform wrote, for assertions (e.g. no secret ever logged). */
  logs: () => string;
  dataDir: string;
}

export async function startTestPlatform(opts: {
  kind: DbKind;
  services?: ServiceName[];
  gateway?: boolean;
  env?: Record<string, string>;
  background?: boolean;
  /** Cluster mode: services in other processes whose /api/<name> the gateway forwards. */
  remotes?: Partial<Record<ServiceName, string>>;
  /** The built UI folder the gateway serves (default web/dist). */
  webDir?: string;
}): Promise<TestPlatform> {
  const owned = !opts.env?.BENCHOPS_DATA_DIR;
  const dataDir = opts.env?.BENCHOPS_DATA_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'benchops-test-'));
  const env: Record<string, string> = {
    BENCHOPS_DATA_DIR: dataDir,
    BENCHOPS_DEMO: '0',
    BENCHOPS_LOG_LEVEL: 'info',
    ...Object.fromEntries(Object.keys(DEFAULT_PORTS).map((s) => [`BENCHOPS_${s.toUpperCase()}_PORT`, '0'])),
    ...(opts.kind === 'postgres' ? { DATABASE_URL: await createPgDatabase() } : {}),
    ...opts.env,
  };
  const stream = new PassThrough();
  let captured = '';
  stream.on('data', (d) => (captured += d));
  const platform = await startPlatform({
    config: loadConfig(env),
    services: opts.services,
    gateway: opts.gateway,
    logStream: stream,
    background: opts.background,
    remotes: opts.remotes,
    webDir: opts.webDir,
  });
  // The data folder this helper made goes with the platform (a PGlite folder is ~25 MB; hundreds of tests leaked
  // gigabytes). A folder the test passed in (BENCHOPS_DATA_DIR, e.g. to restart on it) is the test's to keep.
  const close = platform.close;
  const closeAndClean = async () => {
    await close();
    if (owned) rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
  };
  return Object.assign(platform, { close: closeAndClean, logs: () => captured, dataDir });
}
