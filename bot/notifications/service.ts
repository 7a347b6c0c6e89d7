/**
 * Team-channel notifications as the rest of the bot sees them: `announce` a change (from a
 * confirmation in any chat, or POST /api/notify), the registry of installations and
 * subscriptions, and the outbox worker that this instance runs between listen() and close().
 */
import { randomUUID } from 'node:crypto';
import type { Attachment, Storage } from 'botbuilder';
import { changeNotificationCard } from '../../cards';
import type { Logger } from '../log';
import { AzureQueueOutbox } from './azureQueueOutbox';
import { MemoryOutbox, type Outbox } from './outbox';
import { DEFAULT_PACING, Pacer, type PacingLimits } from './rateLimits';
import { SubscriptionRegistry } from './registry';
import type { ChannelSender } from './sender';
import type { ChangeNotice, DeadLetter, Settlement } from './types';
import { DEFAULT_WORKER_OPTIONS, OutboxWorker, SETTLE_DELAY_SECONDS, type WorkerOptions, type WorkerStats } from './worker';

export interface NotificationsOptions {
  storage: Storage;
  /** Azure Storage connection string; unset = in-memory outbox. */
  connectionString?: string;
  queueName: string;
  send: ChannelSender;
  log: Logger;
  worker?: Partial<WorkerOptions>;
  pacing?: PacingLimits;
  /** Tests and benchmarks can supply their own outbox. */
  outbox?: Outbox;
  /** What became of a change whose announcement was prepared; see prepare(). */
  resolveSettle?: (changeKey: string) => Promise<Settlement>;
  /** ALLOWED_TENANTS: fan-outs and sends go into these tenants only. */
  allowedTenants: readonly string[];
}

export class Notifications {
  readonly registry: SubscriptionRegistry;
  readonly outbox: Outbox;
  readonly worker: OutboxWorker;
  private ready?: Promise<void>;

  constructor(private readonly options: NotificationsOptions) {
    this.registry = new SubscriptionRegistry(options.storage);
    this.outbox = options.outbox ?? (options.connectionString ? new AzureQueueOutbox(options.connectionString, options.queueName) : new MemoryOutbox());
    this.worker = new OutboxWorker(
      {
        outbox: this.outbox,
        registry: this.registry,
        storage: options.storage,
        send: options.send,
        pacer: new Pacer(options.pacing ?? DEFAULT_PACING),
        card: notificationCard,
        log: options.log,
        resolveSettle: options.resolveSettle,
        allowedTenants: options.allowedTenants.map((t) => t.toLowerCase()),
      },
      { ...DEFAULT_WORKER_OPTIONS, ...options.worker },
    );
  }

  /** Creates the queues (once). */
  init(): Promise<void> {
    this.ready ??= this.outbox.init().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async start(): Promise<void> {
    if (!this.outbox.durable) {
      this.options.log.warn('Notification outbox is in memory (no AZURE_STORAGE_CONNECTION_STRING): pending channel notifications are lost on restart and not shared between instances.');
    }
    await this.init();
    this.worker.start();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  /**
   * Records the change for every subscribed channel and returns its delivery id. Durable once
   * this resolves: the fan-out itself happens in the worker (of any instance).
   */
  /**
   * Called before a change's PATCH: if the instance stops before announce(), a worker (of any
   * instance) announces it from the stored change once SETTLE_DELAY_SECONDS have passed.
   */
  async prepare(changeKey: string): Promise<void> {
    await this.init();
    await this.outbox.enqueue({ kind: 'settle', changeKey, enqueuedAt: Date.now() }, SETTLE_DELAY_SECONDS);
  }

  /** `deliveryId`: the same for every announcement of one change (bot/changes/notice.ts), so repeats are recognised. */
  async announce(notice: ChangeNotice, deliveryId: string = randomUUID()): Promise<string> {
    await this.init();
    await this.outbox.enqueue({ kind: 'fanout', deliveryId, notice, enqueuedAt: Date.now() });
    this.options.log.info({ deliveryId, uploadId: notice.uploadId, status: notice.status, source: notice.source, tenantId: notice.tenantId }, 'change notification queued');
    this.worker.poke();
    return deliveryId;
  }

  deadLetters(max?: number): Promise<DeadLetter[]> {
    return this.outbox.deadLetters(max);
  }

  get stats(): WorkerStats {
    return this.worker.stats;
  }
}

export function notificationCard(notice: ChangeNotice): Attachment {
  return changeNotificationCard({
    uploadId: notice.uploadId,
    previousStatus: notice.previousStatus ?? 'unknown',
    newStatus: notice.status,
    changedBy: notice.by,
    changedAt: notice.at,
    where: notice.note ? `${notice.where} — ${notice.note}` : notice.where,
  });
}
