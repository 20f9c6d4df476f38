import type { SparkplugEdgeNode, SparkplugResponse } from "@uns/api-contract";
import { describe, expect, it } from "vitest";
import {
  base64Bytes,
  countOnline,
  deathReasonText,
  formatDuration,
  formatSparkplugValue,
  isNumericType,
  metricUnit,
  pickNode,
  presence,
  presenceText,
  rebirthReasonText,
  ruleFinding,
} from "./sparkplug-format";

const value = (datatype: string, v: unknown, isNull = false) =>
  formatSparkplugValue({ datatype, value: v as never, isNull }, "Europe/Berlin");

describe("formatSparkplugValue", () => {
  it("shows a Float as 32 bits hold it, a Double with 15 digits", () => {
    expect(value("Float", 9.399999618530273)).toBe("9.4");
    expect(value("Float", 31.5)).toBe("31.5");
    expect(value("Double", 0.1 + 0.2)).toBe("0.3");
    expect(value("Double", 1234.5678901234)).toBe("1234.5678901234");
    expect(value("Float", Number.NaN)).toBe("NaN");
  });

  it("keeps integers exact, 64-bit ones beyond 2^53 as their decimal strings", () => {
    expect(value("Int32", -42)).toBe("-42");
    expect(value("UInt64", "18446744073709551615")).toBe("18446744073709551615");
    expect(value("Boolean", false)).toBe("false");
    expect(value("String", "ok")).toBe("ok");
  });

  it("shows null, DateTime in the plant's zone, and clips long text", () => {
    expect(value("Float", 0, true)).toBe("null");
    expect(value("DateTime", Date.UTC(2026, 10, 22, 10, 0, 0))).toBe("2026-11-22 11:00:00 CET");
    const long = value("Text", "x".repeat(500));
    expect(long).toHaveLength(120);
    expect(long.endsWith("…")).toBe(true);
  });

  it("summarises arrays, bytes, data sets and templates", () => {
    expect(value("FloatArray", [1.100000023841858, 2, 3])).toBe("[1.1, 2, 3] (3 values)");
    expect(
      value(
        "Int16Array",
        Array.from({ length: 400 }, (_, i) => i),
      ),
    ).toBe("[0, 1, 2, 3, 4, 5, 6, 7, …] (400 values)");
    expect(value("Bytes", "AAECAw==")).toBe("4 bytes");
    expect(value("File", "")).toBe("0 bytes");
    expect(
      value("DataSet", {
        numOfColumns: 2,
        columns: ["t", "kA"],
        types: [13, 9],
        rows: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      }),
    ).toBe("DataSet: 2 columns × 3 rows (t, kA)");
    expect(
      value("Template", { isDefinition: false, templateRef: "Gun", metrics: [{}, {}], parameters: [] }),
    ).toBe("Template Gun: 2 metrics");
  });

  it("counts the bytes in base64", () => {
    expect(base64Bytes("")).toBe(0);
    expect(base64Bytes("AA==")).toBe(1);
    expect(base64Bytes("AAA=")).toBe(2);
    expect(base64Bytes("AAAA")).toBe(3);
    expect(base64Bytes(btoa("x".repeat(1600)))).toBe(1600);
  });
});

describe("metric datatypes and units", () => {
  it("right-aligns numbers only", () => {
    expect(["Int8", "UInt64", "Float", "Double"].every(isNumericType)).toBe(true);
    expect(["Boolean", "String", "DateTime", "FloatArray", "Unknown"].some(isNumericType)).toBe(false);
  });
  it("takes the unit the tracker found, else the engUnit property", () => {
    expect(metricUnit({ unit: "kA" })).toBe("kA");
    expect(metricUnit({ properties: { engUnit: { type: "String", value: "degC" } } })).toBe("degC");
    expect(metricUnit({ properties: { engUnit: { type: "Int32", value: 3 } } })).toBeUndefined();
    expect(metricUnit({})).toBeUndefined();
  });
});

describe("online and offline", () => {
  const now = Date.UTC(2026, 10, 22, 12, 0, 0);
  it("formats durations with two units at most", () => {
    expect(formatDuration(-5)).toBe("0 s");
    expect(formatDuration(59_999)).toBe("59 s");
    expect(formatDuration(60_000)).toBe("1 min");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(3_725_000)).toBe("1 h 2 min");
    expect(formatDuration(7_200_000)).toBe("2 h");
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 59_000)).toBe("3 d 4 h");
  });
  it("counts online time from the last birth, offline time from the last death", () => {
    const on = presence(
      { online: true, lastBirth: { time: now - 90_000 }, lastDeath: { time: now - 1 } },
      now,
    );
    expect(on).toEqual({ online: true, since: now - 90_000, forMs: 90_000 });
    expect(presenceText(on)).toBe("online for 1 min 30 s");
    const off = presence(
      { online: false, lastBirth: { time: now - 1 }, lastDeath: { time: now - 7_200_000 } },
      now,
    );
    expect(presenceText(off)).toBe("offline for 2 h");
    expect(presenceText(presence({ online: false }, now))).toBe("offline");
  });
  it("says why a node or device went down, and why a rebirth was asked for", () => {
    expect(deathReasonText("will")).toMatch(/connection lost/);
    expect(deathReasonText("ndeath")).toMatch(/published its NDEATH/);
    expect(deathReasonText("something-new")).toBe("something-new");
    expect(deathReasonText(undefined)).toBe("unknown");
    expect(rebirthReasonText("seq-gap")).toMatch(/gap in seq/);
    expect(rebirthReasonText("model-mismatch")).toMatch(/not declared/);
  });
});

const node = (
  group: string,
  edgeNode: string,
  online: boolean,
  devices: boolean[] = [],
): SparkplugEdgeNode => ({
  group,
  edgeNode,
  online,
  pendingSeqs: [],
  rebirths: { requested: 0, suppressed: 0 },
  messages: 0,
  violations: 0,
  metrics: [],
  history: [],
  devices: devices.map((d, i) => ({
    group,
    edgeNode,
    device: `D${i}`,
    online: d,
    metrics: [],
    history: [],
  })),
});

describe("nodes", () => {
  const groups: SparkplugResponse["groups"] = [
    { group: "A", edgeNodes: [node("A", "n1", true, [true, false]), node("A", "n2", false, [false])] },
    { group: "B", edgeNodes: [node("B", "n1", true)] },
  ];
  it("counts nodes and devices online", () => {
    expect(countOnline(groups)).toEqual({
      groups: 2,
      nodes: 3,
      nodesOnline: 2,
      devices: 3,
      devicesOnline: 1,
    });
    expect(countOnline([])).toEqual({ groups: 0, nodes: 0, nodesOnline: 0, devices: 0, devicesOnline: 0 });
  });
  it("picks the node the URL names, else the first offline one, else the first", () => {
    expect(pickNode(groups, "B/n1")?.group).toBe("B");
    expect(pickNode(groups, "Z/none")?.edgeNode).toBe("n2");
    expect(pickNode([{ group: "B", edgeNodes: [node("B", "x", true)] }], null)?.edgeNode).toBe("x");
    expect(pickNode([], "A/n1")).toBeUndefined();
  });
});

describe("ruleFinding", () => {
  it("splits the conformance id off the message", () => {
    expect(
      ruleFinding({
        instancePath: "",
        keyword: "seq-gap",
        message: "seq 5 after 1: 2, 3, 4 missing [tck-id-payloads-sequence-num-incrementing]",
      }),
    ).toEqual({
      rule: "seq-gap",
      text: "seq 5 after 1: 2, 3, 4 missing",
      conformance: "tck-id-payloads-sequence-num-incrementing",
      severity: "error",
    });
  });
  it("prefers params, and names the metric", () => {
    expect(
      ruleFinding({
        instancePath: "/metrics/Spot/Extra",
        keyword: "metric-undeclared",
        message: "Spot/Extra was not in the DBIRTH",
        params: { conformance: "tck-id-operational-behavior-data-publish-dbirth", severity: "warning" },
      }),
    ).toEqual({
      rule: "metric-undeclared",
      text: "Spot/Extra was not in the DBIRTH",
      conformance: "tck-id-operational-behavior-data-publish-dbirth",
      severity: "warning",
      metric: "Spot/Extra",
    });
    expect(ruleFinding({ instancePath: "", keyword: "x", message: "m" }).conformance).toBeNull();
  });
});
