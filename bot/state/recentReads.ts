/**
 * A few seconds' memory of a read, keyed by what it is for (change key + user). A user's desktop,
 * web and mobile clients each refresh a channel card, and reopening the chat refreshes it again:
 * those refreshes share one Graph read instead of costing one each. Concurrent callers share the
 * read in flight; a failed read is not remembered (the next refresh tries again).
 */
import { systemClock } from '../clock';
export interface RecentReadsOptions {
  ttlMs: number;
  /** Oldest entries go first beyond this. */
  maxEntries: number;
  now?: () => number;
}

interface Entry<T> {
  value: Promise<T>;
  /** Epoch ms after which the entry is stale; Infinity while the read is still in flight. */
  until: number;
}

export class RecentReads<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly now: () => number;

  constructor(private readonly options: RecentReadsOptions) {
    this.now = options.now ?? systemClock;
  }

  get(key: string, read: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const entry: Entry<T> = { value: read(), until: Number.POSITIVE_INFINITY };
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.evict();
    entry.value.then(
      () => {
        entry.until = this.now() + this.options.ttlMs;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.value;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
