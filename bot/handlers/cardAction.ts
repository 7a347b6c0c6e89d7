/**
 * The one adapter between Teams and the card verbs (bot/verbs): a button is an Action.Execute
 * (`adaptiveCard/action` invoke) or, in clients without Universal Actions, its Action.Submit
 * fallback (a message whose value is the same data plus `verb`). Both run the verb the route table
 * names; its Outcome becomes the invoke's answer or messages and card updates.
 */
import { randomUUID } from 'node:crypto';
import type { InvokeResponse, TurnContext } from 'botbuilder';
import { helpCard } from '../../cards';
import type { Services } from '../services';
import { actorOf } from '../teams/activity';
import {
  actionError,
  badRequest,
  cardResponse,
  loginRequest,
  messageResponse,
  universalAction,
} from '../teams/invokeResponses';
import { setOutcome } from '../teams/outcome';
import type { FindVerb, Outcome, VerbInput } from '../verbs/verb';
import { credentialForAction } from './cardSignIn';
import { sendCard, sendNotice } from './respond';

/** `adaptiveCard/action`: every answer is HTTP 200, its outcome in the body (invokeResponses.universalAction). */
export async function handleCardActionInvoke(context: TurnContext, services: Services, findVerb: FindVerb): Promise<InvokeResponse> {
  const value = context.activity.value as { action?: unknown; authentication?: unknown } | undefined;
  const action = value?.action;
  // A payload without an action is the client's mistake, answered as Universal Actions' 400 rather than a thrown turn.
  if (!isRecord(action)) {
    setOutcome(context, 'invalid:action');
    return universalAction(badRequest('The card action carries no action.'));
  }
  // As botbuilder's ActivityHandler answers any other action type (Action.Submit arrives as a message).
  if (action.type !== 'Action.Execute') {
    return universalAction(actionError(400, 'NotSupported', `The action '${String(action.type)}' is not supported.`));
  }

  const actor = actorOf(context.activity);
  if (!actor) return universalAction(badRequest('Teams did not identify the user who acted.'));
  const verb = typeof action.verb === 'string' ? action.verb : '';
  const data = isRecord(action.data) ? action.data : {};
  const signIn = await credentialForAction(context, services, actor, value?.authentication);
  if ('answer' in signIn) return universalAction(signIn.answer);

  const result = await runVerb(context, services, findVerb, { verb, data, actor, credential: signIn.credential, replyToId: context.activity.replyToId });
  switch (result.kind) {
    case 'card':
      setOutcome(context, result.outcome);
      return universalAction(cardResponse(result.card));
    case 'message':
      setOutcome(context, result.outcome);
      return universalAction(messageResponse(result.text));
    case 'signIn':
      setOutcome(context, 'sso-login-request');
      return universalAction(loginRequest(services.sso.loginResource(randomUUID(), actor)));
    case 'bad':
      setOutcome(context, 'invalid:action');
      return universalAction(badRequest(result.message));
  }
}

/** The Action.Submit fallback of the same buttons: answers become messages and card updates. */
export async function handleSubmittedCardAction(
  context: TurnContext,
  services: Services,
  findVerb: FindVerb,
  verb: string,
  data: Record<string, unknown>,
): Promise<void> {
  const actor = actorOf(context.activity);
  if (!actor) return;
  const credential = services.sso.credentialFor(actor);
  let markAnswered: () => void = () => undefined;
  const answered = new Promise<void>((resolve) => {
    markAnswered = resolve;
  });
  try {
    await showSubmitted(context, await runVerb(context, services, findVerb, { verb, data, actor, credential, replyToId: context.activity.replyToId, answered }));
  } finally {
    markAnswered();
  }
}

function runVerb(context: TurnContext, services: Services, findVerb: FindVerb, input: VerbInput): Promise<Outcome> {
  const verb = findVerb(input.verb);
  if (!verb) return Promise.resolve({ kind: 'bad', message: 'This card action is not one this bot knows.' });
  return verb(context, services, input);
}

async function showSubmitted(context: TurnContext, result: Outcome): Promise<void> {
  switch (result.kind) {
    case 'card':
      if (context.activity.replyToId) {
        await context.updateActivity({ id: context.activity.replyToId, type: 'message', attachments: [result.card] });
      } else {
        await sendCard(context, result.card);
      }
      setOutcome(context, result.outcome);
      return;
    case 'message':
      await context.sendActivity(result.text);
      setOutcome(context, result.outcome);
      return;
    case 'signIn':
      await sendNotice(context, {
        title: 'Sign-in needed',
        message: 'Your sign-in has expired. Type the command again and Teams will sign you in.',
        tone: 'warning',
      });
      setOutcome(context, 'sso-needed');
      return;
    case 'bad':
      await sendCard(context, helpCard({ problem: result.message }));
      setOutcome(context, 'invalid:action');
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
