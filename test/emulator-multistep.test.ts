/**
 * Multi-step scheduling in the emulator (issue 15, item 1: the emulator serves with the same model). With
 * `--num-scheduler-steps N` vLLM 0.6–0.7 runs rounds of N decode steps and sends a round's N tokens together when the
 * round ends; the prediction (predict.ts) has it so, and so must the emulated server: its tokens leave in groups of N
 * (one write each, one recorded send time), a request that finishes inside a round gets its last tokens at its finish,
 * and with one step per round every token is its own write. Asserted on counts and grouping, never on milliseconds.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnEmulator, startEmulatedServer, type EmulatedServer, type EmulatorProcess } from '../src/simulator/index.ts';
import type { RequestRecord } from '../src/simulator/server.ts';

const MODEL = { model: 'Qwen/Qwen3-0.6B', hardware: 'L40S', vllm_version: '0.6.0', chunked_prefill: false } as const;
const servers: EmulatedServer[] = [];
const spawned: EmulatorProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const e of spawned) await e.stop();
});

/** Sizes of the runs of equal send times (one run per write). */
function groups(rec: RequestRecord): number[] {
  const out: number[] = [];
  rec.chunk_ms.forEach((t, i) => (i > 0 && t === rec.chunk_ms[i - 1] ? out[out.length - 1]++ : out.push(1)));
  return out;
}

/** One streamed completion on a raw socket: the number of token chunks each socket read carried. */
function tokensPerRead(url: string, maxTokens: number): Promise<number[]> {
  const u = new URL(url);
  const body = JSON.stringify({ prompt: 'a b c d', max_tokens: maxTokens, ignore_eos: true, stream: true });
  return new Promise((resolve, reject) => {
    const counts: number[] = [];
    let all = '';
    const sock = net.connect(Number(u.port), u.hostname, () => {
      sock.setNoDelay(true);
      sock.write(`POST /v1/completions HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    sock.on('data', (b: Buffer) => {
      const s = b.toString('latin1');
      all += s;
      const n = s.match(/"text":/g)?.length ?? 0;
      if (n) counts.push(n);
      if (all.endsWith('\r\n0\r\n\r\n')) {
        sock.destroy();
        resolve(counts);
      }
    });
    sock.on('error', reject);
  });
}

/** Where a read may end if no round is split: after the first token, then after each whole group. */
const boundaries = (sizes: number[]) => sizes.reduce<number[]>((acc, n) => [...acc, (acc.at(-1) ?? 0) + n], []);
const cumulative = (counts: number[]) => boundaries(counts);

describe('emulator multi-step rounds', () => {
  it('--num-scheduler-steps 4: the prefill token alone, then each round of 4 in one write; a round never split across reads', async () => {
    const s = await startEmulatedServer({ ...MODEL, num_scheduler_steps: 4 });
    servers.push(s);
    // 1 prefill token + 3 whole rounds
    const reads = await tokensPerRead(s.url, 13);
    const rec = s.records().at(-1)!;
    expect(rec.chunk_ms).toHaveLength(13);
    expect(groups(rec)).toEqual([1, 4, 4, 4]);
    expect(reads.reduce((a, b) => a + b, 0)).toBe(13);
    // a read may carry several writes (a busy client), but every read ends on a round's end
    for (const c of cumulative(reads)) expect(boundaries([1, 4, 4, 4])).toContain(c);
    // a request that finishes inside its round gets the round's tokens so far at its finish (as predict.ts has it)
    await tokensPerRead(s.url, 11);
    expect(groups(s.records().at(-1)!)).toEqual([1, 4, 4, 2]);
  });

  it('one step per round (the same vLLM version): every token is its own write', async () => {
    const s = await startEmulatedServer({ ...MODEL, num_scheduler_steps: 1 });
    servers.push(s);
    await tokensPerRead(s.url, 13);
    const rec = s.records().at(-1)!;
    expect(groups(rec)).toEqual(Array(13).fill(1));
  });

  it('a crowd in one round: every stream gets its round together, non-streaming answers whole', async () => {
    const s = await startEmulatedServer({ ...MODEL, num_scheduler_steps: 8 });
    servers.push(s);
    const post = (i: number, stream: boolean) =>
      fetch(s.url + '/v1/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: `p ${i}`, max_tokens: 17, ignore_eos: true, stream }) });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => post(i, i % 3 !== 0).then((r) => r.text())));
    answers.forEach((a, i) => {
      if (i % 3 !== 0) expect(a.match(/"text":/g)).toHaveLength(17);
      else expect(JSON.parse(a).usage.completion_tokens).toBe(17);
    });
    for (const r of s.records().filter((x) => x.stream)) {
      expect(r.chunk_ms).toHaveLength(17);
      // runs of whole rounds (a request admitted with others may share its prefill step with their decodes, so its
      // first round can start later; each write is still a whole round or the prefill token)
      const g = groups(r);
      expect(g.reduce((a, b) => a + b, 0)).toBe(17);
      for (const n of g) expect([1, 8, 16]).toContain(n);
    }
  });

  it('--workers 2: the primary tells each worker when its round ends, so the grouping holds behind the IPC link', async () => {
    const emu = await spawnEmulator(
      ['--port', '0', '--model', MODEL.model, '--hardware', MODEL.hardware, '--vllm-version', '0.6.0', '--no-enable-chunked-prefill', '--num-scheduler-steps', '4', '--workers', '2', '--served-model-name', 'm'],
      { timeoutMs: 60_000 },
    );
    spawned.push(emu);
    await fetch(emu.url + '/benchops/records', { method: 'DELETE' });
    for (let i = 0; i < 2; i++) await tokensPerRead(emu.url, 13);
    const recs = (await (await fetch(emu.url + '/benchops/records')).json()) as RequestRecord[];
    expect(recs).toHaveLength(2);
    for (const r of recs) expect(groups(r)).toEqual([1, 4, 4, 4]);
  }, 120_000);
});
