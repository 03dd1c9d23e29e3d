/**
 * `GET /api/session`: what the web UI needs before its first call — whether tokens are required and which role the
 * presented token has — so it can ask for a token and disable what the role cannot use. Public: it says nothing a
 * caller does not already know.
 */
import { z } from 'zod';
import { ROLES, type Authenticator } from '../core/auth.ts';
import type { App } from '../core/http.ts';

const sessionSchema = z.object({
  auth_required: z.boolean().describe('True when the platform has tokens configured'),
  role: z.enum(ROLES).nullable().describe('Role of the presented bearer token (admin when no tokens are configured); null when none or invalid'),
  reason: z.string().nullable().describe('Why the token gives no role (missing, invalid)'),
  services: z.array(z.string()).describe('Services this gateway serves under /api/<service>'),
});

/** Registers `GET /api/session` on the gateway. */
export function registerSession(app: App, auth: Authenticator, services: string[]): void {
  app.get(
    '/api/session',
    { config: { public: true }, schema: { summary: 'Whether tokens are required and the role of the presented token', tags: ['system'], response: { 200: sessionSchema } } },
    async (req) => {
      if (!auth.enabled) return { auth_required: false, role: 'admin' as const, reason: null, services };
      try {
        return { auth_required: true, role: auth.check(req.headers.authorization, 'viewer'), reason: null, services };
      } catch (e: any) {
        return { auth_required: true, role: null, reason: String(e?.detail ?? e?.message ?? 'not authenticated'), services };
      }
    },
  );
}
