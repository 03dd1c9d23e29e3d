import { describe, expect, it } from 'vitest';
import { Authenticator, loadTokens, serviceToken } from './auth.ts';
import { loadConfig } from './config.ts';

describe('auth', () => {
  const auth = new Authenticator(loadTokens({ tokens: 'viewer:viewer-token-1,operator:operator-token-1,admin:admin-token-12' }));

  it('grants by role rank', () => {
    expect(auth.check('Bearer viewer-token-1', 'viewer')).toBe('viewer');
    expect(auth.check('Bearer admin-token-12', 'operator')).toBe('admin');
    expect(() => auth.check('Bearer viewer-token-1', 'operator')).toThrow(/operator role/);
    expect(() => auth.check('Bearer nope-nope-nope', 'viewer')).toThrow(/Invalid token/);
    expect(() => auth.check(undefined, 'viewer')).toThrow(/Missing bearer/);
  });

  it('picks the service-to-service token by the caller\'s role preference, never an unlisted role', () => {
    const cfg = { tokens: 'admin:admin-token-12,viewer:viewer-token-1,operator:operator-token-1' };
    expect(serviceToken(cfg, ['operator', 'admin', 'viewer'])).toBe('operator-token-1');
    expect(serviceToken(cfg, ['viewer', 'operator', 'admin'])).toBe('viewer-token-1');
    expect(serviceToken({ tokens: 'viewer:viewer-token-1' }, ['operator', 'admin'])).toBeUndefined();
    expect(serviceToken({ tokens: 'viewer:viewer-token-1,admin:admin-token-12' }, ['operator', 'admin'])).toBe('admin-token-12');
    expect(serviceToken({}, ['operator'])).toBeUndefined();
  });

  it('rejects malformed token entries', () => {
    expect(() => loadTokens({ tokens: 'root:abcdefghij' })).toThrow(/role:token/);
    expect(() => loadTokens({ tokens: 'admin:short' })).toThrow(/8\+/);
  });

  it('config rejects bad values naming the variable', () => {
    expect(() => loadConfig({ BENCHOPS_MANAGER_PORT: '99999' })).toThrow(/ports.manager/);
    expect(loadConfig({ BENCHOPS_MANAGER_PORT: '0' }).ports.manager).toBe(0);
    expect(loadConfig({}).ports.results).toBe(8000);
  });
});
