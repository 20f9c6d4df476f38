import { describe, expect, it } from "vitest";
import { ancestorsOf, createTopicIndex, rowsOf, type TreeRow } from "./topic-index";

const row = (topic: string, over: Partial<TreeRow> = {}): TreeRow => ({
  topic,
  rate: 1,
  lastAt: null,
  retained: false,
  preview: "{}",
  invalid: 0,
  ...over,
});

describe("the live topic tree", () => {
  it("shows expanded nodes in name order, with subtree counts and rates", () => {
    const ix = createTopicIndex();
    ix.apply([row("a/b/c"), row("a/b/d", { rate: 2, invalid: 3 }), row("a/a"), row("z")], true);
    expect(ix.flatten(new Set(), "").map((r) => r.node.path)).toEqual(["a", "z"]);
    const open = ix.flatten(new Set(["a", "a/b"]), "");
    expect(open.map((r) => r.node.path)).toEqual(["a", "a/a", "a/b", "a/b/c", "a/b/d", "z"]);
    const a = open[0]!.node;
    expect([a.topics, a.rate, a.invalid]).toEqual([3, 4, 3]);
  });
  it("applies deltas in place and replaces all on a full reply", () => {
    const ix = createTopicIndex();
    ix.apply([row("a/b"), row("a/c")], true);
    ix.apply([row("a/b", { preview: "new" }), row("a/d")], false);
    expect(ix.size).toBe(3);
    expect(ix.flatten(new Set(["a"]), "").find((r) => r.node.path === "a/b")?.node.row?.preview).toBe("new");
    ix.apply([row("x")], true);
    expect(ix.flatten(new Set(), "").map((r) => r.node.path)).toEqual(["x"]);
  });
  it("filters to matching topics with their ancestors open", () => {
    const ix = createTopicIndex();
    ix.apply([row("acme/l1/cell-01/weld"), row("acme/l1/cell-02/weld"), row("acme/l2/state")], true);
    expect(ix.flatten(new Set(), "CELL-02").map((r) => r.node.path)).toEqual([
      "acme",
      "acme/l1",
      "acme/l1/cell-02",
      "acme/l1/cell-02/weld",
    ]);
    expect(ancestorsOf("a/b/c")).toEqual(["a", "a/b"]);
  });
  it("filters again after a topic is added, and shows a topic that is also a parent", () => {
    const ix = createTopicIndex();
    ix.apply([row("a/x"), row("a/x/y"), row("b/z")], true);
    const paths = (f: string) => ix.flatten(new Set(), f).map((r) => r.node.path);
    expect(paths("x")).toEqual(["a", "a/x", "a/x/y"]);
    expect(paths("x/y")).toEqual(["a", "a/x", "a/x/y"]);
    // Same filter, new matching topic: the kept set is made anew.
    ix.apply([row("b/x")], false);
    expect(paths("x")).toEqual(["a", "a/x", "a/x/y", "b", "b/x"]);
    expect(paths("nothing")).toEqual([]);
    expect(paths("")).toEqual(["a", "b"]);
  });
  it("builds the same tree whatever the order of the topics, sharing levels with the one before", () => {
    const topics = ["a/b/c", "a/b", "a/x/c", "a/b/d", "a/bb/c", "a", "b/b/c", "a/b/c/d"];
    const open = new Set(["a", "a/b", "a/b/c", "a/x", "a/bb", "b", "b/b"]);
    const paths = (order: string[]) => {
      const ix = createTopicIndex();
      ix.apply(
        order.map((t) => row(t)),
        true,
      );
      expect(ix.size).toBe(topics.length);
      return ix.flatten(open, "").map((r) => `${r.node.path}${r.node.row ? "*" : ""}`);
    };
    const want = paths([...topics].sort());
    expect(want).toEqual([
      "a*",
      "a/b*",
      "a/b/c*",
      "a/b/c/d*",
      "a/b/d*",
      "a/bb",
      "a/bb/c*",
      "a/x",
      "a/x/c*",
      "b",
      "b/b",
      "b/b/c*",
    ]);
    expect(paths(topics)).toEqual(want);
    expect(paths([...topics].reverse())).toEqual(want);
  });
  it("says when a reply changes nothing on screen: no row, no rate falling to 0", () => {
    const ix = createTopicIndex();
    expect(
      ix.apply([row("a", { rate: 2, lastAt: 1_000 }), row("b", { rate: 0, lastAt: 500 })], true, 1_000),
    ).toBe(true);
    // Within the rate window a's rate is still shown: time passing matters.
    expect(ix.apply([], false, 5_500)).toBe(true);
    // Past it (a quiet since 5 s), and once more: nothing changes any more.
    expect(ix.apply([], false, 6_500)).toBe(true);
    expect(ix.apply([], false, 7_000)).toBe(false);
    expect(ix.apply([row("b", { preview: "x" })], false, 7_500)).toBe(true);
    expect(ix.row("b")?.preview).toBe("x");
    expect(ix.row("nope")).toBeUndefined();
  });
  it("reads the columns of GET /browser/tree into rows", () => {
    const rows = rowsOf({
      seq: 3,
      at: 10_000,
      full: true,
      total: 2,
      evicted: 0,
      topics: ["a/b", "a/c"],
      lastAt: [9_000, 0],
      rate: [2.5, 0],
      retained: [1, 0],
      preview: ['{"v":1}', ""],
      invalid: [0, 4],
    });
    expect(rows).toEqual([
      { topic: "a/b", lastAt: 9_000, rate: 2.5, retained: true, preview: '{"v":1}', invalid: 0 },
      { topic: "a/c", lastAt: null, rate: 0, retained: false, preview: "", invalid: 4 },
    ]);
  });
});

describe("rate now", () => {
  it("is the rate sent, until the topic has been quiet for the 5 s window", async () => {
    const { rateNow } = await import("./topic-index");
    const r = row("a", { rate: 3, lastAt: Date.parse("2026-12-01T10:00:00.000Z") });
    expect(rateNow(r, Date.parse("2026-12-01T10:00:04.000Z"))).toBe(3);
    expect(rateNow(r, Date.parse("2026-12-01T10:00:06.000Z"))).toBe(0);
  });
});
