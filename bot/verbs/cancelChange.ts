/** `cancelChange`: the requester drops their pending change; nothing is sent to Graph. */
import { noticeCard } from '../../cards';
import { finalStateCard, isOutcome, loadChange, notRequester } from './change';
import type { Verb } from './verb';

export const cancelChange: Verb = async (_context, services, { data, actor }) => {
  const loaded = await loadChange(services, data);
  if (isOutcome(loaded)) return loaded;
  if (actor.oid !== loaded.requester.oid) return notRequester(loaded, 'cancel');
  const final = finalStateCard(services, loaded);
  if (final) return final;
  const cancelled = await services.changes.update(loaded, { state: 'cancelled' });
  if (!cancelled) return { kind: 'message', text: 'This request changed while you were cancelling it; look at the card again.', outcome: 'cancel-conflict' };
  return {
    kind: 'card',
    card: noticeCard({ title: 'Cancelled', message: `Nothing was changed: upload ${loaded.uploadId} keeps its status.`, tone: 'default' }),
    outcome: 'cancelled',
  };
};
