/**
 * When a failed send is tried again, and when it is given up: pure, so the schedule is tested
 * without waiting for it. The clock enters through `retryAfterMs`, which the send's classification
 * read from Teams' Retry-After against the worker's clock (bot/retryAfter.ts).
 */
export interface RetryPolicy {
  /** Failed HTTP requests (botbuilder's own included) before a job is dead-lettered. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export type RetryStep =
  | { kind: 'retry'; attempt: number; delayMs: number }
  | { kind: 'giveUp'; attempt: number };

/** Exponential with jitter, capped; never shorter than half the step, so retries spread out. `random` in [0, 1). */
export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'backoffBaseMs' | 'backoffMaxMs'>, random: () => number = Math.random): number {
  const step = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (Math.max(1, attempt) - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/**
 * `attempt`: failed requests before this send; `httpAttempts`: requests this send made. The wait
 * is the longer of the backoff and what Teams asked for — never sooner than Retry-After.
 */
export function nextRetry(
  failure: { attempt: number; httpAttempts: number; retryAfterMs?: number },
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryStep {
  const attempt = failure.attempt + Math.max(1, failure.httpAttempts);
  if (attempt >= policy.maxAttempts) return { kind: 'giveUp', attempt };
  return { kind: 'retry', attempt, delayMs: Math.max(failure.retryAfterMs ?? 0, backoffMs(attempt, policy, random)) };
}
