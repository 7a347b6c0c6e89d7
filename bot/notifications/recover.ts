/**
 * What became of a change whose announcement was prepared before its PATCH (the recovery job):
 * the stored pending change says whether it was applied and announced.
 */
import { deliveryIdOf, noticeOf } from '../changes/notice';
import type { PendingChanges } from '../state/changes';
import type { RecoveryVerdict } from './types';

export function changeRecovery(changes: PendingChanges): (changeKey: string) => Promise<RecoveryVerdict> {
  return async (changeKey) => {
    const change = await changes.load(changeKey);
    if (!change) return { kind: 'drop', reason: 'unknown change' };
    const notice = change.state === 'done' && !change.announced ? noticeOf(change) : undefined;
    if (notice) {
      return {
        kind: 'announce',
        notice,
        deliveryId: deliveryIdOf(change.key),
        announced: async () => {
          const latest = await changes.load(changeKey);
          if (latest) await changes.update(latest, { announced: true });
        },
      };
    }
    // Still in the hands of a live Confirm: look again later.
    if (change.state === 'confirming' && !changes.isStaleClaim(change)) return { kind: 'wait' };
    if (change.state === 'confirming') {
      // Whether its PATCH landed is unknowable without the requester's token; their next Confirm finishes and announces it.
      return { kind: 'drop', reason: 'claim abandoned by a stopped instance' };
    }
    return { kind: 'drop', reason: change.announced ? 'already announced' : `change is ${change.state}` };
  };
}
