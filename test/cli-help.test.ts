/** `benchops --help` explains every command, each subcommand has its own help, and unknown services are refused. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS } from '../src/core/config.ts';
import { availableServices } from '../src/platform/start.ts';

const run = promisify(execFile);
const BIN = new URL('../bin/benchops.js', import.meta.url).pathname;
const help = async (...args: string[]) => (await run(process.execPath, [BIN, ...args, '--help'])).stdout;

describe('benchops CLI help', () => {
  it('lists every command with a description, and each command explains itself', async () => {
    const top = await help();
    for (const cmd of ['serve', 'db', 'bench', 'sim', 'job']) expect(top).toMatch(new RegExp(`\\n  ${cmd}\\b[^\\n]*\\S+ \\S+`));
    expect(await help('db')).toMatch(/migrate\s+Apply pending migrations/);
    const sim = await help('sim');
    for (const sub of ['serve', 'predict', 'calibrate', 'catalogue']) expect(sim).toMatch(new RegExp(`\\n  ${sub}\\b`));
    expect(await help('job', 'run')).toMatch(/VLLM_MODEL_ENDPOINT[\s\S]*Exit codes/);
    const bench = await help('bench');
    for (const opt of ['--max-concurrency', '--request-rate', '--burstiness', '--goodput', '--dataset-name', '--save-result']) expect(bench).toContain(opt);
    // serve names only the services this build has, with their seed ports
    const serve = (await help('serve')).replace(/\s+/g, ' ');
    const seeds = availableServices().map((n) => `${n} ${DEFAULT_PORTS[n]}`).join(', ');
    expect(seeds).toMatch(/^results 8000, manager 8001, deployer 8002, vllm 8005/);
    expect(serve).toContain(`${seeds}) plus the gateway and web UI on 8080`);
    // cluster mode names the UI's gateway too
    expect(serve).toMatch(/`web` is the gateway serving the UI/);
  }, 60_000);

  it('refuses an unknown service by name with exit code 2', async () => {
    const err: any = await run(process.execPath, [BIN, 'serve', 'nope']).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain(`Unknown service "nope". Available: ${[...availableServices(), 'web'].join(', ')}`);
    expect(err.stderr).toMatch(/Available: results, manager, deployer, vllm\b.*, web$/m);
  }, 60_000);
});
