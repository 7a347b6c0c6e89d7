/**
 * The outbox worker, one per bot instance: takes jobs from the outbox, hands each to its kind's
 * handler — fan-out (fanOutJob.ts), deliver (deliverJob.ts), recover (recoverJob.ts) — and carries
 * out the disposition the handler returns in one place (apply): delete when done, back into the
 * queue after a delay (retry backoff never before Teams' Retry-After, pacer waits, copies held
 * back), or dead-letter with why — after `maxAttempts` (every HTTP request a send made counts),
 * at once for what is never retried, or when a message keeps coming back without being finished.
 *
 * Delivery is at-least-once: a job is deleted only after its card was posted, so a crash at any
 * point brings it back after the visibility timeout. Every delivery claims its "sent" marker with
 * a create-only write before posting and records the post over it (sendClaim.ts): a job that comes
 * back, or a copy from a re-expanded fan-out — on any instance, first-time or not — finds the
 * claim and does not post. Only a sender stopping between Teams' 200 and that record (its claim
 * is taken over once it is older than the visibility timeout), or the record failing (counted in
 * `markerWriteFailures`), can still repeat a card.
 */
import { systemClock, type Clock } from '../clock';
import { deliver, TeamCache } from './deliverJob';
import type { Disposition } from './disposition';
import { fanOut } from './fanOutJob';
import { DEFAULT_WORKER_OPTIONS, emptyStats, type JobContext, type WorkerDeps, type WorkerOptions, type WorkerStats } from './jobContext';
import { Lease } from './lease';
import { LostReceiptError } from './outbox';
import { recover } from './recoverJob';
import type { OutboxJob, ReceivedJob } from './types';

export { DEFAULT_WORKER_OPTIONS, RECOVERY_DELAY_SECONDS, type WorkerDeps, type WorkerOptions, type WorkerStats } from './jobContext';

export class OutboxWorker {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly inFlight = new Set<Promise<void>>();
  /** Jobs taken but left unfinished (an unexpected failure): handed back on stop(). */
  private readonly unfinished = new Map<string, ReceivedJob & { heldUntil: number }>();
  readonly stats: WorkerStats = emptyStats();
  private readonly clock: Clock;
  private readonly ctx: JobContext;
  private readonly teams: TeamCache;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly options: WorkerOptions = DEFAULT_WORKER_OPTIONS,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.ctx = { deps, options, stats: this.stats, clock: this.clock };
    this.teams = new TeamCache(deps.registry, this.clock);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops taking jobs, waits for the ones being worked on, then hands back the jobs it still
   * holds unfinished (visible again at once, so another instance takes them now rather than after
   * their visibility timeout).
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    const held = [...this.unfinished.values()].filter((h) => h.heldUntil > this.clock());
    this.unfinished.clear();
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

  private holdUnfinished(held: ReceivedJob): void {
    const now = this.clock();
    // Past its visibility timeout the job is back in the queue (or someone else's): not ours to hand back.
    for (const [id, h] of this.unfinished) if (h.heldUntil <= now) this.unfinished.delete(id);
    this.unfinished.set(held.messageId, { ...held, heldUntil: now + this.options.visibilitySeconds * 1000 });
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
        const p: Promise<void> = this.handle(held).finally(() => this.inFlight.delete(p));
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
    const lease = new Lease(held, this.deps.outbox, this.options.visibilitySeconds, this.deps.log);
    try {
      await this.apply(lease, await this.decide(lease, held));
    } catch (err) {
      this.deps.log.error({ err, messageId: held.messageId }, 'outbox: job failed unexpectedly; it returns after its visibility timeout');
      this.holdUnfinished(lease.current);
    } finally {
      lease.release();
    }
  }

  private decide(lease: Lease, held: ReceivedJob): Promise<Disposition> {
    if (held.dequeueCount > this.options.poisonDequeueCount) {
      return Promise.resolve({ kind: 'deadLetter', reason: `taken ${held.dequeueCount} times without being finished` });
    }
    const job = held.job;
    switch (job.kind) {
      case 'fanout':
        return fanOut(this.ctx, lease, job);
      case 'deliver':
        return deliver(this.ctx, this.teams, lease, job);
      case 'recover':
      case 'settle':
        return recover(this.ctx, job);
    }
  }

  /** The one place a job's message is deleted, put back or dead-lettered. */
  private async apply(lease: Lease, disposition: Disposition): Promise<void> {
    const { outbox } = this.deps;
    switch (disposition.kind) {
      case 'done':
        await this.tolerateLostReceipt(() => lease.finish((h) => outbox.remove(h)));
        break;
      case 'later':
        await this.tolerateLostReceipt(() => lease.finish((h) => outbox.update(h, disposition.job, disposition.afterSeconds)));
        break;
      case 'deadLetter':
        await lease.finish((h) => this.deadLetter({ ...h, job: disposition.job ?? h.job }, disposition.reason));
        return;
    }
    if (disposition.count) this.stats[disposition.count] += 1;
  }

  private async deadLetter(held: ReceivedJob, reason: string): Promise<void> {
    const { outbox, registry, log } = this.deps;
    await this.tolerateLostReceipt(() => outbox.deadLetter(held, reason));
    this.stats.deadLettered += 1;
    const job: OutboxJob = held.job;
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
  private async tolerateLostReceipt(step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (err instanceof LostReceiptError) {
        this.deps.log.warn({ err }, 'outbox: job was taken over before this worker finished it');
        return;
      }
      throw err;
    }
  }
}
