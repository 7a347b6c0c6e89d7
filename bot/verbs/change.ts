/** What the three verbs on a change card (refresh, confirm, cancel) share: loading it, and the card of a change that can no longer be confirmed. */
import { noticeCard } from '../../cards';
import type { Services } from '../services';
import type { PendingChange, StoredChange } from '../state/changes';
import { escapeMarkdown } from '../teams/markdown';
import * as views from '../views';
import type { Outcome } from './verb';

/** Loads the change a card refers to, or the card that says it is unknown. */
export async function loadChange(services: Services, data: Record<string, unknown>): Promise<StoredChange | Outcome> {
  const change = await services.changes.load(data.changeKey);
  if (!change) {
    return {
      kind: 'card',
      card: noticeCard({ title: 'Unknown request', message: 'This confirmation is not known to the bot: it may be from an old card, or the card was altered. Nothing was changed.', tone: 'warning' }),
      outcome: 'unknown-key',
    };
  }
  return change;
}

export const isOutcome = (x: StoredChange | Outcome): x is Outcome => 'kind' in x;

/**
 * The card of a change in a final state (done, cancelled, failed, expired) or being confirmed;
 * undefined while it can still be confirmed (pending within its expiry, or unknown: re-read on Confirm).
 */
export function finalStateCard(services: Services, change: PendingChange): Outcome | undefined {
  switch (change.state) {
    case 'done':
      return { kind: 'card', card: views.result(change), outcome: 'already-done' };
    case 'cancelled':
      return { kind: 'card', card: noticeCard({ title: 'Cancelled', message: `${change.requester.name} cancelled this request. Nothing was changed.`, tone: 'default' }), outcome: 'already-cancelled' };
    case 'confirming':
      return { kind: 'card', card: views.updating(change), outcome: 'in-progress' };
    case 'failed':
      return { kind: 'card', card: noticeCard({ title: 'This request failed', message: change.failure?.message ?? 'The change could not be applied.', tone: 'attention' }), outcome: 'already-failed' };
    case 'unknown':
      return undefined;
    case 'pending':
      if (services.changes.isExpired(change)) {
        return { kind: 'card', card: noticeCard({ title: 'Expired', message: 'This confirmation expired before it was confirmed. Nothing was changed; ask again if you still want the change.', tone: 'warning' }), outcome: 'expired' };
      }
      return undefined;
  }
}

/** Only the requester confirms or cancels their change. */
export function notRequester(change: PendingChange, what: 'confirm' | 'cancel'): Outcome {
  return {
    kind: 'message',
    text: `Only ${escapeMarkdown(change.requester.name)}, who asked for this change, can ${what} it.`,
    outcome: `refused-not-requester:${what}`,
  };
}
