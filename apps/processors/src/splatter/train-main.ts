#!/usr/bin/env node
/**
 * `pnpm train:splatter`: trains the splatter patch classifier from simulated frames and writes it
 * with its manifest under models/ (or --out). The same --seed gives the same files.
 *
 *   pnpm train:splatter [-- --seed 2026 --version 3.0.0 --tiles 1440 --out models --context]
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { trainSplatter } from "./train.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "2026" },
    version: { type: "string", default: "3.0.0" },
    context: { type: "boolean", default: false },
    tiles: { type: "string", default: "1440" },
    epochs: { type: "string", default: "30" },
    out: { type: "string", default: "models" },
  },
});
const start = Date.now();
const { dir, manifest } = await trainSplatter({
  seed: values.seed,
  version: values.version,
  outDir: resolve(values.out),
  tiles: Number(values.tiles),
  epochs: Number(values.epochs),
  context: values.context,
  log: (line) => console.log(`train:splatter: ${line}`),
});
console.log(
  `train:splatter: wrote ${dir} (sha256 ${manifest.sha256.slice(0, 16)}...) in ${((Date.now() - start) / 1000).toFixed(1)} s`,
);
