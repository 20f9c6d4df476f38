import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeSparkplug } from "./decode.js";
import { encodeSparkplug, type SparkplugMetricInput } from "./proto.js";
import { createSparkplugTracker, type SparkplugIncoming, type SparkplugTrackerOptions } from "./tracker.js";
import type { SparkplugResult, SparkplugViolation } from "./types.js";

const T0 = 1_800_000_000_000;

function setup(o: Partial<SparkplugTrackerOptions> = {}) {
  let t = T0;
  const tracker = createSparkplugTracker({
    reorderWindowMs: 1000,
    rebirthMinIntervalMs: 5000,
    now: () => t,
    ...o,
  });
  return {
    tracker,
    now: () => t,
    advance: (ms: number) => (t += ms),
  };
}

const rules = (r: { violations: SparkplugViolation[] }): string[] => r.violations.map((v) => v.rule);

/** A hand-driven edge node that numbers its messages like a real one. */
function edgeNode(group = "Plant1", node = "Welder01", clientId = "welder-01") {
  let seq = 0;
  let bdSeq = 0;
  const ts = () => T0;
  const msg = (
    topic: string,
    payload: Uint8Array,
    extra: Partial<SparkplugIncoming> = {},
  ): SparkplugIncoming => ({
    topic,
    payload,
    qos: 0,
    retain: false,
    clientId,
    ...extra,
  });
  const metric = (
    name: string,
    type: string,
    value: unknown,
    more: Partial<SparkplugMetricInput> = {},
  ): SparkplugMetricInput => ({
    name,
    type,
    value,
    timestamp: ts(),
    ...more,
  });
  return {
    clientId,
    metric,
    set bdSeq(v: number) {
      bdSeq = v;
    },
    /** seq of the next message */
    get seq() {
      return seq;
    },
    skip(n = 1) {
      seq = (seq + n) % 256;
    },
    nbirth(extra: SparkplugMetricInput[] = [], o: { seq?: number; omit?: string[] } = {}) {
      seq = o.seq ?? 0;
      const metrics = [
        metric("Node Control/Rebirth", "Boolean", false),
        metric("Cell/Temperature", "Float", 31.5, {
          properties: { engUnit: { type: "String", value: "degC" } },
        }),
        metric("bdSeq", "UInt64", bdSeq),
        ...extra,
      ].filter((m) => !o.omit?.includes(m.name!));
      return msg(
        `spBv1.0/${group}/NBIRTH/${node}`,
        encodeSparkplug({ timestamp: ts(), seq: seq++ % 256, metrics }),
      );
    },
    dbirth(device = "Gun1", metrics?: SparkplugMetricInput[]) {
      const ms = metrics ?? [
        metric("Spot/CurrentRMS_kA", "Float", 0, {
          alias: 10,
          properties: { engUnit: { type: "String", value: "kA" } },
        }),
        metric("Spot/Curve", "Bytes", new Uint8Array(), { alias: 11 }),
        metric("Spot/Id", "UInt64", 0, { alias: 12 }),
      ];
      return msg(
        `spBv1.0/${group}/DBIRTH/${node}/${device}`,
        encodeSparkplug({ timestamp: ts(), seq: takeSeq(), metrics: ms }),
      );
    },
    ddata(device: string, metrics: SparkplugMetricInput[], o: { seq?: number } = {}) {
      return msg(
        `spBv1.0/${group}/DDATA/${node}/${device}`,
        encodeSparkplug({ timestamp: ts(), seq: o.seq ?? takeSeq(), metrics }),
      );
    },
    ndata(metrics: SparkplugMetricInput[], o: { seq?: number } = {}) {
      return msg(
        `spBv1.0/${group}/NDATA/${node}`,
        encodeSparkplug({ timestamp: ts(), seq: o.seq ?? takeSeq(), metrics }),
      );
    },
    ddeath(device = "Gun1") {
      return msg(
        `spBv1.0/${group}/DDEATH/${node}/${device}`,
        encodeSparkplug({ timestamp: ts(), seq: takeSeq() }),
      );
    },
    ndeath(o: { bdSeq?: number; qos?: number; will?: boolean } = {}) {
      return msg(
        `spBv1.0/${group}/NDEATH/${node}`,
        encodeSparkplug({
          timestamp: ts(),
          metrics: [{ name: "bdSeq", type: "UInt64", value: o.bdSeq ?? bdSeq }],
        }),
        { qos: o.qos ?? 1, ...(o.will ? { will: true } : {}) },
      );
    },
    will(qos = 1) {
      return {
        topic: `spBv1.0/${group}/NDEATH/${node}`,
        payload: encodeSparkplug({
          timestamp: ts(),
          metrics: [{ name: "bdSeq", type: "UInt64", value: bdSeq }],
        }),
        qos,
        retain: false,
      };
    },
  };
  function takeSeq(): number {
    const s = seq;
    seq = (seq + 1) % 256;
    return s;
  }
}

function expectClean(r: SparkplugResult): void {
  expect(r.violations).toEqual([]);
}

describe("createSparkplugTracker: a well-behaved edge node", () => {
  it("tracks births, data, device death and node death, with certificates and mirror updates", () => {
    const { tracker, advance } = setup();
    const n = edgeNode();
    tracker.onConnect({ clientId: n.clientId, clean: true, will: n.will() });

    const nb = tracker.onMessage(n.nbirth());
    expectClean(nb);
    expect(nb.certificate).toMatchObject({
      topic: "$sparkplug/certificates/spBv1.0/Plant1/NBIRTH/Welder01",
      qos: 1,
      retain: true,
    });
    expect(nb.mirror?.map((u) => `${u.name}=${JSON.stringify(u.value)}:${u.quality}`)).toEqual([
      "Node Control/Rebirth=false:good",
      "Cell/Temperature=31.5:good",
      "bdSeq=0:good",
    ]);

    const db = tracker.onMessage(n.dbirth());
    expectClean(db);
    expect(db.certificate?.topic).toBe("$sparkplug/certificates/spBv1.0/Plant1/DBIRTH/Welder01/Gun1");

    advance(100);
    const curve = new Uint8Array(new Float32Array(400).map((_, i) => Math.sin(i / 40)).buffer);
    const dd = tracker.onMessage(
      n.ddata("Gun1", [
        { alias: 10, type: "Float", value: 9.5, timestamp: T0 + 100 },
        { alias: 11, type: "Bytes", value: curve, timestamp: T0 + 100 },
      ]),
    );
    expectClean(dd);
    expect(dd.mirror).toMatchObject([
      {
        device: "Gun1",
        name: "Spot/CurrentRMS_kA",
        value: 9.5,
        unit: "kA",
        quality: "good",
        timestamp: T0 + 100,
      },
      { device: "Gun1", name: "Spot/Curve", datatype: "Bytes", quality: "good" },
    ]);

    const view = tracker.node("Plant1", "Welder01")!;
    expect(view).toMatchObject({
      online: true,
      bdSeq: 0,
      lastSeq: 2,
      clientId: "welder-01",
      pendingSeqs: [],
      violations: 0,
    });
    const gun = tracker.device("Plant1", "Welder01", "Gun1")!;
    expect(gun.online).toBe(true);
    expect(gun.metrics.find((m) => m.name === "Spot/CurrentRMS_kA")).toMatchObject({
      value: 9.5,
      alias: 10,
      datatype: "Float",
      unit: "kA",
    });
    expect(
      Buffer.from(gun.metrics.find((m) => m.name === "Spot/Curve")!.value as string, "base64").length,
    ).toBe(1600);

    const ddeath = tracker.onMessage(n.ddeath("Gun1"));
    expectClean(ddeath);
    expect(ddeath.stale).toMatchObject({ device: "Gun1", reason: "ddeath" });
    expect(ddeath.mirror?.every((u) => u.quality === "stale" && u.device === "Gun1")).toBe(true);
    expect(tracker.device("Plant1", "Welder01", "Gun1")).toMatchObject({
      online: false,
      lastDeath: { reason: "ddeath" },
    });
    expect(tracker.node("Plant1", "Welder01")!.online).toBe(true);

    const nd = tracker.onMessage(n.ndeath());
    expectClean(nd);
    expect(nd.stale).toMatchObject({ reason: "ndeath", devices: [] });
    const dead = tracker.node("Plant1", "Welder01")!;
    expect(dead).toMatchObject({ online: false, lastDeath: { reason: "ndeath", bdSeq: 0 } });
    expect(dead.metrics.every((m) => m.quality === "stale")).toBe(true);
    expect(dead.history.map((h) => h.event)).toEqual(["birth", "death"]);
  });

  it("wraps seq from 255 to 0 without complaint", () => {
    const { tracker } = setup();
    const n = edgeNode();
    expectClean(tracker.onMessage(n.nbirth()));
    for (let i = 1; i <= 300; i++)
      expectClean(tracker.onMessage(n.ndata([n.metric("Cell/Temperature", "Float", i)])));
    expect(tracker.node("Plant1", "Welder01")!.lastSeq).toBe(300 % 256);
  });

  it("reads a compressed NBIRTH and NDATA by their inner seq", () => {
    const { tracker } = setup();
    const n = edgeNode();
    const wrap = (m: SparkplugIncoming): SparkplugIncoming => ({
      ...m,
      payload: encodeSparkplug({ uuid: "SPBV1.0_COMPRESSED", body: deflateSync(m.payload) }),
    });
    const b = tracker.onMessage(wrap(n.nbirth()));
    expectClean(b);
    expect(b.payload?.compressed?.algorithm).toBe("DEFLATE");
    n.skip();
    const d = tracker.onMessage(wrap(n.ndata([n.metric("Cell/Temperature", "Float", 30)])));
    expect(tracker.node("Plant1", "Welder01")!.pendingSeqs).toEqual([1]);
    expectClean(d);
  });
});

describe("seq gaps and the reorder window", () => {
  it("a reordered pair inside the window is not a violation", () => {
    const { tracker, advance } = setup({ reorderWindowMs: 1000 });
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    const m1 = n.ndata([n.metric("Cell/Temperature", "Float", 1)]);
    const m2 = n.ndata([n.metric("Cell/Temperature", "Float", 2)]);
    expectClean(tracker.onMessage(m2)); // seq 2 before seq 1
    expect(tracker.node("Plant1", "Welder01")!.pendingSeqs).toEqual([1]);
    expect(tracker.nextDeadline()).toBe(T0 + 1000);
    advance(400);
    expectClean(tracker.onMessage(m1));
    expect(tracker.node("Plant1", "Welder01")!.pendingSeqs).toEqual([]);
    expect(tracker.nextDeadline()).toBeUndefined();
    advance(5000);
    expect(tracker.tick()).toEqual({ violations: [], rebirths: [], mirror: [], stale: [] });
    expect(tracker.node("Plant1", "Welder01")!.rebirths.requested).toBe(0);
  });

  it("a gap not filled within the window is a seq-gap violation and a rebirth request, rate limited", () => {
    const { tracker, advance, now } = setup({ reorderWindowMs: 1000, rebirthMinIntervalMs: 5000 });
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    n.skip(); // seq 1 never arrives
    const opener = n.ndata([n.metric("Cell/Temperature", "Float", 2)]);
    expectClean(tracker.onMessage(opener));
    advance(999);
    expect(tracker.tick().violations).toEqual([]);
    advance(1);
    const t = tracker.tick();
    expect(t.violations).toHaveLength(1);
    expect(t.violations[0]).toMatchObject({
      rule: "seq-gap",
      conformance: "tck-id-payloads-sequence-num-incrementing",
      related: [
        "tck-id-operational-behavior-host-reordering-start",
        "tck-id-operational-behavior-host-reordering-rebirth",
      ],
      topic: "spBv1.0/Plant1/NDATA/Welder01",
      edgeNode: "Welder01",
      time: T0,
    });
    expect(t.violations[0]!.message).toMatch(
      /expected seq 1 before seq 2; not received within the reorder window of 1000 ms/,
    );
    expect(t.violations[0]!.payload).toEqual(opener.payload);
    expect(t.rebirths).toHaveLength(1);
    const cmd = t.rebirths[0]!.command;
    expect(cmd).toMatchObject({ topic: "spBv1.0/Plant1/NCMD/Welder01", qos: 0, retain: false });
    const decoded = decodeSparkplug(cmd.payload);
    expect(decoded.ok && decoded.payload.metrics).toMatchObject([
      { name: "Node Control/Rebirth", datatype: "Boolean", value: true },
    ]);
    expect(decoded.ok && decoded.payload.timestamp).toBe(now());

    // Another gap right away: reported, but no second rebirth inside rebirthMinIntervalMs.
    n.skip();
    tracker.onMessage(n.ndata([n.metric("Cell/Temperature", "Float", 3)]));
    advance(1000);
    const again = tracker.tick();
    expect(rules(again)).toEqual(["seq-gap"]);
    expect(again.rebirths).toEqual([]);
    expect(tracker.node("Plant1", "Welder01")!.rebirths).toMatchObject({ requested: 1, suppressed: 1 });

    advance(5000);
    n.skip();
    tracker.onMessage(n.ndata([n.metric("Cell/Temperature", "Float", 4)]));
    advance(1000);
    expect(tracker.tick().rebirths).toHaveLength(1);
  });

  it("the next message of the node also expires an overdue window (tick not yet called)", () => {
    const { tracker, advance } = setup({ reorderWindowMs: 1000 });
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    n.skip();
    tracker.onMessage(n.ndata([n.metric("Cell/Temperature", "Float", 2)]));
    advance(1500);
    const r = tracker.onMessage(n.ndata([n.metric("Cell/Temperature", "Float", 3)]));
    expect(rules(r)).toEqual(["seq-gap"]);
    expect(r.rebirth?.reason).toBe("seq-gap");
  });

  it("with reorderWindowMs 0 a gap is reported at once", () => {
    const { tracker } = setup({ reorderWindowMs: 0 });
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    n.skip(3);
    const r = tracker.onMessage(n.ndata([n.metric("Cell/Temperature", "Float", 2)]));
    expect(rules(r)).toEqual(["seq-gap"]);
    expect(r.violations[0]!.message).toMatch(/expected seq 1, 2, 3 before seq 4/);
    expect(r.rebirth?.command.topic).toBe("spBv1.0/Plant1/NCMD/Welder01");
  });

  it("a repeated seq is a seq-order violation", () => {
    const { tracker } = setup();
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    const m = n.ndata([n.metric("Cell/Temperature", "Float", 1)]);
    tracker.onMessage(m);
    const r = tracker.onMessage(m);
    expect(rules(r)).toEqual(["seq-order"]);
    expect(r.violations[0]!.message).toMatch(/expected seq 2, got 1/);
  });

  it("seq missing, out of range, and NBIRTH seq other than 0", () => {
    const { tracker } = setup();
    const n = edgeNode();
    const b = tracker.onMessage(n.nbirth([], { seq: 5 }));
    expect(rules(b)).toEqual(["seq-nbirth-zero"]);
    expect(b.violations[0]).toMatchObject({ conformance: "tck-id-topics-nbirth-seq-num" });
    const noSeq = tracker.onMessage({
      ...n.ndata([]),
      payload: encodeSparkplug({ timestamp: T0, metrics: [n.metric("Cell/Temperature", "Float", 1)] }),
    });
    expect(noSeq.violations[0]).toMatchObject({
      rule: "seq-missing",
      conformance: "tck-id-topics-ndata-seq-num",
    });
    const big = tracker.onMessage(n.ndata([n.metric("Cell/Temperature", "Float", 1)], { seq: 256 }));
    expect(big.violations[0]).toMatchObject({
      rule: "seq-range",
      conformance: "tck-id-topics-ndata-seq-num",
    });
  });
});

describe("births and data out of order", () => {
  it("data from an edge node never seen: data-before-birth (warning) and a rebirth request", () => {
    const { tracker } = setup();
    const n = edgeNode();
    n.skip(7);
    const r = tracker.onMessage(n.ndata([n.metric("Cell/Temperature", "Float", 1)]));
    expect(r.violations).toMatchObject([
      { rule: "data-before-birth", conformance: "tck-id-payloads-ndata-order", severity: "warning" },
    ]);
    expect(r.rebirth).toMatchObject({ group: "Plant1", edgeNode: "Welder01", reason: "data-before-birth" });
    // More data right away: reported, rebirth rate limited.
    const r2 = tracker.onMessage(n.ddata("Gun1", [n.metric("Spot/Id", "UInt64", 1)]));
    expect(r2.violations[0]).toMatchObject({
      rule: "data-before-birth",
      conformance: "tck-id-payloads-ddata-order",
    });
    expect(r2.rebirth).toBeUndefined();
    expect(tracker.node("Plant1", "Welder01")).toMatchObject({
      online: false,
      rebirths: { requested: 1, suppressed: 1 },
    });
  });

  it("data after the edge node's death is an error", () => {
    const { tracker } = setup();
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    tracker.onMessage(n.ndeath());
    const r = tracker.onMessage(n.dbirth());
    expect(r.violations).toMatchObject([
      {
        rule: "data-before-birth",
        severity: "error",
        conformance: "tck-id-message-flow-device-birth-publish-nbirth-wait",
      },
    ]);
    expect(r.violations[0]!.message).toMatch(/offline since .* \(ndeath\)/);
    expect(r.rebirth).toBeDefined();
  });

  it("DDATA before DBIRTH: device-data-before-birth and a rebirth request", () => {
    const { tracker } = setup();
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    const r = tracker.onMessage(n.ddata("Gun9", [n.metric("Spot/Id", "UInt64", 1)]));
    expect(r.violations).toMatchObject([
      { rule: "device-data-before-birth", conformance: "tck-id-payloads-ddata-order" },
    ]);
    expect(r.rebirth?.reason).toBe("device-data-before-birth");
  });
});

describe("metric declarations", () => {
  function born() {
    const s = setup();
    const n = edgeNode();
    s.tracker.onMessage(n.nbirth());
    s.tracker.onMessage(n.dbirth());
    return { ...s, n };
  }

  it("an undeclared metric (by name or by alias) is metric-undeclared and asks for a rebirth", () => {
    const { tracker, n } = born();
    const r = tracker.onMessage(
      n.ddata("Gun1", [
        n.metric("Spot/Voltage_V", "Float", 1.2),
        { alias: 99, type: "Float", value: 1, timestamp: T0 },
      ]),
    );
    expect(r.violations).toMatchObject([
      {
        rule: "metric-undeclared",
        conformance: "tck-id-operational-behavior-data-publish-dbirth",
        device: "Gun1",
        metric: '"Spot/Voltage_V"',
      },
    ]);
    expect(r.violations[0]!.message).toMatch(/2 not declared: "Spot\/Voltage_V"; alias 99/);
    expect(r.rebirth?.reason).toBe("model-mismatch");

    const nd = tracker.onMessage(n.ndata([n.metric("Undeclared", "Int32", 1)]));
    expect(nd.violations[0]).toMatchObject({
      rule: "metric-undeclared",
      conformance: "tck-id-operational-behavior-data-publish-nbirth",
    });
  });

  it("a changed datatype is metric-datatype-changed and the value is not taken", () => {
    const { tracker, n } = born();
    const r = tracker.onMessage(
      n.ddata("Gun1", [{ alias: 10, type: "String", value: "9.5", timestamp: T0 }]),
    );
    expect(r.violations).toMatchObject([{ rule: "metric-datatype-changed" }]);
    expect(r.violations[0]!.message).toMatch(/"Spot\/CurrentRMS_kA": Float in the DBIRTH, String here/);
    expect(r.mirror).toBeUndefined();
    expect(
      tracker.device("Plant1", "Welder01", "Gun1")!.metrics.find((m) => m.name === "Spot/CurrentRMS_kA")!
        .value,
    ).toBe(0);
  });

  it("a name where the birth declared an alias is data-name-with-alias", () => {
    const { tracker, n } = born();
    const r = tracker.onMessage(n.ddata("Gun1", [n.metric("Spot/CurrentRMS_kA", "Float", 9.1)]));
    expect(r.violations).toMatchObject([
      { rule: "data-name-with-alias", conformance: "tck-id-payloads-alias-data-cmd-requirement" },
    ]);
    expect(r.mirror).toHaveLength(1); // the value itself is understood and taken
  });

  it("duplicate aliases inside one birth and across NBIRTH and DBIRTH are alias-duplicate", () => {
    const { tracker } = setup();
    const n = edgeNode();
    const b = tracker.onMessage(
      n.nbirth([
        n.metric("Cell/Humidity", "Float", 40, { alias: 1 }),
        n.metric("Cell/Pressure", "Float", 1, { alias: 1 }),
      ]),
    );
    expect(b.violations).toMatchObject([
      { rule: "alias-duplicate", conformance: "tck-id-payloads-alias-uniqueness" },
    ]);
    expect(b.violations[0]!.message).toMatch(
      /alias 1 of "Cell\/Pressure" is already used by "Cell\/Humidity" in this NBIRTH/,
    );
    const d = tracker.onMessage(n.dbirth("Gun1", [n.metric("Spot/Id", "UInt64", 0, { alias: 1 })]));
    expect(d.violations).toMatchObject([{ rule: "alias-duplicate" }]);
    expect(d.violations[0]!.message).toMatch(/already used by "Cell\/Humidity" in the edge node's NBIRTH/);
    // A device re-birthing with its own aliases is not a duplicate.
    const d2 = tracker.onMessage(n.dbirth("Gun2"));
    expectClean(d2);
    expectClean(tracker.onMessage(n.dbirth("Gun2")));
  });

  it("older values (by timestamp) do not replace newer ones", () => {
    const { tracker, n } = born();
    tracker.onMessage(n.ddata("Gun1", [{ alias: 10, type: "Float", value: 2, timestamp: T0 + 20 }]));
    const r = tracker.onMessage(
      n.ddata("Gun1", [{ alias: 10, type: "Float", value: 1, timestamp: T0 + 10 }]),
    );
    expectClean(r);
    expect(r.mirror).toBeUndefined();
    expect(
      tracker.device("Plant1", "Welder01", "Gun1")!.metrics.find((m) => m.name === "Spot/CurrentRMS_kA")!
        .value,
    ).toBe(2);
  });
});

describe("payload rules", () => {
  it("NBIRTH without bdSeq, rebirth metric or timestamps", () => {
    const { tracker } = setup();
    const n = edgeNode();
    const r = tracker.onMessage({
      ...n.nbirth(),
      payload: encodeSparkplug({ seq: 0, metrics: [{ name: "Cell/Temperature", type: "Float", value: 1 }] }),
    });
    expect(rules(r).sort()).toEqual([
      "bdseq-missing",
      "metric-timestamp-missing",
      "rebirth-metric",
      "timestamp-missing",
    ]);
    const byRule = Object.fromEntries(r.violations.map((v) => [v.rule, v.conformance]));
    expect(byRule).toEqual({
      "timestamp-missing": "tck-id-topics-nbirth-timestamp",
      "metric-timestamp-missing": "tck-id-payloads-name-birth-data-requirement",
      "bdseq-missing": "tck-id-topics-nbirth-bdseq-included",
      "rebirth-metric": "tck-id-topics-nbirth-rebirth-metric",
    });
  });

  it("birth metrics without datatype or value, and a rebirth metric that is true", () => {
    const { tracker } = setup();
    const n = edgeNode();
    const r = tracker.onMessage({
      ...n.nbirth(),
      payload: encodeSparkplug({
        timestamp: T0,
        seq: 0,
        metrics: [
          { name: "NoType", type: "nonsense", value: 1, timestamp: T0 },
          { name: "Node Control/Rebirth", type: "Boolean", value: true, timestamp: T0 },
          { name: "bdSeq", type: "UInt64", value: 0, timestamp: T0 },
        ],
      }),
    });
    expect(rules(r).sort()).toEqual(["birth-metric-incomplete", "rebirth-metric"]);
    expect(r.violations.find((v) => v.rule === "birth-metric-incomplete")!.message).toMatch(
      /#1 "NoType" lacks a datatype and a value \(or is_null\)/,
    );
    expect(r.violations.find((v) => v.rule === "rebirth-metric")!.message).toMatch(
      /= false in the NBIRTH, got true/,
    );
  });

  it("QoS and retain per message type", () => {
    const { tracker } = setup();
    const n = edgeNode();
    const b = tracker.onMessage({ ...n.nbirth(), qos: 1, retain: true });
    expect(b.violations).toMatchObject([
      { rule: "mqtt-qos", conformance: "tck-id-topics-nbirth-mqtt" },
      { rule: "mqtt-retain", conformance: "tck-id-topics-nbirth-mqtt" },
    ]);
    const d = tracker.onMessage({ ...n.ddata("Gun1", []), retain: true });
    expect(d.violations[0]).toMatchObject({ rule: "mqtt-retain", conformance: "tck-id-topics-ddata-mqtt" });
    // The Tahu client sends its NDEATH (even the Will) at QoS 0.
    const death = tracker.onMessage(n.ndeath({ qos: 0, will: true }));
    expect(death.violations).toMatchObject([
      { rule: "mqtt-qos", conformance: "tck-id-payloads-ndeath-will-message-qos" },
    ]);
    expect(death.violations[0]!.message).toBe("expected NDEATH at QoS 1, got QoS 0 (MQTT Will)");
  });

  it("NDEATH with a seq or other metrics", () => {
    const { tracker } = setup();
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    const r = tracker.onMessage({
      ...n.ndeath(),
      payload: encodeSparkplug({
        timestamp: T0,
        seq: 3,
        metrics: [
          { name: "bdSeq", type: "UInt64", value: 0 },
          { name: "Extra", type: "Int32", value: 1 },
        ],
      }),
    });
    expect(rules(r).sort()).toEqual(["ndeath-payload", "ndeath-seq"]);
  });

  it("a payload that does not decode is a payload-decode violation", () => {
    const { tracker } = setup();
    const r = tracker.onMessage({
      topic: "spBv1.0/Plant1/NBIRTH/N",
      payload: Buffer.from("{not protobuf"),
      qos: 0,
      retain: false,
    });
    expect(r.violations[0]).toMatchObject({
      rule: "payload-decode",
      conformance: "tck-id-message-flow-edge-node-birth-publish-nbirth-payload",
      group: "Plant1",
      edgeNode: "N",
    });
    expect(r.certificate).toBeUndefined();
  });

  it("a bad topic yields its violation and nothing else", () => {
    const { tracker } = setup();
    const r = tracker.onMessage({
      topic: "spBv1.0/Plant1/NDATA/N/Gun1",
      payload: new Uint8Array(),
      qos: 0,
      retain: false,
      clientId: "c",
    });
    expect(r).toEqual({
      violations: [expect.objectContaining({ rule: "topic-device-id-forbidden", clientId: "c", time: T0 })],
    });
    expect(tracker.snapshot().groups).toEqual([]);
  });
});

describe("commands and device deaths", () => {
  it("NCMD/DCMD: no seq, declared metrics (a SHOULD, so a warning)", () => {
    const { tracker } = setup();
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    tracker.onMessage(n.dbirth());
    const ncmd = (payload: Uint8Array, device?: string): SparkplugIncoming => ({
      topic: device ? `spBv1.0/Plant1/DCMD/Welder01/${device}` : "spBv1.0/Plant1/NCMD/Welder01",
      payload,
      qos: 0,
      retain: false,
      clientId: "scada",
    });
    const ok = tracker.onMessage(
      ncmd(
        encodeSparkplug({
          timestamp: T0,
          metrics: [{ name: "Node Control/Rebirth", type: "Boolean", value: true }],
        }),
      ),
    );
    expectClean(ok);
    const bad = tracker.onMessage(
      ncmd(
        encodeSparkplug({
          timestamp: T0,
          seq: 4,
          metrics: [{ name: "Cell/Setpoint", type: "Float", value: 1 }],
        }),
      ),
    );
    expect(bad.violations.map((v) => [v.rule, v.severity, v.conformance])).toEqual([
      ["cmd-seq", "error", "tck-id-payloads-ncmd-seq"],
      ["metric-undeclared", "warning", "tck-id-operational-behavior-data-commands-ncmd-metric-name"],
    ]);
    expect(bad.rebirth).toBeUndefined();
    const dcmd = tracker.onMessage(
      ncmd(encodeSparkplug({ timestamp: T0, metrics: [{ alias: 10, type: "String", value: "x" }] }), "Gun1"),
    );
    expect(dcmd.violations).toMatchObject([
      {
        rule: "metric-datatype-changed",
        conformance: "tck-id-operational-behavior-data-commands-dcmd-metric-value",
      },
    ]);
  });

  it("a DDEATH marks the device offline at the DDEATH payload's timestamp", () => {
    const { tracker, advance } = setup();
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    tracker.onMessage(n.dbirth());
    advance(5000); // arrives late; the payload says T0
    const r = tracker.onMessage(n.ddeath());
    expect(r.stale).toMatchObject({ device: "Gun1", time: T0 });
    expect(r.mirror?.every((u) => u.timestamp === T0)).toBe(true);
    expect(tracker.device("Plant1", "Welder01", "Gun1")!.lastDeath).toEqual({ time: T0, reason: "ddeath" });
  });
});

describe("bdSeq, Wills and sessions", () => {
  it("NDEATH bdSeq must match the NBIRTH; a late Will of an earlier session is ignored quietly", () => {
    const { tracker } = setup();
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    const wrong = tracker.onMessage(n.ndeath({ bdSeq: 7 }));
    expect(wrong.violations).toMatchObject([
      { rule: "bdseq-mismatch", conformance: "tck-id-payloads-ndeath-bdseq" },
    ]);
    expect(tracker.node("Plant1", "Welder01")!.online).toBe(true);

    n.bdSeq = 1; // next session
    tracker.onMessage(n.ndeath({ bdSeq: 0 })); // kills session 0
    expect(tracker.node("Plant1", "Welder01")!.online).toBe(false);
    expectClean(tracker.onMessage(n.nbirth()));
    const late = tracker.onMessage(n.ndeath({ bdSeq: 0 }));
    expectClean(late);
    expect(tracker.node("Plant1", "Welder01")).toMatchObject({ online: true, bdSeq: 1 });
    expect(tracker.node("Plant1", "Welder01")!.history.at(-1)).toMatchObject({
      event: "death-ignored",
      reason: "NDEATH of an earlier session",
    });
  });

  it("checks the CONNECT's Will against the NBIRTH (Tahu registers it at QoS 0)", () => {
    const { tracker } = setup();
    const n = edgeNode();
    n.bdSeq = 3;
    tracker.onConnect({ clientId: n.clientId, clean: false, will: { ...n.will(0), retain: true } });
    n.bdSeq = 4;
    const r = tracker.onMessage(n.nbirth());
    expect(r.violations.map((v) => [v.rule, v.conformance])).toEqual([
      ["clean-session", "tck-id-principles-persistence-clean-session-311"],
      ["will-qos", "tck-id-message-flow-edge-node-birth-publish-will-message-qos"],
      ["will-retain", "tck-id-message-flow-edge-node-birth-publish-will-message-will-retained"],
      ["bdseq-will-mismatch", "tck-id-topics-nbirth-bdseq-matching"],
    ]);
    // Checked once per connection: a rebirth does not repeat them.
    expectClean(tracker.onMessage(n.nbirth()));

    const other = edgeNode("Plant1", "Welder02", "welder-02");
    tracker.onConnect({ clientId: other.clientId, clean: true, will: null });
    expect(tracker.onMessage(other.nbirth()).violations).toMatchObject([
      { rule: "will-missing", conformance: "tck-id-payloads-ndeath-will-message" },
    ]);
  });

  it("bdSeq rises by one per CONNECT and stays the same for a rebirth in one session", () => {
    const { tracker } = setup();
    const n = edgeNode();
    tracker.onConnect({ clientId: n.clientId, clean: true, will: n.will() });
    tracker.onMessage(n.nbirth());
    n.bdSeq = 5;
    expect(tracker.onMessage(n.nbirth()).violations).toMatchObject([{ rule: "bdseq-rebirth" }]);
    tracker.onMessage(n.ndeath({ bdSeq: 5 }));
    n.bdSeq = 9;
    tracker.onConnect({ clientId: n.clientId, clean: true, will: n.will() });
    expect(tracker.onMessage(n.nbirth()).violations).toMatchObject([
      { rule: "bdseq-increment", conformance: "tck-id-topics-nbirth-bdseq-increment" },
    ]);
    n.bdSeq = 10;
    tracker.onMessage(n.ndeath({ bdSeq: 9 }));
    tracker.onConnect({ clientId: n.clientId, clean: true, will: n.will() });
    expectClean(tracker.onMessage(n.nbirth()));
  });

  it("a session that breaks without an NDEATH Will is declared dead after the grace period", () => {
    const { tracker, advance } = setup({ deathGraceMs: 500 });
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    tracker.onMessage(n.dbirth());
    expect(tracker.onClientGone(n.clientId, { clean: false }).violations).toEqual([]);
    expect(tracker.nextDeadline()).toBe(T0 + 500);
    advance(499);
    expect(tracker.tick().stale).toEqual([]);
    advance(1);
    const t = tracker.tick();
    expect(t.violations).toMatchObject([{ rule: "will-missing", type: "NDEATH", clientId: "welder-01" }]);
    expect(t.stale).toMatchObject([{ reason: "session-ended", devices: ["Gun1"] }]);
    expect(t.mirror.every((u) => u.quality === "stale")).toBe(true);
    expect(tracker.node("Plant1", "Welder01")).toMatchObject({
      online: false,
      lastDeath: { reason: "session-ended" },
    });
    expect(tracker.device("Plant1", "Welder01", "Gun1")).toMatchObject({
      online: false,
      lastDeath: { reason: "node-death" },
    });
  });

  it("a clean DISCONNECT without NDEATH is disconnect-without-ndeath; a Will arriving in the grace period is fine", () => {
    const { tracker } = setup({ deathGraceMs: 0 });
    const n = edgeNode();
    tracker.onMessage(n.nbirth());
    const t = tracker.onClientGone(n.clientId, { clean: true });
    expect(t.violations).toMatchObject([
      {
        rule: "disconnect-without-ndeath",
        conformance: "tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt311",
      },
    ]);

    const s = setup({ deathGraceMs: 1000 });
    const m = edgeNode();
    s.tracker.onMessage(m.nbirth());
    s.tracker.onClientGone(m.clientId);
    const death = s.tracker.onMessage(m.ndeath());
    expectClean(death);
    expect(death.stale?.reason).toBe("will");
    s.advance(2000);
    expect(s.tracker.tick().violations).toEqual([]);
  });

  it("a second client birthing an edge node that is still connected is edge-node-id-duplicate", () => {
    const { tracker } = setup();
    const a = edgeNode("Plant1", "Welder01", "client-a");
    const b = edgeNode("Plant1", "Welder01", "client-b");
    tracker.onMessage(a.nbirth());
    expect(tracker.onMessage(b.nbirth()).violations).toMatchObject([
      {
        rule: "edge-node-id-duplicate",
        conformance: "tck-id-topic-structure-namespace-unique-edge-node-descriptor",
      },
    ]);
  });

  it("keeps the birth/death history bounded", () => {
    const { tracker } = setup({ historyLimit: 4 });
    const n = edgeNode();
    for (let i = 0; i < 10; i++) {
      tracker.onMessage(n.nbirth());
      tracker.onMessage(n.ndeath());
    }
    expect(tracker.node("Plant1", "Welder01")!.history).toHaveLength(4);
  });
});

describe("STATE", () => {
  const state = (payload: string, o: Partial<SparkplugIncoming> = {}): SparkplugIncoming => ({
    topic: "spBv1.0/STATE/scada-1",
    payload: Buffer.from(payload),
    qos: 1,
    retain: true,
    clientId: "scada",
    ...o,
  });

  it("tracks host applications from their JSON STATE", () => {
    const { tracker } = setup();
    const r = tracker.onMessage(state(JSON.stringify({ online: true, timestamp: 5 })));
    expectClean(r);
    expect(r.state).toEqual({ hostId: "scada-1", online: true, timestamp: 5 });
    tracker.onMessage(state(JSON.stringify({ online: false, timestamp: 4 }))); // older: ignored
    expect(tracker.hosts()).toMatchObject([{ hostId: "scada-1", online: true, timestamp: 5 }]);
  });

  it("STATE at QoS 0, not retained, or in the 2.2 string form", () => {
    const { tracker } = setup();
    const r = tracker.onMessage(
      state(JSON.stringify({ online: false, timestamp: 1 }), { qos: 0, retain: false }),
    );
    expect(r.violations.map((v) => v.conformance)).toEqual([
      "tck-id-host-topic-phid-death-qos",
      "tck-id-host-topic-phid-death-retain",
    ]);
    const legacy = tracker.onMessage(state("ONLINE"));
    expect(legacy.violations).toMatchObject([
      { rule: "state-payload", conformance: "tck-id-host-topic-phid-birth-payload" },
    ]);
    expect(legacy.violations[0]!.message).toMatch(/Sparkplug 2.2/);
  });

  it("asks to republish when its own host is reported offline", () => {
    const { tracker } = setup({ hostId: "scada-1" });
    expect(tracker.onMessage(state(JSON.stringify({ online: false, timestamp: 9 }))).republishState).toBe(
      true,
    );
  });
});
