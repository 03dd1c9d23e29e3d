#!/usr/bin/env node
// Runs the compiled CLI when BENCHOPS_USE_DIST=1 (the container image) or when the sources are absent;
// otherwise runs the TypeScript sources through tsx so a checkout needs no build step.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/cli/index.js', import.meta.url);
const src = new URL('../src/cli/index.ts', import.meta.url);
if (process.env.BENCHOPS_USE_DIST === '1' || !existsSync(src)) {
  await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(src.href);
}
