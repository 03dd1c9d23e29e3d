// Builds the web UI into web/dist when it is missing or older than its sources (`npm start` runs this first, so a
// fresh clone's `npm ci && npm start` ends with the UI served). `--force` always builds. The stamp is a hash of the
// sources and the lockfile, so a checkout of other commits rebuilds and an unchanged tree starts at once.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const stampFile = path.join(web, 'dist', '.build-stamp');

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

/** Hash of everything the bundle is made from. */
export function sourceStamp() {
  const files = [
    ...walk(path.join(web, 'src')).filter((f) => !/\.test\.tsx?$/.test(f)),
    path.join(web, 'index.html'),
    path.join(web, 'vite.config.ts'),
    path.join(web, 'package.json'),
    path.join(root, 'package-lock.json'),
  ].filter((f) => existsSync(f) && statSync(f).isFile());
  const h = createHash('sha256');
  for (const f of files.sort()) h.update(path.relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

const force = process.argv.includes('--force');
const stamp = sourceStamp();
const built = () => (existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '');
const upToDate = () => !force && built() === stamp && existsSync(path.join(web, 'dist', 'index.html'));
if (upToDate()) process.exit(0);

// one build at a time (test files in parallel, npm start next to a test): others wait, then find it built
const lockDir = path.join(root, 'node_modules', '.cache', 'benchops-web-build.lock');
mkdirSync(path.dirname(lockDir), { recursive: true });
const STALE_MS = 5 * 60_000;
for (const deadline = Date.now() + STALE_MS + 30_000; ; ) {
  try {
    mkdirSync(lockDir);
    break;
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
    // a lock older than any build is left over from a killed build
    if (Date.now() - statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs > STALE_MS) rmSync(lockDir, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`another web UI build holds ${lockDir}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
process.on('exit', () => rmSync(lockDir, { recursive: true, force: true }));
if (upToDate()) process.exit(0);
const current = built();
console.error(current ? 'web UI sources changed: rebuilding web/dist…' : 'building the web UI (web/dist) once…');
const t0 = Date.now();
const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: web, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('web UI build failed; the APIs still start (the gateway answers / with how to build the UI)');
  process.exit(process.argv.includes('--strict') ? 1 : 0);
}
writeFileSync(stampFile, stamp + '\n');
console.error(`web UI built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
