/**
 * Teams SSO through the bot: duplicate token exchanges, missing consent and its sign-in fallback,
 * accounts the bot must refuse before any on-behalf-of exchange, and card-level SSO failures.
 */
import { UserCredentials } from '../../../bot/sso/credentials';
import { GRAPH_SCOPES, SSO_APP } from '../../../sandbox/directory';
import { SEED, USERS, buttonTitles, cardText, patches, postedCards, turnLines, useWorld } from './helpers';

describe('message-level SSO', () => {
  describe('when Teams sends the token exchange twice (one per signed-in endpoint)', () => {
    const world = useWorld({ tokenExchangeCopies: 2 });

    it('exactly one OBO exchange and one confirmation card', async () => {
      const w = world();
      const chat = w.teams.personalChat('alex');
      const turn = await chat.send(`set upload ${SEED.pending} to complete`);

      const exchanges = turn.invokes.filter((i) => i.name === 'signin/tokenExchange');
      expect(exchanges).toHaveLength(2);
      expect(exchanges.map((e) => e.status)).toEqual([200, 200]);
      expect(new Set(exchanges.map((e) => (e.value as { id: string }).id)).size).toBe(1);
      expect(w.entra.stats().oboCalls).toBe(1);
      const confirmations = postedCards(turn).filter((c) => buttonTitles(c).includes('Confirm'));
      expect(confirmations).toHaveLength(1);
      expect(turnLines(w).map((l) => l.outcome).sort()).toEqual(['sso-duplicate', 'sso-exchanged', 'sso-requested']);
      // One Graph read for the one confirmation.
      expect(w.graph.requests().filter((r) => r.method === 'GET')).toHaveLength(1);
    });
  });

  describe('consent, refused accounts', () => {
    const world = useWorld();

    it('consent missing → 412 and the sign-in card; signing in with consent granted resumes the command', async () => {
      const w = world();
      const chat = w.teams.personalChat('megan');
      const turn = await chat.send(`set upload ${SEED.pending} to complete`);

      expect(turn.invokes.map((i) => [i.name, i.status])).toEqual([['signin/tokenExchange', 412]]);
      expect(turn.invokes[0]!.body).toMatchObject({ id: expect.any(String), failureDetail: expect.stringContaining('Consent') });
      expect(turn.signInShown).toBe(true);
      expect(turn.signIn).toMatchObject({ kind: 'oauthCard', reason: 'exchangeFailed', user: 'megan' });
      expect(turn.signIn!.signInUrl).toContain('/adminconsent?client_id=' + SSO_APP.clientId);
      expect(w.entra.stats().tokenErrors.map((e) => e.error)).toContain('invalid_grant');
      expect(postedCards(turn).some((c) => buttonTitles(c).includes('Confirm'))).toBe(false);
      expect(w.graph.requests()).toEqual([]);

      // The admin consents in the popup; Teams sends signin/verifyState; the parked command resumes.
      const signedIn = await chat.completeSignIn({ grant: () => w.entra.setConsent('megan', [GRAPH_SCOPES.readWrite]) });
      expect(signedIn.invokes.map((i) => [i.name, i.status])).toEqual([
        ['signin/verifyState', 200],
        ['signin/tokenExchange', 200],
      ]);
      const confirmation = chat.lastCardMessage()!;
      expect(cardText(confirmation.card)).toContain(`Set upload ${SEED.pending} from Pending to Complete?`);
      expect(cardText(confirmation.card)).toContain('Requested by Megan Bowen');
      expect(chat.signIns()).toEqual([]);

      const done = await chat.press(confirmation, 'Confirm');
      expect(cardText(done.card)).toContain('is now Complete');
      expect(w.graph.patchCount(SEED.pending)).toBe(1);
    });

    it('the sign-in button opens the tenant\'s admin consent page; accepting it lets every user of the tenant in', async () => {
      const w = world();
      const chat = w.teams.personalChat('megan');
      const turn = await chat.send(`set upload ${SEED.pending} to complete`);
      const url = turn.signIn!.signInUrl!;

      const shown = await fetch(url);
      expect(shown.status).toBe(200);
      const html = await shown.text();
      expect(html).toContain('Permissions requested');
      expect(html).toContain(GRAPH_SCOPES.readWrite);
      // Opening the page grants nothing; accepting does.
      expect((await chat.send(`set upload ${SEED.pending} to complete`)).invokes.map((i) => i.status)).toEqual([412]);

      const accepted = await fetch(url, { method: 'POST' });
      expect(accepted.status).toBe(200);
      expect(await accepted.text()).toContain('Admin consent is recorded');

      const again = await chat.send(`set upload ${SEED.pending} to complete`);
      expect(again.invokes.map((i) => [i.name, i.status])).toEqual([['signin/tokenExchange', 200]]);
      expect(cardText(chat.lastCardMessage()!.card)).toContain('Requested by Megan Bowen');
      // An app the tenant does not know is refused as Entra refuses it.
      const unknown = await fetch(url.replace(SSO_APP.clientId, '11111111-2222-4333-8444-555555555555'));
      expect(unknown.status).toBe(400);
      expect(await unknown.text()).toContain('AADSTS700016');
    });

    it('a personal Microsoft account is refused with a clear card, and no OBO happens', async () => {
      const w = world();
      const chat = w.teams.personalChat('sam');
      const turn = await chat.send(`set upload ${SEED.pending} to complete`);
      // The personal-account tenant is not an allowed tenant: refused by the router, before any sign-in.
      expect(turn.invokes).toEqual([]);
      const card = postedCards(turn).at(-1);
      expect(cardText(card)).toContain('Work or school account needed');
      expect(cardText(card)).toContain('Personal Microsoft accounts cannot use this bot');
      expect(w.entra.stats().oboCalls).toBe(0);
      expect(w.graph.requests()).toEqual([]);
      expect(turnLines(w).map((l) => l.outcome)).toContain('tenant-refused');
    });

    it('a user from a tenant the bot does not allow is refused, and no OBO happens', async () => {
      const w = world();
      const chat = w.teams.personalChat('lee');
      const turn = await chat.send(`show upload ${SEED.fabrikam}`);
      const card = postedCards(turn).at(-1);
      expect(cardText(card)).toContain('Organization not allowed');
      expect(w.entra.stats().oboCalls).toBe(0);
      expect(w.graph.requests()).toEqual([]);
    });

    it('a token exchange for an id the bot never issued is answered 412 and runs nothing', async () => {
      const w = world();
      const chat = w.teams.personalChat('alex');
      const token = await w.entra.mintSsoToken('alex');
      const r = await chat.invoke('signin/tokenExchange', { id: 'not-an-exchange-the-bot-made', connectionName: 'x', token });
      expect(r.status).toBe(412);
      expect(w.entra.stats().oboCalls).toBe(0);
      expect(r.replies).toEqual([]);
    });

    it('someone else\'s SSO token in a token exchange is refused, before any OBO', async () => {
      const w = world();
      const adele = w.teams.personalChat('adele');
      // A command parked for Adele (as the bot does before sending its OAuthCard)…
      const parked = await w.bot.services.parked.park({
        oid: USERS.adele.oid,
        tid: USERS.adele.tid,
        conversationId: adele.conversationId,
        command: { kind: 'setStatus', uploadId: SEED.pending, status: 'complete' },
      });
      // …answered from Adele's chat with Alex's token.
      const alexToken = await w.entra.mintSsoToken('alex');
      const r = await adele.invoke('signin/tokenExchange', { id: parked.exchangeId, connectionName: 'x', token: alexToken });
      expect(r.status).toBe(412);
      expect((r.body as { failureDetail: string }).failureDetail).toContain('belongs to a different user');
      expect(w.entra.stats().oboCalls).toBe(0);
      expect(w.graph.requests()).toEqual([]);
      expect(patches(w)).toBe(0);
    });
  });
});

describe('card-level SSO', () => {
  const world = useWorld();

  it('in a channel, a user without consent gets 412 preconditionFailed and the sign-in button; signing in completes it', async () => {
    const w = world();
    const channel = w.teams.team('IT Admins').channel('General');
    const megan = channel.as('megan');
    const turn = await megan.send(`set upload ${SEED.pending} to complete`);

    expect(turn.invokes.map((i) => [i.reason, i.status])).toEqual([
      ['refresh', 200],
      ['card-sso', 200],
    ]);
    expect(turn.invokes[1]!.body).toMatchObject({
      statusCode: 412,
      type: 'application/vnd.microsoft.error.preconditionFailed',
      value: { code: '412', message: expect.any(String) },
    });
    expect(turn.signIn).toMatchObject({ kind: 'cardAction', reason: 'preconditionFailed', user: 'megan' });
    // Her own view is still the shared request: no Confirm without a credential.
    expect(buttonTitles(megan.lastCardMessage()!.card)).not.toContain('Confirm');
    expect(w.graph.requests()).toEqual([]);

    const signedIn = await megan.completeSignIn({ grant: () => w.entra.setConsent('megan', [GRAPH_SCOPES.readWrite]) });
    expect(signedIn.invokes.at(-1)!.status).toBe(200);
    const view = megan.lastCardMessage()!;
    expect(view.userSpecific).toBe(true);
    expect(buttonTitles(view.card)).toEqual(['Confirm', 'Cancel']);
  });

  it('a personal account pressing a card button is told why, with no OBO', async () => {
    const w = world();
    // Sam has a 1:1 chat; a confirmation-less card with an Execute button: the help → show flow is not needed,
    // any verb that needs Graph will do, so send a showUpload action directly.
    const chat = w.teams.personalChat('sam');
    const r = await chat.invoke('adaptiveCard/action', {
      action: { type: 'Action.Execute', verb: 'showUpload', data: { uploadId: SEED.pending } },
      authentication: { id: 'x', connectionName: 'x', token: await w.entra.mintSsoToken('sam') },
      trigger: 'manual',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ statusCode: 403, type: 'application/vnd.microsoft.error', value: { code: 'TenantNotAllowed', message: expect.stringContaining('Personal Microsoft accounts') } });
    expect(w.entra.stats().oboCalls).toBe(0);
  });

  it('an invalid token in value.authentication is answered 412 and never exchanged', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const forged = await w.entra.mintSsoToken('alex', { signWithUnknownKey: true });
    const r = await chat.invoke('adaptiveCard/action', {
      action: { type: 'Action.Execute', verb: 'showUpload', data: { uploadId: SEED.pending } },
      authentication: { id: 'x', connectionName: 'x', token: forged },
      trigger: 'manual',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ statusCode: 412, type: 'application/vnd.microsoft.error.preconditionFailed' });
    expect(w.entra.stats().oboCalls).toBe(0);
    expect(w.graph.requests()).toEqual([]);
  });
});

describe('per-user OBO credentials', () => {
  const world = useWorld();

  it('concurrent first token requests on a fresh credential share one OBO exchange', async () => {
    const w = world();
    const credentials = new UserCredentials({ clientId: SSO_APP.clientId, clientSecret: SSO_APP.clientSecret, authorityHost: w.entra.url });
    const token = await w.entra.mintSsoToken('alex');
    const credential = credentials.remember({ token, user: { oid: USERS.alex.oid, tid: USERS.alex.tid }, expiresAt: Date.now() + 3600_000 });
    const scope = 'https://graph.microsoft.com/.default';
    const [a, b, c] = await Promise.all([credential.getToken(scope), credential.getToken(scope), credential.getToken(scope)]);
    expect(a!.token).toEqual(expect.any(String));
    expect([b!.token, c!.token]).toEqual([a!.token, a!.token]);
    expect(w.entra.stats().oboCalls).toBe(1);
    // Later calls come from MSAL's cache.
    await credential.getToken(scope);
    expect(w.entra.stats().oboCalls).toBe(1);
  });
});
