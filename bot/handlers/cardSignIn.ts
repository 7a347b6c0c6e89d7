/**
 * Card-level SSO, the accepting half: Teams re-sends a Universal Action with `value.authentication`
 * after our 401 loginRequest. The token is validated and exchanged on-behalf-of now, so a consent
 * problem is answered 412 while Teams can still fall back to its sign-in button.
 */
import type { TokenCredential } from '@azure/identity';
import type { AdaptiveCardInvokeResponse, TurnContext } from 'botbuilder';
import { type BotError, isBotError } from '../errors';
import type { Services } from '../services';
import type { Requester } from '../state/changes';
import { cardResponse, preconditionFailed } from '../teams/invokeResponses';
import { setOutcome } from '../teams/outcome';
import { cardForError } from './respond';

/** The clicker's credential (accepted from the action's token if it carries one), or the answer that ends the turn. */
export async function credentialForAction(
  context: TurnContext,
  services: Services,
  actor: Requester,
  authentication: unknown,
): Promise<{ credential?: TokenCredential } | { answer: AdaptiveCardInvokeResponse }> {
  const auth = authentication as { token?: unknown } | undefined;
  if (auth?.token === undefined) return { credential: services.sso.credentialFor(actor) };
  try {
    return { credential: (await services.sso.accept(auth.token, { oid: actor.oid, tid: actor.tid })).credential };
  } catch (err) {
    if (isBotError(err, 'personal_account') || isBotError(err, 'tenant_not_allowed')) {
      setOutcome(context, `sso-refused:${err.code}`);
      return { answer: cardResponse(cardForError(err)) };
    }
    setOutcome(context, `sso-failed:${(err as BotError).code ?? 'error'}`);
    if (!isBotError(err)) throw err;
    return { answer: preconditionFailed(err.message) };
  }
}
