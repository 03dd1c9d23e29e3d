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
