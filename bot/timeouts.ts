/**
 * Outbound calls answer within the invoke budget or fail as a coded timeout: a peer that hangs
 * (a Connector send, a token endpoint) must not hold a turn, or a shutdown, forever.
 */
import { BotError } from './errors';

/** Connector sends (sendActivity / updateActivity), botbuilder's own retries included. */
export const CONNECTOR_SEND_TIMEOUT_MS = 10_000;
/** One Azure Storage operation, retries included (per try: STORAGE_TRY_TIMEOUT_MS). */
export const STORAGE_TRY_TIMEOUT_MS = 5_000;
/**
 * A signin/tokenExchange invoke, from arrival to answer: validation and OBO (≤ OBO_TIMEOUT_MS)
 * plus as much of the parked command as fits; well inside the ~15 s after which Teams drops an
 * invoke (and falls back to the sign-in button). Unlike Confirm there is no progress card to show
 * early, so the answer waits as long as it safely can.
 */
export const TOKEN_EXCHANGE_BUDGET_MS = 10_000;
/** On-behalf-of token requests (Entra's token endpoint). */
export const OBO_TIMEOUT_MS = 5_000;

/**
 * Settles like `work`, or rejects with BotError('timeout') after `ms`. The work itself is not
 * cancelled (use an AbortSignal where the API takes one); this only frees the caller.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BotError('timeout', `${what} did not answer within ${ms} ms.`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
