import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "./diagnostics.js";
import { UnsError } from "./errors.js";
import { loadTopicTree, parseTopicTree, type TopicClass } from "./topic-tree.js";

const fixtures = fileURLToPath(new URL("../test-fixtures/tree", import.meta.url));
const tree = loadTopicTree(fixtures);
const cellBase = "acme/neckarsulm/body-shop/line-01/cell-02";

function refused(result: TopicClass): { code: string; reason: string } {
  if (result.kind !== "refused") throw new Error(`expected refused, got ${JSON.stringify(result)}`);
  return result;
}

function diagnosticsOf(fn: () => unknown): Diagnostic[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UnsError);
    expect((e as UnsError).code).toBe("UNS_ERR_TREE_INVALID");
    return ((e as UnsError).details as { diagnostics: Diagnostic[] }).diagnostics;
  }
  throw new Error("expected the tree to be refused");
}

describe("loadTopicTree / classify: leaves", () => {
  it("classifies a leaf with its channel, policy and level values", () => {
    expect(tree.classify(`${cellBase}/weld-spot`)).toEqual({
      kind: "leaf",
      leaf: "weld-spot",
      channel: "weldSpot",
      policy: "enforce",
      levels: { enterprise: "acme", site: "neckarsulm", area: "body-shop", line: "line-01", cell: "cell-02" },
    });
  });

  it("applies leaf policy over the inherited one, and inherits when the leaf sets none", () => {
    expect(tree.classify(`${cellBase}/image-event`)).toMatchObject({ kind: "leaf", policy: "monitor" });
    expect(tree.classify(`${cellBase}/energy`)).toMatchObject({ kind: "leaf", policy: "enforce" }); // from site
    expect(tree.classify("acme/neckarsulm/press-shop/press-1/slot/3/stroke")).toMatchObject({
      kind: "leaf",
      policy: "monitor", // press-shop overrides the site
      levels: { press: "press-1", kind: "slot", slot: "3" },
    });
  });

  it("matches leaves that span levels and leaves without a channel", () => {
    expect(tree.classify(`${cellBase}/results/weld-quality`)).toMatchObject({
      leaf: "results/weld-quality",
      channel: "weldQuality",
    });
    expect(tree.classify("acme/neckarsulm/body-shop/line-07/recipe")).toMatchObject({
      kind: "leaf",
      leaf: "recipe",
      channel: null,
    });
  });

  it("returns the same frozen object from the cache", () => {
    const a = tree.classify(`${cellBase}/weld-spot`);
    expect(tree.classify(`${cellBase}/weld-spot`)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it("keeps a bounded cache", () => {
    const small = parseTopicTree("tree: { a: { level: x, leaves: { b: {} } } }\noutside: allow", "t.yaml", {
      cacheEntries: 2,
    });
    for (let i = 0; i < 10; i++) small.classify(`a/n${i}`);
    expect(small.classify("a/b")).toMatchObject({ kind: "leaf" });
  });
});

describe("classify: reserved namespaces", () => {
  it("reserves $ topics and Sparkplug B", () => {
    expect(tree.classify("$SYS/broker/uptime")).toEqual({ kind: "reserved", namespace: "$" });
    expect(tree.classify("$uns/violations/x")).toEqual({ kind: "reserved", namespace: "$" });
    expect(tree.classify("spBv1.0/acme/NDATA/edge1")).toEqual({ kind: "reserved", namespace: "sparkplug" });
    // Not the namespace: only the exact first level counts.
    expect(tree.classify("spbv1.0/acme").kind).toBe("refused");
  });
});

describe("classify: refusals", () => {
  it("refuses an empty level", () => {
    const r = refused(tree.classify("acme//neckarsulm"));
    expect(r.code).toBe("UNS_ERR_TOPIC_EMPTY_LEVEL");
    expect(r.reason).toContain("level 2");
    expect(tree.classify("/acme").kind).toBe("refused");
    expect(refused(tree.classify("acme/")).code).toBe("UNS_ERR_TOPIC_EMPTY_LEVEL");
  });

  it("refuses uppercase and says what would be accepted", () => {
    const r = refused(tree.classify("acme/Neckarsulm/body-shop"));
    expect(r.code).toBe("UNS_ERR_TOPIC_UPPERCASE");
    expect(r.reason).toContain('"Neckarsulm"');
    expect(r.reason).toContain('"neckarsulm"');
  });

  it("refuses too deep and too long topics", () => {
    const deep = refused(tree.classify(Array.from({ length: 13 }, () => "a").join("/")));
    expect(deep.code).toBe("UNS_ERR_TOPIC_TOO_DEEP");
    expect(deep.reason).toContain("13 levels");
    expect(deep.reason).toContain("12");
    const long = refused(tree.classify(`acme/${"x".repeat(300)}`));
    expect(long.code).toBe("UNS_ERR_TOPIC_TOO_LONG");
    expect(long.reason).toContain("305 bytes");
    // bytes, not characters
    const utf8 = parseTopicTree("naming: { maxLength: 4, level: '^.+$' }\ntree: {}", "t.yaml");
    expect(refused(utf8.classify("ää/a")).code).toBe("UNS_ERR_TOPIC_TOO_LONG");
  });

  it("refuses a level that breaks the naming pattern", () => {
    const r = refused(tree.classify("acme/neck arsulm"));
    expect(r.code).toBe("UNS_ERR_TOPIC_LEVEL_PATTERN");
    expect(r.reason).toContain('"neck arsulm"');
    expect(r.reason).toContain("^[a-z0-9][a-z0-9_.-]*$");
  });

  it("refuses wildcards in a topic name", () => {
    expect(refused(tree.classify("acme/+/x")).code).toBe("UNS_ERR_TOPIC_WILDCARD");
  });

  it("refuses a variable level value that breaks its pattern, naming level, value and rule", () => {
    const r = refused(tree.classify("acme/neckarsulm/body-shop/line-1/cell-02/weld-spot"));
    expect(r.code).toBe("UNS_ERR_TOPIC_VARIABLE_LEVEL");
    expect(r.reason).toContain('"line-1"');
    expect(r.reason).toContain('"line"');
    expect(r.reason).toContain("^line-[0-9]{2}$");
  });

  it("refuses a variable level value outside its enum", () => {
    const r = refused(tree.classify("acme/neckarsulm/press-shop/press-9/slot/1/stroke"));
    expect(r.code).toBe("UNS_ERR_TOPIC_VARIABLE_LEVEL");
    expect(r.reason).toContain("press-1, press-2");
  });

  it("refuses topics outside the tree when outside: deny, saying what is accepted", () => {
    const r = refused(tree.classify("acme/heilbronn/paint"));
    expect(r.code).toBe("UNS_ERR_TOPIC_NOT_IN_TREE");
    expect(r.reason).toContain('"heilbronn"');
    expect(r.reason).toContain("neckarsulm");
    const leaf = refused(tree.classify(`${cellBase}/temperature`));
    expect(leaf.reason).toContain("weld-spot");
    const interior = refused(tree.classify("acme/neckarsulm"));
    expect(interior.reason).toContain("not a leaf");
    expect(refused(tree.classify("other")).code).toBe("UNS_ERR_TOPIC_NOT_IN_TREE");
  });
});

describe("classify: outside: allow", () => {
  const open = parseTopicTree(
    `outside: allow
policy: monitor
tree:
  acme:
    level: enterprise
    policy: enforce
    children:
      "{site}": { level: site, pattern: "^s-[0-9]+$", leaves: { status: { channel: st } } }
`,
    "open.yaml",
  );

  it("reports ungoverned topics as outside, with the policy of the deepest node reached", () => {
    expect(open.classify("factory/x")).toEqual({ kind: "outside", policy: "monitor" });
    expect(open.classify("acme/s-1/other")).toEqual({ kind: "outside", policy: "enforce" });
    expect(open.classify("acme/s-1/status")).toMatchObject({ kind: "leaf", channel: "st" });
  });

  it("still refuses naming breaks and variable level breaks inside the tree", () => {
    expect(refused(open.classify("Factory/x")).code).toBe("UNS_ERR_TOPIC_UPPERCASE");
    expect(refused(open.classify("acme/site-1/status")).code).toBe("UNS_ERR_TOPIC_VARIABLE_LEVEL");
  });
});

describe("nodes() and leafPatterns()", () => {
  it("describes the tree for the API", () => {
    const d = tree.nodes();
    expect(d.outside).toBe("deny");
    expect(d.naming.maxDepth).toBe(12);
    const acme = d.children[0]!;
    expect(acme).toMatchObject({
      key: "acme",
      level: "enterprise",
      kind: "literal",
      policy: "monitor",
      filter: "acme",
    });
    const line = acme.children[0]!.children[0]!.children[0]!;
    expect(line).toMatchObject({
      key: "{line}",
      level: "line",
      kind: "variable",
      pattern: "^line-[0-9]{2}$",
      filter: "acme/neckarsulm/body-shop/+",
    });
    expect(line.leaves).toEqual([
      { name: "recipe", filter: "acme/neckarsulm/body-shop/+/recipe", channel: null, policy: "enforce" },
    ]);
    const cell = line.children[0]!;
    expect(cell.leaves.map((l) => l.name)).toEqual([
      "weld-spot",
      "image-event",
      "results/weld-quality",
      "energy",
    ]);
    expect(cell.leaves[0]).toMatchObject({
      leafSet: "cell",
      description: "one weld spot",
      policy: "enforce",
    });
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it("lists every leaf as an MQTT filter with its channel", () => {
    expect(tree.leafPatterns()).toEqual(
      expect.arrayContaining([
        {
          filter: "acme/neckarsulm/body-shop/+/+/weld-spot",
          leaf: "weld-spot",
          channel: "weldSpot",
          policy: "enforce",
        },
        {
          filter: "acme/neckarsulm/body-shop/+/+/results/weld-quality",
          leaf: "results/weld-quality",
          channel: "weldQuality",
          policy: "enforce",
        },
        {
          filter: "acme/neckarsulm/press-shop/+/slot/+/stroke",
          leaf: "stroke",
          channel: "acme/neckarsulm/press-shop/{press}/slot/{slot}/stroke",
          policy: "monitor",
        },
      ]),
    );
    expect(tree.leafPatterns()).toHaveLength(6);
  });
});

describe("tree.yaml diagnostics", () => {
  it("gives the line of a YAML syntax error", () => {
    const d = diagnosticsOf(() => parseTopicTree("tree:\n  acme:\n    level: [x\n", "topics/tree.yaml"));
    expect(d[0]).toMatchObject({ file: "topics/tree.yaml", severity: "error" });
    expect(d[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it("names file, line, path and what is accepted for structure errors", () => {
    const text = `naming:
  maxDepth: twelve
outside: maybe
tree:
  acme:
    level: enterprise
    policy: strict
    colour: red
    children:
      Bad:
        level: x
      "{line}":
        pattern: "(["
        leaves: nope
`;
    const d = diagnosticsOf(() => parseTopicTree(text, "topics/tree.yaml"));
    const find = (path: string) => d.find((x) => x.path === path);
    expect(find("$.naming.maxDepth")).toMatchObject({ line: 2, message: expect.stringContaining("integer") });
    expect(find("$.outside")).toMatchObject({
      line: 3,
      message: expect.stringContaining('"deny" or "allow"'),
    });
    expect(find("$.tree.acme.policy")).toMatchObject({
      line: 7,
      message: expect.stringContaining('"monitor" or "enforce"'),
    });
    expect(find("$.tree.acme.colour")).toMatchObject({
      line: 8,
      message: expect.stringContaining("accepted keys"),
    });
    expect(find("$.tree.acme.children.Bad")).toMatchObject({ line: 10 });
    expect(find('$.tree.acme.children["{line}"].pattern')).toMatchObject({ line: 13 });
    expect(find('$.tree.acme.children["{line}"].leaves')).toMatchObject({
      line: 14,
      message: expect.stringContaining('"nope"'),
    });
    expect(d.every((x) => x.file === "topics/tree.yaml" && x.code === "UNS_ERR_TREE_INVALID")).toBe(true);
  });

  it("requires the tree key, level names, string enums, and leaves within maxDepth", () => {
    expect(diagnosticsOf(() => parseTopicTree("policy: monitor", "t.yaml"))[0]!.message).toContain("tree");
    expect(diagnosticsOf(() => parseTopicTree("tree: { acme: {} }", "t.yaml"))[0]!.message).toContain(
      "level",
    );
    expect(
      diagnosticsOf(() => parseTopicTree("tree: { '{x}': { enum: [1, 2] } }", "t.yaml"))[0]!.message,
    ).toContain("quote");
    expect(
      diagnosticsOf(() =>
        parseTopicTree("naming: { maxDepth: 2 }\ntree: { a: { level: x, leaves: { b/c: {} } } }", "t.yaml"),
      )[0]!.message,
    ).toContain("maxDepth");
  });

  it("throws UNS_ERR_TREE_READ for a missing file", () => {
    expect(() => loadTopicTree("/nonexistent-dir")).toThrow(
      expect.objectContaining({ code: "UNS_ERR_TREE_READ" }),
    );
  });

  it("keeps warnings (unused leaf set, unanchored pattern) without failing", () => {
    const t = parseTopicTree(
      "tree: { '{x}': { pattern: 'a', leaves: { s: {} } } }\nleafSets: { spare: { y: {} } }",
      "t.yaml",
    );
    expect(t.diagnostics.map((d) => d.severity)).toEqual(["warning", "warning"]);
  });
});

describe("classify speed", () => {
  it("classifies cached topics quickly", () => {
    const topics = Array.from(
      { length: 1000 },
      (_, i) =>
        `acme/neckarsulm/body-shop/line-${String(i % 100).padStart(2, "0")}/cell-0${i % 10}/weld-spot`,
    );
    const start = performance.now();
    for (let round = 0; round < 100; round++) for (const t of topics) tree.classify(t);
    const perCall = ((performance.now() - start) * 1e3) / 100_000; // microseconds
    expect(perCall).toBeLessThan(20);
  });
});
