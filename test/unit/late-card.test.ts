/**
 * The late card update of a slow Confirm (bot/verbs/lateCard.ts) lands only after the turn's own
 * "updating…" answer is out — or that answer would overwrite the result on screen.
 */
import { Writable } from 'node:stream';
import { type Activity, TestAdapter, TurnContext } from 'botbuilder';
import { createLogger } from '../../bot/log';
import type { Services } from '../../bot/services';
import { markTurn } from '../../bot/teams/turnDone';
import { replaceCardLater, withinInvokeBudget } from '../../bot/verbs/lateCard';
import type { Outcome } from '../../bot/verbs/verb';

const activity = {
  type: 'invoke', name: 'adaptiveCard/action', channelId: 'msteams', id: 'a1', serviceUrl: 'https://smba.invalid/',
  from: { id: '29:u' }, recipient: { id: '28:bot' }, conversation: { id: 'a:personal' },
} as unknown as Activity;
const result: Outcome = { kind: 'card', card: { contentType: 'application/vnd.microsoft.card.adaptive', content: { body: 'applied' } }, outcome: 'applied' };
const later = () => new Promise((resolve) => setTimeout(resolve, 20));

function world() {
  const updates: { id?: string; content: unknown }[] = [];
  const services = {
    track: <T>(work: Promise<T>) => work,
    continueConversation: async (_reference: unknown, logic: (ctx: TurnContext) => Promise<void>) => {
      const ctx = new TurnContext(new TestAdapter(), activity);
      ctx.onUpdateActivity(async (_c, a) => void updates.push({ id: a.id, content: a.attachments?.[0]?.content }));
      await logic(ctx);
    },
    log: createLogger('error', new Writable({ write: (_c, _e, done) => done() })),
    invokeBudgetMs: 10,
  } as unknown as Services;
  return { services, updates };
}

describe('the late card update', () => {
  it('on the invoke path waits for the turn to have answered', async () => {
    const { services, updates } = world();
    const context = new TurnContext(new TestAdapter(), activity);
    const turnEnded = markTurn(context);
    replaceCardLater(context, services, Promise.resolve(result), { cardActivityId: 'card-1', uploadId: 'u1' });
    await later();
    expect(updates).toEqual([]);
    turnEnded();
    await later();
    expect(updates).toEqual([{ id: 'card-1', content: { body: 'applied' } }]);
  });

  it('on the Action.Submit path waits for its own answer (answered)', async () => {
    const { services, updates } = world();
    const context = new TurnContext(new TestAdapter(), { ...activity, type: 'message' } as Activity);
    markTurn(context)(); // the turn's end is not what counts here
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    replaceCardLater(context, services, Promise.resolve(result), { answered, cardActivityId: 'card-2', uploadId: 'u2' });
    await later();
    expect(updates).toEqual([]);
    answer();
    await later();
    expect(updates).toEqual([{ id: 'card-2', content: { body: 'applied' } }]);
  });

  it('the invoke budget: the work if it is quicker, "slow" otherwise', async () => {
    const { services } = world();
    await expect(withinInvokeBudget(services, Promise.resolve(1))).resolves.toBe(1);
    await expect(withinInvokeBudget(services, later().then(() => 2))).resolves.toBe('slow');
  });
});
