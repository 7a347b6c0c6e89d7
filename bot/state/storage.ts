/**
 * The state store: botbuilder's Storage, so any botbuilder-compatible store fits.
 * Azure Blob Storage (Azurite locally) when configured, memory otherwise.
 *
 * Both implementations give optimistic concurrency on items that exist (a write carrying the
 * eTag it read fails if someone else wrote since); every "exactly once" in this bot is built on
 * that: single-use confirmations and de-duplicated token exchanges.
 */
import { MemoryStorage, type Storage, type StoreItem } from 'botbuilder';
import { BlobsStorage } from 'botbuilder-azure-blobs';
import type { BotConfig } from '../config';

export function createStorage(config: BotConfig['storage']): { storage: Storage; durable: boolean } {
  if (config.connectionString) {
    return { storage: new BlobsStorage(config.connectionString, config.container), durable: true };
  }
  return { storage: new MemoryStorage(), durable: false };
}

export const isETagConflict = (err: unknown): boolean => err instanceof Error && /eTag conflict/i.test(err.message);

/** Reads one item. */
export async function readItem<T extends object>(storage: Storage, key: string): Promise<(T & StoreItem) | undefined> {
  const items = await storage.read([key]);
  return items[key] as (T & StoreItem) | undefined;
}

/**
 * Writes `value` over `key` only if it is still at the eTag we read. Returns false when another
 * writer (another click, another bot instance) got there first.
 */
export async function replaceItem<T extends object>(storage: Storage, key: string, value: T, eTag: string): Promise<boolean> {
  try {
    await storage.write({ [key]: { ...value, eTag } });
    return true;
  } catch (err) {
    if (isETagConflict(err)) return false;
    throw err;
  }
}

/** Unconditional write (new items: their keys are unguessable and fresh). */
export async function writeItem<T extends object>(storage: Storage, key: string, value: T): Promise<void> {
  await storage.write({ [key]: { ...value, eTag: '*' } });
}
