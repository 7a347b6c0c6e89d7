/**
 * Faults tests ask for: the next N requests that reach the server answer 429 / 5xx, are delayed
 * and then served normally, or are served and then answered late. A `$batch` is one request here (its entries are not faulted one by one).
 */

/**
 * A 429 in Intune's shape: Retry-After in seconds (default 1), or `null` for none, as Intune often answers.
 * `delayMs` holds the request before it is served; `answerDelayMs` serves it (a PATCH lands) and holds
 * the answer — what a client that gives up waiting cannot tell from a request that never arrived.
 */
export type Fault =
  | { status: 429; retryAfterSeconds?: number | null }
  | { status: 500 | 503 | 504 }
  | { delayMs: number }
  | { answerDelayMs: number };

export class FaultQueue {
  private queue: Fault[] = [];

  next(n: number, fault: Fault): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`faults.next: n must be a non-negative integer, got ${n}`);
    for (let i = 0; i < n; i++) this.queue.push(fault);
  }

  take(): Fault | undefined {
    return this.queue.shift();
  }

  clear(): void {
    this.queue = [];
  }

  get pending(): number {
    return this.queue.length;
  }
}
