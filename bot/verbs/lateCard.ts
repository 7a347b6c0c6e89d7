/**
 * Teams drops invokes that take ~15 s: a verb whose work may run longer answers within the invoke
 * budget and replaces the card once the outcome is known.
 */
import { type ConversationReference, TurnContext } from 'botbuilder';
import type { Services } from '../services';
import { turnAnswered } from '../teams/turnDone';
import type { Outcome, VerbInput } from './verb';

/** `work`'s result, or 'slow' once the invoke budget has passed. */
export async function withinInvokeBudget<T>(services: Services, work: Promise<T>): Promise<T | 'slow'> {
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), services.invokeBudgetMs);
  });
  const first = await Promise.race([work, slow]);
  clearTimeout(timer);
  return first;
}

/**
 * Replaces the card `cardActivityId` with `work`'s card once both are ready: the outcome, and this
 * turn's own answer (`answered` on the Action.Submit path, the turn's end on the invoke path) — or
 * the "updating…" card would land on top of the result. Tracked, so a SIGTERM waits for the PATCH
 * to be recorded, announced and shown.
 */
export function replaceCardLater(
  context: TurnContext,
  services: Services,
  work: Promise<Outcome>,
  { answered, cardActivityId, uploadId }: Pick<VerbInput, 'answered'> & { cardActivityId?: string; uploadId: string },
): void {
  const reference: Partial<ConversationReference> = TurnContext.getConversationReference(context.activity);
  void services.track(
    Promise.all([work, answered ?? turnAnswered(context)]).then(async ([outcome]) => {
      if (outcome.kind !== 'card') return;
      await services.continueConversation(reference, async (ctx) => {
        if (cardActivityId) await ctx.updateActivity({ id: cardActivityId, type: 'message', attachments: [outcome.card] });
      });
    }).catch((err) => services.log.error({ err, uploadId }, 'late card update failed')),
    `late card update (upload ${uploadId})`,
  );
}
