import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './secrets.ts';

describe('SecretBox', () => {
  it('round-trips and never stores the plaintext', () => {
    const box = SecretBox.fromKey(Buffer.alloc(32, 7).toString('base64'));
    const sealed = box.encrypt('ghp_supersecret');
    expect(sealed).not.toContain('ghp_supersecret');
    expect(sealed.startsWith('v1:')).toBe(true);
    expect(box.decrypt(sealed)).toBe('ghp_supersecret');
    expect(box.encrypt('ghp_supersecret')).not.toBe(sealed); // fresh IV each time
  });

  it('rejects tampered ciphertext and the wrong key', () => {
    const box = SecretBox.fromKey(Buffer.alloc(32, 1).toString('base64'));
    const sealed = box.encrypt('value');
    const parts = sealed.split(':');
    parts[3] = Buffer.from('other').toString('base64');
    expect(() => box.decrypt(parts.join(':'))).toThrow();
    expect(() => SecretBox.fromKey(Buffer.alloc(32, 2).toString('base64')).decrypt(sealed)).toThrow();
  });

  it('generates a 0600 key file once and reuses it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bo-key-'));
    const a = SecretBox.load({ dataDir: dir });
    const b = SecretBox.load({ dataDir: dir });
    expect(b.decrypt(a.encrypt('x'))).toBe('x');
    expect(statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it('refuses a key of the wrong length', () => {
    expect(() => SecretBox.fromKey(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
  });
});
