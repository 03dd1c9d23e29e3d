/**
 * The MLflow integration: a poll reads the whole registry (every page), picks one version per model, records one event
 * per (model, version, engine) — the claim — and processes the due events: values YAML from the template, written to
 * Git with optional Argo CD manifests, then an evaluation request. A second poll (another replica, `POST /poll`, a
 * webhook) finds the key taken and does nothing; a failed event is retried with exponential backoff, resuming after
 * the steps it already finished.
 */
import type { Logger } from 'pino';
import type { ManagerApi } from '../manager/api.ts';
import { appProject, application } from './argocd.ts';
import type { EvalPort } from './eval-client.ts';
import { GitCliWriter, GithubContentsWriter, GitWriteError, githubRepoOf, redactUrl, type GitWriter } from './git-writer.ts';
import { MlflowClient, type ModelVersion } from './mlflow-client.ts';
import { enginesOf, k8sName, releaseName, versionBranch, type Engine } from './names.ts';
import { renderValues } from './processors.ts';
import type { EventRow, MlflowRepository, NewEvent } from './repository.ts';
import { parseSelection, selectVersions, selectionLabel } from './selection.ts';
import type { Settings, SettingsStore } from './settings.ts';
import { loadTemplate, parseTemplateRef } from './values-template.ts';

export interface PollResult {
  status: 'success' | 'warning';
  timestamp: string;
  trigger: string;
  message: string;
  /** Events processed by this poll (the earlier `processed_models`). */
  processed_models: number;
  /** Events whose processing wrote a file (the earlier `new_models`, here counted from real writes). */
  new_models: number;
  /** Versions seen for the first time (events created). */
  new_events: number;
  registered_models: number;
  selected_versions: number;
  mlflow_requests: number;
  duration_ms: number;
  events: { id: string; model_name: string; version: string; engine: string; status: string }[];
  errors: string[];
}

export interface IntegrationDeps {
  repo: MlflowRepository;
  settings: SettingsStore;
  log: Logger;
  /** This replica's lease owner id. */
  owner: string;
  dataDir: string;
  githubApiUrl: string;
  manager: () => ManagerApi;
  evalPort: () => EvalPort | null;
  /** The embedded default engine URL (the 8080 gateway, whose /v1 serves every running deployment), when there is one. */
  embeddedEngineUrl: () => string | undefined;
  leaseMs?: number;
  backoff?: { baseMs: number; maxMs: number; maxAttempts: number };
  /** Test seams. */
  mlflowClient?: (s: Settings) => MlflowClient;
  gitWriter?: (s: Settings) => GitWriter | null;
}

export interface ConnectionState {
  mlflow: { configured: boolean; ok: boolean | null; error: string | null; checked_at: string | null };
  git: { configured: boolean; ok: boolean | null; error: string | null; checked_at: string | null };
}

const errText = (e: unknown) => String((e as Error)?.message ?? e).slice(0, 500);

export class MlflowIntegration {
  private inflight: Promise<PollResult> | null = null;
  lastPoll: PollResult | null = null;
  readonly state: ConnectionState = {
    mlflow: { configured: false, ok: null, error: null, checked_at: null },
    git: { configured: false, ok: null, error: null, checked_at: null },
  };
  /** Listing page sizes (MLflow's largest pages by default; tests make them small to exercise paging). */
  pageSizes: { models?: number; versions?: number } = {};
  /** Retry delays: baseMs · 2^(attempt-1), at most maxMs; after maxAttempts the event is abandoned (tests shorten it). */
  backoff: { baseMs: number; maxMs: number; maxAttempts: number };

  constructor(private readonly d: IntegrationDeps) {
    this.backoff = d.backoff ?? { baseMs: 30_000, maxMs: 3_600_000, maxAttempts: 10 };
  }

  client(s: Settings): MlflowClient | null {
    if (this.d.mlflowClient) return this.d.mlflowClient(s);
    return s.tracking_uri
      ? new MlflowClient({ baseUrl: s.tracking_uri, token: s.mlflow_token, modelPageSize: this.pageSizes.models, versionPageSize: this.pageSizes.versions })
      : null;
  }

  writer(s: Settings): GitWriter | null {
    if (this.d.gitWriter) return this.d.gitWriter(s);
    if (!s.git_url) return null;
    const gh = githubRepoOf(s.git_url);
    if (gh) return new GithubContentsWriter({ ...gh, apiBase: this.d.githubApiUrl, token: s.git_token });
    return new GitCliWriter({ url: s.git_url, token: s.git_token, workRoot: `${this.d.dataDir}/mlflow/git` });
  }

  private mark(which: 'mlflow' | 'git', ok: boolean, error?: unknown): void {
    this.state[which] = { configured: true, ok, error: ok ? null : errText(error), checked_at: new Date().toISOString() };
  }

  /** Runs a poll, or joins the one this process is already running and returns its result. */
  poll(trigger: 'poll' | 'manual'): Promise<PollResult> {
    if (!this.inflight) {
      this.inflight = this.runPoll(trigger).finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  get polling(): boolean {
    return this.inflight !== null;
  }

  private async runPoll(trigger: string): Promise<PollResult> {
    const started = Date.now();
    const s = await this.d.settings.effective();
    const result: PollResult = {
      status: 'success',
      timestamp: new Date().toISOString(),
      trigger,
      message: '',
      processed_models: 0,
      new_models: 0,
      new_events: 0,
      registered_models: 0,
      selected_versions: 0,
      mlflow_requests: 0,
      duration_ms: 0,
      events: [],
      errors: [],
    };
    const client = this.client(s);
    this.state.mlflow.configured = !!client;
    if (!client) {
      result.status = 'warning';
      result.message = 'MLflow is not configured (BENCHOPS_MLFLOW_TRACKING_URI or PUT /settings tracking_uri)';
    } else {
      const sel = parseSelection(s.select);
      try {
        const models = await client.searchRegisteredModels();
        const versions = await client.searchModelVersions();
        this.mark('mlflow', true);
        const chosen = selectVersions(models, versions, sel);
        result.registered_models = models.length;
        result.selected_versions = chosen.length;
        const rows: NewEvent[] = chosen.flatMap((v) =>
          enginesOf(s.engines).map((engine) => ({ modelName: v.name, version: String(v.version), engine, trigger, selection: selectionLabel(sel), mlflow: versionFacts(v) })),
        );
        result.new_events = await this.d.repo.insertManyIfNew(rows);
      } catch (e) {
        // MLflow down: nothing is claimed, the next poll (sooner, with backoff) reads everything again
        this.mark('mlflow', false, e);
        result.status = 'warning';
        result.errors.push(errText(e));
      } finally {
        result.mlflow_requests = client.requests;
      }
    }
    // due events (new ones and retries whose time has come) are processed even when the listing failed
    await this.processDue(s, result);
    result.duration_ms = Date.now() - started;
    if (!result.message) {
      result.message = `${result.registered_models} registered models, ${result.selected_versions} selected versions, ${result.new_events} new events, ${result.processed_models} processed`;
    }
    if (result.errors.length) result.status = 'warning';
    this.lastPoll = result;
    return result;
  }

  /** Claims and processes due events (all, or only `ids`); adds what happened to `result`. */
  async processDue(s: Settings, result?: PollResult, ids?: string[]): Promise<EventRow[]> {
    const done: EventRow[] = [];
    // bounded work: at most 1000 events per call, in batches of 20 claims
    for (let round = 0; round < 50; round++) {
      const batch = await this.d.repo.claimDue(this.d.owner, this.d.leaseMs ?? 600_000, 20, ids);
      if (!batch.length) break;
      for (const row of batch) {
        const after = await this.process(row, s);
        if (!after) continue;
        done.push(after);
        if (result) {
          result.processed_models++;
          if (((after.outcome as any)?.git?.written ?? []).length) result.new_models++;
          result.events.push({ id: after.id, model_name: after.modelName, version: after.version, engine: after.engine, status: after.status });
          if (after.status !== 'completed' && after.error) result.errors.push(`${after.modelName} ${after.version} (${after.engine}): ${after.error}`);
        }
      }
    }
    return done;
  }

  /** Processes one leased event; the steps already done (in `outcome`) are not repeated. */
  private async process(row: EventRow, s: Settings): Promise<EventRow | undefined> {
    const owner = this.d.owner;
    const outcome: Record<string, any> = { ...(row.outcome as object) };
    const warnings: string[] = [...((row.warnings as string[]) ?? [])];
    const engine = row.engine as Engine;
    const facts = { ...(row.mlflow as Record<string, any>) };
    try {
      if (!outcome.git) {
        const writer = this.writer(s);
        if (!writer) throw new Error('no Git target configured (BENCHOPS_MLFLOW_GIT_URL or PUT /settings git_url)');
        if (facts.experiment_id === undefined && facts.run_id) {
          const client = this.client(s);
          try {
            facts.experiment_id = client ? (await client.getRun(facts.run_id)).experiment_id : '';
          } catch (e) {
            facts.experiment_id = '';
            warnings.push(`runs/get for ${facts.run_id} failed, experimentId left empty: ${errText(e)}`);
          }
        }
        const tpl = await loadTemplate(engine, parseTemplateRef(s.template), this.d.manager);
        const rendered = renderValues(engine, tpl.template, {
          modelName: row.modelName,
          version: row.version,
          runId: facts.run_id ?? '',
          experimentId: facts.experiment_id ?? '',
          modelId: String(facts.source ?? '').replace(/^models:\//, ''),
          createdAt: Number(facts.creation_timestamp ?? 0),
        });
        warnings.push(...rendered.warnings);
        // custom-values-*.yaml: the manager files it as a vLLM values file and the vLLM follower deploys it
        const valuesPath = `${s.values_path.replaceAll('{engine}', engine)}/custom-values-${k8sName(row.modelName)}.yaml`;
        const branch = s.branch_per_version ? versionBranch(row.modelName, row.version) : s.git_branch;
        const files = [{ path: valuesPath, content: rendered.text }];
        const argoPaths: string[] = [];
        if (s.argocd) {
          const argo = {
            repoUrl: redactUrl(s.git_url ?? ''),
            targetRevision: branch,
            project: s.argocd_project,
            argoNamespace: s.argocd_namespace,
            engineNamespace: s.engine_namespace,
            chartPath: s.argocd_chart_path,
            dir: s.argocd_dir,
          };
          for (const f of [appProject(argo), application(argo, engine, row.modelName, row.version, valuesPath)]) {
            files.push({ path: f.path, content: f.content });
            argoPaths.push(f.path);
          }
        }
        const message = `Update ${row.modelName} (${engine}) - version: ${row.version}, runid: ${facts.run_id ?? ''}`;
        const w = await writer.write(files, { message, branch, base: s.git_branch });
        this.mark('git', true);
        outcome.git = { kind: writer.kind, repo: writer.repo, ...w, values_path: valuesPath, argocd_paths: argoPaths, template: tpl.origin };
        const eventType = w.created.includes(valuesPath) ? 'model_version_created' : w.written.includes(valuesPath) ? 'model_version_updated' : 'model_version_unchanged';
        if (!(await this.d.repo.update(row.id, owner, { outcome, warnings, eventType, mlflow: facts }))) return undefined;
      }
      if (!outcome.evaluation) {
        outcome.evaluation = await this.requestEvaluation(row, s, outcome, warnings);
        if (!(await this.d.repo.update(row.id, owner, { outcome, warnings }))) return undefined;
      }
      const done = await this.d.repo.finish(row.id, owner, 'completed');
      this.d.log.info({ event: row.id, model: row.modelName, version: row.version, engine, commit: outcome.git?.commit ?? null }, 'mlflow version processed');
      return done;
    } catch (e) {
      if (e instanceof GitWriteError) this.mark('git', false, e);
      const attempts = row.attempts;
      const give = attempts >= this.backoff.maxAttempts;
      const delay = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.max(0, attempts - 1));
      await this.d.repo.update(row.id, owner, { outcome, warnings });
      const after = await this.d.repo.finish(row.id, owner, give ? 'abandoned' : 'failed', { error: errText(e), retryAt: new Date(Date.now() + delay) });
      this.d.log.warn({ event: row.id, model: row.modelName, version: row.version, engine, attempts, err: errText(e), retry_in_ms: give ? null : delay }, 'mlflow version failed');
      return after;
    }
  }

  private async requestEvaluation(row: EventRow, s: Settings, outcome: Record<string, any>, warnings: string[]): Promise<Record<string, unknown>> {
    if (!s.evaluate) return { skipped: true, reason: 'evaluation disabled (BENCHOPS_MLFLOW_EVALUATE=0)' };
    const port = this.d.evalPort();
    if (!port) {
      warnings.push('no evaluation service in this process and BENCHOPS_EVAL_URL is not set: evaluation skipped');
      return { skipped: true, reason: 'no evaluation service' };
    }
    const url = this.engineUrl(row.engine as Engine, row.modelName, s);
    const r = await port.evaluate({
      model_name: row.modelName,
      inference_engine_url: url,
      ...(s.eval_template ? { template: s.eval_template } : {}),
      ...(s.eval_delay_seconds ? { delay_seconds: s.eval_delay_seconds } : {}),
      source: { kind: 'mlflow', event_id: row.id, model: row.modelName, version: row.version, engine: row.engine, commit: outcome.git?.commit ?? null, values_path: outcome.git?.values_path },
    });
    return { id: r.id, status: r.status, inference_engine_url: url };
  }

  /**
   * A verified webhook delivery: when it names a version the selection counts (a new version under `latest`, the
   * selected alias being set), its events are claimed like a poll's and processed in the background.
   */
  async webhook(a: { name: string; version: string; alias?: string }, payload: Record<string, unknown>): Promise<{ status: string; reason?: string; events: { id: string; engine: string; new: boolean }[] }> {
    const s = await this.d.settings.effective();
    const sel = parseSelection(s.select);
    const counts = a.alias ? sel.kind === 'alias' && sel.alias === a.alias : sel.kind === 'latest';
    if (!counts) return { status: 'ignored', reason: `the selection is ${selectionLabel(sel)}`, events: [] };
    let facts: Record<string, unknown>;
    const client = this.client(s);
    try {
      if (!client) throw new Error('MLflow is not configured');
      facts = versionFacts(await client.getModelVersion(a.name, a.version));
    } catch {
      // MLflow unreachable right now: the delivery's own fields stand in (the poll would read the same version later)
      facts = versionFacts({ name: a.name, version: a.version, run_id: str(payload.run_id), source: str(payload.source), description: str(payload.description) });
    }
    const label = a.alias ? `alias:${a.alias}` : 'webhook';
    const rows = enginesOf(s.engines).map((engine) => ({ modelName: a.name, version: a.version, engine, trigger: 'webhook', selection: label, mlflow: facts }));
    const events: { id: string; engine: string; new: boolean }[] = [];
    for (const r of rows) {
      const created = (await this.d.repo.insertManyIfNew([r])) > 0;
      const row = await this.d.repo.findKey(r.modelName, r.version, r.engine);
      if (row) events.push({ id: row.id, engine: r.engine, new: created });
    }
    const ids = events.filter((e) => e.new).map((e) => e.id);
    if (ids.length) {
      void this.processDue(s, undefined, ids).catch((e) => this.d.log.error({ err: errText(e) }, 'mlflow webhook processing failed'));
    }
    return { status: 'accepted', events };
  }

  /** The URL the evaluation waits on: the pattern setting, else the embedded gateway, else the engine's Service. */
  engineUrl(engine: Engine, modelName: string, s: Settings): string {
    const release = releaseName(engine, modelName);
    const pattern = s.engine_url ?? (this.d.embeddedEngineUrl() ? undefined : 'http://{release}.{namespace}.svc:8000');
    const url = pattern ? pattern.replaceAll('{release}', release).replaceAll('{namespace}', s.engine_namespace).replaceAll('{model}', k8sName(modelName)) : this.d.embeddedEngineUrl()!;
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`engine URL must be http(s): ${u.protocol}`);
    return url.replace(/\/+$/, '');
  }

  /** Reachability of MLflow and Git, refreshed at most every `maxAgeMs` (probes never hit MLflow or GitHub each time). */
  async checkConnections(maxAgeMs = 30_000): Promise<ConnectionState> {
    const s = await this.d.settings.effective();
    const stale = (c: { checked_at: string | null }) => !c.checked_at || Date.now() - Date.parse(c.checked_at) > maxAgeMs;
    const client = this.client(s);
    this.state.mlflow.configured = !!client;
    if (client && stale(this.state.mlflow)) {
      await client.ping().then(
        () => this.mark('mlflow', true),
        (e) => this.mark('mlflow', false, e),
      );
    }
    const writer = this.writer(s);
    this.state.git.configured = !!writer;
    if (writer && stale(this.state.git)) {
      await writer.ping().then(
        () => this.mark('git', true),
        (e) => this.mark('git', false, e),
      );
    }
    return this.state;
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** What an event keeps of an MLflow version. */
export function versionFacts(v: ModelVersion): Record<string, unknown> {
  return {
    run_id: v.run_id || null,
    source: v.source ?? null,
    creation_timestamp: v.creation_timestamp ?? null,
    current_stage: v.current_stage ?? null,
    description: v.description ?? null,
    user_id: v.user_id ?? null,
    status: v.status ?? null,
    tags: v.tags ?? [],
    aliases: v.aliases ?? [],
  };
}
