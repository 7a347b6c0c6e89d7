/** Who may PATCH a change, and when (bot/changes/claims.ts), on an injected clock. */
import { decideClaim, mayPatch } from '../../bot/changes/claims';
import type { PendingChange } from '../../bot/state/changes';

const policy = { staleAfterMs: 60_000, patchBudgetMs: 10_000 };
const change = (over: Partial<PendingChange>): PendingChange => ({
  key: 'k'.repeat(43),
  uploadId: 'u',
  requestedStatus: 'complete',
  requester: { oid: 'o', tid: 't', name: 'Alex', mri: '29:alex' },
  scope: 'personal',
  conversationId: 'c',
  where: 'personal chat',
  createdAt: 0,
  expiresAt: 600_000,
  state: 'pending',
  ...over,
});

describe('decideClaim', () => {
  it('claims a pending change within its expiry, refuses it after', () => {
    expect(decideClaim(change({}), 599_999, policy)).toEqual({ kind: 'claim' });
    expect(decideClaim(change({}), 600_000, policy)).toEqual({ kind: 'expired' });
  });

  it('never overtakes a live claim: busy until the longest Confirm has passed', () => {
    const held = change({ state: 'confirming', claimedAt: 100_000, claimId: 'a' });
    expect(decideClaim(held, 159_999, policy)).toEqual({ kind: 'busy' });
    expect(decideClaim(held, 160_000, policy)).toEqual({ kind: 'takeover' });
  });

  it('a stale claim found after the expiry is abandoned: no PATCH, only a re-read', () => {
    const held = change({ state: 'confirming', claimedAt: 580_000, claimId: 'a' });
    expect(decideClaim(held, 640_000, policy)).toEqual({ kind: 'abandoned' });
    expect(decideClaim(change({ state: 'confirming', claimedAt: 0 }), 5 * 24 * 3600_000, policy)).toEqual({ kind: 'abandoned' });
  });

  it('an unknown outcome is settled by reading, never by PATCHing; settled changes stay settled', () => {
    expect(decideClaim(change({ state: 'unknown' }), 1, policy)).toEqual({ kind: 'abandoned' });
    for (const state of ['done', 'failed', 'cancelled'] as const) expect(decideClaim(change({ state }), 1, policy)).toEqual({ kind: 'final' });
  });
});

describe('mayPatch', () => {
  const held = change({ state: 'confirming', claimedAt: 100_000, claimId: 'mine' });

  it('only the holder of the stored claim, and only while its PATCH ends before the claim could go stale', () => {
    expect(mayPatch(held, 'mine', 100_000, policy)).toBe(true);
    expect(mayPatch(held, 'mine', 149_999, policy)).toBe(true);
    expect(mayPatch(held, 'mine', 150_000, policy)).toBe(false);
    expect(mayPatch(held, 'theirs', 100_000, policy)).toBe(false);
    expect(mayPatch({ ...held, state: 'done' }, 'mine', 100_000, policy)).toBe(false);
    expect(mayPatch(undefined, 'mine', 100_000, policy)).toBe(false);
  });
});
