/**
 * A Map with a size cap that forgets the least recently used entry first: the one cache helper
 * of the workspace (topic, ACL and verdict memoisation; console sessions; login limits; the
 * processors' pending predictions). A Map iterates in insertion order, so moving an entry to
 * the end on use keeps the oldest first: `get` and `set` cost a delete and an insert, no list.
 *
 * `peek` reads without making the entry recent, for callers whose order means something else
 * than use (the login limiter keeps least recently *failed* first).
 *
 * @example
 * const cache = createLru<string, boolean>(50_000);
 * cache.set("acme/line-01", true);
 * cache.get("acme/line-01"); // true, and now the most recently used
 */
export interface Lru<K, V> {
  /** The value, made the most recently used; undefined when absent. */
  get(key: K): V | undefined;
  /** The value without changing the order. */
  peek(key: K): V | undefined;
  /** Store as the most recently used; when over the cap, the least recently used goes. */
  set(key: K, value: V): void;
  has(key: K): boolean;
  delete(key: K): boolean;
  clear(): void;
  /** Least recently used first. */
  entries(): IterableIterator<[K, V]>;
  readonly size: number;
  readonly maxEntries: number;
}

export function createLru<K, V>(maxEntries: number, onEvict?: (key: K, value: V) => void): Lru<K, V> {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }
  const map = new Map<K, V>();
  return {
    get(key) {
      const value = map.get(key);
      if (value === undefined && !map.has(key)) return undefined;
      map.delete(key);
      map.set(key, value as V);
      return value;
    },
    peek: (key) => map.get(key),
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      while (map.size > maxEntries) {
        const [oldKey, oldValue] = map.entries().next().value as [K, V];
        map.delete(oldKey);
        onEvict?.(oldKey, oldValue);
      }
    },
    has: (key) => map.has(key),
    delete: (key) => map.delete(key),
    clear: () => map.clear(),
    entries: () => map.entries(),
    get size() {
      return map.size;
    },
    maxEntries,
  };
}
