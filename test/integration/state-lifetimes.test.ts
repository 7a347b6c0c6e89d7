/**
 * The state store's own promises, on memory and on a real Azurite: conditional writes that return
 * the new eTag, lifetimes (an expired item reads as absent and the sweep deletes it), listing by
 * prefix — and each item kind the bot stores goes once its lifetime has passed, including items
 * written by the previous version of the bot (no `v`, no lifetime), read during a rolling upgrade.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { BlobsStorage } from 'botbuilder-azure-blobs';
import type { Command } from '../../bot/commands/parse';
import { createLogger } from '../../bot/log';
import { DEFAULT_WORKER_OPTIONS } from '../../bot/notifications';
import { BlobStore } from '../../bot/state/blobStore';
import { CHANGE_TTL_MS, PendingChanges, type PendingChange } from '../../bot/state/changes';
import { FORMAT_VERSION, SENT_MARKER_FLOOR_MS, sentMarkerTtlMs } from '../../bot/state/lifetimes';
import { MemoryStore } from '../../bot/state/memoryStore';
import { PARKED_KEEP_MS, PARKED_TTL_MS, ParkedCommands } from '../../bot/state/parked';
import { sweepRules, SENT_MARKER_PREFIX } from '../../bot/state/rules';
import { readItem, writeItem } from '../../bot/state/storage';
import type { Listed, StateStore } from '../../bot/state/store';
import { Sweeper } from '../../bot/state/sweeper';
import type { RunningAzurite } from '../../sandbox/azurite';
import { USERS } from '../../sandbox/directory';
import { startAzurite } from '../support/azurite';
import { CountingStore } from '../support/counting-store';

let azurite: RunningAzurite;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

const freshContainer = () => `life-${randomUUID().slice(0, 13)}`;
const DAY = 24 * 3600 * 1000;
const RETENTION_MS = 7 * DAY;
const silent = createLogger('error');

interface Case {
  name: string;
  /** A store on `now`; for blobs, `twin` is a second instance on the same container. */
  open(now: () => number): { store: StateStore; twin: StateStore; writeAsPreviousVersion(key: string, value: object): Promise<void> };
}

const CASES: Case[] = [
  {
    name: 'memory',
    open: (now) => {
      const store = new MemoryStore(now);
      // The previous version wrote through botbuilder's Storage interface: no `v`, no lifetime.
      return { store, twin: store, writeAsPreviousVersion: (key, value) => store.write({ [key]: { ...value, eTag: '*' } }) };
    },
  },
  {
    name: 'Azurite',
    open: (now) => {
      const container = freshContainer();
      const old = new BlobsStorage(azurite.connectionString, container);
      return {
        store: new BlobStore(azurite.connectionString, container, now),
        twin: new BlobStore(azurite.connectionString, container, now),
        // The previous version of the bot itself: botbuilder's BlobsStorage on the same container.
        writeAsPreviousVersion: (key, value) => old.write({ [key]: { ...value, eTag: '*' } }),
      };
    },
  },
];

const alex = USERS.alex;
const requester = { oid: alex.oid, tid: alex.tid, name: alex.name, mri: alex.teamsId };
const changeInput = (): Omit<PendingChange, 'key' | 'createdAt' | 'expiresAt' | 'state'> => ({
  uploadId: '11111111-2222-4333-8444-555555555555',
  requestedStatus: 'complete',
  requester,
  scope: 'personal',
  conversationId: 'a:1sandbox-personal-alex',
  where: 'personal chat',
});
const command: Command = { kind: 'setStatus', uploadId: '11111111-2222-4333-8444-555555555555', status: 'complete' };
const rules = sweepRules({ retention: { settledMs: RETENTION_MS } }, DEFAULT_WORKER_OPTIONS);

async function keys(store: StateStore, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for await (const item of store.list(prefix)) found.push(item.key);
  return found.sort();
}

describe.each(CASES)('state store on $name', (c) => {
  let clock: number;
  let store: StateStore;
  let twin: StateStore;
  let writeAsPreviousVersion: (key: string, value: object) => Promise<void>;
  let sweeper: Sweeper;

  beforeEach(() => {
    clock = Date.now();
    ({ store, twin, writeAsPreviousVersion } = c.open(() => clock));
    sweeper = new Sweeper(store, rules, silent);
  });

  describe('conditional writes return the new eTag', () => {
    it('create (ifNoneMatch *) once, then only at the current eTag; a stale or absent eTag is a conflict', async () => {
      const key = `t_${randomUUID()}`;
      const created = await store.put(key, { n: 1 }, { ifNoneMatch: '*' });
      expect(created).toEqual(expect.any(String));
      await expect(twin.put(key, { n: 99 }, { ifNoneMatch: '*' })).resolves.toBeUndefined();

      const second = await store.put(key, { n: 2 }, { ifMatch: created });
      expect(second).toEqual(expect.any(String));
      expect(second).not.toBe(created);
      // The returned eTag is the stored one: the next conditional write needs no re-read.
      await expect(twin.get(key)).resolves.toEqual({ value: { n: 2 }, eTag: second, expiresAt: undefined });
      await expect(twin.put(key, { n: 3 }, { ifMatch: created })).resolves.toBeUndefined();
      const third = await twin.put(key, { n: 3 }, { ifMatch: second });
      expect(third).toEqual(expect.any(String));
      await expect(store.get(key)).resolves.toMatchObject({ value: { n: 3 }, eTag: third });

      await expect(store.put(`t_${randomUUID()}`, { n: 1 }, { ifMatch: third })).resolves.toBeUndefined();
    });

    it('of 10 concurrent writes at one eTag, exactly one lands and gets an eTag', async () => {
      const key = `t_${randomUUID()}`;
      const eTag = (await store.put(key, { n: 0 }))!;
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? twin : store).put(key, { n: i + 1 }, { ifMatch: eTag })));
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      const stored = await store.get<{ n: number }>(key);
      expect(stored?.eTag).toBe(winners[0]);
      expect(results.indexOf(winners[0])).toBe(stored!.value.n - 1);
    });

    it('keeps botbuilder\'s Storage semantics: read gives eTags, a stale eTag write throws the eTag conflict, * overwrites, delete', async () => {
      const key = `t_${randomUUID()}`;
      await store.write({ [key]: { name: 'Zoë 山田', eTag: '*' } });
      const read = (await twin.read([key, 'absent']))[key];
      expect(read).toEqual({ name: 'Zoë 山田', eTag: expect.any(String) });
      expect(await twin.read(['absent'])).toEqual({});
      await store.write({ [key]: { name: 'second', eTag: read.eTag } });
      await expect(twin.write({ [key]: { name: 'stale', eTag: read.eTag } })).rejects.toThrow(/eTag conflict/);
      await twin.write({ [key]: { name: 'forced', eTag: '*' } });
      await expect(readItem(store, key)).resolves.toMatchObject({ name: 'forced' });
      await store.delete([key, 'absent']);
      await expect(readItem(twin, key)).resolves.toBeUndefined();
    });
  });

  describe('lifetimes', () => {
    it('an expired item reads as absent, can be created afresh, and the sweep deletes it', async () => {
      const key = `t_${randomUUID()}`;
      await store.put(key, { n: 1 }, { expiresAt: clock + 1000 });
      await expect(store.get(key)).resolves.toMatchObject({ value: { n: 1 }, expiresAt: clock + 1000 });
      clock += 1000;
      await expect(store.get(key)).resolves.toBeUndefined();
      await expect(store.read([key])).resolves.toEqual({});
      await expect(store.put(key, { n: 2 }, { ifNoneMatch: '*', expiresAt: clock + 1000 })).resolves.toEqual(expect.any(String));
      await expect(store.get(key)).resolves.toMatchObject({ value: { n: 2 } });
    });

    it('lists by prefix (keys with ":" and "@" come back as written), with lifetimes, without reading bodies', async () => {
      const prefix = `p${randomUUID().slice(0, 8)}_`;
      const odd = `${prefix}29:1abc_a:1sandbox-personal@thread.v2;messageid=1`;
      await store.put(`${prefix}a`, { big: 'x'.repeat(1000) }, { expiresAt: clock + 5 });
      await store.put(odd, { n: 1 });
      await store.put(`other_${prefix}`, { n: 1 });
      const listed: Listed[] = [];
      for await (const item of store.list(prefix)) listed.push(item);
      expect(listed.map((l) => l.key).sort()).toEqual([`${prefix}a`, odd].sort());
      expect(listed.find((l) => l.key === `${prefix}a`)).toMatchObject({ eTag: expect.any(String), expiresAt: clock + 5, lastModified: expect.any(Number) });
      expect(listed.find((l) => l.key === odd)?.expiresAt).toBeUndefined();
      await expect(store.get(odd)).resolves.toMatchObject({ value: { n: 1 } });
    });

    it('the sweep deletes only what has expired, and spares an item rewritten since it was listed', async () => {
      const prefix = SENT_MARKER_PREFIX;
      const [gone, kept, rewritten] = ['gone', 'kept', 'rewritten'].map((n) => `${prefix}${n}-${randomUUID()}`);
      await store.put(gone, { n: 1 }, { expiresAt: clock + 10 });
      await store.put(kept, { n: 1 }, { expiresAt: clock + 10_000 });
      await store.put(rewritten, { n: 1 }, { expiresAt: clock + 10 });
      clock += 10;
      // Between the listing and the delete, another instance rewrites one item with a new lifetime.
      const racing: StateStore = Object.assign(Object.create(store) as StateStore, {
        list: async function* (p: string) {
          for await (const item of store.list(p)) {
            if (item.key === rewritten) await twin.put(rewritten, { n: 2 }, { expiresAt: clock + 10_000 });
            yield item;
          }
        },
      });
      const report = await new Sweeper(racing, [{ prefix, fallbackMs: DAY }], silent).sweep();
      expect(report).toEqual({ deleted: 1, kept: 1 });
      expect(await keys(store, prefix)).toEqual([kept, rewritten].sort());
      await expect(store.get(rewritten)).resolves.toMatchObject({ value: { n: 2 } });
    });
  });

  describe('every item kind goes with its lifetime', () => {
    it('a change stays readable through its retention ("expired"/"already done", not "unknown"), then goes', async () => {
      const changes = new PendingChanges(store, () => clock, CHANGE_TTL_MS, { retentionMs: RETENTION_MS });
      const pending = await changes.create(changeInput());
      const done = await changes.create(changeInput());
      await changes.update(done, { state: 'done' });

      clock += CHANGE_TTL_MS + RETENTION_MS - 1;
      await sweeper.sweep();
      const old = await changes.load(pending.key);
      expect(old).toMatchObject({ state: 'pending' });
      expect(changes.isExpired(old!)).toBe(true);
      await expect(changes.load(done.key)).resolves.toMatchObject({ state: 'done' });

      clock += 1;
      await expect(changes.load(pending.key)).resolves.toBeUndefined();
      // (Memory has already evicted what was read; the Blob store keeps it until the sweep.)
      await sweeper.sweep();
      expect(await keys(store, 'changes_')).toEqual([]);
    });

    it('parked commands, their latest pointers and exchange claims go after PARKED_TTL plus the margin', async () => {
      const parked = new ParkedCommands(store, () => clock);
      const conversationId = `a:1sandbox-${randomUUID()}`;
      const claimed = await parked.park({ oid: alex.oid, tid: alex.tid, conversationId, command });
      await expect(parked.claim(claimed.exchangeId, alex)).resolves.toMatchObject({ outcome: 'claimed' });
      const waiting = await parked.park({ oid: alex.oid, tid: alex.tid, conversationId: `${conversationId}-2`, command });
      expect(await keys(store, 'sso')).toHaveLength(4);

      clock += PARKED_TTL_MS + 1;
      // Past the parked lifetime the claim still deduplicates: a late copy of the invoke is "unknown", never a second run.
      await expect(parked.claim(waiting.exchangeId, alex)).resolves.toEqual({ outcome: 'unknown' });
      expect(await sweeper.sweep()).toMatchObject({ deleted: 0 });
      clock += PARKED_KEEP_MS - PARKED_TTL_MS;
      expect(await sweeper.sweep()).toMatchObject({ deleted: 4 });
      expect(await keys(store, 'sso')).toEqual([]);
    });

    it('sent markers go after the redelivery window derived from the worker options', async () => {
      const windowMs = sentMarkerTtlMs(DEFAULT_WORKER_OPTIONS);
      expect(windowMs).toBe(SENT_MARKER_FLOOR_MS);
      const marker = `${SENT_MARKER_PREFIX}${randomUUID()}`;
      // As the worker writes it.
      await writeItem(store, marker, { v: FORMAT_VERSION, deliveryId: 'd', channelId: 'c', at: clock }, { ttlMs: windowMs });
      clock += windowMs - 1;
      await expect(readItem(store, marker)).resolves.toMatchObject({ deliveryId: 'd' });
      clock += 1;
      await expect(readItem(store, marker)).resolves.toBeUndefined();
      await sweeper.sweep();
      expect(await keys(store, SENT_MARKER_PREFIX)).toEqual([]);
    });

    it('registry records have no lifetime: the sweep never touches them', async () => {
      await store.write({ 'notify-index': { teams: {}, eTag: '*' }, [`notify-team-${randomUUID()}`]: { teamId: 't', eTag: '*' } });
      clock += 365 * DAY;
      expect(await sweeper.sweep()).toMatchObject({ deleted: 0 });
      expect(await keys(store, 'notify-')).toHaveLength(2);
    });
  });

  describe('rolling upgrade: records of the previous version (no v, no lifetime)', () => {
    it('load and update as before, are rewritten with v and a lifetime, and age out from their last write', async () => {
      const changes = new PendingChanges(store, () => clock, CHANGE_TTL_MS, { retentionMs: RETENTION_MS });
      const key = randomBytes(32).toString('base64url');
      const old = { ...changeInput(), key, createdAt: clock, expiresAt: clock + CHANGE_TTL_MS, state: 'pending' as const };
      const parkedId = randomUUID();
      await writeAsPreviousVersion(`changes_${key}`, old);
      await writeAsPreviousVersion(`sso_${parkedId}`, { exchangeId: parkedId, oid: alex.oid, tid: alex.tid, conversationId: 'c', command, state: 'waiting', createdAt: clock });
      const untouched = 'B'.repeat(43);
      await writeAsPreviousVersion(`changes_${untouched}`, { ...old, key: untouched });

      const loaded = await changes.load(key);
      expect(loaded).toEqual({ ...old, eTag: expect.any(String) });
      expect(loaded?.v).toBeUndefined();
      const confirming = await changes.update(loaded!, { state: 'confirming' });
      expect(confirming).toMatchObject({ state: 'confirming', v: FORMAT_VERSION });
      await expect(store.get(`changes_${key}`)).resolves.toMatchObject({ value: { v: FORMAT_VERSION }, expiresAt: old.expiresAt + RETENTION_MS });
      await expect(new ParkedCommands(store, () => clock).claim(parkedId, alex)).resolves.toMatchObject({ outcome: 'claimed' });

      // The record no one touched again has no lifetime: the sweep ages it out from its last write.
      const listed: Listed[] = [];
      for await (const item of store.list(`changes_${untouched}`)) listed.push(item);
      expect(listed[0]?.expiresAt).toBeUndefined();
      clock = Math.max(clock, listed[0]!.lastModified) + CHANGE_TTL_MS + RETENTION_MS;
      await sweeper.sweep();
      expect(await keys(store, 'changes_')).toEqual([]);
      expect(await keys(store, 'sso_')).toEqual([]);
    });
  });

  describe('a tenant removed from ALLOWED_TENANTS', () => {
    it('is never served its changes again, nor resumed a parked command', async () => {
      const conversationId = `a:1sandbox-${randomUUID()}`;
      const before = { allowedTenants: [alex.tid, USERS.lee.tid] };
      const after = { allowedTenants: [USERS.lee.tid] };
      const change = await new PendingChanges(store, () => clock, CHANGE_TTL_MS, before).create(changeInput());
      const parkedBefore = new ParkedCommands(store, () => clock, before);
      const item = await parkedBefore.park({ oid: alex.oid, tid: alex.tid, conversationId, command });
      const failed = await parkedBefore.park({ oid: alex.oid, tid: alex.tid, conversationId, command });
      await parkedBefore.claim(failed.exchangeId, alex);
      await parkedBefore.fail(failed.exchangeId);
      await expect(parkedBefore.latest(alex, conversationId)).resolves.toMatchObject({ exchangeId: failed.exchangeId });

      await expect(new PendingChanges(store, () => clock, CHANGE_TTL_MS, after).load(change.key)).resolves.toBeUndefined();
      const parkedAfter = new ParkedCommands(store, () => clock, after);
      await expect(parkedAfter.latest(alex, conversationId)).resolves.toBeUndefined();
      // A claim is still possible: it leads only to SSO validation, which refuses the tenant with a card
      // saying so and runs nothing (test/integration/conversation/sso.test.ts, "a tenant the bot does not allow").
      await expect(parkedAfter.claim(item.exchangeId, alex)).resolves.toMatchObject({ outcome: 'claimed' });
      // Tenant ids compare case-insensitively, as configured ones are lower-cased.
      await expect(new PendingChanges(store, () => clock, CHANGE_TTL_MS, { allowedTenants: [alex.tid.toUpperCase()] }).load(change.key)).resolves.toMatchObject({ key: change.key });
    });
  });

  it('PendingChanges.update costs one storage call (the write returns the eTag the next one needs)', async () => {
    const counting = new CountingStore(store);
    const changes = new PendingChanges(counting, () => clock);
    const created = await changes.create(changeInput());
    const from = counting.calls.length;
    const confirming = await changes.update(created, { state: 'confirming' });
    const done = await changes.update(confirming!, { state: 'done' });
    const announced = await changes.update(done!, { announced: true });
    expect(counting.calls.slice(from).map((c) => c.op)).toEqual(['put', 'put', 'put']);
    await expect(changes.load(created.key)).resolves.toEqual(announced);
    await expect(changes.update(confirming!, { state: 'failed' })).resolves.toBeUndefined();
  });
});
