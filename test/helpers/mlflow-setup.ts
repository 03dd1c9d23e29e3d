/**
 * Shared setup of the MLflow integration tests: an evaluation-service recorder (a real HTTP server speaking
 * `POST /evaluate` of the eval service, answers programmable), git history helpers, and polling until a condition holds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { git } from './git.ts';

export interface EvalRecorder {
  url: string;
  calls: any[];
  /** Status codes for the next answers (then 201). */
  failNext: number[];
  stop(): Promise<void>;
}

/** A stand-in for the evaluation service's `POST /evaluate` (records bodies, answers `{id, status: "waiting"}`). */
export async function startEvalRecorder(): Promise<EvalRecorder> {
  const calls: any[] = [];
  const failNext: number[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/evaluate') {
      res.writeHead(404).end('{}');
      return;
    }
    const status = failNext.shift();
    if (status) {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'evaluation service is busy' }));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString());
    calls.push({ body, authorization: req.headers.authorization ?? null });
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `eval-${calls.length}`, status: 'waiting' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    failNext,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Commit subjects on a branch of a bare repository, newest first. */
export function commitsOn(bareDir: string, branch = 'main'): string[] {
  return git(bareDir, 'log', '--format=%s', `refs/heads/${branch}`).split('\n').filter(Boolean);
}

/** A file's content on a branch of a bare repository (undefined when absent). */
export function fileAt(bareDir: string, path: string, branch = 'main'): string | undefined {
  try {
    return git(bareDir, 'show', `refs/heads/${branch}:${path}`);
  } catch {
    return undefined;
  }
}

/** Polls `fn` until it returns a truthy value (generous deadline for a busy CI machine). */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 60_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
