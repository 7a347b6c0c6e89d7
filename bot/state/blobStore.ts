/**
 * The state store on Azure Blob Storage (Azurite locally), straight on @azure/storage-blob's
 * ContainerClient: one JSON blob per item, its lifetime in the blob's metadata.
 *
 * Blob names and bodies are those botbuilder's BlobsStorage uses (the key URI-encoded, the item
 * without its eTag as JSON), so a container written by the previous version of the bot reads the
 * same, and old and new instances can share it during a rolling upgrade.
 */
import { systemClock } from '../clock';
import { text } from 'node:stream/consumers';
import { ContainerClient, RestError } from '@azure/storage-blob';
import type { StoreItems } from 'botbuilder';
import { conditionOf, eTagConflict, withoutETag, type Listed, type PutOptions, type StateStore, type Stored } from './store';

/** Blob metadata names are case-insensitive identifiers: lower case reads back the same everywhere. */
const EXPIRES_AT = 'expiresat';

/** BlobsStorage's name for a key (botbuilder-azure-blobs sanitizeBlobKey, for keys without empty path segments). */
export const blobName = (key: string): string => {
  if (!key) throw new Error('Please provide a non-empty key');
  return encodeURIComponent(key.split('/').filter(Boolean).join('/')).slice(0, 1024);
};

const statusOf = (err: unknown): number | undefined => (err instanceof RestError ? err.statusCode : (err as { statusCode?: number })?.statusCode);

const expiryOf = (metadata: Record<string, string> | undefined): number | undefined => {
  const raw = metadata?.[EXPIRES_AT];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
};

export class BlobStore implements StateStore {
  private readonly container: ContainerClient;
  private ready?: Promise<unknown>;

  constructor(
    connectionString: string,
    containerName: string,
    readonly now: () => number = systemClock,
  ) {
    this.container = new ContainerClient(connectionString, containerName);
  }

  async get<T extends object>(key: string): Promise<Stored<T> | undefined> {
    await this.init();
    let downloaded;
    try {
      downloaded = await this.container.getBlobClient(blobName(key)).download();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
    const expiresAt = expiryOf(downloaded.metadata);
    if (!downloaded.readableStreamBody) return undefined;
    const body = await text(downloaded.readableStreamBody);
    // Expired but not yet swept: gone to readers, as in memory.
    if (expiresAt !== undefined && expiresAt <= this.now()) return undefined;
    return { value: JSON.parse(body) as T, eTag: downloaded.etag!, expiresAt };
  }

  async put<T extends object>(key: string, value: T, options: PutOptions = {}): Promise<string | undefined> {
    await this.init();
    const first = await this.upload(key, value, options);
    if (first !== 'conflict') return first;
    // "Create" met an item that has expired but is not swept yet: it is absent to readers, so clear it and create.
    if (options.ifNoneMatch === '*' && (await this.removeIfExpired(key))) {
      const second = await this.upload(key, value, options);
      return second === 'conflict' ? undefined : second;
    }
    return undefined;
  }

  async remove(key: string, options: { ifMatch?: string } = {}): Promise<boolean> {
    await this.init();
    try {
      await this.container.getBlobClient(blobName(key)).delete({ conditions: options.ifMatch ? { ifMatch: options.ifMatch } : {} });
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 412) return false;
      throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<Listed> {
    await this.init();
    for await (const blob of this.container.listBlobsFlat({ prefix: blobName(prefix), includeMetadata: true })) {
      yield {
        key: decodeURIComponent(blob.name),
        eTag: blob.properties.etag!,
        expiresAt: expiryOf(blob.metadata),
        lastModified: blob.properties.lastModified.getTime(),
      };
    }
  }

  // botbuilder's Storage, on the same blobs.

  async read(keys: string[]): Promise<StoreItems> {
    const found = await Promise.all(keys.map(async (key) => [key, await this.get<object>(key)] as const));
    const items: StoreItems = {};
    for (const [key, item] of found) if (item) items[key] = { ...item.value, eTag: item.eTag };
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    await Promise.all(
      Object.entries(changes).map(async ([key, item]) => {
        if ((await this.put(key, item as object, conditionOf((item as { eTag?: unknown }).eTag))) === undefined) throw eTagConflict(key);
      }),
    );
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.remove(key)));
  }

  private init(): Promise<unknown> {
    this.ready ??= this.container.createIfNotExists().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async upload(key: string, value: object, options: PutOptions): Promise<string | 'conflict'> {
    const body = JSON.stringify(withoutETag(value));
    try {
      const res = await this.container.getBlockBlobClient(blobName(key)).upload(body, Buffer.byteLength(body), {
        conditions: { ...(options.ifMatch !== undefined && { ifMatch: options.ifMatch }), ...(options.ifNoneMatch && { ifNoneMatch: '*' }) },
        metadata: options.expiresAt !== undefined ? { [EXPIRES_AT]: String(options.expiresAt) } : undefined,
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      return res.etag!;
    } catch (err) {
      // 412: the eTag moved; 409: the blob exists (ifNoneMatch); 404: ifMatch on a blob that is gone.
      const status = statusOf(err);
      if (status === 412 || status === 409 || (status === 404 && options.ifMatch !== undefined)) return 'conflict';
      throw err;
    }
  }

  private async removeIfExpired(key: string): Promise<boolean> {
    try {
      const props = await this.container.getBlobClient(blobName(key)).getProperties();
      const expiresAt = expiryOf(props.metadata);
      if (expiresAt === undefined || expiresAt > this.now()) return false;
      return this.remove(key, { ifMatch: props.etag });
    } catch (err) {
      if (statusOf(err) === 404) return true;
      throw err;
    }
  }
}
