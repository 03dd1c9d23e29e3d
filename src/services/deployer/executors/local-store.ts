/**
 * The local executor's object store: Kubernetes objects as JSON files under `<dataDir>/local-cluster/<ns>/<Kind>/`,
 * cached in memory, written atomically (one process owns a data folder, like PGlite).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { K8sObject } from './types.ts';

export class LocalStore {
  private readonly objects = new Map<string, K8sObject>();
  private version = 0;

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    for (const ns of readdirSync(root)) {
      const nsDir = path.join(root, ns);
      for (const kind of safeList(nsDir)) {
        for (const f of safeList(path.join(nsDir, kind))) {
          if (!f.endsWith('.json')) continue;
          try {
            const obj = JSON.parse(readFileSync(path.join(nsDir, kind, f), 'utf8')) as K8sObject;
            this.objects.set(key(kind, ns, obj.metadata.name), obj);
            this.version = Math.max(this.version, Number(obj.metadata.resourceVersion) || 0);
          } catch {
            /* a torn file from a crash: ignore it */
          }
        }
      }
    }
  }

  get(kind: string, ns: string, name: string): K8sObject | undefined {
    return this.objects.get(key(kind, ns, name));
  }

  list(kind?: string): K8sObject[] {
    return [...this.objects.entries()].filter(([k]) => !kind || k.startsWith(`${kind}/`)).map(([, v]) => v);
  }

  /** Adds a new object (uid, resourceVersion, creationTimestamp set); false when the name is taken. */
  add(obj: K8sObject): boolean {
    const k = key(obj.kind, obj.metadata.namespace!, obj.metadata.name);
    if (this.objects.has(k)) return false;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString();
    this.save(obj);
    return true;
  }

  save(obj: K8sObject): void {
    obj.metadata.resourceVersion = String(++this.version);
    const k = key(obj.kind, obj.metadata.namespace!, obj.metadata.name);
    this.objects.set(k, obj);
    const dir = path.join(this.root, obj.metadata.namespace!, obj.kind);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${obj.metadata.name}.json`);
    // objects include Secrets: readable by this user only
    writeFileSync(`${file}.tmp`, JSON.stringify(obj), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  delete(kind: string, ns: string, name: string): K8sObject | undefined {
    const k = key(kind, ns, name);
    const obj = this.objects.get(k);
    if (!obj) return undefined;
    this.objects.delete(k);
    const file = path.join(this.root, ns, kind, `${name}.json`);
    if (existsSync(file)) rmSync(file, { force: true });
    return obj;
  }

  /** Objects whose ownerReferences name `uid` (garbage collection). */
  dependents(uid: string): K8sObject[] {
    return [...this.objects.values()].filter((o) => (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid));
  }
}

function key(kind: string, ns: string, name: string): string {
  return `${kind}/${ns}/${name}`;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
