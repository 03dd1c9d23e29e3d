/** Input checks the manager applies before anything is stored: relative paths, parseable JSON/YAML, repository URLs. */
import { unprocessable } from '../../core/errors.ts';
import { parseJsonSafe, parseYamlAll, SafeParseError } from '../../core/parse.ts';

/** Largest file content accepted in a modified file (bytes of UTF-8). */
export const MAX_CONTENT_BYTES = 2 * 1024 * 1024;

/** Returns the problem with a repository-relative path, or null when it is fine. */
export function pathProblem(p: string, opts: { allowEmpty?: boolean } = {}): string | null {
  if (p === '') return opts.allowEmpty ? null : 'must not be empty';
  if (p.length > 1024) return 'is too long (1024 characters at most)';
  if (p.includes('\0')) return 'must not contain NUL characters';
  if (p.includes('\\')) return 'must use "/" as separator';
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return 'must be relative to the repository root';
  const segs = p.split('/');
  if (segs.some((s) => s === '..')) return 'must not contain ".."';
  if (segs.some((s, i) => s === '' && i !== segs.length - 1)) return 'must not contain empty segments';
  return null;
}

/** Normalises a folder setting ("config/", "./config" → "config"); throws a 422 naming `field` when it is unsafe. */
export function normaliseFolder(value: string, field: string): string {
  let v = value.trim();
  while (v.startsWith('./')) v = v.slice(2);
  while (v.endsWith('/')) v = v.slice(0, -1);
  if (v === '.') v = '';
  const problem = pathProblem(v, { allowEmpty: true });
  if (problem) throw unprocessable(['body', field], `${field} ${problem}`);
  return v;
}

/** Checks a file path of a modified file (relative, no "..", a .json/.yaml/.yml name); returns it trimmed. */
export function checkFilePath(value: string, field: string): string {
  const v = value.trim().replace(/^(\.\/)+/, '');
  const problem = pathProblem(v);
  if (problem) throw unprocessable(['body', field], `${field} ${problem}`);
  if (v.endsWith('/')) throw unprocessable(['body', field], `${field} must name a file, not a folder`);
  if (!/\.(json|ya?ml)$/i.test(v)) throw unprocessable(['body', field], `${field} must end in .json, .yaml or .yml`);
  return v;
}

/** Checks a bare file name (rename); no folders allowed. */
export function checkFileName(value: string, field: string): string {
  const v = value.trim();
  if (!v || v.includes('/') || v.includes('\\') || v === '.' || v === '..') {
    throw unprocessable(['body', field], `${field} must be a file name without folders`);
  }
  if (!/\.(json|ya?ml)$/i.test(v)) throw unprocessable(['body', field], `${field} must end in .json, .yaml or .yml`);
  return v;
}

/**
 * Validates content by the file's extension: JSON must parse as JSON, YAML as YAML (every document, alias-limited).
 * The 422 names `field` and says line and column, never the text: configs and jobs carry tokens (core/parse.ts).
 */
export function checkContent(content: string, filePath: string, field = 'content'): void {
  if (Buffer.byteLength(content, 'utf8') > MAX_CONTENT_BYTES) {
    throw unprocessable(['body', field], `${field} is larger than ${MAX_CONTENT_BYTES} bytes`);
  }
  const kind = /\.json$/i.test(filePath) ? 'JSON' : /\.ya?ml$/i.test(filePath) ? 'YAML' : null;
  if (!kind) return;
  try {
    if (kind === 'JSON') parseJsonSafe(content);
    else parseYamlAll(content);
  } catch (e) {
    const why = e instanceof SafeParseError ? e.message : 'it could not be parsed';
    throw unprocessable(['body', field], `${field} is not valid ${kind}: ${why}`, kind === 'JSON' ? 'json_invalid' : 'yaml_invalid');
  }
}

/** Where a project's files come from. */
export type RepoSource =
  | { kind: 'github'; owner: string; repo: string; apiBase: string }
  | { kind: 'git'; url: string }
  | { kind: 'none' };

const GH_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Classifies a repository URL: GitHub (API URL `…/repos/o/r`, `https://github.com/o/r`, or `o/r`) is read through the
 * REST API; any other https/http/ssh/git/file URL (or scp-style `user@host:path`) through the git CLI.
 * Returns null for anything else.
 */
export function parseRepoUrl(raw: string, githubApiUrl: string): RepoSource | null {
  const url = raw.trim();
  if (!url) return { kind: 'none' };
  const apiBase = githubApiUrl.replace(/\/+$/, '');
  const short = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(url);
  if (short && !url.startsWith('.')) return { kind: 'github', owner: short[1], repo: short[2].replace(/\.git$/, ''), apiBase };
  if (/^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:[^/]/.test(url) && !url.includes('://')) return { kind: 'git', url };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!['http:', 'https:', 'ssh:', 'git:', 'file:'].includes(u.protocol)) return null;
  if (u.protocol === 'file:') return u.pathname.length > 1 ? { kind: 'git', url } : null;
  const segs = u.pathname.split('/').filter(Boolean);
  if (u.protocol === 'https:' || u.protocol === 'http:') {
    const host = u.hostname.toLowerCase();
    const fromApi = url.startsWith(`${apiBase}/repos/`);
    const ri = segs.indexOf('repos');
    if ((fromApi || host === 'api.github.com' || u.pathname.includes('/api/v3/repos/')) && ri >= 0 && segs.length >= ri + 3) {
      const base = fromApi || host === 'api.github.com' ? apiBase : `${u.origin}${'/' + segs.slice(0, ri).join('/')}`.replace(/\/$/, '');
      const [owner, repo] = [segs[ri + 1], segs[ri + 2].replace(/\.git$/, '')];
      if (GH_NAME.test(owner) && GH_NAME.test(repo)) return { kind: 'github', owner, repo, apiBase: base };
      return null;
    }
    if ((host === 'github.com' || host === 'www.github.com') && segs.length === 2 && !u.username) {
      return { kind: 'github', owner: segs[0], repo: segs[1].replace(/\.git$/, ''), apiBase };
    }
  }
  if (!u.hostname) return null;
  return { kind: 'git', url };
}

/**
 * Where a project's token would be sent: the GitHub API base for GitHub sources, else the git remote's
 * scheme://host:port (scp-like `user@host:path` → `ssh://host`). null for file:// and unparsable URLs.
 */
export function credentialOrigin(raw: string | null | undefined, githubApiUrl: string): string | null {
  const src = parseRepoUrl(raw ?? '', githubApiUrl);
  if (!src || src.kind === 'none') return null;
  if (src.kind === 'github') return new URL(src.apiBase).origin.toLowerCase();
  const scp = /^[A-Za-z0-9_.-]+@([A-Za-z0-9_.-]+):/.exec(src.url);
  if (scp && !src.url.includes('://')) return `ssh://${scp[1].toLowerCase()}`;
  const u = new URL(src.url);
  return u.protocol === 'file:' ? null : `${u.protocol}//${u.host}`.toLowerCase();
}

/** The URL with any user:password removed, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');
}
