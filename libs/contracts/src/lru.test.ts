import { describe, expect, it } from "vitest";
import { createLru } from "./lru.js";

describe("createLru", () => {
  it("forgets the least recently used entry, not the oldest inserted", () => {
    const evicted: string[] = [];
    const lru = createLru<string, number>(3, (k) => evicted.push(k));
    lru.set("a", 1);
    lru.set("b", 2);
    lru.set("c", 3);
    expect(lru.get("a")).toBe(1); // a is now the most recent; b the least
    lru.set("d", 4);
    expect(evicted).toEqual(["b"]);
    expect([...lru.entries()].map(([k]) => k)).toEqual(["c", "a", "d"]);
    expect(lru.size).toBe(3);
  });

  it("peek does not change the order; set of a known key refreshes it without evicting", () => {
    const lru = createLru<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    expect(lru.peek("a")).toBe(1);
    lru.set("c", 3); // a was only peeked: it goes
    expect(lru.has("a")).toBe(false);
    lru.set("b", 20); // known key: refreshed, nothing evicted
    expect([...lru.entries()]).toEqual([
      ["c", 3],
      ["b", 20],
    ]);
  });

  it("keeps undefined and null values as values, and tells a miss from them", () => {
    const lru = createLru<string, number | null | undefined>(2);
    lru.set("n", null);
    lru.set("u", undefined);
    expect(lru.get("n")).toBeNull();
    expect(lru.has("u")).toBe(true);
    lru.get("u"); // u is recent now
    lru.set("x", 1);
    expect(lru.has("n")).toBe(false);
    expect(lru.has("u")).toBe(true);
    expect(lru.get("missing")).toBeUndefined();
    expect(lru.size).toBe(2);
  });

  it("deletes and clears", () => {
    const lru = createLru<number, number>(10);
    for (let i = 0; i < 10; i++) lru.set(i, i);
    expect(lru.delete(3)).toBe(true);
    expect(lru.delete(3)).toBe(false);
    expect(lru.size).toBe(9);
    lru.clear();
    expect(lru.size).toBe(0);
  });

  it("refuses a cap that is not a positive integer", () => {
    expect(() => createLru(0)).toThrow(/positive integer, got 0/);
    expect(() => createLru(1.5)).toThrow(RangeError);
  });
});
