#!/usr/bin/env node
/**
 * Why zone decisions go wrong (a script; run after `pnpm build`), on a VALIDATION split made from
 * the training seed's namespace (`<seed>/splatter/validation/<i>`), never on the held-out frames
 * of `splatter.mjs accuracy` (`bench/<i>`):
 *
 *   node apps/processors/bench/splatter-explain.mjs [frames 40] [first 0] [seed 2026]
 *
 * Full 5472 x 3648 frames as the station sees them (default clutter, JPEG q92 round trip, camera
 * i % 8 of the zone map). For every image whose must-be-clean zone decision differs from the
 * truth, each wrong zone is printed with its cause:
 *  - missed: a true bead in the zone with no detection (its size, whether the finder had a
 *    candidate on it, and the best classifier score there);
 *  - false: a detection with no true bead (what it lies on: hard negative kind, weld spot, other);
 *  - border: a detection that matches a true bead but whose centre is in another zone than the
 *    bead's (distance of both centres to the border).
 * Also prints the margin of every true bead's centre to its nearest zone border, and the scores
 * of true and false candidates near the threshold, so a rule can be calibrated here.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFrame, renderFrame } from "@uns/simulator";
import sharp from "sharp";
import { listVersions } from "../dist/lifecycle/model-slot.js";
import { readModel } from "../dist/model/manifest.js";
import { findCandidates, matches } from "../dist/splatter/candidates.js";
import { createDetector } from "../dist/splatter/detector.js";
import { readZoneMap, zoneOf } from "../dist/splatter/zones.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const n = Number(process.argv[2] ?? 40);
const first = Number(process.argv[3] ?? 0);
const seed = process.argv[4] ?? "2026";
const zones = readZoneMap(join(ROOT, "models", "splatter-zones.yaml"));
const cameras = Object.keys(zones.cameras);
const name = "splatter-patch-classifier";
const version = process.env.SPLATTER_VERSION ?? listVersions(join(ROOT, "models"), name)[0];
const model = readModel(join(ROOT, "models", name, version, "manifest.json"));
const threshold = model.manifest.threshold;
// Every candidate with its score: the same detector at threshold 0.
const all = await createDetector({ ...model.manifest, threshold: 0 }, model.bytes);
const centre = (b) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });
const fmt = (b) => `(${b.x},${b.y} ${b.width}x${b.height})`;
const borderGap = (cam, b) => {
  const c = centre(b);
  let gap = Infinity;
  for (const z of cam.zones)
    for (const e of [z.x, z.x + z.width]) if (e > 0 && e < cam.width) gap = Math.min(gap, Math.abs(c.x - e));
  return gap;
};
let wrongImages = 0;
let beads = 0;
const kept = [];
const causes = {};
const nearThreshold = { truth: [], false: [] };
const t0 = Date.now();
for (let i = first; i < first + n; i++) {
  const camera = cameras[i % cameras.length];
  const cam = zones.cameras[camera];
  const frame = renderFrame({ seed: `${seed}/splatter/validation/${i}` });
  const jpeg = await encodeFrame(frame, "jpeg");
  const { data, info } = await sharp(jpeg).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const { detections: scored } = await all.detect(pixels, info.width, info.height);
  const ds = scored.filter((d) => d.score >= threshold);
  const ts = frame.truth.splatter;
  beads += ts.length;
  for (const d of scored)
    if (Math.abs(d.score - threshold) < 0.25)
      (ts.some((t) => matches(d, t)) ? nearThreshold.truth : nearThreshold.false).push(d.score);
  kept.push({ camera, truths: ts.map((t) => ({ ...t })), dets: scored.filter((d) => d.score >= 0.05) });
  const clean = cam.zones.filter((z) => z.mustBeClean);
  const lines = [];
  // Every miss and every false detection, whether or not it changed a zone decision.
  let candidates = null;
  const candidatesOn = (t) => {
    candidates ??= findCandidates(pixels, info.width, info.height, {
      threshold: model.manifest.patch.candidateThreshold,
    }).candidates;
    return candidates.filter((c) => matches(c, t));
  };
  for (const t of ts)
    if (!ds.some((d) => matches(d, t))) {
      const best = Math.max(0, ...scored.filter((d) => matches(d, t)).map((d) => d.score));
      const near = [
        ...frame.truth.weldSpots.filter((w) => overlapsGrown(w, t, 6)).map(() => "weld-spot"),
        ...frame.truth.hardNegatives.filter((h) => overlapsGrown(h, t, 6)).map((h) => h.kind),
        ...ts.filter((o) => o !== t && overlapsGrown(o, t, 6)).map(() => "bead"),
      ];
      lines.push(
        `  (miss) bead ${fmt(t)} ${t.diameterMm} mm, zone ${zoneOf(cam, t)?.id}; finder ${candidatesOn(t).map(fmt).join(" ") || "none"}; best score ${best.toFixed(3)}; touches ${near.join(",") || "nothing labelled"}`,
      );
      causes[candidatesOn(t).length ? "all-misses-classifier" : "all-misses-finder"] =
        (causes[candidatesOn(t).length ? "all-misses-classifier" : "all-misses-finder"] ?? 0) + 1;
    }
  for (const d of ds)
    if (!ts.some((t) => matches(d, t))) {
      const hn = frame.truth.hardNegatives.find((h) => matches(d, h));
      const on = hn ? hn.kind : frame.truth.weldSpots.some((w) => matches(d, w)) ? "weld-spot" : "other";
      lines.push(`  (false) ${fmt(d)} score ${d.score} on ${on}, zone ${zoneOf(cam, d)?.id}`);
      causes[`all-false-on-${on}`] = (causes[`all-false-on-${on}`] ?? 0) + 1;
    }
  for (const z of clean) {
    const tIn = ts.filter((t) => zoneOf(cam, t)?.id === z.id);
    const dIn = ds.filter((d) => zoneOf(cam, d)?.id === z.id);
    if (tIn.length > 0 === dIn.length > 0) continue;
    if (tIn.length > 0) {
      // Truth says grind, nothing detected in the zone.
      for (const t of tIn) {
        const det = ds.find((d) => matches(d, t));
        if (det) {
          lines.push(
            `  ${z.id}: border: bead ${fmt(t)} ${t.diameterMm} mm centre ${borderGap(cam, t).toFixed(1)} px from a border, detected ${fmt(det)} in ${zoneOf(cam, det)?.id}`,
          );
          causes.border = (causes.border ?? 0) + 1;
          continue;
        }
        const cands = candidatesOn(t);
        const best = Math.max(0, ...scored.filter((d) => matches(d, t)).map((d) => d.score));
        const near = [
          ...frame.truth.weldSpots.filter((w) => overlapsGrown(w, t, 6)).map(() => "weld-spot"),
          ...frame.truth.hardNegatives.filter((h) => overlapsGrown(h, t, 6)).map((h) => h.kind),
        ];
        lines.push(
          `  ${z.id}: missed: bead ${fmt(t)} ${t.diameterMm} mm; finder candidates on it ${cands.length}${cands.length ? ` ${cands.map(fmt).join(" ")}` : ""}; best score ${best.toFixed(3)} (threshold ${threshold}); touches ${near.join(",") || "nothing labelled"}`,
        );
        causes[cands.length ? "missed-by-classifier" : "missed-by-finder"] =
          (causes[cands.length ? "missed-by-classifier" : "missed-by-finder"] ?? 0) + 1;
      }
    } else {
      for (const d of dIn) {
        const t = ts.find((x) => matches(d, x));
        if (t) {
          lines.push(
            `  ${z.id}: border: detection ${fmt(d)} score ${d.score} matches bead ${fmt(t)} in ${zoneOf(cam, t)?.id ?? "no zone"}, centres ${borderGap(cam, d).toFixed(1)} / ${borderGap(cam, t).toFixed(1)} px from a border`,
          );
          causes.border = (causes.border ?? 0) + 1;
          continue;
        }
        const hn = frame.truth.hardNegatives.find((h) => matches(d, h));
        const on = hn ? hn.kind : frame.truth.weldSpots.some((w) => matches(d, w)) ? "weld-spot" : "other";
        const near = frame.truth.weldSpots.some((w) => overlapsGrown(w, d, 4)) ? " (beside a weld spot)" : "";
        lines.push(`  ${z.id}: false: detection ${fmt(d)} score ${d.score} on ${on}${near}`);
        causes[`false-on-${on}`] = (causes[`false-on-${on}`] ?? 0) + 1;
      }
    }
  }
  if (lines.some((l) => !l.startsWith("  ("))) wrongImages++;
  if (lines.length) {
    console.log(`frame ${i} (${camera}, ${ts.length} beads, ${ds.length} detections):\n${lines.join("\n")}`);
  }
  if ((i + 1 - first) % 10 === 0)
    console.log(`  ${i + 1 - first}/${n} frames, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
const hist = (xs) => {
  const bins = {};
  for (const x of xs) {
    const b = (Math.floor(x * 20) / 20).toFixed(2);
    bins[b] = (bins[b] ?? 0) + 1;
  }
  return JSON.stringify(Object.fromEntries(Object.entries(bins).sort()));
};
console.log(
  `validation frames ${first}..${first + n - 1} (seed ${seed}), model ${version}, threshold ${threshold}`,
);
console.log(
  `${beads} true beads; images with a wrong zone decision: ${wrongImages}/${n}; causes ${JSON.stringify(causes)}`,
);
console.log(
  `scores within 0.25 of the threshold: true beads ${hist(nearThreshold.truth)}; false ${hist(nearThreshold.false)}`,
);

// Zone decisions over the kept frames for other thresholds and zone rules (what could be calibrated).
const decide = (cam, boxes, rule) =>
  cam.zones
    .filter((z) => z.mustBeClean)
    .map((z) => boxes.some((b) => rule(cam, z, b)))
    .join();
const byCentre = (cam, z, b) => zoneOf(cam, b)?.id === z.id;
const byOverlap = (px) => (_cam, z, b) =>
  Math.min(b.x + b.width, z.x + z.width) - Math.max(b.x, z.x) >= Math.min(px, b.width) &&
  Math.min(b.y + b.height, z.y + z.height) - Math.max(b.y, z.y) > 0;
for (const [label, rule] of [
  ["centre", byCentre],
  ["overlap>=1px", byOverlap(1)],
  ["overlap>=3px", byOverlap(3)],
]) {
  const row = [];
  for (let t = 0.2; t <= 0.8 + 1e-9; t += 0.04) {
    let right = 0;
    for (const f of kept) {
      const cam = zones.cameras[f.camera];
      if (
        decide(cam, f.truths, byCentre) ===
        decide(
          cam,
          f.dets.filter((d) => d.score >= t),
          rule,
        )
      )
        right++;
    }
    row.push(`${t.toFixed(2)}:${right}`);
  }
  console.log(
    `images right of ${kept.length} (truth by centre, detections by ${label}) per threshold: ${row.join(" ")}`,
  );
}

function overlapsGrown(a, b, g) {
  return (
    a.x - g < b.x + b.width && b.x < a.x + a.width + g && a.y - g < b.y + b.height && b.y < a.y + a.height + g
  );
}
