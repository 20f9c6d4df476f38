// temp diagnostic (not committed)
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFrame, renderFrame } from "@uns/simulator";
import sharp from "sharp";
import { readModel } from "../dist/model/manifest.js";
import { findCandidates, matches, iou } from "../dist/splatter/candidates.js";
import { createDetector } from "../dist/splatter/detector.js";
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const model = readModel(join(ROOT, "models/splatter-patch-classifier/1.0.0/manifest.json"));
const det = await createDetector(model.manifest, model.bytes);
const n = Number(process.argv[2] ?? 20), off = Number(process.argv[3] ?? 0);
let tr = 0, miss = 0, fp = 0;
for (let i = off; i < off + n; i++) {
  let t = performance.now();
  const frame = renderFrame({ seed: `bench/${i}` });
  const rt = performance.now() - t;
  const jpeg = await encodeFrame(frame, "jpeg");
  t = performance.now();
  const { data, info } = await sharp(jpeg).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  const px = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const dt = performance.now() - t;
  const set = findCandidates(px, info.width, info.height, { threshold: 26 });
  const big = findCandidates(px, info.width, info.height, { threshold: 26, maxCells: 1000 });
  const r = await det.detect(px, info.width, info.height);
  for (const s of frame.truth.splatter) {
    tr++;
    if (r.detections.some((d) => matches(d, s))) continue;
    miss++;
    const cand = set.candidates.find((c) => matches(c, s));
    const bc = big.candidates.find((c) => matches(c, s) || iou(c, s) > 0);
    const near = frame.truth.weldSpots.some((w) => Math.hypot(w.x + w.width/2 - s.x - s.width/2, w.y + w.height/2 - s.y - s.height/2) < 60);
    const hn = frame.truth.hardNegatives.find((h) => iou(h, s) > 0 || Math.hypot(h.x - s.x, h.y - s.y) < 40);
    console.log(`MISS f${i} ${JSON.stringify(s)} cand=${cand ? JSON.stringify(cand) : "none"} big=${bc ? JSON.stringify(bc) : "none"} nearSpot=${near} hn=${hn?.kind ?? ""}`);
  }
  for (const d of r.detections) {
    if (frame.truth.splatter.some((s) => matches(d, s))) continue;
    fp++;
    const hn = frame.truth.hardNegatives.find((h) => matches(d, h));
    const ws = frame.truth.weldSpots.find((w) => matches(d, w) || iou(d, w) > 0);
    const cl = frame.truth.splatter.find((s) => iou(d, s) > 0);
    console.log(`FP f${i} ${JSON.stringify(d)} hn=${hn?.kind ?? ""} spot=${!!ws} overlapTruth=${cl ? JSON.stringify(cl) : ""}`);
  }
  console.log(`frame ${i}: render ${rt.toFixed(0)} ms decode ${dt.toFixed(0)} find ${r.findMs.toFixed(0)} model ${r.modelMs.toFixed(0)} cands ${r.candidates}`);
}
console.log(`truths ${tr} miss ${miss} fp ${fp}`);
