/**
 * Teams SSO through the bot: duplicate token exchanges, missing consent and its sign-in fallback,
 * accounts the bot must refuse before any on-behalf-of exchange, and card-level SSO failures.
 */
import fs from 'node:fs';
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

    it('consent missing → 412 and the sign-in card; its popup goes start page → Entra consent → end page, and only then verifyState resumes the command', async () => {
      const w = world();
      const chat = w.teams.personalChat('megan');
      const turn = await chat.send(`set upload ${SEED.pending} to complete`);

      expect(turn.invokes.map((i) => [i.name, i.status])).toEqual([['signin/tokenExchange', 412]]);
      expect(turn.invokes[0]!.body).toMatchObject({ id: expect.any(String), failureDetail: expect.stringContaining('Consent') });
      expect(turn.signInShown).toBe(true);
      expect(turn.signIn).toMatchObject({ kind: 'oauthCard', reason: 'exchangeFailed', user: 'megan' });
      // The button opens the bot's own page (a validDomains host), not Entra directly.
      expect(turn.signIn!.signInUrl).toMatch(new RegExp(`^${w.botUrl}/auth/start\\?state=[\\w-]+\\.[\\w-]+$`));
      expect(w.entra.stats().tokenErrors.map((e) => e.error)).toContain('invalid_grant');
      expect(postedCards(turn).some((c) => buttonTitles(c).includes('Confirm'))).toBe(false);
      expect(w.graph.requests()).toEqual([]);

      // The admin presses the button and accepts on Entra's page; no test hook grants anything.
      const signedIn = await chat.completeSignIn();
      const popup = signedIn.popup!;
      expect(popup.kind).toBe('notifySuccess');
      expect(popup.visits.map((v) => [v.method, new URL(v.url).origin + new URL(v.url).pathname, v.status])).toEqual([
        ['GET', `${w.botUrl}/auth/start`, 302],
        ['GET', `${w.entra.url}/${USERS.megan.tid}/v2.0/adminconsent`, 200],
        ['POST', `${w.entra.url}/${USERS.megan.tid}/v2.0/adminconsent`, 302],
        ['GET', `${w.botUrl}/auth/end`, 200],
      ]);
      expect(signedIn.invokes.map((i) => [i.name, i.status])).toEqual([
        ['signin/verifyState', 200],
        ['signin/tokenExchange', 200],
      ]);
      // Teams sends what the end page handed notifySuccess.
      expect(signedIn.invokes[0]!.value).toEqual({ state: popup.kind === 'notifySuccess' ? popup.result : 'none' });
      const confirmation = chat.lastCardMessage()!;
      expect(cardText(confirmation.card)).toContain(`Set upload ${SEED.pending} from Pending to Complete?`);
      expect(cardText(confirmation.card)).toContain('Requested by Megan Bowen');
      expect(chat.signIns()).toEqual([]);

      const done = await chat.press(confirmation, 'Confirm');
      expect(cardText(done.card)).toContain('is now Complete');
      expect(w.graph.patchCount(SEED.pending)).toBe(1);

      // The same state again (a replay) finds its command taken: nothing runs twice.
      const replay = await chat.invoke('signin/verifyState', signedIn.invokes[0]!.value);
      expect(replay.status).toBe(200);
      expect(replay.invokes.filter((i) => i.name === 'signin/tokenExchange')).toEqual([]);
      expect(turnLines(w).at(-1)!.outcome).toBe('verify-state-nothing-parked');
    });

    it('the start page sends the browser only to the tenant\'s admin consent with the bot\'s end page as redirect_uri, whatever the query says; pages carry a CSP', async () => {
      const w = world();
      const chat = w.teams.personalChat('megan');
      const turn = await chat.send(`set upload ${SEED.pending} to complete`);
      const button = new URL(turn.signIn!.signInUrl!);
      const state = button.searchParams.get('state')!;

      const hostile = new URL(button);
      hostile.searchParams.set('redirect_uri', 'https://evil.example/steal');
      hostile.searchParams.set('next', 'https://evil.example/');
      hostile.searchParams.set('authority', 'https://evil.example');
      const start = await fetch(hostile, { redirect: 'manual' });
      expect(start.status).toBe(302);
      const to = new URL(start.headers.get('location')!);
      expect(to.origin + to.pathname).toBe(`${w.entra.url}/${USERS.megan.tid}/v2.0/adminconsent`);
      expect(Object.fromEntries(to.searchParams)).toEqual({
        client_id: SSO_APP.clientId,
        scope: 'https://graph.microsoft.com/DeviceManagementServiceConfig.ReadWrite.All',
        redirect_uri: `${w.botUrl}/auth/end`,
        state,
      });
      expect(start.headers.get('location')).not.toContain('evil.example');
      const csp = start.headers.get('content-security-policy')!;
      for (const host of ['https://teams.microsoft.com', 'https://*.teams.microsoft.com', 'https://*.office.com', 'https://*.cloud.microsoft', 'https://outlook.office.com']) {
        expect(csp).toMatch(new RegExp(`frame-ancestors [^;]*${host.replace(/[.*]/g, '\\$&')}(\\s|;|$)`));
      }

      // A state the bot did not seal opens nothing.
      const forged = await fetch(`${w.botUrl}/auth/start?state=${state.slice(0, -2)}xx`, { redirect: 'manual' });
      expect(forged.status).toBe(400);
      expect(forged.headers.get('location')).toBeNull();
      expect(await fetch(`${w.botUrl}/auth/start`, { redirect: 'manual' }).then((r) => r.status)).toBe(400);

      // The end page: teams-js from the bot itself, only nonce'd scripts.
      const end = await fetch(`${w.botUrl}/auth/end?admin_consent=True&tenant=${USERS.megan.tid}&state=${state}`);
      const html = await end.text();
      const endCsp = end.headers.get('content-security-policy')!;
      const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(endCsp)?.[1];
      expect(nonce).toBeDefined();
      expect(endCsp).toContain("connect-src 'none'");
      expect(endCsp).toContain('frame-ancestors');
      expect(html).toContain(`<script nonce="${nonce}" src="/auth/teams-js"></script>`);
      expect(html).toMatch(/notifySuccess/);
      expect(html).not.toMatch(/https:\/\/[^"]*cdn/);
      const js = await fetch(`${w.botUrl}/auth/teams-js`);
      expect(js.headers.get('content-type')).toContain('javascript');
      expect(Buffer.from(await js.arrayBuffer()).equals(fs.readFileSync(require.resolve('@microsoft/teams-js').replace(/dist[/\\].*$/, 'dist/umd/MicrosoftTeams.min.js')))).toBe(true);
      // The end page refuses a start state for another tenant than Entra reports.
      const otherTenant = await fetch(`${w.botUrl}/auth/end?admin_consent=True&tenant=${USERS.lee.tid}&state=${state}`).then((r) => r.text());
      expect(otherTenant).toContain('"outcome":"failure","reason":"tenant_mismatch"');
    });

    it('Entra refuses a redirect_uri the app has not registered: none → AADSTS500113, another → AADSTS50011; Teams sends nothing, nothing is granted', async () => {
      const w = world();
      const chat = w.teams.personalChat('megan');
      await chat.send(`set upload ${SEED.pending} to complete`);

      w.entra.setRedirectUris(SSO_APP.clientId, []);
      const none = await chat.completeSignIn();
      expect(none.popup).toMatchObject({ kind: 'stuck', text: expect.stringContaining('AADSTS500113: No reply address is registered for the application.') });
      expect(none.invokes).toEqual([]);
      expect(chat.signIns()).toHaveLength(1);

      w.entra.setRedirectUris(SSO_APP.clientId, ['https://bot.contoso.com/auth/end']);
      const wrong = await chat.completeSignIn();
      expect(wrong.popup).toMatchObject({
        kind: 'stuck',
        text: expect.stringContaining(`AADSTS50011: The redirect URI '${w.botUrl}/auth/end' specified in the request does not match the redirect URIs configured for the application '${SSO_APP.clientId}'.`),
      });
      expect(wrong.invokes).toEqual([]);
      // Still no consent: the next try fails silently again.
      expect((await chat.send(`set upload ${SEED.pending} to complete`)).invokes.map((i) => i.status)).toEqual([412]);
      expect(w.graph.requests()).toEqual([]);
    });

    it('an admin who declines: the end page reports notifyFailure with Entra\'s error, Teams sends no verifyState, nothing runs', async () => {
      const w = world();
      const chat = w.teams.personalChat('megan');
      await chat.send(`set upload ${SEED.pending} to complete`);
      const declined = await chat.completeSignIn({ consent: 'decline' });
      expect(declined.popup).toMatchObject({ kind: 'notifyFailure', reason: expect.stringContaining('access_denied: AADSTS65004') });
      expect(declined.invokes).toEqual([]);
      expect(chat.signIns()).toHaveLength(1);
      expect(w.graph.requests()).toEqual([]);
    });

    it('a tampered, foreign or wrong-purpose state on signin/verifyState is refused and nothing runs', async () => {
      const w = world();
      const chat = w.teams.personalChat('megan');
      const turn = await chat.send(`set upload ${SEED.pending} to complete`);
      const exchangeId = (turn.invokes[0]!.value as { id: string }).id;
      const startState = new URL(turn.signIn!.signInUrl!).searchParams.get('state')!;
      const states = w.bot.services.signInStates;
      const genuine = states.seal('done', { tid: USERS.megan.tid, oid: USERS.megan.oid, exchangeId });
      const [body, mac] = genuine.split('.');
      const tamperedBody = Buffer.from(Buffer.from(body!, 'base64url').toString().replace(USERS.megan.oid, USERS.adele.oid)).toString('base64url');
      const attempts: Record<string, string> = {
        garbage: 'not-a-state',
        tampered: `${tamperedBody}.${mac}`,
        'foreign (sealed for Adele)': states.seal('done', { tid: USERS.adele.tid, oid: USERS.adele.oid, exchangeId }),
        'start state (skips the end page)': startState,
        expired: states.seal('done', { tid: USERS.megan.tid, oid: USERS.megan.oid, exchangeId }, Date.now() - 1),
      };
      for (const [what, state] of Object.entries(attempts)) {
        const r = await chat.invoke('signin/verifyState', { state });
        expect([what, r.status]).toEqual([what, 403]);
        expect(r.invokes.filter((i) => i.name === 'signin/tokenExchange')).toEqual([]);
        expect(cardText(postedCards(r).at(-1))).toContain('Sign-in not accepted');
      }
      expect(turnLines(w).filter((l) => l.name === 'signin/verifyState').map((l) => l.outcome)).toEqual([
        'verify-state-refused:malformed',
        'verify-state-refused:bad-signature',
        'verify-state-refused:other-user',
        'verify-state-refused:wrong-purpose',
        'verify-state-refused:expired',
      ]);
      // The genuine one still resumes (Megan's consent granted so the exchange now works).
      w.entra.setConsent('megan', [GRAPH_SCOPES.readWrite]);
      const ok = await chat.invoke('signin/verifyState', { state: genuine });
      expect(ok.status).toBe(200);
      expect(ok.invokes.map((i) => [i.name, i.status])).toEqual([
        ['signin/verifyState', 200],
        ['signin/tokenExchange', 200],
      ]);
      // Adele pressing with Megan's state in her own chat: not hers, refused.
      const adele = w.teams.personalChat('adele');
      expect((await adele.invoke('signin/verifyState', { state: genuine })).status).toBe(403);
      expect(w.graph.requests().filter((r) => r.method === 'PATCH')).toEqual([]);
    });

    it('signin/failure from Teams is logged with its code and the person is told what failed', async () => {
      const w = world();
      const chat = w.teams.personalChat('megan');
      const r = await chat.invoke('signin/failure', { code: 'resourcematchfailed', message: 'Resource match failed' });
      expect(r.status).toBe(200);
      const told = cardText(postedCards(r).at(-1));
      expect(told).toContain('Sign-in failed');
      expect(told).toContain("sign-in resource");
      expect(told).toContain('resourcematchfailed');
      expect(w.logs()).toMatch(/"code":"resourcematchfailed".*Teams reported a sign-in failure/);
      expect(turnLines(w).at(-1)!.outcome).toBe('signin-failure:resourcematchfailed');
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

    const signedIn = await megan.completeSignIn();
    expect(signedIn.popup).toMatchObject({ kind: 'notifySuccess' });
    // Teams sends the action again with the end page's state; the bot asks for SSO, which now works.
    expect(signedIn.invokes.map((i) => i.reason)).toEqual(['sign-in-state', 'card-sso']);
    expect(signedIn.invokes[0]!.value).toMatchObject({ state: (signedIn.popup as { result: string }).result });
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
