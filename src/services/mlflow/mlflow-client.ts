/**
 * MLflow Model Registry REST client (the `/api/2.0/mlflow/*` paths the Python SDK uses): registered models and model
 * versions read page by page until `next_page_token` runs out (the earlier service read one page only, §6.2), runs,
 * aliases. Every request has a timeout; a bearer token is sent when configured and never appears in errors.
 */
export interface MlflowTag {
  key: string;
  value: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  aliases?: { alias: string; version: string }[];
  tags?: MlflowTag[];
  latest_versions?: ModelVersion[];
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  current_stage?: string;
  description?: string;
  user_id?: string;
  source?: string;
  run_id?: string;
  status?: string;
  tags?: MlflowTag[];
  aliases?: string[];
}

export class MlflowError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when MLflow could not be reached. */
    readonly status: number,
  ) {
    super(message);
  }
}

export interface MlflowClientOptions {
  baseUrl: string;
  token?: string;
  timeoutMs?: number;
  /** Page sizes (MLflow's maximum for registered models is 1000). */
  modelPageSize?: number;
  versionPageSize?: number;
  /** Longest listing, a bound on work per poll. */
  maxPages?: number;
}

export class MlflowClient {
  readonly base: string;
  /** Requests made (the bench and tests read it). */
  requests = 0;

  private readonly basic?: string;

  constructor(private readonly o: MlflowClientOptions) {
    // fetch refuses URLs with user info: `user:password@` becomes MLflow's basic auth (its auth app) instead
    const u = new URL(o.baseUrl);
    if (u.username || u.password) {
      this.basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
      u.username = '';
      u.password = '';
    }
    this.base = u.toString().replace(/\/+$/, '');
  }

  private async get<T>(path: string, query: Record<string, string | number | undefined>): Promise<T> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
    const url = `${this.base}/api/2.0/mlflow/${path}${q.size ? `?${q}` : ''}`;
    this.requests++;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: {
          accept: 'application/json',
          ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : this.basic ? { authorization: `Basic ${this.basic}` } : {}),
        },
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (e: any) {
      throw new MlflowError(`MLflow unreachable at ${this.base}: ${e?.cause?.code ?? e?.name ?? 'connection failed'}`, 0);
    }
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      throw new MlflowError(`MLflow ${path} answered ${res.status} with a body that is not JSON`, res.status);
    }
    if (!res.ok) {
      const why = typeof body?.message === 'string' ? body.message.slice(0, 200) : `HTTP ${res.status}`;
      throw new MlflowError(`MLflow ${path}: ${body?.error_code ?? res.status} ${why}`, res.status);
    }
    return body as T;
  }

  private async paged<T>(path: string, key: string, query: Record<string, string | number | undefined>): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined;
    for (let page = 0; page < (this.o.maxPages ?? 10_000); page++) {
      const body = await this.get<Record<string, any>>(path, { ...query, page_token: token });
      const items = body[key];
      if (items !== undefined && !Array.isArray(items)) throw new MlflowError(`MLflow ${path}: ${key} is not a list`, 200);
      out.push(...((items ?? []) as T[]));
      token = typeof body.next_page_token === 'string' && body.next_page_token ? body.next_page_token : undefined;
      if (!token) return out;
    }
    throw new MlflowError(`MLflow ${path}: more than ${this.o.maxPages} pages`, 200);
  }

  /** Every registered model (all pages). */
  searchRegisteredModels(filter?: string): Promise<RegisteredModel[]> {
    return this.paged('registered-models/search', 'registered_models', { filter, max_results: this.o.modelPageSize ?? 1000 });
  }

  /** Every version matching `filter` (all pages); without a filter, every version of every model. */
  searchModelVersions(filter?: string): Promise<ModelVersion[]> {
    return this.paged('model-versions/search', 'model_versions', { filter, max_results: this.o.versionPageSize ?? 1000 });
  }

  /** Versions of one model. */
  versionsOf(name: string): Promise<ModelVersion[]> {
    return this.searchModelVersions(nameFilter(name));
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return (await this.get<{ model_version: ModelVersion }>('model-versions/get', { name, version })).model_version;
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return (await this.get<{ model_version: ModelVersion }>('registered-models/alias', { name, alias })).model_version;
  }

  /** The run's experiment id (what `global.experimentId` records). */
  async getRun(runId: string): Promise<{ run_id: string; experiment_id: string }> {
    const body = await this.get<{ run?: { info?: { run_id?: string; experiment_id?: string } } }>('runs/get', { run_id: runId });
    return { run_id: body.run?.info?.run_id ?? runId, experiment_id: String(body.run?.info?.experiment_id ?? '') };
  }

  /** Reachability: one small listing. */
  async ping(): Promise<void> {
    await this.get('registered-models/search', { max_results: 1 });
  }
}

/** An MLflow search filter for one model name (quotes chosen so the name needs no escaping where possible). */
export function nameFilter(name: string): string {
  if (!name.includes("'")) return `name='${name}'`;
  if (!name.includes('"')) return `name="${name}"`;
  return `name='${name.replaceAll("'", "\\'")}'`;
}
