/**
 * Writing files back to Git as a reviewable change. GitHub: the contents API with the file's `sha` (create and
 * update; the earlier service sent no sha, so every update failed, §9.2.6). Any other git URL: a commit pushed with the
 * git CLI; a rejected (non-fast-forward) push fetches the new tip, re-applies the files on it (a rebase of our one
 * commit) and pushes again, so another writer's update is never lost. Files whose content is already there are not
 * rewritten. Tokens reach GitHub in a header and git through GIT_CONFIG_* variables, never argv, URLs or errors.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface FileChange {
  path: string;
  content: string;
}

export interface WriteResult {
  branch: string;
  /** The last commit made, or null when every file was already up to date. */
  commit: string | null;
  written: string[];
  /** Written files that did not exist before (the earlier `model_version_created`). */
  created: string[];
  unchanged: string[];
  /** Pushes that were rejected and retried on a newer tip. */
  retries: number;
  /** GitHub, branch per version: the pull request opened for the branch (or the one already open). */
  pull_request?: { number: number; url: string | null };
}

export interface GitWriter {
  kind: 'github' | 'git';
  /** The repository without credentials, for responses and logs. */
  repo: string;
  ping(): Promise<void>;
  /** Writes `files` onto `branch`, creating it from `base` when missing. */
  write(files: FileChange[], o: { message: string; branch: string; base: string }): Promise<WriteResult>;
}

export class GitWriteError extends Error {}

/** A URL without user info (tokens pasted into URLs stay out of responses and logs). */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@\s]*@/g, '//');
}

/** `https://github.com/<owner>/<repo>` (optionally `.git`) → owner and repo; anything else is a plain git URL. */
export function githubRepoOf(url: string): { owner: string; repo: string } | null {
  const m = /^https:\/\/(?:www\.)?github\.com\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? { owner: m[1], repo: m[2] } : null;
}

/** Validates a relative repository path (no `..`, no absolute paths). */
export function safeRepoPath(p: string): string {
  const norm = path.posix.normalize(p);
  if (!p || norm.startsWith('..') || norm.startsWith('/') || norm.includes('\0') || norm !== p) throw new GitWriteError(`unsafe path in repository: ${p}`);
  return norm;
}

// ---------------------------------------------------------------------------------------------------- GitHub

export class GithubContentsWriter implements GitWriter {
  readonly kind = 'github';
  readonly repo: string;
  requests = 0;

  constructor(
    private readonly o: { owner: string; repo: string; apiBase: string; token?: string; timeoutMs?: number },
  ) {
    this.repo = `https://github.com/${o.owner}/${o.repo}`;
  }

  private async call(method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
    this.requests++;
    let res: Response;
    try {
      res = await fetch(`${this.o.apiBase.replace(/\/+$/, '')}/repos/${this.o.owner}/${this.o.repo}${p}`, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          'user-agent': 'benchops-mlflow',
          ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (e: any) {
      throw new GitWriteError(`GitHub unreachable for ${this.repo}: ${e?.cause?.code ?? e?.name ?? 'connection failed'}`);
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  }

  private fail(what: string, r: { status: number; json: any }): never {
    const why = typeof r.json?.message === 'string' ? r.json.message.slice(0, 200) : '';
    throw new GitWriteError(`GitHub ${what} on ${this.repo} answered ${r.status}${why ? `: ${why}` : ''}`);
  }

  async ping(): Promise<void> {
    const r = await this.call('GET', '');
    if (r.status !== 200) this.fail('repository lookup', r);
  }

  private async ensureBranch(branch: string, base: string): Promise<void> {
    const head = await this.call('GET', `/git/ref/heads/${encodeURI(branch)}`);
    if (head.status === 200) return;
    if (head.status !== 404) this.fail(`branch ${branch} lookup`, head);
    const b = await this.call('GET', `/git/ref/heads/${encodeURI(base)}`);
    if (b.status !== 200) this.fail(`base branch ${base} lookup`, b);
    const created = await this.call('POST', '/git/refs', { ref: `refs/heads/${branch}`, sha: b.json?.object?.sha });
    // 422 "Reference already exists": another writer made it between our look and our create
    if (created.status !== 201 && created.status !== 422) this.fail(`branch ${branch} creation`, created);
  }

  private async current(p: string, branch: string): Promise<{ sha: string; content: string } | null> {
    const r = await this.call('GET', `/contents/${p.split('/').map(encodeURIComponent).join('/')}?ref=${encodeURIComponent(branch)}`);
    if (r.status === 404) return null;
    if (r.status !== 200 || Array.isArray(r.json) || typeof r.json?.sha !== 'string') this.fail(`read of ${p}`, r);
    return { sha: r.json.sha, content: Buffer.from(String(r.json.content ?? ''), 'base64').toString('utf8') };
  }

  async write(files: FileChange[], o: { message: string; branch: string; base: string }): Promise<WriteResult> {
    if (o.branch !== o.base) await this.ensureBranch(o.branch, o.base);
    const out: WriteResult = { branch: o.branch, commit: null, written: [], created: [], unchanged: [], retries: 0 };
    for (const f of files) {
      const p = safeRepoPath(f.path);
      for (let attempt = 0; ; attempt++) {
        const cur = await this.current(p, o.branch);
        if (cur && cur.content === f.content) {
          out.unchanged.push(p);
          break;
        }
        const body = { message: o.message, content: Buffer.from(f.content).toString('base64'), branch: o.branch, ...(cur ? { sha: cur.sha } : {}) };
        const r = await this.call('PUT', `/contents/${p.split('/').map(encodeURIComponent).join('/')}`, body);
        if (r.status === 200 || r.status === 201) {
          out.written.push(p);
          if (!cur) out.created.push(p);
          out.commit = r.json?.commit?.sha ?? out.commit;
          break;
        }
        // 409: the file changed since we read its sha (or 422 when it appeared meanwhile): read again, retry
        if ((r.status === 409 || r.status === 422) && attempt < 4) {
          out.retries++;
          continue;
        }
        this.fail(`write of ${p}`, r);
      }
    }
    if (o.branch !== o.base && out.written.length) out.pull_request = await this.openPull(o.branch, o.base, o.message);
    return out;
  }

  /** Opens the pull request of a per-version branch (the reviewable change); an already open one is kept. */
  private async openPull(branch: string, base: string, title: string): Promise<{ number: number; url: string | null }> {
    const r = await this.call('POST', '/pulls', { title, head: branch, base, body: 'Written by the BenchOps MLflow integration for a new model version.' });
    if (r.status === 201) return { number: Number(r.json?.number), url: r.json?.html_url ?? null };
    if (r.status === 422) {
      const open = await this.call('GET', `/pulls?state=open&head=${encodeURIComponent(`${this.o.owner}:${branch}`)}&base=${encodeURIComponent(base)}`);
      const pr = Array.isArray(open.json) ? open.json[0] : undefined;
      if (open.status === 200 && pr) return { number: Number(pr.number), url: pr.html_url ?? null };
    }
    this.fail(`pull request for ${branch}`, r);
  }
}

// ---------------------------------------------------------------------------------------------------- git CLI

interface GitRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

function runGit(args: string[], cwd: string, env: Record<string, string>, timeoutMs = 120_000): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

/** One writer per working folder at a time, whichever module instance (tests run two replicas in one process). */
const folderLocks = new Map<string, Promise<unknown>>();
async function withFolderLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const prev = folderLocks.get(dir) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(fn);
  folderLocks.set(dir, run.catch(() => undefined));
  return run;
}

export interface GitCliOptions {
  url: string;
  token?: string;
  /** Folder for this writer's working copies (under the data folder). */
  workRoot: string;
  /** Test seam: runs after the files are committed and before each push (e.g. another writer pushes meanwhile). */
  beforePush?: (attempt: number) => Promise<void>;
  maxAttempts?: number;
}

export class GitCliWriter implements GitWriter {
  readonly kind = 'git';
  readonly repo: string;
  private readonly dir: string;
  private readonly env: Record<string, string>;

  constructor(private readonly o: GitCliOptions) {
    this.repo = redactUrl(o.url);
    this.dir = path.join(o.workRoot, createHash('sha256').update(o.url).digest('hex').slice(0, 16));
    const env: Record<string, string> = {
      GIT_AUTHOR_NAME: 'BenchOps',
      GIT_AUTHOR_EMAIL: 'benchops@localhost',
      GIT_COMMITTER_NAME: 'BenchOps',
      GIT_COMMITTER_EMAIL: 'benchops@localhost',
    };
    if (o.token && /^https?:/i.test(o.url)) {
      const basic = Buffer.from(`x-access-token:${o.token}`).toString('base64');
      Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` });
    }
    this.env = env;
  }

  private async git(args: string[], what: string, okCodes = [0]): Promise<GitRun> {
    const r = await runGit(args, this.dir, this.env);
    if (!okCodes.includes(r.code ?? -1)) {
      const line = r.stderr.split('\n').find((l) => /^(fatal|error)/i.test(l.trim())) ?? r.stderr.split('\n')[0] ?? '';
      throw new GitWriteError(`git ${what} failed for ${this.repo}: ${redactUrl(line.trim()).slice(0, 300) || `exit ${r.code}`}`);
    }
    return r;
  }

  async ping(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    await this.git(['ls-remote', '--heads', this.o.url], 'ls-remote');
  }

  /** Fetches `branch` (or `base` when it does not exist yet) and checks it out clean; false when the remote is empty. */
  private async checkoutTip(branch: string, base: string): Promise<boolean> {
    for (const b of branch === base ? [branch] : [branch, base]) {
      const r = await runGit(['fetch', '--no-tags', '--quiet', '--force', this.o.url, `+refs/heads/${b}:refs/benchops/tip`], this.dir, this.env);
      if (r.code === 0) {
        await this.git(['checkout', '-q', '-f', '-B', 'benchops-work', 'refs/benchops/tip'], 'checkout');
        await this.git(['clean', '-q', '-f', '-d', '-x'], 'clean');
        return true;
      }
      if (!/couldn't find remote ref|could not find remote ref/i.test(r.stderr)) {
        throw new GitWriteError(`git fetch failed for ${this.repo}: ${redactUrl(r.stderr.trim().split('\n')[0] ?? '').slice(0, 300)}`);
      }
    }
    // an empty repository (or a base that does not exist): start the branch from nothing
    await this.git(['checkout', '-q', '-f', '--orphan', 'benchops-work'], 'checkout');
    await this.git(['rm', '-r', '-q', '-f', '--cached', '--ignore-unmatch', '.'], 'rm');
    await this.git(['clean', '-q', '-f', '-d', '-x'], 'clean');
    return false;
  }

  async write(files: FileChange[], o: { message: string; branch: string; base: string }): Promise<WriteResult> {
    const paths = files.map((f) => safeRepoPath(f.path));
    return withFolderLock(this.dir, async () => {
      mkdirSync(this.dir, { recursive: true });
      if (!existsSync(path.join(this.dir, '.git'))) await this.git(['init', '-q', '.'], 'init');
      const out: WriteResult = { branch: o.branch, commit: null, written: [], created: [], unchanged: [], retries: 0 };
      const max = this.o.maxAttempts ?? 6;
      for (let attempt = 1; ; attempt++) {
        await this.checkoutTip(o.branch, o.base);
        out.written = [];
        out.created = [];
        out.unchanged = [];
        files.forEach((f, i) => {
          const full = path.join(this.dir, paths[i]);
          const existed = existsSync(full);
          if (existed && readFileSync(full, 'utf8') === f.content) {
            out.unchanged.push(paths[i]);
            return;
          }
          if (!existed) out.created.push(paths[i]);
          mkdirSync(path.dirname(full), { recursive: true });
          writeFileSync(full, f.content);
          out.written.push(paths[i]);
        });
        if (!out.written.length) return out;
        await this.git(['add', '--', ...out.written], 'add');
        await this.git(['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', o.message], 'commit');
        const sha = (await this.git(['rev-parse', 'HEAD'], 'rev-parse')).stdout.trim();
        await this.o.beforePush?.(attempt);
        const push = await runGit(['push', '--quiet', '--porcelain', this.o.url, `HEAD:refs/heads/${o.branch}`], this.dir, this.env);
        if (push.code === 0) {
          out.commit = sha;
          return out;
        }
        const rejected = /non-fast-forward|fetch first|\[rejected\]|rejected/i.test(push.stderr + push.stdout);
        if (!rejected || attempt >= max) {
          const line = (push.stderr.split('\n').find((l) => /^(fatal|error|!)/i.test(l.trim())) ?? push.stderr.split('\n')[0] ?? '').trim();
          throw new GitWriteError(`git push to ${this.repo} failed${rejected ? ` after ${attempt} attempts` : ''}: ${redactUrl(line).slice(0, 300)}`);
        }
        out.retries++;
      }
    });
  }
}
