/**
 * Notifications that cannot be delivered: retries run out (429 after 429) or Teams refuses the
 * card outright (400) → the dead-letter queue, the logs, and the team's `subscriptions` card.
 * Runs on the in-memory outbox (no storage configured), which also checks its start-up warning.
 */
import type { World } from '../../support/world';
import { cardText, CONTOSO, notificationPosts, SEED, startNotificationWorld, subscribeChannels, until } from './helpers';

jest.setTimeout(60_000);

let w: World;
beforeEach(async () => {
  w = await startNotificationWorld({ notifications: { worker: { maxAttempts: 2 } } });
});
afterEach(async () => {
  await w.close();
});

const notifications = () => w.bot.services.notifications;

it('warns that the in-memory outbox is not durable', () => {
  expect(notifications().outbox.durable).toBe(false);
  expect(w.logs()).toContain('Notification outbox is in memory');
});

it('after maxAttempts failed sends the job is dead-lettered, logged, and reported by `subscriptions`', async () => {
  const team = w.teams.team('Dead letters');
  const [stuck, fine] = await subscribeChannels(w, team, 2);
  // The worker owns retries (botbuilder's own pipeline retries are taken out of notification
  // sends): two attempts are two requests, so two refusals use the budget up.
  w.teams.faults.next(2, { status: 429, retryAfterSeconds: 1 }, { conversationId: stuck });
  w.teams.faults.next(1, { status: 400 }, { conversationId: fine });

  await notifications().announce({ tenantId: CONTOSO, uploadId: SEED.complete, status: 'error', previousStatus: 'complete', by: 'Megan Bowen', at: Date.now(), where: 'group chat', source: 'bot' });
  await until(async () => (await notifications().deadLetters()).length === 2, 'two dead letters', 45_000);

  expect(notificationPosts(w.teams)).toEqual([]);
  const letters = await notifications().deadLetters();
  const byChannel = new Map(letters.map((l) => [l.job.kind === 'deliver' ? l.job.target.channelId : '', l]));
  expect(byChannel.get(stuck)!.reason).toMatch(/^gave up after 2 attempts; last: 429 Throttled/);
  expect(byChannel.get(fine)!.reason).toMatch(/^Teams refused the card: 400 BadArgument/);
  expect(w.teams.faults.pending()).toBe(0);
  expect(w.teams.calls().filter((c) => c.conversationId?.split(';')[0] === stuck && c.injected)).toHaveLength(2);
  expect(w.logs().match(/notification dead-lettered/g)).toHaveLength(2);
  // Dead letters do not prune: the channels still follow changes.
  expect((await notifications().registry.targets(CONTOSO)).map((t) => t.channelId).sort()).toEqual([stuck, fine].sort());

  const listed = await team.channel('ch-0000').as('alex').send('subscriptions');
  const text = cardText(listed.replies.at(-1));
  expect(text).toContain('Not delivered: ch-0000');
  expect(text).toContain(`upload ${SEED.complete}: gave up after 2 attempts`);
  expect(text).toContain('Not delivered: ch-0001');
});
