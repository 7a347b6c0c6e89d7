/**
 * Meeting the Microsoft cloud as it is: a Graph whose published schema routes no uploads
 * collection (the "not offered" card, never a crash, a PATCH or an announcement), `diag`, Intune's
 * 204 PATCH and its 429 without Retry-After, and a requester's several clients refreshing one card.
 */
import { SEED, USERS, askForChange, buttonTitles, cardText, keyOf, patches, postedCards, turnLines, useWorld } from './helpers';
import type { World } from '../../support/world';

const REQUEST_ID = /request-id: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const NOT_OFFERED_TITLE = 'Autopilot upload records are not offered here';

function graphHost(w: World): string {
  return new URL(w.graph.url).host;
}

/** The not-offered card, naming the version and host, the commands that still work, and Graph's request-id. */
function expectNotOffered(w: World, text: string, version = 'v1.0'): void {
  expect(text).toContain(NOT_OFFERED_TITLE);
  expect(text).toContain(`Microsoft Graph ${version} at ${graphHost(w)} does not offer Autopilot upload records`);
  expect(text).toContain('show imports');
  expect(text).toMatch(REQUEST_ID);
  expect(text).not.toContain('Microsoft Graph rejected the request');
}

/** Nothing was queued for the team channels, and no change card went out. */
async function expectNothingAnnounced(w: World): Promise<void> {
  expect(await w.bot.services.notifications.outbox.depth()).toBe(0);
  expect(w.logs()).not.toContain('change notification queued');
  expect(w.teams.sent().filter((s) => JSON.stringify(s.activity ?? {}).includes('Upload status changed'))).toEqual([]);
}

function notOfferedWarnings(w: World): string[] {
  return w
    .logs()
    .split('\n')
    .filter((l) => l.includes('"level":"warn"') && l.includes('does not offer the Autopilot uploads collection'));
}

describe('a Graph that does not offer the uploads collection (published schema)', () => {
  const world = useWorld({ graph: { schema: 'published' } });

  it('show upload, set upload and the form answer the not-offered card; warned once; no PATCH, nothing announced', async () => {
    const w = world();
    const team = w.teams.team('IT Admins');
    expect(team.id).toBeDefined(); // a subscribed General channel that would receive announcements
    const chat = w.teams.personalChat('alex');

    const shown = await chat.send(`show upload ${SEED.pending}`);
    expect(shown.status).toBe(200);
    const shownText = cardText(postedCards(shown).at(-1));
    expectNotOffered(w, shownText);
    // The other version was never tried: the card does not claim it works.
    expect(shownText).toContain('has not been tried here');
    expect(shownText).not.toContain('does offer them');

    const asked = await chat.send(`set upload ${SEED.pending} to complete`);
    expectNotOffered(w, cardText(postedCards(asked).at(-1)));
    expect(buttonTitles(postedCards(asked).at(-1))).toEqual(['Show imports']);

    await chat.send('set upload');
    const submitted = await chat.press(chat.lastCardMessage()!, 'Review change', { uploadId: SEED.error, status: 'pending' });
    expectNotOffered(w, cardText(postedCards(submitted).at(-1)));

    expect(patches(w)).toBe(0);
    expect(w.graph.requests().every((r) => r.method === 'GET' && r.status === 400)).toBe(true);
    expect(turnLines(w).map((l) => l.outcome)).not.toContain('error');
    // Three turns hit it; the log says it once.
    expect(notOfferedWarnings(w)).toHaveLength(1);
    expect(notOfferedWarnings(w)[0]).toContain('"apiVersion":"v1.0"');
    await expectNothingAnnounced(w);
  });

  it('Confirm of a change asked before the schema changed: the not-offered card, no PATCH, nothing announced', async () => {
    const w = world();
    w.graph.mode.schema = 'documented';
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    w.graph.mode.schema = 'published';

    const done = await chat.press(confirmation, 'Confirm');
    expect(done.response).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    const text = cardText(done.card);
    expectNotOffered(w, text);
    // The bot read beta nowhere, but v1.0 worked minutes ago: neither claim is made about beta.
    expect(text).not.toContain('Microsoft Graph beta at');
    expect(buttonTitles(done.card)).toEqual(['Show imports']);
    expect(patches(w)).toBe(0);
    expect(w.graph.upload(SEED.pending)!.status).toBe('pending');
    await expectNothingAnnounced(w);
    // The spent confirmation remembers the failure instead of trying again.
    const again = await chat.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'confirmChange', data: { changeKey: keyOf(confirmation.card) } } });
    expect(cardText((again.body as { value: object }).value)).toContain('This request failed');
    expect(patches(w)).toBe(0);
  });

  it('in a channel: the requester\'s refreshed view is the not-offered card; a Confirm sent anyway changes nothing', async () => {
    const w = world();
    const channel = w.teams.team('IT Admins').channel('Autopilot');
    const alex = channel.as('alex');
    const asked = await alex.send(`set upload ${SEED.pending} to complete`);
    expect(asked.status).toBe(200);
    const shared = alex.lastCardMessage()!;
    expectNotOffered(w, cardText(shared.card));
    const confirm = await alex.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'confirmChange', data: { changeKey: keyOf(shared.sharedCard) } } });
    expectNotOffered(w, cardText((confirm.body as { value: object }).value));
    expect(patches(w)).toBe(0);
    await expectNothingAnnounced(w);
  });

  it('diag: upload records ✗ in v1.0 and beta with the request-id, device identities ✓; then the card knows beta does not offer them either', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const turn = await chat.send('diag');
    const text = cardText(postedCards(turn).at(-1));
    expect(text).toMatch(/✗ Upload records, v1\.0 \(configured\) — not offered: Graph has no importedWindowsAutopilotDeviceIdentityUploads segment here \(BadRequest, HTTP 400\) request-id: [0-9a-f-]{36}/);
    expect(text).toMatch(/✗ Upload records, beta — not offered/);
    expect(text).toMatch(/✓ Device identities, v1\.0 — readable \(\$top=1 returned 1 item\) request-id: [0-9a-f-]{36}/);
    expect(text).toContain(`✓ Microsoft Graph reachable — ${graphHost(w)} answered`);
    expect(text).toMatch(/✓ Teams SSO token — valid for tenant [0-9a-f-]{36}, scopes access_as_user/);
    expect(text).toContain('✓ On-behalf-of exchange');
    expect(text).toContain('✓ Permission — read-write');
    expect(text).toContain('✓ State store');
    expect(text).toContain('✓ Notification queue');
    expect(text).toContain('2 of 9 checks failed.');
    // Each probe was one $top=1 read.
    const probes = w.graph.requests().filter((r) => r.method === 'GET');
    expect(probes.map((r) => [r.path, r.query])).toEqual(
      expect.arrayContaining([
        ['/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads', '$top=1'],
        ['/beta/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads', '$top=1'],
        ['/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities', '$top=1'],
      ]),
    );
    expect(patches(w)).toBe(0);

    const shown = await chat.send(`show upload ${SEED.pending}`);
    const card = cardText(postedCards(shown).at(-1));
    expectNotOffered(w, card);
    expect(card).toContain('Microsoft Graph beta at');
    expect(card).toContain('does not offer them either');
    // One warning per version: v1.0 and beta, however many turns.
    expect(notOfferedWarnings(w).map((l) => JSON.parse(l).apiVersion).sort()).toEqual(['beta', 'v1.0']);
  });
});

describe('diag against the documented schema', () => {
  const world = useWorld();

  it('personal chat: SSO first (like show upload), then every line ✓; no token on the card', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const turn = await chat.send('diag');
    expect(turn.invokes.map((i) => [i.name, i.status])).toEqual([['signin/tokenExchange', 200]]);
    const card = postedCards(turn).at(-1);
    const text = cardText(card);
    expect(text).toContain('Every check passed.');
    expect(text).toMatch(/✓ Upload records, v1\.0 \(configured\) — readable/);
    expect(text).toMatch(/✓ Upload records, beta — readable/);
    expect(text).toMatch(/✓ Device identities, v1\.0 — readable/);
    expect(text).toContain('✓ Permission — read-write: Entra granted DeviceManagementServiceConfig.ReadWrite.All');
    expect(text).not.toContain('✗');
    expect(JSON.stringify(card)).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}/);
    expect(turnLines(w).map((l) => l.outcome)).toEqual(['sso-requested', 'sso-exchanged']);

    // Once diag has read beta, a not-offered v1.0 card may name beta as working.
    w.graph.mode.schema = 'published';
    const shown = await chat.send(`show upload ${SEED.pending}`);
    const notOffered = cardText(postedCards(shown).at(-1));
    expect(notOffered).toContain(`Microsoft Graph beta at ${graphHost(w)} does offer them`);
    expect(notOffered).toContain('GRAPH_API_VERSION=beta');
  });

  it('a Read.All-only admin: permission ✗ read only (from the scopes Entra granted)', async () => {
    const w = world();
    const text = cardText(postedCards(await w.teams.personalChat('diego').send('diag')).at(-1));
    expect(text).toContain('✗ Permission — read only: Entra granted DeviceManagementServiceConfig.Read.All, not DeviceManagementServiceConfig.ReadWrite.All');
    expect(text).toMatch(/✓ Upload records, v1\.0/);
  });

  it('in a channel the results reach the asker only: the shared card has none, the asker\'s refreshed view has them', async () => {
    const w = world();
    const channel = w.teams.team('IT Admins').channel('General');
    const alex = channel.as('alex');
    const adele = channel.as('adele');
    const asked = await alex.send('diag');
    // No message-level SSO in channels: the refresh is answered 401 loginRequest, then card-level SSO.
    expect(asked.invokes.map((i) => [i.user, i.reason])).toEqual([
      ['alex', 'refresh'],
      ['alex', 'card-sso'],
    ]);
    const message = alex.lastCardMessage()!;
    expect(message.sharedCard!.refresh.userIds).toEqual([USERS.alex.teamsId]);
    expect(cardText(message.sharedCard)).not.toMatch(/[✓✗]/);
    expect(message.userSpecific).toBe(true);
    expect(cardText(message.card)).toContain('Every check passed.');
    expect(cardText(message.card)).toContain('Only you see these results.');
    expect(message.card!.refresh.userIds).toEqual([USERS.alex.teamsId]);

    await adele.view();
    const seenByAdele = adele.message(message.id)!;
    expect(seenByAdele.userSpecific).toBe(false);
    expect(cardText(seenByAdele.card)).not.toMatch(/[✓✗]/);
    expect(w.teams.invokes().filter((i) => i.user === 'adele')).toEqual([]);
    // Nothing but the shared card was posted in the channel.
    expect(w.teams.sent(channel.id).filter((s) => s.operation !== 'updateActivity')).toHaveLength(1);

    // Reopening the channel later refreshes the card again: long after it was asked, that no longer re-runs the check.
    const graphCalls = w.graph.requests().length;
    const oboCalls = w.entra.stats().oboCalls;
    const late = await alex.invoke(
      'adaptiveCard/action',
      { action: { type: 'Action.Execute', verb: 'runDiag', data: { askedAt: String(Date.now() - 11 * 60_000) } }, trigger: 'automatic' },
      { replyToId: message.id },
    );
    expect(cardText((late.body as { value: object }).value)).toContain('Type diag to run it again');
    expect(w.graph.requests()).toHaveLength(graphCalls);
    expect(w.entra.stats().oboCalls).toBe(oboCalls);
  });
});

describe('Intune\'s answers', () => {
  const world = useWorld();

  it('PATCH 204 No Content: the bot re-reads the upload and the result card shows that entity', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.noUpload, 'pending');
    const done = await chat.press(confirmation, 'Confirm');
    expect(w.graph.requests().map((r) => [r.method, r.status]).slice(-3)).toEqual([
      ['GET', 200],
      ['PATCH', 204],
      ['GET', 200],
    ]);
    const text = cardText(done.card);
    expect(text).toContain(`Upload ${SEED.noUpload} is now Pending`);
    expect(text).toContain('Previous status No upload');
    // The created time came from the GET after the 204 (the PATCH answered no body).
    expect(text).toContain(w.graph.upload(SEED.noUpload)!.createdDateTimeUtc);
    expect(w.graph.patchCount(SEED.noUpload)).toBe(1);
  });

  it('429 without Retry-After: the client backs off on its own and the change is applied once', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    w.graph.faults.next(1, { status: 429, retryAfterSeconds: null });
    const started = Date.now();
    const done = await chat.press(confirmation, 'Confirm');
    const elapsed = Date.now() - started;
    expect(cardText(done.card)).toContain(`Upload ${SEED.pending} is now Complete`);
    expect(w.graph.requests().map((r) => [r.method, r.status]).slice(-4)).toEqual([
      ['GET', 429],
      ['GET', 200],
      ['PATCH', 204],
      ['GET', 200],
    ]);
    // With no Retry-After, the Graph client's own back-off (base delay 1 s) separated the retry.
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(w.graph.patchCount(SEED.pending)).toBe(1);
    expect(w.graph.upload(SEED.pending)!.status).toBe('complete');
  });
});

describe('refresh storms', () => {
  const world = useWorld();

  it('the requester\'s several clients refreshing one card: one Graph read, no state written', async () => {
    const w = world();
    const channel = w.teams.team('IT Admins').channel('Autopilot');
    const alex = channel.as('alex');
    await alex.send(`set upload ${SEED.pending} to complete`);
    const shared = alex.lastCardMessage()!;
    const key = keyOf(shared.sharedCard);
    const reads = () => w.graph.requests().filter((r) => r.method === 'GET' && r.path.endsWith(SEED.pending)).length;
    expect(reads()).toBe(1);
    const before = await w.bot.services.changes.load(key);

    // Desktop and web at once, then mobile, then the chat reopened.
    const [desktop, web] = await Promise.all([alex.refresh(shared), alex.refresh(shared)]);
    const mobile = await alex.refresh(shared);
    for (const turn of [desktop, web, mobile]) {
      expect(turn.invokes.at(-1)!.status).toBe(200);
    }
    expect(buttonTitles(alex.message(shared.id)!.card)).toEqual(['Confirm', 'Cancel']);
    expect(reads()).toBe(1);
    // No write per refresh: the stored change is exactly as it was.
    expect((await w.bot.services.changes.load(key))!.eTag).toBe(before!.eTag);

    // Confirm still works from the cached view, and re-reads the upload itself.
    const done = await alex.press(shared, 'Confirm');
    expect(cardText(done.card)).toContain(`Upload ${SEED.pending} is now Complete`);
    expect(reads()).toBe(3); // Confirm's own GET, and the GET after the 204
    expect(w.graph.patchCount(SEED.pending)).toBe(1);
  });
});
