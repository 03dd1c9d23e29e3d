/**
 * Secrets at rest: AES-256-GCM with a key from BENCHOPS_SECRET_KEY (32 bytes, base64 or hex) or a key file
 * generated once with mode 0600 in the data folder. Ciphertexts look like `v1:<iv>:<tag>:<data>` (base64).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromKey(material: string): SecretBox {
    const key = /^[0-9a-f]{64}$/i.test(material) ? Buffer.from(material, 'hex') : Buffer.from(material, 'base64');
    if (key.length !== 32) throw new Error('BENCHOPS_SECRET_KEY must be 32 bytes (base64 or 64 hex characters)');
    return new SecretBox(key);
  }

  /** Uses the configured key or the data folder's key file, creating it (0600) on first use. */
  static load(opts: { secretKey?: string; dataDir: string }): SecretBox {
    if (opts.secretKey) return SecretBox.fromKey(opts.secretKey);
    const file = path.join(opts.dataDir, 'secret.key');
    if (!existsSync(file)) {
      mkdirSync(opts.dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    }
    chmodSync(file, 0o600);
    return SecretBox.fromKey(readFileSync(file, 'utf8').trim());
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  decrypt(sealed: string): string {
    const [v, iv, tag, data] = sealed.split(':');
    if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a BenchOps ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}

/** Log redaction paths shared by every logger: secrets never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.github_token',
  '*.token',
  '*.password',
  '*.kubeconfig',
  '*.api_key',
  '*.credential',
  'github_token',
  'token',
  'password',
  'kubeconfig',
];

/** The words of a name: `HF_TOKEN` → hf,token; `apiKey` → api,key; `--hf-token` → hf,token. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}
