/**
 * Log format of `benchops serve`: human-readable lines (pino-pretty) on a terminal, JSON lines otherwise (a pipe, a
 * container, a file) or when asked with BENCHOPS_LOG_FORMAT=json. Redaction happens before formatting, in the loggers.
 */
import type { Writable } from 'node:stream';
import pretty from 'pino-pretty';

export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Reads BENCHOPS_LOG_FORMAT (auto | pretty | json); throws naming the variable on anything else. */
export function logFormatFromEnv(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const v = (env.BENCHOPS_LOG_FORMAT ?? '').trim().toLowerCase() || 'auto';
  if (!(LOG_FORMATS as readonly string[]).includes(v)) throw new Error(`BENCHOPS_LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')} (got "${v}")`);
  return v as LogFormat;
}

/** The stream the platform's loggers write to: a pretty printer for a TTY (or `pretty`), stdout's JSON otherwise. */
export function logStreamFor(format: LogFormat, out: NodeJS.WriteStream = process.stdout): Writable | undefined {
  const usePretty = format === 'pretty' || (format === 'auto' && out.isTTY === true);
  if (!usePretty) return undefined;
  return pretty({
    destination: out,
    colorize: out.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,reqId',
    messageFormat: '{svc} {msg}',
    singleLine: true,
    sync: true,
  });
}
