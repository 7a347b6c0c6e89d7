/**
 * Message activities: typed commands, and Adaptive Card Action.Submit data (the form, and the
 * fallback of Universal Action buttons for clients without them).
 */
import { TurnContext } from 'botbuilder';
import { browseLookupCard, helpCard, setUploadFormCard, uploadLookupCard } from '../../cards';
import { CARD_VERBS, SUBMIT_ACTIONS } from '../../cards/ids';
import { type Command, formatCommand, parseCommand, parseFormSubmission } from '../commands/parse';
import type { Services } from '../services';
import * as views from '../views';
import { actorOf, scopeOf } from '../teams/activity';
import { setOutcome } from '../teams/outcome';
import { handleSubmittedCardAction } from './cardAction';
import { handleSubscriptionCommand } from './subscriptions';
import { needsGraph, postChannelRequest, runGraphCommand } from './commands';
import { sendCard, sendNotice } from './respond';

export async function handleMessage(context: TurnContext, services: Services): Promise<void> {
  const value = context.activity.value as Record<string, unknown> | undefined;
  if (value !== undefined && value !== null) {
    await handleSubmit(context, services, value);
    return;
  }
  const text = TurnContext.removeRecipientMention(context.activity) ?? context.activity.text ?? '';
  const parsed = parseCommand(text);
  if (parsed.kind === 'invalid') {
    await sendCard(context, helpCard({ problem: parsed.message, suggestion: parsed.suggestion }));
    setOutcome(context, `invalid:${parsed.reason}`);
    return;
  }
  await dispatch(context, services, parsed);
}

export async function dispatch(context: TurnContext, services: Services, command: Command): Promise<void> {
  switch (command.kind) {
    case 'help':
      await sendCard(context, helpCard({}));
      setOutcome(context, 'help');
      return;
    case 'openForm':
      await sendCard(context, setUploadFormCard({ uploadId: command.uploadId, status: command.status, problem: command.problem }));
      setOutcome(context, 'form');
      return;
    case 'subscribe':
    case 'unsubscribe':
    case 'subscriptions':
      await handleSubscriptionCommand(context, services, command);
      return;
    default:
      break;
  }

  const actor = actorOf(context.activity);
  if (!actor) {
    await sendNotice(context, { title: 'Who are you?', message: 'Teams did not identify your work account, so the bot cannot act for you.', tone: 'attention' });
    setOutcome(context, 'no-identity');
    return;
  }
  if (command.kind === 'signOut') {
    const had = services.sso.forget(actor);
    await sendNotice(context, {
      title: 'Signed out',
      message: had ? 'The bot has forgotten your sign-in. It will ask Teams again next time.' : 'You were not signed in to this bot.',
      tone: 'default',
    });
    setOutcome(context, 'signed-out');
    return;
  }
  if (!needsGraph(command)) return;

  const scope = scopeOf(context.activity);
  if (command.kind === 'diag' && scope === 'channel') {
    // The results are the asker's alone: their client refreshes this card into them.
    await sendCard(context, views.diagRequest(actor, services.changes.clock()));
    setOutcome(context, 'diag-request-posted');
    return;
  }
  if (command.kind === 'setStatus' && scope === 'channel') {
    await postChannelRequest(context, services, command, actor);
    return;
  }
  const credential = services.sso.credentialFor(actor);
  if (credential) {
    await runGraphCommand(context, services, command, actor, credential);
    return;
  }
  if (scope === 'channel' && command.kind !== 'diag') {
    // No message-level SSO in channels: offer a button whose click does card-level SSO.
    await sendCard(context, command.kind === 'show' ? uploadLookupCard({ uploadId: command.uploadId }) : browseLookupCard({ command: formatCommand(command) }));
    setOutcome(context, 'lookup-button');
    return;
  }
  const parked = await services.parked.park({ oid: actor.oid, tid: actor.tid, conversationId: context.activity.conversation.id, command });
  await context.sendActivity({ attachments: [services.sso.oauthCard(parked.exchangeId, actor)] });
  setOutcome(context, 'sso-requested');
}

async function handleSubmit(context: TurnContext, services: Services, value: Record<string, unknown>): Promise<void> {
  if (typeof value !== 'object' || Array.isArray(value)) {
    await sendCard(context, helpCard({ problem: 'That card submission could not be read.' }));
    setOutcome(context, 'invalid:submit');
    return;
  }
  if (value.action === SUBMIT_ACTIONS.openForm) {
    await sendCard(context, setUploadFormCard({}));
    setOutcome(context, 'form');
    return;
  }
  if (value.action === SUBMIT_ACTIONS.submitForm) {
    // The card validated the inputs in the client; anything can arrive here, so validate again.
    const command = parseFormSubmission(value);
    if (command.kind === 'openForm') {
      await sendCard(context, setUploadFormCard({ uploadId: command.uploadId, status: command.status, problem: command.problem }));
      setOutcome(context, 'invalid:form');
      return;
    }
    await dispatch(context, services, command);
    return;
  }
  if (typeof value.verb === 'string' && (Object.values(CARD_VERBS) as string[]).includes(value.verb)) {
    await handleSubmittedCardAction(context, services, value.verb, value);
    return;
  }
  await sendCard(context, helpCard({ problem: 'That card action is not one this bot knows.' }));
  setOutcome(context, 'invalid:submit');
}
