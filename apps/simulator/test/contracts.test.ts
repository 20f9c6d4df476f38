import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Parser } from "@asyncapi/parser";
import { beforeAll, describe, expect, it } from "vitest";
import { CHANNELS, type ChannelId, DEVICE_CHANNELS } from "../src/channels.js";
import { createPlant } from "../src/plant.js";
import { STRAY_TOPIC_VARIANTS } from "../src/topics.js";
import {
  ASYNCAPI_DIR,
  type ChannelInfo,
  channelOfTopic,
  filterMatches,
  loadAccess,
  loadChannels,
  loadDocuments,
  loadTree,
  matchAddress,
  treeLeaves,
  type Yaml,
} from "./contracts.js";

/** Channels the UNS server publishes itself (not the plant): alerts (asyncapi/alerts.yaml). */
const SERVER_CHANNELS = new Set(["unsAlert"]);

let channels: Map<string, ChannelInfo>;
beforeAll(() => {
  channels = loadChannels();
});

describe("AsyncAPI documents", () => {
  it("parse with the reference parser without errors or warnings", async () => {
    const parser = new Parser();
    for (const { file } of loadDocuments()) {
      const text = readFileSync(join(ASYNCAPI_DIR, file), "utf8");
      const { document, diagnostics } = await parser.parse(text, { source: file });
      // Severity 0 = error, 1 = warning; 2 and 3 are hints (e.g. "3.1.0 exists").
      const problems = diagnostics
        .filter((d) => d.severity <= 1)
        .map((d) => `${d.code}: ${d.message} at ${d.path.join(".")}`);
      expect(problems, file).toEqual([]);
      expect(document, file).toBeDefined();
      expect(document!.version()).toBe("3.0.0");
    }
  });

  it("have every message example valid against its payload schema", () => {
    let examples = 0;
    for (const channel of channels.values()) {
      expect(channel.examples.length, `${channel.id} has no example`).toBeGreaterThan(0);
      for (const example of channel.examples) {
        const ok = channel.validate(example.payload);
        expect(
          channel.validate.errors ?? [],
          `${channel.file} ${channel.id} example ${example.name}`,
        ).toEqual([]);
        expect(ok).toBe(true);
        examples++;
      }
    }
    expect(examples).toBeGreaterThanOrEqual(channels.size);
  });

  it("have unique channel ids, the ones the simulator knows, at the addresses it builds", () => {
    expect([...channels.keys()].filter((id) => !SERVER_CHANNELS.has(id)).sort()).toEqual(
      Object.keys(CHANNELS).sort(),
    );
    for (const [id, def] of Object.entries(CHANNELS)) {
      const base = "{enterprise}/{site}/{area}/{line}";
      const expected = def.level === "cell" ? `${base}/{cell}/${def.leaf}` : `${base}/${def.leaf}`;
      expect(channels.get(id)!.address, id).toBe(expected);
    }
  });

  it("state a unit for every number in the weld-spot payload", () => {
    const doc = loadDocuments().find((d) => d.file === "weld-spot.yaml")!.doc;
    const missing: string[] = [];
    const unitless = new Set(["seq", "program", "pulses", "tipDressCount", "spotsSinceDress", "points"]);
    const walk = (schema: Yaml, path: string) => {
      if (!schema || typeof schema !== "object") return;
      if (schema.$ref) return walk(resolve(schema.$ref), path);
      const types = [schema.type].flat();
      const name = path.split(".").pop()!;
      if (
        (types.includes("number") || (types.includes("integer") && !unitless.has(name))) &&
        !schema["x-unit"]
      ) {
        // Items of a curve carry the unit on the array.
        if (!path.endsWith("[]")) missing.push(path);
      }
      if (types.includes("array") && schema.items?.type === "number" && !schema["x-unit"]) missing.push(path);
      for (const [k, v] of Object.entries<Yaml>(schema.properties ?? {})) walk(v, `${path}.${k}`);
      if (schema.items) walk(schema.items, `${path}[]`);
    };
    const resolve = (ref: string) =>
      ref
        .replace("#/", "")
        .split("/")
        .reduce((n: Yaml, p) => n[p], doc);
    walk(doc.components.schemas.WeldSpot, "WeldSpot");
    walk(doc.components.schemas.WeldSpotTruth, "WeldSpotTruth");
    expect(missing).toEqual([]);
  });
});

describe("topic tree and contracts", () => {
  it("map every leaf to a known channel and every channel to a leaf with its own name", () => {
    const leaves = treeLeaves(loadTree());
    const unknown = leaves
      .filter((l) => !channels.has(l.channel))
      .map((l) => `${l.keys.join("/")}/${l.leaf}`);
    expect(unknown).toEqual([]);
    for (const id of channels.keys()) {
      if (SERVER_CHANNELS.has(id)) continue;
      const mine = leaves.filter((l) => l.channel === id);
      expect(mine.length, `channel ${id} has no leaf`).toBeGreaterThan(0);
      for (const l of mine)
        expect(l.leaf, `${id} at ${l.keys.join("/")}`).toBe(CHANNELS[id as ChannelId].leaf);
    }
  });

  it("enforce weld spots and monitor the rest", () => {
    for (const l of treeLeaves(loadTree())) {
      expect(l.policy, `${l.keys.join("/")}/${l.leaf}`).toBe(
        l.channel === "weldSpot" ? "enforce" : undefined,
      );
    }
  });

  it("govern every topic the simulated plant publishes, with the channel the simulator means", () => {
    const tree = loadTree();
    const plant = createPlant();
    for (const cell of plant.cells) {
      const wanted: ChannelId[] =
        cell.role === "weld"
          ? ["weldSpot", "weldSpotTruth", "weldQuality", "checkGateDecision"]
          : ["imageEvent", "splatterDetections", "checkGateDecision"];
      for (const ch of wanted) {
        const topic = plant.topic(cell, ch);
        expect(channelOfTopic(tree, topic), topic).toBe(ch);
        expect(matchAddress(channels.get(ch)!, topic), `${topic} vs ${channels.get(ch)!.address}`).toBe(true);
      }
      for (const stray of STRAY_TOPIC_VARIANTS) {
        expect(channelOfTopic(tree, plant.topic(cell, "weldSpot", stray))).toBeNull();
      }
    }
    for (const line of plant.lines) {
      for (const ch of ["lineState", "lineCounts", "alarm"] as const) {
        const topic = plant.topic(line, ch);
        expect(channelOfTopic(tree, topic), topic).toBe(ch);
        expect(matchAddress(channels.get(ch)!, topic)).toBe(true);
      }
    }
  });

  it("let devices publish plant data but not results, and processors publish results", () => {
    const { roles } = loadAccess();
    const plant = createPlant();
    const can = (role: string, topic: string) =>
      (roles[role]?.publish ?? []).some((f) => filterMatches(f, topic));
    const weldCell = plant.cells.find((c) => c.role === "weld")!;
    const inspection = plant.cells.find((c) => c.role === "inspection")!;
    for (const ch of DEVICE_CHANNELS) {
      const at = CHANNELS[ch].level === "line" ? weldCell.line : ch === "imageEvent" ? inspection : weldCell;
      expect(can("device", plant.topic(at, ch)), ch).toBe(true);
      expect(can("processor", plant.topic(at, ch)), ch).toBe(false);
    }
    for (const ch of ["weldQuality", "checkGateDecision"] as const) {
      expect(can("device", plant.topic(weldCell, ch)), ch).toBe(false);
      expect(can("processor", plant.topic(weldCell, ch)), ch).toBe(true);
    }
    expect(can("viewer", plant.topic(weldCell, "weldSpot"))).toBe(false);
    expect(can("admin", plant.topic(weldCell, "weldSpot"))).toBe(true);
    expect((roles.viewer?.subscribe ?? []).some((f) => filterMatches(f, "$uns/violations/x"))).toBe(true);
  });
});
