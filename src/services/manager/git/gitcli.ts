/**
 * Plain git source (https, ssh, git://, file://): a shallow fetch of one branch into a bare cache repository under the
 * data folder, `git ls-tree` for the listing and one `git cat-file --batch` for the changed blobs. Tokens go to git
 * through GIT_CONFIG_* environment variables (an http.extraHeader), never on the command line or in the URL.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { classify } from '../layout.ts';
import { redactUrl } from '../validation.ts';
import { MAX_SYNC_FILE_BYTES, SyncError, type FetchedFile, type FetchRequest, type FetchResult, type RepoFetcher } from './source.ts';

export interface GitRunResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
}

/** Runs git with a timeout; never prompts for credentials. */
export function runGit(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; input?: Buffer | string; timeoutMs?: number } = {},
): Promise<GitRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: opts.cwd,
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_ASKPASS: '',
        SSH_ASKPASS: '',
        GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new',
        LC_ALL: 'C',
        ...opts.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: err, code });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Environment that gives git an Authorization header for http(s) remotes without exposing the token in argv. */
function authEnv(url: string, token: string | null): Record<string, string> {
  if (!token || !/^https?:/i.test(url)) return {};
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
}

function firstLine(s: string): string {
  return (
    s
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .find((l) => /^(fatal|error)/i.test(l)) ?? s.trim().split('\n')[0] ?? ''
  ).slice(0, 300);
}

export class GitCliFetcher implements RepoFetcher {
  constructor(
    private readonly url: string,
    /** Bare cache repository for this project. */
    private readonly cacheDir: string,
  ) {}

  private async git(args: string[], env: Record<string, string>, what: string, input?: Buffer | string): Promise<Buffer> {
    const r = await runGit(args, { cwd: this.cacheDir, env, input });
    if (r.code !== 0) {
      const why = firstLine(r.stderr) || `exit code ${r.code}`;
      throw new SyncError(`git ${what} failed for ${redactUrl(this.url)}: ${redactUrl(why)}`);
    }
    return r.stdout;
  }

  /** The remote's default branch (HEAD symref), or null when the remote does not say. */
  private async defaultBranch(env: Record<string, string>): Promise<string | null> {
    const out = (await this.git(['ls-remote', '--symref', this.url, 'HEAD'], env, 'ls-remote')).toString();
    const m = /^ref: refs\/heads\/(\S+)\s+HEAD/m.exec(out);
    return m ? m[1] : null;
  }

  async fetch(req: FetchRequest): Promise<FetchResult> {
    if (!existsSync(this.cacheDir)) mkdirSync(this.cacheDir, { recursive: true });
    const env = authEnv(this.url, req.token);
    if (!existsSync(`${this.cacheDir}/HEAD`)) await this.git(['init', '--bare', '-q', '.'], {}, 'init');
    const branch = req.branch ?? (await this.defaultBranch(env)) ?? 'main';
    if (branch.startsWith('-') || /[\s~^:?*[\\]|\.\./.test(branch)) throw new SyncError(`invalid branch name: ${branch}`);
    const ref = `refs/benchops/${branch}`;
    await this.git(['fetch', '--depth=1', '--no-tags', '--force', '--quiet', this.url, `+refs/heads/${branch}:${ref}`], env, 'fetch');
    const commit = (await this.git(['rev-parse', ref], {}, 'rev-parse')).toString().trim();
    const listing = (await this.git(['ls-tree', '-r', '-z', '-l', '--full-tree', commit], {}, 'ls-tree')).toString('utf8');
    const skipped: string[] = [];
    const selected = listing
      .split('\0')
      .filter(Boolean)
      .flatMap((line) => {
        const tab = line.indexOf('\t');
        // "<mode> <type> <sha> <size>\t<path>" (the size is space-padded)
        const [, type, sha, size] = line.slice(0, tab).split(/ +/);
        const path = line.slice(tab + 1);
        if (type !== 'blob') return [];
        const c = classify(path, req.layout);
        if (c && Number(size) > MAX_SYNC_FILE_BYTES) {
          skipped.push(path);
          return [];
        }
        return c ? [{ ...c, sha }] : [];
      });
    const need = selected.filter((s) => req.known.get(s.path)?.sha !== s.sha);
    const contents = new Map<string, string>();
    if (need.length) {
      const out = await this.git(['cat-file', '--batch'], {}, 'cat-file', need.map((n) => n.sha).join('\n') + '\n');
      let pos = 0;
      while (pos < out.length) {
        const nl = out.indexOf(0x0a, pos);
        const header = out.subarray(pos, nl).toString();
        const [sha, type, size] = header.split(' ');
        if (type !== 'blob') throw new SyncError(`git cat-file: unexpected object ${header}`);
        const start = nl + 1;
        contents.set(sha, out.subarray(start, start + Number(size)).toString('utf8'));
        pos = start + Number(size) + 1;
      }
    }
    const files: FetchedFile[] = selected.map((s) => ({
      ...s,
      content: contents.get(s.sha) ?? req.known.get(s.path)!.content,
    }));
    return { unchanged: false, files, commit, etag: null, branch, skipped };
  }
}
