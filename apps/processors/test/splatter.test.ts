import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  cpSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createValidator, type Validator } from "@uns/contracts";
import { type WrittenFrame, writeFrame } from "@uns/simulator";
import type { MqttClient } from "mqtt";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { listVersions, stableShare } from "../src/lifecycle/model-slot.js";
import { startControlServer } from "../src/runtime/control-server.js";
import { createProcessorsRuntime, type ProcessorsRuntime } from "../src/runtime/runtime.js";
import { matches } from "../src/splatter/candidates.js";
import { readZoneMap } from "../src/splatter/zones.js";
import { quietLogger, ROOT, startPlant, type TestPlant, until } from "./helper.js";

/**
 * The splatter processor end to end: real server, real MQTT clients, frames rendered by the
 * simulator at full size (two: one JPEG with splatter in a must-be-clean zone, one clean PNG with
 * hard negatives), decoded by sharp and scored by onnxruntime in the worker thread.
 */
const CELL = "acme/neckarsulm/body-shop/line-01/cell-090";
const MODEL = "splatter-patch-classifier";
/** The committed version, and the one the lifecycle test deploys beside it. */
const LIVE = listVersions(join(ROOT, "models"), MODEL)[0]!;
const NEXT = "99.0.0";
let plant: TestPlant;
let device: MqttClient;
let runtime: ProcessorsRuntime;
let validator: Validator;
let images: string;
let dirty: WrittenFrame;
let clean: WrittenFrame;
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Answer {
  eventId: string;
  status?: string;
  image: unknown;
  inferenceTime?: number;
  model: { name: string; version: string };
  detections: (Box & { score: number })[];
  zones: { id: string; mustBeClean: boolean; grind: boolean }[];
  error?: { code: string; message: string };
}
interface Decision {
  bodyId: string;
  reason: string;
  evidence: { kind: string; description: string }[];
}
const results: Answer[] = [];
const decisions: Decision[] = [];
const logs: string[] = [];
let seq = 0;
let models: string;

const resultFor = async (eventId: string) => {
  await until(() => results.some((r) => r.eventId === eventId), 30_000, `splatterDetections for ${eventId}`);
  return results.find((r) => r.eventId === eventId)!;
};

function event(
  base: WrittenFrame["event"],
  patch: { bodyId?: string; camera?: string; image?: Partial<WrittenFrame["event"]["image"]> } = {},
) {
  seq++;
  const camera = patch.camera ?? base.camera;
  return {
    ...base,
    eventId: `cell-090-${camera}-t${String(seq).padStart(5, "0")}`,
    camera,
    bodyId: patch.bodyId ?? base.bodyId,
    sequence: seq,
    captureTime: new Date(Date.UTC(2026, 2, 2, 6, 0, seq)).toISOString(),
    image: { ...base.image, ...patch.image },
  };
}

async function send(e: ReturnType<typeof event>): Promise<void> {
  await device.publishAsync(`${CELL}/image-event`, JSON.stringify(e), { qos: 1 });
}

function fileImage(path: string, bytes: Buffer) {
  return {
    uri: pathToFileURL(path).href,
    size: bytes.length,
    checksum: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
  };
}

beforeAll(async () => {
  plant = await startPlant();
  images = join(plant.dir, "images");
  models = join(plant.dir, "models");
  mkdirSync(images, { recursive: true });
  // Two cameras of the station's zone map; the gate decides a body when both reported or after 1.5 s.
  const map = readZoneMap(join(ROOT, "models", "splatter-zones.yaml"));
  const zonesFile = join(plant.dir, "zones.yaml");
  writeFileSync(
    zonesFile,
    stringify({
      ...map,
      quietMs: 1500,
      cameras: { "cam-01": map.cameras["cam-01"], "cam-02": map.cameras["cam-02"] },
    }),
  );
  // cam-01's zone z12 (x 2188..3828) must be clean.
  dirty = await writeFrame({
    root: images,
    name: "line-01/cell-090/TEST-DIRTY-cam-01",
    seed: "test-dirty",
    splatter: 5,
    splatterArea: { x: 2300, y: 300, width: 1400, height: 3000 },
    camera: "cam-01",
    station: "cell-090",
    bodyId: "TEST-DIRTY",
    sequence: 1,
  });
  clean = await writeFrame({
    root: images,
    name: "line-01/cell-090/TEST-CLEAN-cam-01",
    seed: "test-clean",
    splatter: 0,
    format: "png",
    camera: "cam-01",
    station: "cell-090",
    bodyId: "TEST-CLEAN",
    sequence: 2,
  });
  // A copy of the models folder: the lifecycle test adds a version to it.
  cpSync(join(ROOT, "models", MODEL, LIVE), join(models, MODEL, LIVE), { recursive: true });
  validator = createValidator(await plant.contracts());
  device = await plant.connect("device", "test-camera");
  const viewer = await plant.connect("viewer");
  viewer.on("message", (topic, payload) =>
    (topic.endsWith("check-gate") ? decisions : results).push(JSON.parse(payload.toString())),
  );
  await viewer.subscribeAsync([`${CELL}/results/splatter-detections`, `${CELL}/results/check-gate`], {
    qos: 1,
  });
  runtime = await createProcessorsRuntime(
    plant.processorsConfig({
      "weldQuality.enabled": false,
      modelsDir: models,
      "splatter.enabled": true,
      "splatter.imageRoot": images,
      "splatter.zonesFile": zonesFile,
      "splatter.maxImageBytes": 30 * 1024 * 1024,
      "splatter.maxQueue": 4,
    }),
    { logger: quietLogger(logs), contracts: await plant.contracts() },
  );
  await runtime.start();
}, 420_000);

afterAll(async () => {
  await runtime?.stop();
  await plant?.close();
});

describe("splatter processor", () => {
  it("scores a 20 MP JPEG: boxes valid against splatterDetections, on the true splatter, zone to grind", async () => {
    const e = event(dirty.event);
    await send(e);
    const r = await resultFor(e.eventId);
    expect(validator.validateValue("splatterDetections", r).outcome).toBe("valid");
    expect(r.status).toBe("scored");
    expect(r.image).toEqual({ uri: dirty.event.image.uri, width: 5472, height: 3648 });
    expect(r.model).toEqual({ name: "splatter-patch-classifier", version: expect.any(String) });
    const truth = dirty.truth.splatter;
    const hits = truth.filter((t) => r.detections.some((d) => matches(d, t)));
    expect(hits.length).toBeGreaterThanOrEqual(truth.length - 1);
    const precise = r.detections.filter((d) => truth.some((t) => matches(d, t)));
    expect(precise.length).toBeGreaterThanOrEqual(r.detections.length - 1);
    expect(r.zones.find((z) => z.id === "z12")).toMatchObject({ mustBeClean: true, grind: true });
    expect(r.inferenceTime).toBeGreaterThan(0);
  }, 60_000);

  it("sends the body whose must-be-clean zone has splatter to correct, with zones and boxes as evidence", async () => {
    await until(() => decisions.some((d) => d.bodyId === "TEST-DIRTY"), 10_000, "decision for TEST-DIRTY");
    const d = decisions.find((x) => x.bodyId === "TEST-DIRTY")!;
    expect(validator.validateValue("checkGateDecision", d).outcome).toBe("valid");
    expect(d).toMatchObject({ gate: "splatter-inspection", decision: "correct" });
    expect(d.reason).toMatch(/z12 \(roof rail, cam-01\)/);
    expect(d.evidence.length).toBeGreaterThan(0);
    for (const ev of d.evidence)
      expect(ev).toMatchObject({
        kind: "splatter-detection",
        description: expect.stringMatching(/^zone z12 .* box at x=\d+ y=\d+/),
      });
  }, 30_000);

  it("lets a clean body (hard negatives only, PNG) continue", async () => {
    const e = event(clean.event);
    await send(e);
    const r = await resultFor(e.eventId);
    expect(validator.validateValue("splatterDetections", r).outcome).toBe("valid");
    expect(r.status).toBe("scored");
    expect(r.zones.every((z) => !z.grind)).toBe(true);
    await until(() => decisions.some((d) => d.bodyId === "TEST-CLEAN"), 10_000, "decision for TEST-CLEAN");
    expect(decisions.find((x) => x.bodyId === "TEST-CLEAN")).toMatchObject({
      decision: "continue",
      evidence: [],
    });
  }, 60_000);

  it("records each bad input against its event with a clear error, and scores the next image", async () => {
    const jpeg = readFileSync(dirty.file);
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    writeFileSync(join(images, "truncated.jpg"), truncated);
    const text = Buffer.from("not an image\n");
    writeFileSync(join(images, "notes.jpg"), text);
    const small = await sharp({
      create: { width: 640, height: 400, channels: 3, background: { r: 128, g: 128, b: 128 } },
    })
      .png()
      .toBuffer();
    writeFileSync(join(images, "small.png"), small);
    copyFileSync(dirty.file, join(plant.dir, "outside.jpg"));
    const huge = join(images, "huge.jpg");
    const fd = openSync(huge, "w");
    ftruncateSync(fd, 40 * 1024 * 1024); // sparse: larger than the 30 MiB limit, never read
    closeSync(fd);
    const cases: [string, ReturnType<typeof event>, string, RegExp][] = [
      [
        "missing",
        event(dirty.event, { image: { uri: pathToFileURL(join(images, "nope.jpg")).href } }),
        "UNS_ERR_IMAGE_MISSING",
        /cannot be found/,
      ],
      [
        "truncated",
        event(dirty.event, { image: fileImage(join(images, "truncated.jpg"), truncated) }),
        "UNS_ERR_IMAGE_DECODE",
        /truncated|corrupt|premature|decod/i,
      ],
      [
        "non-image",
        event(dirty.event, { image: fileImage(join(images, "notes.jpg"), text) }),
        "UNS_ERR_IMAGE_DECODE",
        /not a decodable image/,
      ],
      [
        "wrong size",
        event(dirty.event, { image: fileImage(join(images, "small.png"), small) }),
        "UNS_ERR_IMAGE_SIZE",
        /640 x 400 px; the event declares 5472 x 3648/,
      ],
      [
        "outside root",
        event(dirty.event, { image: { uri: pathToFileURL(join(plant.dir, "outside.jpg")).href } }),
        "UNS_ERR_IMAGE_PATH",
        /outside the image root/,
      ],
      [
        "dot-dot path",
        event(dirty.event, { image: { uri: `${pathToFileURL(images).href}/../outside.jpg` } }),
        "UNS_ERR_IMAGE_PATH",
        /outside the image root/,
      ],
      [
        "too large",
        event(dirty.event, { image: { uri: pathToFileURL(huge).href } }),
        "UNS_ERR_IMAGE_TOO_LARGE",
        /41943040 bytes, more than the limit of 31457280/,
      ],
      [
        "unknown camera",
        event(dirty.event, { camera: "cam-09" }),
        "UNS_ERR_IMAGE_CAMERA",
        /cam-09 is not in the zone map/,
      ],
    ];
    for (const [what, e, code, message] of cases) {
      await send(e);
      const r = await resultFor(e.eventId);
      expect(validator.validateValue("splatterDetections", r).outcome, what).toBe("valid");
      expect(r, what).toMatchObject({ status: "failed", detections: [], error: { code } });
      expect(r.error?.message, what).toMatch(message);
    }
    const next = event(dirty.event);
    await send(next);
    const r = await resultFor(next.eventId);
    expect(r.status).toBe("scored");
    expect(r.detections.length).toBeGreaterThan(0);
    expect(runtime.splatter!.status()).toMatchObject({ failed: cases.length });
  }, 90_000);

  it("queues images oldest first and answers the oldest beyond maxQueue late, never dropping one", async () => {
    // One real image keeps the worker busy while six more arrive (maxQueue is 4 in this test).
    const busy = event(dirty.event, { bodyId: "TEST-QUEUE" });
    const waiting = Array.from({ length: 6 }, () =>
      event(dirty.event, {
        bodyId: "TEST-QUEUE",
        image: { uri: pathToFileURL(join(images, "nope.jpg")).href },
      }),
    );
    await send(busy);
    // Published newest first: the queue must still put the oldest capture in front.
    await Promise.all([...waiting].reverse().map((e) => send(e)));
    const answers = await Promise.all([busy, ...waiting].map((e) => resultFor(e.eventId)));
    expect(answers[0]!.status).toBe("scored");
    const late = answers.filter((a) => a.status === "late");
    expect(late.length).toBeGreaterThanOrEqual(1);
    for (const a of late)
      expect(a.error).toMatchObject({
        code: "UNS_ERR_SPLATTER_LATE",
        message: expect.stringMatching(/not scored/),
      });
    // The late ones are the oldest waiting captures.
    const lateIds = late.map((a) => a.eventId).sort();
    expect(lateIds).toEqual(waiting.slice(0, late.length).map((e) => e.eventId));
    expect(answers.filter((a) => a.status === "failed").length).toBe(6 - late.length);
  }, 60_000);
});

describe("splatter model lifecycle, through the processors' control API", () => {
  it("shadows a new version beside the live one, canaries it by body, promotes it and rolls it back", async () => {
    const control = await startControlServer(runtime, { host: "127.0.0.1", port: 0 });
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected field by field
    const post = async (action: string, body: unknown): Promise<{ status: number; body: any }> => {
      const res = await fetch(`http://127.0.0.1:${control.port}/models/${MODEL}/${action}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const scoredBy = async (bodyId: string) => {
      const e = event(dirty.event, { bodyId });
      await send(e);
      const r = await resultFor(e.eventId);
      expect(r.status).toBe("scored");
      return r;
    };
    // NEXT: the committed network with a threshold no score reaches (it never finds splatter),
    // so which version answered shows in the answer itself.
    const src = join(models, MODEL, LIVE);
    cpSync(src, join(models, MODEL, NEXT), { recursive: true });
    const m = JSON.parse(readFileSync(join(src, "manifest.json"), "utf8"));
    writeFileSync(
      join(models, MODEL, NEXT, "manifest.json"),
      JSON.stringify({ ...m, version: NEXT, threshold: 1.01 }),
    );
    try {
      let res = await post("deploy", {
        version: NEXT,
        mode: "shadow",
        reason: "try the next version",
        actor: "tester",
      });
      expect(res.status).toBe(200);
      expect(res.body.serving).toEqual({ live: LIVE, canary: null, shadow: NEXT });
      // The shadow scores the same pixels after the answer; its zone decision differs (it finds nothing).
      const live = await scoredBy("TEST-LC-SHADOW");
      expect(live.model.version).toBe(LIVE);
      expect(live.detections.length).toBeGreaterThan(0);
      const shadowStats = () =>
        Object.values(runtime.splatter!.status().versions as Record<string, Record<string, unknown>>).find(
          (v) => v.version === NEXT,
        );
      await until(() => (shadowStats()?.compared as number) >= 1, 30_000, "the shadow's comparison");
      expect(shadowStats()).toMatchObject({ images: 1, detections: 0, compared: 1, disagreed: 1 });

      // A canary takes a stable share of bodies: every image of a body goes to the same version.
      res = await post("deploy", { version: NEXT, mode: "canary", share: 0.5, actor: "tester" });
      expect(res.body.serving.canary).toEqual({ version: NEXT, share: 0.5 });
      const ids = Array.from({ length: 40 }, (_, i) => `TEST-LC-CANARY-${i}`);
      const toCanary = ids.find((b) => stableShare(b) < 0.5)!;
      const toLive = ids.find((b) => stableShare(b) >= 0.5)!;
      const a = await scoredBy(toCanary);
      expect(a.model.version).toBe(NEXT);
      expect(a.detections).toEqual([]);
      expect((await scoredBy(toLive)).model.version).toBe(LIVE);

      res = await post("promote", { reason: "canary fine", actor: "tester" });
      expect(res.body.serving).toMatchObject({ live: NEXT, canary: null });
      expect((await scoredBy(toLive)).model.version).toBe(NEXT);

      res = await post("rollback", { reason: "the next version misses splatter", actor: "tester" });
      expect(res.body.serving.live).toBe(LIVE);
      const back = await scoredBy(toLive);
      expect(back.model.version).toBe(LIVE);
      expect(back.detections.length).toBeGreaterThan(0);
      expect(runtime.registry.get(MODEL)?.live).toBe(LIVE);
      const history = runtime.registry.get(MODEL)!.history.filter((h) => h.by === "tester");
      expect(history.map((h) => h.action)).toEqual([
        "deploy-shadow",
        "deploy-canary",
        "promote",
        "rollback-live",
      ]);

      // A version that is not there is refused, and the live one keeps answering.
      res = await post("deploy", { version: "9.9.9", mode: "live" });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("UNS_ERR_MODEL_MANIFEST");
      expect(runtime.splatter!.slot.live()?.manifest.version).toBe(LIVE);
    } finally {
      await control.close();
    }
  }, 120_000);
});
