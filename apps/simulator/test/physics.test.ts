import { describe, expect, it } from "vitest";
import type { WeldSpotPayload, WeldSpotTruthPayload } from "../src/messages.js";
import { createPlant } from "../src/plant.js";
import { DEFAULT_PROGRAMS } from "../src/plant-config.js";
import { createRng } from "../src/prng.js";
import { createTraffic } from "../src/traffic.js";
import { simulateSpot, type WeldFault, type WeldProgram } from "../src/weld-physics.js";

/** Spots with their ground truth, from the default plant. */
function spots(n: number, seed = 5) {
  const traffic = createTraffic(createPlant(), {
    seed,
    startTime: Date.parse("2026-03-02T06:00:00Z"),
    channels: ["weldSpot", "weldSpotTruth"],
  });
  const truths = new Map<string, WeldSpotTruthPayload>();
  const out: { spot: WeldSpotPayload; truth: WeldSpotTruthPayload; topic: string }[] = [];
  const pending: { p: WeldSpotPayload; topic: string }[] = [];
  while (out.length < n) {
    const m = traffic.next();
    const p = JSON.parse(m.payload.toString());
    if (m.channel === "weldSpotTruth") truths.set(`${p.spot.controller}#${p.spot.seq}`, p);
    else pending.push({ p, topic: m.topic });
    while (pending.length > 0) {
      const { p: s, topic } = pending[0]!;
      const t = truths.get(`${s.source.controller}#${s.seq}`);
      if (!t) break;
      out.push({ spot: s, truth: t, topic });
      pending.shift();
    }
  }
  return out;
}

/** Largest fall of the resistance over two resampled points, relative, after the contact phase. */
function largestDrop(r: number[]): number {
  let drop = 0;
  for (let i = Math.ceil(r.length * 0.15); i + 2 < r.length; i++) {
    const a = r[i]!;
    const b = r[i + 2]!;
    if (a > 0 && b > 0) drop = Math.max(drop, (a - b) / a);
  }
  return drop;
}

/** The beta peak: rise from the post-contact minimum to the peak, and fall from the peak to the end. */
function betaPeak(r: number[]): { rise: number; fall: number; at: number } {
  const from = Math.ceil(r.length * 0.1);
  const on = r.map((v, i) => ({ v, i })).filter((p) => p.i >= from && p.v > 0);
  const peak = on.reduce((a, b) => (b.v > a.v ? b : a));
  const before = on.filter((p) => p.i <= peak.i);
  const min = before.reduce((a, b) => (b.v < a.v ? b : a));
  const end = on[on.length - 1]!;
  return { rise: (peak.v - min.v) / peak.v, fall: (peak.v - end.v) / peak.v, at: peak.i / r.length };
}

describe("weld spot curves", () => {
  const sample = spots(4000);

  it("show a beta peak in good spots", () => {
    const good = sample.filter(
      (s) => s.truth.fault === "none" && s.truth.quality === "ok" && !s.spot.measured.expulsion,
    );
    expect(good.length).toBeGreaterThan(3000);
    const peaks = good.map((s) => betaPeak(s.spot.curves.resistance.values));
    const clear = peaks.filter((p) => p.rise > 0.1 && p.fall > 0.05 && p.at > 0.2 && p.at < 0.95);
    expect(clear.length / good.length).toBeGreaterThan(0.95);
    // And no sudden drop: good spots fall smoothly after the peak.
    const jumpy = good.filter((s) => largestDrop(s.spot.curves.resistance.values) > 0.08);
    expect(jumpy.length / good.length).toBeLessThan(0.01);
  });

  it("show a sudden resistance drop in expulsion spots", () => {
    const expelled = sample.filter((s) => s.truth.expulsion && s.spot.measured.expulsion);
    expect(expelled.length).toBeGreaterThan(30);
    for (const s of expelled) {
      expect(largestDrop(s.spot.curves.resistance.values), `${s.spot.spotId} #${s.spot.seq}`).toBeGreaterThan(
        0.1,
      );
      expect(s.spot.measured.expulsionTime).not.toBeNull();
      expect(s.spot.measured.stabilityFactor).toBeLessThan(0.7);
    }
    // The controller's expulsion flag agrees with the truth almost always.
    const flagged = sample.filter((s) => s.spot.measured.expulsion === s.truth.expulsion).length;
    expect(flagged / sample.length).toBeGreaterThan(0.99);
  });

  it("give cold welds low energy and no acceptable nugget", () => {
    const cold = sample.filter((s) => s.truth.fault === "cold-weld");
    expect(cold.length).toBeGreaterThan(3);
    for (const s of cold) {
      const peers = sample.filter(
        (o) =>
          o.truth.fault === "none" &&
          o.spot.program === s.spot.program &&
          o.spot.source.controller === s.spot.source.controller,
      );
      const meanEnergy = peers.reduce((a, o) => a + o.spot.measured.energy, 0) / peers.length;
      expect(s.spot.measured.energy).toBeLessThan(0.8 * meanEnergy);
      expect(s.truth.quality).toBe("nok");
    }
  });

  it("let electrode wear grow over the dress interval and reset at dressing", () => {
    const byGun = new Map<string, WeldSpotPayload[]>();
    for (const s of sample) {
      // Controller ids are unique within a line; the topic names the site and line.
      const key = `${s.topic} ${s.spot.source.controller}`;
      const list = byGun.get(key) ?? [];
      list.push(s.spot);
      byGun.set(key, list);
    }
    let dressings = 0;
    for (const list of byGun.values()) {
      for (let i = 1; i < list.length; i++) {
        const a = list[i - 1]!.electrode;
        const b = list[i]!.electrode;
        if (b.spotsSinceDress === 0) {
          dressings++;
          expect(b.tipDiameter).toBeLessThan(a.tipDiameter);
        } else {
          expect(b.spotsSinceDress).toBe(a.spotsSinceDress + 1);
          expect(b.tipDiameter).toBeGreaterThanOrEqual(a.tipDiameter);
          expect(list[i]!.schedule.stepper).toBeGreaterThanOrEqual(list[i - 1]!.schedule.stepper);
        }
      }
    }
    expect(dressings).toBeGreaterThan(5);
  });
});

describe("fault signatures, spot by spot", () => {
  const program = DEFAULT_PROGRAMS[0] as WeldProgram;
  const run = (fault: WeldFault, tipDiameter = 6.1, n = 200) => {
    const rng = createRng(`faults-${fault}-${tipDiameter}`);
    return Array.from({ length: n }, () =>
      simulateSpot({ program, electrode: { tipDiameter, stepper: 1.01 }, fault, points: 90 }, rng),
    );
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  it("shunting lowers the resistance seen and the nugget", () => {
    const normal = run("none");
    const shunted = run("shunting");
    expect(mean(shunted.map((s) => s.measured.peakResistance))).toBeLessThan(
      0.9 * mean(normal.map((s) => s.measured.peakResistance)),
    );
    expect(mean(shunted.map((s) => s.truth.nuggetDiameter))).toBeLessThan(
      0.8 * mean(normal.map((s) => s.truth.nuggetDiameter)),
    );
  });

  it("worn tips give smaller nuggets than fresh ones", () => {
    const fresh = mean(run("none", 6.0).map((s) => s.truth.nuggetDiameter));
    const worn = mean(run("none", 7.2).map((s) => s.truth.nuggetDiameter));
    expect(worn).toBeLessThan(fresh * 0.5);
  });

  it("expulsion is always followed by a resistance drop", () => {
    for (const s of run("expulsion").filter((x) => x.truth.expulsion && x.measured.expulsion)) {
      expect(largestDrop(s.curves.resistance)).toBeGreaterThan(0.1);
    }
  });
});
