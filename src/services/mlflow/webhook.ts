/**
 * MLflow webhooks (MLflow 3.3+) as an alternative to polling. A delivery is signed with HMAC-SHA256 over
 * `<X-MLflow-Delivery-Id>.<X-MLflow-Timestamp>.<raw body>`, sent as `X-MLflow-Signature: v1,<base64>`; it is checked
 * in constant time against the configured secret, and deliveries older (or newer) than five minutes are refused so a
 * captured one cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAX_SKEW_SECONDS = 300;

export interface WebhookHeaders {
  signature?: string;
  deliveryId?: string;
  timestamp?: string;
}

/** The `X-MLflow-Signature` value for a body (the sender's side; tests and the double use it). */
export function signDelivery(secret: string, deliveryId: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${deliveryId}.${timestamp}.${body}`).digest('base64')}`;
}

/** null when the delivery is authentic and fresh, else why not (said back as a 401 without detail of the secret). */
export function verifyDelivery(secret: string, h: WebhookHeaders, body: string, nowSeconds = Math.floor(Date.now() / 1000)): string | null {
  if (!h.signature || !h.deliveryId || !h.timestamp) return 'missing X-MLflow-Signature, X-MLflow-Delivery-Id or X-MLflow-Timestamp';
  const ts = Number(h.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > MAX_SKEW_SECONDS) return 'X-MLflow-Timestamp is not within five minutes of now';
  const expected = Buffer.from(signDelivery(secret, h.deliveryId, h.timestamp, body));
  const given = Buffer.from(h.signature.trim());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature does not match';
  return null;
}

export type WebhookAction =
  | { kind: 'version'; name: string; version: string; alias?: string }
  | { kind: 'ignored'; reason: string };

/** What a verified payload asks for: a model version (created, or an alias set on it), or nothing we act on. */
export function readPayload(p: any): WebhookAction | { kind: 'invalid'; loc: string[]; msg: string } {
  if (!p || typeof p !== 'object' || Array.isArray(p)) return { kind: 'invalid', loc: ['body'], msg: 'must be a JSON object' };
  const entity = p.entity;
  const action = p.action;
  const data = p.data;
  if (typeof entity !== 'string') return { kind: 'invalid', loc: ['body', 'entity'], msg: 'field required (string)' };
  if (typeof action !== 'string') return { kind: 'invalid', loc: ['body', 'action'], msg: 'field required (string)' };
  const target = `${entity}.${action}`;
  if (target !== 'model_version.created' && target !== 'model_version_alias.created') return { kind: 'ignored', reason: `${target} is not acted on` };
  if (!data || typeof data !== 'object') return { kind: 'invalid', loc: ['body', 'data'], msg: 'field required (object)' };
  if (typeof data.name !== 'string' || !data.name) return { kind: 'invalid', loc: ['body', 'data', 'name'], msg: 'field required (string)' };
  if ((typeof data.version !== 'string' && typeof data.version !== 'number') || String(data.version) === '') {
    return { kind: 'invalid', loc: ['body', 'data', 'version'], msg: 'field required (string)' };
  }
  if (target === 'model_version_alias.created') {
    if (typeof data.alias !== 'string' || !data.alias) return { kind: 'invalid', loc: ['body', 'data', 'alias'], msg: 'field required (string)' };
    return { kind: 'version', name: data.name, version: String(data.version), alias: data.alias };
  }
  return { kind: 'version', name: data.name, version: String(data.version) };
}
