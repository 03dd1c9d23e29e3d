import { describe, expect, it } from 'vitest';
import { redactSecrets, redactText, secretName, TooDeepError } from './redact.ts';

describe('secret names are whole words', () => {
  it.each([
    ['api_key', 'always'], ['OPENAI_API_KEY', 'always'], ['x-api-key', 'always'], ['apiKey', 'always'], ['client_secret', 'always'],
    ['db_password', 'always'], ['aws_secret_access_key', 'always'], ['Authorization', 'always'], ['hf_token', 'credential'],
    ['HF_TOKEN', 'credential'], ['GITHUB_TOKEN', 'credential'], ['token', 'credential'], ['--hf-token', 'credential'],
  ])('%s is secret (%s)', (name, kind) => expect(secretName(name)).toBe(kind));

  it.each(['tokenizer', 'tokenizer_mode', 'max_tokens', 'total_output_tokens', 'pad_token_id', 'key', 'monkey', 'tokenized_requests', 'secretary'])(
    '%s is not',
    (name) => expect(secretName(name)).toBeNull(),
  );
});

describe('redactText', () => {
  it.each([
    ['model=Qwen/Qwen3-8B,tokenizer=Qwen/Qwen3-8B,api_key=sk-x1,max_tokens=256', 'model=Qwen/Qwen3-8B,tokenizer=Qwen/Qwen3-8B,api_key=[redacted],max_tokens=256'],
    ['token=abc tokenizer=t', 'token=[redacted] tokenizer=t'],
    ['HF_TOKEN=hf_x GITHUB_TOKEN=ghp_y', 'HF_TOKEN=[redacted] GITHUB_TOKEN=[redacted]'],
    ['--api-key sk-1 --tokenizer Qwen/Qwen3', '--api-key [redacted] --tokenizer Qwen/Qwen3'],
    ['Authorization: Bearer abcdefghijklmnop', 'Authorization: [redacted]'],
    ['{"Authorization": "Basic dXNlcjpwYXNz"}', '{"Authorization": "[redacted]"}'],
    ['https://user:pa55@host/x and http://host:8000/v1', 'https://[redacted]@host/x and http://host:8000/v1'],
    ['key sk-abcdefghijklmnopqrstuvwxyz0123 leaked', 'key [redacted] leaked'],
    ['pad_token=<pad>,eos_token=</s>', 'pad_token=<pad>,eos_token=</s>'],
    ['accuracy: 0.5, time: 12:30', 'accuracy: 0.5, time: 12:30'],
  ])('%s', (input, out) => expect(redactText(input)).toBe(out));

  it('replaces text PostgreSQL cannot store', () => {
    expect(redactText('a\u0000b\ud800')).toBe('a\ufffdb\ufffd');
  });
});

describe('redactSecrets', () => {
  it('replaces values under secret keys and after secret flags, keeps tokenizer settings, shares unchanged parts', () => {
    const keep = { nested: { tokenizer: 'Qwen/Qwen3-8B', eos_token: '</s>', pad_token: '<|endoftext|>', max_tokens: 5 } };
    const out = redactSecrets({ ...keep, password: 'p', hf_token: 'hf_abcdefgh', token: 'hello', args: ['--hf-token', 'hf_1', '--model', 'm'], api_keys: ['a', 'b'] }) as any;
    expect(out).toEqual({ ...keep, password: '[redacted]', hf_token: '[redacted]', token: 'hello', args: ['--hf-token', '[redacted]', '--model', 'm'], api_keys: ['[redacted]', '[redacted]'] });
    expect(out.nested).toBe(keep.nested);
  });

  it('is bounded: a document deeper than its walk limit is an error, not a stack overflow', () => {
    let v: unknown = 'x';
    for (let i = 0; i < 20_000; i++) v = [v];
    expect(() => redactSecrets(v)).toThrow(TooDeepError);
  });
});
