/**
 * The change service: the one writer of a change from Confirm to announcement.
 *
 *   claim (compare-and-swap with a fresh claim id; see claims.ts)
 *   → read the upload → re-check the claim → PATCH
 *   → an exact outcome:
 *       applied      the PATCH answered 2xx — whatever storage does afterwards (the record is retried,
 *                    never turned into a failure);
 *       not applied  Graph refused (its code and request-id);
 *       unknown      no answer (timeout, transport, a gateway 5xx): the upload is re-read and the
 *                    outcome decided from what Graph shows now — or, if even that fails, recorded as
 *                    unknown, to be decided by a later re-read, never by a second PATCH.
 *   → every applied change announced exactly once (one delivery id per change: notice.ts).
 */
import { systemClock } from '../clock';
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { BotError, isBotError } from '../errors';
import type { UploadsClient } from '../graph/uploads';
import type { Logger } from '../log';
import type { Upload } from '../model';
import type { ChangeNotice, PreparedAnnouncement } from '../notifications/types';
import type { PendingChange, PendingChanges, Requester, StoredChange } from '../state/changes';
import { decideClaim, mayPatch, type ClaimPolicy } from './claims';
import { deliveryIdOf, noticeOf } from './notice';

export type ConfirmResult =
  /** `note` says how it is known when Graph did not answer the PATCH itself. */
  | { kind: 'applied'; change: PendingChange; note?: string }
  | { kind: 'notApplied'; change: PendingChange; error: BotError; seen?: Upload }
  | { kind: 'unknown'; change: PendingChange; error: BotError }
  | { kind: 'inProgress'; change: PendingChange }
  | { kind: 'expired'; change: PendingChange }
  | { kind: 'final'; change: PendingChange };

export interface ChangeServiceDeps {
  changes: PendingChanges;
  uploads(credential: TokenCredential): UploadsClient;
  /** Queues the channel announcement (durable once it resolves). */
  announce(notice: ChangeNotice, deliveryId: string): Promise<void>;
  /**
   * Called before the PATCH, so an instance that stops after it still gets the change announced.
   * The handle, when the outbox gives one, turns that same queued message into the announcement:
   * one queue message per Confirm.
   */
  prepareRecovery(changeKey: string): Promise<PreparedAnnouncement | void>;
  policy: ClaimPolicy;
  log: Logger;
  now?: () => number;
  /** Waits between record retries (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
}

/** Attempts at writing an outcome before giving up on the record (the outcome itself stands). */
const RECORD_ATTEMPTS = 5;

export class ChangeService {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: ChangeServiceDeps) {
    this.now = deps.now ?? systemClock;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get policy(): ClaimPolicy {
    return this.deps.policy;
  }

  async confirm(loaded: StoredChange, actor: Requester, credential: TokenCredential): Promise<ConfirmResult> {
    const decision = decideClaim(loaded, this.now(), this.deps.policy);
    switch (decision.kind) {
      case 'expired':
        return { kind: 'expired', change: loaded };
      case 'final':
        return { kind: 'final', change: loaded };
      case 'busy':
        return { kind: 'inProgress', change: loaded };
      case 'abandoned':
        // Its PATCH may have landed; only Graph knows. Never PATCH again.
        return this.decideFromGraph(loaded, actor, credential, new BotError('timeout', 'The bot stopped while this change was being applied.'));
      default:
        break;
    }

    const claimId = randomUUID();
    const claimed = await this.deps.changes.update(loaded, { state: 'confirming', claimedAt: this.now(), claimId });
    if (!claimed) {
      const current = await this.deps.changes.load(loaded.key);
      return current?.state === 'confirming' || !current ? { kind: 'inProgress', change: current ?? loaded } : { kind: 'final', change: current };
    }

    const client = this.deps.uploads(credential);
    let before: Upload;
    try {
      before = await client.get(claimed.uploadId);
    } catch (err) {
      return this.notApplied(claimed, toBotErrorOrThrow(err));
    }
    // Queued only once Graph can be read: a refused read leaves nothing in the queue.
    const prepared = await this.deps.prepareRecovery(claimed.key).catch((err) => {
      this.deps.log.warn({ err, uploadId: claimed.uploadId }, 'could not prepare the change announcement');
    });
    if (decision.kind === 'takeover' && before.status === claimed.requestedStatus) {
      // A dead instance's PATCH had landed: record it, do not send it again.
      return this.applied(claimed, { previousStatus: claimed.seen?.status ?? before.status, upload: before, by: actor.name }, prepared);
    }

    const holder = await this.holdClaim(claimed, claimId);
    if (!holder) {
      const current = await this.deps.changes.load(claimed.key);
      return { kind: 'inProgress', change: current ?? claimed };
    }

    let after: Upload;
    try {
      after = await client.updateStatus(holder.uploadId, holder.requestedStatus);
    } catch (err) {
      const error = toBotErrorOrThrow(err);
      if (!isUncertain(error)) return this.notApplied(holder, error);
      this.deps.log.warn({ uploadId: holder.uploadId, code: error.code, requestId: error.details.requestId }, 'PATCH unanswered: re-reading the upload to decide');
      return this.decideFromGraph(holder, actor, credential, error, before.status, prepared);
    }
    return this.applied(holder, { previousStatus: before.status, upload: after, by: actor.name }, prepared);
  }

  /**
   * Right before the PATCH: the claim is still ours and the PATCH will end before anyone may take
   * it over. A claim this instance has just written needs no read for that: no other Confirm may
   * write over a fresh claim (claims.ts), and mayPatch checks it is fresh enough to outlast the
   * PATCH's whole budget. One that is too old for that (a slow read of the upload) is renewed by a
   * compare-and-swap, which fails if anyone wrote since — the re-check that then matters.
   */
  private async holdClaim(claimed: StoredChange, claimId: string): Promise<StoredChange | undefined> {
    if (mayPatch(claimed, claimId, this.now(), this.deps.policy)) return claimed;
    if (claimed.state !== 'confirming' || claimed.claimId !== claimId || this.now() >= claimed.expiresAt) return undefined;
    const renewed = await this.deps.changes.update(claimed, { claimedAt: this.now() });
    return renewed && mayPatch(renewed, claimId, this.now(), this.deps.policy) ? renewed : undefined;
  }

  /** Decides an uncertain outcome from what Graph shows now; records `unknown` if Graph cannot be read either. */
  private async decideFromGraph(
    change: StoredChange,
    actor: Requester,
    credential: TokenCredential,
    cause: BotError,
    previous?: Upload['status'],
    prepared?: PreparedAnnouncement | void,
  ): Promise<ConfirmResult> {
    let seen: Upload;
    try {
      seen = await this.deps.uploads(credential).get(change.uploadId);
    } catch (err) {
      const error = isBotError(err) ? err : cause;
      const recorded = await this.record(change, { state: 'unknown', failure: failureOf(cause) }, change.claimId);
      if (recorded === 'lost') return { kind: 'inProgress', change };
      return { kind: 'unknown', change: recorded ?? { ...change, state: 'unknown' }, error };
    }
    if (seen.status === change.requestedStatus) {
      return this.applied(change, {
        previousStatus: previous ?? change.seen?.status ?? seen.status,
        upload: seen,
        by: actor.name,
        note: `Microsoft Graph did not confirm the change in time (${cause.message}); it now shows the upload as requested, so the change was applied.`,
      }, prepared);
    }
    return this.notApplied(change, cause, seen);
  }

  /**
   * Announces first, then records done and announced in one write: the record is the last word,
   * so a crash between the two leaves a change that a later Confirm or the recovery job finishes,
   * and the one delivery id keeps the announcement single.
   */
  private async applied(
    change: StoredChange,
    outcome: { previousStatus: Upload['status']; upload: Upload; by: string; note?: string },
    prepared?: PreparedAnnouncement | void,
  ): Promise<ConfirmResult> {
    const result = {
      previousStatus: outcome.previousStatus,
      status: outcome.upload.status,
      createdDateTimeUtc: outcome.upload.createdDateTimeUtc,
      at: this.now(),
      by: outcome.by,
    };
    const done: PendingChange = { ...change, state: 'done', result, failure: undefined };
    const announced = change.announced || (await this.queueAnnouncement(done, prepared));
    const written = await this.record(change, { state: 'done', result, failure: undefined, announced });
    const recorded = written === 'lost' ? undefined : written;
    if (!recorded) {
      // The upload WAS changed: say so. Its announcement is queued (or, if that failed too, the
      // recovery message still is); a later Confirm re-reads Graph instead of PATCHing again.
      this.deps.log.error({ uploadId: change.uploadId }, 'change applied but its record could not be written');
    }
    return { kind: 'applied', change: recorded ?? { ...done, announced }, note: outcome.note };
  }

  private async notApplied(change: StoredChange, error: BotError, seen?: Upload): Promise<ConfirmResult> {
    const patch: Partial<PendingChange> = { state: 'failed', failure: failureOf(error), ...(seen ? { seen: { status: seen.status, createdDateTimeUtc: seen.createdDateTimeUtc } } : {}) };
    const recorded = await this.record(change, patch, change.claimId);
    if (recorded === 'lost') {
      // Another Confirm took the change over meanwhile: its outcome is the one that counts.
      const current = await this.deps.changes.load(change.key);
      return { kind: 'inProgress', change: current ?? change };
    }
    return { kind: 'notApplied', change: recorded ?? { ...change, ...patch }, error, seen };
  }

  /** Queues the announcement of an applied change; false when it could not be (the recovery job sends it). */
  private async queueAnnouncement(change: PendingChange, prepared?: PreparedAnnouncement | void): Promise<boolean> {
    const notice = noticeOf(change);
    if (!notice) return false;
    try {
      if (prepared) await prepared.announce(notice, deliveryIdOf(change.key));
      else await this.deps.announce(notice, deliveryIdOf(change.key));
      return true;
    } catch (err) {
      this.deps.log.error({ err, uploadId: change.uploadId }, 'change announcement failed; the recovery job will send it');
      return false;
    }
  }

  /**
   * Writes `patch` over the change, starting from the version in hand (no read when nobody wrote
   * since), re-reading only after a conflict, and retrying storage failures with backoff. Undefined
   * when storage kept failing: the caller's outcome stands regardless. With `claimId`, only while
   * the change is still under that claim ('lost' otherwise).
   */
  private async record(from: StoredChange, patch: Partial<PendingChange>, claimId?: string): Promise<StoredChange | undefined | 'lost'> {
    let current: StoredChange | undefined = from;
    for (let attempt = 0; attempt < RECORD_ATTEMPTS; attempt++) {
      try {
        current ??= await this.deps.changes.load(from.key);
        if (!current) return undefined;
        if (claimId !== undefined && current.claimId !== claimId) return 'lost';
        const written = await this.deps.changes.update(current, patch);
        if (written) return written;
        current = undefined; // someone wrote since: read the latest and try again
      } catch (err) {
        this.deps.log.warn({ err, attempt: attempt + 1 }, 'could not record a change outcome; retrying');
        current = undefined;
        await this.sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    }
    return undefined;
  }

  /**
   * What a Confirm of this change would do, without doing it: go to Graph (so the clicker needs a
   * credential first), or only show the change as it is (final, expired, or a live Confirm holds it).
   */
  preview(change: PendingChange): 'show' | 'needsCredential' {
    const { kind } = decideClaim(change, this.now(), this.deps.policy);
    return kind === 'final' || kind === 'expired' || kind === 'busy' ? 'show' : 'needsCredential';
  }
}

/**
 * An answer that does not say whether the PATCH landed: no answer at all (timeout, transport) or a
 * gateway failure after the request may have reached Intune. A 429 or 503 is a refusal.
 */
export function isUncertain(err: BotError): boolean {
  if (err.code === 'timeout') return true;
  const status = err.details.httpStatus;
  if (status === undefined) return err.code === 'unavailable';
  return status === 500 || status === 502 || status === 504;
}

function failureOf(e: BotError): NonNullable<PendingChange['failure']> {
  return { code: e.code, message: e.message, serviceCode: e.details.serviceCode, requestId: e.details.requestId };
}

function toBotErrorOrThrow(err: unknown): BotError {
  if (isBotError(err)) return err;
  throw err;
}
