/**
 * Teams' documented send failures (test/fixtures/real-cloud/SOURCE.md), answered by the Teams
 * stand-in's Connector API: 403 BotDisabledByAdmin / ConversationBlockedByUser /
 * MessageWritesBlocked (its own body shape) suspend a channel — kept, listed with why, not sent
 * to — until someone there talks to the bot; 403 BotNotInConversationRoster and 404
 * ConversationNotFound prune it until the next install; 500 is dead-lettered after one request.
 */
import { CONNECTOR_ERRORS } from '../../../sandbox/teams';
import type { World } from '../../support/world';
import { cardText, CONTOSO, notificationPosts, SEED, startNotificationWorld, subscribeChannels, until } from '../notifications/helpers';

jest.setTimeout(90_000);

let w: World;
beforeEach(async () => {
  w = await startNotificationWorld({ notifications: { worker: { maxAttempts: 3 } } });
});
afterEach(async () => {
  await w.close();
});

const notifications = () => w.bot.services.notifications;
const announce = (status: 'complete' | 'error' = 'complete') =>
  notifications().announce({ tenantId: CONTOSO, uploadId: SEED.pending, status, previousStatus: 'pending', by: 'Alex Wilber', at: Date.now(), where: 'personal chat', source: 'bot' });
const postsTo = (channelId: string) => notificationPosts(w.teams).filter((s) => s.conversationId.split(';')[0] === channelId);
const callsTo = (channelId: string) => w.teams.calls().filter((c) => c.conversationId?.split(';')[0] === channelId && c.operation !== undefined && /send|reply|create/i.test(c.operation));
const channelRecord = async (teamId: string, channelId: string) => (await notifications().registry.team(teamId))!.channels[channelId]!;

it('the blocked answers suspend; a message in the channel resumes it; roster / not-found prune until the next install; 500 is not retried', async () => {
  const team = w.teams.team('Failures', { botInstalled: false });
  await team.installBot('alex');
  const [disabled, writes, blocked, roster, gone, broken] = await subscribeChannels(w, team, 6);
  w.teams.faults.next(1, { status: 403, code: 'BotDisabledByAdmin', message: 'The tenant admin disabled this bot' }, { conversationId: disabled });
  w.teams.faults.next(1, { status: 403, body: CONNECTOR_ERRORS.messageWritesBlocked().body }, { conversationId: writes });
  w.teams.faults.next(1, { status: 403, code: 'ConversationBlockedByUser', message: 'User blocked the conversation with the bot.' }, { conversationId: blocked });
  w.teams.faults.next(1, { status: 403 }, { conversationId: roster }); // Teams' default 403: BotNotInConversationRoster
  w.teams.faults.next(1, { status: 404 }, { conversationId: gone }); // ConversationNotFound
  w.teams.faults.next(1, { status: 500 }, { conversationId: broken });

  await announce();
  await until(async () => postsTo(team.id).length === 1 && (await notifications().deadLetters()).length === 1 && (await notifications().outbox.depth()) === 0, 'the fan-out settled');
  expect(w.teams.faults.pending()).toBe(0);
  expect(notifications().stats).toMatchObject({ delivered: 1, suspended: 3, pruned: 2, deadLettered: 1, retried: 0 });

  // Suspended: kept (still subscribed), with why; not targets.
  for (const [id, code] of [[disabled, 'BotDisabledByAdmin'], [writes, 'MessageWritesBlocked'], [blocked, 'ConversationBlockedByUser']] as const) {
    expect(await channelRecord(team.id, id)).toMatchObject({ subscribed: true, suspended: { code, reason: expect.stringContaining(`403 ${code}`) } });
  }
  expect((await channelRecord(team.id, writes)).suspended!.reason).toContain('Thread is blocked from message writes.');
  // Pruned: no longer following.
  expect(await channelRecord(team.id, roster)).toMatchObject({ subscribed: false });
  expect(await channelRecord(team.id, gone)).toMatchObject({ subscribed: false });
  // 500: one request, never retried, dead-lettered with the reason.
  expect(callsTo(broken)).toHaveLength(1);
  const [letter] = await notifications().deadLetters();
  expect(letter!.reason).toMatch(/^Teams refused the card: 500 ServiceError/);
  expect((await notifications().registry.targets(CONTOSO)).map((t) => t.channelId).sort()).toEqual([team.id, broken].sort());

  // `subscriptions` (in General: no interaction in the suspended channels) lists why.
  const listed = cardText((await team.channel('General').as('alex').send('subscriptions')).replies.at(-1));
  expect(listed).toContain('Paused: ch-0000');
  expect(listed).toContain('BotDisabledByAdmin');
  expect(listed).toContain('Paused: ch-0001');
  expect(listed).toContain('MessageWritesBlocked');
  expect(listed).toContain('Removed: ch-0003');
  expect(listed).toContain('BotNotInConversationRoster');
  expect(listed).toContain('Removed: ch-0004');
  expect(listed).toContain('ConversationNotFound');
  expect(listed).toContain('Not delivered: ch-0005');

  // Someone in the disabled channel talks to the bot: it follows changes again (the others stay paused).
  await team.channel('ch-0000').as('adele').send('help');
  expect((await channelRecord(team.id, disabled)).suspended).toBeUndefined();
  expect((await channelRecord(team.id, writes)).suspended).toBeDefined();
  expect(w.logs()).toContain('suspended channels resumed');
  const sentBefore = notificationPosts(w.teams).length;
  await announce('error');
  await until(async () => notificationPosts(w.teams).length === sentBefore + 3 && (await notifications().outbox.depth()) === 0, 'a fan-out after the resume');
  expect(postsTo(disabled)).toHaveLength(1);
  expect(postsTo(writes)).toHaveLength(0);
  expect(postsTo(blocked)).toHaveLength(0);

  // The bot is added to the team again: the pruned channels follow changes again.
  await team.installBot('alex');
  expect(await channelRecord(team.id, roster)).toMatchObject({ subscribed: true });
  expect(await channelRecord(team.id, gone)).toMatchObject({ subscribed: true });

  // An install is someone in the team acting: it lifts the remaining suspensions too.
  expect((await channelRecord(team.id, writes)).suspended).toBeUndefined();

  const before = new Map([team.id, disabled, writes, blocked, roster, gone, broken].map((id) => [id, postsTo(id).length]));
  await announce('error');
  await until(async () => notificationPosts(w.teams).length === [...before.values()].reduce((a, b) => a + b, 0) + 7 && (await notifications().outbox.depth()) === 0, 'the second fan-out');
  for (const [id, n] of before) expect(postsTo(id)).toHaveLength(n + 1);
});

it('412, 502, 503 and 504 are retried (each retry one request, counted); the card then arrives once', async () => {
  const team = w.teams.team('Transient');
  const ids = await subscribeChannels(w, team, 4);
  [412, 502, 503, 504].forEach((status, i) => w.teams.faults.next(1, { status }, { conversationId: ids[i] }));
  await announce();
  await until(async () => ids.every((id) => postsTo(id).length === 1) && (await notifications().outbox.depth()) === 0, 'every channel served');
  expect(notifications().stats).toMatchObject({ retried: 4, deadLettered: 0, suspended: 0, pruned: 0 });
  for (const id of ids) expect(callsTo(id)).toHaveLength(2);
});
