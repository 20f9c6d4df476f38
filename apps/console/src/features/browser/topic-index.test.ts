import type { BrowserTopic } from "@uns/api-contract";
import { describe, expect, it } from "vitest";
import { ancestorsOf, createTopicIndex } from "./topic-index";

const row = (topic: string, over: Partial<BrowserTopic> = {}): BrowserTopic => ({
  topic,
  seq: 1,
  messages: 1,
  ratePerSecond: 1,
  lastAt: null,
  retained: false,
  size: 2,
  preview: "{}",
  outcomes: { valid: 1, invalid: 0, unvalidated: 0, ungoverned: 0 },
  lastOutcome: "valid",
  channel: null,
  contract: null,
  policy: null,
  place: "leaf",
  ...over,
});

describe("the live topic tree", () => {
  it("shows expanded nodes in name order, with subtree counts and rates", () => {
    const ix = createTopicIndex();
    ix.apply([row("a/b/c"), row("a/b/d", { ratePerSecond: 2 }), row("a/a"), row("z")], true);
    expect(ix.flatten(new Set(), "").map((r) => r.node.path)).toEqual(["a", "z"]);
    const open = ix.flatten(new Set(["a", "a/b"]), "");
    expect(open.map((r) => r.node.path)).toEqual(["a", "a/a", "a/b", "a/b/c", "a/b/d", "z"]);
    const a = open[0]!.node;
    expect([a.topics, a.rate]).toEqual([3, 4]);
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
});

describe("rate now", () => {
  it("is the rate sent, until the topic has been quiet for the 5 s window", async () => {
    const { rateNow } = await import("./topic-index");
    const r = row("a", { ratePerSecond: 3, lastAt: "2026-12-01T10:00:00.000Z" });
    expect(rateNow(r, Date.parse("2026-12-01T10:00:04.000Z"))).toBe(3);
    expect(rateNow(r, Date.parse("2026-12-01T10:00:06.000Z"))).toBe(0);
  });
});
