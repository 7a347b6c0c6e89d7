/**
 * Recovery jobs already sitting in queues under the old name (`kind: 'settle'`) are still worked:
 * a "wait" puts them back under the new name, and a due one announces its change once.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../bot/log';
import { MemoryOutbox } from '../../bot/notifications/outbox';
import { DEFAULT_PACING, Pacer } from '../../bot/notifications/rateLimits';
import { SubscriptionRegistry } from '../../bot/notifications/registry';
import type { ChangeNotice, ChannelTarget, OutboxJob, RecoveryVerdict } from '../../bot/notifications/types';
import { DEFAULT_WORKER_OPTIONS, OutboxWorker } from '../../bot/notifications/worker';
import { MemoryStore } from '../../bot/state/memoryStore';

const quiet = createLogger('error', new Writable({ write: (_c, _e, done) => done() }));
const TENANT = 't1';
const notice: ChangeNotice = { tenantId: TENANT, uploadId: 'u1', status: 'complete', previousStatus: 'pending', by: 'Alex', at: 1, where: 'personal chat', source: 'bot' };

it('an old-kind recovery message is put back as kind "recover", then announces its change once', async () => {
  const outbox = new MemoryOutbox();
  const storage = new MemoryStore();
  const registry = new SubscriptionRegistry(storage);
  await registry.subscribe({ teamId: 'team-1', tenantId: TENANT, serviceUrl: 'https://127.0.0.1/', name: 'Team' }, 'chan-1', 'General', 'test');
  const sent: ChannelTarget[] = [];
  const seen: Array<{ changeKey: string; kindInQueue: OutboxJob['kind'][] }> = [];
  const resolveRecovery = async (changeKey: string): Promise<RecoveryVerdict> => {
    // What the queue holds for it right now (the message being worked on).
    const kindInQueue = (outbox as unknown as { messages: Array<{ job: OutboxJob }> }).messages.map((m) => m.job.kind);
    seen.push({ changeKey, kindInQueue });
    return seen.length === 1 ? { kind: 'wait' } : { kind: 'announce', notice, deliveryId: 'delivery-1', announced: async () => undefined };
  };
  const worker = new OutboxWorker(
    { outbox, registry, storage, allowedTenants: [TENANT], send: async (target) => (sent.push(target), { httpAttempts: 1 }), pacer: new Pacer(DEFAULT_PACING), card: () => ({ contentType: 'x', content: {} }), log: quiet, resolveRecovery },
    { ...DEFAULT_WORKER_OPTIONS, pollIntervalMs: 10, recoveryDelaySeconds: 1 },
  );
  // As a version before the rename wrote it.
  await outbox.enqueue({ kind: 'settle', changeKey: 'change-1', enqueuedAt: 1 });
  worker.start();
  try {
    const deadline = Date.now() + 10_000;
    while (sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await worker.stop();
  }
  expect(seen).toEqual([
    { changeKey: 'change-1', kindInQueue: ['settle'] },
    { changeKey: 'change-1', kindInQueue: ['recover'] },
  ]);
  expect(sent.map((t) => t.channelId)).toEqual(['chan-1']);
  expect(worker.stats).toMatchObject({ recovered: 1, expanded: 1, delivered: 1, deadLettered: 0 });
  expect(await outbox.depth()).toBe(0);
});
