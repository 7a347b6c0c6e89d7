/**
 * A StateStore that passes every call through to another, counting storage round trips by
 * operation and by key prefix (what a Confirm costs, what a flow leaves behind).
 */
import type { StoreItems } from 'botbuilder';
import type { Listed, PutOptions, StateStore, Stored } from '../../bot/state/store';

export interface Call {
  op: 'get' | 'put' | 'remove' | 'list' | 'read' | 'write' | 'delete';
  keys: string[];
}

export class CountingStore implements StateStore {
  readonly calls: Call[] = [];

  constructor(readonly inner: StateStore) {}

  get now(): () => number {
    return this.inner.now;
  }

  /** Calls since `from` (an index into `calls`) touching a key that starts with `prefix`. */
  touching(prefix: string, from = 0): Call[] {
    return this.calls.slice(from).filter((c) => c.keys.some((k) => k.startsWith(prefix)));
  }

  get<T extends object>(key: string): Promise<Stored<T> | undefined> {
    this.calls.push({ op: 'get', keys: [key] });
    return this.inner.get<T>(key);
  }

  put<T extends object>(key: string, value: T, options?: PutOptions): Promise<string | undefined> {
    this.calls.push({ op: 'put', keys: [key] });
    return this.inner.put(key, value, options);
  }

  remove(key: string, options?: { ifMatch?: string }): Promise<boolean> {
    this.calls.push({ op: 'remove', keys: [key] });
    return this.inner.remove(key, options);
  }

  list(prefix: string): AsyncIterable<Listed> {
    this.calls.push({ op: 'list', keys: [prefix] });
    return this.inner.list(prefix);
  }

  read(keys: string[]): Promise<StoreItems> {
    this.calls.push({ op: 'read', keys });
    return this.inner.read(keys);
  }

  write(changes: StoreItems): Promise<void> {
    this.calls.push({ op: 'write', keys: Object.keys(changes) });
    return this.inner.write(changes);
  }

  delete(keys: string[]): Promise<void> {
    this.calls.push({ op: 'delete', keys });
    return this.inner.delete(keys);
  }
}

/**
 * Counts calls on a store already in use (the one a running bot holds), by wrapping its methods
 * in place; returns the live list of calls.
 */
export function instrument(store: StateStore): Call[] {
  const calls: Call[] = [];
  const target = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  const keysOf: Record<Call['op'], (arg: unknown) => string[]> = {
    get: (k) => [k as string],
    put: (k) => [k as string],
    remove: (k) => [k as string],
    list: (p) => [p as string],
    read: (ks) => ks as string[],
    write: (changes) => Object.keys(changes as object),
    delete: (ks) => ks as string[],
  };
  for (const op of Object.keys(keysOf) as Call['op'][]) {
    const original = target[op]!.bind(store);
    target[op] = (...args: unknown[]) => {
      calls.push({ op, keys: keysOf[op](args[0]) });
      return original(...args);
    };
  }
  return calls;
}
