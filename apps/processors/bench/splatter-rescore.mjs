#!/usr/bin/env node
/**
 * Scores the candidates stored by `splatter-dump.mjs` with model versions, test-time augmentation
 * variants and thresholds, on identical candidates (a script; run after `pnpm build`):
 *
 *   node apps/processors/bench/splatter-rescore.mjs MODEL_DIRS PREFIXES [THRESHOLDS]
 *
 * MODEL_DIRS: comma-separated directories holding manifest.json + model.onnx; PREFIXES: comma-
 * separated dump prefixes (read in order, bodies of 8 frames must stay whole); THRESHOLDS: comma
 * separated (default 0.30..0.60 by 0.02, plus each manifest's own).
 *
 * Same rules as `splatter.mjs accuracy`: a detection is a candidate scoring at least the threshold
 * (scores clamped to [0, 1]), overlapping detections merged (IoU > 0.1, better score wins, at most
 * 1000); recall / precision by the issue's match rule; zone decisions per body of 8 cameras.
 *
 * Variants: "plain" (one run); "tta2" the mean of the patch and its transpose (x <-> y: the one
 * symmetry that keeps the simulated light, and so a bead's highlight, to the upper left); "tta8"
 * the mean over the 8 flips and rotations (moves the highlight: a check of that reasoning).
 * Each TTA variant also in a band form "tta2@0.15-0.7": only candidates whose plain score lies in
 * the band are augmented (what an inference-side change would do to save time).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";
import { iou, matches } from "../dist/splatter/candidates.js";
import { CENTRE, FEATURES, featureCount, GRID, layoutOf } from "../dist/splatter/patch-features.js";
import { readZoneMap, summariseZones, zoneOf } from "../dist/splatter/zones.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const modelDirs = process.argv[2].split(",");
const prefixes = process.argv[3].split(",");
const zones = readZoneMap(join(ROOT, "models", "splatter-zones.yaml"));

/** Source index of every feature under each of the 8 symmetries of the square (0 id, 4 transpose). */
const maps = [
  (x, y, _s) => [x, y],
  (x, y, s) => [s - 1 - x, y],
  (x, y, s) => [x, s - 1 - y],
  (x, y, s) => [s - 1 - x, s - 1 - y],
  (x, y, _s) => [y, x],
  (x, y, s) => [y, s - 1 - x],
  (x, y, s) => [s - 1 - y, x],
  (x, y, s) => [s - 1 - y, s - 1 - x],
];
/** Per symmetry, for rows of `width` features (the base layout, then maybe a context grid). */
const permCache = new Map();
function permsFor(width) {
  if (!permCache.has(width)) permCache.set(width, makePerms(width));
  return permCache.get(width);
}
function makePerms(width) {
  return maps.map((m, t) => {
    const p = new Int32Array(width);
    for (let i = 0; i < width; i++) p[i] = i;
    const grid = (o, s) => {
      for (let y = 0; y < s; y++)
        for (let x = 0; x < s; x++) {
          const [sx, sy] = m(x, y, s);
          p[o + y * s + x] = o + sy * s + sx;
        }
    };
    grid(0, GRID);
    grid(GRID * GRID, CENTRE);
    if (t >= 4) {
      const o = GRID * GRID + CENTRE * CENTRE;
      p[o] = o + 1;
      p[o + 1] = o;
    }
    if (width > FEATURES) grid(FEATURES, Math.round(Math.sqrt(width - FEATURES)));
    return p;
  });
}

const models = [];
for (const dir of modelDirs) {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const session = await ort.InferenceSession.create(readFileSync(join(dir, "model.onnx")), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const width = featureCount(layoutOf(manifest.patch));
  models.push({ name: `${manifest.version}@${dir}`, version: manifest.version, manifest, session, width });
}

async function run(model, x, n) {
  const out = await model.session.run(
    { [model.manifest.onnx.input]: new ort.Tensor("float32", x, [n, model.width]) },
    [model.manifest.onnx.output],
  );
  return Float32Array.from(out[model.manifest.onnx.output].data, (v) => Math.min(1, Math.max(0, v)));
}

// frames[k] = { record, scores: per model: Float32Array[8] (per symmetry, per candidate) }
const frames = [];
for (const prefix of prefixes) {
  const lines = readFileSync(`${prefix}.jsonl`, "utf8").trim().split("\n");
  const buf = readFileSync(`${prefix}.f32`);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  let row = 0;
  let width = FEATURES;
  for (const line of lines) {
    const record = JSON.parse(line);
    // Dumps before 2026-12-03 hold fixed-scale features (darkRelative absent).
    for (const model of models)
      if ((record.darkRelative ?? false) !== (model.manifest.patch.darkRelative ?? false))
        throw new Error(
          `${prefix}.jsonl: frame ${record.i} has ${record.darkRelative ? "dark-relative" : "fixed-scale"} features, model ${model.version} needs the other kind; dump again with DARK_RELATIVE=${model.manifest.patch.darkRelative ? 1 : 0}`,
        );
    // Older dumps hold no context grid (context absent); a model without one reads
    // the first columns of a dump with one.
    width = featureCount({ context: record.context ?? undefined });
    for (const model of models)
      if (model.width > width)
        throw new Error(
          `${prefix}.jsonl: frame ${record.i} has ${width} features a candidate, model ${model.version} needs ${model.width} (its context grid); dump again without CONTEXT=0`,
        );
    const n = record.candidates.length;
    const x = all.subarray(row * width, (row + n) * width);
    row += n;
    const scores = [];
    for (const model of models) {
      const per = [];
      for (const p of permsFor(model.width)) {
        if (n === 0) {
          per.push(new Float32Array(0));
          continue;
        }
        const w = model.width;
        const t = new Float32Array(n * w);
        for (let r = 0; r < n; r++) for (let j = 0; j < w; j++) t[r * w + j] = x[r * width + p[j]];
        per.push(await run(model, t, n));
      }
      scores.push(per);
    }
    if (record.fixture === undefined)
      throw new Error(
        `${prefix}.jsonl: frame ${record.i} has no fixture field; dump it again with splatter-dump.mjs`,
      );
    const f = record.fixture;
    record.onFixture = record.splatter.map((b) => {
      const [cx, cy] = [b.x + b.width / 2, b.y + b.height / 2];
      return f !== null && cx >= f.x && cx < f.x + f.width && cy >= f.y && cy < f.y + f.height;
    });
    frames.push({ record, scores });
  }
  // A dump still being written may hold the next frame's rows already: only fewer is an error.
  if (row * width > all.length) throw new Error(`${prefix}: ${all.length / width} rows, needs ${row}`);
}

function variantScores(per, variant) {
  const [kind, band] = variant.split("@");
  const [lo, hi] = band ? band.split("-").map(Number) : [-1, 2];
  const set =
    kind === "plain" ? [0] : kind === "tta2" ? [0, 4] : kind === "tta8" ? [0, 1, 2, 3, 4, 5, 6, 7] : null;
  if (!set) throw new Error(`variant ${variant}`);
  const base = per[0];
  return Float32Array.from(base, (b, i) => {
    if (b < lo || b > hi) return b;
    let s = 0;
    for (const t of set) s += per[t][i];
    return s / set.length;
  });
}

/** "ens:<variant>": the mean over all models of their <variant> scores. */
function frameScores(scores, modelIndex, variant) {
  if (!variant.startsWith("ens:")) return variantScores(scores[modelIndex], variant);
  const each = scores.map((per) => variantScores(per, variant.slice(4)));
  return Float32Array.from(each[0], (_, i) => each.reduce((a, e) => a + e[i], 0) / each.length);
}

/** EXPLAIN=1: why a wrong image is wrong, zone by must-be-clean zone (misses and false alarms). */
const explain = process.env.EXPLAIN === "1";
function explainImage(record, cam, s, ds) {
  const causes = [];
  for (const z of cam.zones.filter((z) => z.mustBeClean)) {
    const inZone = (b) => zoneOf(cam, b)?.id === z.id;
    const beads = record.splatter.filter(inZone);
    const dets = ds.filter(inZone);
    if (beads.length > 0 && dets.length === 0)
      for (const b of beads) {
        const near = record.candidates
          .map(([x, y, width, height], i) => ({ box: { x, y, width, height }, score: s[i] }))
          .filter((c) => matches(c.box, b));
        const best = near.reduce((m, c) => Math.max(m, c.score), -1);
        const where = record.onFixture[record.splatter.indexOf(b)] ? "on the fixture" : "on the panel";
        causes.push(
          `miss ${b.diameterMm} mm ${where}, ${near.length ? `best ${best.toFixed(2)}` : "no candidate"}`,
        );
      }
    if (beads.length === 0)
      for (const d of dets) {
        const hn = record.hardNegatives.find((h) => matches(d, h));
        const kind = hn ? hn.kind : record.weldSpots.some((w) => matches(d, w)) ? "weld-spot" : "other";
        causes.push(`false ${kind} ${d.score.toFixed(2)} (${d.x},${d.y} ${d.width}x${d.height})`);
      }
  }
  console.log(`  frame ${record.i} ${record.camera}: ${causes.join("; ")}`);
}

function evaluate(modelIndex, variant, threshold) {
  let truths = 0;
  let found = 0;
  let fixtureTruths = 0;
  let fixtureFound = 0;
  let detections = 0;
  let correct = 0;
  let imagesRight = 0;
  let bodiesRight = 0;
  let bodies = 0;
  let bodyOk = true;
  const fp = {};
  const wrong = [];
  let augmented = 0;
  let candidates = 0;
  frames.forEach(({ record, scores }, k) => {
    const cam = zones.cameras[record.camera];
    const s = frameScores(scores, modelIndex, variant);
    const [, band] = variant.split("@");
    if (!variant.endsWith("plain")) {
      const [lo, hi] = band ? band.split("-").map(Number) : [-1, 2];
      for (const b of scores[modelIndex][0]) if (b >= lo && b <= hi) augmented++;
    }
    candidates += s.length;
    const kept = [];
    record.candidates.forEach(([x, y, width, height], i) => {
      if (s[i] >= threshold) kept.push({ x, y, width, height, score: s[i] });
    });
    kept.sort((a, b) => b.score - a.score);
    const ds = [];
    for (const d of kept) if (!ds.some((o) => iou(o, d) > 0.1)) ds.push(d);
    ds.splice(1000);
    const ts = record.splatter;
    truths += ts.length;
    ts.forEach((t, b) => {
      const hit = ds.some((d) => matches(d, t));
      if (hit) found++;
      if (record.onFixture[b]) {
        fixtureTruths++;
        if (hit) fixtureFound++;
      }
    });
    detections += ds.length;
    for (const d of ds) {
      if (ts.some((t) => matches(d, t))) correct++;
      else {
        const hn = record.hardNegatives.find((h) => matches(d, h));
        const kind = hn ? hn.kind : record.weldSpots.some((w) => matches(d, w)) ? "weld-spot" : "other";
        fp[kind] = (fp[kind] ?? 0) + 1;
      }
    }
    const truthGrind = cam.zones
      .filter((z) => z.mustBeClean)
      .map((z) => ts.some((b) => zoneOf(cam, b)?.id === z.id))
      .join();
    const detectedGrind = summariseZones(cam, ds)
      .filter((z) => z.mustBeClean)
      .map((z) => z.grind)
      .join();
    const right = truthGrind === detectedGrind;
    if (right) imagesRight++;
    else {
      wrong.push(record.i);
      if (explain) explainImage(record, cam, s, ds);
    }
    bodyOk &&= right;
    const endOfBody = record.i % 8 === 7 || k === frames.length - 1;
    if (endOfBody) {
      bodies++;
      if (bodyOk) bodiesRight++;
      bodyOk = true;
    }
  });
  return {
    bodiesRight,
    bodies,
    imagesRight,
    images: frames.length,
    recall: found / Math.max(1, truths),
    fixture: `${fixtureFound}/${fixtureTruths}`,
    panelRecall: (found - fixtureFound) / Math.max(1, truths - fixtureTruths),
    precision: correct / Math.max(1, detections),
    hardFp: ["scratch", "ring", "dust", "hole"].reduce((n, kind) => n + (fp[kind] ?? 0), 0),
    fp,
    wrong,
    augmentedShare: augmented / Math.max(1, candidates),
  };
}

const variants = (process.env.VARIANTS ?? "plain,tta2,tta8,tta2@0.15-0.7,tta8@0.15-0.7").split(",");
const grid = process.argv[4]
  ? process.argv[4].split(",").map(Number)
  : Array.from({ length: 16 }, (_, k) => Math.round((0.3 + 0.02 * k) * 100) / 100);
console.log(`frames ${frames.length} (${prefixes.join(", ")})`);
models.forEach((model, m) => {
  const thresholds = [...new Set([...grid, model.manifest.threshold])].sort((a, b) => a - b);
  for (const variant of variants)
    for (const t of thresholds) {
      const r = evaluate(m, variant, t);
      console.log(
        `${model.version} ${variant.padEnd(14)} t=${t.toFixed(2)}${t === model.manifest.threshold ? "*" : " "} bodies ${r.bodiesRight}/${r.bodies} (${((100 * r.bodiesRight) / r.bodies).toFixed(1)} %) images ${r.imagesRight}/${r.images} recall ${r.recall.toFixed(3)} (panel ${r.panelRecall.toFixed(3)}, fixture ${r.fixture}) precision ${r.precision.toFixed(3)} hardFP ${r.hardFp} fp ${JSON.stringify(r.fp)}${variant === "plain" ? "" : ` augmented ${(100 * r.augmentedShare).toFixed(1)} %`}${process.env.WRONG ? ` wrong ${r.wrong.join(" ")}` : ""}`,
      );
    }
});
