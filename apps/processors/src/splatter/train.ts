import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeFrame, renderFrame } from "@uns/simulator";
import sharp from "sharp";
import { type ModelManifest, sha256 } from "../model/manifest.js";
import { encodeOnnxModel } from "../onnx/onnx-writer.js";
import {
  createDenseNet,
  createPrng,
  type DenseNet,
  denseNetNodes,
  seedFrom,
  trainDenseNet,
} from "../train/dense-net.js";
import { CELL, findCandidates, matches, SPLIT_LEVELS } from "./candidates.js";
import {
  CENTRE,
  CONTEXT,
  featureCount,
  GRID,
  PATCH,
  type PatchLayout,
  SHAPE_FEATURES,
} from "./patch-features.js";

/**
 * Trains the splatter patch classifier (`splatter-patch-classifier`): simulated tiles (a 1368 x
 * 912 sixteenth of a frame, same camera and physics, 2, 4 or 8 times a frame's clutter so each
 * tile teaches more and beads touching weld spots and sealant are common),
 * written as JPEG and decoded again like a camera image, run through the candidate finder; each
 * candidate is labelled splatter when it matches a true box. A small MLP learns the label from
 * the candidate's patch and shape values. Three disjoint seeds: train, calibration (the score
 * threshold that maximises F1) and test (the reported metrics).
 */
export interface SplatterTrainOptions {
  seed: string;
  outDir: string;
  version?: string;
  tiles?: number;
  epochs?: number;
  /** Describe candidates with the wider context grid (`CONTEXT`). Default false (3.0.0). */
  context?: boolean;
  log?: (line: string) => void;
}

export const SPLATTER_MODEL = "splatter-patch-classifier";
export const CANDIDATE_THRESHOLD = 26;
const TILE = { width: 1368, height: 912 };
const CLUTTER = [2, 4, 8] as const;

interface Split {
  x: Float64Array;
  y: Float64Array;
  rows: number;
  truths: number;
  /** True boxes the candidate finder found (the recall ceiling of the classifier). */
  found: number;
}

async function makeSplit(seed: string, tiles: number, layout: PatchLayout): Promise<Split> {
  const featureWidth = featureCount(layout);
  const xs: Float32Array[] = [];
  const ys: number[] = [];
  let truths = 0;
  let found = 0;
  const rng = createPrng(seedFrom(seed));
  for (let i = 0; i < tiles; i++) {
    const frame = renderFrame({
      seed: `${seed}/${i}`,
      ...TILE,
      clutter: CLUTTER[i % CLUTTER.length]!,
      splatter: Math.floor(rng() * 9),
    });
    const jpeg = await encodeFrame(frame, "jpeg");
    const { data } = await sharp(jpeg).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
    const set = findCandidates(pixels, TILE.width, TILE.height, {
      threshold: CANDIDATE_THRESHOLD,
      layout,
    });
    truths += frame.truth.splatter.length;
    found += frame.truth.splatter.filter((t) => set.candidates.some((c) => matches(c, t))).length;
    set.candidates.forEach((c, k) => {
      xs.push(set.features.subarray(k * featureWidth, (k + 1) * featureWidth));
      ys.push(frame.truth.splatter.some((t) => matches(c, t)) ? 1 : 0);
    });
  }
  const x = new Float64Array(xs.length * featureWidth);
  xs.forEach((row, i) => {
    x.set(row, i * featureWidth);
  });
  return { x, y: Float64Array.from(ys), rows: ys.length, truths, found };
}

function scores(net: DenseNet, split: Split): Float64Array {
  return net.predict(split.x, split.rows);
}

function confusion(s: Float64Array, y: Float64Array, threshold: number) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < s.length; i++) {
    const p = s[i]! >= threshold;
    if (p && y[i] === 1) tp++;
    else if (p) fp++;
    else if (y[i] === 1) fn++;
  }
  return { tp, fp, fn, precision: tp / Math.max(1, tp + fp), recall: tp / Math.max(1, tp + fn) };
}

export async function trainSplatter(
  options: SplatterTrainOptions,
): Promise<{ manifest: ModelManifest; dir: string }> {
  const log = options.log ?? (() => {});
  const version = options.version ?? "3.0.0";
  // 1440 tiles, three times 2.0.0's 480 (13-40 min on one core): on 1,200 held-out frames
  // 137 of 150 bodies right against 134, fewer false alarms. Extra tiles with splatter on the
  // fixture beyond the panel edge (most misses were there) raised that recall but cost precision
  // on unlabelled structure (84 against 90 of 100 bodies): not used; the dark-relative features
  // of 3.0.0 did it instead (233 against 227 of 250 bodies). Hard negatives mined on 720 tiles
  // not trained on (322, weighted 3, trained again): 224 of 250, a lower calibrated threshold
  // and more false alarms: not used.
  const tiles = options.tiles ?? 1440;
  const layout: PatchLayout =
    options.context === true ? { darkRelative: true, context: { ...CONTEXT } } : { darkRelative: true };
  const featureWidth = featureCount(layout);
  const t0 = Date.now();
  const train = await makeSplit(`${options.seed}/splatter/train`, tiles, layout);
  const calibration = await makeSplit(`${options.seed}/splatter/calibration`, Math.ceil(tiles / 4), layout);
  const test = await makeSplit(`${options.seed}/splatter/test`, Math.ceil(tiles / 4), layout);
  const positives = train.y.reduce((a, b) => a + b, 0);
  log(
    `candidates: train ${train.rows} (${positives} splatter), calibration ${calibration.rows}, test ${test.rows}; finder recall on test ${test.found}/${test.truths} (${Date.now() - t0} ms)`,
  );
  const random = createPrng(seedFrom(`${options.seed}/splatter/net`));
  const net = createDenseNet(
    featureWidth,
    [
      { units: 32, activation: "relu" },
      { units: 1, activation: "linear" },
    ],
    random,
  );
  const t1 = Date.now();
  // Splatter is the rare class: each positive row is seen three times per epoch.
  const balanced = oversample(train, 3, featureWidth);
  const losses = trainDenseNet(net, balanced.x, balanced.y, balanced.rows, {
    epochs: options.epochs ?? 30,
    batchSize: 64,
    learningRate: 0.002,
    weightDecay: 1e-5,
    random,
  });
  log(`trained in ${Date.now() - t1} ms, loss ${losses[0]?.toFixed(4)} -> ${losses.at(-1)?.toFixed(4)}`);
  // The threshold that maximises F1 on the calibration split.
  const cs = scores(net, calibration);
  let threshold = 0.5;
  let best = -1;
  for (let t = 0.2; t <= 0.8 + 1e-9; t += 0.02) {
    const c = confusion(cs, calibration.y, t);
    const f1 = (2 * c.precision * c.recall) / Math.max(1e-9, c.precision + c.recall);
    if (f1 > best) {
      best = f1;
      threshold = Math.round(t * 100) / 100;
    }
  }
  const c = confusion(scores(net, test), test.y, threshold);
  const metrics = {
    split: "test",
    candidates: test.rows,
    truths: test.truths,
    finderRecall: round(test.found / Math.max(1, test.truths)),
    classifierPrecision: round(c.precision),
    classifierRecall: round(c.recall),
    recall: round(c.tp / Math.max(1, test.truths)),
    threshold,
  };
  log(`held-out: ${JSON.stringify(metrics)}`);
  const graph = denseNetNodes(net, "patches", "score", "mlp");
  const bytes = encodeOnnxModel({
    name: SPLATTER_MODEL,
    nodes: graph.nodes,
    initializers: graph.initializers,
    inputs: [{ name: "patches", shape: ["batch", featureWidth] }],
    outputs: [{ name: "score", shape: ["batch", 1] }],
    producerVersion: version,
  });
  const manifest: ModelManifest = {
    name: SPLATTER_MODEL,
    version,
    kind: "patch-classifier",
    file: "model.onnx",
    sha256: sha256(bytes),
    seed: options.seed,
    description: `Splatter or not for each candidate the plain-code finder returns on a full-resolution frame (oversized components split again at rising thresholds): a 48 x 48 px patch as 24 x 24 means, the central 16 x 16 px at full resolution (both relative to the local background), seven shape values${layout.context ? ` and a ${layout.context.size} x ${layout.context.size} px context as ${layout.context.grid} x ${layout.context.grid} means` : ""}.`,
    input: { channel: "imageEvent", contract: { title: "Image event", version: "1.0.0" } },
    onnx: { input: "patches", output: "score" },
    features: [],
    patch: {
      cell: CELL,
      size: PATCH,
      grid: GRID,
      shapeFeatures: SHAPE_FEATURES,
      features: featureWidth,
      candidateThreshold: CANDIDATE_THRESHOLD,
      // Borderline candidates are scored again transposed (the light keeps its side): on 660
      // held-out frames 74 of 83 bodies right against 68 with one run, at the same threshold.
      transposeBand: [0.15, 0.7],
      // Since 3.0.0: darkness below a dark background counts against its headroom, so beads on
      // the fixture beyond the panel edge look like beads on the panel (patch-features.ts).
      darkRelative: true,
      ...(layout.context ? { context: layout.context } : {}),
    },
    threshold,
    metrics,
    data: {
      tiles: { train: tiles, calibration: Math.ceil(tiles / 4), test: Math.ceil(tiles / 4) },
      tile: TILE,
      clutter: CLUTTER,
      centre: CENTRE,
      splitLevels: SPLIT_LEVELS,
    },
  };
  const dir = join(options.outDir, SPLATTER_MODEL, version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model.onnx"), bytes);
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, dir };
}

function oversample(split: Split, times: number, featureWidth: number): Split {
  const rows: number[] = [];
  for (let i = 0; i < split.rows; i++) for (let k = 0; k < (split.y[i] === 1 ? times : 1); k++) rows.push(i);
  const x = new Float64Array(rows.length * featureWidth);
  rows.forEach((r, i) => {
    x.set(split.x.subarray(r * featureWidth, (r + 1) * featureWidth), i * featureWidth);
  });
  return { ...split, x, y: Float64Array.from(rows, (r) => split.y[r]!), rows: rows.length };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
