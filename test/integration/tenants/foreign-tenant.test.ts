/**
 * A tenant the bot does not allow (Fabrikam; ALLOWED_TENANTS defaults to Contoso), through the
 * Teams stand-in's signed activities: installing there registers nothing and welcomes no one;
 * changes at home are never posted there; its users' messages and invokes get one short refusal,
 * with no OBO exchange and no Graph call; an activity naming no tenant is refused the same way.
 */
import { TENANTS } from '../../../sandbox/directory';
import type { World } from '../../support/world';
import { cardText, CONTOSO, notificationPosts, SEED, startNotificationWorld, until, USERS } from '../notifications/helpers';

jest.setTimeout(60_000);

let w: World;
beforeEach(async () => {
  w = await startNotificationWorld();
});
afterEach(async () => {
  await w.close();
});

const registry = () => w.bot.services.notifications.registry;
const turnLines = () =>
  w.logs().split('\n').filter((l) => l.includes('"msg":"turn"')).map((l) => JSON.parse(l) as { activityType: string; name?: string; outcome: string; tenantId: string | null });
const nothingAskedOfEntraOrGraph = () => {
  expect(w.entra.stats().oboCalls).toBe(0);
  expect(w.entra.stats().tokenErrors).toEqual([]);
  expect(w.graph.requests()).toEqual([]);
};

it('the sandbox puts Lee in Fabrikam, which the bot does not allow', () => {
  expect(USERS.lee.tid).toBe(TENANTS.fabrikam.id);
  expect(w.bot.services.config.sso.allowedTenants).toEqual([CONTOSO]);
});

it('installing in a Fabrikam team registers nothing and posts no welcome; a change at home is not posted there', async () => {
  const foreign = w.teams.team('Fabrikam IT', { members: ['lee'], botInstalled: false });
  const home = w.teams.team('Contoso IT', { botInstalled: false });
  const deliveries = await foreign.installBot('lee');
  // Answered (Teams would retry an error) but not acted on.
  expect(deliveries.map((d) => d.status)).toEqual([200, 200]);
  expect(await registry().team(foreign.id)).toBeUndefined();
  expect(await registry().targets(TENANTS.fabrikam.id)).toEqual([]);
  expect(w.teams.sent(foreign.id)).toEqual([]);
  expect(turnLines().filter((l) => l.tenantId === TENANTS.fabrikam.id).map((l) => l.outcome)).toEqual(['install-refused', 'install-refused']);
  expect(w.logs()).toMatch(/"level":"warn".*activity from a tenant the bot does not allow: refused/);

  await home.installBot('alex');
  await w.bot.services.notifications.announce({ tenantId: CONTOSO, uploadId: SEED.pending, status: 'complete', previousStatus: 'pending', by: 'Alex Wilber', at: Date.now(), where: 'personal chat', source: 'bot' });
  await until(() => notificationPosts(w.teams).length === 1, 'the home notification');
  await new Promise((r) => setTimeout(r, 500));
  expect(notificationPosts(w.teams).map((s) => s.conversationId.split(';')[0])).toEqual([home.id]);
  expect(w.teams.sent(foreign.id)).toEqual([]);
});

it('a Fabrikam user\'s "set upload" gets one refusal: no sign-in card, no OBO, no Graph call', async () => {
  const chat = w.teams.personalChat('lee');
  const turn = await chat.send(`set upload ${SEED.fabrikam} to complete`);
  expect(turn.status).toBe(200);
  expect(turn.replies).toHaveLength(1);
  expect(cardText(turn.replies[0])).toContain('Organization not allowed');
  expect(JSON.stringify(turn.replies[0])).not.toContain('oauth');
  expect(turn.invokes).toEqual([]);
  expect(turn.signInShown).toBe(false);
  nothingAskedOfEntraOrGraph();
  expect(turnLines().at(-1)).toMatchObject({ activityType: 'message', outcome: 'tenant-refused', tenantId: TENANTS.fabrikam.id });
});

it('a Fabrikam user in a Fabrikam channel is refused too', async () => {
  const channel = w.teams.team('Fabrikam Ops', { members: ['lee'] }).channel('General').as('lee');
  const turn = await channel.send(`set upload ${SEED.fabrikam} to complete`);
  expect(turn.replies).toHaveLength(1);
  expect(cardText(turn.replies[0])).toContain('Organization not allowed');
  expect(turn.invokes).toEqual([]);
  nothingAskedOfEntraOrGraph();
});

it('invokes from Fabrikam: Universal Actions get a 403 TenantNotAllowed body (HTTP 200), sign-in invokes a 403, even with a valid token', async () => {
  const chat = w.teams.personalChat('lee');
  const token = await w.entra.mintSsoToken('lee');
  const action = await chat.invoke('adaptiveCard/action', {
    action: { type: 'Action.Execute', verb: 'showUpload', data: { uploadId: SEED.fabrikam } },
    authentication: { id: 'x', connectionName: 'x', token },
    trigger: 'manual',
  });
  expect(action.status).toBe(200);
  expect(action.body).toEqual({
    statusCode: 403,
    type: 'application/vnd.microsoft.error',
    value: { code: 'TenantNotAllowed', message: expect.stringContaining('not on this bot\'s list of allowed tenants') },
  });
  const exchange = await chat.invoke('signin/tokenExchange', { id: 'any', connectionName: 'x', token });
  expect(exchange.status).toBe(403);
  expect(exchange.body).toMatchObject({ id: 'any', failureDetail: expect.stringContaining('allowed tenants') });
  const verify = await chat.invoke('signin/verifyState', { state: '123456' });
  expect(verify.status).toBe(403);
  expect(w.teams.sent(chat.conversationId)).toEqual([]);
  nothingAskedOfEntraOrGraph();
});

it('an activity that names no tenant is refused the same way', async () => {
  const chat = w.teams.personalChat('alex');
  const warmUp = await chat.send('help');
  const sentBefore = w.teams.sent(chat.conversationId).length;
  const { tenantId: _t, ...conversation } = warmUp.activity.conversation as unknown as Record<string, unknown>;
  const anonymous = { ...warmUp.activity, id: `${Date.now()}`, text: `show upload ${SEED.pending}`, conversation, channelData: {} } as typeof warmUp.activity;
  const answer = await w.teams.postRaw(anonymous, { auth: 'valid' });
  expect(answer.status).toBe(200);
  await w.teams.settled();
  const replies = w.teams.sent(chat.conversationId).slice(sentBefore);
  expect(replies).toHaveLength(1);
  expect(cardText(replies[0]!.activity)).toContain('Organization not allowed');
  nothingAskedOfEntraOrGraph();
  expect(turnLines().at(-1)).toMatchObject({ outcome: 'tenant-refused', tenantId: null });
});

it('registry entries of a tenant no longer allowed are never sent to: its fan-outs and deliveries are dropped', async () => {
  // A Fabrikam team registered while Fabrikam was allowed (written straight into the registry).
  const foreign = w.teams.team('Fabrikam legacy', { members: ['lee'] });
  const ref = { teamId: foreign.id, tenantId: TENANTS.fabrikam.id, serviceUrl: w.teams.serviceUrlFor(TENANTS.fabrikam.id), name: foreign.name };
  await registry().install(ref, 'Lee Gu');
  const notifications = w.bot.services.notifications;
  const notice = { tenantId: TENANTS.fabrikam.id, uploadId: SEED.fabrikam, status: 'complete' as const, previousStatus: 'pending' as const, by: 'Lee Gu', at: Date.now(), where: 'outside Teams', source: 'api' as const };
  await notifications.announce(notice);
  // A delivery already queued for that channel (e.g. before ALLOWED_TENANTS changed).
  await notifications.outbox.enqueue({
    kind: 'deliver',
    deliveryId: 'queued-before',
    notice,
    target: { tenantId: TENANTS.fabrikam.id, teamId: foreign.id, channelId: foreign.id, serviceUrl: ref.serviceUrl, channelName: 'General' },
    attempt: 0,
  });
  await until(() => notifications.stats.tenantRefused === 2, 'both jobs refused');
  await until(async () => (await notifications.outbox.depth()) === 0, 'an empty outbox');
  expect(notificationPosts(w.teams)).toEqual([]);
  expect(w.teams.sent(foreign.id)).toEqual([]);
  expect(notifications.stats.delivered).toBe(0);
  expect(w.logs()).toContain('notification fan-out dropped: its tenant is not in ALLOWED_TENANTS');
  expect(w.logs()).toContain('notification dropped: the channel\'s tenant is not allowed');
});

it('a fan-out queued before tenants were tracked (no tenantId) goes to the one allowed tenant', async () => {
  const home = w.teams.team('Contoso v1', { botInstalled: false });
  await home.installBot('alex');
  const notifications = w.bot.services.notifications;
  const legacyNotice = { uploadId: SEED.pending, status: 'complete', previousStatus: 'pending', by: 'v1 instance', at: Date.now(), where: 'personal chat', source: 'bot' };
  await notifications.outbox.enqueue({ kind: 'fanout', deliveryId: 'v1-fanout', notice: legacyNotice as never, enqueuedAt: Date.now() });
  await until(() => notificationPosts(w.teams).length === 1, 'the notification');
  expect(notificationPosts(w.teams)[0]!.conversationId.split(';')[0]).toBe(home.id);
});
