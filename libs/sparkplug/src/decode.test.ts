import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeSparkplug } from "./decode.js";
import { encodeSparkplug } from "./proto.js";
import { createSparkplugTracker } from "./tracker.js";
import type { SparkplugMetricJson } from "./types.js";

const VECTORS = fileURLToPath(new URL("../test-fixtures/sparkplug-vectors/", import.meta.url));

interface IndexLine {
  n: number;
  topic: string;
  qos: number;
  retain: boolean;
  bytes: number;
  seq: string | null;
  timestamp: string | null;
  metrics: string[];
  uuid?: string;
  bodyBytes?: number;
  error: string | null;
}

function index(): IndexLine[] {
  return readFileSync(`${VECTORS}capture-index.jsonl`, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as IndexLine & { ev?: string })
    .filter((l) => l.ev === undefined);
}

function vector(n: number): Buffer {
  const prefix = String(n).padStart(3, "0");
  const file = readdirSync(VECTORS).find((f) => f.startsWith(`${prefix}-`) && f.endsWith(".bin"));
  if (!file) throw new Error(`no vector ${prefix}`);
  return readFileSync(`${VECTORS}${file}`);
}

/** The capture index's "name:Type=value" form (Tahu decoder's reading). */
function described(m: SparkplugMetricJson): string {
  const value =
    m.datatype === "Bytes" ? `<${Buffer.from(String(m.value), "base64").length} bytes>` : String(m.value);
  return `${m.name}:${m.datatype}=${value}`;
}

describe("decodeSparkplug on the Tahu vectors", () => {
  const lines = index();

  it("has the twelve captured messages", () => {
    expect(lines.map((l) => l.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  for (const line of index()) {
    it(`${String(line.n).padStart(3, "0")} ${line.topic} decodes as the capture index says`, () => {
      const bytes = vector(line.n);
      expect(bytes.length).toBe(line.bytes);
      const r = decodeSparkplug(bytes, { topic: line.topic });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.violations).toEqual([]);
      if (line.uuid === "SPBV1.0_COMPRESSED") {
        // The index shows the wrapper as Tahu's decoder reads it; we return the inflated payload.
        expect(r.payload.compressed).toEqual({ algorithm: "DEFLATE", compressedBytes: line.bodyBytes });
        expect(r.payload.seq).toBe(line.n - 8); // the flow restarts: NBIRTH 0, DBIRTH 1, DDATA 2, 3
        expect(r.payload.timestamp).toBeTypeOf("number");
        expect(r.payload.metrics.length).toBeGreaterThan(0);
        return;
      }
      expect(r.payload.compressed).toBeUndefined();
      expect(r.payload.seq === undefined ? null : String(r.payload.seq)).toBe(line.seq);
      expect(r.payload.timestamp === undefined ? null : String(r.payload.timestamp)).toBe(line.timestamp);
      expect(r.payload.metrics.map(described)).toEqual(line.metrics);
    });
  }

  it("compressed vectors hold the same metrics as the uncompressed flow", () => {
    const pairs: [number, number][] = [
      [1, 8],
      [2, 9],
    ];
    for (const [plain, zipped] of pairs) {
      const a = decodeSparkplug(vector(plain));
      const b = decodeSparkplug(vector(zipped));
      if (!a.ok || !b.ok) throw new Error("decode failed");
      expect(b.payload.metrics.map((m) => `${m.name}:${m.datatype}`)).toEqual(
        a.payload.metrics.map((m) => `${m.name}:${m.datatype}`),
      );
    }
  });

  it("reads the 400-value curve of a DDATA as base64 of 400 little-endian float32", () => {
    const r = decodeSparkplug(vector(3));
    if (!r.ok) throw new Error("decode failed");
    const curve = r.payload.metrics.find((m) => m.name === "Spot/Curve")!;
    const bytes = Buffer.from(curve.value as string, "base64");
    expect(bytes.length).toBe(1600);
    const values = Array.from({ length: 400 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(values.every(Number.isFinite)).toBe(true);
  });

  it("keeps metric timestamps absent (the Tahu client sends none) and the NDEATH without seq", () => {
    const birth = decodeSparkplug(vector(1));
    const death = decodeSparkplug(vector(12));
    if (!birth.ok || !death.ok) throw new Error("decode failed");
    expect(birth.payload.metrics.every((m) => m.timestamp === undefined)).toBe(true);
    expect(death.payload.seq).toBeUndefined();
    expect(death.payload.metrics).toMatchObject([{ name: "bdSeq", datatype: "UInt64", value: 0 }]);
  });
});

describe("decodeSparkplug", () => {
  const inner = encodeSparkplug({
    timestamp: 1_700_000_000_000,
    seq: 7,
    metrics: [{ name: "Weld/Current", type: "Float", value: 9.5, timestamp: 1_700_000_000_000 }],
  });

  it("inflates GZIP bodies named by the algorithm metric, and raw DEFLATE", () => {
    const gz = encodeSparkplug({
      uuid: "SPBV1.0_COMPRESSED",
      body: gzipSync(inner),
      metrics: [{ name: "algorithm", type: "String", value: "GZIP" }],
    });
    const raw = encodeSparkplug({ uuid: "SPBV1.0_COMPRESSED", body: deflateRawSync(inner) });
    for (const [bytes, algorithm] of [
      [gz, "GZIP"],
      [raw, "DEFLATE"],
    ] as const) {
      const r = decodeSparkplug(bytes);
      expect(r.ok).toBe(true);
      if (r.ok) {
        expect(r.payload.compressed?.algorithm).toBe(algorithm);
        expect(r.payload.seq).toBe(7);
        expect(r.payload.metrics[0]).toMatchObject({ name: "Weld/Current", datatype: "Float", value: 9.5 });
      }
    }
  });

  it("turns garbage, unknown algorithms and zip bombs into violations instead of throwing", () => {
    const garbage = decodeSparkplug(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), {
      topic: "spBv1.0/G/NDATA/N",
      type: "NDATA",
    });
    expect(garbage.ok).toBe(false);
    expect(garbage.violations[0]).toMatchObject({ rule: "payload-decode", topic: "spBv1.0/G/NDATA/N" });

    const lzma = encodeSparkplug({
      uuid: "SPBV1.0_COMPRESSED",
      body: deflateSync(inner),
      metrics: [{ name: "algorithm", type: "String", value: "LZMA" }],
    });
    const r = decodeSparkplug(lzma);
    expect(r.ok).toBe(false);
    expect(r.violations[0]!.message).toMatch(/DEFLATE or GZIP, got "LZMA"/);

    const bomb = encodeSparkplug({ uuid: "SPBV1.0_COMPRESSED", body: deflateSync(Buffer.alloc(2_000_000)) });
    const b = decodeSparkplug(bomb, { maxDecompressedBytes: 1_000_000 });
    expect(b.ok).toBe(false);
    expect(b.violations[0]!.message).toMatch(/beyond 1000000 bytes/);
  });

  it("converts every scalar datatype to plain JSON, 64-bit integers beyond 2^53 as strings", () => {
    const r = decodeSparkplug(
      encodeSparkplug({
        timestamp: 1,
        metrics: [
          { name: "i8", type: "Int8", value: -5 },
          { name: "i16", type: "Int16", value: -300 },
          { name: "i32", type: "Int32", value: -70000 },
          { name: "i64", type: "Int64", value: -12 },
          { name: "u32", type: "UInt32", value: 4_000_000_000 },
          { name: "u64big", type: "UInt64", value: "18446744073709551615" },
          { name: "dt", type: "DateTime", value: 1_700_000_000_000 },
          { name: "d", type: "Double", value: 1.25 },
          { name: "s", type: "String", value: "x" },
          { name: "b", type: "Bytes", value: new Uint8Array([1, 2, 3]) },
          { name: "n", type: "Float", value: null },
          {
            name: "ds",
            type: "DataSet",
            value: {
              numOfColumns: 2,
              columns: ["t", "v"],
              types: ["Int64", "Float"],
              rows: [
                [1, 0.5],
                [2, 1.5],
              ],
            },
          },
          {
            name: "withProps",
            type: "Float",
            value: 1,
            properties: { engUnit: { type: "String", value: "kA" }, Quality: { type: "Int32", value: 192 } },
          },
        ],
      }),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.violations));
    const byName = Object.fromEntries(r.payload.metrics.map((m) => [m.name, m]));
    expect(byName.i8!.value).toBe(-5);
    expect(byName.i16!.value).toBe(-300);
    expect(byName.i32!.value).toBe(-70000);
    expect(byName.i64!.value).toBe(-12);
    expect(byName.u32!.value).toBe(4_000_000_000);
    expect(byName.u64big!.value).toBe("18446744073709551615");
    expect(byName.dt!.value).toBe(1_700_000_000_000);
    expect(byName.d!.value).toBe(1.25);
    expect(byName.s!.value).toBe("x");
    expect(byName.b!.value).toBe("AQID");
    expect(byName.n).toMatchObject({ value: null, isNull: true, hasValue: true });
    expect(byName.ds!.value).toEqual({
      numOfColumns: 2,
      columns: ["t", "v"],
      types: ["Int64", "Float"],
      rows: [
        [1, 0.5],
        [2, 1.5],
      ],
    });
    expect(byName.withProps!.properties).toEqual({
      engUnit: { type: "String", value: "kA" },
      Quality: { type: "Int32", value: 192 },
    });
  });
});

describe("the captured Tahu flow through the tracker", () => {
  it("yields the node and device states and exactly the Tahu findings", () => {
    const tracker = createSparkplugTracker({ reorderWindowMs: 1000, rebirthMinIntervalMs: 10_000 });
    const found: string[] = [];
    for (const line of index()) {
      const r = tracker.onMessage({
        topic: line.topic,
        payload: vector(line.n),
        qos: line.qos,
        retain: line.retain,
        clientId: "tahu",
        time: 1_795_342_996_940 + line.n,
        will: line.n === 12, // README: the Will fired by the broker
      });
      for (const v of r.violations) found.push(`${line.n}:${v.rule}`);
    }
    // Tahu writes no metric timestamps, and its NDEATH (clean stop and Will) travels at QoS 0.
    expect(found).toEqual([
      "1:metric-timestamp-missing",
      "2:metric-timestamp-missing",
      "3:metric-timestamp-missing",
      "4:metric-timestamp-missing",
      "5:metric-timestamp-missing",
      "7:mqtt-qos",
      "8:metric-timestamp-missing",
      "9:metric-timestamp-missing",
      "10:metric-timestamp-missing",
      "11:metric-timestamp-missing",
      "12:mqtt-qos",
    ]);
    expect(tracker.node("Plant1", "Welder01")).toMatchObject({
      online: false,
      lastSeq: 5,
      lastDeath: { reason: "ndeath", bdSeq: 0 },
    });
    expect(tracker.device("Plant1", "Welder01", "Gun1")).toMatchObject({
      online: false,
      lastDeath: { reason: "ddeath" },
    });
    expect(tracker.node("Plant1", "Welder02")).toMatchObject({
      online: false,
      lastSeq: 3,
      lastDeath: { reason: "will" },
    });
    expect(tracker.device("Plant1", "Welder02", "Gun1")).toMatchObject({
      online: false,
      lastDeath: { reason: "node-death" },
    });
    const spotId = tracker.device("Plant1", "Welder02", "Gun1")!.metrics.find((m) => m.name === "Spot/Id")!;
    expect(spotId).toMatchObject({ datatype: "UInt64", quality: "stale" });
  });
});
