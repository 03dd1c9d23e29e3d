import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logFormatFromEnv, logStreamFor } from './logging.ts';

/** A stand-in for process.stdout that says whether it is a terminal and keeps what is written. */
function out(isTTY: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; text: () => string };
  s.isTTY = isTTY;
  let text = '';
  s.on('data', (d) => (text += d));
  s.text = () => text;
  return s as unknown as NodeJS.WriteStream & { text: () => string };
}

describe('log format', () => {
  it('reads BENCHOPS_LOG_FORMAT (auto by default) and refuses anything else', () => {
    expect(logFormatFromEnv({})).toBe('auto');
    expect(logFormatFromEnv({ BENCHOPS_LOG_FORMAT: 'JSON' })).toBe('json');
    expect(logFormatFromEnv({ BENCHOPS_LOG_FORMAT: ' pretty ' })).toBe('pretty');
    expect(() => logFormatFromEnv({ BENCHOPS_LOG_FORMAT: 'yaml' })).toThrow(/BENCHOPS_LOG_FORMAT must be one of auto, pretty, json/);
  });

  it('auto is human-readable on a terminal and JSON (stdout as it is) otherwise; json and pretty force one', () => {
    expect(logStreamFor('auto', out(false))).toBeUndefined();
    expect(logStreamFor('json', out(true))).toBeUndefined();
    expect(logStreamFor('auto', out(true))).toBeDefined();
    expect(logStreamFor('pretty', out(false))).toBeDefined();
  });

  it('the pretty stream writes one readable line per record, service and message first, redaction kept', () => {
    const dest = out(false);
    const log = pino({ base: { svc: 'BenchOps manager' }, redact: { paths: ['token'], censor: '[redacted]' } }, logStreamFor('pretty', dest)!);
    log.info({ project_id: 'p1', token: 'ghp_secret' }, 'project synced');
    const line = dest.text().trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: BenchOps manager project synced/);
    expect(line).toContain('"project_id":"p1"');
    expect(line).not.toContain('ghp_secret');
    // no colour codes when the destination is not a terminal
    expect(line.includes(String.fromCharCode(27))).toBe(false);
  });
});
