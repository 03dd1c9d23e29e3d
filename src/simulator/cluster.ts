/**
 * `sim serve --workers N`: one emulated deployment over N cluster-mode processes sharing one port (the primary hands
 * connections round-robin to the workers, which parse requests and write every chunk). The deployment's scheduler
 * state stays ONE engine: with the performance model, the primary runs the only RealtimeEngine (KV budget, seat limit,
 * batching over every worker's requests); workers submit and abort over IPC and get each step's emitted and finished
 * requests back in one message per worker per step. A fixed profile has no shared state (no batching limits), so
 * each worker times its own streams. Ground truth (/benchops/records) is gathered from every worker.
 */
import cluster, { type Worker } from 'node:cluster';
import { performance } from 'node:perf_hooks';
import { RealtimeEngine, buildEngine } from './engine.ts';
import { newRequest, newPoolingRequest, type SimRequest, type StepResult } from './scheduler.ts';
import { startEmulatedServer, type EmulatedServer, type EmulatedServerOptions, type EngineLink, type RequestRecord } from './server.ts';

const OPTS_ENV = 'BENCHOPS_SIM_WORKER_OPTIONS';

/** A request as it crosses to the primary's engine (times are epoch ms: each process has its own perf clock). */
interface WireRequest {
  id: string;
  prompt_tokens: number;
  max_output: number;
  arrival_epoch: number;
  pooling?: boolean;
  prefix_key?: string;
  prefix_len?: number;
}

type ToPrimary =
  | { t: 'ready'; port: number }
  | { t: 'submit'; r: WireRequest }
  | { t: 'abort'; id: string }
  | { t: 'gather'; q: number }
  | { t: 'clear'; q: number }
  | { t: 'cleared'; q: number }
  | { t: 'records'; q: number; records: RequestRecord[] };

type ToWorker =
  | { t: 'step'; emitted: Array<[string, number, number | null, number]>; finished: string[]; round_end: boolean }
  | { t: 'collect'; q: number }
  | { t: 'gathered'; q: number; records: RequestRecord[] }
  | { t: 'clear'; q: number }
  | { t: 'cleared'; q: number };

/** Is this process a worker of an emulator cluster (started by `startEmulatorCluster`)? */
export function isEmulatorWorker(): boolean {
  return cluster.isWorker && process.env[OPTS_ENV] !== undefined;
}

/** The primary: forks the workers, runs the one engine (performance model), relays records. Resolves once all listen. */
export async function startEmulatorCluster(opts: Omit<EmulatedServerOptions, 'responder' | 'engineLink' | 'gather'>, workers: number): Promise<Pick<EmulatedServer, 'url' | 'port' | 'close'>> {
  if (!Number.isInteger(workers) || workers < 2 || workers > 64) throw new RangeError('workers must be an integer in 2..64');
  // fails here (bad model, bad limits) rather than in every worker
  const setup = buildEngine({ ...opts, model: opts.model ?? 'meta-llama/Llama-3.1-8B-Instruct' });
  const byWorker = new Map<Worker, Map<string, SimRequest>>();
  // workers with tokens of the current multi-step round: told when it ends even if its last step gives them nothing
  const inRound = new Set<Worker>();
  const engine: RealtimeEngine | undefined = opts.profile
    ? undefined
    : new RealtimeEngine(setup, (r: StepResult) => {
        const roundEnd = engine!.scheduler.roundEnd;
        // one message per worker per step, like the local engine's one callback per step
        const out = new Map<Worker, ToWorker & { t: 'step' }>();
        const msg = (w: Worker) => out.get(w) ?? (out.set(w, { t: 'step', emitted: [], finished: [], round_end: roundEnd }), out.get(w)!);
        for (const sim of r.emitted) {
          const w = sim.owner as Worker;
          msg(w).emitted.push([sim.id, sim.output, sim.first_scheduled === undefined ? null : performance.timeOrigin + sim.first_scheduled, sim.preemptions]);
        }
        for (const sim of r.finished) {
          const w = sim.owner as Worker;
          msg(w).finished.push(sim.id);
          byWorker.get(w)?.delete(sim.id);
        }
        if (roundEnd) {
          for (const w of inRound) msg(w);
          inRound.clear();
        } else for (const w of out.keys()) inRound.add(w);
        for (const [w, m] of out) if (w.isConnected()) w.send(m);
      });
  cluster.setupPrimary({ silent: false });
  // a gather asked by one worker: every worker's records, answered to the asker under its own query id
  const pending = new Map<number, { want: number; got: RequestRecord[][]; reply: Worker; origin: number }>();
  // a clear asked by one worker: answered once every worker has cleared, so no record of a request sent after the
  // asker's DELETE answered is wiped by a clear still on its way to another worker
  const clearing = new Map<number, { want: number; got: number; reply: Worker; origin: number }>();
  let q = 0;
  const forked: Worker[] = [];
  const ports = await Promise.all(
    Array.from({ length: workers }, () => {
      const w = cluster.fork({ [OPTS_ENV]: JSON.stringify(opts) });
      forked.push(w);
      byWorker.set(w, new Map());
      return new Promise<number>((resolve, reject) => {
        w.once('exit', (code) => reject(new Error(`emulator worker exited with code ${code} before listening`)));
        w.on('message', (m: ToPrimary) => {
          if (m.t === 'ready') resolve(m.port);
          else if (m.t === 'submit' && engine) {
            const r = m.r;
            const arrival = r.arrival_epoch - performance.timeOrigin;
            const sim = r.pooling ? newPoolingRequest(r.id, r.prompt_tokens, arrival) : newRequest(r.id, r.prompt_tokens, r.max_output, arrival);
            if (r.prefix_key !== undefined) Object.assign(sim, { prefix_key: r.prefix_key, prefix_len: r.prefix_len });
            sim.owner = w;
            byWorker.get(w)!.set(r.id, sim);
            engine.submit(sim);
          } else if (m.t === 'abort' && engine) {
            const sim = byWorker.get(w)?.get(m.id);
            if (sim) engine.abort(sim);
            byWorker.get(w)?.delete(m.id);
          } else if (m.t === 'gather') {
            const id = ++q;
            const live = forked.filter((x) => x.isConnected());
            pending.set(id, { want: live.length, got: [], reply: w, origin: m.q });
            for (const x of live) x.send({ t: 'collect', q: id } satisfies ToWorker);
          } else if (m.t === 'records') {
            const p = pending.get(m.q);
            if (!p) return;
            p.got.push(m.records);
            if (p.got.length === p.want) {
              pending.delete(m.q);
              const all = p.got.flat().sort((a, b) => a.arrival_ms - b.arrival_ms);
              if (p.reply.isConnected()) p.reply.send({ t: 'gathered', q: p.origin, records: all } satisfies ToWorker);
            }
          } else if (m.t === 'clear') {
            const id = ++q;
            const live = forked.filter((x) => x.isConnected());
            clearing.set(id, { want: live.length, got: 0, reply: w, origin: m.q });
            for (const x of live) x.send({ t: 'clear', q: id } satisfies ToWorker);
          } else if (m.t === 'cleared') {
            const c = clearing.get(m.q);
            if (!c || ++c.got < c.want) return;
            clearing.delete(m.q);
            if (c.reply.isConnected()) c.reply.send({ t: 'cleared', q: c.origin } satisfies ToWorker);
          }
        });
      });
    }),
  );
  const port = ports[0];
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: async () => {
      engine?.close();
      await Promise.all(
        forked.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (!w.isConnected() && w.isDead()) return resolve();
              w.once('exit', () => resolve());
              w.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/** A worker: the emulated server on the shared port, its engine a link to the primary's (performance model). */
export async function runEmulatorWorker(): Promise<EmulatedServer> {
  const opts = JSON.parse(process.env[OPTS_ENV]!) as EmulatedServerOptions;
  const send = (m: ToPrimary) => process.send?.(m);
  let onStep: ((r: StepResult, roundEnd: boolean) => void) | undefined;
  const mine = new Map<string, SimRequest>();
  const link = (cb: (r: StepResult, roundEnd: boolean) => void): EngineLink => {
    onStep = cb;
    return {
      submit(sim) {
        mine.set(sim.id, sim);
        send({ t: 'submit', r: { id: sim.id, prompt_tokens: sim.prompt_tokens, max_output: sim.max_output, arrival_epoch: performance.timeOrigin + sim.arrival, pooling: sim.pooling, prefix_key: sim.prefix_key, prefix_len: sim.prefix_len } });
      },
      abort(sim) {
        mine.delete(sim.id);
        send({ t: 'abort', id: sim.id });
      },
      close() {},
    };
  };
  let q = 0;
  const waiting = new Map<number, (r: RequestRecord[]) => void>();
  const clears = new Map<number, () => void>();
  const server: EmulatedServer = await startEmulatedServer({
    ...opts,
    id_tag: `w${cluster.worker?.id ?? 0}`,
    engineLink: opts.profile ? undefined : link,
    gather: {
      records: () =>
        new Promise((resolve) => {
          const id = ++q;
          waiting.set(id, resolve);
          send({ t: 'gather', q: id });
        }),
      clear: () =>
        new Promise<void>((resolve) => {
          const id = ++q;
          clears.set(id, resolve);
          send({ t: 'clear', q: id });
          // a worker that went away mid-clear does not hold the DELETE for ever
          setTimeout(() => clears.delete(id) && resolve(), 5000).unref();
        }),
    },
  });
  process.on('message', (m: ToWorker) => {
    if (m.t === 'step') {
      const emitted: SimRequest[] = [];
      const finished: SimRequest[] = [];
      for (const [id, output, firstEpoch, preemptions] of m.emitted) {
        const sim = mine.get(id);
        if (!sim) continue;
        sim.output = output;
        sim.preemptions = preemptions;
        if (firstEpoch !== null) sim.first_scheduled = firstEpoch - performance.timeOrigin;
        emitted.push(sim);
      }
      for (const id of m.finished) {
        const sim = mine.get(id);
        if (!sim) continue;
        mine.delete(id);
        finished.push(sim);
      }
      onStep?.({ emitted, finished }, m.round_end);
    } else if (m.t === 'collect') send({ t: 'records', q: m.q, records: server.records() });
    else if (m.t === 'gathered') {
      waiting.get(m.q)?.(m.records);
      waiting.delete(m.q);
    } else if (m.t === 'clear') {
      server.clearRecords();
      send({ t: 'cleared', q: m.q });
    } else if (m.t === 'cleared') {
      clears.get(m.q)?.();
      clears.delete(m.q);
    }
  });
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
  // the primary is gone (killed): nobody hands this worker connections or steps any more
  process.on('disconnect', () => void server.close().finally(() => process.exit(0)));
  send({ t: 'ready', port: server.port });
  return server;
}
