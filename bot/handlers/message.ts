/**
 * Message activities, read into what the route table dispatches: a typed command (by its parsed
 * kind), a form submission (a command too), or the Action.Submit fallback of a card button (by its
 * verb). What each command and verb does is in the routes' handlers (chat.ts, bot/verbs).
 */
import { TurnContext } from 'botbuilder';
import { helpCard, setUploadFormCard } from '../../cards';
import { SUBMIT_ACTIONS } from '../../cards/ids';
import { parseCommand, parseFormSubmission } from '../commands/parse';
import type { Services } from '../services';
import type { Dispatch } from '../teams/route';
import { setOutcome } from '../teams/outcome';
import { handleSubmittedCardAction } from './cardAction';
import { sendCard } from './respond';

export async function handleMessage(context: TurnContext, services: Services, dispatch: Dispatch): Promise<void> {
  const value = context.activity.value as Record<string, unknown> | undefined;
  if (value !== undefined && value !== null) {
    await handleSubmit(context, services, dispatch, value);
    return;
  }
  const text = TurnContext.removeRecipientMention(context.activity) ?? context.activity.text ?? '';
  const parsed = parseCommand(text);
  if (parsed.kind === 'invalid') {
    await sendCard(context, helpCard({ problem: parsed.message, suggestion: parsed.suggestion }));
    setOutcome(context, `invalid:${parsed.reason}`);
    return;
  }
  await dispatch.command(context, parsed);
}

async function handleSubmit(context: TurnContext, services: Services, dispatch: Dispatch, value: Record<string, unknown>): Promise<void> {
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
    await dispatch.command(context, command);
    return;
  }
  if (typeof value.verb === 'string' && dispatch.verb(value.verb)) {
    await handleSubmittedCardAction(context, services, dispatch.verb, value.verb, value);
    return;
  }
  await sendCard(context, helpCard({ problem: 'That card action is not one this bot knows.' }));
  setOutcome(context, 'invalid:submit');
}
