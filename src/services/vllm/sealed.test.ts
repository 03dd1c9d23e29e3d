import { describe, expect, it } from 'vitest';
import { isSecretEnvName } from './sealed.ts';

describe('secret-looking variable names', () => {
  it('knows credentials in every spelling', () => {
    for (const n of ['HF_TOKEN', 'hfToken', 'hf-token', 'hf.token', 'VLLM_API_KEY', 'apiKey', 'api-key', 'AWS_SECRET_ACCESS_KEY', 'DB_PASSWORD', 'token', 'GOOGLE_APPLICATION_CREDENTIALS']) {
      expect(isSecretEnvName(n), n).toBe(true);
    }
  });

  it('leaves words that merely contain them alone', () => {
    for (const n of ['TOKENIZER', 'tokenizerMode', 'MAX_TOKENS', 'maxTokens', 'KEYWORD', 'PASSTHROUGH', 'MODEL_NAME', 'HF_HOME']) {
      expect(isSecretEnvName(n), n).toBe(false);
    }
  });
});
