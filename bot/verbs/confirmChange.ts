/**
 * `confirmChange`: the requester confirms; the change service claims, PATCHes and says exactly what
 * happened (bot/changes). A change that can no longer be confirmed is shown as it is, without
 * asking for a sign-in. Slower than the invoke budget: "updating…" now, the result card later.
 */
import type { ConfirmResult } from '../changes/service';
import * as views from '../views';
import { finalStateCard, isOutcome, loadChange, notRequester } from './change';
import { replaceCardLater, withinInvokeBudget } from './lateCard';
import type { Outcome, Verb } from './verb';
import type { Services } from '../services';

export const confirmChange: Verb = async (context, services, { data, actor, credential, answered }) => {
  const loaded = await loadChange(services, data);
  if (isOutcome(loaded)) return loaded;
  if (actor.oid !== loaded.requester.oid) return notRequester(loaded, 'confirm');
  if (services.changeService.preview(loaded) === 'show') {
    return finalStateCard(services, loaded) ?? { kind: 'card', card: views.updating(loaded), outcome: 'in-progress' };
  }
  if (!credential) return { kind: 'signIn' };

  const work = services.changeService.confirm(loaded, actor, credential).then((result) => confirmOutcome(services, result));
  const first = await withinInvokeBudget(services, work);
  if (first === 'slow') {
    replaceCardLater(context, services, work, { answered, cardActivityId: context.activity.replyToId ?? loaded.cardActivityId, uploadId: loaded.uploadId });
    return { kind: 'card', card: views.updating(loaded), outcome: 'updating' };
  }
  // In channels and group chats the shared card must change for everyone, not just the clicker.
  if (first.kind === 'card' && loaded.scope !== 'personal' && loaded.cardActivityId) {
    await context.updateActivity({ id: loaded.cardActivityId, type: 'message', attachments: [first.card] }).catch((err) =>
      services.log.warn({ err }, 'shared card update failed'));
  }
  return first;
};

/** What the admin is told about a Confirm: applied, not applied (and why), or unknown with what Graph shows now. */
function confirmOutcome(services: Services, result: ConfirmResult): Outcome {
  switch (result.kind) {
    case 'applied':
      return { kind: 'card', card: views.result(result.change, result.note), outcome: result.note ? 'applied:verified-by-reread' : 'applied' };
    case 'notApplied':
      return { kind: 'card', card: views.notApplied(result.change, result.error, result.seen), outcome: `not-applied:${result.error.code}` };
    case 'unknown':
      return { kind: 'card', card: views.outcomeUnknown(result.change, result.error), outcome: 'unknown' };
    case 'inProgress':
      return { kind: 'card', card: views.updating(result.change), outcome: 'in-progress' };
    case 'expired':
    case 'final':
      return finalStateCard(services, result.change) ?? { kind: 'card', card: views.updating(result.change), outcome: 'in-progress' };
  }
}
