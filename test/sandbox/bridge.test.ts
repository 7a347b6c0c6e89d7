/**
 * The Playground bridge between a fake Playground (its Connector, on loopback) and the real bot in
 * production auth mode: signed delivery, relaying the bot's calls, both SSO paths, and refresh.
 * The activities the fake Playground sends have the shape the real Agents Playground 0.2.28 sends.
 */
import net from 'node:net';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import crypto from 'node:crypto';
import { createApp, type BotApp } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/log';
import { startBridge, type Bridge, type BridgeEvent } from '../../sandbox/bridge';
import { ensureCerts } from '../../sandbox/certs';
import { BOT_APP, SSO_APP, USERS, type UserKey } from '../../sandbox/directory';
import { startEntra, type EntraStandIn } from '../../sandbox/entra';
import { SEED, startGraph, type GraphStandIn } from '../../sandbox/graph';
import { httpCall } from '../../sandbox/teams/httpClient';
import { Writable } from 'node:stream';

const certs = ensureCerts();
const envLocal = parseEnv(fs.readFileSync(path.join(__dirname, '../../env/.env.local'), 'utf8')) as Record<string, string>;
const BOT = { id: `28:${BOT_APP.id}`, name: 'Autopilot Uploads' };
const TENANT = USERS.alex.tid;
const CHANNEL = '19:bridge-test-channel@thread.tacv2';
const ADAPTIVE = 'application/vnd.microsoft.card.adaptive';
const OAUTH = 'application/vnd.microsoft.card.oauth';

interface Received {
  method: string;
  path: string;
  body: any;
  authorization?: string;
  /** The message id the fake Playground gave a post. */
  answerId?: string;
}

/** The Playground's side: its Connector under /_connector, recording what the bridge relays. */
async function startFakePlayground(): Promise<{ serviceUrl: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  let next = 1000;
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = text ? JSON.parse(text) : undefined;
      const id = String(++next);
      received.push({ method: req.method ?? '', path: decodeURIComponent(req.url ?? ''), body, authorization: req.headers.authorization, answerId: id });
      const answer = req.url === '/_connector/v3/conversations' ? { id: `${body.channelData?.channel?.id};messageid=${id}`, activityId: id } : { id };
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    serviceUrl: `http://127.0.0.1:${port}/_connector`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe('Playground bridge with the real bot', () => {
  let entra: EntraStandIn;
  let graph: GraphStandIn;
  let playground: Awaited<ReturnType<typeof startFakePlayground>>;
  let bridge: Bridge;
  let bot: BotApp;

  async function start(viewer: UserKey): Promise<void> {
    playground = await startFakePlayground();
    bridge = await startBridge({ certs, port: 0, entra, botAppId: BOT_APP.id, ssoAppIdUri: SSO_APP.appIdUri, viewer, playgroundServiceUrl: playground.serviceUrl });
    const port = await freePort();
    const config = loadConfig({
      ...envLocal,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ToBotFromChannelOpenIdMetadataUrl: bridge.openIdMetadataUrl,
      ToBotFromEmulatorOpenIdMetadataUrl: bridge.openIdMetadataUrl,
      OAuthUrl: bridge.url,
      ToChannelFromBotLoginUrl: `${entra.url}/botframework.com`,
      AAD_APP_OAUTH_AUTHORITY_HOST: entra.url,
      GRAPH_BASE_URL: graph.url,
      AZURE_STORAGE_CONNECTION_STRING: '',
      LOG_LEVEL: 'warn',
    });
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    bot = createApp(config, { logger: createLogger('warn', quiet) });
    bridge.setBotEndpoint(`${await bot.listen(port, '127.0.0.1')}/api/messages`);
  }

  beforeAll(async () => {
    entra = await startEntra({ certs, port: 0 });
    graph = await startGraph({ certs, entraUrl: entra.url, port: 0 });
  });
  afterAll(async () => {
    await graph.close();
    await entra.close();
  });
  afterEach(async () => {
    await bridge.settled();
    expect(bridge.backgroundErrors()).toEqual([]);
    await bridge.close();
    await bot.close();
    await playground.close();
    graph.reset();
  });

  /** An activity as the Agents Playground posts it to its BOT_ENDPOINT. */
  function fromPlayground(user: UserKey, conversation: { id: string; type: 'personal' | 'channel' | 'groupChat' }, extra: Record<string, unknown>) {
    const u = USERS[user];
    return {
      id: crypto.randomUUID(),
      timestamp: new Date().toISOString(),
      channelId: 'msteams',
      serviceUrl: playground.serviceUrl,
      from: { id: u.teamsId, name: u.name, aadObjectId: u.oid },
      conversation: {
        conversationType: conversation.type,
        tenantId: TENANT,
        id: conversation.id,
        ...(conversation.type === 'personal' ? {} : { isGroup: true }),
      },
      recipient: BOT,
      locale: 'en-US',
      entities: [{ type: 'clientInfo', locale: 'en-US', platform: 'Web' }],
      channelData: {
        tenant: { id: TENANT },
        ...(conversation.type === 'channel' ? { team: { id: '19:bridge-test-team@thread.tacv2' }, channel: { id: CHANNEL } } : {}),
      },
      ...extra,
    };
  }

  async function post(activity: Record<string, unknown>) {
    const answer = await httpCall(bridge.messagesUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(activity),
      ca: certs.ca,
      timeoutMs: 20_000,
    });
    await bridge.settled();
    return answer;
  }

  const personal = (user: UserKey) => ({ id: `a:1bridge-test-${user}`, type: 'personal' as const });
  const say = (user: UserKey, text: string) => post(fromPlayground(user, personal(user), { type: 'message', text, textFormat: 'plain' }));
  const cardsRelayed = () =>
    playground.received.filter((r) => r.body?.attachments?.some((a: any) => a.contentType === ADAPTIVE)).map((r) => ({ ...r, card: r.body.attachments[0].content }));
  const delivered = (reason: string) => bridge.events().filter((e): e is Extract<BridgeEvent, { kind: 'delivered' }> => e.kind === 'delivered' && e.reason === reason);
  const actionsOf = (card: any): any[] => JSON.stringify(card).match(/"title":"[^"]+"/g) ?? [];

  it('signs what the Playground sends, relays the bot’s replies without the bot’s token, and refuses unsigned Connector calls', async () => {
    await start('alex');
    const answer = await say('alex', 'help');
    expect(answer.status).toBe(200);
    const replies = playground.received.filter((r) => r.method === 'POST');
    expect(replies.length).toBeGreaterThan(0);
    expect(replies[0].path).toContain(`/_connector/v3/conversations/${personal('alex').id}/activities`);
    // The bot's token is for the Bot Connector: the Playground never sees it (it would take it to token.botframework.com).
    expect(replies.every((r) => r.authorization === undefined)).toBe(true);
    // The bot answered through the bridge's serviceUrl, which it got from the signed activity.
    expect(delivered('playground')[0]).toMatchObject({ activityType: 'message', status: 200 });

    const unsigned = await httpCall(`${bridge.serviceUrlFor(TENANT)}v3/conversations/${encodeURIComponent(personal('alex').id)}/activities`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'forged' }),
      ca: certs.ca,
    });
    expect(unsigned.status).toBe(401);
    expect(playground.received.some((r) => r.body?.text === 'forged')).toBe(false);
  });

  it('message-level SSO in a personal chat: the OAuthCard is exchanged silently and never shown', async () => {
    await start('alex');
    await say('alex', `set upload ${SEED.pending} to complete`);
    const exchanges = delivered('token-exchange');
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]).toMatchObject({ name: 'signin/tokenExchange', status: 200 });
    expect(playground.received.some((r) => r.body?.attachments?.some((a: any) => a.contentType === OAUTH))).toBe(false);
    const confirmation = cardsRelayed().at(-1)!;
    expect(JSON.stringify(confirmation.card)).toContain(SEED.pending);
    expect(actionsOf(confirmation.card)).toContain('"title":"Confirm"');
  });

  it('typeahead: an application/search invoke from the Playground reaches the bot signed, and its search response comes back', async () => {
    await start('alex');
    await say('alex', 'list uploads'); // signs Alex in (message-level SSO through the bridge)
    const answer = await post(
      fromPlayground('alex', personal('alex'), { type: 'invoke', name: 'application/search', value: { queryText: SEED.pending.slice(0, 6), dataset: 'uploads', queryOptions: { skip: 0, top: 15 } } }),
    );
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.search.searchResponse',
      value: { results: [{ value: SEED.pending, title: expect.stringContaining(SEED.pending) }] },
    });
    expect(delivered('playground').at(-1)).toMatchObject({ activityType: 'invoke', name: 'application/search', status: 200 });
  });

  it('message-level SSO in a group chat: the person whose message the card answers exchanges their token', async () => {
    await start('alex');
    const group = { id: '19:bridge-test-group@thread.v2', type: 'groupChat' as const };
    await post(
      fromPlayground('adele', group, {
        type: 'message',
        text: `<at>Autopilot Uploads</at> set upload ${SEED.pending} to complete`,
        entities: [{ type: 'mention', mentioned: BOT, text: '<at>Autopilot Uploads</at>' }],
      }),
    );
    const exchanges = delivered('token-exchange');
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0].status).toBe(200);
    expect(playground.received.some((r) => r.body?.attachments?.some((a: any) => a.contentType === OAUTH))).toBe(false);
    expect(JSON.stringify(cardsRelayed().at(-1)!.card)).toContain('Adele Vance');
  });

  it('message-level SSO that fails (no consent) leaves the OAuthCard and its sign-in button for the person', async () => {
    await start('megan');
    await say('megan', `set upload ${SEED.pending} to complete`);
    expect(delivered('token-exchange')[0]).toMatchObject({ status: 412 });
    const shown = playground.received.filter((r) => r.body?.attachments?.some((a: any) => a.contentType === OAUTH));
    expect(shown).toHaveLength(1);
    const card = shown[0].body.attachments[0].content;
    expect(card.buttons[0]).toMatchObject({ type: 'signin' });
    expect(bridge.events()).toContainEqual(expect.objectContaining({ kind: 'shown-oauth-card', why: 'exchange-failed' }));
  });

  it('pressing that sign-in button: the bridge follows it through Entra\'s consent page and sends verifyState only with the end page\'s state', async () => {
    await start('megan');
    await say('megan', `set upload ${SEED.pending} to complete`);
    // Declined over the bridge's HTTP surface: the end page reports a failure, Teams sends nothing.
    const declined = await httpCall(`${bridge.url}/_bridge/sign-in`, { method: 'POST', body: JSON.stringify({ consent: 'decline' }), ca: certs.ca, timeoutMs: 20_000 });
    expect(declined.json).toEqual({ popup: 'notifyFailure' });
    expect(delivered('verify-state')).toEqual([]);

    const { popup, delivery } = await bridge.completeSignIn();
    await bridge.settled();
    expect(popup.kind).toBe('notifySuccess');
    expect(popup.visits.map((v) => new URL(v.url).pathname)).toEqual(['/auth/start', `/${TENANT}/v2.0/adminconsent`, `/${TENANT}/v2.0/adminconsent`, '/auth/end']);
    expect(delivery?.status).toBe(200);
    expect(delivered('verify-state')).toEqual([expect.objectContaining({ name: 'signin/verifyState', status: 200 })]);
    // The resumed command: a fresh OAuthCard, exchanged silently now that consent is granted.
    expect(delivered('token-exchange').map((d) => d.status)).toEqual([412, 200]);
    const confirmation = cardsRelayed().at(-1)!;
    expect(actionsOf(confirmation.card)).toContain('"title":"Confirm"');
    await expect(bridge.completeSignIn()).rejects.toThrow(/no sign-in button/);
    // The admin consent was tenant-wide: give the other tests their directory back.
    for (const user of Object.values(USERS)) entra.setConsent(user.key as UserKey, [...user.consented]);
  });

  it('channel: refreshes the requester’s card through card-level SSO, and a press returns the final answer to the Playground', async () => {
    await start('alex');
    const rootId = String(Date.now());
    const mention = { type: 'mention', mentioned: BOT, text: '<at>Autopilot Uploads</at>' };
    await post(
      fromPlayground('alex', { id: `${CHANNEL};messageid=${rootId}`, type: 'channel' }, {
        id: rootId,
        type: 'message',
        text: `<at>Autopilot Uploads</at> set upload ${SEED.docExample} to complete`,
        entities: [mention, { type: 'clientInfo', locale: 'en-US' }],
      }),
    );
    // Channels never get message-level SSO: the bot posts a shared card that names Alex for refresh.
    expect(delivered('token-exchange')).toHaveLength(0);
    const shared = cardsRelayed().find((r) => r.method === 'POST')!;
    expect(shared.card.refresh.userIds).toEqual([USERS.alex.teamsId]);
    // The refresh met a login request, was re-sent with value.authentication, and Alex's view replaced the card.
    const refresh = delivered('refresh')[0];
    expect(refresh).toMatchObject({ name: 'adaptiveCard/action', status: 200 });
    expect((refresh.body as any).statusCode).toBe(401);
    expect(delivered('card-sso')[0].body).toMatchObject({ statusCode: 200, type: ADAPTIVE });
    const update = cardsRelayed().find((r) => r.method === 'PUT')!;
    expect(update.path).toBe(`/_connector/v3/conversations/${CHANNEL};messageid=${rootId}/activities/${shared.answerId}`);
    expect(actionsOf(update.card)).toContain('"title":"Confirm"');
    // Agents Playground 0.2.28's renderer cannot run an Action.Execute whose data has a `key` property.
    expect(JSON.stringify(update.card)).not.toContain('"key"');

    // Alex presses Confirm on the refreshed card: the Playground's invoke gets the bot's final answer.
    const messageId = update.path.split('/activities/')[1];
    const confirm = JSON.stringify(update.card).match(/"verb":"(\w*[Cc]onfirm\w*)","data":(\{[^}]*\})/)!;
    const answer = await post(
      fromPlayground('alex', { id: `${CHANNEL};messageid=${rootId}`, type: 'channel' }, {
        type: 'invoke',
        name: 'adaptiveCard/action',
        replyToId: messageId,
        value: { action: { type: 'Action.Execute', title: 'Confirm', verb: confirm[1], data: JSON.parse(confirm[2]) } },
      }),
    );
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ statusCode: 200, type: ADAPTIVE });
    expect(graph.upload(SEED.docExample)!.status).toBe('complete');
  });

  it('card-level SSO on a press: a first click with no credential is authenticated before the bot answers', async () => {
    // The Playground's user is Adele, so nobody refreshes Alex's card: he presses Review (clients that do not refresh).
    await start('adele');
    const rootId = String(Date.now());
    const thread = { id: `${CHANNEL};messageid=${rootId}`, type: 'channel' as const };
    await post(
      fromPlayground('alex', thread, {
        id: rootId,
        type: 'message',
        text: `<at>Autopilot Uploads</at> set upload ${SEED.pending} to error`,
        entities: [{ type: 'mention', mentioned: BOT, text: '<at>Autopilot Uploads</at>' }],
      }),
    );
    expect(delivered('card-sso')).toHaveLength(0);
    const shared = cardsRelayed().find((r) => r.method === 'POST')!;
    const review = JSON.stringify(shared.card).match(/"title":"Review","verb":"(\w+)","data":(\{[^}]*\})/)!;
    expect(review).not.toBeNull();
    const answer = await post(
      fromPlayground('alex', thread, {
        type: 'invoke',
        name: 'adaptiveCard/action',
        replyToId: shared.answerId,
        value: { action: { type: 'Action.Execute', title: 'Review', verb: review[1], data: JSON.parse(review[2]) } },
      }),
    );
    const first = delivered('playground').at(-1)!;
    expect(first.body).toMatchObject({ statusCode: 401, type: 'application/vnd.microsoft.activity.loginRequest' });
    const retried = delivered('card-sso');
    expect(retried).toHaveLength(1);
    // The final answer (Alex's own view with the buttons) is what the Playground's invoke gets back.
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ statusCode: 200, type: ADAPTIVE });
    expect(actionsOf((answer.json as any).value)).toContain('"title":"Confirm"');
    expect(graph.upload(SEED.pending)!.status).toBe('pending');
  });

  it('refreshes only for the users refresh.userIds names: the Playground’s current user sees the shared card otherwise', async () => {
    await start('adele');
    const rootId = String(Date.now());
    await post(
      fromPlayground('alex', { id: `${CHANNEL};messageid=${rootId}`, type: 'channel' }, {
        id: rootId,
        type: 'message',
        text: `<at>Autopilot Uploads</at> set upload ${SEED.pending} to complete`,
        entities: [{ type: 'mention', mentioned: BOT, text: '<at>Autopilot Uploads</at>' }],
      }),
    );
    expect(cardsRelayed().filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(delivered('refresh')).toHaveLength(0);
    expect(cardsRelayed().filter((r) => r.method === 'PUT')).toHaveLength(0);
  });
});
