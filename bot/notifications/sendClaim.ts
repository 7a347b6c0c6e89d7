/**
 * The claim a delivery takes on its "sent" marker BEFORE posting, so that two copies of one
 * delivery (same delivery id, same channel) never post together — not even on two instances,
 * and not even when both are first-time jobs (a fan-out re-expanded from its cursor while the
 * original delivery jobs are still queued). The marker goes through three states:
 *
 *   absent ──create-only put──▶ sending ──conditional put──▶ sent
 *                                  │
 *                                  └──conditional delete (the send failed; the retry claims again)
 *
 * A copy that finds `sending` younger than the visibility timeout leaves it to its holder (the
 * holder's lease keeps the claim young while a slow send runs). Older than that, its holder died
 * mid-send — whether Teams took the card is unknowable — and the copy takes the claim over and
 * sends: the one documented repeat window ("an instance stopped between Teams accepting it and the
 * bot recording that").
 *
 * Cost: one create-only blob write per delivery before the send (the first attempt used to cost
 * nothing before it), then the "sent" write as before; a failed send adds one conditional delete.
 * A copy costs the refused create plus one read (it used to cost one read).
 */
import type { Storage } from 'botbuilder';
import { systemClock, type Clock } from '../clock';
import { FORMAT_VERSION } from '../state/lifetimes';
import { readItem, writeItem } from '../state/storage';
import { isStateStore, type StateStore } from '../state/store';

export interface SentMarker {
  v: number;
  /** Absent in markers written before claims existed: those were written only after a post (= sent). */
  state?: 'sending' | 'sent';
  deliveryId: string;
  channelId: string;
  activityId?: string;
  /** Epoch ms of the claim (or of its last refresh), or of the post. */
  at: number;
}

/** What an existing marker means for a copy that wants to send. */
export type MarkerVerdict = 'sent' | 'busy' | 'abandoned';

/**
 * Pure: `sent` (skip the copy), `busy` (someone is sending it right now: try later) or `abandoned`
 * (its sender stopped mid-send: take it over). `at` is another instance's clock; a skew of a few
 * seconds only moves the takeover by as much.
 */
export function judgeMarker(marker: Partial<SentMarker>, now: number, visibilityMs: number): MarkerVerdict {
  if (marker.state !== 'sending') return 'sent';
  const at = typeof marker.at === 'number' && Number.isFinite(marker.at) ? marker.at : 0;
  return now - at < visibilityMs ? 'busy' : 'abandoned';
}

export interface SendClaim {
  /** Keeps a held claim young while a slow send runs (from the job's lease). */
  refresh(): Promise<void>;
  /** Records the post over the claim; throws when it could not. */
  sent(activityId: string | undefined): Promise<void>;
  /** Gives the claim up after a failed send, so the retried job can claim it again. */
  release(): Promise<void>;
}

export type ClaimResult = { kind: 'mine'; claim: SendClaim; tookOver: boolean } | { kind: 'sent' } | { kind: 'busy' };

export interface ClaimRequest {
  key: string;
  deliveryId: string;
  channelId: string;
  ttlMs: number;
  visibilityMs: number;
  /** Only for a plain Storage (no create-only write): whether this job could have been sent before. */
  maybeSent: boolean;
  /** Stamps a plain Storage's marker (a StateStore stamps with its own clock). */
  clock?: Clock;
}

export function claimSend(storage: Storage, req: ClaimRequest): Promise<ClaimResult> {
  return isStateStore(storage) ? claimInStore(storage, req) : claimInPlainStorage(storage, req);
}

async function claimInStore(store: StateStore, req: ClaimRequest): Promise<ClaimResult> {
  const sending = (): SentMarker => ({ v: FORMAT_VERSION, state: 'sending', deliveryId: req.deliveryId, channelId: req.channelId, at: store.now() });
  const expiresAt = () => store.now() + req.ttlMs;
  // A marker released (or expired) between the refused create and the read: claim again, a few times.
  for (let tries = 0; tries < 3; tries += 1) {
    const created = await store.put(req.key, sending(), { ifNoneMatch: '*', expiresAt: expiresAt() });
    if (created !== undefined) return { kind: 'mine', claim: new StoreClaim(store, req, created), tookOver: false };
    const existing = await store.get<SentMarker>(req.key);
    if (!existing) continue;
    const verdict = judgeMarker(existing.value, store.now(), req.visibilityMs);
    if (verdict !== 'abandoned') return { kind: verdict };
    const taken = await store.put(req.key, sending(), { ifMatch: existing.eTag, expiresAt: expiresAt() });
    // Refused: another copy took it over (or its sender came back) first, and is sending now.
    return taken !== undefined ? { kind: 'mine', claim: new StoreClaim(store, req, taken), tookOver: true } : { kind: 'busy' };
  }
  return { kind: 'busy' };
}

class StoreClaim implements SendClaim {
  /** Refresh, sent and release run one after another, each on the eTag the one before left. */
  private chain: Promise<unknown> = Promise.resolve();
  private settled = false;

  constructor(
    private readonly store: StateStore,
    private readonly req: ClaimRequest,
    private eTag: string,
  ) {}

  private then<T>(step: () => Promise<T>): Promise<T> {
    const next = this.chain.then(step);
    this.chain = next.catch(() => undefined);
    return next;
  }

  refresh(): Promise<void> {
    return this.then(async () => {
      if (this.settled) return;
      const value: SentMarker = { v: FORMAT_VERSION, state: 'sending', deliveryId: this.req.deliveryId, channelId: this.req.channelId, at: this.store.now() };
      const eTag = await this.store.put(this.req.key, value, { ifMatch: this.eTag, expiresAt: this.store.now() + this.req.ttlMs });
      if (eTag === undefined) throw new Error('the send claim was taken over by another worker');
      this.eTag = eTag;
    });
  }

  sent(activityId: string | undefined): Promise<void> {
    return this.then(async () => {
      this.settled = true;
      const value: SentMarker = { v: FORMAT_VERSION, state: 'sent', deliveryId: this.req.deliveryId, channelId: this.req.channelId, activityId, at: this.store.now() };
      const eTag = await this.store.put(this.req.key, value, { ifMatch: this.eTag, expiresAt: this.store.now() + this.req.ttlMs });
      if (eTag === undefined) throw new Error('the send claim was taken over by another worker before the post was recorded');
      this.eTag = eTag;
    });
  }

  release(): Promise<void> {
    return this.then(async () => {
      this.settled = true;
      await this.store.remove(this.req.key, { ifMatch: this.eTag });
    });
  }
}

/**
 * A plain botbuilder Storage has no create-only write: no claim, the marker is read only when the
 * job could have been sent before and written after the post (two first-time copies on two
 * instances can both post there).
 */
async function claimInPlainStorage(storage: Storage, req: ClaimRequest): Promise<ClaimResult> {
  if (req.maybeSent && (await readItem<SentMarker>(storage, req.key))) return { kind: 'sent' };
  const claim: SendClaim = {
    refresh: async () => undefined,
    sent: (activityId) =>
      writeItem(storage, req.key, { v: FORMAT_VERSION, state: 'sent', deliveryId: req.deliveryId, channelId: req.channelId, activityId, at: (req.clock ?? systemClock)() } satisfies SentMarker, {
        ttlMs: req.ttlMs,
      }),
    release: async () => undefined,
  };
  return { kind: 'mine', claim, tookOver: false };
}
