/**
 * Who may PATCH a change, and when: pure rules over a stored change and the time, so they can be
 * read and tested without storage or Graph (the change service applies them).
 *
 * A Confirm claims the change with a compare-and-swap that writes a fresh claim id. A claim whose
 * holder died can be taken over, but only once the longest possible Confirm has passed (so a live
 * one is never overtaken) and only while the change is still within its expiry (a days-old
 * "Check again" must not PATCH a stale intent). The holder re-checks right before its PATCH that
 * the claim is still its own and that the PATCH's whole budget ends before anyone could take over.
 */
import type { PendingChange } from '../state/changes';

export interface ClaimPolicy {
  /** A claim older than this may be taken over: longer than any Confirm can run (Graph budgets, storage, retries). */
  staleAfterMs: number;
  /** The longest one PATCH (with the read after a 204) may take: the Graph client's operation budget. */
  patchBudgetMs: number;
}

export type ClaimDecision =
  /** Pending and within its expiry: claim it. */
  | { kind: 'claim' }
  /** A dead holder's claim, stale and still within the expiry: take it over (re-read before any PATCH). */
  | { kind: 'takeover' }
  /** A live Confirm holds it. */
  | { kind: 'busy' }
  /** Pending past its expiry: nothing was or will be changed. */
  | { kind: 'expired' }
  /** A dead holder's claim, found after the expiry: no PATCH; only Graph can say whether it landed. */
  | { kind: 'abandoned' }
  /** Final already (done, failed, cancelled): shown as it is. */
  | { kind: 'final' };

export function decideClaim(change: PendingChange, now: number, policy: ClaimPolicy): ClaimDecision {
  const expired = now >= change.expiresAt;
  switch (change.state) {
    case 'pending':
      return expired ? { kind: 'expired' } : { kind: 'claim' };
    case 'confirming': {
      const stale = now - (change.claimedAt ?? 0) >= policy.staleAfterMs;
      if (!stale) return { kind: 'busy' };
      return expired ? { kind: 'abandoned' } : { kind: 'takeover' };
    }
    case 'unknown':
      // Its PATCH may or may not have landed: never PATCH again, only re-read.
      return { kind: 'abandoned' };
    default:
      return { kind: 'final' };
  }
}

/**
 * Right before the PATCH: the stored claim is still `claimId`, and the PATCH (its whole budget)
 * ends before the claim could go stale — otherwise another Confirm could take over mid-PATCH.
 */
export function mayPatch(stored: PendingChange | undefined, claimId: string, now: number, policy: ClaimPolicy): boolean {
  if (!stored || stored.state !== 'confirming' || stored.claimId !== claimId) return false;
  return now + policy.patchBudgetMs < (stored.claimedAt ?? 0) + policy.staleAfterMs;
}
