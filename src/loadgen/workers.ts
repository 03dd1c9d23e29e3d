/**
 * `--workers N`: the run's shares on worker threads, each with its own event loop, keep-alive agent and self-check.
 * The arrival schedule is computed once (main thread) and shared read-only with every worker, together with one
 * request counter (SharedArrayBuffer + Atomics), so the workers take the requests of one global schedule (see load.ts).
 * The time zero is agreed in wall-clock terms (performance.timeOrigin + now) once every worker is ready.
 * This module is also the workers' entry: imported in a worker thread it runs the share it was given.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { closeTarget, preopenTarget } from './client.ts';
import { runLoad, targetOf, type LoadCounters, type LoadRecord, type LoadResult, type LoadShare } from './load.ts';

/** What main gives a worker (the counter and the schedule are shared memory). */
type WorkerInit = Omit<LoadShare, 'originMs'> & { __benchopsLoad: true; wantRecords: boolean };

type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; counters: LoadCounters; records?: LoadRecord[] }
  | { type: 'done'; result: LoadResult }
  | { type: 'error'; message: string };

type ToWorker = { type: 'go'; originEpochMs: number } | { type: 'abort' };

/** Cores this process may run on (its CPU affinity: `taskset`, a container's cpuset). */
export function clientCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Default worker count: the machine's cores, keeping one for the server when it runs on this machine. */
export function defaultWorkers(baseUrl: string): number {
  const cores = clientCores();
  const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, '');
  const local = host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '0.0.0.0' || Object.values(os.networkInterfaces()).some((l) => l?.some((a) => a.address === host));
  return Math.max(1, local ? cores - 1 : cores);
}

/** Splits `total` slots over `n` shares as evenly as possible (the first ones get the remainder). */
export function splitSlots(total: number, n: number): number[] {
  if (total === Infinity) return Array.from({ length: n }, () => Infinity);
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

const SELF = new URL(import.meta.url);

/** Starts a worker thread on this module (TypeScript sources are loaded through tsx, as bin/benchops.js does). */
function spawn(init: WorkerInit): Worker {
  const href = SELF.href;
  const code = href.endsWith('.ts')
    ? `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(href)}); });`
    : `import(${JSON.stringify(href)});`;
  return new Worker(code, { eval: true, workerData: init });
}

/**
 * Runs the shares on `shares.length` worker threads; resolves with each share's result, in share order.
 * Progress: `onProgress` gets the summed counters about every 200 ms; `onRecord` each finished request (batched).
 */
export async function runOnWorkers(
  shares: Array<Omit<LoadShare, 'originMs'>>,
  hooks: { signal?: AbortSignal; onProgress?: (c: LoadCounters) => void; onRecord?: (r: LoadRecord) => void } = {},
): Promise<LoadResult[]> {
  const workers = shares.map((s) => spawn({ ...s, __benchopsLoad: true, wantRecords: !!hooks.onRecord }));
  const counters: LoadCounters[] = shares.map(() => ({ completed: 0, failed: 0, inflight: 0, chunks: 0 }));
  // the busiest worker says whether the client is the limit
  const sum = (): LoadCounters =>
    counters.reduce(
      (a, c) => ({ completed: a.completed + c.completed, failed: a.failed + c.failed, inflight: a.inflight + c.inflight, chunks: a.chunks + c.chunks, busy: Math.max(a.busy ?? 0, c.busy ?? 0) }),
      { completed: 0, failed: 0, inflight: 0, chunks: 0, busy: 0 },
    );
  let ready = 0;
  const onAbort = () => workers.forEach((w) => w.postMessage({ type: 'abort' } satisfies ToWorker));
  hooks.signal?.addEventListener('abort', onAbort);
  try {
    return await Promise.all(
      workers.map(
        (w, i) =>
          new Promise<LoadResult>((resolve, reject) => {
            w.on('message', (m: FromWorker) => {
              if (m.type === 'ready') {
                if (++ready === workers.length) {
                  // every worker is loaded: agree a time zero a little ahead, on the clock all threads share
                  const originEpochMs = performance.timeOrigin + performance.now() + 20;
                  workers.forEach((x) => x.postMessage({ type: 'go', originEpochMs } satisfies ToWorker));
                }
              } else if (m.type === 'progress') {
                counters[i] = m.counters;
                for (const r of m.records ?? []) hooks.onRecord?.(r);
                hooks.onProgress?.(sum());
              } else if (m.type === 'done') {
                counters[i] = { ...counters[i], inflight: 0 };
                resolve(m.result);
              } else reject(new Error(`load worker ${i}: ${m.message}`));
            });
            w.once('error', (e) => reject(new Error(`load worker ${i}: ${e.message}`)));
            w.once('exit', (code) => reject(new Error(`load worker ${i} exited (${code}) before its result`)));
          }),
      ),
    );
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Worker side: wait for the time zero, run the share, report progress and the result. */
async function workerMain(init: WorkerInit): Promise<void> {
  const port = parentPort!;
  const ac = new AbortController();
  const post = (m: FromWorker) => port.postMessage(m);
  const go = new Promise<number>((resolve) =>
    port.on('message', (m: ToWorker) => {
      if (m.type === 'go') resolve(m.originEpochMs);
      else ac.abort();
    }),
  );
  // this worker's connections are opened (and proven) before it says it is ready: the time zero comes after
  const target = targetOf(init.target);
  if (init.preopen) await preopenTarget(target, init.preopen.connections, init.preopen.probePath);
  post({ type: 'ready' });
  const originEpochMs = await go;
  const counters: LoadCounters = { completed: 0, failed: 0, inflight: 0, chunks: 0 };
  let batch: LoadRecord[] = [];
  let elu = performance.eventLoopUtilization();
  const flush = () => {
    const now = performance.eventLoopUtilization();
    counters.busy = performance.eventLoopUtilization(now, elu).utilization;
    elu = now;
    post({ type: 'progress', counters: { ...counters }, ...(init.wantRecords ? { records: batch } : {}) });
    batch = [];
  };
  const iv = setInterval(flush, 200);
  iv.unref();
  try {
    const result = await runLoad(
      { ...init, originMs: originEpochMs - performance.timeOrigin },
      { signal: ac.signal, counters, target, ...(init.wantRecords ? { onRecord: (r: LoadRecord) => batch.push(r) } : {}) },
    );
    clearInterval(iv);
    flush();
    post({ type: 'done', result });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  } finally {
    closeTarget(target);
  }
  port.close();
}

if (!isMainThread && (workerData as WorkerInit | undefined)?.__benchopsLoad) void workerMain(workerData as WorkerInit);
