/**
 * What the process does with faults nobody caught, and with botbuilder's own console output:
 * all of it goes through the structured log (scrubbed), never raw to the terminal.
 *
 * - uncaughtException: the process state is unknown (a half-run handler, a broken socket), so
 *   log it and exit non-zero; the host (App Service, Kubernetes, systemd) starts a fresh one.
 *   Durable state makes that safe: claimed Confirms are resumed, outbox jobs come back.
 * - unhandledRejection: logged at error, and the bot keeps running. Node's default would throw
 *   (and so end every turn in flight) for one forgotten `.catch` on a fire-and-forget promise;
 *   a rejection does not leave shared state half-written the way a thrown callback can, and every
 *   operation that matters settles through storage. The log line is the alarm to fix the code.
 */
import { format } from 'node:util';
import type { Logger } from './log';
import { scrub } from './log';

/** EX_SOFTWARE: an internal software error (sysexits.h). */
export const EXIT_UNCAUGHT = 70;

/** The part of `process` these handlers use; tests pass an EventEmitter. */
export interface FaultSource {
  on(event: 'uncaughtException', listener: (err: Error, origin?: string) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

export interface FaultHandlerOptions {
  log: Logger;
  exit: (code: number) => void;
}

const correlationOf = (err: unknown): string | undefined => {
  const id = (err as { correlationId?: unknown } | null | undefined)?.correlationId;
  return typeof id === 'string' ? id : undefined;
};

const asError = (reason: unknown): Error => (reason instanceof Error ? reason : new Error(scrub(format('%o', reason))));

export function installFaultHandlers(source: FaultSource, { log, exit }: FaultHandlerOptions): void {
  source.on('uncaughtException', (err, origin) => {
    try {
      log.fatal({ err: asError(err), origin, correlationId: correlationOf(err) }, 'uncaught exception: exiting so the host restarts the bot');
    } finally {
      exit(EXIT_UNCAUGHT);
    }
  });
  source.on('unhandledRejection', (reason) => {
    log.error({ err: asError(reason), correlationId: correlationOf(reason) }, 'unhandled promise rejection (the bot keeps running)');
  });
}

type ConsoleMethod = 'error' | 'warn' | 'info' | 'log' | 'debug';
export type ConsoleLike = Record<ConsoleMethod, (...args: unknown[]) => void>;

const LEVEL: Record<ConsoleMethod, 'error' | 'warn' | 'info' | 'debug'> = { error: 'error', warn: 'warn', info: 'info', log: 'info', debug: 'debug' };

/**
 * botbuilder reports failures with console.error (CloudAdapter.process prints the error behind
 * every 401/500 it answers; the JWT extractor prints key lookups): send them to the log as
 * structured lines, scrubbed like everything else (an auth error can quote a token).
 */
export function routeConsole(target: ConsoleLike, log: Logger): void {
  for (const method of Object.keys(LEVEL) as ConsoleMethod[]) {
    const level = LEVEL[method];
    target[method] = (...args: unknown[]) => {
      const err = args.find((a): a is Error => a instanceof Error);
      const text = scrub(format(...args.filter((a) => a !== err)));
      log[level]({ source: 'console', ...(err ? { err } : {}) }, text || (err ? scrub(err.message) : ''));
    };
  }
}
