/**
 * A Map with a size cap for hot-path memoisation. When full, the oldest inserted entry goes
 * (first-in first-out): cheaper than LRU bookkeeping on every hit, and the working set of topics
 * in a plant is far below the cap, so evictions are rare and only cost a recomputation.
 */
export interface BoundedCache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  clear(): void;
  readonly size: number;
}

export function createBoundedCache<K, V>(maxEntries: number): BoundedCache<K, V> {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }
  const map = new Map<K, V>();
  return {
    get: (key) => map.get(key),
    set(key, value) {
      if (map.size >= maxEntries && !map.has(key)) {
        const oldest = map.keys().next();
        if (!oldest.done) map.delete(oldest.value);
      }
      map.set(key, value);
    },
    clear: () => map.clear(),
    get size() {
      return map.size;
    },
  };
}
