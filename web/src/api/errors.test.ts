import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorFrom, issueFor, statusTitle } from './errors';

describe('apiErrorFrom', () => {
  it('keeps a FastAPI 422’s issues and says them without the body prefix', () => {
    const e = apiErrorFrom(422, { detail: [{ loc: ['body', 'repository_url'], msg: 'must be a git URL', type: 'value_error' }, { loc: ['body', 'config', 'model_name'], msg: 'Field required', type: 'missing' }] });
    expect(e.status).toBe(422);
    expect(e.message).toBe('repository_url: must be a git URL; config.model_name: Field required');
    expect(e.fieldError('repository_url')).toBe('must be a git URL');
    expect(e.fieldError('config.model_name')).toBe('Field required');
    expect(e.fieldError('model_name')).toBe('Field required');
    expect(e.fieldError('name')).toBeUndefined();
  });
  it('takes `{detail: string}` as the message, and falls back on the status', () => {
    expect(apiErrorFrom(409, { detail: 'No GPU capacity' }).message).toBe('No GPU capacity');
    expect(apiErrorFrom(503, undefined).message).toBe('HTTP 503');
    expect(apiErrorFrom(502, 'bad gateway').message).toBe('bad gateway');
    expect(apiErrorFrom(409, { detail: 'x' })).toBeInstanceOf(ApiError);
  });
});

describe('issueFor', () => {
  it('matches the end of the location, segment by segment (no partial names)', () => {
    const issues = [{ loc: ['body', 'vllm_config', 'name'], msg: 'a', type: 't' }];
    expect(issueFor(issues, 'name')?.msg).toBe('a');
    expect(issueFor(issues, 'vllm_config.name')?.msg).toBe('a');
    expect(issueFor(issues, 'config.name')).toBeUndefined();
    expect(issueFor(issues, 'me')).toBeUndefined();
  });
});

describe('statusTitle', () => {
  it('names the statuses the UI shows next to controls', () => {
    expect(statusTitle(409)).toBe('Conflict');
    expect(statusTitle(503)).toBe('Temporarily unavailable');
    expect(statusTitle(0)).toBe('The server is unreachable');
    expect(statusTitle(418)).toBe('Request failed (418)');
  });
});
