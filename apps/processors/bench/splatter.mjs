#!/usr/bin/env node
/**
 * Splatter benchmark (a script, not a test; run after `pnpm build`):
 *
 *   node apps/processors/bench/splatter.mjs timing [rounds 5]    # 8 cameras of a body per round, through the real server
 *   node apps/processors/bench/splatter.mjs accuracy [frames] [first]   # held-out frames (default 400 = 50 bodies from 0)
 *
 * `first` (a multiple of 8, so bodies stay whole) lets two processes share the frames on two cores.
 *
 * timing: the UNS server and the processors run in this process (server validation worker,
 * splatter worker thread); 8 full 5472 x 3648 JPEG frames of one body are announced at once, per
 * round (the first round warms up and is not counted).
 * Per image: receipt to answer time measured by the processor (read + checksum + decode + find +
 * classify), p50 / p95, and per stage (read, decode, find, model); per body: first publish to
 * last answer; the load average at the start and the end.
 *
 * accuracy: frames rendered from seeds disjoint from training ("bench/<i>"), written as JPEG
 * (quality 92) and decoded again, scored by the same detector in this thread. A detection counts
 * when it matches a true box (IoU >= 0.3 or its centre inside); zone decisions per body of 8
 * cameras (grind / no grind for every must-be-clean zone, all right = body right); false
 * positives on the labelled hard negatives reported by kind. Frames are generated, never kept.
 * SPLATTER_VERSION=2.0.0,2.1.0 scores every frame with each version (the newest alone by
 * default), so versions are compared on the same frames for one rendering.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addUser } from "@uns/contracts";
import { createUnsServer, loadConfig as loadServerConfig } from "@uns/server";
import { encodeFrame, renderFrame, writeFrame } from "@uns/simulator";
import mqtt from "mqtt";
import { pino } from "pino";
import sharp from "sharp";
import { loadConfig } from "../dist/config.js";
import { listVersions } from "../dist/lifecycle/model-slot.js";
import { readModel } from "../dist/model/manifest.js";
import { createProcessorsRuntime } from "../dist/runtime/runtime.js";
import { matches } from "../dist/splatter/candidates.js";
import { createDetector } from "../dist/splatter/detector.js";
import { readZoneMap, summariseZones, zoneOf } from "../dist/splatter/zones.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const part = process.argv[2] ?? "timing";
const zones = readZoneMap(join(ROOT, "models", "splatter-zones.yaml"));
const cameras = Object.keys(zones.cameras);
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`;
const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

if (part === "timing") await timing();
else if (part === "accuracy") await accuracy(Number(process.argv[3] ?? 400), Number(process.argv[4] ?? 0));
else console.error(`unknown part ${part} (timing | accuracy [frames])`);

async function timing() {
  const dir = mkdtempSync(join(tmpdir(), "uns-splatter-bench-"));
  try {
    cpSync(join(ROOT, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
    cpSync(join(ROOT, "topics"), join(dir, "topics"), { recursive: true });
    cpSync(join(ROOT, "models", "check-gate.rules.yaml"), join(dir, "check-gate.rules.yaml"));
    // The shipped roles bind a device to its own cell (issue 16): the bench's camera station
    // publishes as a gateway, as the plant simulator does.
    for (const [name, role] of [
      ["device", "gateway"],
      ["processor", "processor"],
    ])
      await addUser(join(dir, "topics"), name, "bench-password-1", [role]);
    const server = await createUnsServer(
      loadServerConfig({
        env: {},
        overrides: {
          "mqtt.host": "127.0.0.1",
          "mqtt.port": 0,
          "http.host": "127.0.0.1",
          "http.port": 0,
          dataDir: join(dir, "data"),
          contractsDir: join(dir, "asyncapi"),
          topicsDir: join(dir, "topics"),
          "workers.size": 1,
          // The AsyncAPI parser needs 80-90 s for the repository's contracts at load average 22.
          "contracts.loadTimeoutMs": 600_000,
        },
      }),
      { logger: pino({ level: "silent" }) },
    );
    const { mqttPort } = await server.start();
    const url = `mqtt://127.0.0.1:${mqttPort}`;
    const images = join(dir, "images");
    console.log(`rendering ${cameras.length} frames (5472 x 3648 JPEG) ...`);
    const t0 = Date.now();
    const frames = [];
    for (const [i, camera] of cameras.entries())
      frames.push(
        await writeFrame({
          root: images,
          name: `body/${camera}`,
          seed: `bench-timing/${i}`,
          camera,
          station: "cell-090",
          bodyId: "BENCH-0001",
          sequence: i,
        }),
      );
    console.log(
      `  ${((Date.now() - t0) / 1000 / frames.length).toFixed(2)} s per frame (render + encode), ${(frames.reduce((n, f) => n + f.event.image.size, 0) / frames.length / 1e6).toFixed(1)} MB per JPEG`,
    );
    const runtime = await createProcessorsRuntime(
      loadConfig({
        env: {},
        overrides: {
          "mqtt.url": url,
          // The local registry file only: never a server that happens to listen on the default port.
          "registry.url": "",
          "mqtt.username": "processor",
          "mqtt.password": "bench-password-1",
          contractsDir: join(dir, "asyncapi"),
          modelsDir: join(ROOT, "models"),
          dataDir: join(dir, "processors"),
          "checkGate.rulesFile": join(dir, "check-gate.rules.yaml"),
          "weldQuality.enabled": false,
          "splatter.enabled": true,
          "splatter.imageRoot": images,
          "splatter.zonesFile": join(ROOT, "models", "splatter-zones.yaml"),
        },
      }),
      { logger: { info() {}, warn: console.warn, error: console.error } },
    );
    await runtime.start();
    const device = await mqtt.connectAsync(url, {
      username: "device",
      password: "bench-password-1",
      protocolVersion: 4,
    });
    const watcher = await mqtt.connectAsync(url, {
      username: "processor",
      password: "bench-password-1",
      protocolVersion: 4,
    });
    const answers = new Map();
    watcher.on("message", (_t, p) => {
      const r = JSON.parse(p.toString());
      answers.set(r.eventId, { r, at: performance.now() });
    });
    await watcher.subscribeAsync("acme/+/+/+/+/results/splatter-detections", { qos: 1 });
    const perImage = [];
    // Round 0 is a warm-up and not measured, so at least 2.
    const rounds = Math.max(2, Number(process.argv[3] ?? 5));
    console.log(`start: ${load()}`);
    for (let round = 0; round < rounds; round++) {
      const events = frames.map((f, i) => ({
        ...f.event,
        eventId: `bench-r${round}-${i}`,
        bodyId: `BENCH-000${round + 1}`,
      }));
      const start = performance.now();
      await Promise.all(
        events.map((e) =>
          device.publishAsync("acme/neckarsulm/body-shop/line-01/cell-090/image-event", JSON.stringify(e), {
            qos: 1,
          }),
        ),
      );
      while (!events.every((e) => answers.has(e.eventId))) await new Promise((r) => setTimeout(r, 10));
      const done = Math.max(...events.map((e) => answers.get(e.eventId).at)) - start;
      const rs = events.map((e) => answers.get(e.eventId).r);
      // Round 0 warms the JIT and the model; it is reported but not counted.
      if (round > 0) perImage.push(...rs.map((r) => r.inferenceTime));
      console.log(
        `round ${round}${round === 0 ? " (warm-up)" : ""}: ${events.length} images of one body answered in ${(done / 1000).toFixed(2)} s (target < 8 s); per image ${rs.map((r) => Math.round(r.inferenceTime)).join(", ")} ms; statuses ${[...new Set(rs.map((r) => r.status))].join(",")}`,
      );
    }
    console.log(
      `per image (read + checksum + decode + find + classify, in the worker, server running): p50 ${Math.round(pct(perImage, 0.5))} ms, p95 ${Math.round(pct(perImage, 0.95))} ms over ${perImage.length} images (target p95 < 1000 ms)`,
    );
    const stages = runtime.splatter.status().msPerStage;
    console.log(
      `per stage (all rounds), p50 / p95 ms: ${Object.entries(stages)
        .map(([k, v]) => `${k} ${Math.round(v.p50)} / ${Math.round(v.p95)}`)
        .join(", ")}; end: ${load()}`,
    );
    await device.endAsync();
    await watcher.endAsync();
    await runtime.stop();
    await server.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function accuracy(n, first) {
  const name = "splatter-patch-classifier";
  // SPLATTER_VERSION=x.y.z[,a.b.c]: the versions to compare on the same frames; the newest by default.
  const versions = (process.env.SPLATTER_VERSION ?? listVersions(join(ROOT, "models"), name)[0]).split(",");
  const runs = [];
  for (const version of versions) {
    const model = readModel(join(ROOT, "models", name, version.trim(), "manifest.json"));
    console.log(`model ${name} ${model.manifest.version}, threshold ${model.manifest.threshold}`);
    runs.push({
      version: model.manifest.version,
      detector: await createDetector(model.manifest, model.bytes),
      found: 0,
      detections: 0,
      correct: 0,
      hardFp: {},
      bodiesRight: 0,
      imagesRight: 0,
      bodyOk: true,
      times: [],
      wrong: [],
    });
  }
  let truths = 0;
  let bodies = 0;
  const hardCount = {};
  const t0 = Date.now();
  for (let i = first; i < first + n; i++) {
    const camera = cameras[i % cameras.length];
    const cam = zones.cameras[camera];
    const frame = renderFrame({ seed: `bench/${i}` });
    const jpeg = await encodeFrame(frame, "jpeg");
    const ts = frame.truth.splatter;
    truths += ts.length;
    for (const h of frame.truth.hardNegatives) hardCount[h.kind] = (hardCount[h.kind] ?? 0) + 1;
    // Truth: the zones holding a true bead's centre; detections: the processor's own zone summary.
    const truthGrind = cam.zones
      .filter((z) => z.mustBeClean)
      .map((z) => ts.some((b) => zoneOf(cam, b)?.id === z.id))
      .join();
    const endOfBody = i % cameras.length === cameras.length - 1 || i === first + n - 1;
    if (endOfBody) bodies++;
    for (const run of runs) {
      const t = performance.now();
      const { data, info } = await sharp(jpeg)
        .toColourspace("b-w")
        .raw()
        .toBuffer({ resolveWithObject: true });
      const { detections: ds } = await run.detector.detect(
        new Uint8Array(data.buffer, data.byteOffset, data.length),
        info.width,
        info.height,
      );
      run.times.push(performance.now() - t);
      run.found += ts.filter((tr) => ds.some((d) => matches(d, tr))).length;
      run.detections += ds.length;
      for (const d of ds) {
        if (ts.some((tr) => matches(d, tr))) run.correct++;
        else {
          const hn = frame.truth.hardNegatives.find((h) => matches(d, h));
          const kind = hn
            ? hn.kind
            : frame.truth.weldSpots.some((w) => matches(d, w))
              ? "weld-spot"
              : "other";
          run.hardFp[kind] = (run.hardFp[kind] ?? 0) + 1;
        }
      }
      const detectedGrind = summariseZones(cam, ds)
        .filter((z) => z.mustBeClean)
        .map((z) => z.grind)
        .join();
      const right = truthGrind === detectedGrind;
      if (right) run.imagesRight++;
      else run.wrong.push(i);
      run.bodyOk &&= right;
      if (endOfBody) {
        if (run.bodyOk) run.bodiesRight++;
        run.bodyOk = true;
      }
    }
    if ((i + 1 - first) % 25 === 0)
      console.log(`  ${i + 1 - first}/${n} frames, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  console.log(
    `held-out frames: ${n} (5472 x 3648 JPEG q92, seeds bench/${first}..${first + n - 1}, ${((Date.now() - t0) / 1000 / n).toFixed(2)} s per frame incl. rendering; ${load()})`,
  );
  const present = Object.values(hardCount).reduce((a, b) => a + b, 0);
  for (const run of runs) {
    const recall = run.found / Math.max(1, truths);
    const precision = run.correct / Math.max(1, run.detections);
    const tag = runs.length > 1 ? `[${run.version}] ` : "";
    console.log(
      `${tag}splatter: ${truths} true boxes, ${run.detections} detections; recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)} (targets >= 0.9, match IoU >= 0.3 or centre inside)`,
    );
    console.log(
      `${tag}zone decisions: bodies right ${run.bodiesRight}/${bodies} (${((100 * run.bodiesRight) / bodies).toFixed(1)} %, target >= 95 %); images right ${run.imagesRight}/${n}${run.wrong.length ? ` (wrong: frames ${run.wrong.join(", ")})` : ""}`,
    );
    // The labelled hard negatives (scratch, ring, dust, hole) apart from weld spots and the rest
    // (mostly sealant crossings and ends, which carry no label).
    const onHard = Object.keys(hardCount).reduce((k, kind) => k + (run.hardFp[kind] ?? 0), 0);
    console.log(
      `${tag}false positives on labelled hard negatives: ${onHard} of ${present} present (${JSON.stringify(hardCount)}); all false positives by what they hit: ${JSON.stringify(run.hardFp)}`,
    );
    console.log(
      `${tag}decode + detect in this thread (no server): p50 ${Math.round(pct(run.times, 0.5))} ms, p95 ${Math.round(pct(run.times, 0.95))} ms`,
    );
  }
}
