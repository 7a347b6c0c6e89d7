/**
 * The subscription registry per tenant, on botbuilder's MemoryStorage: a tenant's targets never
 * include another tenant's channels; records of the previous format (one index of every team, no
 * tenant) are still found and filed; suspended channels are kept but not targets until resumed;
 * pruned channels come back with the next install.
 */
import { createHash } from 'node:crypto';
import { MemoryStorage } from 'botbuilder';
import { SubscriptionRegistry } from '../../bot/notifications/registry';
import type { ChannelTarget } from '../../bot/notifications/types';

const CONTOSO = '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10';
const FABRIKAM = '7c1e4a2d-9b3f-4e6a-8d5c-1f2e3a4b5c6d';
const SERVICE_URL = 'https://smba.trafficmanager.net/amer/';
/** Team record keys, as v1 and v2 both write them. */
const teamKeyOf = (teamId: string) => `notify-team-${createHash('sha256').update(teamId).digest('hex').slice(0, 40)}`;
const ref = (teamId: string, tenantId: string) => ({ teamId, tenantId, serviceUrl: SERVICE_URL, name: teamId });

/** Counts reads per key, to prove a fan-out reads only its tenant's teams. */
class CountingStorage extends MemoryStorage {
  readonly reads: string[] = [];
  override read(keys: string[]) {
    this.reads.push(...keys);
    return super.read(keys);
  }
}

describe('SubscriptionRegistry per tenant', () => {
  it('targets(tenant) lists only that tenant\'s channels, reading no other tenant\'s team record', async () => {
    const storage = new CountingStorage();
    const registry = new SubscriptionRegistry(storage);
    await registry.install(ref('19:contoso-team', CONTOSO), 'Alex');
    await registry.install(ref('19:fabrikam-team', FABRIKAM), 'Lee');
    storage.reads.length = 0;
    const targets = await registry.targets(CONTOSO);
    expect(targets.map((t) => t.teamId)).toEqual(['19:contoso-team']);
    expect(storage.reads).toContain(teamKeyOf('19:contoso-team'));
    expect(storage.reads).not.toContain(teamKeyOf('19:fabrikam-team'));
    expect((await registry.targets(FABRIKAM)).map((t) => t.teamId)).toEqual(['19:fabrikam-team']);
    expect(await registry.targets('00000000-0000-0000-0000-000000000000')).toEqual([]);
  });

  it('reads records of the previous format (one index, no tenant), then files them under their tenant', async () => {
    const storage = new CountingStorage();
    const team = (teamId: string, tenantId: string) => ({
      teamId, tenantId, serviceUrl: SERVICE_URL, name: teamId, installed: true, deleted: false,
      channels: { [teamId]: { id: teamId, name: 'General', subscribed: true, by: 'v1', since: 1 } }, pruned: [], deadLetters: [], updatedAt: 1,
    });
    // What a v1 instance wrote: team records under v1's keys and the one index of every team.
    const v1Key = teamKeyOf;
    const oldContoso = v1Key('19:old-contoso');
    const oldFabrikam = v1Key('19:old-fabrikam');
    const fresh = storage;
    await fresh.write({
      'notify-index': { teams: { [oldContoso]: { teamId: '19:old-contoso' }, [oldFabrikam]: { teamId: '19:old-fabrikam' } }, eTag: '*' },
      [oldContoso]: { ...team('19:old-contoso', CONTOSO), eTag: '*' },
      [oldFabrikam]: { ...team('19:old-fabrikam', FABRIKAM), eTag: '*' },
    });
    const upgraded = new SubscriptionRegistry(fresh);
    expect((await upgraded.targets(CONTOSO)).map((t) => t.teamId)).toEqual(['19:old-contoso']);
    // Filed now: the next fan-out of Contoso no longer reads Fabrikam's team.
    fresh.reads.length = 0;
    expect((await upgraded.targets(CONTOSO)).map((t) => t.teamId)).toEqual(['19:old-contoso']);
    expect(fresh.reads).not.toContain(oldFabrikam);
    expect((await upgraded.targets(FABRIKAM)).map((t) => t.teamId)).toEqual(['19:old-fabrikam']);
    // The v1 index still lists both (v1 readers in a rolling upgrade keep working).
    const index = (await fresh.read(['notify-index']))['notify-index'] as { teams: Record<string, { teamId: string; tenantId?: string }> };
    expect(Object.values(index.teams)).toEqual(expect.arrayContaining([{ teamId: '19:old-contoso', tenantId: CONTOSO }, { teamId: '19:old-fabrikam', tenantId: FABRIKAM }]));
  });

  it('a suspended channel is kept but not a target until resumed; a pruned one returns with the next install', async () => {
    let now = 1000;
    const registry = new SubscriptionRegistry(new MemoryStorage(), () => now);
    await registry.install(ref('19:t', CONTOSO), 'Alex');
    await registry.subscribe(ref('19:t', CONTOSO), '19:c2', 'Ops', 'Alex');
    const targets = await registry.targets(CONTOSO);
    const general = targets.find((t) => t.channelId === '19:t') as ChannelTarget;
    const ops = targets.find((t) => t.channelId === '19:c2') as ChannelTarget;

    expect(await registry.suspend(ops, 'BotDisabledByAdmin', 'Teams answered 403 BotDisabledByAdmin')).toBe(true);
    expect((await registry.targets(CONTOSO)).map((t) => t.channelId)).toEqual(['19:t']);
    expect((await registry.team('19:t'))!.channels['19:c2']).toMatchObject({ subscribed: true, suspended: { code: 'BotDisabledByAdmin', at: 1000 } });
    expect(await registry.resumeIfSuspended('19:t', '19:t')).toEqual([]);
    expect((await registry.targets(CONTOSO)).map((t) => t.channelId)).toEqual(['19:t']);
    expect(await registry.resumeIfSuspended('19:t', '19:c2')).toEqual(['19:c2']);
    expect((await registry.targets(CONTOSO)).map((t) => t.channelId).sort()).toEqual(['19:c2', '19:t']);

    expect(await registry.prune(general, 'Teams answered 403 BotNotInConversationRoster', 'BotNotInConversationRoster')).toBe(true);
    expect((await registry.targets(CONTOSO)).map((t) => t.channelId)).toEqual(['19:c2']);
    now = 2000;
    await registry.install(ref('19:t', CONTOSO), 'Alex');
    expect((await registry.targets(CONTOSO)).map((t) => t.channelId).sort()).toEqual(['19:c2', '19:t'].sort());
  });
});
