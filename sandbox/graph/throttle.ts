/**
 * Intune's per-app-per-tenant limits, as sliding windows.
 *
 * The Intune enrollment service limits (microsoft-graph-docs-contrib includes/throttling-intune-enrollment.md):
 * POST/PUT/DELETE/PATCH 100 requests per 20 seconds per app per tenant; any request 1000 per 20 seconds
 * per app per tenant. Requests in a `$batch` count one by one (json-batching.md, "Batch size limitations").
 * A refused request does not use up the window.
 */

export interface ThrottleLimits {
  writes: number;
  any: number;
  windowMs: number;
}

export const INTUNE_ENROLLMENT_LIMITS: ThrottleLimits = { writes: 100, any: 1000, windowMs: 20_000 };

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class Throttle {
  private readonly writes = new Map<string, number[]>();
  private readonly all = new Map<string, number[]>();

  constructor(private readonly limits: ThrottleLimits = INTUNE_ENROLLMENT_LIMITS) {}

  /** `key` is app + tenant. Records the request when it is allowed. */
  admit(key: string, isWrite: boolean, now: number): ThrottleDecision {
    const all = this.window(this.all, key, now);
    const writes = this.window(this.writes, key, now);
    const full = [
      all.length >= this.limits.any ? all[0] : undefined,
      isWrite && writes.length >= this.limits.writes ? writes[0] : undefined,
    ].filter((t): t is number => t !== undefined);
    if (full.length > 0) {
      const freeAt = Math.max(...full) + this.limits.windowMs;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
    }
    all.push(now);
    if (isWrite) writes.push(now);
    return { allowed: true };
  }

  clear(): void {
    this.writes.clear();
    this.all.clear();
  }

  private window(map: Map<string, number[]>, key: string, now: number): number[] {
    const kept = (map.get(key) ?? []).filter((t) => t > now - this.limits.windowMs);
    map.set(key, kept);
    return kept;
  }
}
