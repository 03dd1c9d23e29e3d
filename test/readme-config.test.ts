/** The README's configuration tables name every variable the code reads (config keys and the runner's own). */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, ENV_KEYS } from '../src/core/config.ts';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('README configuration', () => {
  it('documents every environment variable of the config module', () => {
    for (const name of Object.keys(ENV_KEYS)) expect(README, name).toContain(`\`${name}\``);
    expect(README).toContain('`BENCHOPS_<SERVICE>_PORT`');
    for (const svc of Object.keys(DEFAULT_PORTS)) expect(README, svc).toContain(`\`${svc.toUpperCase()}\` ${DEFAULT_PORTS[svc as keyof typeof DEFAULT_PORTS]}`);
  });

  it('documents every BENCHOPS_* variable the code reads directly', () => {
    const read = new Set<string>();
    for (const f of sources(new URL('../src', import.meta.url).pathname)) {
      for (const m of readFileSync(f, 'utf8').matchAll(/env(?:\??\.|\[')(BENCHOPS_[A-Z_]+)/g)) read.add(m[1]);
    }
    expect(read.size).toBeGreaterThan(5);
    for (const name of read) expect(README, name).toContain(name);
  });
});
