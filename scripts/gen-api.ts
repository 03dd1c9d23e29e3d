/** `npm run gen:api`: writes web/src/api/schema/*.ts from the services' OpenAPI documents (`--check`: exit 1 when stale). */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { generateApiTypes, SCHEMA_DIR } from './api-types.ts';

const check = process.argv.includes('--check');
const files = await generateApiTypes();
mkdirSync(SCHEMA_DIR, { recursive: true });
const stale: string[] = [];
for (const [name, text] of Object.entries(files)) {
  const file = path.join(SCHEMA_DIR, name);
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (old === text) continue;
  stale.push(name);
  if (!check) writeFileSync(file, text);
}
if (check && stale.length) {
  console.error(`stale API types: ${stale.join(', ')} (run npm run gen:api)`);
  process.exit(1);
}
console.log(stale.length ? `${check ? 'stale' : 'wrote'}: ${stale.join(', ')}` : 'API types are up to date');
process.exit(0);
