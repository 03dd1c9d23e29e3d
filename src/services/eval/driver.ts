/**
 * Drives evaluations in the background, on any replica: each tick claims due evaluations (a lease, `SKIP LOCKED`),
 * at most `concurrency` at once (the cap on concurrent readiness waiters and deployer calls), and moves each one step:
 * probe the engine (backoff between probes, the deadline fails it and the job is never submitted), hand the job to
 * the deployer's `/run`, follow the run, collect result pks. Nothing blocks a request: probes are bounded fetches.
 */
import type { Logger } from 'pino';
import { isAppError } from '../../core/errors.ts';
import type { EvaluationStatus, HistoryEntry, TemplateRef } from './api.ts';
import type { EvalPorts } from './ports.ts';
import { backoffMs, probeEngine } from './readiness.ts';
import type { EvalRepository } from './repository.ts';
import type { EvaluationRow } from './schema.ts';
import { entry } from './service.ts';
import { k8sModelWord, resolveTemplate, substitutions } from './template.ts';

export const LABEL_EVALUATION = 'benchops.io/evaluation-id';

export interface DriverOptions {
  repo: EvalRepository;
  ports: EvalPorts;
  log: Logger;
  owner: string;
  tickMs: number;
  leaseMs: number;
  concurrency: number;
  probeTimeoutMs: number;
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** How often a submitted job's status is read. */
  followMs: number;
  jobTimeoutMs: number;
  /** Hand-overs retried after a passing deployer failure (unreachable, 5xx). */
  submitRetries: number;
  /** Also run on each tick (the schedules). */
  alsoEachTick?: () => Promise<void>;
}

export class EvalDriver {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  /** Steps under way (id → its promise): a slow probe holds its own slot, not the next tick. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly o: DriverOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Looks at due work now (after a POST), unless a tick is under way. */
  poke(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  /** How many evaluations this replica is stepping right now (at most `concurrency`). */
  get busy(): number {
    return this.inFlight.size;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick().finally(() => this.schedule(this.o.tickMs));
    }, ms);
  }

  /**
   * One pass: fires due schedules, then claims due evaluations into the free slots and starts their steps without
   * waiting for them (the next tick refills the slots they free). Resolves when the claims are made.
   */
  async tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        await this.o.alsoEachTick?.();
      } catch (e: any) {
        this.o.log.error({ err: e?.message }, 'eval: schedule tick failed');
      }
      const free = this.o.concurrency - this.inFlight.size;
      if (free <= 0 || this.stopped) return;
      try {
        const rows = await this.o.repo.claimDue(this.o.owner, this.o.leaseMs, free, new Date(), [...this.inFlight.keys()]);
        for (const r of rows) {
          const p = this.step(r)
            .catch((e) => this.o.log.error({ evaluation: r.id, err: e?.message ?? String(e) }, 'eval: step failed'))
            .finally(() => {
              this.inFlight.delete(r.id);
              // a freed slot is refilled now when more work may be due
              if (rows.length === free) this.poke();
            });
          this.inFlight.set(r.id, p);
        }
      } catch (e: any) {
        this.o.log.error({ err: e?.message }, 'eval: claim failed');
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Ticks until nothing is in flight (tests). */
  async settle(): Promise<void> {
    await this.tick();
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight.values()]);
  }

  private release = { leaseOwner: null, leaseUntil: null };

  private async move(r: EvaluationRow, expect: EvaluationStatus[], patch: Parameters<EvalRepository['transition']>[2], e?: HistoryEntry | HistoryEntry[]) {
    return this.o.repo.transition(r.id, expect, { ...this.release, ...patch }, e, this.o.owner);
  }

  private async fail(r: EvaluationRow, reason: string, extra: Parameters<EvalRepository['transition']>[2] = {}) {
    this.o.log.warn({ evaluation: r.id, model: r.modelName, reason }, 'evaluation failed');
    return this.move(r, [r.status as EvaluationStatus], { status: 'failed', error: reason, nextCheckAt: null, finishedAt: new Date(), ...extra }, entry('failed', reason));
  }

  private async step(r: EvaluationRow): Promise<void> {
    if (r.status === 'waiting') {
      if (r.stage === 'submitting') {
        // the holder stopped during the deployer call: whether the job exists is unknown, and running it twice is worse
        await this.fail(
          r,
          `the service stopped while handing the job to the deployer; it is not resubmitted (look for a job labelled ${LABEL_EVALUATION}=${r.id})`,
        );
        return;
      }
      if (r.stage === 'submit-retry') return this.submit(r);
      return this.probe(r);
    }
    return this.follow(r);
  }

  private async probe(r: EvaluationRow): Promise<void> {
    const res = await probeEngine(r.engineUrl, r.modelName, this.o.probeTimeoutMs);
    const attempts = r.probeAttempts + 1;
    if (res.ready) {
      const moved = await this.o.repo.transition(r.id, ['waiting'], { probeAttempts: attempts, lastProbe: res.detail }, undefined, this.o.owner);
      if (moved) await this.submit(moved);
      return;
    }
    const now = Date.now();
    if (now >= r.readyDeadline.getTime()) {
      const waited = Math.round((r.readyDeadline.getTime() - r.createdAt.getTime()) / 1000);
      await this.fail(r, `the engine at ${r.engineUrl} did not list model ${r.modelName} on /v1/models within ${waited} s (${attempts} probes; last: ${res.detail}); the job was not submitted`, {
        probeAttempts: attempts,
        lastProbe: res.detail,
      });
      return;
    }
    const next = Math.min(r.readyDeadline.getTime(), now + backoffMs(attempts, this.o.firstBackoffMs, this.o.maxBackoffMs));
    await this.move(r, ['waiting'], { probeAttempts: attempts, lastProbe: res.detail, nextCheckAt: new Date(next) });
  }

  private async submit(r: EvaluationRow): Promise<void> {
    // the deployer call may outlast a normal lease: hold it longer so no replica takes the row meanwhile
    const held = await this.o.repo.transition(r.id, ['waiting'], { stage: 'submitting', leaseUntil: new Date(Date.now() + 5 * 60_000) }, undefined, this.o.owner);
    if (!held) return;
    const tpl = r.template as TemplateRef;
    const retry = async (why: string) => {
      const n = r.submitAttempts + 1;
      if (n > this.o.submitRetries) return void (await this.fail(held, `the job could not be handed to the deployer after ${n} attempts: ${why}`));
      await this.move(held, ['waiting'], { stage: 'submit-retry', submitAttempts: n, lastProbe: `hand-over ${n} failed: ${why}`, nextCheckAt: new Date(Date.now() + backoffMs(n, this.o.firstBackoffMs, this.o.maxBackoffMs)) });
    };
    let resolved;
    try {
      resolved = await resolveTemplate(this.o.ports.manager(), tpl, ['template']);
    } catch (e: any) {
      if (isAppError(e) && e.status < 500) return void (await this.fail(held, `template ${tpl.project_id}:${tpl.job_file}: ${e.message}`));
      return retry(`manager: ${e?.message ?? e}`);
    }
    const overrides = Object.fromEntries(Object.entries((r.overrides ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    let run;
    try {
      run = await this.o.ports.deployer().run(
        {
          project_id: tpl.project_id,
          benchmark_type: tpl.benchmark_type ?? resolved.benchmarkType,
          name: `eval-${k8sModelWord(r.modelName)}`.slice(0, 200),
          job_file_id: resolved.jobFileId,
          ...(resolved.configFileId ? { config_file_id: resolved.configFileId } : {}),
          vllm_model_endpoint: r.engineUrl,
        },
        { substitutions: substitutions(r.id, r.modelName, r.engineUrl, overrides), labels: { [LABEL_EVALUATION]: r.id }, model: { served_model_name: r.modelName } },
      );
    } catch (e: any) {
      if (isAppError(e) && e.status < 500) return void (await this.fail(held, `the deployer refused the job: ${e.message}`));
      return retry(`deployer: ${e?.message ?? e}`);
    }
    const moved = await this.move(
      held,
      ['waiting'],
      {
        status: 'submitted',
        stage: 'submitted',
        deploymentId: run.deployment_id,
        jobName: run.resource_name,
        jobNamespace: run.namespace,
        warnings: [...(held.warnings as string[]), ...(run.warnings ?? [])],
        nextCheckAt: new Date(Date.now() + this.o.followMs),
      },
      entry('submitted', `engine ready after ${r.probeAttempts} probe(s); deployer run ${run.deployment_id}, job ${run.resource_name}`),
    );
    if (!moved) {
      // cancelled while the deployer created it: the job must not run on
      this.o.log.info({ evaluation: r.id, job: run.resource_name }, 'eval: cancelled during submission, deleting the job');
      await this.o.ports.deployer().deleteJob(run.resource_name, run.namespace).catch(() => {});
    }
  }

  private async follow(r: EvaluationRow): Promise<void> {
    const later = () => new Date(Date.now() + this.o.followMs);
    let rec;
    try {
      rec = await this.o.ports.deployer().getDeployment(r.deploymentId!);
    } catch (e: any) {
      if (isAppError(e) && e.status === 404) return void (await this.fail(r, `the deployer has no record of run ${r.deploymentId} any more`));
      await this.move(r, [r.status as EvaluationStatus], { nextCheckAt: later(), lastProbe: `deployer: ${e?.message ?? e}` });
      return;
    }
    const submittedAt = Date.parse((r.history as HistoryEntry[]).find((h) => h.status === 'submitted')?.at ?? r.updatedAt.toISOString());
    if (rec.status === 'pending' || rec.status === 'running') {
      if (Date.now() - submittedAt > this.o.jobTimeoutMs) {
        await this.o.ports.deployer().deleteJob(r.jobName!, r.jobNamespace ?? undefined).catch(() => {});
        return void (await this.fail(r, `the job ran longer than ${Math.round(this.o.jobTimeoutMs / 1000)} s (BENCHOPS_JOB_TIMEOUT_SECONDS) and was deleted`));
      }
      if (rec.status === 'running' && r.status === 'submitted') await this.move(r, ['submitted'], { status: 'running', nextCheckAt: later() }, entry('running', `job ${rec.resource_name} running`));
      else await this.move(r, [r.status as EvaluationStatus], { nextCheckAt: later() });
      return;
    }
    if (rec.status === 'completed') {
      let pks: string[];
      try {
        pks = await this.o.ports.resultPks(r.deploymentId!);
      } catch (e: any) {
        // the results service is away for now: ask again later rather than report a run without results
        if (Date.now() - submittedAt < this.o.jobTimeoutMs) {
          await this.move(r, [r.status as EvaluationStatus], { nextCheckAt: later(), lastProbe: `results: ${e?.message ?? e}` });
          return;
        }
        pks = [];
      }
      const warnings = [...(r.warnings as string[])];
      if (!pks.length) warnings.push(`the job completed but no results are stored under run id ${r.deploymentId}`);
      await this.move(
        r,
        [r.status as EvaluationStatus],
        { status: 'completed', resultPks: pks, warnings, nextCheckAt: null, finishedAt: new Date() },
        [
          // a job that started and finished between two checks still ran: the history says so rather than skip the stage
          ...(r.status === 'submitted' ? [entry('running', `job ${rec.resource_name} started and finished between two checks`)] : []),
          entry('completed', `${pks.length} result(s) stored`),
        ],
      );
      return;
    }
    const reason = rec.status === 'failed' ? `the job failed: ${rec.message ?? 'no reason given'}` : `the job was ${rec.status}`;
    const runs = (r.history as HistoryEntry[]).filter((h) => h.status === 'submitted').length;
    if (rec.status === 'failed' && runs <= r.maxRetries) {
      // the failed run's objects go first: names the template derives from the evaluation would collide with the
      // next run's (its reason is kept in the warnings)
      if (r.jobName) {
        try {
          await this.o.ports.deployer().deleteJob(r.jobName, r.jobNamespace ?? undefined);
        } catch (e: any) {
          await this.move(r, [r.status as EvaluationStatus], { nextCheckAt: later(), lastProbe: `deleting the failed job before a retry: ${e?.message ?? e}` });
          return;
        }
      }
      // back to the readiness wait (the engine may be what failed), with a fresh deadline of the same length
      const wait = Math.max(1000, r.readyDeadline.getTime() - r.createdAt.getTime());
      await this.move(
        r,
        [r.status as EvaluationStatus],
        {
          status: 'waiting',
          stage: 'readiness',
          submitAttempts: 0,
          readyDeadline: new Date(Date.now() + wait),
          nextCheckAt: new Date(Date.now() + this.o.firstBackoffMs),
          warnings: [...(r.warnings as string[]), `run ${runs} (${r.deploymentId}): ${reason}`],
        },
        entry('waiting', `${reason}; running it again (retry ${runs} of ${r.maxRetries})`),
      );
      return;
    }
    await this.fail(r, reason);
  }
}
