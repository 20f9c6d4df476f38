import type { TopicRow, TreeDescription } from "@uns/api-contract";
import { describe, expect, it } from "vitest";
import { ancestors, buildTopicTree, findNode, searchPaths, visibleRows } from "./build-tree";

// The shape of GET /api/v1/topics `tree` for apps/server/test/fixtures/topics/tree.yaml (abridged).
const cellLeaves = [
  {
    name: "weld-spot",
    filter: "acme/plant-a/body-shop/+/+/weld-spot",
    channel: "weldSpot",
    policy: "monitor" as const,
  },
  {
    name: "results/weld-quality",
    filter: "acme/plant-a/body-shop/+/+/results/weld-quality",
    channel: "weldQuality",
    policy: "monitor" as const,
  },
];
const tree: TreeDescription = {
  file: "tree.yaml",
  naming: { maxDepth: 12, maxLength: 1024, level: "^[a-z0-9-]+$" },
  outside: "deny",
  policy: "monitor",
  children: [
    {
      key: "acme",
      level: "enterprise",
      kind: "literal",
      policy: "monitor",
      filter: "acme",
      leaves: [],
      children: [
        {
          key: "plant-a",
          level: "site",
          kind: "literal",
          policy: "monitor",
          filter: "acme/plant-a",
          leaves: [],
          children: [
            {
              key: "body-shop",
              level: "area",
              kind: "literal",
              policy: "monitor",
              filter: "acme/plant-a/body-shop",
              leaves: [],
              children: [
                {
                  key: "{line}",
                  level: "line",
                  kind: "variable",
                  pattern: "^line-[0-9]{2}$",
                  policy: "monitor",
                  filter: "acme/plant-a/body-shop/+",
                  leaves: [
                    {
                      name: "state",
                      filter: "acme/plant-a/body-shop/+/state",
                      channel: "lineState",
                      policy: "monitor",
                    },
                  ],
                  children: [
                    {
                      key: "{cell}",
                      level: "cell",
                      kind: "variable",
                      pattern: "^cell-[0-9]{2}$",
                      policy: "monitor",
                      filter: "acme/plant-a/body-shop/+/+",
                      leaves: cellLeaves,
                      children: [],
                    },
                  ],
                },
              ],
            },
          ],
        },
        {
          key: "sandbox",
          level: "site",
          kind: "literal",
          policy: "enforce",
          filter: "acme/sandbox",
          leaves: [{ name: "data", filter: "acme/sandbox/data", channel: null, policy: "enforce" }],
          children: [],
        },
      ],
    },
  ],
};

const row = (topic: string, valid: number, invalid: number, last = "2026-11-22T10:00:00.000Z"): TopicRow => ({
  topic,
  valid,
  invalid,
  unvalidated: 0,
  ungoverned: 0,
  total: valid + invalid,
  lastMessageAt: last,
});

const rows = [
  row("acme/plant-a/body-shop/line-01/cell-01/weld-spot", 90, 10),
  row("acme/plant-a/body-shop/line-01/cell-02/weld-spot", 50, 0, "2026-11-22T11:00:00.000Z"),
  row("acme/plant-a/body-shop/line-01/cell-02/results/weld-quality", 5, 0),
  row("acme/plant-a/body-shop/line-01/state", 3, 0),
  row("spBv1.0/plant/NDATA/edge-1", 7, 0),
];

describe("buildTopicTree", () => {
  const root = buildTopicTree(tree, rows);

  it("adds up counts over each subtree", () => {
    expect(root.counts.total).toBe(165);
    expect(findNode(root, "acme/plant-a/body-shop/line-01")?.counts).toMatchObject({
      valid: 148,
      invalid: 10,
      total: 158,
    });
    expect(findNode(root, "acme/plant-a/body-shop/line-01/cell-01")?.counts.invalid).toBe(10);
  });

  it("keeps the latest message time of the subtree", () => {
    expect(findNode(root, "acme/plant-a")?.lastMessageAt).toBe("2026-11-22T11:00:00.000Z");
  });

  it("names each level from the governed tree, variable levels by their pattern", () => {
    expect(findNode(root, "acme")?.gov).toMatchObject({ type: "node", level: "enterprise" });
    expect(findNode(root, "acme/plant-a/body-shop/line-01")?.gov).toMatchObject({
      type: "node",
      level: "line",
      kind: "variable",
      pattern: "^line-[0-9]{2}$",
    });
    expect(findNode(root, "acme/plant-a/body-shop/line-01/cell-02")?.gov).toMatchObject({ level: "cell" });
  });

  it("marks leaves with their channel and policy, also leaves that span levels", () => {
    expect(findNode(root, "acme/plant-a/body-shop/line-01/cell-01/weld-spot")?.gov).toEqual({
      type: "leaf",
      leaf: "weld-spot",
      channel: "weldSpot",
      policy: "monitor",
      description: undefined,
    });
    expect(findNode(root, "acme/plant-a/body-shop/line-01/state")?.gov).toMatchObject({
      type: "leaf",
      channel: "lineState",
    });
    expect(findNode(root, "acme/plant-a/body-shop/line-01/cell-02/results")?.gov).toEqual({
      type: "leaf-part",
      leaf: "results/weld-quality",
    });
    expect(findNode(root, "acme/plant-a/body-shop/line-01/cell-02/results/weld-quality")?.gov).toMatchObject({
      type: "leaf",
      channel: "weldQuality",
    });
  });

  it("shows governed places with no traffic, and topics outside the tree unmarked", () => {
    const sandbox = findNode(root, "acme/sandbox/data");
    expect(sandbox?.counts.total).toBe(0);
    expect(sandbox?.gov).toMatchObject({ type: "leaf", policy: "enforce", channel: null });
    expect(findNode(root, "spBv1.0/plant/NDATA/edge-1")?.gov).toBeNull();
  });

  it("keeps a topic's own counts apart from its subtree's", () => {
    expect(findNode(root, "acme/plant-a/body-shop/line-01/state")?.own?.total).toBe(3);
    expect(findNode(root, "acme/plant-a/body-shop/line-01")?.own).toBeNull();
  });

  it("sorts levels naturally (line-2 before line-10)", () => {
    const r = buildTopicTree(undefined, [row("a/line-10", 1, 0), row("a/line-2", 1, 0)]);
    expect(findNode(r, "a")?.children.map((c) => c.name)).toEqual(["line-2", "line-10"]);
  });
});

describe("browsing", () => {
  const root = buildTopicTree(tree, rows);

  it("shows children of expanded nodes only", () => {
    expect(visibleRows(root, new Set(), null).map((r) => r.node.path)).toEqual(["acme", "spBv1.0"]);
    const open = visibleRows(root, new Set(["acme"]), null);
    expect(open.map((r) => r.node.path)).toEqual(["acme", "acme/plant-a", "acme/sandbox", "spBv1.0"]);
    expect(open[0]).toMatchObject({ expanded: true, hasChildren: true });
  });

  it("searches case-insensitively and opens the way to each match", () => {
    const only = searchPaths(root, "CELL-02");
    const paths = visibleRows(root, new Set(), only).map((r) => r.node.path);
    expect(paths).toEqual([
      "acme",
      "acme/plant-a",
      "acme/plant-a/body-shop",
      "acme/plant-a/body-shop/line-01",
      "acme/plant-a/body-shop/line-01/cell-02",
      "acme/plant-a/body-shop/line-01/cell-02/results",
      "acme/plant-a/body-shop/line-01/cell-02/results/weld-quality",
      "acme/plant-a/body-shop/line-01/cell-02/weld-spot",
    ]);
    expect(searchPaths(root, "  ")).toBeNull();
    expect(searchPaths(root, "nothing-like-it")?.size).toBe(0);
  });

  it("lists ancestors of a path", () => {
    expect(ancestors("a/b/c")).toEqual(["a", "a/b"]);
    expect(ancestors("a")).toEqual([]);
  });
});
