import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { applyScaling, compileExtractor, flatScaling, inputWidth } from "../src/model/features.js";
import { readModel } from "../src/model/manifest.js";
import { generateSpots, OVERDUE_DRESSING } from "../src/train/dataset.js";
import { type TrainOptions, train } from "../src/train/train.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "uns-train-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// A small sample keeps this fast; `pnpm train` uses thousands of spots.
const small = (seed: string, outDir: string): TrainOptions => ({
  seed,
  outDir,
  trainSpots: 400,
  heldOutSpots: 200,
  epochs: { regression: 4, autoencoder: 2 },
});
const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("training", () => {
  it("gives byte-identical model files for the same seed, and different ones for another seed", () => {
    const a = train(small("s1", tmp()));
    const b = train(small("s1", tmp()));
    const c = train(small("s2", tmp()));
    for (const key of ["regression", "autoencoder"] as const) {
      for (const file of ["model.onnx", "manifest.json"])
        expect(sha(join(a[key].dir, file))).toBe(sha(join(b[key].dir, file)));
      expect(a[key].manifest.sha256).toBe(sha(join(a[key].dir, "model.onnx")));
      expect(c[key].manifest.sha256).not.toBe(a[key].manifest.sha256);
    }
    // The manifest records how the model was made and how it did on held-out data.
    const m = a.autoencoder.manifest;
    expect(m.seed).toBe("s1");
    expect(m.threshold).toBeGreaterThan(0);
    expect(m.metrics?.heldOut).toMatchObject({ rocAuc: expect.any(Number), recall: expect.any(Number) });
    expect(a.regression.manifest.metrics?.heldOut).toMatchObject({
      mae: expect.any(Number),
      maeOfMean: expect.any(Number),
    });
  });

  it("the committed models load in onnxruntime and score held-out spots as their manifests say", async () => {
    const root = new URL("../../../models/", import.meta.url).pathname;
    const reg = readModel(join(root, "rsw-nugget-regression/1.0.0/manifest.json"));
    const ae = readModel(join(root, "rsw-curve-autoencoder/1.0.0/manifest.json"));
    // Fresh spots from seeds no split used: the default plant and one with overdue tip dressing,
    // whose worn caps are a fault the models must see too.
    const spots = [
      ...generateSpots({ seed: "unseen-by-training", spots: 600 }),
      ...generateSpots({ seed: "unseen-by-training/overdue", spots: 300, ...OVERDUE_DRESSING }),
    ];
    const run = async (model: typeof reg) => {
      const session = await ort.InferenceSession.create(model.bytes);
      const width = inputWidth(model.manifest.features);
      const x = new Float32Array(spots.length * width);
      const extract = compileExtractor(model.manifest.features);
      for (const [i, s] of spots.entries()) expect(extract(s.spot, x, i * width)).toBeNull();
      applyScaling(x, spots.length, flatScaling(model.manifest.features));
      const out = await session.run({ features: new ort.Tensor("float32", x, [spots.length, width]) });
      return out[model.manifest.onnx.output]!.data as Float32Array;
    };
    const nugget = await run(reg);
    let mae = 0;
    spots.forEach((s, i) => {
      mae += Math.abs(nugget[i]! - s.truth.nuggetDiameter);
    });
    expect(mae / spots.length).toBeLessThan(0.3);
    const score = await run(ae);
    const faulty = spots.map((s, i) => ({
      f: s.truth.fault !== "none",
      flagged: score[i]! > ae.manifest.threshold!,
    }));
    const pos = faulty.filter((s) => s.f);
    expect(pos.length).toBeGreaterThan(5);
    expect(pos.filter((s) => s.flagged).length / pos.length).toBeGreaterThanOrEqual(0.9);
    const good = faulty.filter((s, i) => !s.f && spots[i]!.truth.quality === "ok");
    expect(good.filter((s) => s.flagged).length / good.length).toBeLessThanOrEqual(0.02);
    const worn = faulty.filter((_s, i) => spots[i]!.truth.fault === "worn-tips");
    expect(worn.length).toBeGreaterThan(50);
    expect(worn.filter((s) => s.flagged).length / worn.length).toBeGreaterThanOrEqual(0.9);
    expect(ae.manifest.metrics?.heldOut).toMatchObject({
      recallByFault: { "worn-tips": expect.any(Number) },
    });
  });
});
