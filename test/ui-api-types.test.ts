/**
 * The web UI's API types (web/src/api/schema/*.ts) are what `npm run gen:api` makes from the services' OpenAPI
 * documents today: a route or schema change without regenerating fails here, before the UI calls a path that moved.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateApiTypes, SCHEMA_DIR } from '../scripts/api-types.ts';
import { availableServices } from '../src/platform/start.ts';

describe('generated API types', () => {
  it('match the services’ current OpenAPI documents (run npm run gen:api when this fails)', async () => {
    const files = await generateApiTypes();
    expect(Object.keys(files).sort()).toEqual([...availableServices(), 'gateway'].map((n) => `${n}.ts`).sort());
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['manager.ts', 'results.ts', 'deployer.ts', 'vllm.ts']));
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(SCHEMA_DIR, name);
      expect(existsSync(file), `${name} exists`).toBe(true);
      // a plain equality check prints a 4,000-line diff; the first differing line is what a person needs
      const have = readFileSync(file, 'utf8').split('\n');
      const want = text.split('\n');
      const at = want.findIndex((l, i) => have[i] !== l);
      expect(at === -1 && have.length === want.length, `${name} is stale at line ${at + 1}: have ${JSON.stringify(have[at])}, want ${JSON.stringify(want[at])}`).toBe(true);
    }
    // the documents carry what the UI relies on: the manager's projects, the gateway's session and model list
    expect(files['manager.ts']).toContain('"/projects/{project_id}/files/{file_id}/diff"');
    expect(files['gateway.ts']).toContain('"/api/session"');
    expect(files['gateway.ts']).toContain('"/v1/models"');
    expect(files['gateway.ts']).not.toContain('"/api/manager/');
  });
});
