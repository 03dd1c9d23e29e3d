/**
 * A test double of the GitHub REST API (the paths the manager uses), as a real HTTP server on loopback:
 * GET /repos/{o}/{r}, /repos/{o}/{r}/git/trees/{ref}?recursive=1 (ETag + 304 on If-None-Match, optional truncation),
 * /repos/{o}/{r}/git/blobs/{sha}, /repos/{o}/{r}/contents/{path}?ref=, rate-limit headers on every answer, and queued
 * 403/429 rate-limit answers with Retry-After or x-ratelimit-reset.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  status: number;
}

export interface RateLimitRule {
  /** Which requests it hits: 'repo' | 'tree' | 'blob' | 'contents' | 'any'. */
  kind: 'repo' | 'tree' | 'blob' | 'contents' | 'any';
  status: 403 | 429;
  /** Seconds for Retry-After. */
  retryAfter?: number;
  /** Unix seconds for x-ratelimit-reset (with x-ratelimit-remaining: 0). */
  reset?: number;
  /** How many answers (default 1). */
  times?: number;
}

const blobSha = (content: string) => createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0`).update(content).digest('hex');

export class GithubDouble {
  readonly requests: RecordedRequest[] = [];
  /** Branch → path → content. */
  readonly branches = new Map<string, Map<string, string>>();
  defaultBranch = 'main';
  /** When set, requests without `token <t>` / `Bearer <t>` get 401. */
  requiredToken: string | null = null;
  /** Answer tree listings with `truncated: true` (forces the contents API fallback). */
  truncateTrees = false;
  /** Delay for blob answers (ms), to observe client concurrency. */
  blobDelayMs = 0;
  maxBlobInFlight = 0;
  private blobInFlight = 0;
  private rules: RateLimitRule[] = [];
  private server: Server | null = null;
  url = '';

  constructor(
    readonly owner: string,
    readonly repo: string,
    files: Record<string, string> = {},
  ) {
    this.branches.set('main', new Map(Object.entries(files)));
  }

  /** Sets (string) or removes (null) files on a branch. */
  setFiles(changes: Record<string, string | null>, branch = this.defaultBranch): void {
    const m = this.branches.get(branch) ?? new Map<string, string>();
    for (const [p, c] of Object.entries(changes)) {
      if (c === null) m.delete(p);
      else m.set(p, c);
    }
    this.branches.set(branch, m);
  }

  rateLimit(rule: RateLimitRule): void {
    this.rules.push({ times: 1, ...rule });
  }

  count(kind: 'repo' | 'tree' | 'blob' | 'contents', status?: number): number {
    return this.requests.filter((r) => kindOf(r.path) === kind && (status === undefined || r.status === status)).length;
  }

  private treeOf(branch: string) {
    const files = this.branches.get(branch);
    if (!files) return null;
    const entries = [...files.entries()].sort(([a], [b]) => a.localeCompare(b));
    const dirs = new Set<string>();
    for (const [p] of entries) {
      const segs = p.split('/');
      for (let i = 1; i < segs.length; i++) dirs.add(segs.slice(0, i).join('/'));
    }
    const tree = [
      ...[...dirs].map((d) => ({ path: d, mode: '040000', type: 'tree', sha: createHash('sha1').update(`dir:${d}`).digest('hex') })),
      ...entries.map(([p, c]) => ({ path: p, mode: '100644', type: 'blob', sha: blobSha(c), size: Buffer.byteLength(c) })),
    ];
    const sha = createHash('sha1').update(JSON.stringify(tree)).digest('hex');
    return { sha, tree };
  }

  private findBlob(sha: string): string | undefined {
    for (const files of this.branches.values()) for (const c of files.values()) if (blobSha(c) === sha) return c;
    return undefined;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    // GitHub Enterprise Server serves the same REST API under /api/v3
    u.pathname = u.pathname.replace(/^\/api\/v3(?=\/)/, '');
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: decodeURIComponent(u.pathname), query: u.searchParams, headers: req.headers, status: 0 };
    this.requests.push(rec);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        ...headers,
      });
      res.end(status === 304 ? undefined : JSON.stringify(body));
    };
    if (this.requiredToken) {
      const auth = req.headers.authorization ?? '';
      if (auth !== `token ${this.requiredToken}` && auth !== `Bearer ${this.requiredToken}`) {
        return send(401, { message: 'Bad credentials' });
      }
    }
    const kind = kindOf(rec.path);
    const rule = this.rules.find((r) => r.kind === 'any' || r.kind === kind);
    if (rule) {
      if (--rule.times! <= 0) this.rules.splice(this.rules.indexOf(rule), 1);
      const h: Record<string, string> = {};
      if (rule.retryAfter !== undefined) h['retry-after'] = String(rule.retryAfter);
      if (rule.reset !== undefined) {
        h['x-ratelimit-remaining'] = '0';
        h['x-ratelimit-reset'] = String(rule.reset);
      }
      return send(rule.status, { message: 'API rate limit exceeded' }, h);
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)(?:\/(.*))?$/.exec(rec.path);
    if (!m || m[1] !== this.owner || m[2] !== this.repo || req.method !== 'GET') return send(404, { message: 'Not Found' });
    const rest = m[3] ?? '';
    if (rest === '') return send(200, { full_name: `${this.owner}/${this.repo}`, default_branch: this.defaultBranch, private: true });
    let mm: RegExpExecArray | null;
    if ((mm = /^git\/trees\/(.+)$/.exec(rest))) {
      const t = this.treeOf(mm[1]);
      if (!t) return send(404, { message: 'Not Found' });
      const etag = `"${t.sha}${this.truncateTrees ? '-t' : ''}"`;
      if (req.headers['if-none-match'] === etag) return send(304, null, { etag });
      const tree = u.searchParams.get('recursive') ? t.tree : t.tree.filter((e) => !e.path.includes('/'));
      return send(200, { sha: t.sha, url: '', tree: this.truncateTrees ? tree.slice(0, 1) : tree, truncated: this.truncateTrees }, { etag });
    }
    if ((mm = /^git\/blobs\/([0-9a-f]{40})$/.exec(rest))) {
      this.blobInFlight++;
      this.maxBlobInFlight = Math.max(this.maxBlobInFlight, this.blobInFlight);
      if (this.blobDelayMs) await new Promise((r) => setTimeout(r, this.blobDelayMs));
      this.blobInFlight--;
      const c = this.findBlob(mm[1]);
      if (c === undefined) return send(404, { message: 'Not Found' });
      return send(200, { sha: mm[1], size: Buffer.byteLength(c), encoding: 'base64', content: Buffer.from(c).toString('base64').replace(/(.{60})/g, '$1\n') });
    }
    if ((mm = /^contents(?:\/(.*))?$/.exec(rest))) {
      const branch = u.searchParams.get('ref') ?? this.defaultBranch;
      const files = this.branches.get(branch);
      if (!files) return send(404, { message: 'No commit found for the ref' });
      const p = (mm[1] ?? '').replace(/\/$/, '');
      const content = files.get(p);
      if (content !== undefined) {
        return send(200, { type: 'file', name: p.split('/').pop(), path: p, sha: blobSha(content), encoding: 'base64', content: Buffer.from(content).toString('base64') });
      }
      const prefix = p ? `${p}/` : '';
      const children = new Map<string, { type: string; name: string; path: string; sha: string }>();
      for (const [fp, c] of files) {
        if (!fp.startsWith(prefix)) continue;
        const rest2 = fp.slice(prefix.length).split('/');
        const name = rest2[0];
        const full = prefix + name;
        if (rest2.length === 1) children.set(name, { type: 'file', name, path: full, sha: blobSha(c) });
        else if (!children.has(name)) children.set(name, { type: 'dir', name, path: full, sha: createHash('sha1').update(`dir:${full}`).digest('hex') });
      }
      if (!children.size) return send(404, { message: 'Not Found' });
      return send(200, [...children.values()]);
    }
    return send(404, { message: 'Not Found' });
  }
}

function kindOf(p: string): 'repo' | 'tree' | 'blob' | 'contents' | 'other' {
  if (/^\/repos\/[^/]+\/[^/]+$/.test(p)) return 'repo';
  if (p.includes('/git/trees/')) return 'tree';
  if (p.includes('/git/blobs/')) return 'blob';
  if (/\/contents(\/|$)/.test(p)) return 'contents';
  return 'other';
}

export { blobSha };
