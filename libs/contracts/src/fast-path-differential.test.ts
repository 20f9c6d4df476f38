/**
 * Differential test of the native fast path against ajv (issue 14), CI-sized: see
 * fast-path-differential.ts for what is generated and compared. A bigger run:
 * `node apps/server/bench/dist/fast-path-differential.js --cases 1000000`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DifferentialSets,
  describeTally,
  loadDifferentialSets,
  runDifferential,
} from "./fast-path-differential.js";
import { SYNTHETIC, syntheticSet } from "./fast-path-synthetic.js";
import { createValidator, fastPathStatus } from "./validator.js";

const SEED = Number(process.env.UNS_FAST_PATH_SEED ?? 14);
const TOTAL = Number(process.env.UNS_FAST_PATH_CASES ?? 110_000);
const native = fastPathStatus().native;

describe.skipIf(!native)("fast path vs ajv (differential)", () => {
  let loaded: DifferentialSets | undefined;

  beforeAll(async () => {
    loaded = await loadDifferentialSets();
  }, 120_000);
  afterAll(() => loaded?.cleanup());

  it("compiles every synthetic schema for the fast path (else this test proves nothing about them)", () => {
    const v = createValidator(syntheticSet());
    for (const id of Object.keys(SYNTHETIC)) expect(v.fastChecks(id), id).toBeDefined();
  });

  it("agrees with ajv on every generated and mutated payload", () => {
    const t = runDifferential(loaded!.sets, SEED, TOTAL);
    process.stdout.write(`${describeTally(t, SEED)}\n`);
    expect(t.disagreements.slice(0, 10)).toEqual([]);
    expect(t.cases).toBeGreaterThanOrEqual(100_000);
    // Every verdict class must be well represented, or the generator has gone blind.
    expect(t.valid).toBeGreaterThan(t.cases * 0.2);
    expect(t.invalid).toBeGreaterThan(t.cases * 0.1);
    expect(t.notJson).toBeGreaterThan(t.cases * 0.03);
    expect(t.unsure).toBeLessThan(t.cases * 0.01);
  }, 120_000);
});
