import { describe, expect, it } from 'vitest';
import { Authenticator, loadTokens } from '../core/auth.ts';
import { loadConfig } from '../core/config.ts';
import { assertSafeBind } from './start.ts';

describe('platform start', () => {
  const auth = new Authenticator(loadTokens({ tokens: 'viewer:viewer-token-1,operator:operator-token-1,admin:admin-token-12' }));

  it('refuses a non-loopback bind without tokens, allows loopback', () => {
    const open = new Authenticator([]);
    expect(() => assertSafeBind(loadConfig({ BENCHOPS_HOST: '0.0.0.0' }), open)).toThrow(/without authentication/);
    expect(() => assertSafeBind(loadConfig({ BENCHOPS_HOST: '127.0.0.1' }), open)).not.toThrow();
    expect(() => assertSafeBind(loadConfig({ BENCHOPS_HOST: '0.0.0.0' }), auth)).not.toThrow();
  });

});
