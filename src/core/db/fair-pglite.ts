/**
 * PGlite runs in this thread: each query is synchronous WASM work, and its mutex hands the connection from one queued
 * query to the next in microtasks, never letting the event loop poll sockets in between. With 50 clients the backlog
 * drained as one long block, and `/health` (or any cheap request) waited seconds for its turn. This gate queues
 * queries and transactions itself and yields one event-loop turn (setImmediate, after the I/O poll) before each, so
 * requests arriving meanwhile are read and answered between queries. A transaction is one unit: its own statements run
 * back to back on its handle.
 */
import type { PGlite } from '@electric-sql/pglite';

const GATED = new Set<PropertyKey>(['query', 'exec', 'transaction']);

/** A view of `client` whose query/exec/transaction run one at a time, each after an event-loop turn. */
export function fairPglite(client: PGlite): PGlite {
  let tail: Promise<unknown> = Promise.resolve();
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const gate = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(turn).then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (GATED.has(prop)) return (...args: unknown[]) => gate(() => value.apply(target, args));
      return value.bind(target);
    },
  });
}
