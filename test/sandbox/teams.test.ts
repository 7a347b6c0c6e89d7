/**
 * The Teams channel stand-in, driven by a real botbuilder bot (CloudAdapter in production auth
 * mode) with real tokens from the Entra stand-in. Nothing from botbuilder or MSAL is mocked.
 */
import { ensureCerts } from '../../sandbox/certs';
import { BOT_APP, SSO_APP, USERS } from '../../sandbox/directory';
import { startEntra, type EntraStandIn } from '../../sandbox/entra';
import { CONNECTOR_ERRORS, startTeams, type ChannelAuth, type InvokeRecord, type TeamsStandIn } from '../../sandbox/teams';
import { TEMPLATES } from '../../sandbox/teams/activities';
import { gatherInputs } from '../../sandbox/teams/cards';
import { startEchoBot, type EchoBot } from './teams-echo-bot';
import { connectorCall, connectorToken, conversationPath } from './teams-connector-client';

const certs = ensureCerts();

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
const keysOf = (o: object) => Object.keys(o).sort();

describe('Teams stand-in with a real botbuilder bot', () => {
  let entra: EntraStandIn;
  let teams: TeamsStandIn;
  let bot: EchoBot;
  let botToken: string;
  /** What the bot makes of an SSO token; tests flip it to simulate a failed exchange. */
  let acceptSso: (token: string) => boolean;

  beforeAll(async () => {
    entra = await startEntra({ certs, port: 0 });
    botToken = await connectorToken(entra.url, BOT_APP.id, BOT_APP.password);
  });
  afterAll(async () => {
    await entra.close();
  });

  beforeEach(async () => {
    acceptSso = (token) => decode(token).aud === SSO_APP.appIdUri;
    // The bot needs the channel's metadata URL, so the channel starts first and learns the endpoint after.
    teams = await startTeams({
      certs,
      port: 0,
      entra,
      botAppId: BOT_APP.id,
      ssoAppIdUri: SSO_APP.appIdUri,
      tokenExchangeCopies: 2,
    });
    bot = await startEchoBot({
      appId: BOT_APP.id,
      password: BOT_APP.password,
      entraUrl: entra.url,
      openIdMetadataUrl: teams.openIdMetadataUrl,
      ssoAppIdUri: SSO_APP.appIdUri,
      acceptToken: (token) => acceptSso(token),
    });
    teams.setBotEndpoint(bot.endpoint);
  });
  afterEach(async () => {
    expect(teams.clientErrors()).toEqual([]);
    await teams.close();
    await bot.close();
  });

  /** A separate stand-in with its own bot (a bot trusts one stand-in's metadata), for non-default options. */
  async function withOwnStandIn(options: Partial<Parameters<typeof startTeams>[0]>, run: (t: TeamsStandIn) => Promise<void>) {
    const own = await startTeams({ certs, port: 0, entra, botAppId: BOT_APP.id, ssoAppIdUri: SSO_APP.appIdUri, ...options });
    const ownBot = await startEchoBot({
      appId: BOT_APP.id,
      password: BOT_APP.password,
      entraUrl: entra.url,
      openIdMetadataUrl: own.openIdMetadataUrl,
      ssoAppIdUri: SSO_APP.appIdUri,
    });
    own.setBotEndpoint(ownBot.endpoint);
    try {
      await run(own);
    } finally {
      await own.close();
      await ownBot.close();
    }
  }

  describe('Bot Connector → bot', () => {
    it('publishes Bot Framework OpenID metadata and keys with endorsements', async () => {
      const metadata = (await (await fetch(teams.openIdMetadataUrl)).json()) as { jwks_uri: string };
      expect(metadata).toEqual({
        issuer: 'https://api.botframework.com',
        authorization_endpoint: 'https://invalid.botframework.com',
        jwks_uri: `${teams.url}/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
      const { keys } = (await (await fetch(metadata.jwks_uri)).json()) as { keys: Array<Record<string, unknown>> };
      expect(keys.length).toBeGreaterThanOrEqual(1);
      for (const key of keys) {
        expect(key).toMatchObject({ kty: 'RSA', use: 'sig', e: 'AQAB' });
        expect(key.endorsements).toContain('msteams');
      }
    });

    it('delivers a signed personal message; the reply lands in the transcript with the id Teams assigned', async () => {
      const chat = teams.personalChat('alex');
      const turn = await chat.send('hello');

      expect(turn.status).toBe(200);
      expect(turn.replies.map((r) => r.text)).toEqual(['Echo: hello']);
      const [reply] = teams.sent(chat.conversationId);
      expect(reply).toMatchObject({ operation: 'replyToActivity', replyToId: turn.activity.id, conversationId: chat.conversationId });
      expect(reply.activityId).toMatch(/^\d{13,}$/);
      expect(chat.messages().map((m) => [m.from, m.text])).toEqual([
        ['user', 'hello'],
        ['bot', 'Echo: hello'],
      ]);

      // What the bot received is Teams' personal message shape, with the sandbox's people and ids.
      const received = bot.turns[0];
      expect(received).toMatchObject({
        type: 'message',
        channelId: 'msteams',
        text: 'hello',
        serviceUrl: `${teams.url}/amer/${USERS.alex.tid}/`,
        from: { id: USERS.alex.teamsId, name: 'Alex Wilber', aadObjectId: USERS.alex.oid },
        recipient: { id: `28:${BOT_APP.id}` },
        conversation: { conversationType: 'personal', tenantId: USERS.alex.tid },
        channelData: { tenant: { id: USERS.alex.tid } },
        locale: 'en-US',
      });
      expect(received.conversation!.id).toMatch(/^a:/);
      expect(received.entities).toEqual([expect.objectContaining({ type: 'clientInfo', locale: 'en-US' })]);
    });

    const refused: ChannelAuth[] = ['none', 'forged', 'expired', 'notYetValid', 'wrongAudience', 'wrongServiceUrl', 'wrongIssuer', 'unknownKey'];
    it.each(refused)('botbuilder refuses an activity signed "%s" and runs no turn', async (auth) => {
      const silence = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const chat = teams.personalChat('alex');
        const activity = { ...(await chat.send('warm-up')).activity, id: '1700000000000', text: 'should not run' };
        const before = bot.turns.length;
        const answer = await teams.postRaw(activity, { auth });
        // A forged signature with a known kid makes botbuilder answer 500, not 401 (DESIGN.md facts).
        expect(answer.status).toBeGreaterThanOrEqual(400);
        if (auth === 'none' || auth === 'expired') expect(answer.status).toBe(401);
        expect(bot.turns.length).toBe(before);
      } finally {
        silence.mockRestore();
      }
    });

    it('a valid signature for a channel the key does not endorse is refused', async () => {
      const silence = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const chat = teams.personalChat('alex');
        const activity = { ...(await chat.send('warm-up')).activity, channelId: 'slack', text: 'x' };
        const before = bot.turns.length;
        expect((await teams.postRaw(activity)).status).toBeGreaterThanOrEqual(400);
        expect(bot.turns.length).toBe(before);
      } finally {
        silence.mockRestore();
      }
    });

    it('sends Teams routing headers and the Connector user agent', async () => {
      const chat = teams.personalChat('adele');
      expect((await chat.send('hi')).status).toBe(200);
      expect(bot.requestHeaders[0]).toMatchObject({
        'x-ms-conversation-id': chat.conversationId,
        'x-ms-tenant-id': USERS.adele.tid,
        'user-agent': 'Microsoft-SkypeBotApi (Microsoft-BotFramework/3.0)',
        authorization: expect.stringMatching(/^Bearer ey/),
      });
      const claims = decode(String(bot.requestHeaders[0].authorization).slice('Bearer '.length));
      expect(claims).toMatchObject({ iss: 'https://api.botframework.com', aud: BOT_APP.id, serviceurl: teams.serviceUrl });
      expect(claims.exp - claims.nbf).toBe(3600);
    });
  });

  describe('bot → Connector REST API', () => {
    it('refuses calls without a token, or with a token issued to another app (401)', async () => {
      const chat = teams.personalChat('alex');
      const path = conversationPath(chat.conversationId, '/activities');
      const body = { type: 'message', text: 'x' };

      expect((await connectorCall(teams.serviceUrl, 'POST', path, { body })).status).toBe(401);
      // A real Entra token for the Bot Framework resource, but issued to another app.
      const otherApp = await connectorToken(entra.url, SSO_APP.clientId, SSO_APP.clientSecret, USERS.alex.tid);
      expect(decode(otherApp)).toMatchObject({ aud: 'https://api.botframework.com', appid: SSO_APP.clientId });
      const wrong = await connectorCall(teams.serviceUrl, 'POST', path, { body, token: otherApp });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ message: 'Authorization has been denied for this request.' });
      expect((await connectorCall(teams.serviceUrl, 'POST', path, { body, token: `${botToken}x` })).status).toBe(401);

      const ok = await connectorCall(teams.serviceUrl, 'POST', path, { body, token: botToken });
      expect(ok.status).toBe(200);
      expect(ok.body.id).toMatch(/^\d+$/);
      // A single-tenant bot's token comes from its own tenant: also accepted.
      const singleTenant = await connectorToken(entra.url, BOT_APP.id, BOT_APP.password, USERS.alex.tid);
      expect((await connectorCall(teams.serviceUrl, 'POST', path, { body, token: singleTenant })).status).toBe(200);
    });

    it('answers 404 ConversationNotFound and 403 BotNotInConversationRoster as Teams does', async () => {
      const missing = await connectorCall(teams.serviceUrl, 'POST', conversationPath('a:nope', '/activities'), {
        token: botToken,
        body: { type: 'message', text: 'x' },
      });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error: { code: 'ConversationNotFound', message: 'Conversation not found.' } });

      const chat = teams.personalChat('megan');
      await chat.uninstallBot();
      const removed = await connectorCall(teams.serviceUrl, 'POST', conversationPath(chat.conversationId, '/activities'), {
        token: botToken,
        body: { type: 'message', text: 'x' },
      });
      expect(removed.status).toBe(403);
      expect(removed.body.error.code).toBe('BotNotInConversationRoster');
      expect(bot.turns.at(-1)).toMatchObject({ type: 'installationUpdate', action: 'remove' });
    });

    it('creates conversations, updates and deletes activities, lists members and channels', async () => {
      const alex = USERS.alex;
      const created = await connectorCall(teams.serviceUrl, 'POST', 'v3/conversations', {
        token: botToken,
        body: { isGroup: false, bot: { id: `28:${BOT_APP.id}` }, members: [{ id: alex.teamsId }], tenantId: alex.tid },
      });
      expect(created.status).toBe(200);
      const chat = teams.personalChat('alex');
      expect(created.body).toEqual({ id: chat.conversationId });

      const team = teams.team('IT Admins');
      const general = team.channel('General');
      const thread = await connectorCall(teams.serviceUrl, 'POST', 'v3/conversations', {
        token: botToken,
        body: { isGroup: true, channelData: { channel: { id: general.id } }, activity: { type: 'message', text: 'New post' } },
      });
      expect(thread.status).toBe(200);
      expect(thread.body.id).toBe(`${general.id};messageid=${thread.body.activityId}`);

      const posted = await connectorCall(teams.serviceUrl, 'POST', conversationPath(chat.conversationId, '/activities'), {
        token: botToken,
        body: { type: 'message', text: 'v1' },
      });
      const id = posted.body.id;
      const updated = await connectorCall(teams.serviceUrl, 'PUT', conversationPath(chat.conversationId, `/activities/${id}`), {
        token: botToken,
        body: { type: 'message', id, text: 'v2' },
      });
      expect(updated).toMatchObject({ status: 200, body: { id } });
      expect(chat.message(id)).toMatchObject({ text: 'v2', version: 2 });
      const gone = await connectorCall(teams.serviceUrl, 'DELETE', conversationPath(chat.conversationId, `/activities/${id}`), { token: botToken });
      expect(gone.status).toBe(200);
      expect(chat.message(id)).toMatchObject({ deleted: true, text: undefined });
      const again = await connectorCall(teams.serviceUrl, 'PUT', conversationPath(chat.conversationId, `/activities/${id}`), {
        token: botToken,
        body: { type: 'message', text: 'v3' },
      });
      expect(again.status).toBe(404);
      expect(teams.sent(chat.conversationId).map((s) => s.operation)).toEqual(['sendToConversation', 'updateActivity', 'deleteActivity']);

      const members = await connectorCall(teams.serviceUrl, 'GET', conversationPath(general.id, '/members'), { token: botToken });
      expect(members.body.map((m: { name: string }) => m.name)).toEqual(['Alex Wilber', 'Adele Vance', 'Megan Bowen', 'Diego Siciliani']);
      const one = await connectorCall(teams.serviceUrl, 'GET', conversationPath(general.id, `/members/${alex.oid}`), { token: botToken });
      expect(one.body).toMatchObject({ id: alex.teamsId, aadObjectId: alex.oid, userPrincipalName: alex.upn, tenantId: alex.tid });
      const paged = await connectorCall(teams.serviceUrl, 'GET', `${conversationPath(general.id, '/pagedmembers')}?pageSize=3`, { token: botToken });
      expect(paged.body.members).toHaveLength(3);
      expect(paged.body.continuationToken).toBeDefined();

      team.channel('Autopilot');
      const channels = await connectorCall(teams.serviceUrl, 'GET', `v3/teams/${encodeURIComponent(team.id)}/conversations`, { token: botToken });
      expect(channels.body.conversations).toEqual([
        { id: team.id, name: null },
        { id: team.channel('Autopilot').id, name: 'Autopilot' },
      ]);
      const details = await connectorCall(teams.serviceUrl, 'GET', `v3/teams/${encodeURIComponent(team.id)}`, { token: botToken });
      expect(details.body).toMatchObject({ id: team.id, name: 'IT Admins', aadGroupId: team.aadGroupId, memberCount: 4 });
    });

    it('refuses a message above Teams\' size limit with 413 MessageSizeTooBig', async () => {
      const chat = teams.personalChat('alex');
      const big = await connectorCall(teams.serviceUrl, 'POST', conversationPath(chat.conversationId, '/activities'), {
        token: botToken,
        body: { type: 'message', text: 'x'.repeat(60 * 1024) },
      });
      expect(big.status).toBe(413);
      expect(big.body.error.code).toBe('MessageSizeTooBig');
    });

    it('injects faults for the next calls, with Teams\' error bodies', async () => {
      const chat = teams.personalChat('alex');
      teams.faults.next(1, { status: 403 }, { conversationId: chat.conversationId });
      const turn = await chat.send('hello');
      // botbuilder still answers the inbound request; the channel saw the failed reply.
      expect(turn.replies).toEqual([]);
      const failed = teams.calls().filter((c) => c.injected);
      expect(failed).toEqual([expect.objectContaining({ status: 403, operation: 'replyToActivity' })]);

      teams.faults.next(1, { status: 404 });
      const answer = await connectorCall(teams.serviceUrl, 'POST', conversationPath(chat.conversationId, '/activities'), {
        token: botToken,
        body: { type: 'message', text: 'x' },
      });
      expect(answer).toMatchObject({ status: 404, body: { error: { code: 'ConversationNotFound' } } });

      teams.faults.next(1, { status: 429, retryAfterSeconds: 7 });
      const throttled = await connectorCall(teams.serviceUrl, 'POST', conversationPath(chat.conversationId, '/activities'), {
        token: botToken,
        body: { type: 'message', text: 'x' },
      });
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('7');
      expect(throttled.body.error.code).toBe('Throttled');

      // Teams does not always say when: `null` answers the same 429 without Retry-After.
      teams.faults.next(1, { status: 429, retryAfterSeconds: null });
      const unsaid = await connectorCall(teams.serviceUrl, 'POST', conversationPath(chat.conversationId, '/activities'), {
        token: botToken,
        body: { type: 'message', text: 'x' },
      });
      expect(unsaid.status).toBe(429);
      expect(unsaid.headers.get('retry-after')).toBeNull();
      expect(unsaid.body.error.code).toBe('Throttled');
      expect(teams.faults.pending()).toBe(0);
      expect(teams.rateLimitHits()).toEqual([]);
    });

    it('answers each documented refusal: the blocked codes, and MessageWritesBlocked in its own body shape', async () => {
      const chat = teams.personalChat('alex');
      const post = () => connectorCall(teams.serviceUrl, 'POST', conversationPath(chat.conversationId, '/activities'), { token: botToken, body: { type: 'message', text: 'x' } });
      for (const answer of [CONNECTOR_ERRORS.botDisabledByAdmin(), CONNECTOR_ERRORS.conversationBlockedByUser(), CONNECTOR_ERRORS.invalidBotApiHost()]) {
        const { code, message } = (answer.body as { error: { code: string; message: string } }).error;
        teams.faults.next(1, { status: answer.status, code, message });
        expect(await post()).toMatchObject({ status: 403, body: { error: { code, message } } });
      }
      teams.faults.next(1, { status: 403, body: CONNECTOR_ERRORS.messageWritesBlocked().body });
      const blocked = await post();
      expect(blocked.status).toBe(403);
      expect(blocked.body.error).toBeUndefined();
      expect(blocked.body.errorCode).toBe(209);
      expect(JSON.parse(blocked.body.message)).toEqual({ subCode: 'MessageWritesBlocked', details: 'Thread is blocked from message writes.', errorCode: null, errorSubCode: null });
      teams.faults.next(1, { status: 500 });
      expect(await post()).toMatchObject({ status: 500, body: { error: { code: 'ServiceError' } } });
      expect(teams.faults.pending()).toBe(0);
    });
  });

  describe('message-level SSO', () => {
    it('in a personal chat, Teams exchanges the token once per endpoint (2 concurrent invokes)', async () => {
      const chat = teams.personalChat('alex');
      const turn = await chat.send('login');

      const exchanges = turn.invokes.filter((i) => i.name === 'signin/tokenExchange');
      expect(exchanges).toHaveLength(2);
      const oauth = chat.messages().find((m) => m.oauthCard)!.oauthCard!;
      for (const exchange of exchanges) {
        const value = exchange.value as { id: string; connectionName: string; token: string };
        expect(value.id).toBe(oauth.tokenExchangeResource!.id);
        expect(value.connectionName).toBe('sso');
        expect(decode(value.token)).toMatchObject({ aud: SSO_APP.appIdUri, oid: USERS.alex.oid, tid: USERS.alex.tid });
        expect(exchange.status).toBe(200);
      }
      expect(turn.signIn).toBeUndefined();
      expect(bot.turns.filter((a) => a.name === 'signin/tokenExchange')).toHaveLength(2);
    });

    it('in a group chat too, for the person who asked', async () => {
      const chat = teams.groupChat('Ops', ['alex', 'adele']).as('adele');
      const turn = await chat.send('login');
      expect(turn.activity.text).toBe('<at>Autopilot Uploads</at> login');
      expect(turn.invokes.filter((i) => i.name === 'signin/tokenExchange').map((i) => i.user)).toEqual(['adele', 'adele']);
    });

    it('never in a channel: the sign-in button shows instead', async () => {
      const chat = teams.team('IT Admins').channel('General').as('alex');
      const turn = await chat.send('login');
      expect(turn.invokes).toEqual([]);
      expect(turn.signIn).toMatchObject({ kind: 'oauthCard', reason: 'channel' });
      expect(bot.turns.some((a) => a.name === 'signin/tokenExchange')).toBe(false);
    });

    it('a failed exchange (412) leaves the sign-in button; completing it sends signin/verifyState', async () => {
      acceptSso = () => false;
      const chat = teams.personalChat('megan');
      const turn = await chat.send('login');
      expect(turn.invokes.map((i) => i.status)).toEqual([412, 412]);
      expect(turn.signIn).toMatchObject({ kind: 'oauthCard', reason: 'exchangeFailed', user: 'megan', signInUrl: 'https://127.0.0.1/sign-in' });
      expect(chat.signIns()).toHaveLength(1);

      const granted: string[] = [];
      const done = await chat.completeSignIn({ grant: () => granted.push('megan'), state: '482913' });
      expect(granted).toEqual(['megan']);
      expect(done.invokes).toEqual([expect.objectContaining({ name: 'signin/verifyState', value: { state: '482913' }, status: 200 })]);
      expect(done.replies.map((r) => r.text)).toEqual(['Signed in (482913)']);
      expect(chat.signIns()).toEqual([]);
    });

    it('pressing the button opens its URL in a popup; a page that never calls notifySuccess makes Teams send nothing', async () => {
      acceptSso = () => false;
      const chat = teams.personalChat('megan');
      await chat.send('login');
      // https://127.0.0.1/sign-in answers nothing: the popup has no page that talks to Teams.
      const pressed = await chat.completeSignIn();
      expect(pressed.popup).toMatchObject({ kind: 'stuck', why: expect.stringContaining('could not load https://127.0.0.1/sign-in') });
      expect(pressed.invokes).toEqual([]);
      expect(bot.turns.some((a) => a.name === 'signin/verifyState')).toBe(false);
      expect(chat.signIns()).toHaveLength(1);
    });

    it('no SSO when the OAuthCard names a resource other than the app\'s SSO resource: Teams reports signin/failure resourcematchfailed', async () => {
      await withOwnStandIn({ ssoAppIdUri: 'api://elsewhere/abc' }, async (other) => {
        const turn = await other.personalChat('alex').send('login');
        expect(turn.invokes.map((i) => [i.name, (i.value as { code?: string }).code])).toEqual([['signin/failure', 'resourcematchfailed']]);
        expect(turn.signIn).toMatchObject({ reason: 'uriMismatch' });
        expect(turn.signInShown).toBe(true);
      });
    });
  });

  describe('Universal Actions', () => {
    it('refreshes a card only for the users its refresh.userIds names; card-level SSO on the way', async () => {
      const channel = teams.team('IT Admins').channel('General');
      const alex = channel.as('alex');
      const adele = channel.as('adele');

      const turn = await alex.send('card');

      // Alex's client refreshed (401 loginRequest → re-sent with the SSO token → his own card).
      expect(turn.invokes.map((i) => [i.user, i.reason, i.status])).toEqual([
        ['alex', 'refresh', 200],
        ['alex', 'card-sso', 200],
      ]);
      const refresh = turn.invokes[0].value as Record<string, any>;
      expect(refresh).toEqual({
        action: { type: 'Action.Execute', id: '', verb: 'personalView', data: { requester: USERS.alex.oid } },
        trigger: 'automatic',
      });
      const resent = turn.invokes[1].value as Record<string, any>;
      expect(resent.authentication).toEqual({ id: expect.any(String), connectionName: 'sso', token: expect.any(String) });
      expect(decode(resent.authentication.token).oid).toBe(USERS.alex.oid);

      const cardMessage = alex.lastCardMessage()!;
      expect(cardMessage.userSpecific).toBe(true);
      expect(cardMessage.card!.body[0].text).toBe('Personal view for Alex Wilber');
      // Adele is not in userIds: no invoke from her client, she keeps the shared card.
      await adele.view();
      expect(teams.invokes().filter((i) => i.user === 'adele')).toEqual([]);
      expect(adele.lastCard()!.body[0].text).toBe('Shared card for Alex Wilber');
      expect(adele.lastCardMessage()!.userSpecific).toBe(false);

      // "Refresh" from the message menu works for anyone, here through card-level SSO too.
      const manual = await adele.refresh(cardMessage.id);
      expect(manual.invokes.map((i) => [i.user, i.reason])).toEqual([
        ['adele', 'refresh'],
        ['adele', 'card-sso'],
      ]);
      expect(manual.card!.body[0].text).toBe('Personal view for Adele Vance');
      expect(adele.lastCardMessage()!.userSpecific).toBe(true);
      expect(alex.lastCard()!.body[0].text).toBe('Personal view for Alex Wilber');

      // The invoke carried the channel thread and replyToId of the card.
      const invoke = bot.turns.find((a) => a.name === 'adaptiveCard/action')!;
      expect(invoke.replyToId).toBe(cardMessage.id);
      expect(invoke.conversation!.id).toBe(`${channel.id};messageid=${cardMessage.threadId}`);
      expect(invoke.channelData).toMatchObject({ teamsChannelId: channel.id, source: { name: 'message' } });
    });

    it('Action.Execute replaces the card for the presser only, with inputs merged into data', async () => {
      const channel = teams.team('IT Admins').channel('General');
      const alex = channel.as('alex');
      const adele = channel.as('adele');
      await alex.send('card');
      const card = adele.lastCardMessage()!;

      const pressed = await adele.execute(card, 'Confirm', { note: 'looks good' });
      expect(pressed.card!.body[0].text).toBe('Confirmed by Adele Vance: looks good');
      expect(pressed.invokes.map((i) => i.reason)).toEqual(['execute', 'card-sso']);
      expect(pressed.invokes[0].value).toEqual({
        action: { type: 'Action.Execute', title: 'Confirm', verb: 'confirm', data: { key: 'k-1', note: 'looks good' } },
        trigger: 'manual',
      });
      expect(adele.lastCard()!.body[0].text).toBe('Confirmed by Adele Vance: looks good');
      expect(alex.lastCard()!.body[0].text).toBe('Personal view for Alex Wilber');
    });

    it('a 412 after the SSO re-send leaves the sign-in button; completing it sends the action with state', async () => {
      acceptSso = () => false;
      const chat = teams.personalChat('megan');
      const turn = await chat.send('card');
      // The refresh for Megan ended on the sign-in button.
      expect(turn.invokes.map((i) => (i.body as { statusCode: number }).statusCode)).toEqual([401, 412]);
      expect(turn.signIn).toMatchObject({ kind: 'cardAction', reason: 'preconditionFailed', user: 'megan' });
      expect(chat.lastCardMessage()!.signInShown).toBe(true);

      const done = await turn.signIn!.complete({ state: '101202' });
      expect(done.invokes).toEqual([expect.objectContaining({ reason: 'sign-in-state' })]);
      expect((done.invokes[0].value as { state: string }).state).toBe('101202');
      expect(done.card!.body[0].text).toBe('Personal view for Megan Bowen');
      expect(chat.lastCardMessage()!.signInShown).toBe(false);
    });

    it('a client without Universal Actions uses the Action.Submit fallback and does not refresh', async () => {
      const chat = teams.personalChat('diego', { universalActions: false });
      const turn = await chat.send('card');
      expect(turn.invokes).toEqual([]);
      const card = chat.lastCardMessage()!;
      const submitted = await chat.press(card, 'Confirm', { note: 'n1' });
      expect(submitted.activity).toMatchObject({ type: 'message', replyToId: card.id, value: { verb: 'confirm', key: 'k-1', note: 'n1' } });
      expect(submitted.activity.text).toBeUndefined();
      expect(submitted.replies.map((r) => r.text)).toEqual(['Submitted {"verb":"confirm","key":"k-1","note":"n1"}']);
    });

    it('refreshes again for the listed user when the bot edits the card', async () => {
      const chat = teams.personalChat('alex');
      await chat.send('card');
      const card = chat.lastCardMessage()!;
      const before = teams.invokes().length;
      const edited = { ...card.activity, attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { ...card.sharedCard, body: [{ type: 'TextBlock', text: 'edited' }] } }] };
      const put = await connectorCall(teams.serviceUrl, 'PUT', conversationPath(chat.conversationId, `/activities/${card.id}`), { token: botToken, body: edited });
      expect(put.status).toBe(200);
      await teams.settled(chat.conversationId);
      expect(teams.invokes().slice(before).map((i) => i.reason)).toEqual(['refresh']);
      expect(chat.lastCard()!.body[0].text).toBe('Personal view for Alex Wilber');
      expect(chat.lastCardMessage()!.sharedCard!.body[0].text).toBe('edited');
    });

    it('each of a person\'s clients refreshes the card; viewing it again refreshes again only a minute after the last refresh', async () => {
      // Its own stand-in: reopen() moves the clients' clock, which other tests' cards would feel.
      await withOwnStandIn({}, async (own) => {
        const channel = own.team('IT Admins').channel('General');
        const alex = channel.as('alex', { clients: ['desktop', 'web', 'mobile'] });
        const turn = await alex.send('card');
        const refreshed = (invokes: InvokeRecord[]) => invokes.filter((i) => i.reason === 'refresh').map((i) => [i.user, i.endpoint]).sort();
        expect(refreshed(turn.invokes)).toEqual([['alex', 'desktop'], ['alex', 'mobile'], ['alex', 'web']]);
        // Each client did its own card-level SSO round trip.
        expect(turn.invokes.filter((i) => i.reason === 'card-sso')).toHaveLength(3);
        expect(alex.lastCard()!.body[0].text).toBe('Personal view for Alex Wilber');

        let mark = own.invokes().length;
        await alex.view();
        await alex.reopen({ afterMs: 59_000 });
        expect(own.invokes().slice(mark)).toEqual([]);
        await alex.reopen({ afterMs: 1_000 });
        expect(refreshed(own.invokes().slice(mark))).toEqual([['alex', 'desktop'], ['alex', 'mobile'], ['alex', 'web']]);
        // A person's clients are named, and at least one.
        expect(() => channel.as('alex', { clients: [] })).toThrow('clients');
        expect(() => channel.as('alex', { clients: ['web', 'web'] })).toThrow('clients');
        // Others still refresh from one client unless told otherwise.
        mark = own.invokes().length;
        await channel.as('adele').refresh(alex.lastCardMessage()!);
        expect(own.invokes().slice(mark).map((i) => [i.user, i.endpoint, i.reason])).toEqual([
          ['adele', 'desktop', 'refresh'],
          ['adele', 'desktop', 'card-sso'],
        ]);
      });
    });

    it('shows a toast for an activity.message answer and an error for an error answer', async () => {
      const channel = teams.team('IT Admins').channel('General');
      await channel.as('alex').send('card');
      const adele = channel.as('adele');
      const ping = await adele.press(adele.lastCardMessage()!, 'Ping');
      expect(ping.toast).toBe('Done!');
      expect(ping.card).toBeUndefined();
      const broken = await adele.execute(adele.lastCardMessage()!, 'nope');
      expect(broken.error).toEqual({ statusCode: 400, code: 'BadRequest', message: 'unknown verb nope' });
      // Neither changed what Adele sees.
      expect(adele.lastCardMessage()).toMatchObject({ userSpecific: false });
      expect(adele.lastCard()!.body[0].text).toBe('Shared card for Alex Wilber');
    });

    it('the client refuses to send inputs that fail validation', () => {
      const card = {
        type: 'AdaptiveCard',
        version: '1.5',
        body: [
          { type: 'Input.Text', id: 'uploadId', isRequired: true, regex: '^[0-9a-f-]{36}$', errorMessage: 'Enter an upload id' },
          { type: 'Input.ChoiceSet', id: 'status', value: 'complete', choices: [{ title: 'Complete', value: 'complete' }] },
        ],
      };
      const action = { type: 'Action.Execute', verb: 'set' };
      expect(gatherInputs(card, action, {}).blocked).toEqual({ inputId: 'uploadId', message: 'Enter an upload id' });
      expect(gatherInputs(card, action, { uploadId: 'nope' }).blocked?.inputId).toBe('uploadId');
      expect(gatherInputs(card, action, { uploadId: '8d639524-9524-8d63-2495-638d2495638d' })).toEqual({
        values: { uploadId: '8d639524-9524-8d63-2495-638d2495638d', status: 'complete' },
      });
      expect(gatherInputs(card, action, { uploadId: '8d639524-9524-8d63-2495-638d2495638d', status: 'completed' }).blocked?.inputId).toBe('status');
    });
  });

  describe('conversations and events', () => {
    it('channel messages @mention the bot, start a thread, and the reply lands in it', async () => {
      const channel = teams.team('IT Admins').channel('General');
      const chat = channel.as('diego');
      const turn = await chat.send('hello team');
      const a = turn.activity;
      expect(a.text).toBe('<at>Autopilot Uploads</at> hello team');
      expect(a.conversation).toEqual({ id: `${channel.id};messageid=${a.id}`, isGroup: true, conversationType: 'channel', tenantId: USERS.diego.tid });
      expect(a.entities[0]).toEqual({ mentioned: { id: `28:${BOT_APP.id}`, name: 'Autopilot Uploads' }, text: '<at>Autopilot Uploads</at>', type: 'mention' });
      expect(a.channelData).toMatchObject({ teamsChannelId: channel.id, teamsTeamId: expect.stringMatching(/@thread\.tacv2$/), tenant: { id: USERS.diego.tid } });
      expect(turn.replies.map((r) => r.text)).toEqual(['Echo: hello team']);
      expect(chat.lastMessage()!.threadId).toBe(a.id);

      // A reply in that thread keeps the root in the conversation id, as in Teams' payload.
      const reply = await channel.as('alex').reply(a.id, 'me too');
      expect(reply.activity.conversation.id).toBe(`${channel.id};messageid=${a.id}`);
      expect(reply.activity.id).not.toBe(a.id);
      expect(teams.sent(channel.id).at(-1)).toMatchObject({ conversationId: `${channel.id};messageid=${a.id}`, replyToId: reply.activity.id });
      expect(chat.lastMessage()).toMatchObject({ text: 'Echo: me too', threadId: a.id });
    });

    it('install, channel and team events reach the bot in Teams\' shapes', async () => {
      const team = teams.team('Autopilot Ops', { botInstalled: false });
      const general = team.channel('General');
      const blocked = await connectorCall(teams.serviceUrl, 'POST', conversationPath(general.id, '/activities'), { token: botToken, body: { type: 'message', text: 'x' } });
      expect(blocked.status).toBe(403);

      const [install, added] = await team.installBot('alex');
      expect([install.status, added.status]).toEqual([200, 200]);
      expect(install.activity).toMatchObject({
        type: 'installationUpdate',
        action: 'add',
        conversation: { id: team.id, conversationType: 'channel', isGroup: true },
        channelData: { settings: { selectedChannel: { id: team.id } }, team: { id: team.id, name: 'Autopilot Ops', aadGroupId: team.aadGroupId } },
      });
      expect(added.activity).toMatchObject({ type: 'conversationUpdate', membersAdded: [{ id: `28:${BOT_APP.id}` }], channelData: { eventType: 'teamMemberAdded' } });
      const allowed = await connectorCall(teams.serviceUrl, 'POST', conversationPath(general.id, '/activities'), { token: botToken, body: { type: 'message', text: 'x' } });
      expect(allowed.status).toBe(200);

      await team.createChannel('Intune', 'alex');
      await team.renameChannel('Intune', 'Intune changes', 'alex');
      await team.rename('Autopilot Operations', 'alex');
      await team.deleteChannel('Intune changes', 'alex');
      const events = bot.turns.filter((t) => t.type === 'conversationUpdate').map((t) => [t.channelData.eventType, t.channelData.channel?.name ?? t.channelData.team?.name]);
      expect(events).toEqual([
        ['teamMemberAdded', 'Autopilot Ops'],
        ['channelCreated', 'Intune'],
        ['channelRenamed', 'Intune changes'],
        ['teamRenamed', 'Autopilot Operations'],
        ['channelDeleted', 'Intune changes'],
      ]);
      const [, uninstall] = await team.uninstallBot('alex');
      expect(uninstall.activity).toMatchObject({ type: 'installationUpdate', action: 'remove' });
      expect(bot.turns.at(-2)).toMatchObject({ type: 'conversationUpdate', membersRemoved: [{ id: `28:${BOT_APP.id}` }], channelData: { eventType: 'teamMemberRemoved' } });
    });

    it('built activities keep the keys of the Teams payloads they come from', async () => {
      const personal = teams.personalChat('alex');
      const sent = (await personal.send('x')).activity;
      // Today's Teams adds localTimezone, which the (2017) documentation example predates.
      expect(keysOf(sent)).toEqual(keysOf({ ...TEMPLATES.messagePersonal, localTimezone: '' }));
      const channel = teams.team('IT Admins').channel('General').as('alex');
      const mention = (await channel.send('x')).activity;
      expect(keysOf(mention)).toEqual(keysOf(TEMPLATES.messageChannelMention));
      expect(keysOf(mention.channelData)).toEqual(keysOf(TEMPLATES.messageChannelMention.channelData));
      expect(keysOf(mention.conversation)).toEqual(keysOf(TEMPLATES.messageChannelMention.conversation));
      const refresh = (await personal.send('card')).invokes[0].activity;
      const invokeTemplate = TEMPLATES.invokeAdaptiveCardAction;
      expect(keysOf(refresh)).toEqual(keysOf(invokeTemplate));
      expect(keysOf(refresh.conversation)).toEqual(keysOf(invokeTemplate.conversation));
      // The captured invoke's channelData also has `legacy` (an old-format replyToId), which we do not model.
      expect(keysOf(refresh.channelData)).toEqual(keysOf(invokeTemplate.channelData).filter((k) => k !== 'legacy'));
    });

    it('waitFor sees messages the bot sends after the turn', async () => {
      const chat = teams.personalChat('adele');
      const turn = await chat.send('later');
      expect(turn.replies.map((r) => r.text)).toEqual(['working…']);
      const done = await chat.waitFor((messages) => messages.find((m) => m.text === 'done'));
      expect(done.from).toBe('bot');
    });

    it('stops waiting for a bot that does not answer in time; its late reply still lands', async () => {
      await withOwnStandIn({ deliveryTimeoutMs: 100 }, async (own) => {
        const chat = own.personalChat('alex');
        const turn = await chat.send('slow 400');
        expect(turn).toMatchObject({ status: 0, timedOut: true });
        await chat.waitFor((messages) => messages.find((m) => m.text === 'slow done'));
      });
    });
  });

  describe('rate limits', () => {
    it('throttles sends per bot per conversation (7/1 s, 8/2 s) with 429 and Retry-After', async () => {
      let now = 1_000_000;
      const limited = await startTeams({ certs, port: 0, entra, botAppId: BOT_APP.id, ssoAppIdUri: SSO_APP.appIdUri, rateLimitClock: () => now });
      try {
        const chat = limited.personalChat('alex');
        const other = limited.personalChat('adele');
        const post = (conversationId: string) =>
          connectorCall(limited.serviceUrl, 'POST', conversationPath(conversationId, '/activities'), { token: botToken, body: { type: 'message', text: 'x' } });
        const statuses: number[] = [];
        for (let i = 0; i < 8; i += 1) statuses.push((await post(chat.conversationId)).status);
        expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 429]);
        const refused = await post(chat.conversationId);
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('1');
        expect(refused.body).toEqual({ error: { code: 'Throttled', message: 'Too many requests. Also returns when to retry after.' } });
        // Another conversation has its own limit.
        expect((await post(other.conversationId)).status).toBe(200);

        now += 1_100; // the 1 s window has passed, the 2 s window (8) has room for one more
        expect((await post(chat.conversationId)).status).toBe(200);
        expect((await post(chat.conversationId)).status).toBe(429);
        now += 1_000;
        expect((await post(chat.conversationId)).status).toBe(200);

        expect(limited.rateLimitHits()).toHaveLength(3);
        expect(limited.rateLimitHits()[0].throttled).toMatch(/7\/1 s/);
        expect(limited.sent(chat.conversationId)).toHaveLength(9);
      } finally {
        await limited.close();
      }
    });

    it('throttles all calls of the app in a tenant above 50 per second', async () => {
      const now = 5_000_000;
      const limited = await startTeams({ certs, port: 0, entra, botAppId: BOT_APP.id, ssoAppIdUri: SSO_APP.appIdUri, rateLimitClock: () => now });
      try {
        const chats = Array.from({ length: 8 }, (_, i) => limited.groupChat(`g${i}`, ['alex', 'adele']));
        const statuses: number[] = [];
        for (const chat of chats) {
          for (let i = 0; i < 7; i += 1) {
            const answer = await connectorCall(limited.serviceUrl, 'POST', conversationPath(chat.id, '/activities'), { token: botToken, body: { type: 'message', text: 'x' } });
            statuses.push(answer.status);
          }
        }
        expect(statuses.filter((s) => s === 200)).toHaveLength(50);
        expect(statuses.slice(50).every((s) => s === 429)).toBe(true);
        expect(limited.rateLimitHits()[0].throttled).toMatch(/per app per tenant/);
      } finally {
        await limited.close();
      }
    });

    it('botbuilder honours a 429\'s Retry-After and its message lands', async () => {
      const chat = teams.personalChat('alex');
      teams.faults.next(1, { status: 429, retryAfterSeconds: 1 }, { operation: 'replyToActivity' });
      const turn = await chat.send('burst 2');
      expect(teams.calls().map((c) => [c.operation, c.status])).toEqual([
        ['replyToActivity', 429],
        ['replyToActivity', 200],
        ['replyToActivity', 200],
      ]);
      expect(bot.burst.map((b) => b.ok)).toEqual([true, true]);
      expect(turn.replies.map((r) => r.text)).toEqual(['message 1', 'message 2']);
    });
  });
});
