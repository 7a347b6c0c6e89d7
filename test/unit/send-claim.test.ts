import { MemoryStorage } from 'botbuilder';
import { claimSend, judgeMarker, type ClaimRequest } from '../../bot/notifications/sendClaim';
import { MemoryStore } from '../../bot/state/memoryStore';

const VIS = 30_000;

describe('judgeMarker', () => {
  it('a recorded post, or a marker from before claims (no state), is sent', () => {
    expect(judgeMarker({ state: 'sent', at: 0 }, 1_000, VIS)).toBe('sent');
    expect(judgeMarker({ at: 999 }, 1_000, VIS)).toBe('sent');
  });
  it('a claim younger than the visibility timeout is busy, from then on abandoned', () => {
    expect(judgeMarker({ state: 'sending', at: 1_000 }, 1_000 + VIS - 1, VIS)).toBe('busy');
    expect(judgeMarker({ state: 'sending', at: 1_000 }, 1_000 + VIS, VIS)).toBe('abandoned');
    expect(judgeMarker({ state: 'sending' }, 1_000 + VIS, VIS)).toBe('abandoned');
  });
});

describe('claimSend on a state store', () => {
  let now = 1_000_000;
  const store = new MemoryStore(() => now);
  const req = (key: string): ClaimRequest => ({ key, deliveryId: 'd', channelId: 'c', ttlMs: 86_400_000, visibilityMs: VIS, maybeSent: false });

  it('the first claim wins; a copy is busy while it sends, and skips once it is recorded', async () => {
    const first = await claimSend(store, req('k1'));
    expect(first.kind).toBe('mine');
    expect((await claimSend(store, req('k1'))).kind).toBe('busy');
    if (first.kind !== 'mine') throw new Error('unreachable');
    await first.claim.sent('a1');
    expect((await store.get('k1'))?.value).toMatchObject({ state: 'sent', activityId: 'a1' });
    expect((await claimSend(store, req('k1'))).kind).toBe('sent');
  });

  it('a released claim is claimed again; an abandoned one is taken over once, and the old holder cannot record over it', async () => {
    const first = await claimSend(store, req('k2'));
    if (first.kind !== 'mine') throw new Error('expected a claim');
    await first.claim.release();
    const again = await claimSend(store, req('k2'));
    expect(again).toMatchObject({ kind: 'mine', tookOver: false });
    now += VIS;
    const taken = await claimSend(store, req('k2'));
    expect(taken).toMatchObject({ kind: 'mine', tookOver: true });
    expect((await claimSend(store, req('k2'))).kind).toBe('busy');
    if (again.kind !== 'mine') throw new Error('unreachable');
    await expect(again.claim.sent('late')).rejects.toThrow(/taken over/);
  });

  it('a refreshed claim stays busy past the visibility timeout of its first write', async () => {
    const first = await claimSend(store, req('k3'));
    if (first.kind !== 'mine') throw new Error('expected a claim');
    now += VIS - 1;
    await first.claim.refresh();
    now += VIS - 1;
    expect((await claimSend(store, req('k3'))).kind).toBe('busy');
    await first.claim.sent(undefined);
    expect((await claimSend(store, req('k3'))).kind).toBe('sent');
  });
});

describe('claimSend on a plain Storage', () => {
  it('reads the marker only for a possible repeat, and writes it after the post', async () => {
    const storage = new MemoryStorage();
    const first = await claimSend(storage, { key: 'p', deliveryId: 'd', channelId: 'c', ttlMs: 1000, visibilityMs: VIS, maybeSent: false });
    if (first.kind !== 'mine') throw new Error('expected a claim');
    await first.claim.sent('a');
    expect((await claimSend(storage, { key: 'p', deliveryId: 'd', channelId: 'c', ttlMs: 1000, visibilityMs: VIS, maybeSent: true })).kind).toBe('sent');
  });
});
