/** What every job kind's handler is given: the worker's dependencies, options and counters. */
import type { Attachment, Storage } from 'botbuilder';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import type { Outbox } from './outbox';
import type { Pacer } from './rateLimits';
import type { SubscriptionRegistry } from './registry';
import type { ChannelSender } from './sender';
import type { ChangeNotice, RecoveryVerdict } from './types';

export interface WorkerOptions {
  /** Pause between polls of an empty queue. */
  pollIntervalMs: number;
  /** Jobs handled at once (each waits for the pacer; this only needs to cover Teams' latency). */
  concurrency: number;
  /** How long a taken job stays hidden; must outlast one send plus `maxLocalWaitMs`. */
  visibilitySeconds: number;
  /** Failed sends before a job goes to the dead-letter queue. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Longer pacer waits put the job back in the queue instead of holding a worker slot. */
  maxLocalWaitMs: number;
  /** Delivery jobs enqueued per step of a fan-out (the cursor is saved after each). */
  expandChunk: number;
  /** A job handed out this often without being finished (crash loop) is dead-lettered. */
  poisonDequeueCount: number;
  /** How long a prepared announcement waits before its recovery job checks what became of the change. */
  recoveryDelaySeconds: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  pollIntervalMs: 500,
  concurrency: 16,
  visibilitySeconds: 30,
  maxAttempts: 8,
  backoffBaseMs: 1000,
  backoffMaxMs: 5 * 60 * 1000,
  maxLocalWaitMs: 5000,
  expandChunk: 32,
  poisonDequeueCount: 50,
  recoveryDelaySeconds: 15,
};

export interface WorkerStats {
  expanded: number;
  delivered: number;
  retried: number;
  pruned: number;
  deadLettered: number;
  duplicatesSkipped: number;
  unsubscribedSkipped: number;
  postponed: number;
  /** Announcements made from a recovery job because the instance that made the change had stopped. */
  recovered: number;
  /** Cards posted whose sent marker could not be written: each can be posted once more if its job comes back. */
  markerWriteFailures: number;
  /** Copies put back because another worker was sending the same card right then. */
  heldBack: number;
  /** Claims taken over from a sender that stopped mid-send (each may repeat a card Teams took). */
  claimsTakenOver: number;
  /** Targets Teams refused for now (BotDisabledByAdmin, ConversationBlockedByUser, MessageWritesBlocked). */
  suspended: number;
  /** Fan-outs and deliveries dropped because their tenant is not (or no longer) allowed. */
  tenantRefused: number;
}

export const emptyStats = (): WorkerStats => ({
  expanded: 0,
  delivered: 0,
  retried: 0,
  pruned: 0,
  deadLettered: 0,
  duplicatesSkipped: 0,
  unsubscribedSkipped: 0,
  postponed: 0,
  recovered: 0,
  markerWriteFailures: 0,
  heldBack: 0,
  claimsTakenOver: 0,
  suspended: 0,
  tenantRefused: 0,
});

/** How long a prepared announcement waits, by default, before checking what became of its change. */
export const RECOVERY_DELAY_SECONDS = DEFAULT_WORKER_OPTIONS.recoveryDelaySeconds;

export interface WorkerDeps {
  outbox: Outbox;
  registry: SubscriptionRegistry;
  /** Where "sent" markers live (the bot's Storage). */
  storage: Storage;
  send: ChannelSender;
  pacer: Pacer;
  card: (notice: ChangeNotice) => Attachment;
  log: Logger;
  /** What became of a change whose announcement was prepared (the recovery job). */
  resolveRecovery?: (changeKey: string) => Promise<RecoveryVerdict>;
  /** ALLOWED_TENANTS, lower-case: nothing is sent into any other tenant. */
  allowedTenants: readonly string[];
  /** Timestamps, cache ages and Retry-After dates; the system clock unless a test moves time. */
  clock?: Clock;
}

export interface JobContext {
  deps: WorkerDeps;
  options: WorkerOptions;
  stats: WorkerStats;
  clock: Clock;
}

/** Whether a tenant is one the bot may send into. */
export function allowedTenant(ctx: JobContext, tenantId: string | undefined): boolean {
  return tenantId !== undefined && ctx.deps.allowedTenants.includes(tenantId.toLowerCase());
}
