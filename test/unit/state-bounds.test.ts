/**
 * The pure parts of bounded state: the LRU every in-memory cache uses, when the sweep deletes an
 * item, how long a sent marker is kept, and the per-user credential bound.
 */
import { SubscriptionRegistry } from '../../bot/notifications';
import { TeamCache } from '../../bot/notifications/deliverJob';
import type { DeliveryJob } from '../../bot/notifications/types';
import { UserCredentials } from '../../bot/sso/credentials';
import { sentMarkerTtlMs, SENT_MARKER_FLOOR_MS } from '../../bot/state/lifetimes';
import { Lru } from '../../bot/state/lru';
import { MemoryStore } from '../../bot/state/memoryStore';
import { isDue } from '../../bot/state/sweeper';

describe('Lru', () => {
  it('holds at most maxEntries, dropping the least recently used', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1).set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3);
    expect(lru.has('b')).toBe(false);
    expect([...lru.entries()]).toEqual([['a', 1], ['c', 3]]);
    lru.set('a', 10); // re-setting refreshes too
    lru.set('d', 4);
    expect([...lru.entries()].map(([k]) => k)).toEqual(['a', 'd']);
    expect(lru.size).toBe(2);
  });

  it('prunes what a predicate calls stale', () => {
    const lru = new Lru<string, number>(10);
    for (let i = 0; i < 6; i += 1) lru.set(`k${i}`, i);
    expect(lru.prune((v) => v % 2 === 0)).toBe(3);
    expect([...lru.entries()].map(([k]) => k)).toEqual(['k1', 'k3', 'k5']);
  });

  it('refuses a bound below one', () => {
    expect(() => new Lru(0)).toThrow(RangeError);
  });
});

describe('isDue (the sweep\'s verdict)', () => {
  const rule = { prefix: 'x_', fallbackMs: 1000 };
  it('uses the item\'s expiresAt when it has one', () => {
    expect(isDue({ key: 'x_1', eTag: 'e', expiresAt: 500, lastModified: 0 }, rule, 499)).toBe(false);
    expect(isDue({ key: 'x_1', eTag: 'e', expiresAt: 500, lastModified: 0 }, rule, 500)).toBe(true);
    // A fresh lifetime wins over an old write.
    expect(isDue({ key: 'x_1', eTag: 'e', expiresAt: 5000, lastModified: 0 }, rule, 4000)).toBe(false);
  });
  it('ages out items without one (the previous version wrote none) from their last write', () => {
    expect(isDue({ key: 'x_1', eTag: 'e', lastModified: 100 }, rule, 1099)).toBe(false);
    expect(isDue({ key: 'x_1', eTag: 'e', lastModified: 100 }, rule, 1100)).toBe(true);
  });
});

describe('sentMarkerTtlMs', () => {
  it('is the longest retry schedule plus a visibility timeout, and never less than a day', () => {
    expect(sentMarkerTtlMs({ maxAttempts: 8, backoffMaxMs: 5 * 60_000, visibilitySeconds: 30 })).toBe(SENT_MARKER_FLOOR_MS);
    expect(SENT_MARKER_FLOOR_MS).toBe(24 * 3600 * 1000);
    expect(sentMarkerTtlMs({ maxAttempts: 100, backoffMaxMs: 3600_000, visibilitySeconds: 60 })).toBe(100 * 3600_000 + 60_000);
  });
});

describe('UserCredentials size bound', () => {
  const options = { clientId: '0f2b6a1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c', clientSecret: 'not-used', authorityHost: 'https://login.microsoftonline.com' };
  const tid = '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10';
  const sso = (oid: string, expiresAt: number) => ({ token: `token-of-${oid}`, user: { oid, tid }, expiresAt });

  it('keeps the most recently active users up to the bound (the others sign in again, silently)', () => {
    const now = 1_000_000;
    const credentials = new UserCredentials(options, () => now, 3);
    for (const oid of ['u1', 'u2', 'u3']) credentials.remember(sso(oid, now + 3600_000));
    expect(credentials.get({ oid: 'u1', tid })).toBeDefined(); // u1 active again
    credentials.remember(sso('u4', now + 3600_000));
    expect(credentials.size).toBe(3);
    expect(credentials.get({ oid: 'u2', tid })).toBeUndefined();
    for (const oid of ['u1', 'u3', 'u4']) expect(credentials.get({ oid, tid })).toBeDefined();
  });

  it('when full, an expired entry goes before anyone still signed in', () => {
    let now = 1_000_000;
    const credentials = new UserCredentials(options, () => now, 3);
    credentials.remember(sso('live-oldest', now + 3600_000));
    credentials.remember(sso('expiring', now + 1000));
    credentials.remember(sso('live', now + 3600_000));
    now += 2000;
    credentials.remember(sso('new', now + 3600_000));
    expect(credentials.size).toBe(3);
    for (const oid of ['live-oldest', 'live', 'new']) expect(credentials.get({ oid, tid })).toBeDefined();
  });

  it('defaults to 10,000 users', () => {
    expect(new UserCredentials(options).maxUsers).toBe(10_000);
  });
});

describe('the delivery job\'s team-record cache', () => {
  it('holds at most 1,000 teams however many a fan-out touches', async () => {
    const registry = new SubscriptionRegistry(new MemoryStore());
    const teams = new TeamCache(registry, Date.now);
    const job = (teamId: string): DeliveryJob => ({
      kind: 'deliver',
      deliveryId: 'd',
      attempt: 0,
      notice: { tenantId: 't', uploadId: 'u', status: 'complete', by: 'x', at: 0, where: 'w', source: 'bot' },
      target: { tenantId: 't', teamId, channelId: teamId, serviceUrl: 'https://127.0.0.1', channelName: 'General' },
    });
    for (let i = 0; i < 1200; i += 1) await expect(teams.subscribed(job(`19:team-${i}@thread.tacv2`))).resolves.toBe(false);
    expect(teams.size).toBe(1000);
  });
});
