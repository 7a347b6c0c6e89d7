/**
 * Pending changes: what a confirmation card stands for, kept server-side.
 *
 * The card carries only an unguessable key; the change is bound to the requester's AAD object
 * id, expires, and moves through its states by compare-and-swap so that two Confirms — two
 * clicks, two devices, two bot instances — PATCH at most once.
 */
import { systemClock } from '../clock';
import { randomBytes } from 'node:crypto';
import type { UploadStatus } from '../model';
import { changeKeepUntil, FORMAT_VERSION, type Versioned } from './lifetimes';
import { readItem, swapItem } from './storage';
import type { StateStore } from './store';

export const CHANGE_TTL_MS = 10 * 60 * 1000;
/**
 * A Confirm claims the change for at most this long. A bot instance that died mid-Confirm
 * leaves its claim behind; once stale, the requester's next Confirm may take it over. Far
 * longer than a Confirm can run (two Graph calls, each bounded by the Graph timeout).
 */
export const CLAIM_STALE_MS = 60 * 1000;
const KEY_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * `unknown`: Graph did not answer the PATCH and could not be re-read, so whether it landed is not
 * known; only a re-read settles it (never a second PATCH).
 */
export type ChangeState = 'pending' | 'confirming' | 'done' | 'failed' | 'cancelled' | 'unknown';
export type ChatScope = 'personal' | 'groupChat' | 'channel';

export interface Requester {
  oid: string;
  tid: string;
  name: string;
  /** Teams user id (29:…), for card refresh. */
  mri: string;
}

export interface PendingChange extends Versioned {
  key: string;
  uploadId: string;
  requestedStatus: UploadStatus;
  requester: Requester;
  scope: ChatScope;
  conversationId: string;
  /** Where it was asked: "personal chat", a channel's name… (for notifications). */
  where: string;
  /** The message carrying the card everyone sees, once sent. */
  cardActivityId?: string;
  createdAt: number;
  expiresAt: number;
  state: ChangeState;
  /** When a Confirm moved it to `confirming` (see CLAIM_STALE_MS), and with which claim id (bot/changes/claims.ts). */
  claimedAt?: number;
  claimId?: string;
  /** The upload as read when the requester last saw the confirmation. */
  seen?: { status: UploadStatus; createdDateTimeUtc: string };
  /** The change notification is queued (see bot/notifications/recover.ts). */
  announced?: boolean;
  result?: { previousStatus: UploadStatus; status: UploadStatus; createdDateTimeUtc: string; at: number; by: string };
  failure?: { code: string; message: string; serviceCode?: string; requestId?: string };
}

export type StoredChange = PendingChange & { eTag: string };

export const CHANGES_PREFIX = 'changes_';
const storageKey = (key: string) => `${CHANGES_PREFIX}${key}`;

/** How long settled changes stay readable when the configuration does not say (STATE_RETENTION_DAYS' default). */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface PendingChangesOptions {
  /** How long a change stays readable after its expiry (config.retention.settledMs). */
  retentionMs?: number;
  /** Changes requested from other tenants are never served (config.sso.allowedTenants); unset = any tenant. */
  allowedTenants?: readonly string[];
}

export class PendingChanges {
  private readonly retentionMs: number;
  private readonly allowed?: ReadonlySet<string>;

  constructor(
    private readonly storage: StateStore,
    private readonly now: () => number = systemClock,
    private readonly ttlMs = CHANGE_TTL_MS,
    options: PendingChangesOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.allowed = options.allowedTenants && new Set(options.allowedTenants.map((t) => t.toLowerCase()));
  }

  async create(input: Omit<PendingChange, 'key' | 'createdAt' | 'expiresAt' | 'state'>): Promise<StoredChange> {
    const createdAt = this.now();
    const change: PendingChange = {
      ...input,
      v: FORMAT_VERSION,
      key: randomBytes(32).toString('base64url'),
      createdAt,
      expiresAt: createdAt + this.ttlMs,
      state: 'pending',
    };
    const eTag = await this.storage.put(storageKey(change.key), change, { ifNoneMatch: '*', expiresAt: changeKeepUntil(change, this.retentionMs) });
    // 256 random bits cannot collide; a conflict here means the store is broken.
    if (eTag === undefined) throw new Error('pending change key already in use');
    return { ...change, eTag };
  }

  /**
   * Undefined for malformed (tampered) keys without touching storage, for unknown ones, and for
   * changes of a tenant no longer allowed (they go with their lifetime).
   */
  async load(key: unknown): Promise<StoredChange | undefined> {
    if (typeof key !== 'string' || !KEY_FORMAT.test(key)) return undefined;
    const item = await readItem<PendingChange>(this.storage, storageKey(key));
    if (!item?.eTag) return undefined;
    if (this.allowed && !this.allowed.has(String(item.requester?.tid).toLowerCase())) return undefined;
    return item as StoredChange;
  }

  isExpired(change: PendingChange): boolean {
    return this.now() >= change.expiresAt;
  }

  /** A `confirming` claim whose holder cannot still be working on it. */
  isStaleClaim(change: PendingChange): boolean {
    return change.state === 'confirming' && this.now() - (change.claimedAt ?? 0) >= CLAIM_STALE_MS;
  }

  get clock(): () => number {
    return this.now;
  }

  /**
   * Compare-and-swap: applies `patch` only if nobody wrote since `change` was read. One storage
   * write: the store returns the new eTag, so the next transition stays conditional without a
   * re-read. A record of the previous format (no `v`) is rewritten in the current one.
   */
  async update(change: StoredChange, patch: Partial<PendingChange>): Promise<StoredChange | undefined> {
    const { eTag, ...current } = change;
    const next: PendingChange = { ...current, ...patch, v: FORMAT_VERSION };
    const newETag = await swapItem(this.storage, storageKey(change.key), next, eTag, { expiresAt: changeKeepUntil(next, this.retentionMs) });
    return newETag === undefined ? undefined : { ...next, eTag: newETag };
  }
}
