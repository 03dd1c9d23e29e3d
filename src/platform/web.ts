/**
 * Serves the built web UI (web/dist) from the gateway: files as they are (hashed assets cached for a year, index.html
 * revalidated), every other GET outside the API prefixes answered with index.html so deep links work (SPA fallback).
 * Unknown API paths keep their JSON 404: a client of /api/… never gets HTML.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { Logger } from 'pino';
import type { App } from '../core/http.ts';

/** Where `npm run build:web` writes the UI, relative to this file (the same from src/ and dist/). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** Paths that belong to the APIs and the platform, never to the UI. */
const API_PREFIXES = ['/api/', '/v1/', '/docs', '/openapi.json', '/health', '/metrics', '/status'];

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>BenchOps</title></head>
<body style="font-family:sans-serif;max-width:40rem;margin:4rem auto">
<h1>BenchOps</h1><p>The web UI is not built in this checkout. Run <code>npm run build:web</code> (or <code>npm start</code>,
which builds it when it is missing or stale) and reload.</p><p>The APIs answer meanwhile: <a href="/docs">/docs</a>.</p>
</body></html>`;

/** True when `dir` holds a built UI. */
export function hasWebUi(dir: string): boolean {
  return existsSync(path.join(dir, 'index.html'));
}

/** Registers the UI routes on the gateway; call after every API route is registered. */
export async function registerWebUi(app: App, opts: { webDir?: string; log?: Logger } = {}): Promise<void> {
  const root = path.resolve(opts.webDir ?? DEFAULT_WEB_DIR);
  const built = hasWebUi(root);
  if (!built) opts.log?.warn({ webDir: root }, 'web UI not built: the gateway answers / with a page saying how to build it');
  await app.register(fastifyStatic, { root, serve: false });

  app.get('/*', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
    const urlPath = decodeURIComponent(req.url.split('?')[0]);
    if (API_PREFIXES.some((p) => urlPath === p.replace(/\/$/, '') || urlPath.startsWith(p))) {
      return reply.code(404).send({ detail: `Not Found: ${req.method} ${req.url.split('?')[0]}` });
    }
    if (!built) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    const rel = path.posix.normalize(urlPath).replace(/^\/+/, '');
    const file = path.join(root, rel);
    if (rel && file.startsWith(root + path.sep) && isFile(file)) {
      const immutable = rel.startsWith('assets/');
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      return reply.sendFile(rel, { cacheControl: false });
    }
    // a missing asset is a broken link, not a page: answering HTML would hide it. Page paths may contain dots (a
    // result's pk carries `.000Z`), so only the asset folder and asset file types count, not any extension.
    if (rel.startsWith('assets/') || ASSET_FILE.test(rel)) return reply.code(404).send({ detail: `Not Found: ${req.method} ${urlPath}` });
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  });
}

const ASSET_FILE = /\.(?:js|mjs|css|map|png|jpe?g|gif|svg|ico|webp|avif|woff2?|ttf|otf|json|txt|webmanifest|wasm)$/i;

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
