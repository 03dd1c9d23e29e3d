/**
 * GitHub source: one recursive git-trees listing (conditional on the stored ETag), then the changed blobs through the
 * blobs API with a concurrency limit. 403/429 rate-limit answers are retried after Retry-After / x-ratelimit-reset.
 * A truncated tree falls back to walking the relevant folders with the contents API.
 */
import { Octokit } from '@octokit/rest';
import { classify, rootsOf } from '../layout.ts';
import { mapLimit, MAX_SYNC_FILE_BYTES, SyncError, type FetchedFile, type FetchRequest, type FetchResult, type RepoFetcher } from './source.ts';

export interface GithubOptions {
  owner: string;
  repo: string;
  apiBase: string;
  /** Parallel blob downloads (default 8). */
  concurrency?: number;
  /** Longest single wait for a rate-limit reset before giving up (ms, default 60 s). */
  maxBackoffMs?: number;
  /** Rate-limit retries per request (default 3). */
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Per-request timeout (ms, default 30 s). */
  timeoutMs?: number;
}

interface TreeEntry {
  path?: string;
  type?: string;
  sha?: string;
  size?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How long to wait before retrying a rate-limited answer, or null when it is not a rate limit. */
export function rateLimitDelayMs(status: number, headers: Record<string, string | number | undefined>, now = Date.now()): number | null {
  if (status !== 403 && status !== 429) return null;
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined && retryAfter !== '') {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const at = Date.parse(String(retryAfter));
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const remaining = headers['x-ratelimit-remaining'];
  const reset = headers['x-ratelimit-reset'];
  if (String(remaining) === '0' && reset !== undefined) return Math.max(0, Number(reset) * 1000 - now) + 250;
  if (status === 429) return 1000;
  return null;
}

export class GithubFetcher implements RepoFetcher {
  constructor(private readonly opts: GithubOptions) {}

  private client(token: string | null): Octokit {
    return new Octokit({
      baseUrl: this.opts.apiBase,
      userAgent: 'benchops-manager',
      ...(token ? { auth: token } : {}),
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
  }

  /** One REST call with rate-limit backoff; 304 is returned, other failures become SyncErrors. */
  private async call<T>(what: string, fn: (request: { signal: AbortSignal }) => Promise<{ status: number; data: T; headers: Record<string, any> }>) {
    const sleep = this.opts.sleep ?? defaultSleep;
    const maxRetries = this.opts.maxRetries ?? 3;
    const maxBackoff = this.opts.maxBackoffMs ?? 60_000;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn({ signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) });
      } catch (e: any) {
        const status: number = e?.status ?? 0;
        if (status === 304) return { status: 304, data: undefined as T, headers: e.response?.headers ?? {} };
        const delay = rateLimitDelayMs(status, e?.response?.headers ?? {});
        if (delay !== null && attempt < maxRetries && delay <= maxBackoff) {
          await sleep(delay);
          continue;
        }
        if (delay !== null) throw new SyncError(`GitHub rate limit exceeded while reading ${what}; retry after ${Math.ceil(delay / 1000)} s`);
        if (status === 404) throw new SyncError(`GitHub: ${what} not found (check the repository URL, branch and token)`);
        if (status === 401) throw new SyncError('GitHub rejected the token (401)');
        if (status) throw new SyncError(`GitHub answered ${status} for ${what}`);
        throw new SyncError(`GitHub unreachable while reading ${what}: ${e?.message ?? e}`);
      }
    }
  }

  async fetch(req: FetchRequest): Promise<FetchResult> {
    const { owner, repo } = this.opts;
    const gh = this.client(req.token);
    let branch = req.branch;
    if (!branch) {
      const r = await this.call(`repository ${owner}/${repo}`, (request) => gh.rest.repos.get({ owner, repo, request }) as any);
      branch = String((r.data as any)?.default_branch ?? 'main');
    }
    const tree = await this.call(`the tree of ${owner}/${repo}@${branch}`, (request) =>
      gh.rest.git.getTree({
        request,
        owner,
        repo,
        tree_sha: branch!,
        recursive: '1',
        headers: req.etag ? { 'if-none-match': req.etag } : {},
      }) as any,
    );
    if (tree.status === 304) return { unchanged: true };
    const data = tree.data as { sha?: string; tree?: TreeEntry[]; truncated?: boolean };
    let entries: { path: string; sha: string; size?: number }[] = (data.tree ?? [])
      .filter((e) => e.type === 'blob' && e.path && e.sha)
      .map((e) => ({ path: e.path!, sha: e.sha!, size: e.size }));
    if (data.truncated) entries = await this.walkContents(gh, branch, rootsOf(req.layout));
    const skipped: string[] = [];
    const selected = entries.flatMap((e) => {
      const c = classify(e.path, req.layout);
      if (c && (e.size ?? 0) > MAX_SYNC_FILE_BYTES) skipped.push(e.path);
      return c && (e.size ?? 0) <= MAX_SYNC_FILE_BYTES ? [{ ...c, sha: e.sha }] : [];
    });
    const files = await mapLimit(selected, this.opts.concurrency ?? 8, async (s): Promise<FetchedFile> => {
      const known = req.known.get(s.path);
      if (known && known.sha === s.sha) return { ...s, content: known.content };
      const blob = await this.call(`blob ${s.path}`, (request) => gh.rest.git.getBlob({ owner, repo, file_sha: s.sha, request }) as any);
      const b = blob.data as { content?: string; encoding?: string };
      const content = b.encoding === 'base64' ? Buffer.from(b.content ?? '', 'base64').toString('utf8') : String(b.content ?? '');
      return { ...s, content };
    });
    const etag = (tree.headers?.etag as string | undefined) ?? null;
    return { unchanged: false, files, commit: data.sha ?? null, etag, branch, skipped };
  }

  /** Lists blobs under `roots` with the contents API (used when the recursive tree is truncated). */
  private async walkContents(gh: Octokit, ref: string, roots: string[]): Promise<{ path: string; sha: string }[]> {
    const { owner, repo } = this.opts;
    const out: { path: string; sha: string; size?: number }[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      const r = await this.call(`folder ${dir || '/'}`, (request) => gh.rest.repos.getContent({ owner, repo, path: dir, ref, request }) as any);
      const items = Array.isArray(r.data) ? (r.data as { type: string; path: string; sha: string; size?: number }[]) : [];
      for (const it of items) {
        if (it.type === 'file') out.push({ path: it.path, sha: it.sha, size: it.size });
        else if (it.type === 'dir' && depth < 1) await walk(it.path, depth + 1);
      }
    };
    for (const root of new Set(roots)) await walk(root, 0);
    return out;
  }
}
