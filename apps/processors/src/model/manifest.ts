import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { processorError } from "../errors.js";
import type { DriftReference } from "../lifecycle/drift.js";
import { type FeatureSpec, featureWidth } from "./features.js";

/**
 * The manifest beside every ONNX file (`models/<name>/<version>/manifest.json`): what the model
 * reads, how its inputs are built and scaled, what it outputs, how it was trained and how well it
 * did on held-out data. A model trained elsewhere loads the same way when it ships a manifest.
 */
export interface ModelManifest {
  name: string;
  version: string;
  /** `regression`: one output per spot (e.g. nugget diameter); `anomaly`: a score vs `threshold`. */
  kind: "regression" | "anomaly" | "patch-classifier";
  /** ONNX file, relative to the manifest. */
  file: string;
  /** sha256 of the ONNX file, hex. */
  sha256: string;
  /** The channel (AsyncAPI id) and contract version the features are read from. */
  input: { channel: string; contract: { title: string; version: string } };
  /** Names of the ONNX graph's input (float32 [batch, width]) and the output used. */
  onnx: { input: string; output: string };
  features: FeatureSpec[];
  /** A `patch-classifier` (splatter) reads image patches, not payload fields: their layout. */
  patch?: {
    cell: number;
    size: number;
    grid: number;
    shapeFeatures: number;
    features: number;
    candidateThreshold: number;
    /**
     * Candidates whose score lies in this band are scored again on their transposed patch and
     * the two scores averaged (`threshold` was calibrated so); absent: one run.
     */
    transposeBand?: [number, number];
    /** Features below the background relative to its headroom (patch-features.ts `darkScale`). */
    darkRelative?: boolean;
    /** A wider, coarser view appended to the features (patch-features.ts `PatchLayout`). */
    context?: { size: number; grid: number };
  };
  /** Unit of a regression output. */
  unit?: string;
  /** Anomaly threshold, calibrated on held-out good spots. */
  threshold?: number;
  seed?: string;
  metrics?: Record<string, unknown>;
  data?: Record<string, unknown>;
  description?: string;
  /** Training distributions for drift monitoring; `score` names the model's own output. */
  reference?: DriftReference;
}

export interface LoadedModel {
  manifest: ModelManifest;
  manifestPath: string;
  onnxPath: string;
  bytes: Buffer;
  width: number;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** Lists every problem with a parsed manifest (empty when it is fine). */
export function checkManifest(m: unknown): string[] {
  const problems: string[] = [];
  if (m === null || typeof m !== "object") return ["the manifest is not a JSON object"];
  const o = m as Record<string, unknown>;
  const str = (k: string, re?: RegExp, hint?: string) => {
    if (typeof o[k] !== "string" || (re && !re.test(o[k] as string)))
      problems.push(`"${k}" must be ${hint ?? "a string"}, got ${JSON.stringify(o[k])}`);
  };
  str("name", NAME, "a lowercase id like rsw-nugget-regression");
  str("version", SEMVER, "a semantic version like 1.2.0");
  str("file");
  str("sha256", /^[0-9a-f]{64}$/, "64 hex digits");
  if (o.kind !== "regression" && o.kind !== "anomaly" && o.kind !== "patch-classifier")
    problems.push(
      `"kind" must be "regression", "anomaly" or "patch-classifier", got ${JSON.stringify(o.kind)}`,
    );
  const input = o.input as ModelManifest["input"] | undefined;
  if (!input || typeof input.channel !== "string" || typeof input.contract?.version !== "string")
    problems.push(`"input" must be { channel, contract: { title, version } }`);
  const onnx = o.onnx as ModelManifest["onnx"] | undefined;
  if (!onnx || typeof onnx.input !== "string" || typeof onnx.output !== "string")
    problems.push(`"onnx" must be { input, output } naming the graph's input and output`);
  if (
    (o.kind === "anomaly" || o.kind === "patch-classifier") &&
    (typeof o.threshold !== "number" || !(o.threshold >= 0))
  )
    problems.push(`an anomaly model needs a "threshold" >= 0`);
  if (o.kind === "patch-classifier") {
    const patch = o.patch as ModelManifest["patch"];
    if (!patch || !Number.isInteger(patch.features) || !Number.isInteger(patch.size))
      problems.push(
        `a patch classifier needs "patch" { cell, size, grid, shapeFeatures, features, candidateThreshold }`,
      );
    const band = patch?.transposeBand;
    if (
      band !== undefined &&
      !(Array.isArray(band) && band.length === 2 && band[0] >= 0 && band[0] <= band[1] && band[1] <= 1)
    )
      problems.push(`"patch.transposeBand" must be [low, high] with 0 <= low <= high <= 1`);
    if (patch?.darkRelative !== undefined && typeof patch.darkRelative !== "boolean")
      problems.push(`"patch.darkRelative" must be true or false`);
    const context = patch?.context;
    if (
      context !== undefined &&
      !(
        Number.isInteger(context?.size) &&
        Number.isInteger(context?.grid) &&
        context.grid > 0 &&
        context.size % context.grid === 0
      )
    )
      problems.push(
        `"patch.context" must be { size, grid }: whole pixels, size a multiple of grid (e.g. 96, 12)`,
      );
  } else if (!Array.isArray(o.features) || o.features.length === 0) {
    problems.push(`"features" must be a non-empty list`);
  } else {
    o.features.forEach((f: Partial<FeatureSpec>, i: number) => {
      const where = `features[${i}]`;
      if (typeof f?.path !== "string" || f.path === "") {
        problems.push(`${where}.path must be a dotted path into the payload`);
        return;
      }
      const w = featureWidth(f as FeatureSpec);
      for (const k of ["mean", "scale"] as const) {
        const v = f[k];
        const ok =
          w === 1 && f.length === undefined ? typeof v === "number" : Array.isArray(v) && v.length === w;
        if (!ok) problems.push(`${where}.${k} (${f.path}) must be ${w === 1 ? "a number" : `${w} numbers`}`);
      }
    });
  }
  return problems;
}

/**
 * Reads a manifest and its ONNX file, checks the manifest and the file's sha256. Throws
 * UNS_ERR_MODEL_* naming the file and everything that is wrong.
 */
export function readModel(manifestPath: string): LoadedModel {
  const path = resolve(manifestPath);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw processorError(
      "UNS_ERR_MODEL_MANIFEST",
      `${path}: cannot read the manifest: ${(cause as Error).message}`,
      { cause },
    );
  }
  const problems = checkManifest(parsed);
  if (problems.length > 0)
    throw processorError("UNS_ERR_MODEL_MANIFEST", `${path}: ${problems.join("; ")}`, { details: problems });
  const manifest = parsed as ModelManifest;
  const onnxPath = join(dirname(path), manifest.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(onnxPath);
  } catch (cause) {
    throw processorError("UNS_ERR_MODEL_FILE", `${onnxPath}: cannot read the model file (named by ${path})`, {
      cause,
    });
  }
  const sha = createHash("sha256").update(bytes).digest("hex");
  if (sha !== manifest.sha256)
    throw processorError(
      "UNS_ERR_MODEL_CHECKSUM",
      `${onnxPath}: sha256 is ${sha}, the manifest ${path} says ${manifest.sha256}; the file is corrupt or not the one the manifest describes`,
    );
  const width = manifest.features.reduce((n, f) => n + featureWidth(f), 0);
  return { manifest, manifestPath: path, onnxPath, bytes, width };
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
