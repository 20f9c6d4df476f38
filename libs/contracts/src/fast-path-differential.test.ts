/**
 * Differential test of the native fast path against ajv (issue 14): for every contract in
 * asyncapi/, in the third-party corpus and in a set of synthetic schemas that use every keyword
 * the fast path supports, generated payloads and their mutations are judged by both. The native
 * verdict must be ajv's exactly: valid <-> valid, invalid <-> invalid, not strict JSON <-> the
 * parse refusing it. "Unsure" (left to ajv by design: a lone surrogate under a pattern,
 * non-ASCII under a format) is allowed but counted and bounded.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelSpec, ContractSet, JSONSchema } from "./contract-set.js";
import { createRng, generate, mutateText, mutateValue, serialize } from "./fast-path-cases.js";
import { loadContracts } from "./load-contracts.js";
import { createValidator, fastPathStatus, parsePayload } from "./validator.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const corpus = join(repo, "libs/contracts/test-fixtures/corpus");
const SEED = Number(process.env.UNS_FAST_PATH_SEED ?? 14);
const TOTAL = Number(process.env.UNS_FAST_PATH_CASES ?? 110_000);
const native = fastPathStatus().native;

/** Schemas that between them use every keyword, format and pattern feature the fast path takes. */
const SYNTHETIC: Record<string, JSONSchema> = {
  numbers: {
    type: "object",
    properties: {
      i: { type: "integer", minimum: -5, maximum: 5 },
      n: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
      half: { type: "number", multipleOf: 0.5 },
      three: { type: "integer", multipleOf: 3 },
      tenth: { multipleOf: 0.1, maximum: 100 },
      big: { type: "integer", maximum: 9007199254740992 },
      e: { enum: [1, 2.5, -0, "1", null, true] },
      c: { const: 0 },
      u32: { type: "integer", minimum: 0, maximum: 4294967295 },
    },
  },
  strings: {
    type: "object",
    properties: {
      s: { type: "string", minLength: 2, maxLength: 4 },
      p: { type: "string", pattern: "^[a-c]{1,3}x?$" },
      u: { pattern: "b+" },
      dot: { pattern: "^a.c$" },
      neg: { pattern: "^[^0-9]+$" },
      w: { pattern: "^\\w+\\.\\d*$" },
      id: { type: "string", pattern: "^[a-z0-9][a-z0-9_.-]{0,63}$" },
      lazy: { pattern: "^x+?y{2,}z*$" },
      dt: { type: "string", format: "date-time" },
      d: { format: "date" },
      t: { format: "time" },
      en: { enum: ["é", "😀", 'a"b', "x"] },
    },
    additionalProperties: { type: "string", maxLength: 3 },
  },
  anyOf: { anyOf: [{ type: "integer" }, { type: "string", maxLength: 2 }] },
  oneOf: {
    oneOf: [
      { type: "number", minimum: 0 },
      { type: "integer", maximum: 10 },
    ],
  },
  not: { not: { type: "object" }, type: ["array", "object", "string", "null"] },
  allOf: {
    allOf: [{ required: ["a"] }, { properties: { a: { type: "boolean" }, b: { type: "null" } } }],
    additionalProperties: false,
  },
  arrays: {
    type: "array",
    minItems: 1,
    maxItems: 3,
    items: {
      type: "object",
      required: ["k"],
      properties: {
        k: { type: ["string", "null"] },
        v: { type: "array", items: { type: "number", minimum: 0 } },
      },
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 2,
    },
  },
  booleans: { type: "object", properties: { yes: true, no: false }, required: ["yes"] },
  scalars: { type: ["null", "boolean"] },
  nested: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    required: ["a"],
    properties: {
      a: {
        type: "object",
        properties: { b: { type: "array", items: { type: "array", items: { type: "number", minimum: 0 } } } },
      },
    },
  },
};

function syntheticSet(): ContractSet {
  return {
    version: "synthetic",
    channels: Object.entries(SYNTHETIC).map(([id, payload]) => ({
      id,
      file: "synthetic",
      title: id,
      version: "1",
      address: null,
      filter: null,
      parameters: {},
      messages: [
        {
          name: id,
          contentType: "application/json",
          schemaFormat: "application/vnd.aai.asyncapi+json;version=3.0.0",
          payload,
          supported: true,
          examples: [],
        },
      ],
    })),
  };
}

/** Without topic parameters, so validate() reaches the payload whatever the topic. */
function payloadOnly(set: ContractSet): ContractSet {
  return {
    ...set,
    channels: set.channels.map((c): ChannelSpec => ({ ...c, address: null, filter: null, parameters: {} })),
  };
}

interface Tally {
  cases: number;
  valid: number;
  invalid: number;
  notJson: number;
  unsure: number;
  ajvOnlyCases: number;
  fastMessages: number;
  ajvOnlyMessages: string[];
  disagreements: string[];
}

describe.skipIf(!native)("fast path vs ajv (differential)", () => {
  const sets: Array<{ label: string; set: ContractSet }> = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    sets.push({ label: "asyncapi/", set: (await loadContracts(join(repo, "asyncapi"))).set });
    // Each document alone (the corpus repeats channel ids across documents), loaded side by side.
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
  }, 120_000);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("compiles every synthetic schema for the fast path (else this test proves nothing about them)", () => {
    const v = createValidator(syntheticSet());
    for (const id of Object.keys(SYNTHETIC)) expect(v.fastChecks(id), id).toBeDefined();
  });

  it("agrees with ajv on every generated and mutated payload", () => {
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
    const perMessage = Math.ceil(TOTAL / Math.max(1, t.fastMessages));
    const rng = createRng(SEED);
    const started = performance.now();
    for (const { label, flat, fast, ajv } of prepared) {
      for (const c of flat.channels) {
        const checks = fast.fastChecks(c.id);
        const messages = c.messages.filter((m) => m.payload !== null && m.supported);
        const n = checks ? perMessage : 200;
        for (const m of messages) {
          for (let i = 0; i < n; i++) {
            const base = generate(rng, m.payload as JSONSchema);
            const roll = rng();
            const value = roll < 0.45 ? base : mutateValue(rng, base);
            const text = serialize(rng, value);
            const bytes = roll > 0.7 ? mutateText(rng, text) : Buffer.from(text);
            const buf = Buffer.from(bytes);
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
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `fast path differential (seed ${SEED}): ${t.cases} native cases (${t.valid} valid, ${t.invalid} invalid, ` +
        `${t.notJson} not strict JSON, ${t.unsure} unsure) over ${t.fastMessages} messages, ` +
        `${t.ajvOnlyCases} end-to-end cases on ${t.ajvOnlyMessages.length} ajv-only channels, ${seconds.toFixed(1)} s\n`,
    );
    expect(t.disagreements.slice(0, 10)).toEqual([]);
    expect(t.cases).toBeGreaterThanOrEqual(100_000);
    // Every verdict class must be well represented, or the generator has gone blind.
    expect(t.valid).toBeGreaterThan(t.cases * 0.2);
    expect(t.invalid).toBeGreaterThan(t.cases * 0.1);
    expect(t.notJson).toBeGreaterThan(t.cases * 0.03);
    expect(t.unsure).toBeLessThan(t.cases * 0.01);
  }, 120_000);
});
