/**
 * The streaming hot path: one SSE message of an OpenAI-compatible stream classified with current vLLM's chunk rule
 * (endpoint_request_func.py: a message is a chunk when its `choices` is non-empty — empty text and the chat role-only
 * chunk included; `usage` gives the output and prompt token counts). The common vLLM shapes are read by scanning the
 * string for their keys (no JSON.parse, no object per chunk); anything else falls back to JSON.parse. Keys cannot be
 * matched inside a JSON string value: a quote inside one is escaped, so `"text":` cannot occur there.
 */

/** What one message said. */
export interface SseMessage {
  /** A chunk in vLLM's sense (non-empty `choices`). */
  chunk: boolean;
  /** The chunk's text (completions `text`, chat `delta.content`, else reasoning), '' when none. */
  text: string;
  /** Chat: the chunk carries a role and no text (the role-only first chunk). */
  roleOnly: boolean;
  completionTokens: number | null;
  promptTokens: number | null;
  /** The server's error message when the message is an error object. */
  error: string | null;
}

const KEY_CHOICES = '"choices":';
const KEY_TEXT = '"text":';
const KEY_CONTENT = '"content":';
const KEY_REASONING = '"reasoning_content":';
const KEY_REASONING2 = '"reasoning":';

function skipWs(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 10 || s.charCodeAt(i) === 13 || s.charCodeAt(i) === 9)) i++;
  return i;
}

/** The JSON string value after `key` (searched from `from`), '' for null or absent. */
function stringAfter(s: string, key: string, from: number): string {
  const k = s.indexOf(key, from);
  if (k < 0) return '';
  let i = skipWs(s, k + key.length);
  if (s.charCodeAt(i) !== 34) return ''; // null, or not a string
  const begin = ++i;
  let escaped = false;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) {
      escaped = true;
      i++; // skip the escaped character
    } else if (c === 34) break;
  }
  const raw = s.slice(begin, i);
  return escaped ? (JSON.parse('"' + raw + '"') as string) : raw;
}

/** The integer after `key` (searched from `from`), null when absent or not a number. */
function intAfter(s: string, key: string, from: number): number | null {
  const k = s.indexOf(key, from);
  if (k < 0) return null;
  let i = skipWs(s, k + key.length);
  let n = 0;
  const start = i;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return i > start ? n : null;
}

/** Classifies one SSE `data:` payload (not `[DONE]`). `out` is reused by the caller to avoid an object per chunk. */
export function classifyMessage(d: string, chat: boolean, out: SseMessage): SseMessage {
  out.chunk = false;
  out.text = '';
  out.roleOnly = false;
  out.completionTokens = null;
  out.promptTokens = null;
  out.error = null;
  if (d.indexOf('"error"') >= 0 && d.indexOf(KEY_CHOICES) < 0) return slowPath(d, chat, out);
  const ci = d.indexOf(KEY_CHOICES);
  if (ci >= 0) {
    let i = skipWs(d, ci + KEY_CHOICES.length);
    if (d.charCodeAt(i) === 91 /* [ */) {
      i = skipWs(d, i + 1);
      out.chunk = d.charCodeAt(i) !== 93 /* ] */;
    } else if (d.charCodeAt(i) !== 110 /* null */) return slowPath(d, chat, out);
  }
  if (out.chunk) {
    if (chat) {
      out.text = stringAfter(d, KEY_CONTENT, ci) || stringAfter(d, KEY_REASONING, ci) || stringAfter(d, KEY_REASONING2, ci);
      out.roleOnly = !out.text && d.indexOf('"role":', ci) >= 0;
    } else out.text = stringAfter(d, KEY_TEXT, ci);
  }
  const ui = d.lastIndexOf('"usage":');
  if (ui >= 0 && d.charCodeAt(skipWs(d, ui + 8)) === 123 /* { */) {
    out.completionTokens = intAfter(d, '"completion_tokens":', ui);
    out.promptTokens = intAfter(d, '"prompt_tokens":', ui);
  }
  return out;
}

/** Shapes the scanner does not expect: parsed in full. A malformed message is skipped (vLLM's client would fail). */
function slowPath(d: string, chat: boolean, out: SseMessage): SseMessage {
  let j: any;
  try {
    j = JSON.parse(d);
  } catch {
    return out;
  }
  if (j?.error) {
    out.error = typeof j.error === 'string' ? j.error : String(j.error.message ?? JSON.stringify(j.error));
    return out;
  }
  const ch = Array.isArray(j?.choices) ? j.choices[0] : undefined;
  if (ch) {
    out.chunk = true;
    const t = chat ? (ch.delta?.content || ch.delta?.reasoning_content || ch.delta?.reasoning) : ch.text;
    out.text = typeof t === 'string' ? t : '';
    out.roleOnly = chat && !out.text && !!ch.delta?.role;
  }
  if (j?.usage && typeof j.usage === 'object') {
    if (typeof j.usage.completion_tokens === 'number') out.completionTokens = j.usage.completion_tokens;
    if (typeof j.usage.prompt_tokens === 'number') out.promptTokens = j.usage.prompt_tokens;
  }
  return out;
}

/** A fresh reusable message record. */
export function newMessage(): SseMessage {
  return { chunk: false, text: '', roleOnly: false, completionTokens: null, promptTokens: null, error: null };
}

/**
 * The same rule over the bytes of one message (no string per chunk): where the chunk's text lies in `buf` (still
 * JSON-escaped; `escaped` says a backslash occurs in it) so the caller can copy the bytes and decode the request's
 * whole text once at its end. Shapes the byte scanner does not expect set `slow`: the caller decodes the message and
 * uses `classifyMessage`, so both paths give the same answer.
 */
export interface ByteMessage {
  slow: boolean;
  chunk: boolean;
  textStart: number;
  textEnd: number;
  escaped: boolean;
  roleOnly: boolean;
  completionTokens: number | null;
  promptTokens: number | null;
}

/** A key's bytes and its Horspool skip table (how far a window may move on from the byte at its last position). */
class Key {
  readonly b: Uint8Array;
  readonly skip = new Uint8Array(256);
  constructor(s: string) {
    this.b = Uint8Array.from(Buffer.from(s, 'latin1'));
    const m = this.b.length;
    this.skip.fill(m);
    for (let j = 0; j < m - 1; j++) this.skip[this.b[j]] = m - 1 - j;
  }
}
const B_CHOICES = new Key(KEY_CHOICES);
const B_TEXT = new Key(KEY_TEXT);
const B_CONTENT = new Key(KEY_CONTENT);
const B_REASONING = new Key(KEY_REASONING);
const B_REASONING2 = new Key(KEY_REASONING2);
const B_ROLE = new Key('"role":');
const B_USAGE = new Key('"usage":');
const B_COMPLETION = new Key('"completion_tokens":');
const B_PROMPT = new Key('"prompt_tokens":');

/**
 * Index of the first `key` in buf[from, to), or -1. Horspool: the window's last byte says how far it may move (a byte
 * the key does not hold skips its whole length), so a message's ids, numbers and most names are stepped over rather
 * than read byte by byte; the first window that matches is the leftmost occurrence.
 */
function findKey(buf: Uint8Array, key: Key, from: number, to: number): number {
  const k = key.b;
  const skip = key.skip;
  const m1 = k.length - 1;
  const lastByte = k[m1];
  for (let i = from; i + m1 < to; ) {
    const c = buf[i + m1];
    if (c === lastByte) {
      let j = m1 - 1;
      while (j >= 0 && buf[i + j] === k[j]) j--;
      if (j < 0) return i;
    }
    i += skip[c];
  }
  return -1;
}

function skipWsB(buf: Uint8Array, i: number, to: number): number {
  while (i < to) {
    const c = buf[i];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    i++;
  }
  return i;
}

/** The string value after `key` in buf[from, to): sets out.textStart/End/escaped; false when absent, null or not a string. */
function stringAfterB(buf: Uint8Array, key: Key, from: number, to: number, out: ByteMessage): boolean {
  const k = findKey(buf, key, from, to);
  if (k < 0) return false;
  let i = skipWsB(buf, k + key.b.length, to);
  if (buf[i] !== 34) return false;
  const begin = ++i;
  let escaped = false;
  for (; i < to; i++) {
    const c = buf[i];
    if (c === 92) {
      escaped = true;
      i++;
    } else if (c === 34) break;
  }
  out.textStart = begin;
  out.textEnd = i;
  out.escaped = escaped;
  return i > begin;
}

function intAfterB(buf: Uint8Array, key: Key, from: number, to: number): number | null {
  const k = findKey(buf, key, from, to);
  if (k < 0) return null;
  let i = skipWsB(buf, k + key.b.length, to);
  const start = i;
  let n = 0;
  for (; i < to; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return i > start ? n : null;
}

/** Classifies the `data:` payload buf[a, b) (not `[DONE]`) into `out` (reused by the caller). */
export function scanMessage(buf: Uint8Array, a: number, b: number, chat: boolean, out: ByteMessage): ByteMessage {
  out.slow = false;
  out.chunk = false;
  out.textStart = out.textEnd = 0;
  out.escaped = false;
  out.roleOnly = false;
  out.completionTokens = null;
  out.promptTokens = null;
  // the first `"choices":` (a `"usage":` before it is looked for only when none follows: vLLM puts usage after choices)
  const ci = findKey(buf, B_CHOICES, a, b);
  // no choices at all (an error object, a usage-only message of another server): the string path decides
  if (ci < 0) {
    out.slow = true;
    return out;
  }
  let i = skipWsB(buf, ci + B_CHOICES.b.length, b);
  if (buf[i] === 91 /* [ */) {
    i = skipWsB(buf, i + 1, b);
    out.chunk = buf[i] !== 93 /* ] */;
  } else if (buf[i] !== 110 /* null */) {
    out.slow = true;
    return out;
  }
  let after = i;
  if (out.chunk) {
    const has = chat
      ? stringAfterB(buf, B_CONTENT, i, b, out) || stringAfterB(buf, B_REASONING, i, b, out) || stringAfterB(buf, B_REASONING2, i, b, out)
      : stringAfterB(buf, B_TEXT, i, b, out);
    if (has) after = out.textEnd;
    else {
      out.textStart = out.textEnd = 0;
      out.escaped = false;
      out.roleOnly = chat && findKey(buf, B_ROLE, i, b) >= 0;
    }
  }
  // usage follows choices in vLLM's messages; an object there gives the counts (null: none)
  // (others may put it before; one there cannot reach into `"choices":`)
  let ui = findKey(buf, B_USAGE, after, b);
  if (ui < 0) ui = findKey(buf, B_USAGE, a, ci);
  if (ui >= 0 && buf[skipWsB(buf, ui + B_USAGE.b.length, b)] === 123 /* { */) {
    out.completionTokens = intAfterB(buf, B_COMPLETION, ui, b);
    out.promptTokens = intAfterB(buf, B_PROMPT, ui, b);
  }
  return out;
}

/** A fresh reusable byte-message record. */
export function newByteMessage(): ByteMessage {
  return { slow: false, chunk: false, textStart: 0, textEnd: 0, escaped: false, roleOnly: false, completionTokens: null, promptTokens: null };
}
