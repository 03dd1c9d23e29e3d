/** HTTP calls from tests to a real server on a real port: JSON in, JSON (or text) out, status and headers kept. */
export interface Res {
  status: number;
  body: any;
  headers: Headers;
}

export async function call(base: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const res = await fetch(base + url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}

/** `fetch` with an optional JSON body (`json`): the status and the parsed body (null when empty). */
export async function fetchJson(url: string, init?: RequestInit & { json?: unknown }): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    ...init,
    ...(init?.json !== undefined ? { body: JSON.stringify(init.json), headers: { 'content-type': 'application/json' } } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
