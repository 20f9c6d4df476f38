import { describe, expect, it } from "vitest";
import { jsonDiff, numericPaths, pickNumber } from "./json-diff";

describe("diff between consecutive messages", () => {
  it("names changed, added and removed fields by JSON pointer", () => {
    const d = jsonDiff(
      { spotId: "s-1", currentKA: 9.5, curve: [1, 2], a: { b: 1 }, gone: true },
      { spotId: "s-2", currentKA: 9.5, curve: [1, 3, 4], a: { b: 1, "x/y": 2 } },
    );
    expect(d.entries).toEqual([
      { path: "/gone", change: "removed", before: true },
      { path: "/spotId", change: "changed", before: "s-1", after: "s-2" },
      { path: "/curve/1", change: "changed", before: 2, after: 3 },
      { path: "/curve/2", change: "added", after: 4 },
      { path: "/a/x~1y", change: "added", after: 2 },
    ]);
    expect(d.capped).toBe(false);
  });
  it("is empty for equal values and a whole-value change for different types", () => {
    expect(jsonDiff({ a: [1] }, { a: [1] }).entries).toEqual([]);
    expect(jsonDiff("x", { a: 1 }).entries).toEqual([
      { path: "/", change: "changed", before: "x", after: { a: 1 } },
    ]);
  });
  it("caps a long array's changes", () => {
    const a = Array.from({ length: 1000 }, (_, i) => i);
    const d = jsonDiff(
      a,
      a.map((x) => x + 1),
    );
    expect(d.entries).toHaveLength(200);
    expect(d.capped).toBe(true);
  });
});

describe("a numeric field by path", () => {
  const v = { currentKA: 9.5, curve: [1, 2, 3], m: { "a/b": "7" }, s: "x", ok: true };
  it("reads dotted paths, brackets and JSON pointers", () => {
    expect(pickNumber(v, "currentKA")).toBe(9.5);
    expect(pickNumber(v, "curve.2")).toBe(3);
    expect(pickNumber(v, "curve[1]")).toBe(2);
    expect(pickNumber(v, "/m/a~1b")).toBe(7);
    expect(pickNumber(v, "ok")).toBe(1);
  });
  it("is null for what is not a number or not there", () => {
    expect(pickNumber(v, "s")).toBeNull();
    expect(pickNumber(v, "nope.deeper")).toBeNull();
    expect(pickNumber(v, "")).toBeNull();
  });
  it("offers the numeric fields", () => {
    expect(numericPaths(v)).toEqual(["currentKA"]);
    expect(numericPaths({ a: { b: 1, c: "x" }, d: 2 })).toEqual(["a.b", "d"]);
  });
});
