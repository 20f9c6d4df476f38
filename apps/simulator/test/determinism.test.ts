import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BAD_KINDS } from "../src/bad-traffic.js";
import { createImageStore } from "../src/image-store.js";
import type { WeldSpotPayload } from "../src/messages.js";
import { createPlant } from "../src/plant.js";
import { createTraffic, type TrafficOptions } from "../src/traffic.js";

const dir = mkdtempSync(join(tmpdir(), "uns-sim-det-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(options: TrafficOptions, n: number) {
  const traffic = createTraffic(createPlant(), { imageStore: createImageStore(dir), ...options });
  return Array.from({ length: n }, () => traffic.next());
}

describe("repeatability", () => {
  const fixed: TrafficOptions = {
    seed: "repeat-me",
    startTime: Date.parse("2026-03-02T06:00:00Z"),
    badRate: 0.05,
    badKinds: BAD_KINDS,
    // A fixed start time must keep payloads off the wall clock entirely.
    now: () => {
      throw new Error("wall clock read with a fixed start time");
    },
  };

  it("gives byte-identical traffic (topics, payloads, images) for the same seed", () => {
    const a = run(fixed, 4000);
    const b = run(fixed, 4000);
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) {
      expect(b[i]!.topic).toBe(a[i]!.topic);
      expect(b[i]!.kind).toBe(a[i]!.kind);
      expect(b[i]!.payload.equals(a[i]!.payload), `message ${i} on ${a[i]!.topic}`).toBe(true);
    }
    // Image events carry the checksum of the PNG written, so the images are identical too.
    expect(a.some((m) => m.channel === "imageEvent")).toBe(true);
  });

  it("gives different traffic for another seed", () => {
    const a = run(fixed, 300);
    const b = run({ ...fixed, seed: "another" }, 300);
    const same = a.filter((m, i) => m.payload.equals(b[i]!.payload)).length;
    expect(same).toBeLessThan(a.length / 2);
  });

  it("keeps the weld physics the same when channels or bad traffic change", () => {
    const spots = (options: TrafficOptions) =>
      run(options, 3000)
        .filter((m) => m.channel === "weldSpot" && m.kind === "valid")
        .map((m) => JSON.parse(m.payload.toString()) as WeldSpotPayload)
        .map((p) => `${p.source.controller}#${p.seq}:${p.measured.energy}`);
    const all = spots({ ...fixed, badRate: 0 });
    const only = new Set(spots({ ...fixed, badRate: 0.2, channels: ["weldSpot"] }));
    expect(all.filter((s) => only.has(s)).length).toBeGreaterThan(all.length * 0.7);
  });

  it("stamps messages with the wall clock when no start time is given", () => {
    let clock = Date.parse("2030-01-01T00:00:00Z");
    const messages = run({ seed: 3, now: () => (clock += 5) }, 50);
    const spot = messages.find((m) => m.channel === "weldSpot")!;
    const p = JSON.parse(spot.payload.toString()) as WeldSpotPayload;
    expect(p.time.end.startsWith("2030-01-01T00:00:00")).toBe(true);
  });
});
