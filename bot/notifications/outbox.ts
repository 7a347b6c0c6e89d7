/**
 * The outbox: a queue of notification jobs with Azure Queue Storage's semantics — a received
 * message stays invisible to other workers for a visibility timeout and comes back unless it is
 * deleted, so a worker that dies mid-send loses nothing (at-least-once). Failed jobs can be put
 * back later (backoff) or moved to a dead-letter queue.
 *
 * Two implementations behind one interface: Azure Queue Storage (`azureQueueOutbox.ts`, Azurite
 * locally) and this in-memory one for runs without a storage account (lost on restart).
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../clock';
import type { DeadLetter, OutboxJob, ReceivedJob } from './types';

export interface Outbox {
  /** True when jobs survive a restart and are shared between instances. */
  readonly durable: boolean;
  /** Creates the queues if needed. */
  init(): Promise<void>;
  /**
   * Adds a job, visible after `delaySeconds` (default now). Returns it as held by its sender: until
   * a worker receives it, its receipt lets the sender rewrite it with `update` (a prepared
   * recovery job turned into its change's fan-out) — after that, `update` throws LostReceiptError.
   */
  enqueue(job: OutboxJob, delaySeconds?: number): Promise<ReceivedJob>;
  /** Takes up to `max` visible jobs and hides them for `visibilitySeconds`. */
  receive(max: number, visibilitySeconds: number): Promise<ReceivedJob[]>;
  /** Rewrites a held job and hides it for `visibilitySeconds` more (0 = visible now); returns it with its new receipt. */
  update(held: ReceivedJob, job: OutboxJob, visibilitySeconds: number): Promise<ReceivedJob>;
  /** Done with it: it will not come back. */
  remove(held: ReceivedJob): Promise<void>;
  /** Moves a held job to the dead-letter queue, with why. */
  deadLetter(held: ReceivedJob, reason: string): Promise<void>;
  /** The oldest dead letters, first in first out as Azure's peek reads them (up to 32; the queue keeps them all). */
  deadLetters(max?: number): Promise<DeadLetter[]>;
  /** Approximate number of jobs waiting (visible or not). */
  depth(): Promise<number>;
}

/** Thrown when a receipt no longer holds the message (its visibility timeout ran out and someone else took it). */
export class LostReceiptError extends Error {
  constructor(messageId: string) {
    super(`outbox: message ${messageId} is no longer held by this worker`);
    this.name = 'LostReceiptError';
  }
}

/** Azure Queue Storage caps visibility timeouts at 7 days and messages at 64 KiB. */
export const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600;
export const MAX_MESSAGE_BYTES = 64 * 1024;

interface MemoryMessage {
  id: string;
  receipt: string;
  job: OutboxJob;
  visibleAt: number;
  dequeueCount: number;
}

export class MemoryOutbox implements Outbox {
  readonly durable = false;
  private messages: MemoryMessage[] = [];
  private readonly dead: DeadLetter[] = [];

  constructor(private readonly now: Clock = systemClock) {}

  async init(): Promise<void> {}

  async enqueue(job: OutboxJob, delaySeconds = 0): Promise<ReceivedJob> {
    assertSize(job);
    const message: MemoryMessage = { id: randomUUID(), receipt: randomUUID(), job: clone(job), visibleAt: this.now() + delaySeconds * 1000, dequeueCount: 0 };
    this.messages.push(message);
    return { messageId: message.id, receipt: message.receipt, job: clone(job), dequeueCount: 0 };
  }

  async receive(max: number, visibilitySeconds: number): Promise<ReceivedJob[]> {
    const at = this.now();
    const taken = this.messages.filter((m) => m.visibleAt <= at).slice(0, max);
    return taken.map((m) => {
      m.receipt = randomUUID();
      m.visibleAt = at + visibilitySeconds * 1000;
      m.dequeueCount += 1;
      return { messageId: m.id, receipt: m.receipt, job: clone(m.job), dequeueCount: m.dequeueCount };
    });
  }

  async update(held: ReceivedJob, job: OutboxJob, visibilitySeconds: number): Promise<ReceivedJob> {
    assertSize(job);
    const m = this.held(held);
    m.job = clone(job);
    m.receipt = randomUUID();
    m.visibleAt = this.now() + Math.min(visibilitySeconds, MAX_VISIBILITY_SECONDS) * 1000;
    return { ...held, receipt: m.receipt, job: clone(job) };
  }

  async remove(held: ReceivedJob): Promise<void> {
    const m = this.held(held);
    this.messages = this.messages.filter((x) => x !== m);
  }

  async deadLetter(held: ReceivedJob, reason: string): Promise<void> {
    this.held(held);
    this.dead.push({ job: clone(held.job), reason, at: this.now() });
    await this.remove(held);
  }

  async deadLetters(max = 32): Promise<DeadLetter[]> {
    return this.dead.slice(0, max).map(clone);
  }

  async depth(): Promise<number> {
    return this.messages.length;
  }

  private held(held: ReceivedJob): MemoryMessage {
    const m = this.messages.find((x) => x.id === held.messageId);
    if (!m || m.receipt !== held.receipt) throw new LostReceiptError(held.messageId);
    return m;
  }
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function assertSize(job: OutboxJob): void {
  if (Buffer.byteLength(JSON.stringify(job)) > MAX_MESSAGE_BYTES) throw new Error('outbox: job larger than a queue message can hold (64 KiB)');
}
