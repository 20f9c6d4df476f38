import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { checkConsistency } from "./consistency.js";
import type { ContractSet } from "./contract-set.js";
import { loadContracts } from "./load-contracts.js";
import { loadTopicTree, parseTopicTree } from "./topic-tree.js";

const fixtures = fileURLToPath(new URL("../test-fixtures", import.meta.url));
let set: ContractSet;
beforeAll(async () => {
  set = (await loadContracts(join(fixtures, "asyncapi/good"))).set;
}, 60_000);

describe("checkConsistency", () => {
  it("finds the unused channel and the invalid example in the fixtures, and nothing else", () => {
    const findings = checkConsistency(loadTopicTree(join(fixtures, "tree")), set);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: "warning",
        code: "UNS_ERR_CHECK_UNUSED_CHANNEL",
        message: expect.stringContaining('"paintStatus"'),
        where: expect.stringMatching(/plant-v3\.yaml \$\.channels\.paintStatus$/),
      }),
      expect.objectContaining({
        severity: "error",
        code: "UNS_ERR_CHECK_EXAMPLE_INVALID",
        message: expect.stringContaining("/current must be >= 0"),
        where: expect.stringMatching(/\$\.channels\.weldSpot\.messages\.spot\.examples\[1\]$/),
      }),
    ]);
  });

  it("reports a leaf naming an unknown channel and a leaf the channel address does not match", () => {
    const tree = parseTopicTree(
      `tree:
  acme:
    level: enterprise
    children:
      "{site}":
        level: site
        leaves:
          ghost: { channel: noSuchChannel }
          weld-spot: { channel: weldSpot }
`,
      "topics/tree.yaml",
    );
    const findings = checkConsistency(tree, set);
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          severity: "error",
          code: "UNS_ERR_CHECK_UNKNOWN_CHANNEL",
          where: "topics/tree.yaml leaf acme/+/ghost",
          message: expect.stringContaining('"noSuchChannel"'),
        }),
        expect.objectContaining({
          severity: "error",
          code: "UNS_ERR_CHECK_ADDRESS_MISMATCH",
          where: "topics/tree.yaml leaf acme/+/weld-spot",
          message: expect.stringContaining("acme/neckarsulm/body-shop/{line}/{cell}/weld-spot"),
        }),
      ]),
    );
  });

  it("counts a channel as used when a leaf without channel matches its address", () => {
    const tree = parseTopicTree(
      "tree: { acme: { level: e, children: { heilbronn: { level: s, children: { paint: { level: a, leaves: { status: {} } } } } } } }",
      "t.yaml",
    );
    const unused = checkConsistency(tree, set)
      .filter((f) => f.code === "UNS_ERR_CHECK_UNUSED_CHANNEL")
      .map((f) => f.message);
    expect(unused.some((m) => m.includes('"paintStatus"'))).toBe(false);
    expect(unused.some((m) => m.includes('"weldSpot"'))).toBe(true);
  });
});
