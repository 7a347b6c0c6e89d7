/**
 * The admin is told the truth about a Confirm (issue 11): applied whenever the PATCH answered 2xx,
 * whatever storage does afterwards; not applied when Graph refused or never got the request; and
 * when Graph did not answer, the upload is re-read and the card says what Graph shows now. Every
 * applied change is announced exactly once. State and outbox live in Azurite behind a
 * fault-injecting proxy (storage fails the way a storage account would), Graph faults are the
 * stand-in's own.
 */
import { ChangeService } from '../../../bot/changes/service';
import { azuriteForSuite, freshName, storageEnv } from '../../support/azurite';
import { startStorageFaults, type StorageFaults } from '../../support/storage-faults';
import { startWorld, type World } from '../../support/world';
import { FAST_WORKER, notificationPosts, subscribeChannels, until } from '../notifications/helpers';
import { SEED, askForChange, cardText, forgetBotTokens, keyOf, patches } from './helpers';

jest.setTimeout(90_000);

/** Short, so a PATCH can outlive it without slowing the suite; the invoke budget stays above it. */
const GRAPH_TIMEOUT_MS = 1_500;

const azurite = azuriteForSuite();
let faults: StorageFaults;
let w: World;

beforeEach(async () => {
  forgetBotTokens();
  faults = await startStorageFaults(azurite());
  w = await startWorld({
    graphTimeoutMs: GRAPH_TIMEOUT_MS,
    env: storageEnv(faults.connectionString, freshName('outcomes')),
    notifications: { worker: FAST_WORKER },
  });
});
afterEach(async () => {
  await w.close();
  await faults.close();
});

/** A channel that follows changes, and the posts it got. */
async function follower(): Promise<() => number> {
  const team = w.teams.team('Outcomes');
  const [channelId] = await subscribeChannels(w, team, 1);
  return () => notificationPosts(w.teams, channelId).length;
}

async function settledOutbox(): Promise<void> {
  await until(async () => (await w.bot.services.notifications.outbox.depth()) === 0, 'an empty outbox', 30_000);
}

it('storage fails right after a successful PATCH: the card says applied, the record ends done, one announcement', async () => {
  const posts = await follower();
  const chat = w.teams.personalChat('alex');
  const confirmation = await askForChange(chat, SEED.pending, 'complete');
  const key = keyOf(confirmation.card);
  // The first write of the change after Graph took the PATCH: the outcome's record.
  const refused = faults.fail((r) => r.service === 'blob' && r.method === 'PUT' && r.path.includes('changes_') && w.graph.patchCount(SEED.pending) > 0, { status: 502 });

  const done = await chat.press(confirmation, 'Confirm');
  expect(refused.hits.length).toBe(1);
  expect(cardText(done.card)).toContain(`Upload ${SEED.pending} is now Complete`);
  expect(cardText(done.card)).not.toMatch(/could not be applied|failed/i);
  expect(w.graph.patchCount(SEED.pending)).toBe(1);
  expect((await w.bot.services.changes.load(key))?.state).toBe('done');

  await until(() => posts() === 1, 'the announcement');
  await settledOutbox();
  expect(posts()).toBe(1);
});

it('storage keeps failing after the PATCH: the card still says applied, and a later Confirm never PATCHes again', async () => {
  const chat = w.teams.personalChat('alex');
  const confirmation = await askForChange(chat, SEED.pending, 'complete');
  const confirmationCard = confirmation.card;
  const rule = faults.fail((r) => r.service === 'blob' && r.method === 'PUT' && r.path.includes('changes_') && w.graph.patchCount(SEED.pending) > 0, { status: 502 }, 100);

  // Storage retries outlast the invoke budget: "updating…" first, then the result in place.
  await chat.press(confirmation, 'Confirm');
  const shown = await chat.waitFor((messages) => {
    const m = messages.find((x) => x.id === confirmation.id);
    return m && cardText(m.card).includes('is now Complete') ? m : undefined;
  }, 20_000);
  expect(cardText(shown.card)).toContain(`Upload ${SEED.pending} is now Complete`);
  expect(w.logs()).toContain('change applied but its record could not be written');
  rule.remove();
  // The record never got written: the change still shows its claim, so another Confirm finds it
  // busy (and, once stale, would re-read Graph rather than PATCH again).
  const stored = await w.bot.services.changes.load(keyOf(confirmationCard));
  expect(stored?.state).toBe('confirming');
  const actor = { ...stored!.requester };
  const again = await w.bot.services.changeService.confirm(stored!, actor, w.bot.services.sso.credentialFor(actor)!);
  expect(again.kind).toBe('inProgress');
  expect(w.graph.patchCount(SEED.pending)).toBe(1);
});

it('Graph times out after the PATCH landed: the card shows the re-read status, the change is done and announced once', async () => {
  const posts = await follower();
  const chat = w.teams.personalChat('alex');
  const confirmation = await askForChange(chat, SEED.pending, 'complete');
  const key = keyOf(confirmation.card);
  // Confirm reads the upload, then PATCHes: the PATCH is served, its answer held past the bot's budget.
  w.graph.faults.next(1, { delayMs: 0 });
  w.graph.faults.next(1, { answerDelayMs: GRAPH_TIMEOUT_MS * 3 });

  const done = await chat.press(confirmation, 'Confirm');
  expect(w.graph.patchCount(SEED.pending)).toBe(1);
  const text = cardText(done.card);
  expect(text).toContain(`Upload ${SEED.pending} is now Complete`);
  expect(text).toContain('did not confirm the change in time');
  expect(text).toContain('Previous status Pending');
  expect((await w.bot.services.changes.load(key))?.state).toBe('done');

  await until(() => posts() === 1, 'the announcement');
  await settledOutbox();
  expect(posts()).toBe(1);
});

it('Graph times out before the PATCH was served: not applied, what Graph shows now, nothing announced', async () => {
  const posts = await follower();
  const chat = w.teams.personalChat('alex');
  const confirmation = await askForChange(chat, SEED.pending, 'complete');
  const key = keyOf(confirmation.card);
  w.graph.faults.next(1, { delayMs: 0 });
  w.graph.faults.next(1, { delayMs: GRAPH_TIMEOUT_MS * 3 });

  const done = await chat.press(confirmation, 'Confirm');
  const text = cardText(done.card);
  expect(text).toContain('Not applied');
  expect(text).toContain('now shows upload');
  expect(text).toMatch(/as Pending, not Complete/);
  // The held PATCH was abandoned by the bot; it never lands.
  await new Promise((resolve) => setTimeout(resolve, GRAPH_TIMEOUT_MS * 3));
  expect(w.graph.patchCount(SEED.pending)).toBe(0);
  expect(w.graph.upload(SEED.pending)!.status).toBe('pending');
  expect((await w.bot.services.changes.load(key))?.state).toBe('failed');
  await settledOutbox();
  expect(posts()).toBe(0);
});

it('a claim abandoned by a stopped instance and found after the expiry: no PATCH, a card that says what Graph shows', async () => {
  const chat = w.teams.personalChat('alex');
  const confirmation = await askForChange(chat, SEED.pending, 'complete');
  const key = keyOf(confirmation.card);
  const stored = await w.bot.services.changes.load(key);
  // The dead instance's claim, days old, on a change whose expiry has long passed.
  const old = Date.now() - 3 * 24 * 3600 * 1000;
  expect(await w.bot.services.changes.update(stored!, { state: 'confirming', claimedAt: old, claimId: 'dead-instance', expiresAt: old + 60_000 })).toBeDefined();

  const r = await chat.press(confirmation, 'Confirm');
  expect(patches(w)).toBe(0);
  expect(cardText(r.card)).toContain('Not applied');
  expect(cardText(r.card)).toMatch(/as Pending, not Complete/);
});

it('a Confirm slower than the stale threshold is overtaken at most once: exactly one PATCH, and the slow one does not send its own', async () => {
  const chat = w.teams.personalChat('alex');
  const confirmation = await askForChange(chat, SEED.pending, 'complete');
  const key = keyOf(confirmation.card);
  const services = w.bot.services;
  const actor = { oid: (await services.changes.load(key))!.requester.oid, tid: (await services.changes.load(key))!.requester.tid, name: 'Alex Wilber', mri: 'alex' };
  const credential = services.sso.credentialFor(actor)!;
  expect(credential).toBeDefined();
  // A service whose claims go stale after 1 s (production: 60 s), against the same store and Graph.
  const service = new ChangeService({
    changes: services.changes,
    uploads: services.uploads,
    announce: async (notice, deliveryId) => {
      await services.notifications.announce(notice, deliveryId);
    },
    prepareRecovery: async () => undefined,
    policy: { staleAfterMs: 1_000, patchBudgetMs: 300 },
    log: services.log,
  });
  // The first Confirm's read of the upload takes longer than the claim may live (but less than Graph's budget).
  w.graph.faults.next(1, { delayMs: 1_300 });
  const slow = service.confirm((await services.changes.load(key))!, actor, credential);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const fast = await service.confirm((await services.changes.load(key))!, actor, credential);
  const late = await slow;

  expect(w.graph.patchCount(SEED.pending)).toBe(1);
  expect(fast.kind).toBe('applied');
  expect(late.kind).toBe('inProgress');
  expect((await services.changes.load(key))?.state).toBe('done');
});
