/**
 * In-flight work, so a SIGTERM can let it finish: HTTP requests (turns, /api/notify) and the
 * work a turn leaves running after it answered (a Confirm that outlived the invoke budget and
 * replaces its card later, a token exchange finished in the background).
 *
 * A rolling restart must lose nothing: a Confirm that reached Graph is recorded and announced
 * before the process exits, as long as it fits in the shutdown deadline.
 */
import { systemClock } from './clock';
import type { Server as HttpServer } from 'node:http';

export interface DrainResult {
  /** True when everything tracked settled before the deadline. */
  clean: boolean;
  /** What was still running at the deadline (labels, oldest first). */
  pending: string[];
}

interface Entry {
  what: string;
  since: number;
}

export class Drain {
  private readonly inFlight = new Map<Promise<unknown>, Entry>();
  private waiters: Array<() => void> = [];

  constructor(private readonly now: () => number = systemClock) {}

  /** Tracks `work` until it settles; returns it unchanged (a rejection still reaches the caller). */
  track<T>(work: Promise<T>, what: string): Promise<T> {
    const entry: Entry = { what, since: this.now() };
    const settled: Promise<unknown> = work.then(
      () => this.release(settled),
      () => this.release(settled),
    );
    this.inFlight.set(settled, entry);
    return work;
  }

  get size(): number {
    return this.inFlight.size;
  }

  /** Labels of what is in flight, oldest first, with its age. */
  pending(): string[] {
    const now = this.now();
    return [...this.inFlight.values()].sort((a, b) => a.since - b.since).map((e) => `${e.what} (${now - e.since} ms)`);
  }

  /**
   * Resolves once nothing is in flight — including work tracked while waiting (a late card
   * update starts after its request ended) — or when `deadlineMs` has passed.
   */
  settled(deadlineMs: number): Promise<DrainResult> {
    if (this.inFlight.size === 0) return Promise.resolve({ clean: true, pending: [] });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve({ clean: false, pending: this.pending() });
      }, deadlineMs);
      const done = () => {
        clearTimeout(timer);
        resolve({ clean: true, pending: [] });
      };
      this.waiters.push(done);
    });
  }

  private release(settled: Promise<unknown>): void {
    this.inFlight.delete(settled);
    if (this.inFlight.size > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Tracks every request the HTTP server receives until its response is finished or the
 * connection dropped. Listening on the Node server (not on a route) covers every route and
 * every framework in front of it.
 */
export function trackRequests(server: HttpServer, drain: Drain): void {
  server.on('request', (req, res) => {
    void drain.track(
      new Promise<void>((resolve) => {
        res.once('close', resolve);
      }),
      `${req.method ?? 'HTTP'} ${(req.url ?? '').split('?')[0]}`,
    );
  });
}
