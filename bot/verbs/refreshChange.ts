/**
 * `refreshChange`: the automatic refresh of a change card (and its "Review" button). The requester
 * sees the confirmation with the upload as Graph shows it now; everyone else the shared card.
 */
import type { BotError } from '../errors';
import * as views from '../views';
import { finalStateCard, isOutcome, loadChange } from './change';
import type { Verb } from './verb';

export const refreshChange: Verb = async (_context, services, { data, actor, credential }) => {
  const loaded = await loadChange(services, data);
  if (isOutcome(loaded)) return loaded;
  const final = finalStateCard(services, loaded);
  if (final) return final;
  // Everyone but the requester keeps seeing the shared card.
  if (actor.oid !== loaded.requester.oid) return { kind: 'card', card: views.channelRequest(loaded), outcome: 'shared-view' };
  if (!credential) return { kind: 'signIn' };
  try {
    // One read per few seconds for all of the requester's clients; no state write per refresh
    // (Confirm re-reads the upload itself).
    const upload = await services.recent.uploads.get(`${loaded.key}|${actor.oid}`, () => services.uploads(credential).get(loaded.uploadId));
    return { kind: 'card', card: views.confirmation(loaded, upload), outcome: 'requester-view' };
  } catch (err) {
    return { kind: 'card', card: views.cardForError(err), outcome: `graph-error:${(err as BotError).code}` };
  }
};
