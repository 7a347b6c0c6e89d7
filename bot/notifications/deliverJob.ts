/**
 * The delivery job: one card for one channel. Sent only into an allowed tenant and a channel that
 * still follows changes, under a claim on its "sent" marker taken before the post (sendClaim.ts),
 * at the pacer's pace; a refusal is read with Teams' status table (sender.ts) into prune, suspend,
 * retry with backoff (retryPolicy.ts) or dead-letter.
 */
import type { Clock } from '../clock';
import { sentMarkerTtlMs } from '../state/lifetimes';
import { Lru } from '../state/lru';
import { deadLetter, done, later, type Disposition } from './disposition';
import { allowedTenant, type JobContext } from './jobContext';
import type { Lease } from './lease';
import { sentKey } from './markers';
import { isTarget, type SubscriptionRegistry, type TeamRecord } from './registry';
import { nextRetry } from './retryPolicy';
import { claimSend, type SendClaim } from './sendClaim';
import { classifySendError, SendFailure } from './sender';
import { targetKey, type ChangeNotice, type DeliveryJob } from './types';

/** How stale a team's subscriptions may be when deciding to send (an unsubscribe takes effect within this). */
const TEAM_CACHE_MS = 1000;
/** Teams whose records are cached at once; a fan-out touches far fewer within TEAM_CACHE_MS. */
const TEAM_CACHE_MAX = 1000;

/** Team records read at most once a second per team: a fan-out to 1,000 channels reads a handful, not 1,000. */
export class TeamCache {
  private readonly teams = new Lru<string, { at: number; record: Promise<TeamRecord | undefined> }>(TEAM_CACHE_MAX);

  constructor(
    private readonly registry: SubscriptionRegistry,
    private readonly clock: Clock,
  ) {}

  /** Whether the job's channel still follows changes, in the job's tenant. */
  async subscribed(job: DeliveryJob): Promise<boolean> {
    const read = () => {
      const now = this.clock();
      const fresh = { at: now, record: this.registry.team(job.target.teamId) };
      // Stale entries go before the size bound has to push out fresh ones.
      if (this.teams.size >= TEAM_CACHE_MAX) this.teams.prune((entry) => now - entry.at > TEAM_CACHE_MS);
      this.teams.set(job.target.teamId, fresh);
      fresh.record.catch(() => this.teams.delete(job.target.teamId));
      return fresh;
    };
    // The record decides, and only in its own tenant.
    const target = (team: TeamRecord | undefined) => isTarget(team, job.target.channelId) && team!.tenantId.toLowerCase() === job.target.tenantId.toLowerCase();
    const cached = this.teams.get(job.target.teamId);
    const current = !cached || this.clock() - cached.at > TEAM_CACHE_MS ? read() : cached;
    if (target(await current.record)) return true;
    // A "no" from the cache is checked afresh: the fan-out saw this channel subscribed (re-added by an install, resumed).
    return current === cached ? target(await read().record) : false;
  }

  get size(): number {
    return this.teams.size;
  }

  /** The team's record changed here (pruned, suspended, moved): the next send reads it afresh. */
  forget(teamId: string): void {
    this.teams.delete(teamId);
  }
}

export async function deliver(ctx: JobContext, teams: TeamCache, lease: Lease, job: DeliveryJob): Promise<Disposition> {
  const { storage, pacer, log } = ctx.deps;
  const where = { deliveryId: job.deliveryId, channelId: job.target.channelId };
  const noticeTenant = (job.notice as Partial<ChangeNotice>).tenantId;
  if (!allowedTenant(ctx, job.target.tenantId) || (noticeTenant !== undefined && noticeTenant.toLowerCase() !== job.target.tenantId.toLowerCase())) {
    log.warn({ deliveryId: job.deliveryId, tenantId: job.target.tenantId, teamId: job.target.teamId, channelId: job.target.channelId }, 'notification dropped: the channel\'s tenant is not allowed (or not the change\'s)');
    return done('tenantRefused');
  }
  if (!(await teams.subscribed(job))) {
    log.info(where, 'channel no longer follows changes (or is suspended); notification dropped');
    return done('unsubscribedSkipped');
  }
  // Claimed before the send, on every attempt: a copy on another instance (even a first-time
  // one) finds the claim and does not post.
  const claimed = await claimSend(storage, {
    key: sentKey(job.deliveryId, targetKey(job.target)),
    deliveryId: job.deliveryId,
    channelId: job.target.channelId,
    ttlMs: sentMarkerTtlMs(ctx.options),
    visibilityMs: ctx.options.visibilitySeconds * 1000,
    maybeSent: lease.current.dequeueCount > 1 || job.attempt > 0 || job.mayRepeat === true,
    clock: ctx.clock,
  });
  if (claimed.kind === 'sent') {
    log.debug(where, 'notification already sent; dropping the repeat');
    return done('duplicatesSkipped');
  }
  if (claimed.kind === 'busy') {
    // By the time it returns, the claim says whether the card went out (or that its sender stopped).
    log.debug(where, 'another worker is sending this notification right now; trying the copy later');
    return later(job, ctx.options.visibilitySeconds * 1000, 'heldBack');
  }
  const { claim } = claimed;
  if (claimed.tookOver) {
    ctx.stats.claimsTakenOver += 1;
    log.warn(where, 'a notification\'s sender stopped mid-send; sending it again (Teams may have taken the first)');
  }
  lease.keepFresh(claim);
  const wait = await pacer.acquire(job.target.tenantId, job.target.channelId, ctx.options.maxLocalWaitMs);
  if (wait > 0) {
    await releaseClaim(ctx, claim, job);
    return later(job, wait, 'postponed');
  }
  let activityId: string | undefined;
  try {
    ({ activityId } = await ctx.deps.send(job.target, ctx.deps.card(job.notice)));
  } catch (err) {
    // Not sent: the retried job (or a copy) claims it afresh.
    await releaseClaim(ctx, claim, job);
    return failed(ctx, teams, job, err);
  }
  // Kept as long as this job could come back (lifetimes.ts); the sweep deletes it after.
  await claim.sent(activityId).catch((err) => {
    ctx.stats.markerWriteFailures += 1;
    log.warn({ err, ...where }, 'could not record a sent notification; if its job comes back it is posted once more');
  });
  log.debug({ ...where, activityId, attempt: job.attempt + 1 }, 'notification posted');
  return done('delivered');
}

/** A claim that could not be given up is taken over by the next copy once it is older than the visibility timeout. */
async function releaseClaim(ctx: JobContext, claim: SendClaim, job: DeliveryJob): Promise<void> {
  await claim.release().catch((err) => ctx.deps.log.warn({ err, deliveryId: job.deliveryId, channelId: job.target.channelId }, 'could not give up a send claim; its job waits for the claim to age out'));
}

async function failed(ctx: JobContext, teams: TeamCache, job: DeliveryJob, err: unknown): Promise<Disposition> {
  const { registry, pacer, log } = ctx.deps;
  const verdict = classifySendError(err, job.target.serviceUrl, ctx.clock());
  const where = { deliveryId: job.deliveryId, teamId: job.target.teamId, channelId: job.target.channelId, channel: job.target.channelName };
  switch (verdict.kind) {
    case 'prune': {
      const pruned = await registry.prune(job.target, `Teams answered ${verdict.reason}`, verdict.code);
      teams.forget(job.target.teamId);
      log.warn({ ...where, status: verdict.status, code: verdict.code, pruned }, 'channel pruned: the bot cannot post there any more');
      return done('pruned');
    }
    case 'suspend': {
      const suspended = await registry.suspend(job.target, verdict.code, `Teams answered ${verdict.reason}`);
      teams.forget(job.target.teamId);
      log.warn({ ...where, status: verdict.status, code: verdict.code, suspended }, 'channel suspended: nothing is posted there until someone in it talks to the bot');
      return done('suspended');
    }
    case 'fail':
      return deadLetter(`Teams refused the card: ${verdict.reason}`);
    case 'retry': {
      if (verdict.retryAfterMs !== undefined && verdict.status === 429) pacer.pause(job.target.channelId, verdict.retryAfterMs);
      let target = job.target;
      if (verdict.serviceUrl && verdict.serviceUrl !== target.serviceUrl) {
        target = { ...target, serviceUrl: verdict.serviceUrl };
        await registry.moveServiceUrl(target, verdict.serviceUrl).catch((e) => log.warn({ err: e, ...where }, 'could not record the team\'s new serviceUrl'));
        teams.forget(job.target.teamId);
      }
      // Requests botbuilder's pipeline made on its own count too (see takeOverRetries).
      const httpAttempts = err instanceof SendFailure ? err.httpAttempts : 1;
      const step = nextRetry({ attempt: job.attempt, httpAttempts, retryAfterMs: verdict.retryAfterMs }, ctx.options);
      if (step.kind === 'giveUp') {
        return deadLetter(`gave up after ${step.attempt} attempts; last: ${verdict.reason}`, { ...job, attempt: step.attempt, lastError: verdict.reason });
      }
      log.info({ ...where, attempt: step.attempt, status: verdict.status, code: verdict.code, retryInMs: step.delayMs }, 'notification send failed; retrying later');
      return later({ ...job, target, attempt: step.attempt, lastError: verdict.reason }, step.delayMs, 'retried');
    }
  }
}
