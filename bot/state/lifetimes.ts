/**
 * How long each kind of stored item is kept, and the format version every item we write carries.
 *
 * Nothing the bot stores is meant to stay for ever except the subscription registry (team
 * records and their index: they are the list of where to post). Everything else gets an
 * `expiresAt` when written, and the sweeper deletes what has passed it. Items written before
 * lifetimes existed carry none: the sweep ages those out from their last write instead.
 */

/**
 * Stored records carry `v`. Version 1 added it (and lifetimes, kept beside the item); a record
 * without `v` is the previous version, which has the same fields: readers take both as they are,
 * so old and new instances can share one store during a rolling upgrade.
 */
export const FORMAT_VERSION = 1 as const;

export interface Versioned {
  /** Absent on records written by the previous version of the bot. */
  v?: number;
}

/** A confirmation card's change stays readable this long after its 10-minute expiry, for "already done"/"expired". */
export const changeKeepUntil = (change: { expiresAt: number }, retentionMs: number): number => change.expiresAt + retentionMs;

/**
 * A parked command (and the pointer to the latest one, and the claim that deduplicates its
 * token exchanges) is useless once PARKED_TTL_MS has passed; the margin covers clock skew between
 * instances, so an instance with a slow clock still answers "unknown" rather than finding nothing.
 */
export const PARKED_MARGIN_MS = 5 * 60 * 1000;

export interface RedeliveryOptions {
  maxAttempts: number;
  backoffMaxMs: number;
  visibilitySeconds: number;
}

/** Never keep a sent marker for less: see sentMarkerTtlMs. */
export const SENT_MARKER_FLOOR_MS = 24 * 3600 * 1000;

/**
 * How long an outbox delivery job can still come back after its card was posted, so its "sent"
 * marker must outlive it: the longest retry schedule (every attempt waiting the longest backoff)
 * plus one visibility timeout (a job whose receipt was lost reappears after it). The queue's own
 * waits are not all bounded by that — Teams' Retry-After and pacing postponements are not capped
 * by backoffMaxMs — so the window is at least a day (far past any realistic return; a marker is a
 * few hundred bytes per delivered card).
 */
export function sentMarkerTtlMs(options: RedeliveryOptions): number {
  const schedule = options.maxAttempts * options.backoffMaxMs + options.visibilitySeconds * 1000;
  return Math.max(SENT_MARKER_FLOOR_MS, schedule);
}

/** One kind of item the sweep looks after, by key prefix. */
export interface SweepRule {
  prefix: string;
  /** For items without `expiresAt` (written before lifetimes): deleted this long after their last write. */
  fallbackMs: number;
}
