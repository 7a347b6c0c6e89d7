/**
 * What became of a change whose announcement was prepared before its PATCH (SettleJob): the
 * stored pending change says whether it was applied and announced.
 */
import type { PendingChanges } from '../state/changes';
import type { Settlement } from './types';

export function changeSettler(changes: PendingChanges): (changeKey: string) => Promise<Settlement> {
  return async (changeKey) => {
    const change = await changes.load(changeKey);
    if (!change) return { kind: 'drop', reason: 'unknown change' };
    if (change.state === 'done' && change.result && !change.announced) {
      const { result } = change;
      return {
        kind: 'announce',
        notice: { tenantId: change.requester.tid, uploadId: change.uploadId, status: result.status, previousStatus: result.previousStatus, by: result.by, at: result.at, where: change.where, source: 'bot' },
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
