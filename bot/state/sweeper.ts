/**
 * Deletes what the bot no longer needs: every so often (with jitter, so instances sharing a store
 * do not sweep in step) it lists each swept prefix and deletes the items whose lifetime has
 * passed — conditional on the eTag it listed, so an item rewritten meanwhile (with a new
 * lifetime) survives. Several instances sweeping at once only repeat each other's deletes.
 */
import type { Logger } from '../log';
import type { SweepRule } from './lifetimes';
import type { Listed, StateStore } from './store';

export interface SweeperOptions {
  /** Mean pause between sweeps. */
  intervalMs: number;
  /** Each pause is intervalMs ± this fraction of it. */
  jitter: number;
}

export const DEFAULT_SWEEPER_OPTIONS: SweeperOptions = { intervalMs: 10 * 60 * 1000, jitter: 0.2 };

export interface SweepReport {
  deleted: number;
  kept: number;
}

/** Pure: has this listed item passed its lifetime at `now`? */
export function isDue(item: Listed, rule: SweepRule, now: number): boolean {
  const until = item.expiresAt ?? item.lastModified + rule.fallbackMs;
  return until <= now;
}

export class Sweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepReport>;
  private started = false;

  constructor(
    private readonly store: StateStore,
    private readonly rules: SweepRule[],
    private readonly log: Logger,
    private readonly options: SweeperOptions = DEFAULT_SWEEPER_OPTIONS,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass over every rule; concurrent callers share the pass in progress. */
  sweep(): Promise<SweepReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    if (!this.started) return;
    const { intervalMs, jitter } = this.options;
    const delay = Math.max(0, Math.round(intervalMs * (1 + jitter * (2 * this.random() - 1))));
    this.timer = setTimeout(() => {
      void this.sweep()
        .catch((err) => this.log.warn({ err }, 'state sweep failed; trying again at the next one'))
        .finally(() => this.schedule());
    }, delay);
    // A pending sweep never keeps the process alive.
    this.timer.unref();
  }

  private async pass(): Promise<SweepReport> {
    const report: SweepReport = { deleted: 0, kept: 0 };
    for (const rule of this.rules) {
      for await (const item of this.store.list(rule.prefix)) {
        if (isDue(item, rule, this.store.now())) {
          if (await this.store.remove(item.key, { ifMatch: item.eTag })) report.deleted += 1;
        } else {
          report.kept += 1;
        }
      }
    }
    if (report.deleted > 0) this.log.debug(report, 'state sweep: expired items deleted');
    return report;
  }
}
