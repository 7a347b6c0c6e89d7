/**
 * The outbox worker, one per bot instance: takes jobs from the outbox, expands a change into one
 * job per subscribed channel, posts each card at a pace Teams accepts, and settles every job —
 * delete on success, back into the queue with backoff on transient failures (never before
 * Teams' Retry-After), prune or suspend as Teams' status table says (sender.ts), dead-letter
 * after `maxAttempts` (every HTTP request a send made counts) or at once for what is never retried.
 * Fan-outs expand into the change's tenant only; nothing is sent into a tenant not allowed.
 *
 * Delivery is at-least-once: a job is deleted only after its card was posted, so a crash at any
 * point brings it back after the visibility timeout. Every delivery claims its "sent" marker with
 * a create-only write before posting and records the post over it (sendClaim.ts): a job that comes
 * back, or a copy from a re-expanded fan-out — on any instance, first-time or not — finds the
 * claim and does not post. Only a sender stopping between Teams' 200 and that record (its claim
 * is taken over once it is older than the visibility timeout), or the record failing (counted in
 * `markerWriteFailures`), can still repeat a card.
 */
import { createHash } from 'node:crypto';
import type { Attachment, Storage } from 'botbuilder';
import type { Logger } from '../log';
import { FORMAT_VERSION, sentMarkerTtlMs } from '../state/lifetimes';
import { Lru } from '../state/lru';
import { SENT_MARKER_PREFIX } from '../state/rules';
import { readItem, writeItem } from '../state/storage';
import { isStateStore } from '../state/store';
import { LostReceiptError, type Outbox } from './outbox';
import { claimSend, type SendClaim } from './sendClaim';
import type { Pacer } from './rateLimits';
import { isTarget, type SubscriptionRegistry, type TeamRecord } from './registry';

/** How stale a team's subscriptions may be when deciding to send (an unsubscribe takes effect within this). */
const TEAM_CACHE_MS = 1000;
/** Teams whose records are cached at once; a fan-out touches far fewer within TEAM_CACHE_MS. */
const TEAM_CACHE_MAX = 1000;
import { classifySendError, SendFailure, type ChannelSender } from './sender';
import { targetKey, type ChangeNotice, type DeliveryJob, type FanOutJob, type ReceivedJob, type SettleJob, type Settlement } from './types';

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
  /** A job handed out this often without being settled (crash loop) is dead-lettered. */
  poisonDequeueCount: number;
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
  /** Announcements made from a SettleJob because the instance that made the change had stopped. */
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

/** How long a prepared announcement waits before checking what became of its change. */
export const SETTLE_DELAY_SECONDS = 15;

export interface WorkerDeps {
  outbox: Outbox;
  registry: SubscriptionRegistry;
  /** Where "sent" markers live (the bot's Storage). */
  storage: Storage;
  send: ChannelSender;
  pacer: Pacer;
  card: (notice: ChangeNotice) => Attachment;
  log: Logger;
  /** What became of a change whose announcement was prepared (SettleJob). */
  resolveSettle?: (changeKey: string) => Promise<Settlement>;
  /** ALLOWED_TENANTS, lower-case: nothing is sent into any other tenant. */
  allowedTenants: readonly string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Under the sent markers' prefix, so the same lifetime and sweep cover it. */
const fanOutKey = (deliveryId: string) => `${SENT_MARKER_PREFIX}fanout-${createHash('sha256').update(deliveryId).digest('hex').slice(0, 40)}`;
const sentKey = (deliveryId: string, key: string) => `${SENT_MARKER_PREFIX}${createHash('sha256').update(`${deliveryId}|${key}`).digest('hex').slice(0, 40)}`;

/**
 * Holds a job for as long as it is being worked on: the visibility timeout is renewed at half
 * its length, so a slow send (botbuilder's HTTP pipeline itself retries 429/5xx, honouring
 * Retry-After, up to 3 times) never lets the job reappear for another worker mid-send.
 */
class Lease {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private claim?: SendClaim;

  constructor(
    private held: ReceivedJob,
    private readonly outbox: Outbox,
    private readonly visibilitySeconds: number,
    log: Logger,
  ) {
    this.timer = setInterval(() => {
      this.chain = this.chain
        .then(async () => {
          this.held = await this.outbox.update(this.held, this.held.job, this.visibilitySeconds);
        })
        .catch((err) => log.warn({ err, messageId: this.held.messageId }, 'outbox: could not extend a job\'s visibility'));
      // A copy takes over a claim older than the visibility timeout: a slow send keeps its own young.
      this.claim?.refresh().catch((err) => log.warn({ err, messageId: this.held.messageId }, 'outbox: could not refresh a send claim'));
    }, (visibilitySeconds * 1000) / 2);
  }

  /** Refreshes this claim with the job's visibility, until it is settled. */
  keepFresh(claim: SendClaim): void {
    this.claim = claim;
  }

  /** Stops renewing and settles the job with its latest receipt. */
  async settle<T>(step: (held: ReceivedJob) => Promise<T>): Promise<T> {
    clearInterval(this.timer);
    await this.chain;
    return step(this.held);
  }

  release(): void {
    clearInterval(this.timer);
  }
}

export class OutboxWorker {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly inFlight = new Set<Promise<void>>();
  /** Jobs taken but left unsettled (a duplicate waiting its turn, an unexpected failure): handed back on stop(). */
  private readonly unsettled = new Map<string, ReceivedJob & { heldUntil: number }>();
  readonly stats: WorkerStats = { expanded: 0, delivered: 0, retried: 0, pruned: 0, deadLettered: 0, duplicatesSkipped: 0, unsubscribedSkipped: 0, postponed: 0, recovered: 0, markerWriteFailures: 0, heldBack: 0, claimsTakenOver: 0, suspended: 0, tenantRefused: 0 };

  constructor(
    private readonly deps: WorkerDeps,
    private readonly options: WorkerOptions = DEFAULT_WORKER_OPTIONS,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops taking jobs, waits for the ones being worked on, then hands back the jobs it still
   * holds unsettled (visible again at once, so another instance takes them now rather than after
   * their visibility timeout).
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    const held = [...this.unsettled.values()].filter((h) => h.heldUntil > Date.now());
    this.unsettled.clear();
    await Promise.all(
      held.map((h) =>
        this.deps.outbox.update({ messageId: h.messageId, receipt: h.receipt, job: h.job, dequeueCount: h.dequeueCount }, h.job, 0).catch((err) => {
          // A lost receipt: someone else holds it already. Otherwise it returns after its timeout.
          if (!(err instanceof LostReceiptError)) this.deps.log.warn({ err, messageId: h.messageId }, 'outbox: could not hand a job back');
        }),
      ),
    );
    if (held.length) this.deps.log.info({ jobs: held.length }, 'outbox: jobs handed back for another instance');
  }

  private holdUnsettled(held: ReceivedJob): void {
    const now = Date.now();
    // Past its visibility timeout the job is back in the queue (or someone else's): not ours to hand back.
    for (const [id, h] of this.unsettled) if (h.heldUntil <= now) this.unsettled.delete(id);
    this.unsettled.set(held.messageId, { ...held, heldUntil: now + this.options.visibilitySeconds * 1000 });
  }

  /** Wakes an idle worker (a job was just enqueued by this instance). */
  poke(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
      let jobs: ReceivedJob[] = [];
      try {
        jobs = await this.deps.outbox.receive(this.options.concurrency - this.inFlight.size, this.options.visibilitySeconds);
      } catch (err) {
        this.deps.log.warn({ err }, 'outbox: receive failed; retrying');
      }
      if (jobs.length === 0) {
        await this.idle();
        continue;
      }
      for (const held of jobs) {
        const p: Promise<void> = this.handle(held)
          .catch((err) => {
            this.deps.log.error({ err, messageId: held.messageId }, 'outbox: job failed unexpectedly; it returns after its visibility timeout');
            this.holdUnsettled(held);
          })
          .finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.pollIntervalMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private async handle(held: ReceivedJob): Promise<void> {
    if (held.dequeueCount > this.options.poisonDequeueCount) {
      await this.deadLetter(held, `taken ${held.dequeueCount} times without being settled`);
      return;
    }
    if (held.job.kind === 'fanout') await this.expand(held, held.job);
    else if (held.job.kind === 'settle') await this.settleChange(held, held.job);
    else await this.deliver(held, held.job);
  }

  /** A prepared announcement came due: announce it if the instance that made the change could not. */
  private async settleChange(held: ReceivedJob, job: SettleJob): Promise<void> {
    const { outbox, log } = this.deps;
    const settlement: Settlement = this.deps.resolveSettle ? await this.deps.resolveSettle(job.changeKey) : { kind: 'drop', reason: 'no resolver' };
    if (settlement.kind === 'wait') {
      await outbox.update(held, job, SETTLE_DELAY_SECONDS);
      return;
    }
    if (settlement.kind === 'announce') {
      await outbox.enqueue({ kind: 'fanout', deliveryId: settlement.deliveryId, notice: settlement.notice, enqueuedAt: Date.now() });
      await settlement.announced();
      this.stats.recovered += 1;
      log.warn({ uploadId: settlement.notice.uploadId, status: settlement.notice.status }, 'change notification recovered: the instance that made the change stopped before announcing it');
    } else {
      log.debug({ reason: settlement.reason }, 'prepared announcement not needed');
    }
    await outbox.remove(held);
  }

  /**
   * The tenant a fan-out is for. Jobs written before tenants were tracked carry none: with one
   * allowed tenant it can only be that one; with several, nobody can say, so it is not sent.
   */
  private tenantOf(job: FanOutJob): string | undefined {
    const tid = (job.notice as Partial<ChangeNotice>).tenantId?.toLowerCase();
    if (tid) return tid;
    return this.deps.allowedTenants.length === 1 ? this.deps.allowedTenants[0] : undefined;
  }

  private allowed(tenantId: string | undefined): boolean {
    return tenantId !== undefined && this.deps.allowedTenants.includes(tenantId.toLowerCase());
  }

  /** One job per subscribed channel of the change's tenant, in target order, saving progress so a crash repeats at most one chunk. */
  private async expand(held: ReceivedJob, job: FanOutJob): Promise<void> {
    const { outbox, registry, log } = this.deps;
    const tenantId = this.tenantOf(job);
    if (!tenantId) {
      await this.deadLetter(held, 'the change names no tenant and several tenants are allowed: it cannot be sent anywhere');
      return;
    }
    if (!this.allowed(tenantId)) {
      this.stats.tenantRefused += 1;
      log.warn({ deliveryId: job.deliveryId, tenantId }, 'notification fan-out dropped: its tenant is not in ALLOWED_TENANTS');
      await this.settle(() => outbox.remove(held));
      return;
    }
    const notice: ChangeNotice = { ...job.notice, tenantId };
    if (!(await this.ownsFanOut(held, job))) {
      this.stats.duplicatesSkipped += 1;
      log.info({ deliveryId: job.deliveryId }, 'a second fan-out of an announced change dropped: it was announced already');
      await this.settle(() => outbox.remove(held));
      return;
    }
    const all = await registry.targets(tenantId);
    const remaining = job.cursor ? all.filter((t) => targetKey(t) > job.cursor!) : all;
    // A fan-out taken before was interrupted: the chunk after its cursor may already be queued.
    const mayRepeat = held.dequeueCount > 1 || undefined;
    let current = held;
    for (let i = 0; i < remaining.length; i += this.options.expandChunk) {
      const chunk = remaining.slice(i, i + this.options.expandChunk);
      await Promise.all(
        chunk.map((target) => outbox.enqueue({ kind: 'deliver', deliveryId: job.deliveryId, notice, target, attempt: 0, mayRepeat } satisfies DeliveryJob)),
      );
      const cursor = targetKey(chunk[chunk.length - 1]);
      current = await outbox.update(current, { ...job, cursor }, this.options.visibilitySeconds);
    }
    await outbox.remove(current);
    this.stats.expanded += 1;
    log.info({ deliveryId: job.deliveryId, uploadId: job.notice.uploadId, tenantId, targets: all.length, enqueued: remaining.length }, 'notification fan-out enqueued');
  }

  /**
   * One fan-out per delivery id: a change announced twice (its Confirm, and the recovery job after a
   * storage failure hid that it had) shares its delivery id (bot/changes/notice.ts). The first
   * message to claim the id expands it; the same message, redelivered, continues from its cursor.
   */
  private async ownsFanOut(held: ReceivedJob, job: FanOutJob): Promise<boolean> {
    const { storage } = this.deps;
    const key = fanOutKey(job.deliveryId);
    const claim = { v: FORMAT_VERSION, deliveryId: job.deliveryId, messageId: held.messageId, at: Date.now() };
    if (isStateStore(storage)) {
      const created = await storage.put(key, claim, { ifNoneMatch: '*', expiresAt: storage.now() + sentMarkerTtlMs(this.options) });
      if (created !== undefined) return true;
    } else if (!(await readItem(storage, key))) {
      await writeItem(storage, key, claim, { ttlMs: sentMarkerTtlMs(this.options) });
      return true;
    }
    const owner = await readItem<typeof claim>(storage, key);
    return !owner || owner.messageId === held.messageId;
  }

  private async deliver(held: ReceivedJob, job: DeliveryJob): Promise<void> {
    const { outbox, storage, pacer, log } = this.deps;
    const where = { deliveryId: job.deliveryId, channelId: job.target.channelId };
    const lease = new Lease(held, outbox, this.options.visibilitySeconds, log);
    try {
      const noticeTenant = (job.notice as Partial<ChangeNotice>).tenantId;
      if (!this.allowed(job.target.tenantId) || (noticeTenant !== undefined && noticeTenant.toLowerCase() !== job.target.tenantId.toLowerCase())) {
        this.stats.tenantRefused += 1;
        log.warn({ deliveryId: job.deliveryId, tenantId: job.target.tenantId, teamId: job.target.teamId, channelId: job.target.channelId }, 'notification dropped: the channel\'s tenant is not allowed (or not the change\'s)');
        await this.settle(() => lease.settle((h) => outbox.remove(h)));
        return;
      }
      if (!(await this.stillSubscribed(job))) {
        this.stats.unsubscribedSkipped += 1;
        log.info(where, 'channel no longer follows changes (or is suspended); notification dropped');
        await this.settle(() => lease.settle((h) => outbox.remove(h)));
        return;
      }
      // Claimed before the send, on every attempt: a copy on another instance (even a first-time
      // one) finds the claim. This replaces both the in-process "posting" set and the marker read
      // that only a possible repeat used to make.
      const claimed = await claimSend(storage, {
        key: sentKey(job.deliveryId, targetKey(job.target)),
        deliveryId: job.deliveryId,
        channelId: job.target.channelId,
        ttlMs: sentMarkerTtlMs(this.options),
        visibilityMs: this.options.visibilitySeconds * 1000,
        maybeSent: held.dequeueCount > 1 || job.attempt > 0 || job.mayRepeat === true,
      });
      if (claimed.kind === 'sent') {
        this.stats.duplicatesSkipped += 1;
        log.debug(where, 'notification already sent; dropping the repeat');
        await this.settle(() => lease.settle((h) => outbox.remove(h)));
        return;
      }
      if (claimed.kind === 'busy') {
        // By the time it returns, the claim says whether the card went out (or that its sender stopped).
        this.stats.heldBack += 1;
        log.debug(where, 'another worker is sending this notification right now; trying the copy later');
        await this.settle(() => lease.settle((h) => outbox.update(h, job, this.options.visibilitySeconds)));
        return;
      }
      const { claim } = claimed;
      if (claimed.tookOver) {
        this.stats.claimsTakenOver += 1;
        log.warn(where, 'a notification\'s sender stopped mid-send; sending it again (Teams may have taken the first)');
      }
      lease.keepFresh(claim);
      const wait = await pacer.acquire(job.target.tenantId, job.target.channelId, this.options.maxLocalWaitMs);
      if (wait > 0) {
        await this.releaseClaim(claim, job);
        this.stats.postponed += 1;
        await this.settle(() => lease.settle((h) => outbox.update(h, job, Math.ceil(wait / 1000))));
        return;
      }
      let activityId: string | undefined;
      try {
        ({ activityId } = await this.deps.send(job.target, this.deps.card(job.notice)));
      } catch (err) {
        // Not sent: the retried job (or a copy) claims it afresh.
        await this.releaseClaim(claim, job);
        await this.failed(lease, job, err);
        return;
      }
      // Kept as long as this job could come back (lifetimes.ts); the sweep deletes it after.
      await claim.sent(activityId).catch((err) => {
        this.stats.markerWriteFailures += 1;
        log.warn({ err, ...where }, 'could not record a sent notification; if its job comes back it is posted once more');
      });
      await this.settle(() => lease.settle((h) => outbox.remove(h)));
      this.stats.delivered += 1;
      log.debug({ ...where, activityId, attempt: job.attempt + 1 }, 'notification posted');
    } finally {
      lease.release();
    }
  }

  /** A claim that could not be given up is taken over by the next copy once it is older than the visibility timeout. */
  private async releaseClaim(claim: SendClaim, job: DeliveryJob): Promise<void> {
    await claim.release().catch((err) => this.deps.log.warn({ err, deliveryId: job.deliveryId, channelId: job.target.channelId }, 'could not give up a send claim; its job waits for the claim to age out'));
  }

  /** Team records read at most once a second per team: a fan-out to 1,000 channels reads a handful, not 1,000. */
  private readonly teams = new Lru<string, { at: number; record: Promise<TeamRecord | undefined> }>(TEAM_CACHE_MAX);

  private async stillSubscribed(job: DeliveryJob): Promise<boolean> {
    const read = () => {
      const now = Date.now();
      const fresh = { at: now, record: this.deps.registry.team(job.target.teamId) };
      // Stale entries go before the size bound has to push out fresh ones.
      if (this.teams.size >= TEAM_CACHE_MAX) this.teams.prune((entry) => now - entry.at > TEAM_CACHE_MS);
      this.teams.set(job.target.teamId, fresh);
      fresh.record.catch(() => this.teams.delete(job.target.teamId));
      return fresh;
    };
    // The record decides, and only in its own tenant.
    const target = (team: TeamRecord | undefined) => isTarget(team, job.target.channelId) && team!.tenantId.toLowerCase() === job.target.tenantId.toLowerCase();
    const cached = this.teams.get(job.target.teamId);
    const current = !cached || Date.now() - cached.at > TEAM_CACHE_MS ? read() : cached;
    if (target(await current.record)) return true;
    // A "no" from the cache is checked afresh: the fan-out saw this channel subscribed (re-added by an install, resumed).
    return current === cached ? target(await read().record) : false;
  }

  private async failed(lease: Lease, job: DeliveryJob, err: unknown): Promise<void> {
    const { outbox, registry, pacer, log } = this.deps;
    const verdict = classifySendError(err, job.target.serviceUrl);
    // Requests botbuilder's pipeline made on its own count too (see takeOverRetries).
    const httpAttempts = err instanceof SendFailure ? Math.max(1, err.httpAttempts) : 1;
    const where = { deliveryId: job.deliveryId, teamId: job.target.teamId, channelId: job.target.channelId, channel: job.target.channelName };
    switch (verdict.kind) {
      case 'prune': {
        const pruned = await registry.prune(job.target, `Teams answered ${verdict.reason}`, verdict.code);
        this.teams.delete(job.target.teamId);
        this.stats.pruned += 1;
        log.warn({ ...where, status: verdict.status, code: verdict.code, pruned }, 'channel pruned: the bot cannot post there any more');
        await this.settle(() => lease.settle((h) => outbox.remove(h)));
        return;
      }
      case 'suspend': {
        const suspended = await registry.suspend(job.target, verdict.code, `Teams answered ${verdict.reason}`);
        this.teams.delete(job.target.teamId);
        this.stats.suspended += 1;
        log.warn({ ...where, status: verdict.status, code: verdict.code, suspended }, 'channel suspended: nothing is posted there until someone in it talks to the bot');
        await this.settle(() => lease.settle((h) => outbox.remove(h)));
        return;
      }
      case 'fail':
        await lease.settle((h) => this.deadLetter(h, `Teams refused the card: ${verdict.reason}`));
        return;
      case 'retry': {
        if (verdict.retryAfterMs !== undefined && verdict.status === 429) pacer.pause(job.target.channelId, verdict.retryAfterMs);
        const attempt = job.attempt + httpAttempts;
        let target = job.target;
        if (verdict.serviceUrl && verdict.serviceUrl !== target.serviceUrl) {
          target = { ...target, serviceUrl: verdict.serviceUrl };
          await registry.moveServiceUrl(target, verdict.serviceUrl).catch((e) => log.warn({ err: e, ...where }, 'could not record the team\'s new serviceUrl'));
          this.teams.delete(job.target.teamId);
        }
        if (attempt >= this.options.maxAttempts) {
          await lease.settle((h) => this.deadLetter({ ...h, job: { ...job, attempt, lastError: verdict.reason } }, `gave up after ${attempt} attempts; last: ${verdict.reason}`));
          return;
        }
        const delayMs = Math.max(verdict.retryAfterMs ?? 0, this.backoff(attempt));
        this.stats.retried += 1;
        log.info({ ...where, attempt, status: verdict.status, code: verdict.code, retryInMs: delayMs }, 'notification send failed; retrying later');
        await this.settle(() => lease.settle((h) => outbox.update(h, { ...job, target, attempt, lastError: verdict.reason }, Math.ceil(delayMs / 1000))));
        return;
      }
    }
  }

  /** Exponential with jitter, capped; never shorter than half the step, so retries spread out. */
  private backoff(attempt: number): number {
    const step = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + (Math.random() * step) / 2);
  }

  private async deadLetter(held: ReceivedJob, reason: string): Promise<void> {
    const { outbox, registry, log } = this.deps;
    await this.settle(() => outbox.deadLetter(held, reason));
    this.stats.deadLettered += 1;
    const job = held.job;
    if (job.kind === 'deliver') {
      await registry
        .noteDeadLetter(job.target, { deliveryId: job.deliveryId, uploadId: job.notice.uploadId, reason })
        .catch((err) => log.warn({ err }, 'could not record a dead letter in the registry'));
      log.error({ deliveryId: job.deliveryId, teamId: job.target.teamId, channelId: job.target.channelId, channel: job.target.channelName, reason }, 'notification dead-lettered');
    } else if (job.kind === 'fanout') {
      log.error({ deliveryId: job.deliveryId, reason }, 'notification fan-out dead-lettered');
    } else {
      log.error({ reason }, 'prepared change notification dead-lettered');
    }
  }

  /** A lost receipt means another worker holds the job now: nothing to do here. */
  private async settle(step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (err instanceof LostReceiptError) {
        this.deps.log.warn({ err }, 'outbox: job was taken over before this worker settled it');
        return;
      }
      throw err;
    }
  }
}

