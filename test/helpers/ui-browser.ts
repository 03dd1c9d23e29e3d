/**
 * Browser tests of the web UI: a real embedded platform (PGlite, every service, the gateway serving web/dist, the demo
 * project and, when asked, the demo model on an emulated GPU) and Debian's Chromium driven by playwright-core.
 * Every page a test opens records console errors and uncaught exceptions; `expectNoConsoleErrors` fails on any.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { loadTokens } from '../../src/core/auth.ts';
import { DEFAULT_PORTS, loadConfig } from '../../src/core/config.ts';
import { startPlatform } from '../../src/platform/start.ts';
import { ensureDemoModel, withDemoDevices } from '../../src/services/vllm/demo-model.ts';
import type { TestPlatform } from './platform.ts';
import { PassThrough } from 'node:stream';

export const CHROMIUM = process.env.BENCHOPS_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOT_DIR = path.join(ROOT, 'docs', 'screenshots');

/** The launch flags: no sandbox (root in CI), no GPU, and nothing that reaches the network on its own. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let built = false;
/** Builds web/dist when it is missing or stale (the same check as `npm start`), once per test file. */
export function ensureWebBuilt(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'web-build.mjs'), '--strict'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('web UI build failed (node scripts/web-build.mjs)');
  built = true;
}

/** Starts an embedded platform for the UI: demo project always, demo model when `demoModel` (waits until it serves). */
export async function startUiPlatform(opts: { demoModel?: boolean; env?: Record<string, string> } = {}): Promise<TestPlatform> {
  ensureWebBuilt();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'benchops-ui-'));
  const env: Record<string, string> = {
    BENCHOPS_DATA_DIR: dataDir,
    BENCHOPS_DEMO: '1',
    BENCHOPS_LOG_LEVEL: 'info',
    BENCHOPS_POLL_TICK_SECONDS: '1',
    ...Object.fromEntries(Object.keys(DEFAULT_PORTS).map((s) => [`BENCHOPS_${s.toUpperCase()}_PORT`, '0'])),
    ...opts.env,
  };
  const config = withDemoDevices(loadConfig(env));
  const stream = new PassThrough();
  let captured = '';
  stream.on('data', (d) => (captured += d));
  const platform = await startPlatform({ config, logStream: stream });
  const p = Object.assign(platform, { logs: () => captured, dataDir });
  const close = p.close;
  p.close = async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  // with tokens configured the harness's own calls carry one (any role reads)
  const token = loadTokens(config)[0]?.token;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await waitFor(async () => {
    const list = await (await fetch(`${p.urls.manager}/projects?name=demo`, { headers })).json();
    return list[0]?.last_sync ? list[0] : undefined;
  }, 90_000, 'the demo project synced');
  if (opts.demoModel) {
    const out = await ensureDemoModel(p.urls.vllm!, config);
    if (out.action !== 'created') throw new Error(`demo model not created: ${out.reason}`);
    await waitFor(async () => {
      const models = await (await fetch(`${p.urls.gateway}/v1/models`, { headers })).json();
      return models.data?.length ? models.data : undefined;
    }, 120_000, 'the demo model in /v1/models');
  }
  return p;
}

/**
 * What the API behind the page says: JSON from `base + path` (the gateway), with the list's X-Total-Count when the
 * route gives one; throws with the method, path, status and body when the answer is not 2xx.
 */
export async function gatewayJson(base: string, path: string, init?: RequestInit): Promise<{ body: any; total: number }> {
  const r = await fetch(`${base}${path}`, init);
  const text = await r.text();
  if (!r.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${r.status} ${text}`);
  return { body: JSON.parse(text), total: Number(r.headers.get('x-total-count')) };
}

/** Polls `fn` until it returns a value (not undefined); throws after `ms` naming `what`. */
export async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

export interface UiBrowser {
  context: BrowserContext;
  /** A new page whose console errors and uncaught exceptions are recorded. */
  page(): Promise<Page>;
  /** Every console error and page error seen so far, with the page URL. */
  errors: string[];
  /** The next answer with this status is expected (the browser logs every 4xx/5xx as a console error). */
  allowHttpError(status: number): void;
  close(): Promise<void>;
}

/** Launches Chromium (a fresh profile folder) with the flags above; generous timeouts for busy machines. */
export async function openBrowser(): Promise<UiBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'benchops-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1360, height: 860 },
    timeout: 120_000,
  });
  context.setDefaultTimeout(60_000);
  context.setDefaultNavigationTimeout(90_000);
  const errors: string[] = [];
  const allowed: number[] = [];
  return {
    context,
    errors,
    allowHttpError: (status) => void allowed.push(status),
    async page() {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        const http = /^Failed to load resource: the server responded with a status of (\d+)/.exec(m.text());
        const i = http ? allowed.indexOf(Number(http[1])) : -1;
        if (i >= 0) allowed.splice(i, 1);
        else errors.push(`${page.url()}: console.error ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Fails listing every console error and uncaught exception the pages had. */
export function expectNoConsoleErrors(b: UiBrowser): void {
  expect(b.errors, b.errors.join('\n')).toEqual([]);
}

/** Saves a screenshot of the page as docs/screenshots/<name>.png (the README shows them). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
