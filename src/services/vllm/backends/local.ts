/**
 * Local backend: one emulated vLLM server process per deployment (`benchops sim serve`), whose performance model
 * matches the requested model and hardware. The process id and URL are stored, so a restart can tell a live server
 * from a vanished one. Each server watches a heartbeat file this backend touches: when the platform dies (kill -9)
 * the server ends after the grace period instead of holding its port and device for ever, and a platform restarted
 * within the grace adopts it (inspect() resumes the heartbeat).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { PACKAGE_ROOT } from '../../../core/db/migrate.ts';
import { pidAlive } from '../../../core/pid.ts';
import { localNode, type ClusterNode, type LocalDevice } from '../devices.ts';
import { servedName } from '../models.ts';
import type { DeploymentRef, LiveState, ServingBackend, StartResult } from './types.ts';
import type { ManifestInput } from '../manifests.ts';
import { KV_CACHE_DTYPES, QUANTIZATION_METHODS } from '../../../simulator/index.ts';

/** vLLM flags the emulator models, passed on from a deployment's additional_args as they are. */
const EMULATED_FLAGS = new Set([
  'kv-cache-dtype', 'enable-prefix-caching', 'no-enable-prefix-caching', 'enable-chunked-prefill', 'no-enable-chunked-prefill',
  'num-scheduler-steps', 'max-num-batched-tokens', 'enable-expert-parallel', 'preemption-mode', 'speculative-config',
]);

/**
 * The engine flags of `benchops sim serve` for a deployment's config, so the emulated server runs the model the real
 * one would: parallelism, memory, block size, the weight format, the vLLM version its image names (`vllm/vllm-openai:v0.6.0`)
 * and the modelled flags among additional_args. Flags the emulator cannot model are listed in `ignored`.
 */
export function emulatorEngineArgs(cfg: Record<string, any>): { args: string[]; ignored: string[] } {
  const args: string[] = [];
  const ignored: string[] = [];
  if (cfg.pipeline_parallel_size > 1) args.push('--pipeline-parallel-size', String(cfg.pipeline_parallel_size));
  if (typeof cfg.gpu_memory_utilization === 'number') args.push('--gpu-memory-utilization', String(cfg.gpu_memory_utilization));
  if (typeof cfg.block_size === 'number') args.push('--block-size', String(cfg.block_size));
  if (cfg.quantization) {
    if (QUANTIZATION_METHODS[String(cfg.quantization).toLowerCase()]) args.push('--quantization', String(cfg.quantization).toLowerCase());
    else ignored.push('quantization');
  }
  const tag = typeof cfg.image === 'string' ? /:v?(\d+\.\d+(?:\.\d+)?)/.exec(cfg.image)?.[1] : undefined;
  if (tag) args.push('--vllm-version', tag);
  for (const [name, value] of Object.entries<unknown>(cfg.additional_args ?? {})) {
    if (!EMULATED_FLAGS.has(name)) continue;
    if (name === 'kv-cache-dtype' && !(String(value) in KV_CACHE_DTYPES)) {
      ignored.push(name);
      continue;
    }
    if (value === true || value === 'true' || value === '') args.push(`--${name}`);
    else if (value !== false && value !== null && value !== undefined) args.push(`--${name}`, String(value));
  }
  return { args, ignored };
}

export interface LocalBackendOptions {
  devices: LocalDevice[];
  log: Logger;
  /** Command that starts an emulated server (default: this package's `benchops sim serve`); args are appended. */
  command?: string[];
  readyTimeoutMs?: number;
  /** Where the servers' heartbeat files live (default: a folder of this user's under the system temp folder). */
  heartbeatDir?: string;
  /** How long a server outlives a silent platform (default BENCHOPS_ORPHAN_GRACE_SECONDS, else 60 s). */
  orphanGraceMs?: number;
}

/** The grace period from BENCHOPS_ORPHAN_GRACE_SECONDS (seconds), 60 s when unset or invalid. */
function graceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.BENCHOPS_ORPHAN_GRACE_SECONDS);
  return Number.isFinite(n) && n > 0 ? n * 1000 : 60_000;
}

async function probe(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await r.body?.cancel().catch(() => {});
    return r.ok;
  } catch {
    return false;
  }
}

export class LocalBackend implements ServingBackend {
  readonly kind = 'local' as const;
  readonly httpReachable = true;
  private readonly children = new Map<number, ChildProcess>();
  private readonly node: ClusterNode;
  /** deployment id → heartbeat file, touched by one timer while the server is ours. */
  private readonly beats = new Map<string, string>();
  private beatTimer?: NodeJS.Timeout;
  private readonly graceMs: number;
  private readonly heartbeatDir: string;

  constructor(private readonly opts: LocalBackendOptions) {
    this.node = localNode(opts.devices);
    this.graceMs = opts.orphanGraceMs ?? graceFromEnv();
    this.heartbeatDir = opts.heartbeatDir ?? path.join(os.tmpdir(), `benchops-${process.getuid?.() ?? 'user'}`, 'vllm-heartbeats');
  }

  /** Starts (or keeps) touching a deployment's heartbeat file. */
  private beat(id: string): string {
    const file = path.join(this.heartbeatDir, `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.heartbeat`);
    touch(file);
    this.beats.set(id, file);
    if (!this.beatTimer) {
      this.beatTimer = setInterval(() => {
        for (const f of this.beats.values()) touch(f);
      }, Math.max(500, Math.min(5000, Math.floor(this.graceMs / 4))));
      this.beatTimer.unref();
    }
    return file;
  }

  /** Stops the heartbeat of a deployment whose server is gone or being removed. */
  private unbeat(id: string): void {
    const file = this.beats.get(id);
    this.beats.delete(id);
    if (file) rmSync(file, { force: true });
    if (!this.beats.size && this.beatTimer) {
      clearInterval(this.beatTimer);
      this.beatTimer = undefined;
    }
  }

  async start(input: ManifestInput & { hardware: string }, signal?: AbortSignal): Promise<StartResult> {
    const cfg = input.config;
    const base = this.opts.command ?? [process.execPath, path.join(PACKAGE_ROOT, 'bin/benchops.js'), 'sim', 'serve'];
    const args = [
      ...base.slice(1),
      '--model', cfg.model_name,
      '--hardware', input.hardware,
      '--tp', String(cfg.tensor_parallel_size),
      '--max-num-seqs', String(cfg.max_num_seqs),
      '--served-model-name', servedName(cfg),
      '--host', '127.0.0.1',
      '--port', '0',
    ];
    if (cfg.max_model_len) args.push('--max-model-len', String(cfg.max_model_len));
    const engine = emulatorEngineArgs(cfg as Record<string, any>);
    args.push(...engine.args);
    if (engine.ignored.length) this.opts.log.warn({ deployment: input.id, ignored: engine.ignored }, 'emulated vLLM server: values it cannot model are ignored');
    const heartbeat = this.beat(input.id);
    const child = spawn(base[0], args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCHOPS_LOG_LEVEL: 'warn', BENCHOPS_PARENT_HEARTBEAT: heartbeat, BENCHOPS_PARENT_GRACE_SECONDS: String(this.graceMs / 1000) },
    });
    let out = '';
    let err = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`emulated vLLM server did not report ready within ${this.timeout()} ms`)), this.timeout());
      const onAbort = () => fail(new Error('cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (e: Error) => {
        done();
        child.kill('SIGKILL');
        this.unbeat(input.id);
        reject(e);
      };
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /BENCHOPS_SIM_READY\s+(\{.*\})/.exec(out);
        if (m) {
          done();
          try {
            resolve(JSON.parse(m[1]).url);
          } catch (e: any) {
            reject(new Error(`bad ready line from emulated server: ${e.message}`));
          }
        }
        if (out.length > 65536) out = out.slice(-4096);
      });
      child.stderr!.on('data', (d: Buffer) => {
        err = (err + d.toString()).slice(-4000);
      });
      child.on('error', (e) => fail(e));
      child.on('exit', (code, sig) => {
        done();
        this.unbeat(input.id);
        reject(new Error(`emulated vLLM server exited (${sig ?? code}) before it was ready: ${err.trim().split('\n').slice(-5).join(' | ')}`));
      });
    });
    // keep draining so a chatty server never blocks on a full pipe
    child.stdout!.resume();
    child.stderr!.resume();
    const pid = child.pid!;
    this.children.set(pid, child);
    child.on('exit', (code, sig) => {
      this.children.delete(pid);
      this.opts.log.info({ pid, code, sig, deployment: input.id }, 'emulated vLLM server exited');
    });
    return { endpoint: url.replace(/\/+$/, ''), serviceName: input.name, pid };
  }

  private timeout(): number {
    return this.opts.readyTimeoutMs ?? 60_000;
  }

  async inspect(ref: DeploymentRef): Promise<LiveState> {
    if (!pidAlive(ref.pid)) {
      if (ref.id) this.unbeat(ref.id);
      return { state: 'missing', message: `process ${ref.pid ?? '?'} is gone` };
    }
    // a live server is ours (after a restart: adopted), so its heartbeat goes on
    if (ref.id) this.beat(ref.id);
    if (!ref.endpoint) return { state: 'starting' };
    return (await probe(`${ref.endpoint}/health`)) ? { state: 'ready' } : { state: 'starting', message: '/health does not answer' };
  }

  async remove(ref: DeploymentRef): Promise<void> {
    if (ref.id) this.unbeat(ref.id);
    const pid = ref.pid;
    if (!pid || !pidAlive(pid)) return;
    const child = this.children.get(pid);
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + 5000;
    while (pidAlive(pid) && Date.now() < deadline) {
      if (child && child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (pidAlive(pid) && !(child && child.exitCode !== null)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  async nodes(): Promise<ClusterNode[]> {
    return [this.node];
  }

  async foreignWorkloads() {
    return [];
  }

  /** Stops every server this process started (they are restarted by reconciliation on the next start). */
  async close(): Promise<void> {
    if (this.beatTimer) clearInterval(this.beatTimer);
    this.beatTimer = undefined;
    this.beats.clear();
    await Promise.all([...this.children.keys()].map((pid) => this.remove({ id: '', name: '', namespace: '', endpoint: null, pid })));
  }
}

function touch(file: string): void {
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, '', { mode: 0o600 });
    } catch {
      /* unwritable: the server ends after its grace, and reconciliation restarts it */
    }
  }
}
