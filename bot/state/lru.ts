/**
 * A Map with a size bound: at most `maxEntries`, the least recently used going first. Used for
 * per-user and per-team caches, whose key space is whoever talks to the bot.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  /** Marks the entry as used (it goes to the back of the eviction line). */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    this.map.delete(key);
    this.map.set(key, value);
    // Map iterates in insertion order: the first key is the least recently used.
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as K);
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Drops every entry `stale` says is of no further use; returns how many went. */
  prune(stale: (value: V, key: K) => boolean): number {
    let dropped = 0;
    // Deleting the entry being visited is safe while iterating a Map.
    for (const [key, value] of this.map) {
      if (stale(value, key)) {
        this.map.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
