/**
 * Structured logs. Secrets never reach them: known secret-bearing fields are redacted by path,
 * and anything that looks like a JWT or bearer token is masked wherever it appears in a string.
 */
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;

/** Masks JWTs and bearer values inside free text (error messages can quote them). */
export function scrub(text: string): string {
  return text.replace(JWT, '[jwt]').replace(BEARER, '$1[redacted]');
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'autopilot-uploads-bot' },
      redact: {
        paths: [
          '*.token', '*.assertion', '*.password', '*.secret', '*.authorization', '*.Authorization',
          'headers.authorization', 'req.headers.authorization', '*.value.token', '*.value.authentication',
          '*.clientSecret', '*.userAssertionToken',
        ],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (err: Error & { code?: string }) => ({
          type: err.name,
          code: err.code,
          message: scrub(err.message ?? ''),
          stack: err.stack ? scrub(err.stack) : undefined,
        }),
      },
    },
    // Asynchronous writes: a line per turn must not block the turn on a slow stdout pipe (sync
    // writes cost ~1 ms per turn under load, profiled in bench/causes.md). pino's destination
    // flushes what is pending on process exit (exit 70 after an uncaught exception included).
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
