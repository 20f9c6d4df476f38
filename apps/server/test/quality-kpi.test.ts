// OEE on hand-made state and count streams whose answers are known, stored in a real PGlite
// store and read back through the same queries the API uses.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStore, type Store } from "@uns/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKpiEngine } from "../src/quality/kpi-engine.js";
import { createWeldSpotTally, weldSpotFacts } from "../src/quality/weld-spot-tally.js";

const T0 = Date.parse("2026-03-02T06:00:00.000Z");
const min = (m: number) => T0 + m * 60_000;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const L1 = "acme/neckarsulm/body-shop/line-01";
const L2 = "acme/neckarsulm/body-shop/line-02";

function state(s: string, reason: string | null = null) {
  return enc({
    line: "x",
    state: s,
    reason,
    since: new Date(T0).toISOString(),
    speed: 60,
    plannedCycleTime: 60,
    time: new Date(T0).toISOString(),
  });
}
function counts(shift: string, total: number, good: number, ict = 60) {
  return enc({
    line: "x",
    shift,
    shiftStart: new Date(T0).toISOString(),
    total,
    good,
    bad: total - good,
    plannedTime: 0,
    runTime: 0,
    idealCycleTime: ict,
    time: new Date(T0).toISOString(),
  });
}

/** Heartbeats every 10 s from `from` to `to` (minutes) in one state, ticking the engine. */
function run(engine: ReturnType<typeof createKpiEngine>, line: string, s: string, from: number, to: number) {
  for (let t = min(from); t < min(to); t += 10_000) {
    engine.tick(t);
    engine.observe("lineState", `${line}/state`, state(s, s === "running" ? null : "test"), t);
  }
  engine.tick(min(to));
}

describe("OEE from hand-made streams", () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "uns-kpi-"));
    store = await createStore({ dataDir: dir, flushIntervalMs: 50 });
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("line 1: planned stop excluded, counter reset at shift change, a gap is unknown", async () => {
    const e = createKpiEngine({ staleAfterMs: 30_000, minNuggetDiameterMm: 4 });
    // 0-40 running, 40-50 stopped (unplanned), 50-60 maintenance (planned), 60-70 no messages,
    // 70-80 running again.
    run(e, L1, "running", 0, 40);
    run(e, L1, "stopped", 40, 50);
    run(e, L1, "maintenance", 50, 60);
    // Silence from minute 60: the last heartbeat was at 59:50, fresh for 30 s, so unknown from
    // 60:20 to 70:00.
    e.tick(min(70));
    run(e, L1, "running", 70, 80);
    // Counts: baseline 100 at minute 1, 130 at minute 39 (30 bodies, 27 good), then the counter is
    // reset at a shift change: 8 bodies (8 good) at minute 79.
    e.observe("lineCounts", `${L1}/counts`, counts("2026-03-02-a", 100, 95), min(1));
    e.observe("lineCounts", `${L1}/counts`, counts("2026-03-02-a", 130, 122), min(39));
    e.observe("lineCounts", `${L1}/counts`, counts("2026-03-02-b", 8, 8), min(79));
    await store.writeQuality(e.drain(min(80)));

    const [g] = await store.oeeBreakdown({
      scope: L1,
      depth: 4,
      from: new Date(min(0)),
      to: new Date(min(80)),
    });
    expect(g).toBeDefined();
    // running 40 + 10 min; unplanned 10 min; planned 10 min + 20 s (stale heartbeat window).
    expect(g!.runningMs).toBe(50 * 60_000);
    expect(g!.downMs).toBe(10 * 60_000);
    expect(g!.plannedStopMs).toBe(10 * 60_000 + 20_000);
    expect(g!.unknownMs).toBe(9 * 60_000 + 40_000);
    expect(g!.produced).toBe(38);
    expect(g!.good).toBe(35);
    expect(g!.counterResets).toBe(1);
    expect(g!.availability).toBeCloseTo(50 / 60, 10);
    expect(g!.performance).toBeCloseTo((38 * 60) / (50 * 60), 10);
    expect(g!.quality).toBeCloseTo(35 / 38, 10);
    expect(g!.oee).toBeCloseTo((50 / 60) * (38 / 50) * (35 / 38), 10);
    expect(g!.performanceOver100).toBe(false);

    // Per shift: the reset at the shift change starts shift b's count from zero.
    const shifts = await store.oeeByShift({ scope: L1, from: new Date(min(0)), to: new Date(min(80)) });
    expect(shifts.map((x) => [x.shift, x.produced, x.good])).toEqual([
      ["2026-03-02-a", 30, 27],
      ["2026-03-02-b", 8, 8],
    ]);

    const timeline = await store.lineTimeline({ line: L1, from: new Date(min(0)), to: new Date(min(80)) });
    expect(timeline.map((s) => s.state)).toEqual(["running", "stopped", "maintenance", "unknown", "running"]);
    expect(timeline[3]!.from).toBe(new Date(min(60) + 20_000).toISOString());
  });

  it("rolls up by summing times and counts, where averaging the percentages would be wrong", async () => {
    const e = createKpiEngine({ staleAfterMs: 30_000, minNuggetDiameterMm: 4 });
    // Line 2 runs the whole 80 minutes but makes mostly bad bodies; ideal cycle time 30 s makes
    // its performance 120 %: flagged, not capped.
    run(e, L2, "running", 0, 80);
    e.observe("lineCounts", `${L2}/counts`, counts("2026-03-02-a", 0, 0, 30), min(0));
    e.observe("lineCounts", `${L2}/counts`, counts("2026-03-02-a", 192, 48, 30), min(79));
    await store.writeQuality(e.drain(min(80)));

    const window = { from: new Date(min(0)), to: new Date(min(80)) };
    const [l2] = await store.oeeBreakdown({ scope: L2, depth: 4, ...window });
    expect(l2!.performance).toBeCloseTo(1.2, 10);
    expect(l2!.performanceOver100).toBe(true);
    expect(l2!.quality).toBeCloseTo(0.25, 10);

    const [area] = await store.oeeBreakdown({ scope: "acme/neckarsulm", depth: 3, ...window });
    const byLine = await store.oeeBreakdown({ scope: "acme/neckarsulm", depth: 4, ...window });
    expect(byLine.map((r) => r.path)).toEqual([L1, L2]);
    // Summed: good 35 + 48 over produced 38 + 192.
    expect(area!.quality).toBeCloseTo(83 / 230, 10);
    const averaged = (byLine[0]!.quality! + byLine[1]!.quality!) / 2;
    expect(Math.abs(averaged - area!.quality!)).toBeGreaterThan(0.2);
    // Availability: running 50 + 80 over busy 60 + 80.
    expect(area!.availability).toBeCloseTo(130 / 140, 10);
    expect(area!.performance).toBeCloseTo((38 * 60 + 192 * 30) / (130 * 60), 10);
  });

  it("series: buckets without data are unknown, not downtime; the current hour is downsampled in SQL", async () => {
    const points = await store.oeeSeries({
      scope: L1,
      bucketSeconds: 600,
      from: new Date(min(0)),
      to: new Date(min(100)),
    });
    expect(points).toHaveLength(10);
    expect(points[0]!.runningMs).toBe(600_000);
    expect(points[9]!.unknownMs).toBe(600_000);
    expect(points[9]!.availability).toBeNull();
    // Hourly buckets come from the hourly roll-up: the same sums as the minutes.
    const hourly = await store.oeeSeries({
      scope: L1,
      bucketSeconds: 3600,
      from: new Date(min(0)),
      to: new Date(min(120)),
    });
    expect(hourly.map((p) => [p.runningMs, p.downMs, p.produced])).toEqual([
      [40 * 60_000, 10 * 60_000, 30],
      [10 * 60_000, 0, 8],
    ]);
    await expect(
      store.oeeSeries({ scope: L1, bucketSeconds: 90, from: new Date(min(0)), to: new Date(min(10)) }),
    ).rejects.toMatchObject({ code: "UNS_ERR_STORE_ARGUMENT" });
  });

  it("weld quality, gate decisions and defects feed the cell table, the Pareto and the body trace", async () => {
    const e = createKpiEngine({ staleAfterMs: 30_000, minNuggetDiameterMm: 4 });
    const cellTopic = `${L1}/cell-010/results/weld-quality`;
    for (let i = 0; i < 10; i++) {
      e.observe(
        "weldQuality",
        cellTopic,
        enc({
          spot: { controller: "c1", seq: i, bodyId: "NSU01-0000042", spotId: `S-${i}` },
          predictedNuggetDiameter: i < 2 ? 3.5 : 5.5,
          anomalyScore: i === 9 ? 0.9 : 0.01,
          anomalyThreshold: 0.05,
          anomaly: i === 9,
          verdict: i < 2 ? "nok" : "ok",
          model: { name: "m", version: "1" },
          time: new Date(min(90)).toISOString(),
        }),
        min(90) + i,
      );
    }
    e.observe(
      "checkGateDecision",
      `${L1}/cell-010/results/check-gate`,
      enc({
        gate: "weld-quality",
        bodyId: "NSU01-0000042",
        decision: "correct",
        reason: "2 spots nok",
        evidence: [{ kind: "weld-quality", ref: "S-0" }],
        decidedBy: { name: "r", version: "1" },
        time: "x",
      }),
      min(90) + 100,
    );
    await store.writeQuality(e.drain(min(91)));
    const w = { from: new Date(min(85)), to: new Date(min(95)) };
    const [cell] = await store.cellQuality({ scope: L1, ...w });
    expect(cell).toMatchObject({
      cell: "cell-010",
      scored: 10,
      nokRate: 0.2,
      anomalyRate: 0.1,
      belowLimitRate: 0.2,
    });
    expect(cell!.meanDiameter).toBeCloseTo((2 * 3.5 + 8 * 5.5) / 10, 10);
    const pareto = await store.tallies({ scope: L1, kind: "defect", ...w });
    expect(pareto.map((p) => [p.name, p.count])).toEqual([
      ["nugget-too-small", 2],
      ["weld-nok", 2],
      ["anomaly", 1],
    ]);
    const gates = await store.tallies({ scope: L1, kind: "gate", by: "source", ...w });
    expect(gates).toEqual([{ name: "weld-quality", source: "correct", cell: null, count: 1 }]);
    const trace = await store.bodyTrace("NSU01-0000042");
    expect(trace.filter((t) => t.kind === "weld-quality")).toHaveLength(10);
    expect(trace.at(-1)).toMatchObject({ kind: "gate", ref: "weld-quality", data: { decision: "correct" } });
  });
});

describe("weld spots counted where they are judged", () => {
  it("gives the same rows as counting them one by one on the event loop", () => {
    const topic = `${L1}/cell-020/weld-spot`;
    const spot = (i: number) =>
      enc({
        spotId: `s-${i}`,
        expulsion: i % 7 === 0,
        electrode: { wear: i % 5 === 0 ? undefined : i / 100 },
      });
    const oneByOne = createKpiEngine({ staleAfterMs: 30_000, minNuggetDiameterMm: 4 });
    const judged = createKpiEngine({ staleAfterMs: 30_000, minNuggetDiameterMm: 4 });
    const tally = createWeldSpotTally();
    for (let i = 0; i < 150; i++) {
      const t = min(120) + i * 1000; // 150 s: three minutes
      oneByOne.observe("weldSpot", topic, spot(i), t);
      tally.add(topic, spot(i), t);
      // A worker's batch is cut now and then; the counts must add up across cuts.
      if (i % 40 === 39) judged.observeWeldSpots(tally.cut());
    }
    judged.observeWeldSpots(tally.cut());
    const a = oneByOne.drain(min(130));
    const b = judged.drain(min(130));
    // Sums of wear in another order differ in the last bits only.
    const rounded = (rows: typeof a.cellMinutes) =>
      rows.map((r) => ({ ...r, wearSum: r.wearSum.toFixed(9) }));
    expect(rounded(b.cellMinutes)).toEqual(rounded(a.cellMinutes));
    expect(b.tallies).toEqual(a.tallies);
    expect(a.cellMinutes.map((r) => r.welded)).toEqual([60, 60, 30]);
    expect(a.cellMinutes.reduce((n, r) => n + r.expulsions, 0)).toBe(22);
    expect(a.tallies.reduce((n, r) => n + r.count, 0)).toBe(22);
    expect(a.cellMinutes.reduce((n, r) => n + r.wearCount, 0)).toBe(120);
    expect(judged.lastSeen("weldSpot", L1)).toBe(oneByOne.lastSeen("weldSpot", L1));
  });

  it("reads expulsion and wear from compact and pretty-printed spots, and nothing from a spot without them", () => {
    const spot = { spotId: "s", expulsion: true, electrode: { wear: 0.125 } };
    const pretty = new TextEncoder().encode(JSON.stringify(spot, null, 2));
    expect(weldSpotFacts(enc(spot))).toEqual({ expulsion: true, wear: 0.125 });
    expect(weldSpotFacts(pretty)).toEqual({ expulsion: true, wear: 0.125 });
    expect(weldSpotFacts(enc({ ...spot, expulsion: false }))).toMatchObject({ expulsion: false });
    const none = weldSpotFacts(enc({ spotId: "s" }));
    expect(none.expulsion).toBe(false);
    expect(none.wear).toBeNaN();
  });
});
