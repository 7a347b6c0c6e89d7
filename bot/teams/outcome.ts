/**
 * How a turn ended, in one word for the turn log line ("applied", "sso-requested", "invalid:form").
 * Handlers record it; the router reads it. Its own module, so handlers need not import the router.
 */
import type { TurnContext } from 'botbuilder';

const OUTCOME = Symbol('outcome');

export const setOutcome = (context: TurnContext, outcome: string): void => {
  context.turnState.set(OUTCOME, outcome);
};

export const outcomeOf = (context: TurnContext): string | undefined => context.turnState.get(OUTCOME) as string | undefined;
