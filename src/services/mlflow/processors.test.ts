import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readPayload, signDelivery, verifyDelivery } from './webhook.ts';
import { renderValues, stamp } from './processors.ts';
import { parseSelection, selectVersions } from './selection.ts';
import { BUILTIN_TEMPLATES } from './values-template.ts';

const facts = { modelName: 'org/Chat.v2', version: '3', runId: 'r1', experimentId: '9', modelId: 'm-abc', createdAt: Date.UTC(2026, 1, 3, 4, 5, 6), evalEndpoint: 'http://eval:8004/evaluate' };

describe('engine processors (reference-behaviour §6.4)', () => {
  it('fills the earlier umbrella chart shape for vllm', () => {
    const tpl = { vllm: { vllm: { model: 'x', maxModelLen: 4096 }, serviceAccount: { create: true }, fullnameOverride: 'old' }, other: { keep: 1 } };
    const r = renderValues('vllm', tpl, facts);
    const v = r.values as any;
    expect(v.global).toEqual({ experimentId: '9', runid: 'r1', modelid: 'm-abc', timestamp: '20260203-040506', modelName: 'org/Chat.v2', modelVersion: '3' });
    expect(v.vllm.vllm).toMatchObject({ model: `/data/local_models/${v.vllm.fullnameOverride.slice(5)}`, evalEndpoint: 'http://eval:8004/evaluate', maxModelLen: 4096, served_model_name: 'org/Chat.v2' });
    expect(v.vllm.fullnameOverride).toMatch(/^vllm-org-chat-v2-[0-9a-f]{6}$/);
    expect(v.vllm.serviceAccount.name).toBe(`${v.vllm.fullnameOverride}-sa`);
    expect(v.other).toEqual({ keep: 1 });
    expect(tpl.vllm.fullnameOverride).toBe('old'); // the template itself is not changed
    expect(parse(r.text)).toEqual(v);
  });

  it('fills the directly read chart (built-in template) and tensorrt-llm', () => {
    const v = renderValues('vllm', BUILTIN_TEMPLATES.vllm, facts).values as any;
    expect(v.fullnameOverride).toMatch(/^vllm-/);
    expect(v.vllm.model).toMatch(/^\/data\/local_models\//);
    expect(v.vllm.evalEndpoint).toBeUndefined();
    const t = renderValues('tensorrt-llm', BUILTIN_TEMPLATES['tensorrt-llm'], facts).values as any;
    expect(t['tensorrt-llm'].tensorrtLLM.modelPath).toMatch(/^\/data\/local_models\//);
    expect(t['tensorrt-llm'].fullnameOverride).toMatch(/^tensorrt-llm-/);
    expect(t['tensorrt-llm'].serviceAccount.name).toMatch(/^tensorrt-llm-.*-sa$/);
  });

  it('warns when the template lacks the engine section, and renders the same bytes for the same version', () => {
    const r = renderValues('vllm', { replicaCount: 1 }, facts);
    expect(r.warnings).toEqual(['template has no `vllm` mapping: only `global` was written']);
    expect(renderValues('vllm', { replicaCount: 1 }, facts).text).toBe(r.text);
    expect(stamp(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('20260102-030405');
  });

  it('keeps a model name with YAML syntax a plain string value', () => {
    const nasty = "x\nkind: Secret\n{a: b}: 'c'";
    const v = parse(renderValues('vllm', BUILTIN_TEMPLATES.vllm, { ...facts, modelName: nasty }).text);
    expect(v.global.modelName).toBe(nasty);
    expect(v.kind).toBeUndefined();
  });
});

describe('version selection', () => {
  const models = [{ name: 'a', aliases: [{ alias: 'champion', version: '1' }] }, { name: 'b' }];
  const versions = [
    { name: 'a', version: '1', creation_timestamp: 10, current_stage: 'Production' },
    { name: 'a', version: '2', creation_timestamp: 30, current_stage: 'None' },
    { name: 'a', version: '3', creation_timestamp: 20, current_stage: 'Production' },
    { name: 'a', version: '4', creation_timestamp: 40, status: 'FAILED_REGISTRATION' },
    { name: 'b', version: '1', creation_timestamp: 5 },
  ];
  const pick = (s: string) => selectVersions(models, versions, parseSelection(s)).map((v) => `${v.name}@${v.version}`);
  it('picks newest by creation time, an alias, or the newest in a stage', () => {
    expect(pick('latest')).toEqual(['a@2', 'b@1']);
    expect(pick('alias:champion')).toEqual(['a@1']);
    expect(pick('stage:production')).toEqual(['a@3']);
    expect(pick('alias:nobody')).toEqual([]);
  });
});

describe('webhook signatures', () => {
  const secret = 'whsec-0123456789abcdef';
  const body = JSON.stringify({ entity: 'model_version', action: 'created', data: { name: 'm', version: '1' } });
  const now = 1_800_000_000;
  it('accepts the sender signature and refuses tampering, other secrets and stale deliveries', () => {
    const sig = signDelivery(secret, 'd1', String(now), body);
    expect(sig).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(verifyDelivery(secret, { signature: sig, deliveryId: 'd1', timestamp: String(now) }, body, now)).toBeNull();
    expect(verifyDelivery(secret, { signature: sig, deliveryId: 'd1', timestamp: String(now) }, body + ' ', now)).toMatch(/does not match/);
    expect(verifyDelivery('another-secret-123456', { signature: sig, deliveryId: 'd1', timestamp: String(now) }, body, now)).toMatch(/does not match/);
    expect(verifyDelivery(secret, { signature: sig, deliveryId: 'd2', timestamp: String(now) }, body, now)).toMatch(/does not match/);
    expect(verifyDelivery(secret, { signature: sig, deliveryId: 'd1', timestamp: String(now) }, body, now + 301)).toMatch(/five minutes/);
    expect(verifyDelivery(secret, { deliveryId: 'd1', timestamp: String(now) }, body, now)).toMatch(/missing/);
  });
  it('reads the payloads it acts on and names the missing field otherwise', () => {
    expect(readPayload(JSON.parse(body))).toEqual({ kind: 'version', name: 'm', version: '1' });
    expect(readPayload({ entity: 'model_version_alias', action: 'created', data: { name: 'm', version: 2, alias: 'champion' } })).toEqual({ kind: 'version', name: 'm', version: '2', alias: 'champion' });
    expect(readPayload({ entity: 'registered_model', action: 'created', data: {} })).toMatchObject({ kind: 'ignored' });
    expect(readPayload({ entity: 'model_version', action: 'created', data: { version: '1' } })).toEqual({ kind: 'invalid', loc: ['body', 'data', 'name'], msg: 'field required (string)' });
  });
});
