/**
 * Holds a job for as long as it is being worked on: the visibility timeout is renewed at half
 * its length, so a slow send (botbuilder's HTTP pipeline itself retries 429/5xx, honouring
 * Retry-After, up to 3 times) or a long fan-out never lets the job reappear for another worker
 * mid-work. Every write to the message goes through the lease, one after another, so each uses
 * the receipt the one before it left.
 */
import type { Logger } from '../log';
import type { Outbox } from './outbox';
import type { SendClaim } from './sendClaim';
import type { OutboxJob, ReceivedJob } from './types';

export class Lease {
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

  /** The job with its latest receipt. */
  get current(): ReceivedJob {
    return this.held;
  }

  /** Refreshes this claim with the job's visibility, until the lease is finished. */
  keepFresh(claim: SendClaim): void {
    this.claim = claim;
  }

  /** Saves progress (a fan-out's cursor) and keeps the job hidden for another visibility timeout. */
  update(job: OutboxJob): Promise<ReceivedJob> {
    const next = this.chain.then(async () => {
      this.held = await this.outbox.update(this.held, job, this.visibilitySeconds);
      return this.held;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Stops renewing and finishes the job with its latest receipt (delete, put back, dead-letter). */
  async finish<T>(step: (held: ReceivedJob) => Promise<T>): Promise<T> {
    clearInterval(this.timer);
    this.claim = undefined;
    await this.chain;
    return step(this.held);
  }

  release(): void {
    clearInterval(this.timer);
  }
}
