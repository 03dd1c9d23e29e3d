/**
 * Real files from the public repositories of the earlier system (job manifests, vLLM values, eval configs, a task
 * dataset), copied into `test/fixtures/reference-repos/` so that a clean checkout tests against them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/reference-repos');

/** A fixture file's text, by its path under `reference-repos/`. */
export const fixture = (p: string): string => readFileSync(path.join(FIXTURES, p), 'utf8');
