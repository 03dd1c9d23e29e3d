/** Reading local job logs: the tail of a log file read backwards in chunks, following one, and a termination message. */
import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/**
 * The last `lines` lines of a file (all of it without a limit) and the size they end at, read backwards in chunks:
 * a long job's log is not read whole, nor synchronously, on every request.
 */
export async function readTail(file: string, lines?: number): Promise<{ text: string; size: number }> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return { text: '', size: 0 };
  }
  try {
    const size = (await fh.stat()).size;
    const want = lines && lines > 0 ? lines : Infinity;
    const chunks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    while (pos > 0 && newlines <= want) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      chunks.unshift(buf);
      for (const b of buf) if (b === 10) newlines++;
    }
    return { text: tail(Buffer.concat(chunks).toString('utf8'), lines), size };
  } finally {
    await fh.close();
  }
}

function tail(text: string, lines?: number): string {
  if (!lines || lines <= 0) return text;
  const parts = text.split('\n');
  const trailing = parts.at(-1) === '' ? parts.pop() : undefined;
  const out = parts.slice(-lines).join('\n');
  return trailing !== undefined && out ? `${out}\n` : out;
}

/** Kubernetes' FallbackToLogsOnError: the last 80 lines of the log, at most 2048 bytes. */
export async function terminationMessage(logFile: string): Promise<string | undefined> {
  const { text } = await readTail(logFile, 80);
  const bytes = Buffer.from(text.trimEnd());
  if (!bytes.length) return undefined;
  return bytes.subarray(Math.max(0, bytes.length - 2048)).toString('utf8');
}

/** Streams a log file from `tailLines` back, then what is appended, until `done()` (nothing new) or `signal` aborts. */
export async function followFile(file: string, tailLines: number | undefined, out: Writable, signal: AbortSignal, done: () => boolean): Promise<void> {
  const start = await readTail(file, tailLines);
  let offset = start.size;
  if (start.text) out.write(start.text);
  while (!signal.aborted) {
    const finished = done();
    if (existsSync(file) && statSync(file).size > offset) {
      const fh = await open(file, 'r');
      try {
        const size = (await fh.stat()).size;
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        offset = size;
        out.write(buf);
      } finally {
        await fh.close();
      }
    } else if (finished) return;
    await new Promise((r) => setTimeout(r, 150));
  }
}
