import { describe, expect, it } from "vitest";
import type { Diagnostic } from "./diagnostics.js";
import { UnsError } from "./errors.js";
import { parseTopicTree, parseTopicTreeData, topicTreeFromData } from "./topic-tree.js";

const treeWith = (pattern: string, level = "^[a-z0-9][a-z0-9_.-]*$") => `
naming: { level: ${JSON.stringify(level)} }
tree:
  acme:
    level: enterprise
    children:
      "{line}":
        pattern: ${JSON.stringify(pattern)}
        leaves: { data: { channel: c } }
`;

function refusedDiagnostics(text: string): Diagnostic[] {
  try {
    parseTopicTree(text, "tree.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(UnsError);
    return ((e as UnsError).details as { diagnostics: Diagnostic[] }).diagnostics;
  }
  throw new Error("expected the tree to be refused");
}

describe("topic tree patterns run in linear time", () => {
  it("classifies against a catastrophic level pattern (^(a+)+$) without backtracking", () => {
    const tree = parseTopicTree(treeWith("^(a+)+$", "^[a-z0-9!][a-z0-9_.!-]*$"), "tree.yaml");
    const started = performance.now();
    const result = tree.classify(`acme/${"a".repeat(28)}!/data`);
    expect(performance.now() - started).toBeLessThan(500);
    expect(result).toMatchObject({ kind: "refused", code: "UNS_ERR_TOPIC_VARIABLE_LEVEL" });
    expect(tree.classify("acme/aaa/data")).toMatchObject({ kind: "leaf", channel: "c" });
  });

  it("runs naming.level in the linear engine too", () => {
    const tree = parseTopicTree(treeWith("^a+$", "^([a-z]+)+$"), "tree.yaml");
    const started = performance.now();
    expect(tree.classify(`acme/${"a".repeat(28)}0/data`)).toMatchObject({ kind: "refused" });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("refuses a pattern the linear engine cannot run, naming the file, line and path", () => {
    const d = refusedDiagnostics(treeWith("^(line)-\\1$"));
    expect(d).toContainEqual(
      expect.objectContaining({
        path: '$.tree.acme.children["{line}"].pattern',
        line: 8,
        message: expect.stringMatching(/not a valid regular expression.*RE2/),
      }),
    );
    expect(refusedDiagnostics(treeWith("^(?=a)a$"))[0]!.message).toMatch(/lookahead/);
  });

  it("refuses an alias bomb in the tree", () => {
    const bomb = `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ntree: { acme: { level: e, description: *d } }\n`;
    const started = performance.now();
    expect(refusedDiagnostics(bomb)[0]!.message).toMatch(/alias/i);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("compiles checked tree data (what the loader thread hands over) to the same tree", () => {
    const text = treeWith("^line-[0-9]{2}$");
    const data = structuredClone(parseTopicTreeData(text, "tree.yaml"));
    const tree = topicTreeFromData(data);
    expect(tree.classify("acme/line-01/data")).toEqual(
      parseTopicTree(text, "tree.yaml").classify("acme/line-01/data"),
    );
    expect(tree.classify("acme/line-1/data")).toMatchObject({ kind: "refused" });
  });
});
