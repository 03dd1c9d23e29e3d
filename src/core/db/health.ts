/**
 * /health's database check answered from a recent result. On PGlite every service shares one connection that runs one
 * query at a time, so a `SELECT 1` per probe waited behind every list query in flight (2.6 s under 50 clients). The
 * probe refreshes in the background when its result is older than FRESH_MS, answers from a result up to STALE_MS old,
 * and only when it has none that recent waits (at most WAIT_MS) for the check itself.
 */

/** A result younger than this is not refreshed. */
export const FRESH_MS = 1000;
/** A result older than this is not used: the probe waits for a new one. */
export const STALE_MS = 10_000;
/** Longest a probe waits for the database before saying it is down. */
export const WAIT_MS = 2000;

export interface ProbeTiming {
  freshMs: number;
  staleMs: number;
  waitMs: number;
  now: () => number;
}

/** Wraps a liveness check (`SELECT 1`) into a probe that resolves when the database answered recently, else throws why. */
export function healthProbe(check: () => Promise<void>, timing: Partial<ProbeTiming> = {}): () => Promise<void> {
  const { freshMs = FRESH_MS, staleMs = STALE_MS, waitMs = WAIT_MS, now = Date.now } = timing;
  let last: { at: number; error: Error | null } | null = null;
  let inflight: Promise<void> | null = null;
  const refresh = (): Promise<void> =>
    (inflight ??= check()
      .then(
        () => void (last = { at: now(), error: null }),
        (e: unknown) => void (last = { at: now(), error: e instanceof Error ? e : new Error(String(e)) }),
      )
      .finally(() => {
        inflight = null;
      }));
  const answer = (): boolean => {
    if (!last || now() - last.at > staleMs) return false;
    if (last.error) throw last.error;
    return true;
  };
  return async () => {
    if (!last || now() - last.at > freshMs) void refresh();
    if (answer()) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([refresh(), new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    if (answer()) return;
    throw new Error(`the database did not answer within ${waitMs / 1000} s`);
  };
}
