/**
 * A person has several Teams clients (desktop, web, mobile), and Teams refreshes a card again when
 * it is viewed more than a minute after its last refresh: the requester's refreshes of one channel
 * confirmation each get the requester's own view but share one Graph read per few seconds, and
 * never rewrite the stored change. Also Teams' 429 without Retry-After on a notification send.
 */
import type { InvokeRecord } from '../../../sandbox/teams';
import type { World } from '../../support/world';
import { CONTOSO, notificationPosts, startNotificationWorld, subscribeChannels, until } from '../notifications/helpers';
import { SEED, USERS, buttonTitles, cardText, keyOf, useWorld } from './helpers';
import type { Card } from '../../../sandbox/teams';

jest.setTimeout(60_000);

const ALEX_CLIENTS = ['desktop', 'web', 'mobile'];
/** bot/app.ts keeps a requester's upload read for 5 s (no option to shorten it), so tests wait that long in real time. */
const BOT_READ_CACHE_MS = 5_000;

/** GETs of this upload that reached Graph. */
function uploadReads(w: World, uploadId: string): number {
  return w.graph.requests().filter((r) => r.method === 'GET' && r.path.endsWith(`/${uploadId}`)).length;
}

/** The card each client ended up with: the last answer to its adaptiveCard/action invokes. */
function lastAnswerPerClient(invokes: InvokeRecord[]): Map<string, { statusCode?: number; type?: string; value?: Card }> {
  const answers = new Map<string, { statusCode?: number; type?: string; value?: Card }>();
  for (const i of invokes) if (i.name === 'adaptiveCard/action') answers.set(i.endpoint, i.body as { statusCode?: number; type?: string; value?: Card });
  return answers;
}

function expectRequesterViewOnEveryClient(invokes: InvokeRecord[]): void {
  const answers = lastAnswerPerClient(invokes);
  expect([...answers.keys()].sort()).toEqual([...ALEX_CLIENTS].sort());
  for (const [, answer] of answers) {
    expect(answer).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(cardText(answer.value)).toContain(`Set upload ${SEED.pending} from Pending to Complete?`);
    expect(buttonTitles(answer.value)).toEqual(['Confirm', 'Cancel']);
  }
}

describe('the requester\'s several clients', () => {
  const world = useWorld();

  it('three clients refresh a channel confirmation: each gets Alex\'s own view, Graph is read once, the stored change is not rewritten', async () => {
    const w = world();
    const channel = w.teams.team('IT Admins').channel('Autopilot');
    const alex = channel.as('alex', { clients: ALEX_CLIENTS });
    const adele = channel.as('adele', { clients: ['desktop', 'mobile'] });
    const changes = w.bot.services.changes;
    const updated = jest.spyOn(changes, 'update');

    const asked = await alex.send(`set upload ${SEED.pending} to complete`);
    expect(asked.status).toBe(200);
    // Every client of Alex's refreshed the card itself (each with its own card-level SSO round trip).
    const refreshes = asked.invokes.filter((i) => i.reason === 'refresh');
    expect(refreshes.map((i) => [i.user, i.endpoint]).sort()).toEqual(ALEX_CLIENTS.map((c) => ['alex', c]).sort());
    expectRequesterViewOnEveryClient(asked.invokes);
    expect(uploadReads(w, SEED.pending)).toBe(1);

    const message = alex.lastCardMessage()!;
    expect(message.userSpecific).toBe(true);
    expect(buttonTitles(message.card)).toEqual(['Confirm', 'Cancel']);
    // Adele is not named by refresh.userIds: none of her clients refreshes, she keeps the shared card.
    expect(message.sharedCard!.refresh.userIds).toEqual([USERS.alex.teamsId]);
    await adele.view();
    expect(adele.message(message.id)!.userSpecific).toBe(false);
    expect(buttonTitles(adele.message(message.id)!.card)).not.toContain('Confirm');
    expect(w.teams.invokes().filter((i) => i.user === 'adele')).toEqual([]);
    // Her "Refresh" from the options menu gets the shared view, and costs no read.
    const adeleRefresh = await adele.refresh(message);
    expect(buttonTitles((adeleRefresh.invokes.at(-1)!.body as { value: Card }).value)).not.toContain('Confirm');

    // Reopened a minute later (on the clients' clock) but within the bot's few seconds: all three
    // refresh again, from the cached read.
    const mark = w.teams.invokes().length;
    await alex.reopen({ afterMs: 60_000 });
    const again = w.teams.invokes().slice(mark);
    expect(again.filter((i) => i.reason === 'refresh').map((i) => i.endpoint).sort()).toEqual([...ALEX_CLIENTS].sort());
    expectRequesterViewOnEveryClient(again);
    expect(uploadReads(w, SEED.pending)).toBe(1);

    // The only write is the `set upload` turn's own (the posted card's id); none for any refresh,
    // so the stored change is exactly what that write left.
    expect(updated.mock.calls.map(([, patch]) => Object.keys(patch))).toEqual([['cardActivityId']]);
    const recorded = (await updated.mock.results[0]!.value) as { eTag: string };
    expect((await changes.load(keyOf(message.sharedCard)))!.eTag).toBe(recorded.eTag);
    expect(w.graph.patchCount(SEED.pending)).toBe(0);
  });

  it('reopening the chat refreshes again only after a minute; past the bot\'s cache that is one more Graph read for all clients', async () => {
    const w = world();
    const channel = w.teams.team('IT Admins').channel('Autopilot');
    const alex = channel.as('alex', { clients: ALEX_CLIENTS });
    await alex.send(`set upload ${SEED.pending} to complete`);
    const message = alex.lastCardMessage()!;
    expect(uploadReads(w, SEED.pending)).toBe(1);

    // Back after half a minute: Teams does not refresh yet.
    let mark = w.teams.invokes().length;
    await alex.reopen({ afterMs: 30_000 });
    expect(w.teams.invokes().slice(mark)).toEqual([]);

    // The bot's cached read lapses (5 s, real time: its TTL has no option), and the chat is
    // reopened a minute after the last refresh: three refreshes, one new read between them.
    await new Promise((resolve) => setTimeout(resolve, BOT_READ_CACHE_MS + 200));
    const before = (await w.bot.services.changes.load(keyOf(message.sharedCard)))!.eTag;
    mark = w.teams.invokes().length;
    await alex.reopen({ afterMs: 30_000 });
    const again = w.teams.invokes().slice(mark);
    expect(again.filter((i) => i.reason === 'refresh').map((i) => i.endpoint).sort()).toEqual([...ALEX_CLIENTS].sort());
    expectRequesterViewOnEveryClient(again);
    expect(uploadReads(w, SEED.pending)).toBe(2);
    expect((await w.bot.services.changes.load(keyOf(message.sharedCard)))!.eTag).toBe(before);
    expect(buttonTitles(alex.message(message.id)!.card)).toEqual(['Confirm', 'Cancel']);
  });
});

describe('Teams answering 429 without Retry-After to a notification send', () => {
  let w: World;
  beforeEach(async () => {
    w = await startNotificationWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  it('the outbox backs off on its own and the card is delivered once', async () => {
    const team = w.teams.team('No Retry-After');
    const [channelId] = await subscribeChannels(w, team, 1);
    w.teams.faults.next(1, { status: 429, retryAfterSeconds: null }, { conversationId: channelId, operation: 'replyToActivity' });

    const notifications = w.bot.services.notifications;
    await notifications.announce({ tenantId: CONTOSO, uploadId: SEED.pending, status: 'complete', previousStatus: 'pending', by: 'Adele Vance', at: Date.now(), where: 'personal chat', source: 'bot' });
    await until(() => notificationPosts(w.teams, channelId).length >= 1, 'the notification', 30_000);
    await until(async () => (await notifications.outbox.depth()) === 0, 'an empty outbox', 30_000);

    expect(notificationPosts(w.teams, channelId)).toHaveLength(1);
    const calls = w.teams.calls().filter((c) => c.operation === 'replyToActivity' && c.conversationId?.split(';')[0] === channelId);
    expect(calls.map((c) => [c.status, Boolean(c.injected)])).toEqual([
      [429, true],
      [200, false],
    ]);
    expect(notifications.stats.retried).toBe(1);
    // Teams named no time, so the delay is the worker's own back-off (under the 1 s a Retry-After: 1 would force).
    const retry = w.logs().split('\n').find((l) => l.includes('notification send failed; retrying later'));
    expect(retry).toBeDefined();
    const { status, retryInMs } = JSON.parse(retry!) as { status: number; retryInMs: number };
    expect(status).toBe(429);
    expect(retryInMs).toBeGreaterThan(0);
    expect(retryInMs).toBeLessThan(1_000);
    expect(calls[1]!.at.getTime() - calls[0]!.at.getTime()).toBeGreaterThanOrEqual(retryInMs);
  });
});
