/**
 * The per-request matcher the accuracy benches judge by (bench/common.ts matchRequests): every client request is paired
 * with the server record that served it from chunk times alone, so the lags it reports are the ones that were put in.
 */
import { describe, expect, it } from 'vitest';
import { matchRequests, type ClientTiming, type ServerTiming } from '../bench/common.ts';
import { Rng } from '../src/loadgen/rng.ts';

/** `n` requests that all arrive in one wave, ITL 10 ms ± 10 %, and the client's view of each with known lags. */
function wave(n: number, readLag: (i: number, k: number) => number) {
  const g = new Rng(7);
  const r = () => g.next();
  const recs: ServerTiming[] = [];
  const reqs: (ClientTiming & { id: number })[] = [];
  for (let i = 0; i < n; i++) {
    const start = 1_000 + r() * 2;
    const arrival = start + 0.2;
    const chunks = [arrival + 50 * (0.9 + 0.2 * r())];
    for (let k = 1; k < 20; k++) chunks.push(chunks[k - 1] + 10 * (0.9 + 0.2 * r()));
    recs.push({ arrival_ms: arrival, chunk_ms: chunks });
    reqs.push({ id: i, startMs: start, sentMs: start + 0.05, readsMs: chunks.map((t, k) => t + readLag(i, k)) });
  }
  return { recs, reqs };
}

describe('matchRequests', () => {
  it('pairs every request of a simultaneous wave with its own record (a late server stamp too) and reports the lags put in', () => {
    // 0.05–0.95 ms, varying per chunk; every 17th stream has one chunk the server stamped 0.5 ms after the client read
    // it (the emulator stamps when its write returned; a preempted server stamps late)
    const lag = (i: number, k: number) => (i % 17 === 3 && k === 5 ? -0.5 : 0.05 + ((i * 7 + k * 3) % 10) / 10);
    const { recs, reqs } = wave(256, lag);
    // the server's records in another order than the client's
    const shuffled = recs.map((x, i) => ({ x, k: (i * 97) % 256 })).sort((a, b) => a.k - b.k).map((y) => y.x);
    const m = matchRequests(reqs, shuffled);
    expect(m).toHaveLength(256);
    // each pair's lag is exactly the lag that request was given: a wrong pairing would show another's
    const byMeas = new Map(reqs.map((q) => [Math.round((q.readsMs[0] - q.startMs) * 1e6), q.id]));
    for (const p of m) {
      const id = byMeas.get(Math.round(p.meas * 1e6))!;
      expect(p.readLag).toBeCloseTo(lag(id, 0), 9);
      expect(p.chunkLag).toHaveLength(20);
      p.chunkLag.forEach((x, k) => expect(x).toBeCloseTo(lag(id, k), 9));
      expect(p.dispatch).toBeCloseTo(0.05, 9);
      expect(p.srvRead).toBeCloseTo(0.15, 9);
      expect(p.meas - p.wire).toBeCloseTo(p.dispatch + p.readLag, 9);
    }
  });

  it('merged tokens (one chunk write shared by several token entries) count as one chunk', () => {
    const recs: ServerTiming[] = [{ arrival_ms: 0, chunk_ms: [50, 60, 70, 70, 70, 80] }];
    const reqs: ClientTiming[] = [{ startMs: -1, readsMs: [50.5, 60.5, 70.5, 80.5] }];
    const [p] = matchRequests(reqs, recs);
    expect(p.chunkLag).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(p.srvItl).toEqual([10, 10, 10]);
    expect(p.dispatch).toBe(0);
  });

  it('leaves unmatched a request read later than the window, read before the write, or whose record arrived before it was sent', () => {
    const recs: ServerTiming[] = [{ arrival_ms: 0, chunk_ms: [50, 60] }];
    expect(matchRequests([{ startMs: -1, readsMs: [200, 210] }], recs)).toHaveLength(0);
    expect(matchRequests([{ startMs: -1, readsMs: [200, 210] }], recs, 1000)).toHaveLength(1);
    expect(matchRequests([{ startMs: 5, readsMs: [50.2, 60.2] }], recs)).toHaveLength(0);
    // a read more than the slack (1 ms) before its write is not this record's
    expect(matchRequests([{ startMs: -1, readsMs: [50.2, 58.8] }], recs)).toHaveLength(0);
    expect(matchRequests([{ startMs: -1, readsMs: [50.2, 59.2] }], recs)).toHaveLength(1);
  });
});
