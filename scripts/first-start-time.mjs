// Measures a newcomer's first start: a fresh clone of this repository's HEAD, `npm ci` (its time and any EBADENGINE
// warning), then `npm start` until the web UI answers at the gateway's root (the UI build included), and the demo
// model listed at /v1/models. Prints the figures; leaves nothing behind. Usage: node scripts/first-start-time.mjs
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'benchops-fresh-'));
const clone = path.join(dir, 'benchops');
// every seed port of src/core/config.ts, read from the source (this script runs without tsx)
const ports = Object.fromEntries(
  [...readFileSync(path.join(repo, 'src/core/config.ts'), 'utf8').matchAll(/^ {2}(\w+): 80\d\d,$/gm)].map((m) => [`BENCHOPS_${m[1].toUpperCase()}_PORT`, '0']),
);
const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;
let child;
try {
  execFileSync('git', ['clone', '-q', '--depth', '1', `file://${repo}`, clone]);
  let t = Date.now();
  const ci = spawn('npm', ['ci', '--no-audit', '--no-fund'], { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'] });
  let ciOut = '';
  ci.stdout.on('data', (d) => (ciOut += d));
  ci.stderr.on('data', (d) => (ciOut += d));
  const ciCode = await new Promise((r) => ci.on('exit', r));
  const ciMs = Date.now() - t;
  if (ciCode !== 0) throw new Error(`npm ci failed (${ciCode}):\n${ciOut.slice(-2000)}`);
  const engine = (ciOut.match(/EBADENGINE/g) ?? []).length;

  t = Date.now();
  child = spawn('npm', ['start'], { cwd: clone, env: { ...process.env, ...ports, BENCHOPS_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let gateway;
  let readyMs;
  let uiMs;
  let modelMs;
  while (Date.now() - t < 300_000) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${out.slice(-2000)}`);
    const m = /BENCHOPS_READY (\{.*\})/.exec(out);
    if (m && !gateway) {
      gateway = JSON.parse(m[1]).gateway;
      readyMs = Date.now() - t;
    }
    if (gateway && !uiMs) {
      const html = await fetch(`${gateway}/`).then((r) => (r.ok ? r.text() : ''), () => '');
      if (html.includes('<div id="root">')) uiMs = Date.now() - t;
    }
    if (gateway && uiMs && !modelMs) {
      const models = await fetch(`${gateway}/v1/models`).then((r) => r.json(), () => ({}));
      if (models.data?.length) modelMs = Date.now() - t;
    }
    if (modelMs) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`npm ci:                          ${sec(ciMs)} (EBADENGINE warnings: ${engine})`);
  console.log(`npm start → BENCHOPS_READY:      ${readyMs ? sec(readyMs) : 'never'}`);
  console.log(`npm start → UI answering at /:   ${uiMs ? sec(uiMs) : 'never'} (includes building web/dist)`);
  console.log(`npm start → demo model listed:   ${modelMs ? sec(modelMs) : 'never'}`);
} finally {
  if (child?.pid) {
    try {
      process.kill(-child.pid, 'SIGINT');
    } catch {
      // already gone
    }
    await new Promise((r) => setTimeout(r, 3000));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // exited on SIGINT
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
