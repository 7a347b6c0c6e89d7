/**
 * Fan-out on the durable outbox (Azure Queue Storage on a private Azurite) through the Teams
 * stand-in, which enforces Teams' rate limits and injects 429/403: every subscribed channel gets
 * exactly one card per change, throttled sends are retried after Retry-After, and channels the
 * bot was removed from are pruned and reported.
 */
import type { RunningAzurite } from '../../../sandbox/azurite';
import { startAzurite } from '../../support/azurite';
import type { World } from '../../support/world';
import { RECOVERY_DELAY_SECONDS } from '../../../bot/notifications';
import { cardOf, cardText, CONTOSO, notificationPosts, postsPerChannel, SEED, startNotificationWorld, subscribeChannels, until, USERS } from './helpers';

jest.setTimeout(180_000);

let azurite: RunningAzurite;
let w: World;
let queue = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});
beforeEach(async () => {
  queue += 1;
  w = await startNotificationWorld({
    env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, STATE_CONTAINER: `fanout-${queue}-${Date.now()}`, NOTIFY_QUEUE: `fanout-${queue}-${Date.now()}` },
  });
});
afterEach(async () => {
  if (process.env.DEBUG_NOTIFY) console.log(notifications().stats, w.logs().split('\n').filter((l) => /warn|error|"level":"info"/.test(l)).slice(-15).join('\n'));
  await w.close();
});

const notifications = () => w.bot.services.notifications;
const announce = (uploadId: string = SEED.pending) =>
  notifications().announce({ tenantId: CONTOSO, uploadId, status: 'complete', previousStatus: 'pending', by: 'Adele Vance', at: Date.parse('2025-03-04T10:42:00Z'), where: 'personal chat', source: 'bot' });

it('uses the durable Azure Queue outbox', () => {
  expect(notifications().outbox.durable).toBe(true);
});

it('200 subscribed channels each receive exactly one notification for one change, within Teams\' limits', async () => {
  const teams = ['Fleet A', 'Fleet B', 'Fleet C', 'Fleet D'].map((n) => w.teams.team(n));
  const channelIds = (await Promise.all(teams.map((t, i) => subscribeChannels(w, t, 50, `t${i}`)))).flat();
  expect(channelIds).toHaveLength(200);

  await announce();
  await until(() => notificationPosts(w.teams).length >= 200 && notifications().stats.expanded === 1, '200 notifications', 90_000);
  await until(async () => (await notifications().outbox.depth()) === 0, 'an empty outbox', 30_000);

  const counts = postsPerChannel(w.teams);
  expect(counts.size).toBe(200);
  expect([...counts.keys()].sort()).toEqual([...channelIds].sort());
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
  // Paced below Teams' per-app limit (50/s): Teams counts arrivals, so on a busy machine a burst can
  // still land a few 429s (retried above, since every channel got one card); never a flood.
  expect(w.teams.rateLimitHits().length).toBeLessThan(10);

  const card = cardOf(notificationPosts(w.teams)[0].activity);
  const text = cardText(card);
  expect(text).toContain(SEED.pending);
  expect(text).toContain('Pending');
  expect(text).toContain('Complete');
  expect(text).toContain('Adele Vance');
  expect(text).toContain('personal chat');
  expect(JSON.stringify(card)).toContain('"verb":"showUpload"');
});

it('injected 429s are retried after Retry-After and each channel still gets exactly one card', async () => {
  const team = w.teams.team('Throttled');
  const ids = await subscribeChannels(w, team, 10);
  // One channel keeps answering 429 longer than botbuilder's HTTP pipeline retries (3), so the
  // outbox worker has to put it back and try again; five more 429s land on whichever sends come first.
  const stubborn = ids[3];
  w.teams.faults.next(4, { status: 429, retryAfterSeconds: 1 }, { conversationId: stubborn });
  w.teams.faults.next(5, { status: 429, retryAfterSeconds: 1 }, { operation: 'replyToActivity' });

  await announce();
  await until(() => notificationPosts(w.teams).length >= 10, '10 notifications', 60_000);
  await until(async () => (await notifications().outbox.depth()) === 0, 'an empty outbox', 60_000);

  const counts = postsPerChannel(w.teams);
  expect([...counts.keys()].sort()).toEqual([...ids].sort());
  expect([...counts.values()]).toEqual(Array(10).fill(1));
  const calls = w.teams.calls().filter((c) => c.operation === 'replyToActivity');
  const injected = calls.filter((c) => c.injected);
  expect(injected).toHaveLength(9);
  expect(injected.every((c) => c.status === 429)).toBe(true);
  expect(notifications().stats.retried).toBeGreaterThanOrEqual(1);
  expect(w.logs()).toContain('notification send failed; retrying later');
  // Retry-After honoured: after each 429, that channel was not tried again within 1 s.
  const base = (id?: string) => id?.split(';')[0];
  for (const fault of injected) {
    const next = calls.find((c) => c.seq > fault.seq && base(c.conversationId) === base(fault.conversationId));
    expect(next).toBeDefined();
    expect(next!.at.getTime() - fault.at.getTime()).toBeGreaterThanOrEqual(1000);
  }
});

it('a 403 prunes the channel, records why, and `subscriptions` reports it; the others are delivered', async () => {
  const team = w.teams.team('Pruning');
  const [gone, kept] = await subscribeChannels(w, team, 2);
  w.teams.faults.next(1, { status: 403 }, { conversationId: gone });

  await announce();
  await until(() => notificationPosts(w.teams).length >= 1 && notifications().stats.pruned === 1, 'one post and one prune', 60_000);
  await until(async () => (await notifications().outbox.depth()) === 0, 'an empty outbox');

  expect([...postsPerChannel(w.teams).keys()]).toEqual([kept]);
  const record = await notifications().registry.team(team.id);
  expect(record!.channels[gone]).toMatchObject({ subscribed: false });
  expect(record!.pruned).toEqual([
    expect.objectContaining({ channelId: gone, reason: "Teams answered 403 BotNotInConversationRoster: The bot isn't part of the conversation roster." }),
  ]);
  expect(w.logs()).toContain('channel pruned: the bot cannot post there any more');

  // The next change no longer goes there.
  await announce(SEED.error);
  await until(() => notificationPosts(w.teams).length >= 2, 'second notification', 60_000);
  expect(notificationPosts(w.teams).map((s) => s.conversationId.split(';')[0])).toEqual([kept, kept]);

  const listed = await team.channel('ch-0001').as('alex').send('subscriptions');
  const text = cardText(listed.replies.at(-1));
  expect(text).toContain('Removed: ch-0000');
  expect(text).toContain('BotNotInConversationRoster');
  expect(text).toContain('ch-0001');
});

it('a change confirmed in a personal chat reaches subscribed channels, and "Show" re-reads the upload as the clicking user', async () => {
  const team = w.teams.team('Change board', { botInstalled: false });
  await team.installBot('alex');
  const chat = w.teams.personalChat('adele');
  await chat.send(`set upload ${SEED.pending} to complete`);
  await chat.press(chat.lastCardMessage()!, 'Confirm');
  expect(w.graph.upload(SEED.pending)!.status).toBe('complete');

  const general = team.channel('General').as('diego');
  const posted = await general.waitFor((messages) => messages.find((m) => cardText(m.card).includes('Upload status changed')), 20_000);
  const text = cardText(posted.card);
  expect(text).toContain(SEED.pending);
  expect(text).toMatch(/Pending.*→.*Complete/);
  expect(text).toContain('Adele Vance');
  expect(text).toContain('personal chat');

  // Diego (Read.All consent) presses Show: card-level SSO as Diego, then Graph is read with his token.
  const shown = await general.press(posted, 'Show');
  expect(cardText(shown.card)).toContain('Upload status Complete');
  const reads = w.graph.requests().filter((r) => r.method === 'GET' && r.path.endsWith(SEED.pending));
  expect(reads.at(-1)!.oid).toBe(USERS.diego.oid);
});

it('a change whose instance stopped before announcing it is announced from the stored change, once', async () => {
  const team = w.teams.team('Recovery board', { botInstalled: false });
  await team.installBot('alex');
  // The instance that makes the change never gets to announce it (it "stops" right after the PATCH).
  // Its recovery message is queued before the PATCH as always; turning it into the announcement
  // (and the fallback of a fresh one) never happens.
  const services = w.bot.services;
  const { announce, prepare } = services.notifications;
  const stopped = async (): Promise<never> => {
    throw new Error('instance stopped');
  };
  services.notifications.announce = stopped;
  services.notifications.prepare = async (changeKey) => {
    await prepare.call(services.notifications, changeKey);
    return { announce: stopped };
  };
  try {
    const chat = w.teams.personalChat('adele');
    await chat.send(`set upload ${SEED.pending} to error`);
    await chat.press(chat.lastCardMessage()!, 'Confirm');
  } finally {
    services.notifications.announce = announce;
    services.notifications.prepare = prepare;
  }
  expect(w.graph.upload(SEED.pending)!.status).toBe('error');
  expect(notificationPosts(w.teams)).toHaveLength(0);

  // The announcement prepared before the PATCH comes due and finds the change done but unannounced.
  const general = team.channel('General').as('diego');
  const posted = await general.waitFor((messages) => messages.find((m) => cardText(m.card).includes('Upload status changed')), (RECOVERY_DELAY_SECONDS + 15) * 1000);
  expect(cardText(posted.card)).toMatch(/Pending.*→.*Error/);
  expect(cardText(posted.card)).toContain('Adele Vance');
  await until(async () => (await services.notifications.outbox.depth()) === 0, 'an empty outbox');
  expect(notificationPosts(w.teams)).toHaveLength(1);
  expect(w.logs()).toContain('change notification recovered');
}, (RECOVERY_DELAY_SECONDS + 40) * 1000);

it('a change announced twice under its one delivery id (its Confirm and the recovery job) posts once per channel', async () => {
  const team = w.teams.team('Twice announced');
  const channels = await subscribeChannels(w, team, 3);
  const notice = { tenantId: CONTOSO, uploadId: SEED.pending, status: 'complete' as const, previousStatus: 'pending' as const, by: 'Alex Wilber', at: Date.now(), where: 'personal chat', source: 'bot' as const };
  const deliveryId = '5f0c2a1e-7b3d-4e8f-9a6b-1c2d3e4f5a6b';
  await w.bot.services.notifications.announce(notice, deliveryId);
  await w.bot.services.notifications.announce(notice, deliveryId);
  await until(() => channels.every((c) => notificationPosts(w.teams, c).length >= 1), 'a post in every channel');
  await until(async () => (await w.bot.services.notifications.outbox.depth()) === 0, 'an empty outbox');
  for (const c of channels) expect(notificationPosts(w.teams, c)).toHaveLength(1);
  expect(w.logs()).toContain('a second fan-out of an announced change dropped');
});
