/**
 * The state store and the helpers every reader and writer goes through.
 * Azure Blob Storage (Azurite locally) when configured, memory otherwise — both our StateStore
 * (store.ts), which is also a botbuilder Storage.
 *
 * Both give optimistic concurrency (a write carrying the eTag it read fails if someone else wrote
 * since); every "exactly once" in this bot is built on that: single-use confirmations and
 * de-duplicated token exchanges. The helpers also accept any botbuilder Storage; lifetimes and
 * returned eTags then need our StateStore.
 */
import { systemClock } from '../clock';
import type { Storage, StoreItem } from 'botbuilder';
import type { BotConfig } from '../config';
import { BlobStore } from './blobStore';
import { MemoryStore } from './memoryStore';
import { isStateStore, type StateStore } from './store';

export function createStorage(config: BotConfig['storage'], now: () => number = systemClock): { storage: StateStore; durable: boolean } {
  if (config.connectionString) {
    return { storage: new BlobStore(config.connectionString, config.container, now), durable: true };
  }
  return { storage: new MemoryStore(now), durable: false };
}

export const isETagConflict = (err: unknown): boolean => err instanceof Error && /eTag conflict/i.test(err.message);

/** When an item stops being needed: an instant, or a span from the store's clock. */
export type Lifetime = { expiresAt: number } | { ttlMs: number };

function expiresAtOf(storage: StateStore, lifetime: Lifetime | undefined): number | undefined {
  if (!lifetime) return undefined;
  return 'expiresAt' in lifetime ? lifetime.expiresAt : storage.now() + lifetime.ttlMs;
}

/** Reads one item. */
export async function readItem<T extends object>(storage: Storage, key: string): Promise<(T & StoreItem) | undefined> {
  if (isStateStore(storage)) {
    const found = await storage.get<T>(key);
    return found && ({ ...found.value, eTag: found.eTag } as T & StoreItem);
  }
  const items = await storage.read([key]);
  return items[key] as (T & StoreItem) | undefined;
}

/**
 * Writes `value` over `key` only if it is still at the eTag we read, and returns the new eTag —
 * undefined when another writer (another click, another bot instance) got there first.
 */
export async function swapItem<T extends object>(storage: StateStore, key: string, value: T, eTag: string, lifetime?: Lifetime): Promise<string | undefined> {
  return storage.put(key, value, { ifMatch: eTag, expiresAt: expiresAtOf(storage, lifetime) });
}

/** As swapItem, for any botbuilder Storage: true if the write landed. */
export async function replaceItem<T extends object>(storage: Storage, key: string, value: T, eTag: string, lifetime?: Lifetime): Promise<boolean> {
  if (isStateStore(storage)) return (await swapItem(storage, key, value, eTag, lifetime)) !== undefined;
  try {
    await storage.write({ [key]: { ...value, eTag } });
    return true;
  } catch (err) {
    if (isETagConflict(err)) return false;
    throw err;
  }
}

/** Unconditional write (new items: their keys are unguessable and fresh). */
export async function writeItem<T extends object>(storage: Storage, key: string, value: T, lifetime?: Lifetime): Promise<void> {
  if (isStateStore(storage)) {
    await storage.put(key, value, { expiresAt: expiresAtOf(storage, lifetime) });
    return;
  }
  await storage.write({ [key]: { ...value, eTag: '*' } });
}
