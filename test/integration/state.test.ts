/**
 * The state store's promises, on both stores the bot can run with: the in-memory store and the
 * Blob store on a real Azurite. Every "exactly once" in the bot (one PATCH per confirmation, one
 * resumed command per token exchange) rests on these compare-and-swap guarantees, so the races
 * here are real concurrent requests, including from two BlobStore instances ("two bot
 * instances") sharing one container.
 */
import { randomUUID } from 'node:crypto';
import { BlobStore } from '../../bot/state/blobStore';
import { MemoryStore } from '../../bot/state/memoryStore';
import type { StateStore } from '../../bot/state/store';
import { CHANGE_TTL_MS, PendingChanges, type PendingChange, type StoredChange } from '../../bot/state/changes';
import { PARKED_TTL_MS, ParkedCommands, type ClaimResult } from '../../bot/state/parked';
import { createStorage } from '../../bot/state/storage';
import type { Command } from '../../bot/commands/parse';
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

/** A fresh container per suite, so nothing leaks between suites or runs. */
const freshContainer = () => `state-${randomUUID().slice(0, 13)}`;

interface StoreCase {
  name: string;
  /** `first` and `twin` share the same data: for blobs, two separate instances (two bot instances). */
  open(): { first: StateStore; twin: StateStore };
}

const STORES: StoreCase[] = [
  {
    name: 'MemoryStore',
    open: () => {
      const storage = new MemoryStore();
      return { first: storage, twin: storage };
    },
  },
  {
    name: 'BlobStore on Azurite',
    open: () => {
      const container = freshContainer();
      return {
        first: new BlobStore(azurite.connectionString, container),
        twin: new BlobStore(azurite.connectionString, container),
      };
    },
  },
];

const alex = USERS.alex;
const adele = USERS.adele;
const requester = { oid: alex.oid, tid: alex.tid, name: alex.name, mri: alex.teamsId };

const changeInput = (overrides: Partial<PendingChange> = {}): Omit<PendingChange, 'key' | 'createdAt' | 'expiresAt' | 'state'> => ({
  uploadId: '11111111-2222-4333-8444-555555555555',
  requestedStatus: 'complete',
  requester,
  scope: 'channel',
  conversationId: '19:sandbox-channel@thread.tacv2',
  where: 'the Deployments channel',
  seen: { status: 'pending', createdDateTimeUtc: '2025-01-15T09:30:00Z' },
  ...overrides,
});

const command: Command = { kind: 'setStatus', uploadId: '11111111-2222-4333-8444-555555555555', status: 'complete' };

/** Passes every call through to `storage`, counting reads. */
function counted(storage: StateStore): { storage: StateStore; calls: { read: number } } {
  const counting = new CountingStore(storage);
  return {
    storage: counting,
    get calls() {
      return { read: counting.calls.filter((c) => c.op === 'get' || c.op === 'read').length };
    },
  };
}

const outcomes = (results: ClaimResult[]) => results.map((r) => r.outcome).sort();

describe.each(STORES)('state on $name', (store) => {
  let first: StateStore;
  let twin: StateStore;

  beforeAll(() => {
    ({ first, twin } = store.open());
  });

  describe('PendingChanges', () => {
    it('creates a pending change under an unguessable key and loads it back', async () => {
      const clock = Date.now(); // the store judges lifetimes on the real clock
      const changes = new PendingChanges(first, () => clock);
      const created = await changes.create(changeInput());

      expect(created.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(created).toMatchObject({ state: 'pending', createdAt: clock, expiresAt: clock + CHANGE_TTL_MS });

      const loaded = await changes.load(created.key);
      expect(loaded).toEqual({ ...created, eTag: expect.any(String) });
      expect(loaded?.eTag).not.toBe('*');
      expect(loaded?.eTag).not.toBe('');

      const another = await changes.create(changeInput());
      expect(another.key).not.toBe(created.key);
    });

    it('keeps non-ASCII names and channel titles intact', async () => {
      const changes = new PendingChanges(first);
      const created = await changes.create(
        changeInput({ requester: { ...requester, name: 'Zoë Çelik 山田' }, where: 'the Général ✈️ channel' }),
      );
      const loaded = await changes.load(created.key);
      expect(loaded?.requester.name).toBe('Zoë Çelik 山田');
      expect(loaded?.where).toBe('the Général ✈️ channel');
    });

    it('answers undefined for unknown keys, and for malformed keys without reading storage', async () => {
      const spy = counted(first);
      const changes = new PendingChanges(spy.storage);
      const { key } = await changes.create(changeInput());

      await expect(changes.load('A'.repeat(43))).resolves.toBeUndefined();
      expect(spy.calls.read).toBe(1);

      const malformed: unknown[] = [
        '', 'short', `${key}x`, key.slice(1), `../${key.slice(3)}`, `${key.slice(0, 42)}/`, ` ${key.slice(1)}`,
        undefined, null, 42, { key }, [key],
      ];
      for (const bad of malformed) await expect(changes.load(bad)).resolves.toBeUndefined();
      expect(spy.calls.read).toBe(1);

      // The real key still loads: the refusals above were about the keys, not the store.
      await expect(changes.load(key)).resolves.toMatchObject({ key, state: 'pending' });
    });

    it('updates by compare-and-swap: a stale copy cannot write', async () => {
      const changes = new PendingChanges(first);
      const { key } = await changes.create(changeInput());
      const read = (await changes.load(key)) as StoredChange;

      const confirming = await changes.update(read, { state: 'confirming' });
      expect(confirming).toMatchObject({ key, state: 'confirming', uploadId: read.uploadId });
      expect(confirming?.eTag).toEqual(expect.any(String));
      expect(confirming?.eTag).not.toBe(read.eTag);

      // `read` is now stale: a second click holding it must not overwrite.
      await expect(changes.update(read, { state: 'cancelled' })).resolves.toBeUndefined();
      await expect(changes.load(key)).resolves.toMatchObject({ state: 'confirming' });

      const result = { previousStatus: 'pending' as const, status: 'complete' as const, createdDateTimeUtc: '2025-01-15T09:30:00Z', at: 1, by: alex.oid };
      const done = await changes.update(confirming as StoredChange, { state: 'done', result });
      expect(done).toMatchObject({ state: 'done', result });
      await expect(changes.load(key)).resolves.toMatchObject({ state: 'done', result, requester });
    });

    it('expires at createdAt + ttl on the injected clock', async () => {
      let clock = Date.now(); // the store judges lifetimes on the real clock
      const changes = new PendingChanges(first, () => clock, 60_000);
      const created = await changes.create(changeInput());
      expect(created.expiresAt).toBe(clock + 60_000);

      expect(changes.isExpired(created)).toBe(false);
      clock += 59_999;
      expect(changes.isExpired(created)).toBe(false);
      clock += 1;
      expect(changes.isExpired(created)).toBe(true);

      // Expiry is judged on the stored copy too, not only on the object create() returned.
      const loaded = (await changes.load(created.key)) as StoredChange;
      expect(changes.isExpired(loaded)).toBe(true);
    });

    it('lets exactly one of 20 concurrent updates from the same read win', async () => {
      const changes = new PendingChanges(first);
      const { key } = await changes.create(changeInput());
      const read = (await changes.load(key)) as StoredChange;

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => changes.update(read, { state: 'confirming', cardActivityId: `click-${i}` })),
      );
      const winners = results.filter((r): r is StoredChange => r !== undefined);
      expect(winners).toHaveLength(1);

      const stored = await changes.load(key);
      expect(stored).toMatchObject({ state: 'confirming', cardActivityId: winners[0].cardActivityId });
      expect(stored?.eTag).toBe(winners[0].eTag);
    });

    it('lets exactly one of two instances win when both confirm the same change', async () => {
      const instanceA = new PendingChanges(first);
      const instanceB = new PendingChanges(twin);
      const { key } = await instanceA.create(changeInput());
      // Each instance reads the change itself, as two bot instances receiving the two clicks would.
      const [readA, readB] = await Promise.all([instanceA.load(key), instanceB.load(key)]);
      expect(readB?.eTag).toBe(readA?.eTag);

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0
            ? instanceA.update(readA as StoredChange, { state: 'confirming', cardActivityId: `A-${i}` })
            : instanceB.update(readB as StoredChange, { state: 'confirming', cardActivityId: `B-${i}` }),
        ),
      );
      const winners = results.filter((r): r is StoredChange => r !== undefined);
      expect(winners).toHaveLength(1);
      await expect(instanceB.load(key)).resolves.toMatchObject({ cardActivityId: winners[0].cardActivityId });
      await expect(instanceA.load(key)).resolves.toMatchObject({ cardActivityId: winners[0].cardActivityId });
    });
  });

  describe('ParkedCommands', () => {
    const conversationId = 'a:1sandbox-personal-alex';
    const alexUser = { oid: alex.oid, tid: alex.tid };

    it('gives "claimed" to exactly one of 10 concurrent claims by the right user', async () => {
      const clock = Date.now(); // the store judges lifetimes on the real clock
      const parked = new ParkedCommands(first, () => clock);
      const item = await parked.park({ ...alexUser, conversationId, command });
      expect(item).toMatchObject({ state: 'waiting', createdAt: clock, command, conversationId });
      expect(item.exchangeId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

      const results = await Promise.all(Array.from({ length: 10 }, () => parked.claim(item.exchangeId, alexUser)));
      expect(outcomes(results)).toEqual(['claimed', ...Array(9).fill('duplicate')]);
      const won = results.find((r) => r.outcome === 'claimed');
      expect(won).toEqual({ outcome: 'claimed', parked: { ...item, state: 'claimed' } });

      await expect(parked.claim(item.exchangeId, alexUser)).resolves.toEqual({ outcome: 'duplicate' });
    });

    it('answers "unknown" to other users, other tenants, unknown and malformed ids, without consuming the claim', async () => {
      const parked = new ParkedCommands(first);
      const { exchangeId } = await parked.park({ ...alexUser, conversationId, command });

      await expect(parked.claim(exchangeId, { oid: adele.oid, tid: adele.tid })).resolves.toEqual({ outcome: 'unknown' });
      await expect(parked.claim(exchangeId, { oid: alex.oid, tid: USERS.lee.tid })).resolves.toEqual({ outcome: 'unknown' });
      await expect(parked.claim(randomUUID(), alexUser)).resolves.toEqual({ outcome: 'unknown' });
      for (const bad of [undefined, null, 7, { exchangeId }, 'x'.repeat(101)]) {
        await expect(parked.claim(bad, alexUser)).resolves.toEqual({ outcome: 'unknown' });
      }

      await expect(parked.claim(exchangeId, alexUser)).resolves.toMatchObject({ outcome: 'claimed' });
      await expect(parked.claim(exchangeId, alexUser)).resolves.toEqual({ outcome: 'duplicate' });
    });

    it('answers "unknown" once the parked command has expired', async () => {
      let clock = Date.now(); // the store judges lifetimes on the real clock
      const parked = new ParkedCommands(first, () => clock);
      const { exchangeId } = await parked.park({ ...alexUser, conversationId, command });
      clock += PARKED_TTL_MS + 1;
      await expect(parked.claim(exchangeId, alexUser)).resolves.toEqual({ outcome: 'unknown' });
      await expect(parked.latest(alexUser, conversationId)).resolves.toBeUndefined();
    });

    it('after fail(), latest() returns the command for that user and conversation only', async () => {
      const parked = new ParkedCommands(first);
      const conversation = `a:1sandbox-${randomUUID()}`;
      const item = await parked.park({ ...alexUser, conversationId: conversation, command });
      await expect(parked.claim(item.exchangeId, alexUser)).resolves.toMatchObject({ outcome: 'claimed' });

      await parked.fail(item.exchangeId);

      await expect(parked.latest(alexUser, conversation)).resolves.toEqual({ ...item, state: 'failed' });
      await expect(parked.latest({ oid: adele.oid, tid: adele.tid }, conversation)).resolves.toBeUndefined();
      await expect(parked.latest(alexUser, `a:1sandbox-${randomUUID()}`)).resolves.toBeUndefined();
      // A failed exchange stays used: a late duplicate invoke must not run the command again.
      await expect(parked.claim(item.exchangeId, alexUser)).resolves.toEqual({ outcome: 'duplicate' });

      // Parking again (what signin/verifyState does) moves latest() to the new exchange.
      const again = await parked.park({ ...alexUser, conversationId: conversation, command: { kind: 'show', uploadId: '99999999-2222-4333-8444-555555555555' } });
      await expect(parked.latest(alexUser, conversation)).resolves.toEqual(again);
    });

    it('latest() resumes a command no invoke reached, but never one whose exchange succeeded', async () => {
      const parked = new ParkedCommands(first);
      const conversation = `a:1sandbox-${randomUUID()}`;
      // Teams handles consent-required client-side and shows the sign-in button without an invoke
      // (learn.microsoft.com teams-sdk "troubleshooting SSO"): the item is still waiting.
      const item = await parked.park({ ...alexUser, conversationId: conversation, command });
      await expect(parked.latest(alexUser, conversation)).resolves.toEqual(item);

      // Once claimed the command ran; signing in through the old card's button must not repeat it.
      await expect(parked.claim(item.exchangeId, alexUser)).resolves.toMatchObject({ outcome: 'claimed' });
      await expect(parked.latest(alexUser, conversation)).resolves.toBeUndefined();
    });

    it('fail() on an unknown exchange does nothing', async () => {
      const parked = new ParkedCommands(first);
      const unknown = randomUUID();
      await expect(parked.fail(unknown)).resolves.toBeUndefined();
      await expect(parked.claim(unknown, alexUser)).resolves.toEqual({ outcome: 'unknown' });
    });

    it('gives "claimed" to exactly one claim when two instances race for the same exchange', async () => {
      const instanceA = new ParkedCommands(first);
      const instanceB = new ParkedCommands(twin);
      const item = await instanceA.park({ ...alexUser, conversationId, command });

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? instanceA : instanceB).claim(item.exchangeId, alexUser)),
      );
      expect(outcomes(results)).toEqual(['claimed', ...Array(9).fill('duplicate')]);
      await expect(instanceB.claim(item.exchangeId, alexUser)).resolves.toEqual({ outcome: 'duplicate' });
    });
  });
});

describe('createStorage', () => {
  it('is a durable BlobStore with a connection string, shared by every instance on the container', async () => {
    const container = freshContainer();
    const created = createStorage({ connectionString: azurite.connectionString, container });
    expect(created.durable).toBe(true);
    expect(created.storage).toBeInstanceOf(BlobStore);

    // Written through one instance, readable through a separate one: the data lives in Azurite.
    const change = await new PendingChanges(created.storage).create(changeInput());
    const elsewhere = createStorage({ connectionString: azurite.connectionString, container });
    await expect(new PendingChanges(elsewhere.storage).load(change.key)).resolves.toMatchObject({ key: change.key, state: 'pending' });
  });

  it('is a non-durable MemoryStore without one', async () => {
    const created = createStorage({ container: 'state' });
    expect(created.durable).toBe(false);
    expect(created.storage).toBeInstanceOf(MemoryStore);

    const change = await new PendingChanges(created.storage).create(changeInput());
    await expect(new PendingChanges(createStorage({ container: 'state' }).storage).load(change.key)).resolves.toBeUndefined();
  });
});
