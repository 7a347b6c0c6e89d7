/**
 * `runDiag`: `diag` from its channel card — the clicker's (or refreshing requester's) own results,
 * as their user-specific view. The Action.Submit fallback would post the results for everyone, so
 * it says where to run it instead.
 */
import { noticeCard } from '../../cards';
import { diagCardFor, diagRefreshExpired, isChannel } from '../handlers/diag';
import type { Verb } from './verb';

export const runDiag: Verb = async (context, services, { actor, credential, data }) => {
  const channel = isChannel(context);
  if (channel && context.activity.type === 'message') {
    return { kind: 'message', text: 'Type diag in a personal chat with the bot: here its results would be shown to everyone.', outcome: 'diag-submit-refused' };
  }
  const now = services.clock();
  if (diagRefreshExpired(data.askedAt, (context.activity.value as { trigger?: unknown } | undefined)?.trigger, now)) {
    return {
      kind: 'card',
      card: noticeCard({ title: 'Check finished', message: 'This check was asked a while ago, so it no longer re-runs on its own. Type diag to run it again.', tone: 'default' }),
      outcome: 'diag-refresh-expired',
    };
  }
  if (!credential) return { kind: 'signIn' };
  const askedAt = Number(data.askedAt);
  const card = await diagCardFor(services, actor, credential, channel ? { askedAt: Number.isFinite(askedAt) ? askedAt : now } : undefined);
  return { kind: 'card', card, outcome: 'diag' };
};
