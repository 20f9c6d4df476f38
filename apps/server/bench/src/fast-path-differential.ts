#!/usr/bin/env node
/**
 * The fast path's differential run (libs/contracts/src/fast-path-differential.ts) at bench size:
 * native verdicts against ajv's on generated and mutated payloads over every contract, the
 * corpus and the synthetic schemas. Exits 1 on any disagreement and prints the first ones
 * (payloads in base64, to replay). The CI test runs the same with 110,000 cases.
 *
 *   node apps/server/bench/dist/fast-path-differential.js [--cases 1000000] [--seed 14]
 *
 * About 3 minutes per million cases on one core (ajv's side is most of it).
 */
import { parseArgs } from "node:util";
import { fastPathStatus } from "@uns/contracts";
import { describeTally, loadDifferentialSets, runDifferential } from "@uns/contracts/fast-path-differential";

const { values: args } = parseArgs({
  options: {
    cases: { type: "string", default: "1000000" },
    seed: { type: "string", default: "14" },
  },
});
const cases = Number(args.cases);
const seed = Number(args.seed);
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed)) {
  process.stderr.write("--cases must be a positive integer and --seed an integer\n");
  process.exit(2);
}
const status = fastPathStatus();
if (!status.native) {
  process.stderr.write(`the native fast path is not available (${status.reason}): nothing to compare\n`);
  process.exit(2);
}
const loaded = await loadDifferentialSets();
try {
  const t = runDifferential(loaded.sets, seed, cases);
  process.stdout.write(`${describeTally(t, seed)}\n`);
  for (const d of t.disagreements.slice(0, 10)) process.stdout.write(`  ${d}\n`);
  process.exitCode = t.disagreements.length === 0 ? 0 : 1;
} finally {
  loaded.cleanup();
}
