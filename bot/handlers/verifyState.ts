/**
 * `signin/verifyState`: Teams sends it once the page the sign-in button opened called
 * `authentication.notifySuccess(state)` — our end page, after the admin consent. The state is
 * the end page's sealed `done` token: it must verify, belong to the person sending the invoke and
 * name a command parked for them in this conversation; then that command resumes (once) with a
 * fresh SSO attempt, which Teams now completes silently. Anything else runs nothing.
 */
import type { InvokeResponse, TurnContext } from 'botbuilder';
import type { Services } from '../services';
import { actorOf } from '../teams/activity';
import { setOutcome } from '../teams/outcome';
import { sendNotice } from './respond';
import { invalidInvoke, ok, verifyStateRefused } from '../teams/invokeResponses';

export async function handleVerifyState(context: TurnContext, services: Services): Promise<InvokeResponse> {
  // The notices are courtesies: a reply Teams refuses (a malformed activity) must not turn the invoke's answer into a 500.
  const notify = (notice: Parameters<typeof sendNotice>[1]) =>
    sendNotice(context, notice).catch((err) => services.log.warn({ err }, 'verifyState: the notice could not be sent'));
  const actor = actorOf(context.activity);
  if (!actor) return invalidInvoke('signin/verifyState needs from.aadObjectId.');
  const value = (context.activity.value ?? {}) as { state?: unknown };

  const refuse = async (reason: string): Promise<InvokeResponse> => {
    services.log.info({ reason, conversation: context.activity.conversation.id }, 'verifyState refused');
    await notify({
      title: 'Sign-in not accepted',
      message: 'That sign-in could not be matched to a request of yours, so nothing was run. Send your command again.',
      tone: 'attention',
    });
    setOutcome(context, `verify-state-refused:${reason}`);
    return verifyStateRefused();
  };

  const opened = services.signInStates.open(value.state, 'done');
  if (!opened.ok) return refuse(opened.reason);
  const { state } = opened;
  if (state.oid !== actor.oid || state.tid !== actor.tid) return refuse('other-user');

  const parked = await services.parked.takeForSignIn(state.exchangeId, actor, context.activity.conversation.id);
  if (!parked) {
    // A card-level sign-in parks nothing (the action itself is re-sent), and a used state finds its command taken.
    await notify({ title: 'Signed in', message: 'You can send your command again.', tone: 'good' });
    setOutcome(context, 'verify-state-nothing-parked');
    return ok();
  }
  const resumed = await services.parked.park({ oid: actor.oid, tid: actor.tid, conversationId: parked.conversationId, command: parked.command });
  await context.sendActivity({ attachments: [services.sso.oauthCard(resumed.exchangeId, actor)] });
  setOutcome(context, 'verify-state-resumed');
  return ok();
}
