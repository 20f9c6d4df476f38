import ort from "onnxruntime-node";
import type { ModelManifest } from "../model/manifest.js";
import { type Candidate, findCandidates, iou } from "./candidates.js";
import { averageTransposed, clamp01, featureCount, layoutOf } from "./patch-features.js";

/**
 * Splatter in a decoded frame: candidates in plain code, then one onnxruntime run of the patch
 * classifier over all of them (and a second, small one over the borderline candidates' transposed
 * patches when the manifest gives a `transposeBand`); boxes scoring at least the manifest's
 * threshold are kept, and overlapping boxes merged (the better score wins).
 */
export interface Detection extends Candidate {
  label: "splatter";
  score: number;
}

export interface Detector {
  readonly manifest: ModelManifest;
  detect(
    pixels: Uint8Array,
    width: number,
    height: number,
  ): Promise<{ detections: Detection[]; candidates: number; findMs: number; modelMs: number }>;
}

export async function createDetector(manifest: ModelManifest, bytes: Uint8Array): Promise<Detector> {
  const layout = manifest.patch ? layoutOf(manifest.patch) : undefined;
  const features = layout ? featureCount(layout) : 0;
  if (manifest.kind !== "patch-classifier" || !layout || manifest.patch?.features !== features)
    throw new Error(
      `model ${manifest.name} ${manifest.version} is a ${manifest.kind} with ${manifest.patch?.features ?? "no"} patch features; this detector needs a patch-classifier whose "patch.features" is ${features || "the count of its layout"} (${layout?.context ? `the base ${featureCount({})} and a ${layout.context.grid} x ${layout.context.grid} context` : `the base layout; with "patch.context" more`})`,
    );
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  const threshold = manifest.threshold ?? 0.5;
  const candidateThreshold = manifest.patch.candidateThreshold;
  const band = manifest.patch.transposeBand;
  const run = async (batch: Float32Array, rows: number) => {
    const out = await session.run(
      { [manifest.onnx.input]: new ort.Tensor("float32", batch, [rows, features]) },
      [manifest.onnx.output],
    );
    return out[manifest.onnx.output]!.data as Float32Array;
  };
  return {
    manifest,
    async detect(pixels, width, height) {
      const t0 = performance.now();
      const set = findCandidates(pixels, width, height, { threshold: candidateThreshold, layout });
      const findMs = performance.now() - t0;
      const t1 = performance.now();
      const n = set.candidates.length;
      let scores: Float32Array = new Float32Array(0);
      if (n > 0) {
        scores = Float32Array.from(await run(set.features, n), clamp01);
        if (band) scores = await averageTransposed(scores, set.features, band, run, layout);
      }
      const modelMs = performance.now() - t1;
      const kept: Detection[] = [];
      set.candidates.forEach((c, i) => {
        const score = scores[i]!;
        if (score >= threshold)
          kept.push({ label: "splatter", score: Math.round(score * 1000) / 1000, ...c });
      });
      kept.sort((a, b) => b.score - a.score);
      const detections: Detection[] = [];
      for (const d of kept) if (!detections.some((o) => iou(o, d) > 0.1)) detections.push(d);
      return { detections: detections.slice(0, 1000), candidates: n, findMs, modelMs };
    },
  };
}
