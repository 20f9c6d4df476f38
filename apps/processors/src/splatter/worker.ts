/**
 * The splatter worker thread: reads, decodes (sharp, on libuv's pool) and scores one image at a
 * time, so the processor's event loop (and its MQTT session) never waits on the ~0.3 s of pixel
 * work per 20 MP frame. It holds every loaded model version by key; the primary version's answer
 * goes back before the extra versions (shadow, comparison) run on the same decoded pixels.
 */
import { parentPort } from "node:worker_threads";
import { createDetector, type Detector } from "./detector.js";
import { loadImage } from "./image-source.js";
import type { ScoredBy, SplatterWorkerRequest, SplatterWorkerResponse } from "./protocol.js";

const port = parentPort!;
const detectors = new Map<string, Detector>();
const reply = (msg: SplatterWorkerResponse) => port.postMessage(msg);

port.on("message", (msg: SplatterWorkerRequest) => {
  if (msg.type === "unload") {
    detectors.delete(msg.key);
    return;
  }
  handle(msg).catch((err: Error) =>
    reply({ id: msg.id, ok: false, code: "UNS_ERR_MODEL_RUN", message: err.message }),
  );
});

async function run(key: string, pixels: Uint8Array, width: number, height: number): Promise<ScoredBy> {
  const detector = detectors.get(key);
  if (!detector)
    return { key, detections: [], candidates: 0, findMs: 0, modelMs: 0, error: `model ${key} is not loaded` };
  try {
    return { key, ...(await detector.detect(pixels, width, height)) };
  } catch (err) {
    return { key, detections: [], candidates: 0, findMs: 0, modelMs: 0, error: (err as Error).message };
  }
}

async function handle(msg: Exclude<SplatterWorkerRequest, { type: "unload" }>): Promise<void> {
  if (msg.type === "load") {
    try {
      detectors.set(msg.key, await createDetector(msg.manifest, msg.bytes));
      reply({ id: msg.id, ok: true, loaded: true });
    } catch (err) {
      reply({ id: msg.id, ok: false, code: "UNS_ERR_MODEL_LOAD", message: (err as Error).message });
    }
    return;
  }
  const [primary, ...extras] = msg.keys;
  if (!primary || !detectors.has(primary))
    return reply({
      id: msg.id,
      ok: false,
      code: "UNS_ERR_MODEL_LOAD",
      message: `splatter model ${primary ?? "(none)"} is not loaded in the worker`,
    });
  const image = await loadImage(msg.image, { root: msg.root, maxBytes: msg.maxBytes });
  if (!image.ok) return reply({ id: msg.id, ok: false, code: image.code, message: image.message });
  const timings = { readMs: image.readMs, decodeMs: image.decodeMs };
  const first = await run(primary, image.pixels, image.width, image.height);
  const more = extras.length > 0;
  if (first.error) reply({ id: msg.id, ok: false, code: "UNS_ERR_MODEL_RUN", message: first.error, more });
  else reply({ id: msg.id, ok: true, extra: false, more, scored: [first], timings });
  if (extras.length === 0) return;
  const scored: ScoredBy[] = [];
  for (const key of extras) scored.push(await run(key, image.pixels, image.width, image.height));
  reply({ id: msg.id, ok: true, extra: true, scored, timings });
}
