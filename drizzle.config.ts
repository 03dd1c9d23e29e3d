import { defineConfig } from 'drizzle-kit';

const svc = process.env.BENCHOPS_SERVICE;
if (!svc) throw new Error('set BENCHOPS_SERVICE (use: npm run db:generate -- <service>)');
const base = svc === 'core' ? 'src/core/db' : `src/services/${svc}`;

export default defineConfig({
  dialect: 'postgresql',
  schema: `${base}/schema.ts`,
  out: `${base}/migrations`,
});
