/** The bearer token, kept for the browser tab's session only (sessionStorage: gone when the tab closes). */
const KEY = 'benchops.token';
const listeners = new Set<() => void>();

/** The stored token, if any. */
export function getToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Stores (or with null, forgets) the token and tells every subscriber. */
export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
  for (const l of listeners) l();
}

/** Calls `fn` whenever the token changes; returns the unsubscribe function. */
export function onTokenChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => {
    listeners.delete(fn);
  };
}

/** Listeners told about a 401 from any call, so the shell can ask for a token. */
const unauthorized = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorized.add(fn);
  return () => {
    unauthorized.delete(fn);
  };
}
export function reportUnauthorized(): void {
  for (const l of unauthorized) l();
}
