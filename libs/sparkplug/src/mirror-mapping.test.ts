import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createMirrorMapper, parseMirrorMapping, SparkplugMappingError, unsLevel } from "./mirror-mapping.js";
import type { MetricUpdate } from "./types.js";

const EXAMPLE = readFileSync(new URL("../test-fixtures/sparkplug.yaml", import.meta.url), "utf8");

function update(o: Partial<MetricUpdate>): MetricUpdate {
  return {
    group: "Plant1",
    edgeNode: "Welder01",
    name: "Spot/CurrentRMS_kA",
    datatype: "Float",
    value: 9.5,
    isNull: false,
    timestamp: 1_800_000_000_000,
    quality: "good",
    ...o,
  };
}

function parseError(text: string): SparkplugMappingError {
  try {
    parseMirrorMapping(text, { source: "topics/sparkplug.yaml" });
  } catch (err) {
    if (err instanceof SparkplugMappingError) return err;
    throw err;
  }
  throw new Error("expected a SparkplugMappingError");
}

describe("parseMirrorMapping", () => {
  it("reads the example mapping", () => {
    const m = parseMirrorMapping(EXAMPLE);
    expect(m.mirrors).toHaveLength(3);
    expect(m.mirrors[0]).toEqual({
      group: "Plant1",
      edgeNode: "Welder{cell}",
      device: "Gun{gun}",
      to: "acme/neckarsulm/body-shop/line-01/cell-{cell}/gun-{gun}/sparkplug",
      metrics: ["Spot/*"],
      exclude: ["bdSeq", "Node Control/*"],
      line: 17,
    });
    expect(structuredClone(m)).toEqual(m);
  });

  it("accepts an empty file and an empty list", () => {
    expect(parseMirrorMapping("")).toEqual({ mirrors: [] });
    expect(parseMirrorMapping("mirrors: []\n")).toEqual({ mirrors: [] });
  });

  it("lists every problem with its line", () => {
    const err = parseError(
      [
        "mirrors:",
        "  - group: Plant1", // 2
        "    edgeNode: Welder{cell}",
        "    to: acme/{line}/x", // 4: unknown capture
        "    colour: red", // 5: unknown key
        "  - group: Plant1", // 6: no edgeNode
        "    to: acme/{device}", // 7: {device} without device
        "  - group: Plant1",
        "    edgeNode: '*'",
        "    to: '$uns/x'", // 10: reserved
        "    metrics: Spot/*", // 11: not a list
      ].join("\n"),
    );
    expect(err.code).toBe("UNS_ERR_SPARKPLUG_MAPPING");
    expect(err.issues).toEqual([
      {
        path: "mirrors[0].colour",
        line: 5,
        message: "unknown key; expected one of group, edgeNode, device, to, metrics, exclude",
      },
      {
        path: "mirrors[0].to",
        line: 4,
        message: expect.stringMatching(/^\{line\} is not a capture of this rule; known: \{cell\}/),
      },
      { path: "mirrors[1]", line: 6, message: "`edgeNode` is required" },
      { path: "mirrors[1].to", line: 7, message: "{device} needs a `device` pattern in this rule" },
      {
        path: "mirrors[2].metrics",
        line: 11,
        message: "expected a list of metric name globs (non-empty strings)",
      },
      { path: "mirrors[2].to", line: 10, message: expect.stringMatching(/outside the reserved namespaces/) },
    ]);
    expect(err.message).toMatch(
      /^topics\/sparkplug.yaml is not a valid Sparkplug mirror mapping:\n {2}line 5, mirrors\[0\]\.colour: unknown key/,
    );
  });

  it("reports YAML syntax errors and a wrong shape", () => {
    expect(parseError("mirrors:\n  - group: [unclosed\n").issues[0]).toMatchObject({
      path: "(yaml)",
      line: expect.any(Number),
    });
    expect(parseError("- a\n- b\n").issues).toEqual([
      { path: "(root)", message: "expected a mapping with the key `mirrors`" },
    ]);
    expect(
      parseError("mirrors:\n  - group: G\n    edgeNode: '{a}{a}'\n    to: x/{a}\n").issues[0]!.message,
    ).toMatch(/defined twice/);
    expect(parseError("mirrors:\n  - group: G\n    edgeNode: N\n    to: x/+/y\n").issues[0]!.message).toMatch(
      /without wildcards/,
    );
    expect(parseError("mirrors:\n  - group: G\n    edgeNode: N\n    to: x/{2}\n").issues[0]!.message).toMatch(
      /\{2\} refers to a \* capture/,
    );
  });
});

describe("createMirrorMapper", () => {
  const mapper = createMirrorMapper(parseMirrorMapping(EXAMPLE));

  it("maps device metrics with named captures to lowercase UNS levels", () => {
    const m = mapper.map(update({ device: "Gun1", unit: "kA" }));
    expect(m).toEqual({
      topic: "acme/neckarsulm/body-shop/line-01/cell-01/gun-1/sparkplug/spot/currentrms_ka",
      payload: JSON.stringify({
        value: 9.5,
        datatype: "Float",
        timestamp: 1_800_000_000_000,
        quality: "good",
        unit: "kA",
      }),
      qos: 0,
      retain: true,
    });
    expect(mapper.prefixFor("Plant1", "Welder01", "Gun2")).toBe(
      "acme/neckarsulm/body-shop/line-01/cell-01/gun-2/sparkplug",
    );
  });

  it("maps node metrics, skips excluded ones and metrics outside the include globs", () => {
    expect(mapper.map(update({ name: "Cell/Temperature", value: 31.5 }))?.topic).toBe(
      "acme/neckarsulm/body-shop/line-01/cell-01/sparkplug/cell/temperature",
    );
    expect(
      mapper.map(update({ name: "Node Control/Rebirth", datatype: "Boolean", value: false })),
    ).toBeUndefined();
    expect(mapper.map(update({ name: "bdSeq" }))).toBeUndefined();
    expect(mapper.map(update({ device: "Gun1", name: "Diag/Counter" }))).toBeUndefined();
    expect(mapper.map(update({ group: "Plant2" }))).toBeUndefined();
  });

  it("substitutes positional captures and marks stale values", () => {
    const m = mapper.map(
      update({ edgeNode: "weld-ctrl-07", name: "Weld/Current Äverage", quality: "stale" }),
    );
    expect(m?.topic).toBe("acme/neckarsulm/body-shop/line-01/cell-07/sparkplug/weld/current-average");
    expect(JSON.parse(m!.payload)).toMatchObject({ quality: "stale" });
  });

  it("falls through to a later rule when an earlier one filters the metric out", () => {
    const two = createMirrorMapper(
      parseMirrorMapping(`
mirrors:
  - { group: G, edgeNode: N, to: a/spots, metrics: ["Spot/**"] }
  - { group: G, edgeNode: N, to: a/other }
`),
    );
    expect(two.map(update({ group: "G", edgeNode: "N", name: "Spot/x/y" }))?.topic).toBe("a/spots/spot/x/y");
    expect(two.map(update({ group: "G", edgeNode: "N", name: "Temp" }))?.topic).toBe("a/other/temp");
  });

  it("unsLevel makes ids and metric names valid levels", () => {
    expect(unsLevel("Gun 1")).toBe("gun-1");
    expect(unsLevel("_Hidden")).toBe("hidden");
    expect(unsLevel("Temp (°C)")).toBe("temp-c");
  });
});
