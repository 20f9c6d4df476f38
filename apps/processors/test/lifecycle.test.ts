import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stableShare } from "../src/lifecycle/model-slot.js";
import { sha256 } from "../src/model/manifest.js";
import { encodeOnnxModel } from "../src/onnx/onnx-writer.js";
import { createProcessorsRuntime, type ProcessorsRuntime } from "../src/runtime/runtime.js";
import { quietLogger, ROOT, startPlant, type TestPlant, until } from "./helper.js";
import { makeSpots, publishSpots, type SimSpot } from "./spots.js";

let plant: TestPlant;
let device: MqttClient;
let runtime: ProcessorsRuntime;
const models = mkdtempSync(join(tmpdir(), "uns-models-"));
const REG = "rsw-nugget-regression";
const results = new Map<string, { version: string; anomalyVersion: string }[]>();
const logs: string[] = [];

/** A copy of the committed regression 1.0.0 as another version, optionally edited. */
function variant(version: string, edit?: (m: Record<string, unknown>, dir: string) => void): void {
  const dir = join(models, REG, version);
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, "models", REG, "1.0.0"), dir, { recursive: true });
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  m.version = version;
  edit?.(m, dir);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(m, null, 2));
}

let seedNo = 0;
async function send(count: number): Promise<SimSpot[]> {
  const spots = makeSpots(count, `lifecycle-${seedNo++}`);
  await publishSpots(device, spots, false);
  await until(() => spots.every((s) => results.has(s.key)), 30_000, `${count} results`);
  await runtime.weldQuality!.idle();
  return spots;
}
/** Result messages received so far, duplicates included. */
const resultMessages = () => [...results.values()].reduce((n, list) => n + list.length, 0);
const versionsOf = (spots: SimSpot[]) => spots.map((s) => results.get(s.key)![0]!.version);

beforeAll(async () => {
  cpSync(join(ROOT, "models"), models, { recursive: true });
  plant = await startPlant();
  device = await plant.connect("device");
  const viewer = await plant.connect("viewer");
  viewer.on("message", (_topic, payload) => {
    const r = JSON.parse(payload.toString());
    const key = `${r.spot.controller}/${r.spot.seq}`;
    results.set(key, [
      ...(results.get(key) ?? []),
      { version: r.model.version, anomalyVersion: r.anomalyModel.version },
    ]);
  });
  await viewer.subscribeAsync("acme/+/+/+/+/results/weld-quality", { qos: 1 });
  runtime = await createProcessorsRuntime(
    plant.processorsConfig({
      modelsDir: models,
      "checkGate.enabled": false,
      "lifecycle.minCanarySpots": 50,
      "lifecycle.maxLatencyMs": 100,
    }),
    { logger: quietLogger(logs), contracts: await plant.contracts() },
  );
  await runtime.start();
  // Other versions appear after the start (which takes the newest version there is).
  variant("1.1.0");
  // Disagrees with 1.0.0: its energy scaling is off, so its nuggets are wrong.
  variant("1.2.0", (m) => {
    const features = m.features as { path: string; mean: number; scale: number }[];
    const energy = features.find((f) => f.path === "measured.energy")!;
    energy.mean *= 0.5;
  });
  // Corrupt: the bytes do not match the manifest's sha256.
  variant("1.3.0", (_m, dir) => writeFileSync(join(dir, "model.onnx"), Buffer.from("not an onnx model")));
  // Not ONNX, but the manifest's checksum matches: onnxruntime refuses it.
  variant("1.4.0", (m, dir) => {
    const bytes = Buffer.from("still not an onnx model");
    writeFileSync(join(dir, "model.onnx"), bytes);
    m.sha256 = sha256(bytes);
  });
  // Loads and warms (with 2 spots) but throws on any other batch size: a model that fails in service.
  variant("1.6.0", (m, dir) => {
    const width = (m.features as unknown[]).length;
    const bytes = encodeOnnxModel({
      name: "throws",
      producerVersion: "test",
      nodes: [
        { op: "Reshape", name: "fixed", inputs: ["features", "shape"], outputs: ["fixed"] },
        { op: "Gemm", name: "gemm", inputs: ["fixed", "w", "b"], outputs: ["nugget_diameter"] },
      ],
      initializers: [
        { name: "shape", dims: [2], data: [2, width], type: "int64" },
        { name: "w", dims: [width, 1], data: new Array(width).fill(0) },
        { name: "b", dims: [1], data: [5.5] },
      ],
      inputs: [{ name: "features", shape: ["batch", width] }],
      outputs: [{ name: "nugget_diameter", shape: ["batch", 1] }],
    });
    writeFileSync(join(dir, "model.onnx"), bytes);
    m.sha256 = sha256(bytes);
  });
  // A feature the weldSpot contract does not have.
  variant("1.5.0", (m) => {
    (m.features as { path: string }[])[0]!.path = "measured.colour";
  });
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  await plant?.close();
  rmSync(models, { recursive: true, force: true });
}, 120_000);

describe("model lifecycle", { timeout: 180_000 }, () => {
  it("sends a stable share of spots to a canary (10,000 spot identities within 2 points of 30 %)", () => {
    const keys = makeSpots(10_000, "share").map((s) => s.key);
    const share = keys.filter((k) => stableShare(k) < 0.3).length / keys.length;
    expect(Math.abs(share - 0.3)).toBeLessThan(0.02);
    // Stable: the same spot always gets the same share.
    expect(keys.map(stableShare)).toEqual(keys.map((k) => stableShare(String(k))));
  });

  it("canary by stable hash, promotion, manual rollback", async () => {
    const slot = runtime.weldQuality!.regression;
    await slot.deploy("1.1.0", "canary", { share: 0.3, reason: "test canary" });
    const spots = await send(300);
    const versions = versionsOf(spots);
    // Every spot went where its hash says.
    for (const [i, s] of spots.entries())
      expect(versions[i]).toBe(stableShare(s.key) < 0.3 ? "1.1.0" : "1.0.0");
    const canaryShare = versions.filter((v) => v === "1.1.0").length / versions.length;
    expect(canaryShare).toBeGreaterThan(0.2);
    expect(canaryShare).toBeLessThan(0.4);

    slot.promote("canary looked fine");
    expect(versionsOf(await send(60)).every((v) => v === "1.1.0")).toBe(true);
    expect(runtime.registry.get(REG)?.live).toBe("1.1.0");

    slot.rollback("manual rollback in the test");
    expect(versionsOf(await send(60)).every((v) => v === "1.0.0")).toBe(true);
    const history = runtime.registry.get(REG)!.history.map((h) => h.action);
    expect(history).toEqual(expect.arrayContaining(["deploy-canary", "promote", "rollback-live"]));
  });

  it("rolls a canary back automatically when it disagrees with the live model", async () => {
    const slot = runtime.weldQuality!.regression;
    await slot.deploy("1.2.0", "canary", { share: 0.5, reason: "bad canary" });
    await send(250);
    expect(slot.canary()).toBeNull();
    const last = runtime.registry.get(REG)!.history.at(-1)!;
    expect(last.action).toBe("rollback-canary");
    expect(last.reason).toMatch(/^automatic: disagreement/);
    // Nobody asked for it: the processors did it.
    expect(last.by).toBe("processors");
    expect(versionsOf(await send(40)).every((v) => v === "1.0.0")).toBe(true);
  });

  it("keeps running when a canary's model throws: its spots fall back to live, then it is rolled back", async () => {
    const slot = runtime.weldQuality!.regression;
    await slot.deploy("1.6.0", "canary", { share: 0.5, reason: "a canary that throws" });
    const spots = await send(250);
    // Every spot has its result (send waits for all), from the live version where the canary threw
    // (a batch of exactly 2 canary spots does run: then the canary's own result goes out).
    const versions = versionsOf(spots);
    expect(versions.every((v) => v === "1.0.0" || v === "1.6.0")).toBe(true);
    expect(versions.filter((v) => v === "1.0.0").length).toBeGreaterThan(spots.length * 0.6);
    expect(slot.canary()).toBeNull();
    const last = runtime.registry.get(REG)!.history.at(-1)!;
    expect(last).toMatchObject({ action: "rollback-canary", version: "1.6.0" });
    expect(last.reason).toMatch(/^automatic: error rate/);
    const stats = Object.values(runtime.weldQuality!.status().versions).find((v) => v.version === "1.6.0")!;
    expect(stats.errors).toBeGreaterThan(0);
    expect(logs.some((l) => l.includes("UNS_ERR_MODEL_RUN"))).toBe(true);
  });

  it("refuses a corrupt, unloadable or mismatched model and keeps scoring with the one it had", async () => {
    const slot = runtime.weldQuality!.regression;
    await expect(slot.deploy("1.3.0", "live")).rejects.toMatchObject({ code: "UNS_ERR_MODEL_CHECKSUM" });
    await expect(slot.deploy("1.4.0", "live")).rejects.toMatchObject({ code: "UNS_ERR_MODEL_LOAD" });
    await expect(slot.deploy("1.5.0", "live")).rejects.toThrow(
      /measured.colour.*not in the weldSpot payload schema/,
    );
    await expect(slot.deploy("9.9.9", "live")).rejects.toMatchObject({ code: "UNS_ERR_MODEL_MANIFEST" });
    expect(slot.live()?.manifest.version).toBe("1.0.0");
    expect(versionsOf(await send(30)).every((v) => v === "1.0.0")).toBe(true);
  });

  it("swaps the live model under load: none lost, none scored twice, every result has a version", async () => {
    const slot = runtime.weldQuality!.regression;
    expect(slot.live()?.manifest.version).toBe("1.0.0");
    const spots = makeSpots(1000, "swap");
    const publishedBefore = runtime.weldQuality!.status().published;
    const messagesBefore = resultMessages();
    // Three phases so the cut is certain to fall inside the stream whatever the machine's pace
    // (it once landed after the last spot on a loaded machine): spots before the deploy, spots
    // published while the new version loads, warms and swaps in, and spots after it is live.
    const before = spots.slice(0, 500);
    const during = spots.slice(500, 900);
    const after = spots.slice(900);
    const publishingBefore = publishSpots(device, before, false);
    await until(() => before.filter((s) => results.has(s.key)).length > 200, 60_000, "first results");
    const swapped = slot.deploy("1.1.0", "live", { reason: "swap under load" });
    await Promise.all([publishingBefore, publishSpots(device, during, false), swapped]);
    await publishSpots(device, after, false);
    await until(() => spots.every((s) => results.has(s.key)), 60_000, "1000 results");
    await runtime.weldQuality!.idle();
    // Every result the processor had acknowledged is in: a spot scored twice would be a second
    // message here (waiting on the count, not on a sleep).
    const published = runtime.weldQuality!.status().published - publishedBefore;
    expect(published).toBe(1000);
    await until(() => resultMessages() - messagesBefore >= published, 30_000, "every published result");
    const versions = versionsOf(spots);
    for (const s of spots) expect(results.get(s.key)).toHaveLength(1);
    expect(new Set(versions)).toEqual(new Set(["1.0.0", "1.1.0"]));
    expect(versions.slice(900).every((v) => v === "1.1.0")).toBe(true);
    // Arrival order is kept, so the swap is one cut: all 1.0.0, then all 1.1.0, per cell.
    const byCell = new Map<string, string[]>();
    spots.forEach((s, i) => {
      const cell = s.topic.split("/").slice(0, 5).join("/");
      byCell.set(cell, [...(byCell.get(cell) ?? []), versions[i]!]);
    });
    for (const list of byCell.values()) {
      const cut = list.indexOf("1.1.0");
      if (cut >= 0) expect(list.slice(cut).every((v) => v === "1.1.0")).toBe(true);
    }
  });
});
