/**
 * TEST DOUBLES (not MLflow, not GitHub): small real HTTP servers on loopback that speak the REST paths the MLflow
 * integration uses, with the shapes of the real services.
 *
 * MlflowDouble — the Model Registry's `/api/2.0/mlflow/`: registered-models/search and model-versions/search with
 * `max_results` + `page_token` paging (MLflow's limits: 1000 models, 200000 versions per page), model-versions/get,
 * registered-models/alias, runs/get; aliases and tags; a `down` switch (connections are dropped) and a bearer token.
 *
 * GithubWriteDouble — the writes of the GitHub contents API over the read-only GithubDouble: PUT contents (sha required
 * to update, 409 on a stale sha, 422 when an existing file is written without one), git/ref lookups, POST git/refs,
 * and pull requests (POST, 422 when one is already open for the branch; GET by head).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blobSha, GithubDouble } from './github-double.ts';

export interface DoubleVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  description: string;
  user_id: string;
  source: string;
  run_id: string;
  status: string;
  tags: { key: string; value: string }[];
  aliases: string[];
}

interface DoubleModel {
  name: string;
  creation_timestamp: number;
  aliases: Map<string, string>;
  tags: { key: string; value: string }[];
}

export class MlflowDouble {
  readonly models = new Map<string, DoubleModel>();
  readonly versions = new Map<string, DoubleVersion[]>();
  readonly runs = new Map<string, string>();
  readonly requests: { path: string; query: URLSearchParams }[] = [];
  /** Drop every connection (MLflow down). */
  down = false;
  /** While set, requests are recorded but answered only once it resolves (a poll held in flight). */
  hold: Promise<void> | null = null;
  requiredToken: string | null = null;
  private server: Server | null = null;
  private clock = Date.UTC(2026, 0, 1);
  url = '';

  /** Registers a model (idempotent). */
  addModel(name: string, tags: Record<string, string> = {}): void {
    if (this.models.has(name)) return;
    this.models.set(name, { name, creation_timestamp: (this.clock += 1000), aliases: new Map(), tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
    this.versions.set(name, []);
  }

  /** Adds the next version of `name` (registering the model when needed); returns it. */
  addVersion(name: string, o: Partial<Omit<DoubleVersion, 'name' | 'version'>> & { version?: string; experiment_id?: string } = {}): DoubleVersion {
    this.addModel(name);
    const list = this.versions.get(name)!;
    const version = o.version ?? String(list.length + 1);
    const runId = o.run_id ?? createHash('sha1').update(`${name}:${version}`).digest('hex').slice(0, 32);
    const v: DoubleVersion = {
      name,
      version,
      creation_timestamp: o.creation_timestamp ?? (this.clock += 1000),
      last_updated_timestamp: o.creation_timestamp ?? this.clock,
      current_stage: o.current_stage ?? 'None',
      description: o.description ?? '',
      user_id: o.user_id ?? 'ml-engineer',
      source: o.source ?? `models:/m-${runId.slice(0, 12)}`,
      run_id: runId,
      status: o.status ?? 'READY',
      tags: o.tags ?? [],
      aliases: [],
    };
    list.push(v);
    this.runs.set(runId, o.experiment_id ?? '7');
    return v;
  }

  setAlias(name: string, alias: string, version: string): void {
    const m = this.models.get(name)!;
    for (const v of this.versions.get(name) ?? []) v.aliases = v.aliases.filter((a) => a !== alias);
    m.aliases.set(alias, version);
    this.versions.get(name)!.find((v) => v.version === version)?.aliases.push(alias);
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path.endsWith(path)).length;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const u = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ path: u.pathname, query: u.searchParams });
    const hold = this.hold;
    if (hold) void hold.then(() => this.answer(req, res, u));
    else this.answer(req, res, u);
  }

  private answer(req: IncomingMessage, res: ServerResponse, u: URL): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const bad = (msg: string, status = 400, code = 'INVALID_PARAMETER_VALUE') => send(status, { error_code: code, message: msg });
    if (this.requiredToken && req.headers.authorization !== `Bearer ${this.requiredToken}`) return bad('Unauthorized', 401, 'UNAUTHENTICATED');
    if (req.method !== 'GET') return bad('method not allowed', 405, 'ENDPOINT_NOT_FOUND');
    const q = u.searchParams;
    const page = <T>(items: T[], max: number, limit: number) => {
      if (!Number.isInteger(max) || max < 1 || max > limit) return null;
      const start = q.get('page_token') ? Number(Buffer.from(q.get('page_token')!, 'base64').toString()) : 0;
      const slice = items.slice(start, start + max);
      const next = start + max < items.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
      return { slice, next };
    };
    const nameOf = (filter: string | null): string | undefined => {
      if (!filter) return undefined;
      const m = /^name\s*=\s*(['"])(.*)\1$/.exec(filter.trim());
      return m ? m[2].replaceAll("\\'", "'") : undefined;
    };
    switch (u.pathname) {
      case '/api/2.0/mlflow/registered-models/search': {
        const all = [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
        const p = page(all, Number(q.get('max_results') ?? 100), 1000);
        if (!p) return bad('max_results must be between 1 and 1000');
        return send(200, {
          registered_models: p.slice.map((m) => ({
            name: m.name,
            creation_timestamp: m.creation_timestamp,
            last_updated_timestamp: m.creation_timestamp,
            tags: m.tags,
            aliases: [...m.aliases].map(([alias, version]) => ({ alias, version })),
          })),
          ...(p.next ? { next_page_token: p.next } : {}),
        });
      }
      case '/api/2.0/mlflow/model-versions/search': {
        const filter = q.get('filter');
        const name = nameOf(filter);
        if (filter && name === undefined) return bad(`unsupported filter ${filter}`);
        const all = name !== undefined ? (this.versions.get(name) ?? []) : [...this.versions.values()].flat();
        const p = page(all, Number(q.get('max_results') ?? 10000), 200_000);
        if (!p) return bad('max_results must be between 1 and 200000');
        return send(200, { model_versions: p.slice, ...(p.next ? { next_page_token: p.next } : {}) });
      }
      case '/api/2.0/mlflow/model-versions/get': {
        const v = this.versions.get(q.get('name') ?? '')?.find((x) => x.version === q.get('version'));
        return v ? send(200, { model_version: v }) : bad('not found', 404, 'RESOURCE_DOES_NOT_EXIST');
      }
      case '/api/2.0/mlflow/registered-models/alias': {
        const m = this.models.get(q.get('name') ?? '');
        const ver = m?.aliases.get(q.get('alias') ?? '');
        const v = ver ? this.versions.get(m!.name)?.find((x) => x.version === ver) : undefined;
        return v ? send(200, { model_version: v }) : bad('not found', 404, 'RESOURCE_DOES_NOT_EXIST');
      }
      case '/api/2.0/mlflow/runs/get': {
        const id = q.get('run_id') ?? '';
        const exp = this.runs.get(id);
        return exp ? send(200, { run: { info: { run_id: id, experiment_id: exp, status: 'FINISHED' }, data: {} } }) : bad('run not found', 404, 'RESOURCE_DOES_NOT_EXIST');
      }
      default:
        return bad(`no such endpoint ${u.pathname}`, 404, 'ENDPOINT_NOT_FOUND');
    }
  }
}

/** Commits made through the write double, for assertions. */
export interface DoubleCommit {
  sha: string;
  branch: string;
  path: string;
  message: string;
  created: boolean;
}

export class GithubWriteDouble {
  readonly gh: GithubDouble;
  readonly commits: DoubleCommit[] = [];
  readonly puts: { path: string; sha: string | undefined; status: number }[] = [];
  readonly pulls: { number: number; title: string; head: string; base: string; state: 'open' }[] = [];
  /** Branch → head commit sha. */
  private readonly heads = new Map<string, string>();
  private server: Server | null = null;
  url = '';

  constructor(owner: string, repo: string, files: Record<string, string> = {}) {
    this.gh = new GithubDouble(owner, repo, files);
    this.heads.set('main', createHash('sha1').update('initial').digest('hex'));
  }

  files(branch = 'main'): Map<string, string> {
    return this.gh.branches.get(branch) ?? new Map();
  }

  async start(): Promise<string> {
    await this.gh.start();
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
    await this.gh.stop();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const send = (status: number, b: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(b));
    };
    if (this.gh.requiredToken && req.headers.authorization !== `Bearer ${this.gh.requiredToken}` && req.headers.authorization !== `token ${this.gh.requiredToken}`) {
      return send(401, { message: 'Bad credentials' });
    }
    const base = `/repos/${this.gh.owner}/${this.gh.repo}`;
    const p = decodeURIComponent(u.pathname);
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = new RegExp(`^${base}/git/ref/heads/(.+)$`).exec(p))) {
      const sha = this.heads.get(m[1]);
      return sha ? send(200, { ref: `refs/heads/${m[1]}`, object: { sha, type: 'commit' } }) : send(404, { message: 'Not Found' });
    }
    if (req.method === 'POST' && p === `${base}/git/refs`) {
      const ref = String(body?.ref ?? '');
      const name = ref.replace(/^refs\/heads\//, '');
      if (!ref.startsWith('refs/heads/') || typeof body?.sha !== 'string') return send(422, { message: 'Invalid request' });
      if (this.heads.has(name)) return send(422, { message: 'Reference already exists' });
      const from = [...this.heads].find(([, s]) => s === body.sha)?.[0];
      if (!from) return send(422, { message: 'Object does not exist' });
      this.heads.set(name, body.sha);
      this.gh.branches.set(name, new Map(this.gh.branches.get(from)));
      return send(201, { ref, object: { sha: body.sha } });
    }
    if (req.method === 'POST' && p === `${base}/pulls`) {
      if (!this.heads.has(body?.head) || !this.heads.has(body?.base)) return send(422, { message: 'Validation Failed' });
      if (this.pulls.some((x) => x.head === body.head && x.base === body.base)) return send(422, { message: 'A pull request already exists' });
      const pr = { number: this.pulls.length + 1, title: String(body.title), head: body.head, base: body.base, state: 'open' as const };
      this.pulls.push(pr);
      return send(201, { ...pr, html_url: `https://github.com/${this.gh.owner}/${this.gh.repo}/pull/${pr.number}` });
    }
    if (req.method === 'GET' && p === `${base}/pulls`) {
      const head = (u.searchParams.get('head') ?? '').split(':').pop();
      return send(200, this.pulls.filter((x) => !head || x.head === head).map((x) => ({ ...x, html_url: `https://github.com/${this.gh.owner}/${this.gh.repo}/pull/${x.number}` })));
    }
    if (req.method === 'PUT' && (m = new RegExp(`^${base}/contents/(.+)$`).exec(p))) {
      const path = m[1];
      const branch = body?.branch ?? this.gh.defaultBranch;
      const files = this.gh.branches.get(branch);
      const rec = { path, sha: body?.sha as string | undefined, status: 0 };
      this.puts.push(rec);
      const reply = (status: number, b: unknown) => {
        rec.status = status;
        send(status, b);
      };
      if (!files) return reply(404, { message: `Branch ${branch} not found` });
      if (typeof body?.message !== 'string' || typeof body?.content !== 'string') return reply(422, { message: 'Invalid request' });
      const existing = files.get(path);
      if (existing !== undefined && !body.sha) return reply(422, { message: '"sha" wasn\'t supplied.' });
      if (existing !== undefined && body.sha !== blobSha(existing)) return reply(409, { message: `${path} does not match ${body.sha}` });
      if (existing === undefined && body.sha) return reply(422, { message: 'sha given for a file that does not exist' });
      const content = Buffer.from(body.content, 'base64').toString('utf8');
      files.set(path, content);
      const sha = createHash('sha1').update(`${this.commits.length}:${branch}:${path}:${content}`).digest('hex');
      this.heads.set(branch, sha);
      this.commits.push({ sha, branch, path, message: body.message, created: existing === undefined });
      return reply(existing === undefined ? 201 : 200, { content: { path, sha: blobSha(content) }, commit: { sha, message: body.message } });
    }
    // everything else (repository, contents reads) is the read double's
    const r = await fetch(this.gh.url + u.pathname + u.search, { method: req.method, headers: { authorization: String(req.headers.authorization ?? '') } });
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(Buffer.from(await r.arrayBuffer()));
  }
}
