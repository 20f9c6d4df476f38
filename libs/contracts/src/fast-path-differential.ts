/**
 * Differential run of the native fast path against ajv (issue 14), shared by the CI test
 * (fast-path-differential.test.ts, 110,000 cases) and the bench
 * (apps/server/bench/src/fast-path-differential.ts, `--cases 1000000`): for every contract in
 * asyncapi/, in the third-party corpus and in the synthetic schemas, generated payloads and
 * their mutations are judged by both. The native verdict must be ajv's exactly: valid <-> valid,
 * invalid <-> invalid, not strict JSON <-> the parse refusing it. "Unsure" (left to ajv by
 * design: a lone surrogate under a pattern, non-ASCII under a format) is counted, not a failure.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChannelSpec, ContractSet, JSONSchema } from "./contract-set.js";
import { createRng, generate, mutateText, mutateValue, serialize } from "./fast-path-cases.js";
import { syntheticSet } from "./fast-path-synthetic.js";
import { loadContracts } from "./load-contracts.js";
import { createValidator, parsePayload } from "./validator.js";

export interface DifferentialSets {
  sets: Array<{ label: string; set: ContractSet }>;
  /** Removes the temporary directories the corpus documents were loaded from. */
  cleanup(): void;
}

export interface Tally {
  cases: number;
  valid: number;
  invalid: number;
  notJson: number;
  unsure: number;
  ajvOnlyCases: number;
  fastMessages: number;
  ajvOnlyMessages: string[];
  /** Each names the contract, both verdicts and the payload (base64), so it can be replayed. */
  disagreements: string[];
  seconds: number;
}

const repo = fileURLToPath(new URL("../../../", import.meta.url));

/** asyncapi/, every corpus document on its own (they repeat channel ids) and the synthetic set. */
export async function loadDifferentialSets(): Promise<DifferentialSets> {
  const sets: DifferentialSets["sets"] = [];
  const dirs: string[] = [];
  sets.push({ label: "asyncapi/", set: (await loadContracts(join(repo, "asyncapi"))).set });
  const corpus = join(repo, "libs/contracts/test-fixtures/corpus");
  const files = ["asyncapi-spec", "parser-js", "third-party"].flatMap((sub) =>
    readdirSync(join(corpus, sub))
      .filter((x) => /\.(ya?ml|json)$/.test(x))
      .map((f) => join(sub, f)),
  );
  const loaded = await Promise.all(
    files.map(async (rel) => {
      const dir = mkdtempSync(join(tmpdir(), "uns-fastpath-"));
      dirs.push(dir);
      copyFileSync(join(corpus, rel), join(dir, basename(rel)));
      return { label: `corpus/${rel}`, set: (await loadContracts(dir)).set };
    }),
  );
  sets.push(...loaded);
  sets.push({ label: "synthetic", set: syntheticSet() });
  return {
    sets,
    cleanup: () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Without topic parameters, so validate() reaches the payload whatever the topic. */
function payloadOnly(set: ContractSet): ContractSet {
  return {
    ...set,
    channels: set.channels.map((c): ChannelSpec => ({ ...c, address: null, filter: null, parameters: {} })),
  };
}

/** One payload: generated from the schema, then (mostly) mutated as a value and as bytes. */
function payloadFor(rng: () => number, schema: JSONSchema): Buffer {
  const base = generate(rng, schema);
  const roll = rng();
  const value = roll < 0.45 ? base : mutateValue(rng, base);
  const text = serialize(rng, value);
  return Buffer.from(roll > 0.7 ? mutateText(rng, text) : Buffer.from(text));
}

/**
 * About `total` native cases spread evenly over the messages the fast path takes (ajv-only
 * channels get 200 end-to-end cases each), from `seed`.
 */
export function runDifferential(sets: DifferentialSets["sets"], seed: number, total: number): Tally {
  const t: Tally = {
    cases: 0,
    valid: 0,
    invalid: 0,
    notJson: 0,
    unsure: 0,
    ajvOnlyCases: 0,
    fastMessages: 0,
    ajvOnlyMessages: [],
    disagreements: [],
    seconds: 0,
  };
  const prepared = sets.map(({ label, set }) => {
    const flat = payloadOnly(set);
    return { label, flat, fast: createValidator(flat), ajv: createValidator(flat, { fastPath: "off" }) };
  });
  for (const p of prepared) {
    for (const c of p.flat.channels) {
      if (p.fast.fastChecks(c.id)) t.fastMessages += c.messages.length;
      else t.ajvOnlyMessages.push(`${p.label}#${c.id}`);
    }
  }
  const perMessage = Math.ceil(total / Math.max(1, t.fastMessages));
  const rng = createRng(seed);
  const started = performance.now();
  for (const { label, flat, fast, ajv } of prepared) {
    for (const c of flat.channels) {
      const checks = fast.fastChecks(c.id);
      const messages = c.messages.filter((m) => m.payload !== null && m.supported);
      const n = checks ? perMessage : 200;
      for (const m of messages) {
        for (let i = 0; i < n; i++) {
          const buf = payloadFor(rng, m.payload as JSONSchema);
          // End to end (every fourth case): the validator with the fast path gives exactly
          // the result of ajv alone.
          const a = i % 4 === 0 || !checks ? ajv.validate(c.id, "t", buf) : null;
          const f = a ? fast.validate(c.id, "t", buf) : null;
          if (a && JSON.stringify(a) !== JSON.stringify(f)) {
            t.disagreements.push(
              `${label}#${c.id} validate: ${JSON.stringify(f)} vs ajv ${JSON.stringify(a)} on ${buf.toString("base64")}`,
            );
          }
          if (!checks) {
            t.ajvOnlyCases++;
            continue;
          }
          // The raw native verdict of this message, against JSON.parse + ajv for it alone.
          const check = checks.find((x) => x.name === m.name)!.check;
          const raw = check(buf, 64);
          const parsed = parsePayload(buf, 64);
          const expected = !parsed.ok
            ? 3
            : ajv.validateValue(c.id, parsed.value, m.name).outcome === "valid"
              ? 0
              : 1;
          t.cases++;
          if (raw === 2) t.unsure++;
          else if (raw !== expected) {
            t.disagreements.push(
              `${label}#${c.id}/${m.name}: native ${raw}, ajv ${expected} on ${buf.toString("base64")}`,
            );
          }
          if (expected === 0) t.valid++;
          else if (expected === 1) t.invalid++;
          else t.notJson++;
        }
      }
    }
  }
  t.seconds = (performance.now() - started) / 1000;
  return t;
}

/** One line for the log. */
export function describeTally(t: Tally, seed: number): string {
  return (
    `fast path differential (seed ${seed}): ${t.cases} native cases (${t.valid} valid, ${t.invalid} invalid, ` +
    `${t.notJson} not strict JSON, ${t.unsure} unsure) over ${t.fastMessages} messages, ` +
    `${t.ajvOnlyCases} end-to-end cases on ${t.ajvOnlyMessages.length} ajv-only channels, ` +
    `${t.disagreements.length} disagreements, ${t.seconds.toFixed(1)} s`
  );
}
