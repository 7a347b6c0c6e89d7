/**
 * Per-key request limit over a sliding window (a log of the accepted requests' times): unlike a
 * fixed window it never lets twice the limit through around a window boundary. Pure, clocked by
 * the caller.
 */
import { systemClock } from '../clock';

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

export class SlidingWindowLimiter {
  private readonly accepted = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = systemClock,
  ) {
    if (!(max >= 1) || !(windowMs > 0)) throw new RangeError('a limiter needs max >= 1 and a positive window');
  }

  /** Counts the request if it fits; otherwise says when the oldest counted one leaves the window. */
  take(key: string): Admission {
    const now = this.now();
    const times = this.accepted.get(key) ?? [];
    const firstLive = times.findIndex((t) => t > now - this.windowMs);
    if (firstLive === -1) times.length = 0;
    else if (firstLive > 0) times.splice(0, firstLive);
    if (times.length >= this.max) {
      const wait = times[0]! + this.windowMs - now;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) };
    }
    times.push(now);
    this.accepted.set(key, times);
    return { ok: true };
  }
}
