/**
 * The splatter worker thread: reads, decodes (sharp, on libuv's pool) and scores one image at a
 * time, so the processor's event loop (and its MQTT session) never waits on the ~0.3 s of pixel
 * work per 20 MP frame.
 */
import { parentPort } from "node:worker_threads";
import { createDetector, type Detector } from "./detector.js";
import { loadImage } from "./image-source.js";
import type { SplatterWorkerRequest, SplatterWorkerResponse } from "./protocol.js";

const port = parentPort!;
let detector: Detector | null = null;
const reply = (msg: SplatterWorkerResponse) => port.postMessage(msg);

port.on("message", (msg: SplatterWorkerRequest) => {
  handle(msg).catch((err: Error) =>
    reply({ id: msg.id, ok: false, code: "UNS_ERR_MODEL_RUN", message: err.message }),
  );
});

async function handle(msg: SplatterWorkerRequest): Promise<void> {
  if (msg.type === "load") {
    try {
      detector = await createDetector(msg.manifest, msg.bytes);
      reply({ id: msg.id, ok: true, loaded: true });
    } catch (err) {
      reply({ id: msg.id, ok: false, code: "UNS_ERR_MODEL_LOAD", message: (err as Error).message });
    }
    return;
  }
  if (!detector)
    return reply({ id: msg.id, ok: false, code: "UNS_ERR_MODEL_LOAD", message: "no splatter model loaded" });
  const image = await loadImage(msg.image, { root: msg.root, maxBytes: msg.maxBytes });
  if (!image.ok) return reply({ id: msg.id, ok: false, code: image.code, message: image.message });
  const found = await detector.detect(image.pixels, image.width, image.height);
  reply({
    id: msg.id,
    ok: true,
    detections: found.detections,
    candidates: found.candidates,
    timings: { readMs: image.readMs, decodeMs: image.decodeMs, findMs: found.findMs, modelMs: found.modelMs },
  });
}
