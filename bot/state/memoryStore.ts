/**
 * The state store in memory (no AZURE_STORAGE_CONNECTION_STRING): the same semantics as the
 * Blob store, and bounded like it — an expired item is evicted whenever it is touched and by the
 * sweep, so memory returns to its baseline once a flow's lifetimes have passed.
 *
 * Values are kept as JSON text, as a network store would: callers never share an object with it.
 */
import { systemClock } from '../clock';
import type { StoreItems } from 'botbuilder';
import { conditionOf, eTagConflict, withoutETag, type Listed, type PutOptions, type StateStore, type Stored } from './store';

interface Entry {
  body: string;
  eTag: string;
  expiresAt?: number;
  lastModified: number;
}

export class MemoryStore implements StateStore {
  private readonly entries = new Map<string, Entry>();
  private nextETag = 1;

  constructor(readonly now: () => number = systemClock) {}

  /** Items held, expired ones not yet evicted included. */
  get size(): number {
    return this.entries.size;
  }

  async get<T extends object>(key: string): Promise<Stored<T> | undefined> {
    const entry = this.live(key);
    return entry && { value: JSON.parse(entry.body) as T, eTag: entry.eTag, expiresAt: entry.expiresAt };
  }

  async put<T extends object>(key: string, value: T, options: PutOptions = {}): Promise<string | undefined> {
    const current = this.live(key);
    if (options.ifNoneMatch === '*' && current) return undefined;
    if (options.ifMatch !== undefined && current?.eTag !== options.ifMatch) return undefined;
    const eTag = `"m${this.nextETag++}"`;
    this.entries.set(key, { body: JSON.stringify(withoutETag(value)), eTag, expiresAt: options.expiresAt, lastModified: this.now() });
    return eTag;
  }

  async remove(key: string, options: { ifMatch?: string } = {}): Promise<boolean> {
    const current = this.entries.get(key);
    if (!current || (options.ifMatch !== undefined && current.eTag !== options.ifMatch)) return false;
    this.entries.delete(key);
    return true;
  }

  async *list(prefix: string): AsyncIterable<Listed> {
    // A snapshot: the sweep deletes while it iterates.
    for (const [key, entry] of [...this.entries]) {
      if (!key.startsWith(prefix)) continue;
      yield { key, eTag: entry.eTag, expiresAt: entry.expiresAt, lastModified: entry.lastModified };
    }
  }

  // botbuilder's Storage, on the same entries.

  async read(keys: string[]): Promise<StoreItems> {
    const items: StoreItems = {};
    for (const key of keys) {
      const found = await this.get<object>(key);
      if (found) items[key] = { ...found.value, eTag: found.eTag };
    }
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      if ((await this.put(key, item as object, conditionOf((item as { eTag?: unknown }).eTag))) === undefined) throw eTagConflict(key);
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  /** The entry unless it has expired; an expired one is evicted on the spot. */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
