/** stop() hands back the jobs the worker holds unsettled, so another instance takes them at once. */
import { MemoryStorage } from 'botbuilder';
import { Writable } from 'node:stream';
import { createLogger } from '../../bot/log';
import { MemoryOutbox } from '../../bot/notifications/outbox';
import { DEFAULT_PACING, Pacer } from '../../bot/notifications/rateLimits';
import type { SubscriptionRegistry } from '../../bot/notifications/registry';
import { DEFAULT_WORKER_OPTIONS, OutboxWorker } from '../../bot/notifications/worker';

const quiet = createLogger('error', new Writable({ write: (_c, _e, done) => done() }));

it('a job that failed unexpectedly is visible again right after stop(), not after its visibility timeout', async () => {
  const outbox = new MemoryOutbox();
  // The registry's store is down: expanding the fan-out throws, leaving the job held.
  let reads = 0;
  const registry = { targets: async () => { reads += 1; throw new Error('storage unavailable'); } } as unknown as SubscriptionRegistry;
  const worker = new OutboxWorker(
    { outbox, registry, storage: new MemoryStorage(), allowedTenants: ['t'], send: async () => ({ httpAttempts: 1 }), pacer: new Pacer(DEFAULT_PACING), card: () => ({ contentType: 'x', content: {} }), log: quiet },
    { ...DEFAULT_WORKER_OPTIONS, pollIntervalMs: 10, visibilitySeconds: 300 },
  );
  await outbox.enqueue({ kind: 'fanout', deliveryId: 'd1', notice: { uploadId: 'u', status: 'complete', by: 'x', at: 0, where: 'w', source: 'bot' }, enqueuedAt: 0 } as never);
  worker.start();
  while (reads === 0) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 20));
  expect(await outbox.receive(1, 1)).toEqual([]); // hidden for 300 s while this worker holds it
  await worker.stop();
  const again = await outbox.receive(1, 1);
  expect(again.map((j) => j.job.kind)).toEqual(['fanout']);
  expect(again[0]!.dequeueCount).toBe(2);
});
