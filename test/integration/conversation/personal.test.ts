/**
 * Personal chat, end to end: command → message-level SSO → confirmation card → Confirm → PATCH →
 * result card, with the Action.Submit fallback for clients without Universal Actions.
 */

import { SEED, USERS, askForChange, buttonTitles, cardText, patches, postedCards, turnLines, useWorld } from './helpers';

describe('personal chat', () => {
  const world = useWorld();

  it('set upload → SSO → confirmation → Confirm → PATCH → the result card replaces the confirmation', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');

    const asked = await chat.send(`set upload ${SEED.pending} to complete`);
    expect(asked.status).toBe(200);
    // Message-level SSO: an OAuthCard for the app's resource, answered by one silent exchange.
    const oauth = chat.messages().find((m) => m.oauthCard)?.oauthCard;
    expect(oauth?.tokenExchangeResource).toEqual({ id: expect.any(String), uri: 'api://localhost/0f2b6a1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c', providerId: '' });
    expect(asked.invokes.map((i) => [i.name, i.status])).toEqual([['signin/tokenExchange', 200]]);
    expect(asked.signInShown).toBe(false);
    expect(w.entra.stats().oboByUser).toEqual({ alex: 1 });

    const confirmation = chat.lastCardMessage()!;
    const text = cardText(confirmation.card);
    expect(text).toContain(`Set upload ${SEED.pending} from Pending to Complete?`);
    expect(text).toContain('Requested by Alex Wilber');
    expect(text).toContain('Current status Pending');
    expect(text).toContain('2024-05-20T14:02:11Z'); // created time, from Graph
    expect(text).toMatch(/Expires \{\{DATE\(/);
    expect(buttonTitles(confirmation.card)).toEqual(['Confirm', 'Cancel']);
    expect(confirmation.card!.version).toBe('1.5');
    // Nothing changed yet: the card only asks.
    expect(w.graph.upload(SEED.pending)!.status).toBe('pending');
    expect(patches(w)).toBe(0);

    const done = await chat.press(confirmation, 'Confirm');
    expect(done.response).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(cardText(done.card)).toContain(`Upload ${SEED.pending} is now Complete`);
    expect(cardText(done.card)).toContain('Previous status Pending');
    expect(cardText(done.card)).toContain('Changed by Alex Wilber');
    expect(buttonTitles(done.card)).toEqual([]);
    // The result replaced the confirmation in place: same message, no new post.
    expect(chat.message(confirmation.id)!.card).toEqual(done.card);
    expect(done.replies).toEqual([]);

    expect(w.graph.upload(SEED.pending)!.status).toBe('complete');
    expect(w.graph.patchCount(SEED.pending)).toBe(1);
    const patch = w.graph.requests().find((r) => r.method === 'PATCH')!;
    expect(patch.path).toBe(`/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/${SEED.pending}`);
    expect(patch.body).toEqual({ '@odata.type': '#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload', status: 'complete' });
    expect(patch.oid).toBe(USERS.alex.oid);
    // The credential from the SSO exchange was reused: still one OBO.
    expect(w.entra.stats().oboCalls).toBe(1);
    expect(turnLines(w).map((l) => [l.activityType, l.name, l.outcome])).toEqual([
      ['message', undefined, 'sso-requested'],
      ['invoke', 'signin/tokenExchange', 'sso-exchanged'],
      ['invoke', 'adaptiveCard/action', 'applied'],
    ]);
  });

  it('show upload reads the upload as the user, and a second command needs no second sign-in', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const first = await chat.send(`show upload ${SEED.error}`);
    const details = postedCards(first).at(-1);
    expect(cardText(details)).toContain('Upload status Error');
    expect(cardText(details)).toContain('Devices 2');
    expect(cardText(details)).toContain(SEED.error);

    const second = await chat.send(`Show Upload {${SEED.complete.toUpperCase()}}`);
    expect(second.invokes).toEqual([]); // no OAuthCard this time
    expect(cardText(postedCards(second)[0])).toContain('Upload status Complete');
    expect(w.entra.stats().oboCalls).toBe(1);
    expect(w.graph.requests().every((r) => r.method === 'GET' && r.oid === USERS.alex.oid)).toBe(true);
  });

  it('help lists the commands; sign out forgets the credential, so the next command signs in again', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const help = await chat.send('HELP');
    const helpText = cardText(postedCards(help)[0]);
    for (const usage of ['set upload <id> to <status>', 'show upload <id>', 'sign out', 'help']) expect(helpText).toContain(usage);

    await chat.send(`show upload ${SEED.pending}`);
    expect(w.entra.stats().oboCalls).toBe(1);
    const out = await chat.send('sign out');
    expect(cardText(postedCards(out)[0])).toContain('The bot has forgotten your sign-in');
    const again = await chat.send(`show upload ${SEED.pending}`);
    expect(again.invokes.map((i) => i.name)).toEqual(['signin/tokenExchange']);
    expect(w.entra.stats().oboCalls).toBe(2);
    const outAgain = await chat.send('sign out');
    expect(cardText(postedCards(outAgain)[0])).toContain('The bot has forgotten your sign-in');
    const noOne = await w.teams.personalChat('adele').send('sign out');
    expect(cardText(postedCards(noOne)[0])).toContain('You were not signed in');
  });

  it('without Universal Actions, Confirm arrives as Action.Submit and the confirmation is replaced with updateActivity', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex', { universalActions: false });
    const confirmation = await askForChange(chat, SEED.noUpload, 'pending');
    const done = await chat.press(confirmation, 'Confirm');

    // An Action.Submit is a message activity carrying the data and the verb.
    expect(done.activity).toMatchObject({ type: 'message', value: { verb: 'confirmChange', changeKey: expect.any(String) } });
    expect(done.sent.map((s) => [s.operation, s.activityId])).toEqual([['updateActivity', confirmation.id]]);
    const replaced = chat.message(confirmation.id)!;
    expect(replaced.version).toBe(2);
    expect(cardText(replaced.card)).toContain(`Upload ${SEED.noUpload} is now Pending`);
    expect(buttonTitles(replaced.card)).toEqual([]);
    expect(w.graph.upload(SEED.noUpload)!.status).toBe('pending');
    expect(w.graph.patchCount(SEED.noUpload)).toBe(1);
  });

  it('Cancel through the Action.Submit fallback also replaces the card, and changes nothing', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex', { universalActions: false });
    const confirmation = await askForChange(chat, SEED.pending, 'error');
    const cancelled = await chat.press(confirmation, 'Cancel');
    expect(cancelled.sent.map((s) => s.operation)).toEqual(['updateActivity']);
    expect(cardText(chat.message(confirmation.id)!.card)).toContain('Nothing was changed');
    expect(patches(w)).toBe(0);
    expect(w.graph.upload(SEED.pending)!.status).toBe('pending');
  });

  it('asking for the status the upload already has offers nothing to confirm', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    await chat.send(`set upload ${SEED.complete} to complete`);
    const card = chat.lastCard();
    expect(cardText(card)).toContain('is already Complete, so there is nothing to change');
    expect(buttonTitles(card)).not.toContain('Confirm');
    expect(patches(w)).toBe(0);

  });
});
