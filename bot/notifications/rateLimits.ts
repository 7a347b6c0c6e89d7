/**
 * The bot's own pacing of outbound sends, so it stays under Teams' limits instead of learning
 * them from 429s. Teams documents ("Optimize your bot with rate limiting in Teams"): per bot per
 * conversation 7 sends/1 s, 8/2 s, 60/30 s, 1800/3600 s; per app per tenant 50 requests/s. The
 * defaults keep a margin below those because Teams counts when a request arrives, not when we
 * sent it, and the bot's replies in turns share the same budget.
 *
 * Each instance paces itself; several instances together can still exceed the per-app limit,
 * and then Teams' 429 + Retry-After (handled by the worker) is the backstop.
 */
import { systemClock } from '../clock';

export interface Window {
  seconds: number;
  max: number;
}

export interface PacingLimits {
  perConversation: Window[];
  perAppPerTenantPerSecond: number;
}

export const DEFAULT_PACING: PacingLimits = {
  perConversation: [
    { seconds: 1, max: 6 },
    { seconds: 2, max: 7 },
    { seconds: 30, max: 55 },
    { seconds: 3600, max: 1700 },
  ],
  perAppPerTenantPerSecond: 45,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Pacer {
  private readonly sent = new Map<string, number[]>();
  /** Keys Teams told us to leave alone until a time (Retry-After). */
  private readonly pausedUntil = new Map<string, number>();

  constructor(
    private readonly limits: PacingLimits = DEFAULT_PACING,
    private readonly now: () => number = systemClock,
  ) {}

  /** Milliseconds until a send to this conversation fits every window (0 = now). */
  waitFor(tenantId: string, conversationId: string): number {
    const at = this.now();
    let wait = 0;
    const check = (key: string, windows: Window[]) => {
      const paused = this.pausedUntil.get(key);
      if (paused !== undefined) {
        if (paused > at) wait = Math.max(wait, paused - at);
        else this.pausedUntil.delete(key);
      }
      const times = this.sent.get(key) ?? [];
      for (const w of windows) {
        const since = at - w.seconds * 1000;
        const inWindow = times.filter((t) => t > since);
        if (inWindow.length >= w.max) wait = Math.max(wait, inWindow[inWindow.length - w.max] + w.seconds * 1000 - at + 1);
      }
    };
    check(tenantKey(tenantId), [{ seconds: 1, max: this.limits.perAppPerTenantPerSecond }]);
    // Spread the per-app budget evenly over the second: a burst at the window's start is delayed
    // unevenly on its way (connections, TLS), and Teams counts arrivals, so bursts overlap.
    const last = this.sent.get(tenantKey(tenantId))?.at(-1);
    const spacing = 1000 / this.limits.perAppPerTenantPerSecond;
    if (last !== undefined && at - last < spacing) wait = Math.max(wait, Math.ceil(last + spacing - at));
    check(conversationKey(conversationId), this.limits.perConversation);
    return wait;
  }

  /**
   * Waits until the send fits and records it, unless that would take longer than `maxWaitMs`:
   * then returns how long it would take, and records nothing (the caller puts the job back).
   */
  async acquire(tenantId: string, conversationId: string, maxWaitMs: number): Promise<number> {
    for (;;) {
      const wait = this.waitFor(tenantId, conversationId);
      if (wait === 0) {
        this.record(tenantKey(tenantId), 1);
        this.record(conversationKey(conversationId), Math.max(...this.limits.perConversation.map((w) => w.seconds)));
        return 0;
      }
      if (wait > maxWaitMs) return wait;
      await sleep(wait);
    }
  }

  /** Teams answered 429 for this conversation: nothing goes there before `retryAfterMs`. */
  pause(conversationId: string, retryAfterMs: number): void {
    const key = conversationKey(conversationId);
    this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, this.now() + retryAfterMs));
  }

  /** Keeps only what the longest window still needs. */
  private record(key: string, horizonSeconds: number): void {
    const at = this.now();
    const horizon = at - horizonSeconds * 1000;
    const times = (this.sent.get(key) ?? []).filter((t) => t > horizon);
    times.push(at);
    this.sent.set(key, times);
  }
}

const tenantKey = (tenantId: string) => `tenant|${tenantId.toLowerCase()}`;
const conversationKey = (conversationId: string) => `conversation|${conversationId.split(';')[0]}`;
