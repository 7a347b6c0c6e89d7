/**
 * The confirmation's single-use key: cancel, two concurrent Confirms, another user's click, expiry,
 * tampered and unknown keys, reuse — each a clear card, and never more than one PATCH.
 */
import { randomBytes } from 'node:crypto';
import { CLAIM_STALE_MS } from '../../../bot/state/changes';
import { SEED, askForChange, buttonTitles, cardText, keyOf, patches, useWorld } from './helpers';

const execute = (verb: string, data: Record<string, unknown>) => ({ action: { type: 'Action.Execute', verb, data }, trigger: 'manual' });

describe('confirmations', () => {
  const world = useWorld();

  it('Cancel replaces the card with "Nothing was changed" and never PATCHes; the key is then spent', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    const key = keyOf(confirmation.card);

    const cancelled = await chat.press(confirmation, 'Cancel');
    expect(cancelled.response).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(cardText(cancelled.card)).toContain('Cancelled');
    expect(cardText(cancelled.card)).toContain(`Nothing was changed: upload ${SEED.pending} keeps its status.`);
    expect(buttonTitles(chat.message(confirmation.id)!.card)).toEqual([]);

    // An old copy of the card (another device) pressing Confirm with the same key changes nothing.
    const late = await chat.invoke('adaptiveCard/action', execute('confirmChange', { changeKey: key }), { replyToId: confirmation.id });
    expect(late.status).toBe(200);
    expect(cardText((late.body as { value: object }).value)).toContain('Alex Wilber cancelled this request. Nothing was changed.');
    expect(patches(w)).toBe(0);
    expect(w.graph.upload(SEED.pending)!.status).toBe('pending');
  });

  it('two Confirms sent at the same time PATCH exactly once', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'error');
    const key = keyOf(confirmation.card);

    const [a, b] = await Promise.all([
      chat.invoke('adaptiveCard/action', execute('confirmChange', { changeKey: key }), { replyToId: confirmation.id }),
      chat.invoke('adaptiveCard/action', execute('confirmChange', { changeKey: key }), { replyToId: confirmation.id }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(w.graph.patchCount(SEED.pending)).toBe(1);
    expect(patches(w)).toBe(1);
    expect(w.graph.upload(SEED.pending)!.status).toBe('error');
    // One answer is the result; the other says the change is already under way or done — never a second change.
    const texts = [a, b].map((t) => cardText((t.body as { value: object }).value));
    expect(texts.filter((t) => t.includes(`Upload ${SEED.pending} is now Error`))).not.toHaveLength(0);
    for (const t of texts) expect(t).toMatch(/is now Error|Updating|being/i);
  });

  it('another member pressing Confirm or Cancel on the requester\'s card is refused, and nothing changes', async () => {
    const w = world();
    const group = w.teams.groupChat('Ops', ['alex', 'adele']);
    const alex = group.as('alex');
    const adele = group.as('adele');
    const confirmation = await askForChange(alex, SEED.noUpload, 'complete');

    const confirmByAdele = await adele.press(confirmation.id, 'Confirm');
    expect(confirmByAdele.response).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    expect(confirmByAdele.toast).toBe('Only Alex Wilber, who asked for this change, can confirm it.');
    const cancelByAdele = await adele.press(confirmation.id, 'Cancel');
    expect(cancelByAdele.toast).toBe('Only Alex Wilber, who asked for this change, can cancel it.');
    // Refused before any Graph call: Adele was not even asked to sign in.
    expect(w.entra.stats().oboByUser.adele).toBeUndefined();
    expect(patches(w)).toBe(0);
    // The requester's card is untouched and still works.
    expect(buttonTitles(alex.message(confirmation.id)!.card)).toEqual(['Confirm', 'Cancel']);
    const done = await alex.press(confirmation.id, 'Confirm');
    expect(cardText(done.card)).toContain(`Upload ${SEED.noUpload} is now Complete`);
    expect(w.graph.patchCount(SEED.noUpload)).toBe(1);
  });

  it('an expired confirmation says so and changes nothing', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    // Ten minutes pass: move the stored change's expiry into the past.
    const stored = await w.bot.services.changes.load(keyOf(confirmation.card));
    await w.bot.services.changes.update(stored!, { expiresAt: Date.now() - 1 });

    const late = await chat.press(confirmation, 'Confirm');
    expect(cardText(late.card)).toContain('Expired');
    expect(cardText(late.card)).toContain('This confirmation expired before it was confirmed. Nothing was changed');
    expect(buttonTitles(late.card)).toEqual([]);
    expect(patches(w)).toBe(0);
  });

  it.each([
    ['a tampered key', 'AAAA-not-a-key'],
    ['a well-formed key the bot never issued', randomBytes(32).toString('base64url')],
    ['no key at all', undefined],
  ])('%s gets "Unknown request" and no PATCH', async (_what, key) => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    const forged = await chat.invoke('adaptiveCard/action', execute('confirmChange', key === undefined ? {} : { changeKey: key }), { replyToId: confirmation.id });
    expect(forged.status).toBe(200);
    const card = (forged.body as { value: object }).value;
    expect(cardText(card)).toContain('Unknown request');
    expect(cardText(card)).toContain('Nothing was changed');
    expect(patches(w)).toBe(0);
    expect(w.graph.upload(SEED.pending)!.status).toBe('pending');
  });

  it('a used confirmation shows the result again instead of PATCHing twice', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    const key = keyOf(confirmation.card);
    await chat.press(confirmation, 'Confirm');
    expect(w.graph.patchCount(SEED.pending)).toBe(1);

    const again = await chat.invoke('adaptiveCard/action', execute('confirmChange', { changeKey: key }), { replyToId: confirmation.id });
    expect(cardText((again.body as { value: object }).value)).toContain(`Upload ${SEED.pending} is now Complete`);
    const cancelAfter = await chat.invoke('adaptiveCard/action', execute('cancelChange', { changeKey: key }), { replyToId: confirmation.id });
    expect(cardText((cancelAfter.body as { value: object }).value)).toContain(`Upload ${SEED.pending} is now Complete`);
    expect(w.graph.patchCount(SEED.pending)).toBe(1);
    expect(patches(w)).toBe(1);
  });

  it('an unknown verb is answered 400 with Universal Actions\' error type', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const r = await chat.invoke('adaptiveCard/action', execute('deleteEverything', { changeKey: 'x' }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest' } });
    expect(patches(w)).toBe(0);
  });
});

/**
 * A bot instance that dies after claiming a Confirm (pending → confirming) leaves the claim behind.
 * Simulated here by writing that claim into the store, as the dead instance would have.
 */
describe('a Confirm claimed by an instance that died', () => {
  const world = useWorld();

  async function abandonClaim(w: ReturnType<typeof world>, key: string, ageMs: number): Promise<void> {
    const stored = await w.bot.services.changes.load(key);
    expect(await w.bot.services.changes.update(stored!, { state: 'confirming', claimedAt: Date.now() - ageMs })).toBeDefined();
  }

  it('while the claim is fresh, Confirm shows "Updating…" with Check again, and never PATCHes', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    await abandonClaim(w, keyOf(confirmation.card), 1_000);

    const r = await chat.press(confirmation, 'Confirm');
    expect(cardText(r.card)).toContain(`Updating upload ${SEED.pending} to Complete`);
    expect(buttonTitles(r.card)).toEqual(['Check again']);
    expect(patches(w)).toBe(0);
  });

  it('once stale, the requester\'s Confirm finishes the change with one PATCH', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    await abandonClaim(w, keyOf(confirmation.card), CLAIM_STALE_MS + 1_000);

    const r = await chat.press(confirmation, 'Confirm');
    expect(cardText(r.card)).toMatch(/Pending.*Complete/s);
    expect(patches(w)).toBe(1);
    expect(w.graph.upload(SEED.pending)!.status).toBe('complete');
  });

  it('once stale, a PATCH that had landed before the crash is recorded, not sent again', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    const key = keyOf(confirmation.card);
    // The dead instance's PATCH reached Graph; its "done" write did not reach the store.
    const token = await w.entra.mintGraphToken('alex', ['DeviceManagementServiceConfig.ReadWrite.All']);
    const landed = await fetch(`${w.graph.url}/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/${SEED.pending}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@odata.type': '#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload', status: 'complete' }),
    });
    expect(landed.status).toBe(204);
    await abandonClaim(w, key, CLAIM_STALE_MS + 1_000);

    const r = await chat.press(confirmation, 'Confirm');
    expect(cardText(r.card)).toMatch(/Pending.*Complete/s);
    expect(patches(w)).toBe(1);
    expect((await w.bot.services.changes.load(key))!.state).toBe('done');
  });
});
