/**
 * The data folder is private (issue 10, items 1 and 16): `benchops serve` started under `umask 000` on a folder it
 * creates, after it has written a database, a secret key, a Git cache and a local-executor object, and again after a
 * clean shutdown: every folder 0700, every file 0600 (owner-only read-only files, Git's objects, may be 0400), nothing
 * with a group or other bit. A folder loosened while stopped (0777/0666) is repaired at the next start, or the start
 * is refused; either way the output says so.
 */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnPlatform, type PlatformProcess } from './helpers/audit-process.ts';
import { makeRepo, type TestRepo } from './helpers/git.ts';
import { call } from './helpers/http.ts';

interface Walk {
  entries: number;
  /** Mode (octal) → count, for files and folders apart. */
  modes: Record<string, number>;
  wrong: string[];
}

/** Every entry under `root` (iteratively, links not followed) against the private modes. */
function walk(root: string): Walk {
  const out: Walk = { entries: 0, modes: {}, wrong: [] };
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    const st = lstatSync(p);
    const mode = st.mode & 0o777;
    const rel = path.relative(root, p) || '.';
    out.entries++;
    const what = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file';
    out.modes[`${what} ${mode.toString(8)}`] = (out.modes[`${what} ${mode.toString(8)}`] ?? 0) + 1;
    if (st.isDirectory()) {
      if (mode !== 0o700) out.wrong.push(`${rel}/ ${mode.toString(8)}`);
      for (const e of readdirSync(p)) stack.push(path.join(p, e));
    } else if (!st.isSymbolicLink()) {
      // 0600; an owner-only read-only file (Git writes its objects 0444) may stay 0400
      const ok = mode === 0o600 || mode === 0o400 || (mode === 0o700 && rel.includes(`${path.sep}hooks${path.sep}`));
      if (!ok) out.wrong.push(`${rel} ${mode.toString(8)}`);
    }
  }
  return out;
}

function loosen(root: string): number {
  let n = 0;
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    chmodSync(p, st.isDirectory() ? 0o777 : 0o666);
    n++;
    if (st.isDirectory()) for (const e of readdirSync(p)) stack.push(path.join(p, e));
  }
  return n;
}

describe('data folder permissions under umask 000', () => {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'benchops-perm-'));
  // a folder the platform creates itself: under umask 000 a plain mkdir would make it 0777
  const dataDir = path.join(parent, 'data');
  let proc: PlatformProcess | undefined;
  let repo: TestRepo | undefined;
  afterAll(async () => {
    await proc?.kill9();
    repo?.cleanup();
    rmSync(parent, { recursive: true, force: true });
  });

  it('keeps every folder 0700 and file 0600 while running and after a clean stop', async () => {
    proc = await spawnPlatform({ dataDir, umask: '000', env: { BENCHOPS_LOG_LEVEL: 'info' } });
    const u = proc.urls;
    // write what lands in the folder: database rows, a Git cache, a local-executor object (the key file is made at start)
    expect((await call(u.results, 'POST', '/raw_input', { benchmark_name: 'perm', model_id: 'm', source: 'perm', data: { a: 1 } })).status).toBe(200);
    repo = makeRepo({ 'config/vllm-benchmark/a.json': '{}\n', 'job/vllm-benchmark/j.yaml': 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n' });
    const project = await call(u.manager, 'POST', '/projects', { name: 'perm', github_repo_url: repo.url, github_token: 'ghp_audit_permissions_token' });
    expect(project.status).toBe(200);
    expect((await call(u.manager, 'POST', `/projects/${project.body.project_id}/sync`)).body.status).toBe('success');
    const cm = await call(u.deployer, 'POST', '/deploy', { yaml_content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: perm\ndata:\n  a: b\n' });
    expect(cm.status).toBe(200);

    const running = walk(dataDir);
    console.log(`data folder while running: ${running.entries} entries ${JSON.stringify(running.modes)}`);
    expect(running.entries).toBeGreaterThan(50); // the database is in there, so the walk saw real files
    expect(running.modes).toHaveProperty(['file 600']);
    expect(running.wrong).toEqual([]);

    expect(await proc.stop()).toBe(0);
    proc = undefined;
    const stopped = walk(dataDir);
    console.log(`data folder after stop: ${stopped.entries} entries ${JSON.stringify(stopped.modes)}`);
    expect(stopped.wrong).toEqual([]);
  }, 180_000);

  it('repairs (or refuses) a folder loosened while stopped, and says so', async () => {
    const loosened = loosen(dataDir);
    expect(walk(dataDir).wrong.length).toBe(loosened);
    let refusal: string | undefined;
    proc = await spawnPlatform({ dataDir, umask: '000', env: { BENCHOPS_LOG_LEVEL: 'info' } }).catch((e: Error) => {
      refusal = e.message; // refused: the process exited before it was ready, its output is in the message
      return undefined;
    });
    if (proc) expect(walk(dataDir).wrong).toEqual([]);
    const out = proc?.output() ?? refusal ?? '';
    expect(out).toMatch(/permission|private|0700|0600|mode/i);
  }, 180_000);
});
