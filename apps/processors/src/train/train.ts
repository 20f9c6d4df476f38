import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DriftReference, histogramOf } from "../lifecycle/drift.js";
import {
  applyScaling,
  compileExtractor,
  type FeatureDescription,
  fitScaling,
  flatScaling,
  inputWidth,
} from "../model/features.js";
import { type ModelManifest, sha256 } from "../model/manifest.js";
import { encodeOnnxModel, type OnnxGraph } from "../onnx/onnx-writer.js";
import {
  generateSpots,
  type LabelledSpot,
  OVERDUE_DRESSING,
  PLANT_FAULTS,
  TRAINING_FAULTS,
} from "./dataset.js";
import { createDenseNet, createPrng, denseNetNodes, seedFrom, trainDenseNet } from "./dense-net.js";
import { detection, meanAbsoluteError, quantile, round } from "./metrics.js";

/**
 * Trains the two weld-quality models from simulated spots with ground truth:
 *
 * - `rsw-nugget-regression`: an MLP from the spot's schedule, electrode state and summary values
 *   to the nugget diameter (mm).
 * - `rsw-curve-autoencoder`: a dense autoencoder on the four 90-point curves (plus the schedule
 *   that shapes them), trained on good spots only; the score is the mean squared reconstruction
 *   error, and the threshold its `thresholdQuantile` on held-out good spots.
 *
 * Three disjoint simulator seeds: `<seed>/train`, `<seed>/calibration` (threshold), `<seed>/test`
 * (every reported held-out metric).
 */
export interface TrainOptions {
  seed: string;
  outDir: string;
  /** Spots per split. */
  trainSpots: number;
  heldOutSpots: number;
  epochs?: { regression: number; autoencoder: number };
  version?: string;
  thresholdQuantile?: number;
  log?: (line: string) => void;
}

export interface TrainResult {
  regression: { manifest: ModelManifest; dir: string };
  autoencoder: { manifest: ModelManifest; dir: string };
}

const SEEDS_PER_SPLIT = 4;
const CONTRACT = { title: "Weld spot", version: "1.0.0" };

export const REGRESSION_FEATURES: FeatureDescription[] = [
  { path: "stack.thickness", reduce: "sum" },
  { path: "stack.thickness", reduce: "min" },
  { path: "stack.coated" },
  { path: "schedule.current" },
  { path: "schedule.weldTime" },
  { path: "schedule.force" },
  { path: "schedule.pulses" },
  { path: "schedule.stepper" },
  { path: "electrode.tipDiameter" },
  { path: "electrode.wear" },
  { path: "measured.energy" },
  { path: "measured.peakCurrent" },
  { path: "measured.rmsCurrent" },
  { path: "measured.meanVoltage" },
  { path: "measured.peakResistance" },
  { path: "measured.endResistance" },
  { path: "measured.stabilityFactor" },
  { path: "measured.expulsion" },
  { path: "measured.weldTime" },
];

export const AUTOENCODER_FEATURES: FeatureDescription[] = [
  { path: "curves.current.values", length: 90 },
  { path: "curves.voltage.values", length: 90 },
  { path: "curves.resistance.values", length: 90 },
  { path: "curves.force.values", length: 90 },
  { path: "schedule.current" },
  { path: "schedule.force" },
  { path: "schedule.weldTime" },
  { path: "stack.thickness", reduce: "sum" },
  { path: "electrode.tipDiameter" },
];

function matrix(spots: readonly LabelledSpot[], features: readonly FeatureDescription[]): Float64Array {
  const width = inputWidth(features);
  const extract = compileExtractor(features);
  const x = new Float64Array(spots.length * width);
  spots.forEach((s, i) => {
    const bad = extract(s.spot, x, i * width);
    if (bad) throw new Error(`training spot ${i}: feature ${bad} missing`);
  });
  return x;
}

const isGood = (s: LabelledSpot) => s.truth.fault === "none" && s.truth.quality === "ok";

export function train(options: TrainOptions): TrainResult {
  const log = options.log ?? (() => {});
  const version = options.version ?? "1.0.0";
  const epochs = options.epochs ?? { regression: 60, autoencoder: 20 };
  const q = options.thresholdQuantile ?? 0.995;
  const t0 = Date.now();
  // Each split mixes several simulator seeds: a seed fixes every gun's starting electrode state,
  // and a model calibrated on one plant state must hold on others.
  // One more part per split comes from a plant with overdue dressing: worn tips (see dataset.ts).
  const split = (name: string, spots: number) => {
    const per = Math.ceil(spots / (SEEDS_PER_SPLIT + 1));
    return [
      ...Array.from({ length: SEEDS_PER_SPLIT }, (_, i) =>
        generateSpots({ seed: `${options.seed}/${name}/${i}`, spots: per }),
      ),
      generateSpots({ seed: `${options.seed}/${name}/overdue`, spots: per, ...OVERDUE_DRESSING }),
    ].flat();
  };
  const trainSet = split("train", options.trainSpots);
  const calSet = split("calibration", options.heldOutSpots);
  const testSet = split("test", options.heldOutSpots);
  log(`simulated ${trainSet.length + calSet.length + testSet.length} spots in ${Date.now() - t0} ms`);
  const data = {
    generator: "@uns/simulator createTraffic, default plant",
    faultRates: TRAINING_FAULTS,
    overdueDressing: {
      ...OVERDUE_DRESSING,
      seeds: `${options.seed}/<split>/overdue`,
      share: round(1 / (SEEDS_PER_SPLIT + 1), 3),
    },
    splits: {
      train: { seeds: `${options.seed}/train/0..${SEEDS_PER_SPLIT - 1}`, spots: trainSet.length },
      calibration: { seeds: `${options.seed}/calibration/0..${SEEDS_PER_SPLIT - 1}`, spots: calSet.length },
      test: { seeds: `${options.seed}/test/0..${SEEDS_PER_SPLIT - 1}`, spots: testSet.length },
      driftReference: {
        seeds: `${options.seed}/reference/0..${SEEDS_PER_SPLIT - 1}`,
        faultRates: PLANT_FAULTS,
      },
    },
  };

  // --- regression ---
  const t1 = Date.now();
  const regX = matrix(trainSet, REGRESSION_FEATURES);
  const regFeatures = fitScaling(REGRESSION_FEATURES, regX, trainSet.length);
  const regScaling = flatScaling(regFeatures);
  applyScaling(regX, trainSet.length, regScaling);
  const targets = trainSet.map((s) => s.truth.nuggetDiameter);
  const yMean = targets.reduce((a, b) => a + b, 0) / targets.length;
  const ySd = Math.sqrt(targets.reduce((a, b) => a + (b - yMean) ** 2, 0) / targets.length) || 1;
  const regY = Float64Array.from(targets, (t) => (t - yMean) / ySd);
  const regNet = createDenseNet(
    regX.length / trainSet.length,
    [
      { units: 32, activation: "tanh" },
      { units: 16, activation: "tanh" },
      { units: 1, activation: "linear" },
    ],
    createPrng(seedFrom(`${options.seed}/regression`)),
  );
  trainDenseNet(regNet, regX, regY, trainSet.length, {
    epochs: epochs.regression,
    batchSize: 64,
    learningRate: 0.003,
    weightDecay: 1e-5,
    random: createPrng(seedFrom(`${options.seed}/regression/shuffle`)),
  });
  // Fold the target scaling into the last layer, so the graph outputs millimetres.
  const last = regNet.layers.at(-1)!;
  for (let i = 0; i < last.w.length; i++) last.w[i]! *= ySd;
  last.b[0] = last.b[0]! * ySd + yMean;
  const predictNugget = (spots: LabelledSpot[]) => {
    const x = matrix(spots, REGRESSION_FEATURES);
    applyScaling(x, spots.length, regScaling);
    return Array.from(regNet.predict(x, spots.length), (v) => Math.max(0, Math.fround(v)));
  };
  const truthOf = (spots: LabelledSpot[]) => spots.map((s) => s.truth.nuggetDiameter);
  const meanMae = (spots: LabelledSpot[]) =>
    meanAbsoluteError(new Array(spots.length).fill(yMean), truthOf(spots));
  const regMetrics = {
    training: {
      mae: meanAbsoluteError(predictNugget(trainSet), truthOf(trainSet)),
      maeOfMean: meanMae(trainSet),
    },
    heldOut: {
      mae: meanAbsoluteError(predictNugget(testSet), truthOf(testSet)),
      maeOfMean: meanMae(testSet),
    },
    unit: "mm",
  };
  log(`regression trained in ${Date.now() - t1} ms: ${JSON.stringify(regMetrics)}`);
  const regName = "rsw-nugget-regression";
  const regGraph = denseNetNodes(regNet, "features", "nugget_diameter", "mlp");
  const regressionDir = writeModel(
    options.outDir,
    regName,
    version,
    {
      name: regName,
      nodes: regGraph.nodes,
      initializers: regGraph.initializers,
      inputs: [{ name: "features", shape: ["batch", regNet.inputs] }],
      outputs: [{ name: "nugget_diameter", shape: ["batch", 1] }],
      producerVersion: version,
    },
    (bytes) => ({
      name: regName,
      version,
      kind: "regression",
      file: "model.onnx",
      sha256: sha256(bytes),
      seed: options.seed,
      description:
        "Nugget diameter (mm) of a resistance spot weld from its schedule, electrode state and summary values.",
      input: { channel: "weldSpot", contract: CONTRACT },
      onnx: { input: "features", output: "nugget_diameter" },
      unit: "mm",
      features: regFeatures,
      metrics: regMetrics,
      data,
    }),
  );

  // --- autoencoder ---
  const t2 = Date.now();
  const good = trainSet.filter(isGood);
  const aeX = matrix(good, AUTOENCODER_FEATURES);
  const aeFeatures = fitScaling(AUTOENCODER_FEATURES, aeX, good.length);
  const aeScaling = flatScaling(aeFeatures);
  applyScaling(aeX, good.length, aeScaling);
  const width = aeX.length / good.length;
  const ae = createDenseNet(
    width,
    [
      { units: 32, activation: "tanh" },
      { units: 8, activation: "linear" },
      { units: 32, activation: "tanh" },
      { units: width, activation: "linear" },
    ],
    createPrng(seedFrom(`${options.seed}/autoencoder`)),
  );
  trainDenseNet(ae, aeX, aeX, good.length, {
    epochs: epochs.autoencoder,
    batchSize: 64,
    learningRate: 0.002,
    random: createPrng(seedFrom(`${options.seed}/autoencoder/shuffle`)),
  });
  const score = (spots: LabelledSpot[]) => {
    const x = matrix(spots, AUTOENCODER_FEATURES);
    applyScaling(x, spots.length, aeScaling);
    const y = ae.predict(x, spots.length);
    const out = new Float64Array(spots.length);
    for (let r = 0; r < spots.length; r++) {
      let s = 0;
      for (let i = 0; i < width; i++) s += (x[r * width + i]! - y[r * width + i]!) ** 2;
      out[r] = s / width;
    }
    return out;
  };
  const calGood = calSet.filter(isGood);
  const threshold = round(quantile(score(calGood), q), 6);
  const faulty = (s: LabelledSpot) => s.truth.fault !== "none";
  // Positives: spots with a named fault; negatives: good spots (no fault, nugget ok). Spots that
  // are nok without a named fault are neither, and reported apart.
  const evaluate = (all: LabelledSpot[]) => {
    const spots = all.filter((s) => faulty(s) || isGood(s));
    const sc = score(spots);
    const result: Record<string, unknown> = { ...detection(sc, spots.map(faulty), threshold) };
    const unlabelled = all.filter((s) => !faulty(s) && !isGood(s));
    const usc = score(unlabelled);
    result.nokWithoutFault = {
      spots: unlabelled.length,
      flagged: Array.from(usc).filter((v) => v > threshold).length,
    };
    const byFault: Record<string, number> = {};
    for (const fault of ["expulsion", "cold-weld", "shunting", "worn-tips"]) {
      const idx = spots.map((s, i) => (s.truth.fault === fault ? i : -1)).filter((i) => i >= 0);
      if (idx.length) byFault[fault] = round(idx.filter((i) => sc[i]! > threshold).length / idx.length);
    }
    result.recallByFault = byFault;
    return result;
  };
  const aeMetrics = {
    training: evaluate(trainSet),
    heldOut: evaluate(testSet),
    threshold: { quantile: q, of: "scores of good held-out calibration spots", value: threshold },
    positives: "spots whose truth names a fault (expulsion, cold-weld, shunting, worn-tips)",
    negatives: "good spots: no fault and the nugget reaches its acceptance limit",
  };
  log(`autoencoder trained in ${Date.now() - t2} ms: ${JSON.stringify(aeMetrics)}`);
  // The drift reference describes the plant as it runs (its own fault rates), not the enriched
  // training mix: a plant that looks like this is not drifting.
  const plantSet = Array.from({ length: SEEDS_PER_SPLIT }, (_, i) =>
    generateSpots({
      seed: `${options.seed}/reference/${i}`,
      spots: Math.ceil(options.heldOutSpots / SEEDS_PER_SPLIT),
      faults: PLANT_FAULTS,
    }),
  ).flat();
  const reference = driftReference(plantSet.filter(isGood), score);
  const aeName = "rsw-curve-autoencoder";
  const aeGraph = denseNetNodes(ae, "features", "reconstruction", "ae");
  const autoencoderDir = writeModel(
    options.outDir,
    aeName,
    version,
    {
      name: aeName,
      nodes: [
        ...aeGraph.nodes,
        { op: "Sub", name: "error", inputs: ["features", "reconstruction"], outputs: ["error"] },
        { op: "Mul", name: "squared", inputs: ["error", "error"], outputs: ["squared"] },
        {
          op: "ReduceMean",
          name: "mse",
          inputs: ["squared"],
          outputs: ["score"],
          attributes: [
            { name: "axes", ints: [1] },
            { name: "keepdims", int: 0 },
          ],
        },
      ],
      initializers: aeGraph.initializers,
      inputs: [{ name: "features", shape: ["batch", width] }],
      outputs: [
        { name: "score", shape: ["batch"] },
        { name: "reconstruction", shape: ["batch", width] },
      ],
      producerVersion: version,
    },
    (bytes) => ({
      name: aeName,
      version,
      kind: "anomaly",
      file: "model.onnx",
      sha256: sha256(bytes),
      seed: options.seed,
      description:
        "Dense autoencoder on the four weld curves; score = mean squared reconstruction error of the scaled inputs.",
      input: { channel: "weldSpot", contract: CONTRACT },
      onnx: { input: "features", output: "score" },
      threshold,
      features: aeFeatures,
      metrics: aeMetrics,
      data,
      reference,
    }),
  );
  return {
    regression: { manifest: readJson(regressionDir), dir: regressionDir },
    autoencoder: { manifest: readJson(autoencoderDir), dir: autoencoderDir },
  };
}

/** Inputs watched for drift, and the model's score. */
export const DRIFT_INPUTS = [
  "measured.energy",
  "measured.rmsCurrent",
  "measured.peakResistance",
  "measured.endResistance",
  "electrode.tipDiameter",
];

function driftReference(
  good: LabelledSpot[],
  score: (spots: LabelledSpot[]) => Float64Array,
): DriftReference {
  const byProgram: DriftReference["byProgram"] = {};
  const programs = [...new Set(good.map((s) => s.spot.program as number))].sort((a, b) => a - b);
  const extract = compileExtractor(DRIFT_INPUTS.map((path) => ({ path })));
  for (const program of programs) {
    const spots = good.filter((s) => s.spot.program === program);
    const rows = spots.map((s) => {
      const row = new Float64Array(DRIFT_INPUTS.length);
      extract(s.spot, row, 0);
      return row;
    });
    const hist: Record<string, ReturnType<typeof histogramOf>> = {};
    DRIFT_INPUTS.forEach((name, i) => {
      hist[name] = histogramOf(rows.map((r) => r[i]!));
    });
    hist.score = histogramOf(Array.from(score(spots)));
    byProgram[String(program)] = hist;
  }
  return { inputs: [...DRIFT_INPUTS, "score"], byProgram };
}

function writeModel(
  outDir: string,
  name: string,
  version: string,
  graph: OnnxGraph,
  manifest: (bytes: Buffer) => ModelManifest,
): string {
  const dir = join(outDir, name, version);
  mkdirSync(dir, { recursive: true });
  const bytes = encodeOnnxModel(graph);
  writeFileSync(join(dir, "model.onnx"), bytes);
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest(bytes), null, 2)}\n`);
  return dir;
}

function readJson(dir: string): ModelManifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
}
