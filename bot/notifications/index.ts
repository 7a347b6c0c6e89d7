/** Team-channel notifications: see service.ts for the shape, worker.ts for delivery guarantees. */
export { Notifications, notificationCard, type NotificationsOptions } from './service';
export { SubscriptionRegistry, GENERAL, type TeamRecord, type TeamRef, type ChannelRecord, type PrunedTarget, type DeadLetterNote } from './registry';
export { MemoryOutbox, LostReceiptError, type Outbox } from './outbox';
export { AzureQueueOutbox, deadLetterQueueName } from './azureQueueOutbox';
export { Pacer, DEFAULT_PACING, type PacingLimits } from './rateLimits';
export { channelSender, classifySendError, retryAfterMs, type ChannelSender, type SendVerdict } from './sender';
export { OutboxWorker, DEFAULT_WORKER_OPTIONS, RECOVERY_DELAY_SECONDS, type WorkerOptions, type WorkerStats } from './worker';
export { changeRecovery } from './recover';
export type { ChangeNotice, ChannelTarget, DeadLetter, OutboxJob, PreparedAnnouncement, ReceivedJob, RecoveryVerdict } from './types';
