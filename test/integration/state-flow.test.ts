/**
 * Bounded state, end to end: a whole flow (install in a team, a change asked and confirmed in a
 * personal chat with message-level SSO, the channel notification) leaves items in the in-memory
 * store; once the clock passes their lifetimes the bot's own sweeper (started by listen) deletes
 * every one of them, and only the subscription registry stays. Also counts what Confirm costs
 * in storage calls.
 */
import { TENANTS } from '../../sandbox/directory';
import { CHANGE_TTL_MS } from '../../bot/state/changes';
import { MemoryStore } from '../../bot/state/memoryStore';
import { instrument } from '../support/counting-store';
import type { World } from '../support/world';
import { cardText, SEED, startNotificationWorld, until } from './notifications/helpers';

jest.setTimeout(60_000);

const DAY = 24 * 3600 * 1000;
let offset = 0;
let w: World | undefined;

afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function keys(store: MemoryStore): Promise<string[]> {
  const found: string[] = [];
  for await (const item of store.list('')) found.push(item.key);
  return found.sort();
}

it('a personal-chat flow with a channel notification leaves the store at its baseline once lifetimes pass; Confirm costs 3 storage calls', async () => {
  offset = 0;
  w = await startNotificationWorld({ state: { clock: () => Date.now() + offset, sweeper: { intervalMs: 100, jitter: 0.5 } } });
  const store = w.bot.state.store;
  expect(store).toBeInstanceOf(MemoryStore);
  const memory = store as MemoryStore;

  const team = w.teams.team('Change board', { botInstalled: false });
  await team.installBot('alex');
  await until(async () => (await keys(memory)).length >= 2, 'the registry records');
  const baseline = await keys(memory);
  expect(baseline.every((k) => k.startsWith('notify-index') || k.startsWith('notify-team-') || k.startsWith('notify-tenant-'))).toBe(true);

  const calls = instrument(store);
  const chat = w.teams.personalChat('adele');
  await chat.send(`set upload ${SEED.pending} to complete`);
  const before = calls.length;
  await chat.press(chat.lastCardMessage()!, 'Confirm');
  expect(w.graph.upload(SEED.pending)!.status).toBe('complete');
  // Load, claim (pending → confirming), done-and-announced: each write returns its eTag and a
  // fresh claim needs no re-read (it was 9 calls when every update re-read, then 6). Nothing else
  // in the store is touched by the Confirm itself. (The sweeper's listings, every 100 ms here, and
  // the worker's fan-out — notify-* keys, poked by the announcement — are not the Confirm's.)
  const confirmCalls = calls.slice(before).filter((c) => c.op !== 'list' && !c.keys.every((k) => k.startsWith('notify-')));
  expect(confirmCalls.map((c) => `${c.op} ${c.keys.map((k) => k.replace(/_.*/, '_…')).join(',')}`)).toEqual(['get changes_…', 'put changes_…', 'put changes_…']);

  const general = team.channel('General').as('diego');
  await general.waitFor((messages) => messages.find((m) => cardText(m.card).includes('Upload status changed')), 20_000);
  await until(async () => (await keys(memory)).some((k) => k.startsWith('notify-sent-')), 'the sent marker');
  const during = await keys(memory);
  for (const prefix of ['changes_', 'sso_', 'ssolatest_', 'notify-sent-']) expect(during.some((k) => k.startsWith(prefix))).toBe(true);
  // Each carries its own lifetime (the sweep's fallback by age is only for items of the previous version).
  const lifetimes = new Map<string, number | undefined>();
  for await (const item of memory.list('')) lifetimes.set(item.key.replace(/^(changes_|sso_|ssolatest_|notify-sent-|notify-index|notify-team-).*$/, '$1'), item.expiresAt && item.expiresAt - item.lastModified);
  // (The lifetime is taken from the clock a moment before the write is stamped.)
  expect(lifetimes.get('notify-sent-')).toBeGreaterThan(DAY - 1000);
  expect(lifetimes.get('notify-sent-')).toBeLessThanOrEqual(DAY);
  expect(lifetimes.get('sso_')).toBeGreaterThan(15 * 60_000);
  expect(lifetimes.get('ssolatest_')).toBeGreaterThan(15 * 60_000);
  expect(lifetimes.get('changes_')).toBeGreaterThan(7 * DAY);
  expect(lifetimes.get('notify-team-')).toBeUndefined();

  // A day and a bit: the parked command and the sent marker are gone, the change is kept for "already done".
  offset = DAY + 60_000;
  await until(async () => !(await keys(memory)).some((k) => /^(sso_|ssolatest_|notify-sent-)/.test(k)), 'the short-lived items to be swept');
  expect((await keys(memory)).filter((k) => k.startsWith('changes_'))).toHaveLength(1);

  // Past the change's retention (7 days by default): back to the baseline, by the bot's own sweeper.
  offset = CHANGE_TTL_MS + 7 * DAY + 60_000;
  await until(async () => (await keys(memory)).length === baseline.length, 'the store to return to its baseline');
  expect(await keys(memory)).toEqual(baseline);
  expect(memory.size).toBe(baseline.length);
  // The registry is the subscription list: it stays, and General still follows changes.
  await expect(w.bot.services.notifications.registry.targets(TENANTS.contoso.id)).resolves.toHaveLength(1);
});

it('an old card after the retention says "unknown", within it "already done"', async () => {
  offset = 0;
  w = await startNotificationWorld({ state: { clock: () => Date.now() + offset, sweeper: { intervalMs: 3_600_000 } } });
  const chat = w.teams.personalChat('alex');
  await chat.send(`set upload ${SEED.pending} to complete`);
  const confirmation = chat.lastCardMessage()!;
  await chat.press(confirmation, 'Confirm');
  const key = JSON.stringify(confirmation.card).match(/"changeKey":"([A-Za-z0-9_-]{43})"/)![1]!;
  const again = () => chat.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'confirmChange', data: { changeKey: key } }, trigger: 'manual' }, { replyToId: confirmation.id });

  offset = 7 * DAY;
  expect(cardText((await again()).body)).toMatch(/is now\s+Complete/);
  offset = CHANGE_TTL_MS + 7 * DAY;
  await w.bot.state.sweeper.sweep();
  expect(cardText((await again()).body)).toContain('not known to the bot');
  expect(w.graph.patchCount(SEED.pending)).toBe(1);
});
