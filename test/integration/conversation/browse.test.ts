/**
 * Finding and inspecting without typing GUIDs, end to end through the stand-ins: `list uploads [<status>]` with
 * Show more (sealed page tokens over Graph's nextLink), Show and Change status on each row, the upload picker's
 * typeahead (`application/search`), `show upload` with its devices' errors grouped, `show imports` and
 * `show import <importId>` in both Graph schema modes — in personal chats, group chats and channels.
 */
import { GRAPH_SCOPES } from '../../../sandbox/directory';
import type { Card, ChatMessage, ChatView } from '../../../sandbox/teams';
import { call } from '../../sandbox/graph-http';
import type { World } from '../../support/world';
import { SEED, buttonTitles, cardText, lastCardMessage, patches, useWorld } from './helpers';

const UPLOADS = '/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads';
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The seeded Contoso uploads, newest first. */
const NEWEST_FIRST = [SEED.large, SEED.noUpload, SEED.error, SEED.pending, SEED.complete, SEED.docExample];

/** Creates uploads in Contoso through the Graph stand-in's POST, as Alex (for lists longer than a page). */
async function postUploads(w: World, n: number): Promise<string[]> {
  const token = await w.entra.mintGraphToken('alex', [GRAPH_SCOPES.readWrite]);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const reply = await call(w.graph.url, 'POST', UPLOADS, { token, body: { '@odata.type': '#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload', status: i % 2 ? 'pending' : 'complete' } });
    expect(reply.status).toBe(201);
    ids.push(reply.body.id);
  }
  return ids;
}

async function deleteUpload(w: World, id: string): Promise<void> {
  const token = await w.entra.mintGraphToken('alex', [GRAPH_SCOPES.readWrite]);
  expect((await call(w.graph.url, 'DELETE', `${UPLOADS}/${id}`, { token })).status).toBe(204);
}

/** Upload ids in the order the list card shows its rows. */
function listedIds(card: Card | undefined): string[] {
  return (card?.body ?? []).filter((el: Card) => el.type === 'Container' && JSON.stringify(el).includes('"verb":"showUpload"')).map((el: Card) => el.items[0].inlines[0].text as string);
}

/** The Show more button's data (command and sealed page token). */
function showMoreData(card: Card | undefined): { command: string; pageToken: string } {
  const found = JSON.stringify(card ?? {}).match(/"title":"Show more","verb":"browse","data":(\{[^}]*\})/);
  if (!found) throw new Error('no Show more on the card');
  return JSON.parse(found[1]!);
}

function graphReads(w: World, path: RegExp): number {
  return w.graph.requests().filter((r) => r.method === 'GET' && path.test(r.path)).length;
}

/** Presses an Action.Execute with hand-made data, as an altered card would. */
function executeRaw(view: ChatView, message: ChatMessage, verb: string, data: Record<string, unknown>) {
  return view.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb, data } }, { replyToId: message.id });
}

const invokeCard = (body: unknown): Card => (body as { value: Card }).value;

describe('personal chat', () => {
  const world = useWorld();

  it('list uploads: SSO, then every upload newest first with created time, status, device count, Show and Change status', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const turn = await chat.send('list uploads');
    expect(turn.invokes.map((i) => i.name)).toEqual(['signin/tokenExchange']);
    const card = lastCardMessage(chat).card;
    expect(listedIds(card)).toEqual(NEWEST_FIRST);
    const text = cardText(card);
    expect(text).toContain('Autopilot uploads');
    expect(text).toContain('40 devices');
    expect(text).toContain('Created {{DATE(2024-09-16T07:05:41Z, SHORT)}} {{TIME(2024-09-16T07:05:41Z)}}');
    expect(buttonTitles(card).filter((t) => t === 'Show')).toHaveLength(6);
    expect(buttonTitles(card).filter((t) => t === 'Change status')).toHaveLength(6);
    expect(buttonTitles(card)).not.toContain('Show more');
    // Graph was asked for newest first, one page of ten.
    const listed = w.graph.requests().find((r) => r.method === 'GET' && /Uploads$/.test(r.path))!;
    const query = new URLSearchParams(listed.query);
    expect(query.get('$orderby')).toBe('createdDateTimeUtc desc');
    expect(query.get('$top')).toBe('10');
  });

  it('list uploads <status> shows only that status; a wrong status word is named in bold with a suggestion', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    await chat.send('list uploads error');
    expect(listedIds(lastCardMessage(chat).card)).toEqual([SEED.large, SEED.error]);
    expect(cardText(lastCardMessage(chat).card)).toContain('Autopilot uploads: Error');

    await chat.send('list uploads completed');
    const help = lastCardMessage(chat).card!;
    expect(cardText(help)).toContain('completed is not a status — did you mean complete?');
    expect(cardText(help)).toContain('Try: list uploads complete');
    expect(JSON.stringify(help)).toContain('{"type":"TextRun","text":"completed","weight":"Bolder"}');
    expect(JSON.stringify(help)).not.toContain('`');
  });

  it('an empty list says so', async () => {
    const w = world();
    await deleteUpload(w, SEED.noUpload);
    const chat = w.teams.personalChat('alex');
    await chat.send('list uploads no upload');
    const card = lastCardMessage(chat).card;
    expect(listedIds(card)).toEqual([]);
    expect(cardText(card)).toContain('There are no uploads with the status noUpload.');
  });

  it('pages through 31 uploads with Show more (ten a page, newest first, no row twice), then stops', async () => {
    const w = world();
    const posted = await postUploads(w, 25);
    const chat = w.teams.personalChat('alex');
    await chat.send('list uploads');
    const message = lastCardMessage(chat);
    const seen: string[] = [...listedIds(message.card)];
    expect(seen).toHaveLength(10);
    expect(cardText(message.card)).toContain('page 1');
    for (const page of [2, 3]) {
      await chat.press(chat.message(message.id)!, 'Show more');
      const card = chat.message(message.id)!.card;
      expect(cardText(card)).toContain(`page ${page}`);
      expect(listedIds(card)).toHaveLength(10);
      seen.push(...listedIds(card));
    }
    await chat.press(chat.message(message.id)!, 'Show more');
    const last = chat.message(message.id)!.card;
    expect(listedIds(last)).toHaveLength(1);
    expect(buttonTitles(last)).not.toContain('Show more');
    seen.push(...listedIds(last));
    // Newest first: the 25 just posted (newest last posted… equal times keep Graph's order), then the seed.
    expect(new Set(seen).size).toBe(31);
    expect(seen.slice(25)).toEqual(NEWEST_FIRST);
    expect(new Set(seen.slice(0, 25))).toEqual(new Set(posted));
    // Each page was Graph's next page: one nextLink followed per Show more.
    expect(w.graph.requests().filter((r) => r.method === 'GET' && /Uploads$/.test(r.path))).toHaveLength(4);
  });

  it('a page token that is not ours, altered, or another view\'s is refused, and Graph is not asked', async () => {
    const w = world();
    await postUploads(w, 12);
    const chat = w.teams.personalChat('alex');
    await chat.send('list uploads');
    const message = lastCardMessage(chat);
    const { command, pageToken } = showMoreData(message.card);
    const before = graphReads(w, /Uploads$/);

    const [body, mac] = pageToken.split('.');
    const payload = JSON.parse(Buffer.from(body!, 'base64url').toString());
    // Point the nextLink elsewhere and keep the old signature.
    const forged = Buffer.from(JSON.stringify({ ...payload, nextLink: 'https://evil.example/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads' })).toString('base64url');
    for (const [token, why] of [
      [`${forged}.${mac}`, 'altered or is not from this bot'],
      [`${body}.${mac!.slice(0, -2)}AA`, 'altered or is not from this bot'],
      ['not-a-token', 'does not carry a page this bot made'],
      [42, 'does not carry a page this bot made'],
    ] as const) {
      const answer = await executeRaw(chat, message, 'browse', { command, pageToken: token });
      expect(cardText(invokeCard(answer.body))).toContain(why);
    }
    // A genuine token on another view (the error list) is refused too.
    const other = await executeRaw(chat, message, 'browse', { command: 'list uploads error', pageToken });
    expect(cardText(invokeCard(other.body))).toContain('does not belong to this list');
    expect(graphReads(w, /Uploads$/)).toBe(before);
    // The genuine token still works.
    const ok = await executeRaw(chat, message, 'browse', { command, pageToken });
    expect(listedIds(invokeCard(ok.body))).toHaveLength(8);
  });

  it('show upload: the devices, errors first, grouped by error name with counts, paged ten at a time', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    await chat.send(`show upload ${SEED.large}`);
    const message = lastCardMessage(chat);
    const text = cardText(message.card);
    expect(text).toContain('Devices 40');
    expect(text).toContain('Import status Imported 28 · Error 9 · Pending 3');
    // Grouped by name, most frequent first, with the codes.
    expect(text).toMatch(/Import errors ZtdDeviceAlreadyAssigned \(806\): 4 devices ZtdDeviceAssignedToOtherTenant \(808\): 4 devices InvalidZtdHardwareHash \(802\): 1 device/);
    expect(text).toContain('Devices 1–10 of 40, errors first');
    // Page one: the nine errors, then the first imported device.
    expect(text.match(/Error — 80[268] /g)).toHaveLength(9);
    expect(text).toContain('8CG004003 Contoso-Field Error — 806 ZtdDeviceAlreadyAssigned');
    expect(buttonTitles(message.card)).toEqual(['Show more', 'Change status']);

    await chat.press(chat.message(message.id)!, 'Show more');
    const second = cardText(chat.message(message.id)!.card);
    expect(second).toContain('Devices 11–20 of 40, errors first');
    expect(second).not.toMatch(/Error — /);
    await chat.press(chat.message(message.id)!, 'Show more');
    await chat.press(chat.message(message.id)!, 'Show more');
    const last = chat.message(message.id)!.card;
    expect(cardText(last)).toContain('Devices 31–40 of 40');
    expect(buttonTitles(last)).toEqual(['Change status']);
  });

  it('malformed ids name what a GUID looks like; an unknown upload is a Graph 404 card', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    await chat.send('show upload 1234');
    expect(cardText(lastCardMessage(chat).card)).toContain('1234 is not a valid upload id — an upload id is a GUID like 8d639524-9524-8d63-2495-638d2495638d.');
    await chat.send(`show import ${SEED.large.slice(0, -1)}x`);
    expect(cardText(lastCardMessage(chat).card)).toContain(`${SEED.large.slice(0, -1)}x is not a valid import id (x is not a hexadecimal digit) — an import id is a GUID like 8d639524-9524-8d63-2495-638d2495638d.`);
    expect(w.graph.requests()).toHaveLength(0);
    await chat.send(`show upload ${SEED.fabrikam}`);
    expect(cardText(lastCardMessage(chat).card)).toContain('Upload not found');
  });

  it('Change status opens the form prefilled; the picker searches as you type; Review change needs no typed id', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    await chat.send('list uploads');
    const list = lastCardMessage(chat);
    await chat.press(list, `change-${SEED.pending}`);
    const form = chat.message(list.id)!.card!;
    expect(form.version).toBe('1.5');
    const picker = form.body.find((el: Card) => el.id === 'uploadPick');
    expect(picker).toMatchObject({ type: 'Input.ChoiceSet', value: SEED.pending, 'choices.data': { type: 'Data.Query', dataset: 'uploads' } });
    // Static choices for clients without dynamic typeahead, and the plain input for a pasted id.
    expect(picker.choices.map((c: Card) => c.value)).toEqual(NEWEST_FIRST);
    expect(form.body.find((el: Card) => el.id === 'uploadId')).toMatchObject({ type: 'Input.Text' });

    const searched = await chat.search(chat.message(list.id)!, 'uploadPick', SEED.large.slice(0, 4).toUpperCase());
    expect(searched.choices.map((c) => c.value)).toEqual([SEED.large]);
    expect(searched.choices[0]!.title).toBe(`${SEED.large} · Error · 2024-09-16`);

    const turn = await chat.press(chat.message(list.id)!, 'Review change', { status: 'complete' });
    expect(turn.blocked).toBeUndefined();
    const confirmation = lastCardMessage(chat);
    expect(cardText(confirmation.card)).toContain(`Set upload ${SEED.pending} from Pending to Complete?`);
    await chat.press(confirmation, 'Confirm');
    expect(w.graph.upload(SEED.pending)!.status).toBe('complete');
    expect(patches(w)).toBe(1);
  });

  it('typeahead: id prefix, status words, empty query (newest, at most 15), malformed queries refused', async () => {
    const w = world();
    await postUploads(w, 20);
    const chat = w.teams.personalChat('alex');
    await chat.send('list uploads');
    const list = lastCardMessage(chat);
    await chat.press(list, `change-${listedIds(list.card)[0]}`);
    const form = chat.message(list.id)!;

    const empty = await chat.search(form, 'uploadPick', '');
    expect(empty.status).toBe(200);
    expect(empty.choices).toHaveLength(15);
    expect((empty.body as { value: { results: unknown[] } }).value.results).toHaveLength(15);

    expect((await chat.search(form, 'uploadPick', 'error')).choices.map((c) => c.value)).toEqual([SEED.large, SEED.error]);
    expect((await chat.search(form, 'uploadPick', 'failed')).choices.map((c) => c.value)).toEqual([SEED.large, SEED.error]);
    expect((await chat.search(form, 'uploadPick', 'no upload')).choices.map((c) => c.value)).toEqual([SEED.noUpload]);
    expect((await chat.search(form, 'uploadPick', `{${SEED.docExample.slice(0, 8)}`)).choices.map((c) => c.value)).toEqual([SEED.docExample]);
    expect((await chat.search(form, 'uploadPick', 'ffffffff')).choices).toEqual([]);

    for (const bad of ['x'.repeat(200), '<at>bot</at>', "' or 1 eq 1", 42]) {
      const refused = await chat.search(form, 'uploadPick', bad);
      expect(refused.status).toBe(400);
      expect(refused.error?.message).toContain('upload id');
    }
    const otherDataset = await chat.invoke('application/search', { queryText: 'a', dataset: 'devices' }, { replyToId: form.id });
    expect(otherDataset.body).toMatchObject({ statusCode: 400, type: 'application/vnd.microsoft.error' });
  });

  it('show imports and show import <importId> in the documented schema', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    await chat.send('show imports');
    const card = lastCardMessage(chat).card;
    const text = cardText(card);
    // Imports with errors first, then Graph's order (device identities carry no date, and the card says so).
    expect(text.match(GUID)).toEqual([SEED.error, SEED.large, SEED.complete, SEED.pending]);
    expect(text).toContain('device identities carry no date');
    expect(text).toContain('40 devices · 9 errors · Imported 28 · Pending 3');
    await chat.press(lastCardMessage(chat), `import-${SEED.large}`);
    const report = cardText(lastCardMessage(chat).card);
    expect(report).toContain('Autopilot import');
    expect(report).toContain('Devices 40');
    expect(report).toContain('ZtdDeviceAlreadyAssigned (806): 4 devices');
    expect(w.graph.requests().some((r) => /importedWindowsAutopilotDeviceIdentities$/.test(r.path) && new URLSearchParams(r.query).get('$filter') === `importId eq '${SEED.large}'`)).toBe(true);
  });
});

describe('published schema (uploads not offered)', () => {
  const world = useWorld({ graph: { schema: 'published' } });

  it('list uploads and show upload answer "not offered" and point to show imports, which works', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    await chat.send('list uploads');
    const card = lastCardMessage(chat).card;
    expect(cardText(card)).toContain('Autopilot upload records are not offered here');
    expect(cardText(card)).toContain('still work here: show imports');
    expect(JSON.stringify(card)).toMatch(/"type":"TextRun","text":"show imports"[^}]*"weight":"Bolder"/);
    await chat.send(`show upload ${SEED.large}`);
    expect(cardText(lastCardMessage(chat).card)).toContain('Autopilot upload records are not offered here');

    await chat.press(lastCardMessage(chat), 'Show imports');
    expect(cardText(lastCardMessage(chat).card).match(GUID)).toEqual([SEED.error, SEED.large, SEED.complete, SEED.pending]);
    await chat.send(`show import ${SEED.error}`);
    const report = cardText(lastCardMessage(chat).card);
    expect(report).toContain('Devices 2');
    expect(report).toContain('PF3ABCDE');
    expect(report.indexOf('PF3ABCDE')).toBeLessThan(report.indexOf('PF3ABCDF'));
  });
});

describe('group chat', () => {
  const world = useWorld();

  it('list uploads with message-level SSO; another member cannot use the asker\'s Show more', async () => {
    const w = world();
    await postUploads(w, 6);
    const group = w.teams.groupChat('Autopilot ops', ['alex', 'adele', 'megan']);
    const adele = group.as('adele');
    const alex = group.as('alex');
    const asked = await adele.send('list uploads');
    expect(asked.invokes.map((i) => [i.user, i.name])).toEqual([['adele', 'signin/tokenExchange']]);
    const message = lastCardMessage(adele);
    expect(listedIds(message.card)).toHaveLength(10);

    await alex.send('help'); // Alex signs in by using the bot himself.
    await alex.send('show imports');
    const stolen = await executeRaw(alex, message, 'browse', showMoreData(message.card));
    expect(cardText(invokeCard(stolen.body))).toContain('belongs to the person who ran the command');

    await adele.press(adele.message(message.id)!, 'Show more');
    expect(listedIds(adele.message(message.id)!.card)).toHaveLength(2);
  });

  it('show upload and show imports', async () => {
    const w = world();
    const group = w.teams.groupChat('Autopilot ops', ['alex', 'adele']);
    const adele = group.as('adele');
    await adele.send(`show upload ${SEED.error}`);
    expect(cardText(lastCardMessage(adele).card)).toContain('PF3ABCDE Contoso-Sales Error — 806 ZtdDeviceAlreadyAssigned');
    await adele.send('show imports');
    expect(cardText(lastCardMessage(adele).card)).toContain('Imported Autopilot devices');
    await adele.send(`show import ${SEED.complete}`);
    expect(cardText(lastCardMessage(adele).card)).toContain('CZC1234ABC');
  });
});

describe('team channel', () => {
  const world = useWorld();

  it('list uploads posts a Show button; its click does card-level SSO and answers with the list; Show more and Show work', async () => {
    const w = world();
    await postUploads(w, 5);
    const channel = w.teams.team('IT Admins').channel('Autopilot');
    const alex = channel.as('alex');
    const graphBefore = w.graph.requests().length;
    const asked = await alex.send('list uploads pending');
    expect(asked.invokes.some((i) => i.name === 'signin/tokenExchange')).toBe(false);
    const lookup = lastCardMessage(alex);
    expect(cardText(lookup.card)).toContain('list uploads pending');
    expect(buttonTitles(lookup.card)).toEqual(['Show']);
    expect(w.graph.requests()).toHaveLength(graphBefore);

    const shown = await alex.press(lookup, 'Show');
    expect(shown.invokes.map((i) => [i.reason, (i.body as { statusCode?: number })?.statusCode])).toEqual([
      ['execute', 401],
      ['card-sso', 200],
    ]);
    const listed = listedIds(alex.message(lookup.id)!.card);
    expect(listed).toHaveLength(4);
    expect(listed.slice(2)).toEqual([SEED.pending, SEED.docExample]);

    await alex.press(alex.message(lookup.id)!, `show-${SEED.pending}`);
    expect(cardText(alex.message(lookup.id)!.card)).toContain('5CG9876XYZ Contoso-Kiosk Pending');
  });

  it('show imports, show import and show upload in a channel', async () => {
    const w = world();
    const channel = w.teams.team('IT Admins').channel('Autopilot');
    const adele = channel.as('adele');
    await adele.send('show imports');
    await adele.press(lastCardMessage(adele), 'Show');
    expect(cardText(lastCardMessage(adele).card).match(GUID)).toEqual([SEED.error, SEED.large, SEED.complete, SEED.pending]);
    // Signed in by that click, Adele's next commands are answered at once.
    const direct = await adele.send(`show import ${SEED.large}`);
    expect(direct.invokes).toEqual([]);
    expect(cardText(lastCardMessage(adele).card)).toContain('Devices 1–10 of 40, errors first');
    await adele.press(lastCardMessage(adele), 'Show more');
    expect(cardText(lastCardMessage(adele).card)).toContain('Devices 11–20 of 40, errors first');
    await adele.send(`show upload ${SEED.large}`);
    expect(cardText(lastCardMessage(adele).card)).toContain('ZtdDeviceAssignedToOtherTenant (808): 4 devices');
  });
});
