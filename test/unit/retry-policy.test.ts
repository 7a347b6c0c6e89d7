/** When a failed notification send is tried again (bot/notifications/retryPolicy.ts). */
import { backoffMs, nextRetry } from '../../bot/notifications/retryPolicy';

const policy = { maxAttempts: 8, backoffBaseMs: 1000, backoffMaxMs: 60_000 };
const low = () => 0;
const high = () => 0.999_999;

describe('backoffMs', () => {
  it('doubles per attempt, between half the step and the step', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a, policy, low))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => backoffMs(a, policy, high))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('is capped at backoffMaxMs', () => {
    expect(backoffMs(30, policy, high)).toBe(60_000);
    expect(backoffMs(30, policy, low)).toBe(30_000);
  });
});

describe('nextRetry', () => {
  it('counts every HTTP request the send made, at least one', () => {
    expect(nextRetry({ attempt: 2, httpAttempts: 3 }, policy, low)).toEqual({ kind: 'retry', attempt: 5, delayMs: 8000 });
    expect(nextRetry({ attempt: 0, httpAttempts: 0 }, policy, low)).toEqual({ kind: 'retry', attempt: 1, delayMs: 500 });
  });

  it('never retries sooner than Retry-After, nor sooner than the backoff', () => {
    expect(nextRetry({ attempt: 0, httpAttempts: 1, retryAfterMs: 7000 }, policy, low)).toEqual({ kind: 'retry', attempt: 1, delayMs: 7000 });
    expect(nextRetry({ attempt: 3, httpAttempts: 1, retryAfterMs: 100 }, policy, low)).toEqual({ kind: 'retry', attempt: 4, delayMs: 4000 });
  });

  it('gives up once the attempts reach maxAttempts', () => {
    expect(nextRetry({ attempt: 6, httpAttempts: 1 }, policy, low)).toEqual({ kind: 'retry', attempt: 7, delayMs: 30_000 });
    expect(nextRetry({ attempt: 7, httpAttempts: 1 }, policy, low)).toEqual({ kind: 'giveUp', attempt: 8 });
    expect(nextRetry({ attempt: 5, httpAttempts: 4, retryAfterMs: 1000 }, policy, low)).toEqual({ kind: 'giveUp', attempt: 9 });
  });
});
