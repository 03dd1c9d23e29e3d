/**
 * Terminal sessions (reference 2.4, working): a session names a job's pod and container and a shell from an
 * allow-list; it is stored in the database so any replica can serve its WebSocket. The WebSocket speaks
 * `connected`, `output`, `error_output`, `error`, `pong` and accepts `input`, `resize`, `ping` (a non-JSON frame is input).
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Role } from '../../core/auth.ts';
import { badRequest, forbidden, notFound, unprocessable } from '../../core/errors.ts';
import { iso } from '../../core/http.ts';
import type { Executor, ExecSession } from './executors/types.ts';
import { LABEL_MANAGED_BY } from './manifest.ts';
import type { DeployerRepository } from './repository.ts';
import type { TerminalSessionRow } from './schema.ts';

export const ALLOWED_SHELLS = ['/bin/bash', '/bin/sh', '/bin/ash', '/bin/zsh', '/usr/bin/bash', '/usr/bin/zsh', 'bash', 'sh'];
export const SESSION_IDLE_MS = 30 * 60 * 1000;

export interface CreateSession {
  job_name: string;
  namespace?: string;
  pod_name?: string;
  container_name?: string;
  shell?: string;
}

export function sessionInfo(s: TerminalSessionRow) {
  return {
    session_id: s.sessionId,
    job_name: s.jobName,
    namespace: s.namespace,
    pod_name: s.podName,
    container_name: s.containerName,
    shell: s.shell,
    is_active: s.isActive,
    created_at: iso(s.createdAt)!,
    last_activity: iso(s.lastActivity)!,
  };
}

export class TerminalManager {
  /** Open WebSockets of this replica, closed when their session is stopped here. */
  private readonly open = new Map<string, Set<() => void>>();

  constructor(
    private readonly repo: DeployerRepository,
    private readonly executor: Executor,
    private readonly log: Logger,
    private readonly namespaceOf: (job: string, ns?: string) => Promise<string>,
  ) {}

  async create(req: CreateSession, role: Role, loc: 'body' | 'query'): Promise<TerminalSessionRow> {
    const shell = req.shell ?? '/bin/bash';
    if (!ALLOWED_SHELLS.includes(shell)) {
      throw unprocessable([loc, 'shell'], `shell must be one of ${ALLOWED_SHELLS.join(', ')}`);
    }
    const ns = await this.namespaceOf(req.job_name, req.namespace);
    const job = await this.executor.get('Job', req.job_name, ns);
    if (!job) throw notFound(`Job ${req.job_name} not found in namespace ${ns}`);
    if (role !== 'admin' && this.executor.kind === 'local') {
      throw forbidden('A terminal of the local executor is a shell on the BenchOps host; only the admin role may open one');
    }
    if (role !== 'admin' && job.metadata.labels?.[LABEL_MANAGED_BY] !== 'benchops') {
      throw forbidden(`Job ${req.job_name} was not created by BenchOps; only the admin role may open a terminal in it`);
    }
    const pods = await this.executor.listPods(req.job_name, ns);
    let pod = req.pod_name ? pods.find((p) => p.name === req.pod_name) : (pods.find((p) => p.phase === 'Running') ?? pods.at(-1));
    if (req.pod_name && !pod) throw notFound(`Pod ${req.pod_name} does not belong to job ${req.job_name}`);
    if (!pod) throw badRequest(`No pods found for job ${req.job_name}`);
    pod = pod!;
    const container = req.container_name ?? pod.containers[0];
    if (!pod.containers.includes(container)) throw notFound(`Container ${container} not found in pod ${pod.name}`);
    const row = await this.repo.insertSession({
      sessionId: randomUUID(),
      jobName: req.job_name,
      namespace: ns,
      podName: pod.name,
      containerName: container,
      shell,
    });
    this.log.info({ session_id: row.sessionId, job: req.job_name, pod: pod.name, role }, 'terminal session created');
    return row;
  }

  async stop(by: { id?: string; jobName?: string }): Promise<string[]> {
    const ids = await this.repo.stopSessions(by);
    for (const id of ids) for (const close of this.open.get(id) ?? []) close();
    return ids;
  }

  async expire(): Promise<void> {
    for (const id of await this.repo.expireSessions(SESSION_IDLE_MS)) for (const close of this.open.get(id) ?? []) close();
  }

  closeAll(): void {
    for (const set of this.open.values()) for (const close of set) close();
  }

  /** Serves one WebSocket connection of a session. */
  async serve(ws: WebSocket, sessionId: string, role: Role = 'operator'): Promise<void> {
    const send = (m: Record<string, unknown>) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    if (role !== 'admin' && this.executor.kind === 'local') {
      send({ type: 'error', message: 'A terminal of the local executor is a shell on the BenchOps host; only the admin role may attach' });
      ws.close(4403, 'admin role required');
      return;
    }
    const s = await this.repo.getSession(sessionId).catch(() => undefined);
    if (!s || !s.isActive) {
      send({ type: 'error', message: s ? `Terminal session ${sessionId} has ended` : `Terminal session ${sessionId} not found` });
      ws.close(4404, 'session not found');
      return;
    }
    const buffered: (string | Buffer)[] = [];
    let exec: ExecSession | undefined;
    let lastTouch = 0;
    const touch = () => {
      if (Date.now() - lastTouch > 10_000) {
        lastTouch = Date.now();
        void this.repo.touchSession(sessionId).catch(() => {});
      }
    };
    const handle = (raw: string) => {
      touch();
      let msg: any;
      try {
        msg = JSON.parse(raw);
      } catch {
        exec?.write(raw);
        return;
      }
      if (msg?.type === 'input' && typeof msg.data === 'string') exec?.write(msg.data);
      else if (msg?.type === 'resize') {
        const rows = Number(msg.rows);
        const cols = Number(msg.cols);
        if (rows > 0 && cols > 0 && rows < 1000 && cols < 1000) exec?.resize(rows, cols);
      } else if (msg?.type === 'ping') send({ type: 'pong' });
      else if (typeof msg === 'object' && msg) send({ type: 'error', message: `Unknown message type: ${String(msg.type)}` });
      else exec?.write(raw);
    };
    ws.on('message', (d: Buffer, isBinary: boolean) => {
      const text = isBinary ? d.toString('utf8') : d.toString();
      if (!exec) buffered.push(text);
      else handle(text);
    });
    const closers = this.open.get(sessionId) ?? new Set();
    this.open.set(sessionId, closers);
    const closeWs = () => {
      exec?.close();
      if (ws.readyState === ws.OPEN) ws.close(1000, 'session stopped');
    };
    closers.add(closeWs);
    ws.on('close', () => {
      exec?.close();
      closers.delete(closeWs);
      if (!closers.size) this.open.delete(sessionId);
    });
    try {
      exec = await this.executor.exec(s.namespace, s.podName, s.containerName, s.shell, {
        stdout: (data) => send({ type: 'output', data }),
        stderr: (data) => send({ type: 'error_output', data }),
        exit: (err) => {
          if (err) send({ type: 'error', message: err });
          if (ws.readyState === ws.OPEN) ws.close(1000, 'shell exited');
        },
      });
    } catch (e: any) {
      send({ type: 'error', message: `Terminal error: ${e?.detail ?? e?.message ?? e}` });
      ws.close(1011, 'exec failed');
      return;
    }
    if (ws.readyState !== ws.OPEN) {
      exec.close();
      return;
    }
    send({ type: 'connected', session_id: s.sessionId, pod_name: s.podName, container_name: s.containerName, shell: s.shell, tty: exec.tty ?? true });
    touch();
    for (const b of buffered.splice(0)) handle(String(b));
  }
}
