/**
 * Fuzz cases for one OpenAPI operation, as fast-check arbitraries (one per input kind): a valid-ish request from the
 * route's schemas with one hostile change. Routes that start real work (deploys, runs, syncs, the scheduler) only get
 * requests that are invalid for certain: every body carries a schema violation, or the target id does not exist.
 */
import fc from 'fast-check';
import type { JsonSchema, Operation, Param } from './audit-openapi.ts';
import {
  BAD_PATH_VALUES, BAD_QUERY_VALUES, DATE_NAME, DEPTHS, EDGE_DATES, EXTRA_KEY_COUNTS, HUGE_LENGTHS, HUGE_NUMBERS, IMPOSSIBLE_DATES,
  MALFORMED_BODIES, NUL_STRINGS, RawJson, SURROGATE_STRINGS, chance, deepJson, pick, setAt, slotsOf, typesOf, validish, wrongType,
  type Gen, type Slot,
} from './audit-values.ts';

export const KINDS = [
  'valid', 'malformed', 'content-type', 'oversize', 'wrong-type', 'missing', 'extra-keys', 'nul', 'surrogate', 'deep', 'huge-string',
  'huge-number', 'bad-date', 'bad-path', 'bad-query',
] as const;
export type Kind = (typeof KINDS)[number];

export interface FuzzCase {
  kind: Kind;
  method: string;
  /** Path and query, percent-encoded as sent. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The request is invalid for certain: it must be answered 4xx. */
  refuse: boolean;
  /** What was changed, for the report (never the payload itself). */
  note: string;
}

export interface CaseContext {
  /** Real ids by path parameter name (seeded data), used by routes that neither start work nor delete. */
  ids: Record<string, string[]>;
  /** Known values for keys of open (schema-less) bodies, e.g. a served model name. */
  hints: Record<string, unknown[]>;
  bodyLimitBytes: number;
}

/** Routes (as in the service documents, `{param}` syntax) that deploy, run, sync or drive the scheduler. */
const WORK = new Set([
  'POST /deploy', 'POST /queue/deployment', 'POST /scheduler/start', 'POST /scheduler/resume', 'POST /scheduler/trigger',
  'POST /scheduler/stop', 'POST /scheduler/pause', 'POST /scheduler/config', 'PUT /scheduler/config', 'POST /clusters',
  'POST /run', 'POST /delete', 'POST /vllm/helm/deploy', 'POST /vllm/queue/deployment', 'POST /vllm/queue/scheduler/trigger',
  'POST /terminal/create', 'POST /jobs/{job_name}/terminal', 'POST /projects', 'PUT /projects/{project_id}', 'POST /projects/sync-all',
  'POST /projects/{project_id}/sync',
]);

/** True when a valid request to `op` would start real work (a deploy, run, sync or scheduler change). */
export function startsWork(op: Operation): boolean {
  return WORK.has(`${op.method} ${op.path.replace(/^\/api\/[a-z]+/, '')}`);
}

interface Draft {
  path: Record<string, string>;
  query: [string, string][];
  body: unknown;
  raw: RawJson;
  /** Replaces the JSON body (malformed, oversize). */
  bytes?: Buffer;
  contentType?: string;
  /** Must be answered 4xx (the target behaviour). */
  refuse: boolean;
  /** Refused for certain by schema validation or JSON parsing, whatever else the server does (work routes need it). */
  sure: boolean;
  note: string;
}

const enc = encodeURIComponent;

function queryValue(g: Gen, p: Param): string[] {
  const v = validish(g, p.schema, p.name);
  if (Array.isArray(v)) return v.map(String);
  return [typeof v === 'object' ? JSON.stringify(v) : String(v)];
}

function baseDraft(g: Gen, op: Operation, ctx: CaseContext, useIds: boolean): Draft {
  const d: Draft = { path: {}, query: [], body: undefined, raw: new RawJson(), refuse: false, sure: false, note: '' };
  for (const p of op.params) {
    if (p.in === 'path') {
      const real = ctx.ids[p.name] ?? [];
      d.path[p.name] = useIds && real.length && !chance(g, 4) ? enc(pick(g, real)) : `audit-${g(fc.integer, { min: 0, max: 1e6 })}`;
    } else if (p.required || chance(g, 3)) {
      for (const v of queryValue(g, p)) d.query.push([p.name, enc(v)]);
    }
  }
  if (op.body) d.body = validish(g, op.body, '', ctx.hints);
  return d;
}

const stringSlots = (slots: Slot[]) => slots.filter((s) => typesOf(s.schema).has('string') || !typesOf(s.schema).size);
const openSlots = (slots: Slot[]) => slots.filter((s) => !typesOf(s.schema).size || typesOf(s.schema).has('object'));

/** Applies `kind` to the draft; false when the kind does not apply to this operation. */
function mutate(g: Gen, kind: Kind, op: Operation, d: Draft, ctx: CaseContext): boolean {
  const slots = slotsOf(op.body);
  const hasBody = op.method !== 'GET';
  const at = (s: Slot, v: unknown, note: string) => {
    d.body = setAt(d.body, s.path, v);
    d.note = `${note} at body${s.path.map((k) => `.${k}`).join('')}`;
  };
  const params = (t: 'path' | 'query') => op.params.filter((p) => p.in === t);
  /** Puts `v` under a new key of the object already at an open slot (keeping e.g. a model name), else at the slot. */
  const inside = (s: Slot, v: unknown, note: string) => {
    const cur: any = s.path.reduce((o: any, k) => (o && typeof o === 'object' ? o[k] : undefined), d.body);
    if (cur && typeof cur === 'object' && !Array.isArray(cur) && !s.schema.properties && chance(g, 2)) at({ ...s, path: [...s.path, 'audit'] }, v, note);
    else at(s, v, note);
  };
  switch (kind) {
    case 'valid':
      return true;
    case 'malformed': {
      if (!hasBody) return false;
      const m = pick(g, MALFORMED_BODIES);
      Object.assign(d, { bytes: m.bytes, refuse: m.refuse, sure: m.sure, note: m.label });
      return true;
    }
    case 'content-type': {
      if (!hasBody) return false;
      // no parser for these (415); text/plain is parsed by Fastify and, without a body schema, reaches the handler
      const unparsed = ['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'application/octet-stream'];
      d.contentType = pick(g, op.body ? [...unparsed, 'text/plain', 'application/json; charset=utf-16'] : unparsed);
      d.sure = unparsed.includes(d.contentType);
      d.note = d.contentType;
      return true;
    }
    case 'oversize': {
      if (!hasBody) return false;
      d.bytes = Buffer.from(`{"a":"${'z'.repeat(ctx.bodyLimitBytes + 1024)}"}`);
      Object.assign(d, { refuse: true, sure: true, note: `${d.bytes.length} bytes` });
      return true;
    }
    case 'wrong-type': {
      const typed = slots.map((s) => [s, wrongType(g, s.schema)] as const).filter(([, v]) => v !== undefined);
      if (!typed.length) return false;
      const [s, v] = pick(g, typed);
      at(s, v, `${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`);
      d.refuse = d.sure = true;
      return true;
    }
    case 'missing': {
      const withReq = slots.filter((s) => (s.schema.required ?? []).length);
      if (!withReq.length) return false;
      const s = pick(g, withReq);
      const key = pick(g, s.schema.required as string[]);
      const obj: any = s.path.reduce((o: any, k) => (o && typeof o === 'object' ? o[k] : undefined), d.body);
      if (!obj || typeof obj !== 'object') return false;
      delete obj[key];
      d.refuse = d.sure = true;
      d.note = `without body${[...s.path, key].map((k) => `.${k}`).join('')}`;
      return true;
    }
    case 'extra-keys': {
      const objs = slots.filter((s) => typesOf(s.schema).has('object'));
      if (!objs.length) return false;
      const s = pick(g, objs);
      const n = pick(g, EXTRA_KEY_COUNTS);
      const extra = Object.fromEntries(Array.from({ length: n }, (_, i) => [`zz_audit_${i}`, i]));
      const cur: any = s.path.reduce((o: any, k) => (o && typeof o === 'object' ? o[k] : undefined), d.body);
      at(s, { ...(cur && typeof cur === 'object' && !Array.isArray(cur) ? cur : {}), ...extra }, `${n} unknown keys`);
      d.refuse = d.sure = s.schema.additionalProperties === false;
      return true;
    }
    case 'nul':
    case 'surrogate': {
      const values = kind === 'nul' ? NUL_STRINGS : SURROGATE_STRINGS;
      const targets = stringSlots(slots);
      if (targets.length && (!params('query').length || chance(g, 2))) {
        const s = pick(g, targets);
        const v = pick(g, values);
        // in a schema-less position the character goes into a key as well: `{"<bad>": "<bad>"}`
        if (typesOf(s.schema).size) at(s, v, kind);
        else inside(s, chance(g, 2) ? { [v]: v } : [v], kind);
        d.refuse = true;
        return true;
      }
      const qs = params('query').filter((p) => typesOf(p.schema).has('string') || !typesOf(p.schema).size);
      if (!qs.length) return false;
      const p = pick(g, qs);
      d.query = d.query.filter(([k]) => k !== p.name);
      // a lone surrogate has no UTF-8 form: in a URL it is the CESU-8 bytes of one
      d.query.push([p.name, kind === 'nul' ? enc(`audit${pick(g, values)}`) : pick(g, ['audit%ED%A0%80', '%ED%BF%BFx'])]);
      d.note = `${kind} in query ${p.name}`;
      d.refuse = true;
      return true;
    }
    case 'deep': {
      const targets = hasBody ? openSlots(slots).concat(slots.length ? [] : [{ path: [], schema: {}, name: '' }]) : [];
      if (!targets.length) return false;
      const s = pick(g, targets);
      const depth = pick(g, DEPTHS);
      inside(s, d.raw.raw(deepJson(depth, chance(g, 2) ? 'array' : 'object')), `${depth} levels`);
      return true;
    }
    case 'huge-string': {
      const targets = stringSlots(slots);
      if (!targets.length) return false;
      const s = pick(g, targets);
      const n = pick(g, HUGE_LENGTHS);
      at(s, (chance(g, 2) ? 'x' : 'é').repeat(n), `${n} chars`);
      d.refuse = typesOf(s.schema).has('string') && (s.schema.maxLength ?? Infinity) < n;
      return true;
    }
    case 'huge-number': {
      const targets = slots.filter((s) => typesOf(s.schema).has('number') || !typesOf(s.schema).size);
      const qs = params('query').filter((p) => typesOf(p.schema).has('number'));
      if (targets.length && (!qs.length || chance(g, 2))) {
        const s = pick(g, targets);
        const text = pick(g, HUGE_NUMBERS);
        at(s, d.raw.raw(text), text);
        return true;
      }
      if (!qs.length) return false;
      const p = pick(g, qs);
      d.query = d.query.filter(([k]) => k !== p.name).concat([[p.name, pick(g, HUGE_NUMBERS)]]);
      d.note = `query ${p.name}`;
      return true;
    }
    case 'bad-date': {
      const bodyDates = slots.filter((s) => DATE_NAME.test(s.name) && typesOf(s.schema).has('string'));
      const qDates = params('query').filter((p) => DATE_NAME.test(p.name));
      if (!bodyDates.length && !qDates.length) return false;
      const impossible = chance(g, 2);
      const v = pick(g, impossible ? IMPOSSIBLE_DATES : EDGE_DATES);
      d.refuse = impossible;
      if (bodyDates.length && (!qDates.length || chance(g, 2))) at(pick(g, bodyDates), v, v);
      else {
        const p = pick(g, qDates);
        d.query = d.query.filter(([k]) => k !== p.name).concat([[p.name, enc(v)]]);
        d.note = `${v} in query ${p.name}`;
      }
      return true;
    }
    case 'bad-path': {
      const ps = params('path');
      if (!ps.length) return false;
      const p = pick(g, ps);
      const v = pick(g, BAD_PATH_VALUES);
      d.path[p.name] = v.raw;
      d.refuse = v.refuse;
      d.note = `${v.label} in path ${p.name}`;
      return true;
    }
    case 'bad-query': {
      const ps = params('query');
      if (!ps.length || chance(g, 6)) {
        d.query.push([chance(g, 2) ? 'zz_audit' : 'zz%00', pick(g, ['1', '%00', '%ED%A0%80'])]);
        d.note = 'undeclared query parameter';
        return true;
      }
      const p = pick(g, ps);
      const numeric = typesOf(p.schema).has('number');
      const v = chance(g, 5) ? { label: 'repeated', raw: 'a&' + `${p.name}=b`, refuse: false } : pick(g, BAD_QUERY_VALUES[numeric ? 'number' : 'string']);
      d.query = d.query.filter(([k]) => k !== p.name).concat([[p.name, v.raw]]);
      d.refuse = v.refuse && !(numeric && Array.isArray(p.schema.anyOf));
      d.note = `${v.label} in query ${p.name}`;
      return true;
    }
  }
}

/** Makes a request to a work route invalid for certain, unless its path names a target that does not exist. */
function ensureInvalid(g: Gen, op: Operation, d: Draft): boolean {
  if (d.sure || op.params.some((p) => p.in === 'path')) return true;
  if (op.method === 'GET') return false;
  const typed = slotsOf(op.body).map((s) => [s, wrongType(g, s.schema)] as const).filter(([, v]) => v !== undefined);
  if (typed.length && !d.bytes && !d.contentType) {
    const [s, v] = pick(g, typed);
    d.body = setAt(d.body, s.path, v);
    d.note += `${d.note ? '; ' : ''}wrong type at body${s.path.map((k) => `.${k}`).join('')}`;
  } else {
    const m = pick(g, MALFORMED_BODIES.filter((x) => x.sure));
    d.bytes = m.bytes;
    delete d.contentType;
    d.note += `${d.note ? '; ' : ''}${m.label} body`;
  }
  d.refuse = d.sure = true;
  return true;
}

function finish(op: Operation, kind: Kind, d: Draft): FuzzCase {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, n) => d.path[n] ?? 'audit');
  const qs = d.query.map(([k, v]) => `${k}=${v}`).join('&');
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  if (op.method !== 'GET') {
    body = d.bytes ?? Buffer.from(d.raw.stringify(d.body));
    if (body.length || d.bytes) headers['content-type'] = d.contentType ?? 'application/json';
    if (d.contentType) headers['content-type'] = d.contentType;
  }
  return { kind, method: op.method, url: qs ? `${path}?${qs}` : path, headers, body, refuse: d.refuse, note: d.note || kind };
}

/** The arbitrary of `kind` for `op`, or undefined when the kind does not apply to it. */
export function caseArbitrary(op: Operation, kind: Kind, ctx: CaseContext): fc.Arbitrary<FuzzCase> | undefined {
  const work = startsWork(op);
  const destructive = work || op.method === 'DELETE';
  const build = (g: Gen): FuzzCase | null => {
    if (work && kind === 'valid' && !op.params.some((p) => p.in === 'path')) return null;
    const d = baseDraft(g, op, ctx, !destructive);
    if (!mutate(g, kind, op, d, ctx)) return null;
    if (work && !ensureInvalid(g, op, d)) return null;
    return finish(op, kind, d);
  };
  // probe whether the kind applies (a few draws: some kinds need a slot that only some draws create)
  const probe = fc.sample(fc.gen().map(build), { seed: 1, numRuns: 8 });
  if (probe.every((c) => c === null)) return undefined;
  return fc
    .gen()
    .map(build)
    .filter((c): c is FuzzCase => c !== null);
}

/** Every kind that applies to `op`, with its arbitrary. */
export function arbitrariesFor(op: Operation, ctx: CaseContext): Map<Kind, fc.Arbitrary<FuzzCase>> {
  const out = new Map<Kind, fc.Arbitrary<FuzzCase>>();
  for (const k of KINDS) {
    const a = caseArbitrary(op, k, ctx);
    if (a) out.set(k, a);
  }
  return out;
}

export type { JsonSchema };
