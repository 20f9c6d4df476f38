#!/usr/bin/env node
/**
 * Renders held-out frames once and stores every candidate's classifier input with the truth
 * (a script, not a test; run after `pnpm build`), so that model versions, test-time augmentation
 * and thresholds are scored offline on identical candidates by `splatter-rescore.mjs`:
 *
 *   [SEEDS=bench/] node apps/processors/bench/splatter-dump.mjs FRAMES FIRST OUT_PREFIX
 *
 * Frames as in `splatter.mjs accuracy` (seeds bench/<i>, JPEG q92 round trip, camera i % 8);
 * SEEDS=2026/splatter/validation/ renders the trainer's validation frames instead, to calibrate a
 * decision rule on frames that are neither trained on nor held out.
 * Writes OUT_PREFIX.jsonl (one line per frame: camera, true boxes, hard negatives, weld spots,
 * the fixture's box, candidate boxes with their local background) and OUT_PREFIX.f32 (the
 * candidates' features, in order, featureCount(layout) floats each). The layout is the newest
 * model's (dark-relative, with the context grid); CONTEXT=0 leaves the grid out, DARK_RELATIVE=0
 * gives the fixed-scale features of models before 3.0.0. A dump with the context serves the
 * models without it too (their features are its first columns).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFrame, renderFrame } from "@uns/simulator";
import sharp from "sharp";
import { findCandidates } from "../dist/splatter/candidates.js";
import { CONTEXT } from "../dist/splatter/patch-features.js";
import { CANDIDATE_THRESHOLD } from "../dist/splatter/train.js";
import { readZoneMap } from "../dist/splatter/zones.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const [n, first] = [Number(process.argv[2] ?? 400), Number(process.argv[3] ?? 0)];
const out = process.argv[4] ?? "/tmp/splatter-dump";
const seeds = process.env.SEEDS ?? "bench/";
// The features of models with patch.darkRelative (3.0.0 on); DARK_RELATIVE=0 for older ones.
const darkRelative = process.env.DARK_RELATIVE !== "0";
const context = process.env.CONTEXT === "0" ? null : { ...CONTEXT };
const layout = context ? { darkRelative, context } : { darkRelative };
const zones = readZoneMap(join(ROOT, "models", "splatter-zones.yaml"));
const cameras = Object.keys(zones.cameras);
const lines = openSync(`${out}.jsonl`, "w");
const feats = openSync(`${out}.f32`, "w");
const t0 = Date.now();
for (let i = first; i < first + n; i++) {
  const frame = renderFrame({ seed: `${seeds}${i}` });
  const jpeg = await encodeFrame(frame, "jpeg");
  const { data, info } = await sharp(jpeg).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  const set = findCandidates(
    new Uint8Array(data.buffer, data.byteOffset, data.length),
    info.width,
    info.height,
    {
      threshold: CANDIDATE_THRESHOLD,
      layout,
    },
  );
  writeSync(feats, new Uint8Array(set.features.buffer, set.features.byteOffset, set.features.byteLength));
  const record = {
    i,
    seed: `${seeds}${i}`,
    darkRelative,
    context,
    camera: cameras[i % cameras.length],
    splatter: frame.truth.splatter,
    hardNegatives: frame.truth.hardNegatives,
    weldSpots: frame.truth.weldSpots,
    // The dark fixture beyond the panel edge (null: no edge in this frame), for recall there.
    fixture: frame.truth.fixture ?? null,
    // [x, y, width, height, local background grey level]
    candidates: set.candidates.map((c, k) => [c.x, c.y, c.width, c.height, Math.round(set.backgrounds[k])]),
  };
  writeSync(lines, `${JSON.stringify(record)}\n`);
  if ((i + 1 - first) % 25 === 0)
    console.log(`  ${i + 1 - first}/${n} frames, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
closeSync(lines);
closeSync(feats);
console.log(`done: ${n} frames from ${first} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
