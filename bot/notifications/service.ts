/**
 * Team-channel notifications as the rest of the bot sees them: `announce` a change (from a
 * confirmation in any chat, or POST /api/notify), the registry of installations and
 * subscriptions, and the outbox worker that this instance runs between listen() and close().
 */
import { randomUUID } from 'node:crypto';
import type { Attachment, Storage } from 'botbuilder';
import { changeNotificationCard } from '../../cards';
import { systemClock, type Clock } from '../clock';
import type { Logger } from '../log';
import { AzureQueueOutbox } from './azureQueueOutbox';
import { MemoryOutbox, type Outbox } from './outbox';
import { DEFAULT_PACING, Pacer, type PacingLimits } from './rateLimits';
import { SubscriptionRegistry } from './registry';
import type { ChannelSender } from './sender';
import type { ChangeNotice, DeadLetter, FanOutJob, PreparedAnnouncement, ReceivedJob, RecoveryVerdict } from './types';
import { DEFAULT_WORKER_OPTIONS, OutboxWorker, type WorkerOptions, type WorkerStats } from './worker';

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
  resolveRecovery?: (changeKey: string) => Promise<RecoveryVerdict>;
  /** ALLOWED_TENANTS: fan-outs and sends go into these tenants only. */
  allowedTenants: readonly string[];
  /** The bot's clock (app.ts): job timestamps, cache ages, pacing, in-memory visibility. */
  clock?: Clock;
}

export class Notifications {
  readonly registry: SubscriptionRegistry;
  readonly outbox: Outbox;
  readonly worker: OutboxWorker;
  private ready?: Promise<void>;
  private readonly clock: Clock;
  private readonly recoveryDelaySeconds: number;

  constructor(private readonly options: NotificationsOptions) {
    const clock = (this.clock = options.clock ?? systemClock);
    this.registry = new SubscriptionRegistry(options.storage, clock);
    this.outbox = options.outbox ?? (options.connectionString ? new AzureQueueOutbox(options.connectionString, options.queueName, clock) : new MemoryOutbox(clock));
    const workerOptions = { ...DEFAULT_WORKER_OPTIONS, ...options.worker };
    this.recoveryDelaySeconds = workerOptions.recoveryDelaySeconds;
    this.worker = new OutboxWorker(
      {
        outbox: this.outbox,
        registry: this.registry,
        storage: options.storage,
        send: options.send,
        pacer: new Pacer(options.pacing ?? DEFAULT_PACING, clock),
        card: notificationCard,
        log: options.log,
        resolveRecovery: options.resolveRecovery,
        allowedTenants: options.allowedTenants.map((t) => t.toLowerCase()),
        clock,
      },
      workerOptions,
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
   * Called before a change's PATCH: enqueues its recovery job, delayed `recoveryDelaySeconds` (worker options), so
   * that if this instance stops before announcing, a worker (of any instance) announces the change
   * from its stored record. The handle announces the applied change through that same message
   * (one queue message per Confirm). Throws when the message could not be written: then
   * announce() is the way, as for changes that were never prepared.
   */
  async prepare(changeKey: string): Promise<PreparedAnnouncement> {
    await this.init();
    const prepared = await this.outbox.enqueue({ kind: 'recover', changeKey, enqueuedAt: this.clock() }, this.recoveryDelaySeconds);
    return { announce: (notice, deliveryId) => this.announcePrepared(prepared, notice, deliveryId) };
  }

  /**
   * Records the change for every subscribed channel and returns its delivery id. Durable once
   * this resolves: the fan-out itself happens in the worker (of any instance). `deliveryId`: the
   * same for every announcement of one change (bot/changes/notice.ts), so repeats are recognised.
   */
  async announce(notice: ChangeNotice, deliveryId: string = randomUUID()): Promise<string> {
    await this.init();
    await this.outbox.enqueue(this.fanOutJob(notice, deliveryId));
    this.queued(notice, deliveryId, 'new message');
    return deliveryId;
  }

  /**
   * Rewrites the prepared recovery message into the fan-out, visible now. If a worker took it
   * first (its delay ran out) the receipt no longer holds it: a fresh fan-out message instead —
   * should that worker announce the change too, both share the delivery id and one expands.
   */
  private async announcePrepared(prepared: ReceivedJob, notice: ChangeNotice, deliveryId: string): Promise<void> {
    const job = this.fanOutJob(notice, deliveryId);
    try {
      await this.outbox.update(prepared, job, 0);
    } catch (err) {
      this.options.log.info({ err, deliveryId }, 'prepared announcement message gone (or not writable); queuing the fan-out afresh');
      await this.outbox.enqueue(job);
      this.queued(notice, deliveryId, 'new message');
      return;
    }
    this.queued(notice, deliveryId, 'prepared message');
  }

  private fanOutJob(notice: ChangeNotice, deliveryId: string): FanOutJob {
    return { kind: 'fanout', deliveryId, notice, enqueuedAt: this.clock() };
  }

  private queued(notice: ChangeNotice, deliveryId: string, via: 'prepared message' | 'new message'): void {
    this.options.log.info({ deliveryId, uploadId: notice.uploadId, status: notice.status, source: notice.source, tenantId: notice.tenantId, via }, 'change notification queued');
    this.worker.poke();
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
