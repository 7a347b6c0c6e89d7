import { RecentReads } from '../../bot/state/recentReads';

describe('RecentReads', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 1_000;
  });

  it('within the ttl, callers share one read; after it, the next caller reads again', async () => {
    const reads = new RecentReads<number>({ ttlMs: 5_000, maxEntries: 10, now });
    let calls = 0;
    const read = async () => ++calls;
    expect(await reads.get('k|alex', read)).toBe(1);
    clock += 4_999;
    expect(await reads.get('k|alex', read)).toBe(1);
    clock += 1;
    expect(await reads.get('k|alex', read)).toBe(2);
    expect(calls).toBe(2);
  });

  it('concurrent callers share the read in flight', async () => {
    const reads = new RecentReads<string>({ ttlMs: 5_000, maxEntries: 10, now });
    let calls = 0;
    let release!: (v: string) => void;
    const read = () => {
      calls++;
      return new Promise<string>((resolve) => (release = resolve));
    };
    const a = reads.get('k', read);
    const b = reads.get('k', read);
    release('upload');
    expect(await Promise.all([a, b])).toEqual(['upload', 'upload']);
    expect(calls).toBe(1);
  });

  it('keys are separate (another user, another change) and a failure is not remembered', async () => {
    const reads = new RecentReads<number>({ ttlMs: 5_000, maxEntries: 10, now });
    let calls = 0;
    await reads.get('k|alex', async () => ++calls);
    await reads.get('k|adele', async () => ++calls);
    expect(calls).toBe(2);
    await expect(reads.get('j|alex', async () => { calls++; throw new Error('503'); })).rejects.toThrow('503');
    await Promise.resolve();
    expect(await reads.get('j|alex', async () => ++calls)).toBe(4);
  });

  it('stays within maxEntries', async () => {
    const reads = new RecentReads<number>({ ttlMs: 60_000, maxEntries: 3, now });
    for (let i = 0; i < 10; i++) await reads.get(`k${i}`, async () => i);
    expect(reads.size).toBe(3);
    // The oldest went first: k0 reads again, k9 is remembered.
    let again = 0;
    await reads.get('k0', async () => ++again);
    await reads.get('k9', async () => ++again);
    expect(again).toBe(1);
  });
});
