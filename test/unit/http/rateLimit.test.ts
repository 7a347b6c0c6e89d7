/** The notify limiter on an injected clock: N per window per key, then a Retry-After that is true. */
import { SlidingWindowLimiter } from '../../../bot/http/rateLimit';

describe('SlidingWindowLimiter', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('admits max requests per window, then says how long to wait', () => {
    const limiter = new SlidingWindowLimiter(3, 60_000, clock);
    expect(limiter.take('a')).toEqual({ ok: true });
    now += 10_000;
    expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 50 });
    // A refusal does not count: waiting the advertised time is enough.
    now += 50_000 - 1;
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 1;
    expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 10 });
  });

  it('keys are independent', () => {
    const limiter = new SlidingWindowLimiter(1, 60_000, clock);
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('b').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
  });

  it('no burst of twice the limit around a window boundary (sliding, not fixed)', () => {
    const limiter = new SlidingWindowLimiter(60, 60_000, clock);
    now = 100 * 60_000 - 1_000; // one second before a minute boundary
    for (let i = 0; i < 60; i++) expect(limiter.take('k').ok).toBe(true);
    now += 2_000; // a fixed window would have reset here
    expect(limiter.take('k').ok).toBe(false);
    now += 58_000;
    expect(limiter.take('k').ok).toBe(true);
  });

  it('refuses a nonsensical configuration', () => {
    expect(() => new SlidingWindowLimiter(0, 60_000)).toThrow(RangeError);
    expect(() => new SlidingWindowLimiter(1, 0)).toThrow(RangeError);
  });
});
