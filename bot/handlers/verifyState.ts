/**
 * `signin/verifyState`: the user finished the sign-in button's flow (after a failed silent
 * exchange, typically consent). Resume their parked command with a fresh SSO attempt, which
 * Teams now completes silently.
 */
import type { InvokeResponse, TurnContext } from 'botbuilder';
import type { Services } from '../services';
import { actorOf } from '../teams/activity';
import { setOutcome } from '../teams/bot';
import { sendNotice } from './respond';

export async function handleVerifyState(context: TurnContext, services: Services): Promise<InvokeResponse> {
  const actor = actorOf(context.activity);
  if (!actor) return { status: 400, body: { error: 'signin/verifyState needs from.aadObjectId.' } };
  const previous = await services.parked.latest(actor, context.activity.conversation.id);
  if (!previous) {
    await sendNotice(context, { title: 'Signed in', message: 'You can type your command again.', tone: 'good' });
    setOutcome(context, 'verify-state-nothing-parked');
    return { status: 200 };
  }
  const parked = await services.parked.park({ oid: actor.oid, tid: actor.tid, conversationId: previous.conversationId, command: previous.command });
  await context.sendActivity({ attachments: [services.sso.oauthCard(parked.exchangeId, actor.tid)] });
  setOutcome(context, 'verify-state-resumed');
  return { status: 200 };
}
