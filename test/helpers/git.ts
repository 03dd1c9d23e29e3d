/** Real git repositories for tests: a working repo, a bare copy served over file://, and `git daemon` on loopback. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@localhost',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@localhost',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
}

export interface TestRepo {
  /** Working tree. */
  dir: string;
  /** Bare repository the working tree pushes to (what projects point at). */
  bareDir: string;
  /** file:// URL of the bare repository. */
  url: string;
  branch: string;
  /** Writes files (path → content) and commits and pushes them; returns the commit sha. */
  commit(files: Record<string, string | null>, message?: string): string;
  cleanup(): void;
}

/**
 * Creates a repository with `files` on `branch` (default "main"), pushed to a bare repository whose HEAD names that
 * branch (so "the remote's default branch" is `branch`).
 */
export function makeRepo(files: Record<string, string>, opts: { branch?: string; root?: string } = {}): TestRepo {
  const root = opts.root ?? mkdtempSync(path.join(os.tmpdir(), 'benchops-git-'));
  const branch = opts.branch ?? 'main';
  const name = `repo-${Math.random().toString(36).slice(2, 8)}`;
  const dir = path.join(root, 'work', name);
  const bareDir = path.join(root, 'bare', `${name}.git`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(path.dirname(bareDir), { recursive: true });
  git(root, 'init', '-q', '--bare', `--initial-branch=${branch}`, bareDir);
  git(dir, 'init', '-q', `--initial-branch=${branch}`);
  git(dir, 'remote', 'add', 'origin', bareDir);
  const commit = (changes: Record<string, string | null>, message = 'update') => {
    for (const [p, content] of Object.entries(changes)) {
      const full = path.join(dir, p);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    git(dir, 'add', '-A');
    git(dir, '-c', 'commit.gpgsign=false', 'commit', '-q', '--allow-empty', '-m', message);
    git(dir, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
    return git(dir, 'rev-parse', 'HEAD');
  };
  commit(files, 'initial');
  return {
    dir,
    bareDir,
    url: pathToFileURL(bareDir).href,
    branch,
    commit,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as any).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface GitDaemon {
  /** git://127.0.0.1:<port>; repositories are `${url}/<name>.git` relative to the base path. */
  url: string;
  /** git:// URL of a bare repository under the base path. */
  urlOf(bareDir: string): string;
  stop(): Promise<void>;
}

/** Serves every repository under `basePath` read-only with `git daemon` on loopback. */
export async function startGitDaemon(basePath: string): Promise<GitDaemon> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'git',
    ['daemon', '--reuseaddr', '--export-all', `--base-path=${basePath}`, '--listen=127.0.0.1', `--port=${port}`, basePath],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => {
        c.end();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`git daemon did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = `git://127.0.0.1:${port}`;
  return {
    url,
    urlOf: (bareDir) => `${url}/${path.relative(basePath, bareDir).split(path.sep).join('/')}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    },
  };
}

export interface GitHttpServer {
  url: string;
  urlOf(bareDir: string): string;
  /** Authorization headers seen (to assert the token was sent). */
  authHeaders: string[];
  stop(): Promise<void>;
}

/**
 * Serves bare repositories under `basePath` over smart HTTP (`git http-backend` as CGI) on loopback. With `token`,
 * requests need HTTP Basic auth whose password is the token (401 with a challenge otherwise), as GitHub/GitLab do.
 */
export async function startGitHttpServer(basePath: string, opts: { token?: string } = {}): Promise<GitHttpServer> {
  const { createServer: createHttp } = await import('node:http');
  const authHeaders: string[] = [];
  const server = createHttp((req, res) => {
    const auth = req.headers.authorization ?? '';
    authHeaders.push(auth);
    if (opts.token) {
      const m = /^Basic (.+)$/.exec(auth);
      const pass = m ? Buffer.from(m[1], 'base64').toString().split(':').slice(1).join(':') : '';
      if (pass !== opts.token) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
        res.end('unauthorized');
        return;
      }
    }
    const u = new URL(req.url ?? '/', 'http://x');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: basePath,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(u.pathname),
        QUERY_STRING: u.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: 'test',
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    let buf = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (d: Buffer) => {
      if (headersDone) return void res.write(d);
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of buf.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.write(buf.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as any).port}`;
  return {
    url,
    urlOf: (bareDir) => `${url}/${path.relative(basePath, bareDir).split(path.sep).join('/')}`,
    authHeaders,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
