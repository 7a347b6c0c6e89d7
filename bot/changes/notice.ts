/** The one mapping from an applied change to its channel announcement, and the announcement's identity. */
import { createHash } from 'node:crypto';
import type { ChangeNotice } from '../notifications/types';
import type { PendingChange } from '../state/changes';

/** The announcement of an applied change; undefined while it has no result. */
export function noticeOf(change: PendingChange): ChangeNotice | undefined {
  const r = change.result;
  if (!r) return undefined;
  return {
    uploadId: change.uploadId,
    status: r.status,
    previousStatus: r.previousStatus,
    by: r.by,
    at: r.at,
    where: change.where,
    source: 'bot',
    tenantId: change.requester.tid,
  };
}

/**
 * One delivery id per change, whoever announces it (the Confirm, or the recovery job after an
 * instance stopped): the outbox sees a second announcement of the same change as a repeat.
 */
export function deliveryIdOf(changeKey: string): string {
  const hex = createHash('sha256').update(`change|${changeKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
