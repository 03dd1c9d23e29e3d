// Generates a drizzle-kit migration for one service from src/services/<svc>/schema.ts.
// Usage: npm run db:generate -- <service> [--name <migration-name>]
import { spawnSync } from 'node:child_process';
const [svc, ...rest] = process.argv.slice(2);
if (!svc) {
  console.error('usage: npm run db:generate -- <service> [--name <name>]');
  process.exit(2);
}
const r = spawnSync('npx', ['drizzle-kit', 'generate', '--config', 'drizzle.config.ts', ...rest], {
  stdio: 'inherit',
  env: { ...process.env, BENCHOPS_SERVICE: svc },
});
process.exit(r.status ?? 1);
