/** The shapes the notification pieces share: what happened, where it goes, what sits in the outbox. */
import type { UploadStatus } from '../model';

/** One upload status change, wherever it was made. */
export interface ChangeNotice {
  /**
   * The tenant the change was made in (the requester's, or the notify key's): only that tenant's
   * channels hear of it. Absent in jobs written before tenants were tracked (see worker.ts).
   */
  tenantId: string;
  uploadId: string;
  status: UploadStatus;
  /** Unknown when the change came from elsewhere without it. */
  previousStatus?: UploadStatus;
  /** Display name of whoever made it. */
  by: string;
  /** Epoch milliseconds. */
  at: number;
  /** Where it was made, in words for people: "personal chat", "channel Deployments", "outside Teams". */
  where: string;
  note?: string;
  source: 'bot' | 'api';
}

/** A team channel that follows changes: everything needed to post there without a turn. */
export interface ChannelTarget {
  tenantId: string;
  teamId: string;
  channelId: string;
  serviceUrl: string;
  channelName: string;
}

/** "Expand this change into one message per subscribed channel" — enqueued first, so a crash mid fan-out loses nothing. */
export interface FanOutJob {
  kind: 'fanout';
  deliveryId: string;
  notice: ChangeNotice;
  /** Targets are expanded in sorted order; everything up to and including this key is already enqueued. */
  cursor?: string;
  enqueuedAt: number;
}

/** One notification for one channel. */
export interface DeliveryJob {
  kind: 'deliver';
  deliveryId: string;
  notice: ChangeNotice;
  target: ChannelTarget;
  /** Failed sends so far (rate-limit waits of our own do not count). */
  attempt: number;
  /** Enqueued by a fan-out that had been interrupted: another copy of this job may exist. */
  mayRepeat?: boolean;
  lastError?: string;
}

/**
 * The recovery job: "a Confirm is about to PATCH". Enqueued, delayed, before the PATCH, so that a
 * bot instance dying between the PATCH and its announcement cannot lose the notification. When the
 * change is applied and announced in time, the same message becomes the change's fan-out job
 * (PreparedAnnouncement); otherwise, when it comes due, whoever takes it asks `resolveRecovery`
 * what became of the change (bot/notifications/recover.ts) and announces it if nobody did.
 */
export interface RecoveryJob {
  kind: 'recover';
  changeKey: string;
  enqueuedAt: number;
}

/** A recovery job as versions before the rename wrote it: still read from queues, never written. */
export interface LegacyRecoveryJob {
  kind: 'settle';
  changeKey: string;
  enqueuedAt: number;
}

/** What a due recovery job should do. */
export type RecoveryVerdict =
  | { kind: 'announce'; notice: ChangeNotice; deliveryId: string; announced(): Promise<void> }
  | { kind: 'wait' }
  | { kind: 'drop'; reason: string };

/**
 * A recovery job enqueued before a change's PATCH, held by the instance making the change: once
 * the change is applied, `announce` turns that same message into the change's fan-out job and
 * makes it visible now — one queue message per Confirm. Falls back to a fresh fan-out message when
 * the prepared one is gone (a worker took it after its delay, or it could not be written at all).
 */
export interface PreparedAnnouncement {
  announce(notice: ChangeNotice, deliveryId: string): Promise<void>;
}

export type OutboxJob = FanOutJob | DeliveryJob | RecoveryJob | LegacyRecoveryJob;

/** A job taken from the outbox: invisible to other workers until its visibility timeout ends. */
export interface ReceivedJob {
  messageId: string;
  /** Proves we hold the message; changes on every update. */
  receipt: string;
  job: OutboxJob;
  /** How many times the queue handed this message out (crashes included). */
  dequeueCount: number;
}

export interface DeadLetter {
  job: OutboxJob;
  reason: string;
  at: number;
}

/** Stable identity of one channel's copy of one delivery (dedupe across redeliveries). */
export const targetKey = (target: Pick<ChannelTarget, 'teamId' | 'channelId'>): string => `${target.teamId}|${target.channelId}`;
