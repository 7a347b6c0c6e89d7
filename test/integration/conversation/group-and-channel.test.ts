/**
 * Group chats (message-level SSO, @mention stripped, the shared card updated for everyone) and team
 * channels (no message-level SSO: the shared request card is refreshed for the requester alone,
 * where card-level SSO happens).
 */
import { SSO_APP } from '../../../sandbox/directory';
import { SEED, USERS, buttonTitles, cardText, patches, turnLines, useWorld } from './helpers';

describe('group chat', () => {
  const world = useWorld();

  it('the @mention is stripped; SSO for the asker; Confirm updates the card every member sees', async () => {
    const w = world();
    const group = w.teams.groupChat('Autopilot ops', ['alex', 'adele', 'megan']);
    const adele = group.as('adele');
    const alex = group.as('alex');

    const asked = await adele.send(`set upload ${SEED.error} to pending`);
    expect(asked.activity.text).toBe(`<at>Autopilot Uploads</at> set upload ${SEED.error} to pending`);
    expect(asked.invokes.map((i) => [i.user, i.name, i.status])).toEqual([['adele', 'signin/tokenExchange', 200]]);
    const confirmation = adele.lastCardMessage()!;
    expect(cardText(confirmation.card)).toContain(`Set upload ${SEED.error} from Error to Pending?`);
    expect(cardText(confirmation.card)).toContain('Requested by Adele Vance');
    // Outside channels there is nobody to hide the buttons from: no refresh, the card is the confirmation.
    expect(confirmation.card!.refresh).toBeUndefined();

    const done = await adele.press(confirmation, 'Confirm');
    expect(cardText(done.card)).toContain(`Upload ${SEED.error} is now Pending`);
    expect(w.graph.upload(SEED.error)!.status).toBe('pending');
    expect(w.graph.patchCount(SEED.error)).toBe(1);
    // The message itself was updated, so Alex sees the result too, not a stale Confirm button.
    const seenByAlex = alex.message(confirmation.id)!;
    expect(seenByAlex.userSpecific).toBe(false);
    expect(cardText(seenByAlex.card)).toContain(`Upload ${SEED.error} is now Pending`);
    expect(buttonTitles(seenByAlex.card)).toEqual([]);
  });
});

describe('team channel', () => {
  const world = useWorld();

  it('request card for everyone → refresh + card-level SSO for the requester → Confirm → PATCH → everyone sees the result', async () => {
    const w = world();
    const channel = w.teams.team('IT Admins').channel('Autopilot');
    const alex = channel.as('alex');
    const adele = channel.as('adele');

    const asked = await alex.send(`set upload ${SEED.pending} to complete`);
    expect(asked.status).toBe(200);
    // No message-level SSO in channels: no OAuthCard, no signin/tokenExchange.
    expect(asked.invokes.some((i) => i.name === 'signin/tokenExchange')).toBe(false);
    expect(w.teams.sent(channel.id).some((s) => JSON.stringify(s.activity).includes('card.oauth'))).toBe(false);

    // Alex's client refreshed the card: 401 loginRequest for the app's resource, then the same invoke with the token.
    // The outcome is in the body; the HTTP status is 200, as in Microsoft's samples.
    expect(asked.invokes.map((i) => [i.user, i.reason, i.status])).toEqual([
      ['alex', 'refresh', 200],
      ['alex', 'card-sso', 200],
    ]);
    const loginRequest = asked.invokes[0]!.body as { statusCode: number; type: string; value: Record<string, any> };
    expect(loginRequest).toMatchObject({
      statusCode: 401,
      type: 'application/vnd.microsoft.activity.loginRequest',
      value: { tokenExchangeResource: { id: expect.any(String), uri: SSO_APP.appIdUri }, buttons: [{ type: 'signin', value: expect.stringContaining('/auth/start?state=') }] },
    });
    expect((asked.invokes[1]!.value as { authentication?: { token?: string } }).authentication?.token).toEqual(expect.any(String));
    expect(w.entra.stats().oboByUser).toEqual({ alex: 1 });

    const shared = alex.lastCardMessage()!;
    // Everyone's card names the request and the requester, without buttons that act.
    expect(cardText(shared.sharedCard)).toContain('Alex Wilber');
    expect(cardText(shared.sharedCard)).toContain(SEED.pending);
    expect(buttonTitles(shared.sharedCard)).not.toContain('Confirm');
    expect(shared.sharedCard!.refresh.userIds).toEqual([USERS.alex.teamsId]);
    // Alex's own refreshed view is the confirmation.
    expect(shared.userSpecific).toBe(true);
    expect(cardText(shared.card)).toContain(`Set upload ${SEED.pending} from Pending to Complete?`);
    expect(buttonTitles(shared.card)).toEqual(['Confirm', 'Cancel']);

    // Adele is not named by refresh.userIds: her client does not refresh, she never sees Confirm.
    await adele.view();
    const adeleSees = adele.message(shared.id)!;
    expect(adeleSees.userSpecific).toBe(false);
    expect(buttonTitles(adeleSees.card)).not.toContain('Confirm');
    expect(w.teams.invokes().filter((i) => i.user === 'adele')).toEqual([]);

    const done = await alex.press(shared, 'Confirm');
    expect(cardText(done.card)).toContain(`Upload ${SEED.pending} is now Complete`);
    expect(w.graph.upload(SEED.pending)!.status).toBe('complete');
    expect(w.graph.patchCount(SEED.pending)).toBe(1);
    // The shared card was edited for everyone.
    const afterForAdele = adele.message(shared.id)!;
    expect(cardText(afterForAdele.sharedCard)).toContain(`Upload ${SEED.pending} is now Complete`);
    expect(buttonTitles(afterForAdele.card)).toEqual([]);
    expect(w.entra.stats().oboCalls).toBe(1);
  });

  it('another member pressing Review keeps seeing the shared card and cannot confirm', async () => {
    const w = world();
    const channel = w.teams.team('IT Admins').channel('General');
    const alex = channel.as('alex');
    const adele = channel.as('adele');
    await alex.send(`set upload ${SEED.pending} to error`);
    const shared = alex.lastCardMessage()!;

    const review = await adele.press(shared.id, 'Review');
    expect(review.response).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(buttonTitles(review.card)).not.toContain('Confirm');
    expect(cardText(review.card)).toContain('Alex Wilber');
    // Refusal without a Graph call: no sign-in for her, no PATCH.
    expect(w.entra.stats().oboByUser.adele).toBeUndefined();
    expect(patches(w)).toBe(0);
  });

  it('show upload in a channel offers a button whose press signs in at card level and shows the upload', async () => {
    const w = world();
    const alex = w.teams.team('IT Admins').channel('General').as('alex');
    const asked = await alex.send(`show upload ${SEED.complete}`);
    expect(asked.invokes).toEqual([]);
    const lookup = alex.lastCardMessage()!;
    const [button] = buttonTitles(lookup.card);
    expect(button).toBeDefined();

    const shown = await alex.press(lookup, button!);
    expect(shown.invokes.map((i) => [i.reason, i.status])).toEqual([
      ['execute', 200],
      ['card-sso', 200],
    ]);
    expect((shown.invokes[0]!.body as { statusCode: number }).statusCode).toBe(401);
    expect(cardText(shown.card)).toContain('Upload status Complete');
    expect(cardText(shown.card)).toContain('Devices 2');
    expect(turnLines(w).map((l) => l.outcome)).toEqual(['lookup-button', 'sso-login-request', 'shown']);
  });
});
