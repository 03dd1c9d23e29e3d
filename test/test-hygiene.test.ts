/**
 * The suite's own disk hygiene: a CI run failed with ENOSPC after earlier runs had left gigabytes of per-test data
 * folders in /tmp. These check that a run's temporary files live under one folder of its own, that the platform helper
 * removes the data folder it made, and that folders of killed runs are removed by the next run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { startTestPlatform } from './helpers/platform.ts';
import { removeStale } from './setup/global-tmp.ts';

describe('test run temporary files', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'hygiene-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test("the run's temporary folder is its own (removed at the end of the run)", () => {
    expect(path.basename(os.tmpdir())).toMatch(new RegExp(`^benchops-vitest-\\d+-`));
  });

  test('the platform helper removes the data folder it made when the platform closes', async () => {
    const p = await startTestPlatform({ kind: 'pglite', services: ['results'] });
    expect(existsSync(path.join(p.dataDir, 'pglite'))).toBe(true);
    await p.close();
    expect(existsSync(p.dataDir)).toBe(false);
  });

  test("a data folder the test passed in is the test's to keep", async () => {
    const dir = path.join(scratch, 'kept');
    const p = await startTestPlatform({ kind: 'pglite', services: ['results'], env: { BENCHOPS_DATA_DIR: dir } });
    await p.close();
    expect(existsSync(path.join(dir, 'pglite'))).toBe(true);
  });

  test("a run's folder is removed by a later run once its process is gone, and only then", () => {
    const parent = path.join(scratch, 'parent');
    mkdirSync(parent);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const names = [`benchops-vitest-${dead}-abc`, `benchops-vitest-${process.pid}-def`, 'benchops-vitest-XYZabc', 'other-1-x'];
    for (const n of names) {
      mkdirSync(path.join(parent, n));
      writeFileSync(path.join(parent, n, 'f'), 'x');
    }
    expect(removeStale(parent)).toEqual([names[0]]);
    expect(names.map((n) => existsSync(path.join(parent, n)))).toEqual([false, true, true, true]);
  });
});
