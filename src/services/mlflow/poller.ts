/**
 * Background polling. Every tick (the platform's poll tick, at most the poll interval) the due events are processed
 * (retries whose backoff ended); every poll interval the registry is read. A failed listing (MLflow down) is retried
 * sooner, with backoff, up to the interval. Across replicas one poll runs at a time (a cluster-wide try-lock); the
 * event claims keep it exactly-once even without the lock.
 */
import type { Logger } from 'pino';
import type { Database } from '../../core/db/client.ts';
import type { MlflowIntegration } from './service.ts';
import type { SettingsStore } from './settings.ts';

export const POLL_LOCK = 'benchops:mlflow:poll';

export class MlflowPoller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private nextPollAt = 0;
  private failures = 0;

  constructor(
    private readonly o: { integration: MlflowIntegration; settings: SettingsStore; database: Database; log: Logger; tickMs: number },
  ) {}

  get active(): boolean {
    return !this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = null;
        this.schedule(this.o.tickMs);
      });
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    try {
      const s = await this.o.settings.effective();
      if (Date.now() >= this.nextPollAt) {
        const r = await this.o.database.tryWithLock(POLL_LOCK, () => this.o.integration.poll('poll'));
        if (r === null) {
          this.nextPollAt = Date.now() + s.poll_seconds * 1000; // another replica is polling
          return;
        }
        const listingFailed = r.registered_models === 0 && r.errors.length > 0 && this.o.integration.state.mlflow.ok === false;
        this.failures = listingFailed ? this.failures + 1 : 0;
        const wait = listingFailed ? Math.min(s.poll_seconds * 1000, 5000 * 2 ** (this.failures - 1)) : s.poll_seconds * 1000;
        this.nextPollAt = Date.now() + wait;
      } else {
        await this.o.integration.processDue(s);
      }
    } catch (e: any) {
      this.o.log.error({ err: String(e?.message ?? e) }, 'mlflow poll tick failed');
    }
  }
}
