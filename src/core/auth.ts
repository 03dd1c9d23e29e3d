/**
 * Bearer-token authentication with three roles. Tokens come from BENCHOPS_TOKENS (`role:token,role:token`)
 * or BENCHOPS_TOKENS_FILE (JSON `[{"role","token","name"?}]` or lines `role:token`).
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { forbidden, unauthorized } from './errors.ts';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenEntry {
  role: Role;
  token: string;
  name?: string;
}

const rank = (r: Role) => ROLES.indexOf(r);

function parseLine(line: string): TokenEntry {
  const i = line.indexOf(':');
  const role = line.slice(0, i).trim() as Role;
  const token = line.slice(i + 1).trim();
  if (i < 0 || !ROLES.includes(role) || token.length < 8) {
    throw new Error('token entries must look like role:token with role viewer|operator|admin and a token of 8+ characters');
  }
  return { role, token };
}

/** Parses the configured tokens; an empty list means "no auth configured". */
export function loadTokens(opts: { tokens?: string; tokensFile?: string }): TokenEntry[] {
  const out: TokenEntry[] = [];
  if (opts.tokens) for (const part of opts.tokens.split(',').filter((s) => s.trim())) out.push(parseLine(part));
  if (opts.tokensFile) {
    const text = readFileSync(opts.tokensFile, 'utf8').trim();
    if (text.startsWith('[')) {
      for (const e of JSON.parse(text) as TokenEntry[]) out.push({ ...parseLine(`${e.role}:${e.token}`), name: e.name });
    } else {
      for (const line of text.split('\n').filter((l) => l.trim() && !l.startsWith('#'))) out.push(parseLine(line));
    }
  }
  return out;
}

export class Authenticator {
  constructor(private readonly entries: TokenEntry[]) {}

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** Returns the caller's role, or throws 401/403. With no tokens configured everyone is admin (loopback only). */
  check(authorization: string | undefined, required: Role): Role {
    if (!this.enabled) return 'admin';
    const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    if (!m) throw unauthorized('Missing bearer token');
    const given = Buffer.from(m[1].trim());
    const entry = this.entries.find((e) => {
      const t = Buffer.from(e.token);
      return t.length === given.length && timingSafeEqual(t, given);
    });
    if (!entry) throw unauthorized('Invalid token');
    if (rank(entry.role) < rank(required)) throw forbidden(`This action needs the ${required} role`);
    return entry.role;
  }
}

/** Default role a route needs: reads are viewer, writes operator; routes may override with `config.role`. */
export function defaultRole(method: string): Role {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'viewer' : 'operator';
}

/**
 * The configured token this process presents to other services: the first role of `prefer` that has one (roles not
 * listed are never used), e.g. the least privileged that can do the job.
 */
export function serviceToken(config: { tokens?: string; tokensFile?: string }, prefer: readonly Role[]): string | undefined {
  const tokens = loadTokens(config);
  for (const role of prefer) {
    const t = tokens.find((x) => x.role === role);
    if (t) return t.token;
  }
  return undefined;
}
