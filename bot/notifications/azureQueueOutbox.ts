/**
 * The outbox on Azure Queue Storage (Azurite locally): a work queue and a dead-letter queue
 * (`<name>-poison`, the suffix Azure Functions uses for the same purpose).
 *
 * Messages are JSON as plain text: the SDK XML-escapes it, and nothing else reads these queues
 * (Azure Functions' queue trigger would expect base64).
 */
import { QueueClient, QueueServiceClient, RestError } from '@azure/storage-queue';
import { systemClock, type Clock } from '../clock';
import { STORAGE_TRY_TIMEOUT_MS } from '../timeouts';
import { assertSize, LostReceiptError, MAX_VISIBILITY_SECONDS, type Outbox } from './outbox';
import type { DeadLetter, OutboxJob, ReceivedJob } from './types';

/** Azure Queue Storage hands out at most 32 messages per receive and peek. */
const MAX_BATCH = 32;

export class AzureQueueOutbox implements Outbox {
  readonly durable = true;
  private readonly work: QueueClient;
  private readonly dead: QueueClient;

  constructor(
    connectionString: string,
    queueName: string,
    private readonly clock: Clock = systemClock,
  ) {
    // The SDK's default per-try timeout is effectively unbounded: a storage account that stops
    // answering would hold a Confirm (prepare) or a shutdown (hand-back) forever.
    const service = QueueServiceClient.fromConnectionString(connectionString, {
      retryOptions: { maxTries: 3, tryTimeoutInMs: STORAGE_TRY_TIMEOUT_MS, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
    });
    this.work = service.getQueueClient(queueName);
    this.dead = service.getQueueClient(deadLetterQueueName(queueName));
  }

  async init(): Promise<void> {
    await this.work.createIfNotExists();
    await this.dead.createIfNotExists();
  }

  async enqueue(job: OutboxJob, delaySeconds = 0): Promise<ReceivedJob> {
    assertSize(job);
    // -1: never expire (the default is 7 days; a long outage must not silently drop notifications).
    const sent = await this.work.sendMessage(JSON.stringify(job), { visibilityTimeout: Math.ceil(delaySeconds), messageTimeToLive: -1 });
    // Put Message's pop receipt holds the message for Update Message until a receive replaces it.
    return { messageId: sent.messageId, receipt: sent.popReceipt, job, dequeueCount: 0 };
  }

  async receive(max: number, visibilitySeconds: number): Promise<ReceivedJob[]> {
    const res = await this.work.receiveMessages({ numberOfMessages: Math.min(Math.max(max, 1), MAX_BATCH), visibilityTimeout: Math.ceil(visibilitySeconds) });
    const received: ReceivedJob[] = [];
    for (const m of res.receivedMessageItems) {
      let job: OutboxJob;
      try {
        job = JSON.parse(m.messageText) as OutboxJob;
      } catch {
        // Not ours or corrupted: keep it where someone can look at it, out of the work queue.
        await this.dead.sendMessage(JSON.stringify({ reason: 'unreadable message', text: m.messageText.slice(0, 4000), at: this.clock() }), { messageTimeToLive: -1 });
        await this.work.deleteMessage(m.messageId, m.popReceipt);
        continue;
      }
      received.push({ messageId: m.messageId, receipt: m.popReceipt, job, dequeueCount: m.dequeueCount });
    }
    return received;
  }

  async update(held: ReceivedJob, job: OutboxJob, visibilitySeconds: number): Promise<ReceivedJob> {
    assertSize(job);
    try {
      const res = await this.work.updateMessage(held.messageId, held.receipt, JSON.stringify(job), Math.min(Math.ceil(visibilitySeconds), MAX_VISIBILITY_SECONDS));
      return { ...held, receipt: res.popReceipt!, job };
    } catch (err) {
      throw lostOr(err, held);
    }
  }

  async remove(held: ReceivedJob): Promise<void> {
    try {
      await this.work.deleteMessage(held.messageId, held.receipt);
    } catch (err) {
      throw lostOr(err, held);
    }
  }

  async deadLetter(held: ReceivedJob, reason: string): Promise<void> {
    const letter: DeadLetter = { job: held.job, reason, at: this.clock() };
    await this.dead.sendMessage(JSON.stringify(letter), { messageTimeToLive: -1 });
    await this.remove(held);
  }

  async deadLetters(max = MAX_BATCH): Promise<DeadLetter[]> {
    const res = await this.dead.peekMessages({ numberOfMessages: Math.min(Math.max(max, 1), MAX_BATCH) });
    return res.peekedMessageItems.flatMap((m) => {
      try {
        return [JSON.parse(m.messageText) as DeadLetter];
      } catch {
        return [];
      }
    });
  }

  async depth(): Promise<number> {
    const props = await this.work.getProperties();
    return props.approximateMessagesCount ?? 0;
  }
}

export function deadLetterQueueName(queueName: string): string {
  return `${queueName}-poison`;
}

/** 404 MessageNotFound / 400 PopReceiptMismatch: another worker holds the message now. */
function lostOr(err: unknown, held: ReceivedJob): unknown {
  if (err instanceof RestError && (err.statusCode === 404 || (err.statusCode === 400 && /PopReceipt/i.test(err.code ?? err.message)))) {
    return new LostReceiptError(held.messageId);
  }
  return err;
}
