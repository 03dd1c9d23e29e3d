/**
 * The caller's session: whether the platform needs a token and the role the stored token has (GET /api/session).
 * With no tokens on loopback the role is admin and nothing is asked; with tokens the shell asks for one.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useSyncExternalStore, type ReactNode } from 'react';
import { gateway, unwrap } from '../api/client';
import { getToken, onTokenChange, onUnauthorized } from './token';

export type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export interface Session {
  authRequired: boolean;
  role: Role | null;
  reason: string | null;
  loading: boolean;
}

const SessionContext = createContext<Session>({ authRequired: false, role: null, reason: null, loading: true });

/**
 * Loads the session for the stored token (the token is part of the query key, so a new token is a new session). A
 * forgotten token ends the session at once: with tokens required and none stored the role is null and the shell shows
 * no page, so no page calls an API without one; the cached data of the previous token is dropped.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const token = useSyncExternalStore(onTokenChange, getToken, () => null);
  const q = useQuery({ queryKey: ['session', token], queryFn: () => unwrap(gateway.GET('/api/session')), staleTime: 60_000 });
  useEffect(() => {
    const offToken = onTokenChange(() => qc.removeQueries({ predicate: (x) => x.queryKey[0] !== 'session' }));
    const off401 = onUnauthorized(() => void qc.invalidateQueries({ queryKey: ['session'] }));
    return () => {
      offToken();
      off401();
    };
  }, [qc]);
  const authRequired = q.data?.auth_required ?? false;
  const value: Session = {
    authRequired,
    role: authRequired && !token ? null : ((q.data?.role as Role | null | undefined) ?? null),
    reason: q.data?.reason ?? null,
    loading: q.isLoading,
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  return useContext(SessionContext);
}

/** Whether `role` may do what needs `required`. */
export function allows(role: Role | null, required: Role): boolean {
  return role !== null && RANK[role] >= RANK[required];
}

/** Why a control needing `required` is disabled for this session, or null when it is allowed. */
export function useDenied(required: Role): string | null {
  const s = useSession();
  if (s.loading) return 'Loading your session…';
  if (allows(s.role, required)) return null;
  if (!s.role) return `Needs a token with the ${required} role`;
  return `Needs the ${required} role (your token is ${s.role})`;
}
