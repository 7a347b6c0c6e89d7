/** What the sweep looks after in the bot's store: every item kind but the subscription registry. */
import type { BotConfig } from '../config';
import { CHANGE_TTL_MS, CHANGES_PREFIX } from './changes';
import { sentMarkerTtlMs, type RedeliveryOptions, type SweepRule } from './lifetimes';
import { LATEST_PREFIX, PARKED_KEEP_MS, PARKED_PREFIX } from './parked';

/** The outbox's "sent" markers (bot/notifications/worker.ts). */
export const SENT_MARKER_PREFIX = 'notify-sent-';

export function sweepRules(config: Pick<BotConfig, 'retention'>, worker: RedeliveryOptions): SweepRule[] {
  return [
    { prefix: CHANGES_PREFIX, fallbackMs: CHANGE_TTL_MS + config.retention.settledMs },
    { prefix: PARKED_PREFIX, fallbackMs: PARKED_KEEP_MS },
    { prefix: LATEST_PREFIX, fallbackMs: PARKED_KEEP_MS },
    { prefix: SENT_MARKER_PREFIX, fallbackMs: sentMarkerTtlMs(worker) },
  ];
}
