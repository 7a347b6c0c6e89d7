/**
 * Both outboxes hand dead letters out in the same order: oldest first, as Azure Queue Storage's
 * peek reads them. (The in-memory outbox used to return the newest, and only it was tested.)
 */
import { randomUUID } from 'node:crypto';
import { AzureQueueOutbox, MemoryOutbox, type Outbox } from '../../../bot/notifications';
import type { OutboxJob } from '../../../bot/notifications/types';
import type { RunningAzurite } from '../../../sandbox/azurite';
import { startAzurite } from '../../support/azurite';

let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const outboxes: Array<[string, () => Outbox]> = [
  ['memory', () => new MemoryOutbox()],
  ['Azure Queue Storage (Azurite)', () => new AzureQueueOutbox(azurite.connectionString, `order-${randomUUID().slice(0, 8)}`)],
];

const job = (n: number): OutboxJob => ({ kind: 'settle', changeKey: `change-${n}`, enqueuedAt: n });

describe.each(outboxes)('dead letters on %s', (_name, make) => {
  it('come oldest first, and `max` keeps the oldest', async () => {
    const outbox = make();
    await outbox.init();
    for (const n of [1, 2, 3]) await outbox.enqueue(job(n));
    const held = await outbox.receive(3, 30);
    expect(held).toHaveLength(3);
    const byKey = new Map(held.map((h) => [(h.job as { changeKey: string }).changeKey, h]));
    for (const n of [1, 2, 3]) await outbox.deadLetter(byKey.get(`change-${n}`)!, `reason ${n}`);

    expect((await outbox.deadLetters()).map((d) => d.reason)).toEqual(['reason 1', 'reason 2', 'reason 3']);
    expect((await outbox.deadLetters(2)).map((d) => d.reason)).toEqual(['reason 1', 'reason 2']);
    expect(await outbox.receive(3, 30)).toEqual([]);
  });
});
