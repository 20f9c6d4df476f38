import type { TreeDescription, TreeNodeDescription } from "@uns/api-contract";
import { describe, expect, it } from "vitest";
import { defaultDepth, levelNames } from "./levels";

const node = (key: string, level: string, children: TreeNodeDescription[] = []): TreeNodeDescription => ({
  key,
  level,
  kind: key.startsWith("{") ? "variable" : "literal",
  policy: "monitor",
  filter: key,
  children,
  leaves: [],
});

describe("levelNames", () => {
  it("names topic levels by depth from the governed tree", () => {
    const tree: TreeDescription = {
      file: "tree.yaml",
      naming: { maxDepth: 12, maxLength: 1024, level: "^[a-z0-9-]+$" },
      outside: "deny",
      policy: "monitor",
      children: [
        node("acme", "enterprise", [
          node("plant-a", "site", [
            node("body-shop", "area", [node("{line}", "line", [node("{cell}", "cell")])]),
          ]),
          node("sandbox", "site"),
        ]),
      ],
    };
    expect(levelNames(tree)).toEqual(["enterprise", "site", "area", "line", "cell"]);
    expect(defaultDepth(levelNames(tree))).toBe(2);
  });

  it("has a name for one level at least", () => {
    expect(levelNames(undefined)).toEqual(["level 1"]);
    expect(defaultDepth(["level 1"])).toBe(1);
  });
});
