/**
 * A word looked up in a fixed table. Only the table's own keys count: a plain `record[word]` would find what every
 * object inherits, so `constructor` typed as a status or a command would come back as the `Object` function.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
