import { Drain } from '../../bot/drain';

const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('Drain', () => {
  it('settles at once with nothing in flight', async () => {
    expect(await new Drain().settled(10_000)).toEqual({ clean: true, pending: [] });
  });

  it('waits for tracked work, including work tracked while waiting', async () => {
    const drain = new Drain();
    const request = deferred();
    const late = deferred();
    void drain.track(request.promise, 'POST /api/messages');
    let result: unknown;
    const waiting = drain.settled(10_000).then((r) => (result = r));
    // The request ends and leaves a late card update behind before the drain is over.
    void drain.track(late.promise, 'late card update');
    request.resolve();
    await new Promise((r) => setTimeout(r, 20));
    expect(result).toBeUndefined();
    expect(drain.size).toBe(1);
    late.reject(new Error('failed work counts as settled'));
    await waiting;
    expect(result).toEqual({ clean: true, pending: [] });
  });

  it('returns the caller\'s promise unchanged', async () => {
    const drain = new Drain();
    await expect(drain.track(Promise.resolve(7), 'x')).resolves.toBe(7);
    await expect(drain.track(Promise.reject(new Error('no')), 'y')).rejects.toThrow('no');
    expect(drain.size).toBe(0);
  });

  it('at the deadline reports what was still in flight, oldest first', async () => {
    let now = 1000;
    const drain = new Drain(() => now);
    void drain.track(new Promise(() => undefined), 'late card update (upload a)');
    now = 1500;
    void drain.track(new Promise(() => undefined), 'POST /api/messages');
    now = 2000;
    const result = await drain.settled(30);
    expect(result).toEqual({ clean: false, pending: ['late card update (upload a) (1000 ms)', 'POST /api/messages (500 ms)'] });
  });
});
