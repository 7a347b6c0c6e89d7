/**
 * The router: which handler runs for which Teams activity. Handlers live one per file in
 * bot/handlers; this class only dispatches and keeps the one-line-per-turn log.
 */
import {
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type InvokeResponse,
  TeamsActivityHandler,
  type TurnContext,
} from 'botbuilder';
import { handleCardAction } from '../handlers/cardAction';
import { handleMessage } from '../handlers/message';
import { handleTokenExchange } from '../handlers/tokenExchange';
import { handleVerifyState } from '../handlers/verifyState';
import type { Services } from '../services';

export interface TurnRunner {
  run(context: TurnContext): Promise<void>;
}

/** Handlers record how a turn ended here; the turn log line reports it. */
export const OUTCOME = Symbol('outcome');
export const setOutcome = (context: TurnContext, outcome: string): void => {
  context.turnState.set(OUTCOME, outcome);
};

export class UploadsBot extends TeamsActivityHandler {
  constructor(private readonly services: Services) {
    super();
    this.onMessage(async (context, next) => {
      await handleMessage(context, this.services);
      await next();
    });
  }

  override async run(context: TurnContext): Promise<void> {
    const started = Date.now();
    let outcome = 'ok';
    try {
      await super.run(context);
      outcome = context.turnState.get(OUTCOME) ?? 'ok';
    } catch (err) {
      outcome = 'error';
      throw err;
    } finally {
      const a = context.activity;
      this.services.log.info(
        {
          conversation: a.conversation?.id,
          conversationType: a.conversation?.conversationType ?? 'personal',
          activityType: a.type,
          name: a.name,
          outcome,
          durationMs: Date.now() - started,
        },
        'turn',
      );
    }
  }

  protected override async onAdaptiveCardInvoke(context: TurnContext, value: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    return handleCardAction(context, value, this.services);
  }

  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    switch (context.activity.name) {
      case 'signin/tokenExchange':
        return handleTokenExchange(context, this.services);
      case 'signin/verifyState':
        return handleVerifyState(context, this.services);
      default:
        return super.onInvokeActivity(context);
    }
  }
}
