/**
 * Message-level SSO: Teams answers our OAuthCard with `signin/tokenExchange`, once per
 * signed-in endpoint. The parked command is claimed first, so duplicates (on any instance)
 * cost no validation, no OBO and no second reply.
 *
 * The invoke answers within its budget (services.tokenExchangeBudgetMs): validation and the
 * OBO exchange happen inside it (their failures decide between 200 and 412); the parked command
 * itself (Graph GET, storage, the confirmation card) runs as its own proactive turn. If that is
 * done within the budget the invoke answers after it; otherwise it answers 200 and the command
 * finishes in the background, tracked by the shutdown drain — Teams drops invokes at ~15 s.
 */
import { type InvokeResponse, TurnContext } from 'botbuilder';
import { isBotError } from '../errors';
import type { Services } from '../services';
import { actorOf } from '../teams/activity';
import { setOutcome } from '../teams/outcome';
import { runGraphCommand, needsGraph } from './commands';
import { cardForError, sendCard } from './respond';
import { invalidInvoke, ok, tokenExchangeFailed } from '../teams/invokeResponses';

interface TokenExchangeValue {
  id?: unknown;
  connectionName?: unknown;
  token?: unknown;
}

export async function handleTokenExchange(context: TurnContext, services: Services): Promise<InvokeResponse> {
  const started = services.clock();
  const value = (context.activity.value ?? {}) as TokenExchangeValue;
  const actor = actorOf(context.activity);
  if (!actor || typeof value.id !== 'string' || typeof value.token !== 'string') {
    setOutcome(context, 'invalid:token-exchange');
    return invalidInvoke('signin/tokenExchange needs from.aadObjectId, value.id and value.token.');
  }
  const failed = (failureDetail: string): InvokeResponse => tokenExchangeFailed(value, failureDetail);

  const claim = await services.parked.claim(value.id, actor);
  if (claim.outcome === 'duplicate') {
    setOutcome(context, 'sso-duplicate');
    return ok();
  }
  if (claim.outcome === 'unknown') {
    setOutcome(context, 'sso-unknown-exchange');
    return failed('This sign-in request is unknown or expired. Type your command again.');
  }

  try {
    const { credential } = await services.sso.accept(value.token, { oid: actor.oid, tid: actor.tid });
    const command = claim.parked.command;
    let outcome = 'sso-exchanged';
    if (needsGraph(command)) {
      const reference = TurnContext.getConversationReference(context.activity);
      const work = services
        .track(services.continueConversation(reference, (ctx) => runGraphCommand(ctx, services, command, actor, credential)), `command after sign-in (${command.kind})`)
        .then(() => 'done' as const, (err) => void services.log.error({ err }, 'command after sign-in failed'));
      const left = Math.max(0, services.tokenExchangeBudgetMs - (services.clock() - started));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), left)));
      if ((await Promise.race([work, late])) === 'late') outcome = 'sso-exchanged:command-continues';
      clearTimeout(timer);
    }
    setOutcome(context, outcome);
    return ok();
  } catch (err) {
    if (!isBotError(err)) throw err;
    if (err.code === 'personal_account' || err.code === 'tenant_not_allowed') {
      // Signing in again cannot help: say why instead of showing a sign-in button.
      await sendCard(context, cardForError(err));
      setOutcome(context, `sso-refused:${err.code}`);
      return ok();
    }
    await services.parked.fail(value.id);
    setOutcome(context, `sso-failed:${err.code}`);
    return failed(err.message);
  }
}
