/** A pid lock file so that only one process opens a PGlite folder (a second open would corrupt it). */
import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { pidAlive } from '../pid.ts';

export interface DirLock {
  release(): void;
}

/** Takes `<dir>/benchops.lock`; a lock left by a dead process is taken over, a live one is a clear error. */
export function acquireDirLock(dir: string): DirLock {
  const file = path.join(dir, 'benchops.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
        } catch {
          /* already gone */
        }
      };
      process.once('exit', release);
      return { release };
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && pidAlive(pid)) {
        throw new Error(
          `The data folder ${dir} is in use by another BenchOps process (pid ${pid}). ` +
            'Stop it, or point BENCHOPS_DATA_DIR at another folder, or use DATABASE_URL for several processes.',
        );
      }
      if (pid === process.pid) throw new Error(`The data folder ${dir} is already open in this process`);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock the data folder ${dir}`);
}
