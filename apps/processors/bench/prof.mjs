import { encodeFrame, renderFrame } from "@uns/simulator";
import sharp from "sharp";
import { findCandidates } from "../dist/splatter/candidates.js";
const frame = renderFrame({ seed: `bench/5` });
const jpeg = await encodeFrame(frame, "jpeg");
console.log("jpeg bytes", jpeg.length, "concurrency", sharp.concurrency());
for (let k = 0; k < 6; k++) {
  let t = performance.now();
  const { data, info } = await sharp(jpeg).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  const dec = performance.now() - t;
  const px = new Uint8Array(data.buffer, data.byteOffset, data.length);
  t = performance.now();
  const s = findCandidates(px, info.width, info.height, { threshold: 26 });
  console.log(`decode ${dec.toFixed(0)} find ${(performance.now() - t).toFixed(0)} aligned ${data.byteOffset % 4} n ${s.candidates.length}`);
}
