import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BAD_KINDS,
  corruptJson,
  mutateWeldSpotVariant,
  mutationVariants,
  type SchemaBadKind,
} from "../src/bad-traffic.js";
import { DEFAULT_PLANT_INPUT } from "../src/default-plant.js";
import { createImageStore } from "../src/image-store.js";
import type { WeldSpotPayload } from "../src/messages.js";
import { createPlant } from "../src/plant.js";
import { createRng } from "../src/prng.js";
import { createTraffic, type SimMessage } from "../src/traffic.js";
import { type ChannelInfo, channelOfTopic, loadChannels, loadTree, matchAddress } from "./contracts.js";

const START = Date.parse("2026-03-02T06:00:00Z");
let channels: Map<string, ChannelInfo>;
let imageDir: string;
beforeAll(() => {
  channels = loadChannels();
  imageDir = mkdtempSync(join(tmpdir(), "uns-sim-images-"));
});
afterAll(() => rmSync(imageDir, { recursive: true, force: true }));

/** Judges a message the way a governed broker would: topic in the tree, JSON, schema. */
function judge(m: SimMessage): "valid" | "invalid" {
  const channel = channelOfTopic(loadTreeOnce(), m.topic);
  if (channel === null) return "invalid";
  let payload: unknown;
  try {
    payload = JSON.parse(m.payload.toString("utf8"));
  } catch {
    return "invalid";
  }
  const c = channels.get(channel)!;
  if (!matchAddress(c, m.topic)) return "invalid";
  return c.validate(payload) ? "valid" : "invalid";
}
let tree: ReturnType<typeof loadTree> | undefined;
const loadTreeOnce = () => (tree ??= loadTree());

function take(n: number, badRate: number, seed = 11): SimMessage[] {
  const traffic = createTraffic(createPlant(), {
    seed,
    startTime: START,
    badRate,
    badKinds: BAD_KINDS,
    imageStore: createImageStore(imageDir),
  });
  return Array.from({ length: n }, () => traffic.next());
}

describe("simulated traffic against the contracts", () => {
  it("is entirely valid at bad-rate 0, on every channel", () => {
    const messages = take(6000, 0);
    const seen = new Set(messages.map((m) => m.channel));
    for (const ch of ["weldSpot", "weldSpotTruth", "imageEvent", "lineState", "lineCounts"]) {
      expect(seen.has(ch as never), `no ${ch} in 6000 messages`).toBe(true);
    }
    const invalid = messages.filter((m) => judge(m) !== "valid");
    const detail = invalid.slice(0, 3).map((m) => {
      const c = channels.get(m.channel)!;
      c.validate(JSON.parse(m.payload.toString()));
      return `${m.topic}: ${JSON.stringify(c.validate.errors)}`;
    });
    expect(detail).toEqual([]);
    expect(messages.every((m) => m.kind === "valid")).toBe(true);
  });

  it("is valid for alarms, line stops and counts of a plant full of faults", () => {
    const config = structuredClone(DEFAULT_PLANT_INPUT) as Record<string, unknown>;
    config.process = {
      spotsPerGun: 4,
      tipDressInterval: 20,
      tipChangeAfter: 3,
      faults: { expulsion: 0.3, coldWeld: 0.05, shunting: 0.05, dresserFailure: 0.3 },
      lineStop: { probability: 0.2, minCycles: 1, maxCycles: 3 },
      heartbeatCycles: 2,
    };
    const traffic = createTraffic(createPlant(config), {
      seed: 2,
      startTime: START,
      channels: ["alarm", "lineState", "lineCounts"],
    });
    const messages = Array.from({ length: 3000 }, () => traffic.next());
    const codes = new Set<string>();
    const states = new Set<string>();
    for (const m of messages) {
      expect(judge(m), `${m.topic} ${m.payload}`).toBe("valid");
      const p = JSON.parse(m.payload.toString());
      if (m.channel === "alarm") codes.add(`${p.code}:${p.state}`);
      if (m.channel === "lineState") states.add(p.state);
    }
    for (const code of ["TIP-DRESS-FAILED", "TIP-CHANGE", "EXPULSION-STREAK"]) {
      expect(codes.has(`${code}:raised`), code).toBe(true);
      expect(codes.has(`${code}:cleared`), code).toBe(true);
    }
    expect(states.has("running")).toBe(true);
    expect(states.size).toBeGreaterThan(1);
  });

  it("has about 5 % invalid weld spots at bad-rate 0.05, and every bad one is invalid", () => {
    const messages = take(12_000, 0.05).filter((m) => m.channel === "weldSpot" || m.kind === "unauthorized");
    expect(messages.length).toBeGreaterThan(5000);
    let invalid = 0;
    const missed: string[] = [];
    for (const m of messages) {
      const verdict = judge(m);
      if (m.kind === "unauthorized") {
        // Valid payload on a results topic: only the publisher's rights make it bad.
        expect(verdict, "unauthorized publishes carry a valid weld-quality payload").toBe("valid");
        expect(m.topic.endsWith("/results/weld-quality")).toBe(true);
        invalid++;
        continue;
      }
      if (verdict === "invalid") invalid++;
      if ((verdict === "invalid") !== (m.kind !== "valid")) missed.push(`${m.kind} judged ${verdict}`);
    }
    expect(missed).toEqual([]);
    const share = invalid / messages.length;
    expect(share).toBeGreaterThan(0.03);
    expect(share).toBeLessThan(0.07);
    const kinds = new Set(messages.map((m) => m.kind));
    for (const k of BAD_KINDS) expect(kinds.has(k), `no ${k}`).toBe(true);
  });

  it("makes every schema mutation variant invalid, whatever the spot", () => {
    const spots = take(3000, 0)
      .filter((m) => m.channel === "weldSpot")
      .slice(0, 40)
      .map((m) => m.payload.toString());
    const schema = channels.get("weldSpot")!;
    const rng = createRng("mutations");
    const kinds: SchemaBadKind[] = [
      "missing-field",
      "wrong-type",
      "out-of-range",
      "wrong-unit",
      "extra-field",
    ];
    for (const kind of kinds) {
      for (let v = 0; v < mutationVariants(kind); v++) {
        for (const text of spots) {
          const payload = JSON.parse(text) as WeldSpotPayload;
          mutateWeldSpotVariant(payload, kind, v, rng);
          const roundTrip = JSON.parse(JSON.stringify(payload));
          expect(schema.validate(roundTrip), `${kind} variant ${v} passed validation`).toBe(false);
        }
      }
    }
  });

  it("never lets malformed JSON parse", () => {
    const text = take(200, 0)
      .find((m) => m.channel === "weldSpot")!
      .payload.toString();
    const rng = createRng("json");
    for (let i = 0; i < 500; i++) expect(() => JSON.parse(corruptJson(text, rng))).toThrow();
  });
});
