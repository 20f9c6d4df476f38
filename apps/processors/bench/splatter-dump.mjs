#!/usr/bin/env node
/**
 * Renders held-out frames once and stores every candidate's classifier input with the truth
 * (a script, not a test; run after `pnpm build`), so that model versions, test-time augmentation
 * and thresholds are scored offline on identical candidates by `splatter-rescore.mjs`:
 *
 *   node apps/processors/bench/splatter-dump.mjs FRAMES FIRST OUT_PREFIX
 *
 * Frames as in `splatter.mjs accuracy` (seeds bench/<i>, JPEG q92 round trip, camera i % 8).
 * Writes OUT_PREFIX.jsonl (one line per frame: camera, true boxes, hard negatives, weld spots,
 * the fixture's box, candidate boxes) and OUT_PREFIX.f32 (the candidates' features, in order,
 * FEATURES floats each).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFrame, renderFrame } from "@uns/simulator";
import sharp from "sharp";
import { findCandidates } from "../dist/splatter/candidates.js";
import { CANDIDATE_THRESHOLD } from "../dist/splatter/train.js";
import { readZoneMap } from "../dist/splatter/zones.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const [n, first] = [Number(process.argv[2] ?? 400), Number(process.argv[3] ?? 0)];
const out = process.argv[4] ?? "/tmp/splatter-dump";
const zones = readZoneMap(join(ROOT, "models", "splatter-zones.yaml"));
const cameras = Object.keys(zones.cameras);
const lines = openSync(`${out}.jsonl`, "w");
const feats = openSync(`${out}.f32`, "w");
const t0 = Date.now();
for (let i = first; i < first + n; i++) {
  const frame = renderFrame({ seed: `bench/${i}` });
  const jpeg = await encodeFrame(frame, "jpeg");
  const { data, info } = await sharp(jpeg).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  const set = findCandidates(
    new Uint8Array(data.buffer, data.byteOffset, data.length),
    info.width,
    info.height,
    {
      threshold: CANDIDATE_THRESHOLD,
    },
  );
  writeSync(feats, new Uint8Array(set.features.buffer, set.features.byteOffset, set.features.byteLength));
  const record = {
    i,
    camera: cameras[i % cameras.length],
    splatter: frame.truth.splatter,
    hardNegatives: frame.truth.hardNegatives,
    weldSpots: frame.truth.weldSpots,
    // The dark fixture beyond the panel edge (null: no edge in this frame), for recall there.
    fixture: frame.truth.fixture ?? null,
    candidates: set.candidates.map((c) => [c.x, c.y, c.width, c.height]),
  };
  writeSync(lines, `${JSON.stringify(record)}\n`);
  if ((i + 1 - first) % 25 === 0)
    console.log(`  ${i + 1 - first}/${n} frames, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
closeSync(lines);
closeSync(feats);
console.log(`done: ${n} frames from ${first} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
