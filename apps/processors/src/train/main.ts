#!/usr/bin/env node
/**
 * `pnpm train`: trains the weld-quality models from simulated spots and writes them with their
 * manifests under models/ (or --out). The same --seed gives byte-identical files.
 *
 *   pnpm train [-- --seed 2026 --version 1.0.0 --train-spots 6000 --held-out-spots 3000 --out models]
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { train } from "./train.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "2026" },
    version: { type: "string", default: "1.0.0" },
    "train-spots": { type: "string", default: "4000" },
    "held-out-spots": { type: "string", default: "2000" },
    out: { type: "string", default: "models" },
  },
});
const start = Date.now();
const result = train({
  seed: values.seed,
  version: values.version,
  outDir: resolve(values.out),
  trainSpots: Number(values["train-spots"]),
  heldOutSpots: Number(values["held-out-spots"]),
  log: (line) => console.log(`train: ${line}`),
});
for (const m of [result.regression, result.autoencoder])
  console.log(`train: wrote ${m.dir} (sha256 ${m.manifest.sha256.slice(0, 16)}...)`);
console.log(`train: done in ${((Date.now() - start) / 1000).toFixed(1)} s`);
