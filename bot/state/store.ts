/**
 * The bot's own state store: botbuilder's Storage (read/write/delete with eTags, so anything
 * written for botbuilder keeps working) plus what botbuilder's interface cannot say —
 *
 * - a conditional write that returns the new eTag (`ifMatch`, or `ifNoneMatch: '*'` to create),
 *   so a compare-and-swap needs no re-read for the next one;
 * - a lifetime per item (`expiresAt`, kept beside the body — blob metadata — so a sweep can list
 *   without reading bodies); an expired item reads as absent and is deleted by the sweep;
 * - listing and deleting by key prefix.
 *
 * Two implementations with the same semantics: Azure Blob Storage (blobStore.ts) and memory
 * (memoryStore.ts).
 */
import type { Storage } from 'botbuilder';

export interface PutOptions {
  /** Write only if the item is still at this eTag (an absent item never matches). */
  ifMatch?: string;
  /** `'*'`: write only if there is no (live) item under the key. */
  ifNoneMatch?: '*';
  /** Epoch ms from which the item is gone: absent to readers, deleted by the sweep. Unset = kept. */
  expiresAt?: number;
}

export interface Stored<T> {
  value: T;
  eTag: string;
  expiresAt?: number;
}

/** What a listing says about an item without reading its body. */
export interface Listed {
  key: string;
  eTag: string;
  expiresAt?: number;
  /** Epoch ms of the last write: lets a sweep age out items written before lifetimes existed. */
  lastModified: number;
}

export interface StateStore extends Storage {
  /** The clock expiry is judged on (lifetimes given as "from now" use it too). */
  readonly now: () => number;
  get<T extends object>(key: string): Promise<Stored<T> | undefined>;
  /** The new eTag, or undefined when the condition failed (someone else wrote first). */
  put<T extends object>(key: string, value: T, options?: PutOptions): Promise<string | undefined>;
  /** False when the item was absent, or (with `ifMatch`) was written since. */
  remove(key: string, options?: { ifMatch?: string }): Promise<boolean>;
  /** Every item whose key starts with `prefix`, expired ones included (the sweep's input). */
  list(prefix: string): AsyncIterable<Listed>;
}

export const isStateStore = (storage: Storage): storage is StateStore =>
  typeof (storage as Partial<StateStore>).put === 'function' && typeof (storage as Partial<StateStore>).list === 'function';

/** botbuilder's own wording for a lost eTag race, which its callers (and ours) match on. */
export const eTagConflict = (key: string): Error => new Error(`Storage: error writing "${key}" due to eTag conflict.`);

/** botbuilder's write semantics: `'*'` or no eTag = unconditional; any other eTag = ifMatch. */
export function conditionOf(eTag: unknown): PutOptions {
  return typeof eTag === 'string' && eTag !== '' && eTag !== '*' ? { ifMatch: eTag } : {};
}

export function withoutETag<T extends object>(item: T): Omit<T, 'eTag'> {
  const { eTag: _eTag, ...rest } = item as T & { eTag?: unknown };
  return rest;
}
