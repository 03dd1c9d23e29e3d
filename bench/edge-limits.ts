/**
 * What hostile bodies cost at the HTTP edge (src/core/http.ts): time to the 422, the longest event-loop stall while it
 * was handled (a 5 ms interval timer's lateness), the answer's size, and what was logged. The server is a real app on
 * a real port; the client is in the same process, so the stall includes sending the body.
 *
 *   npx tsx bench/edge-limits.ts
 */
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { Authenticator, loadTokens } from '../src/core/auth.ts';
import { createApp } from '../src/core/http.ts';

async function main() {
  const stream = new PassThrough();
  let logBytes = 0;
  stream.on('data', (d) => (logBytes += d.length));
  const app = await createApp({ title: 'edge', auth: new Authenticator(loadTokens({})), logStream: stream, bodyLimitBytes: 12 * 1024 * 1024 });
  app.post('/items', { schema: { body: z.object({ name: z.string(), xs: z.array(z.number()).optional() }).strict() } }, async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as any).port}/items`;
  const keys = (n: number) => `{"name":"n",${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;
  const cases: [string, string][] = [
    ['850,000 unknown keys (10 MB)', keys(850_000)],
    ['9,000 unknown keys', keys(9_000)],
    ['5,000,000 levels deep', '['.repeat(5_000_000) + ']'.repeat(5_000_000)],
    ['100,000 wrong-type items', JSON.stringify({ name: 'n', xs: Array.from({ length: 100_000 }, () => 'x') })],
    ['NUL at the end of 8 MB', JSON.stringify({ name: 'x'.repeat(8_000_000) + '\u0000' })],
  ];
  console.log('body                              body MB   status   ms to 422   max stall ms   answer bytes   log bytes');
  for (const [name, body] of cases) {
    let stall = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last - 5);
      last = now;
    }, 5);
    const logBefore = logBytes;
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.text();
    const ms = performance.now() - t0;
    clearInterval(timer);
    console.log(
      `${name.padEnd(32)} ${(body.length / 1e6).toFixed(1).padStart(7)}   ${String(res.status).padStart(6)}   ${ms.toFixed(0).padStart(9)}   ${stall.toFixed(0).padStart(12)}   ${String(text.length).padStart(12)}   ${String(logBytes - logBefore).padStart(9)}`,
    );
  }
  await app.close();
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
