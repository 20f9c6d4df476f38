import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { ChannelSpec, ContractSet, MessageSpec } from "./contract-set.js";
import { loadContracts } from "./load-contracts.js";
import { createValidator, exceedsDepth, type Validator } from "./validator.js";

const fixtures = fileURLToPath(new URL("../test-fixtures", import.meta.url));
const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));
const cell = "acme/neckarsulm/body-shop/line-01/cell-01";
const press = "acme/neckarsulm/press-shop/{press}/slot/{slot}/stroke";

let set: ContractSet;
let v: Validator;
beforeAll(async () => {
  set = (await loadContracts(join(fixtures, "asyncapi/good"))).set;
  // Workers receive the set by structured clone: validate against a clone, as they do.
  v = createValidator(structuredClone(set));
}, 60_000);

function message(
  name: string,
  payload: MessageSpec["payload"],
  extra: Partial<MessageSpec> = {},
): MessageSpec {
  return {
    name,
    contentType: "application/json",
    schemaFormat: "application/vnd.aai.asyncapi;version=3.0.0",
    payload,
    supported: true,
    examples: [],
    ...extra,
  };
}
function single(messages: MessageSpec[], extra: Partial<ChannelSpec> = {}): Validator {
  return createValidator({
    version: "test",
    channels: [
      {
        id: "c",
        file: "t.yaml",
        title: "T",
        version: "1",
        address: "t/{p}",
        filter: "t/+",
        parameters: { p: null },
        messages,
        ...extra,
      },
    ],
  });
}

describe("payload against schema", () => {
  it("accepts a valid payload and names the message", () => {
    expect(
      v.validate(
        "weldSpot",
        `${cell}/weld-spot`,
        json({ spotId: "S12", current: 12000, time: "2024-05-01T10:00:00Z" }),
      ),
    ).toEqual({
      outcome: "valid",
      message: "spot",
    });
  });

  it("reports schema errors in ajv's shape, formats included", () => {
    const r = v.validate(
      "weldSpot",
      `${cell}/weld-spot`,
      json({ spotId: "S12", current: -1, time: "yesterday", extra: 1 }),
    );
    expect(r).toMatchObject({ outcome: "invalid", kind: "schema", message: "spot", tried: ["spot"] });
    if (r.outcome !== "invalid") throw new Error();
    expect(r.errors.map((e) => [e.instancePath, e.keyword])).toEqual(
      expect.arrayContaining([
        ["", "additionalProperties"],
        ["/current", "minimum"],
        ["/time", "format"],
      ]),
    );
    expect(r.errors[0]).toEqual(
      expect.objectContaining({ message: expect.any(String), schemaPath: expect.stringMatching(/^#/) }),
    );
  });

  it("accepts any of several messages, and reports the closest when none matches", () => {
    expect(
      v.validate("imageEvent", `${cell}/image-event`, json({ imageId: "i1", camera: "c1", width: 640 })),
    ).toEqual({ outcome: "valid", message: "imageCaptured" });
    expect(v.validate("imageEvent", `${cell}/image-event`, json({ camera: "c1", error: "timeout" }))).toEqual(
      { outcome: "valid", message: "imageFailed" },
    );
    const r = v.validate("imageEvent", `${cell}/image-event`, json({ camera: "c1", error: "blurred" }));
    expect(r).toMatchObject({
      outcome: "invalid",
      kind: "schema",
      message: "imageFailed",
      tried: ["imageCaptured", "imageFailed"],
    });
    if (r.outcome !== "invalid") throw new Error();
    expect(r.errors).toEqual([expect.objectContaining({ instancePath: "/error", keyword: "enum" })]);
  });

  it("validates recursive (circular) schemas", () => {
    const ok = { name: "a", steps: [{ name: "b", steps: [{ name: "c", steps: [] }] }] };
    expect(v.validate("recipe", "acme/neckarsulm/body-shop/line-01/recipe", json(ok))).toMatchObject({
      outcome: "valid",
    });
    const bad = { name: "a", steps: [{ name: "b", steps: [{ steps: [] }] }] };
    expect(v.validate("recipe", "acme/neckarsulm/body-shop/line-01/recipe", json(bad))).toMatchObject({
      outcome: "invalid",
      errors: [expect.objectContaining({ instancePath: "/steps/0/steps/0", keyword: "required" })],
    });
  });

  it("validates OpenAPI 3.0 schemas leniently (nullable)", () => {
    expect(v.validate("energy", `${cell}/energy`, json({ kwh: null }))).toMatchObject({ outcome: "valid" });
    expect(v.validate("energy", `${cell}/energy`, json({ kwh: "x" }))).toMatchObject({
      outcome: "invalid",
      kind: "schema",
    });
  });

  it("uses the 2020-12 dialect when the schema declares it", () => {
    const val = single([
      message("m", {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "array",
        prefixItems: [{ type: "integer" }],
        items: false,
      }),
    ]);
    expect(val.validate("c", "t/x", json([1]))).toMatchObject({ outcome: "valid" });
    expect(val.validate("c", "t/x", json([1, 2]))).toMatchObject({ outcome: "invalid", kind: "schema" });
    expect(val.validate("c", "t/x", json(["a"]))).toMatchObject({ outcome: "invalid", kind: "schema" });
  });

  it("validates a parsed value (examples) against one message", () => {
    expect(v.validateValue("imageEvent", { camera: "c", error: "timeout" }, "imageCaptured")).toMatchObject({
      outcome: "invalid",
      tried: ["imageCaptured"],
    });
    expect(v.validateValue("imageEvent", { camera: "c", error: "timeout" }, "imageFailed")).toMatchObject({
      outcome: "valid",
    });
    expect(v.validateValue("imageEvent", {}, "nope")).toMatchObject({
      outcome: "invalid",
      kind: "unsupported-format",
    });
  });
});

describe("not JSON", () => {
  it("reports JSON syntax errors", () => {
    const r = v.validate("weldSpot", `${cell}/weld-spot`, enc.encode('{"spotId": "S1",, }'));
    expect(r).toMatchObject({
      outcome: "invalid",
      kind: "not-json",
      errors: [
        expect.objectContaining({ keyword: "json", message: expect.stringContaining("not valid JSON") }),
      ],
    });
    const truncated = v.validate("weldSpot", `${cell}/weld-spot`, enc.encode('{"spotId": 1'));
    expect(truncated).toMatchObject({
      kind: "not-json",
      errors: [expect.objectContaining({ params: { position: 12 } })],
    });
  });

  it("reports invalid UTF-8 with the offset of the bad byte", () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]); // {"a":"\xc3("}
    expect(v.validate("weldSpot", `${cell}/weld-spot`, bytes)).toMatchObject({
      kind: "not-json",
      errors: [
        expect.objectContaining({
          keyword: "utf8",
          params: { offset: 6 },
          message: expect.stringContaining("UTF-8"),
        }),
      ],
    });
  });

  it("refuses payloads nested deeper than the limit before parsing", () => {
    const deep = enc.encode(`${"[".repeat(65)}${"]".repeat(65)}`);
    expect(v.validate("weldSpot", `${cell}/weld-spot`, deep)).toMatchObject({
      kind: "not-json",
      errors: [
        expect.objectContaining({
          keyword: "depth",
          message: expect.stringContaining("nested deeper than 64"),
        }),
      ],
    });
    const huge = enc.encode("[".repeat(1_000_000));
    expect(v.validate("weldSpot", `${cell}/weld-spot`, huge)).toMatchObject({
      kind: "not-json",
      errors: [expect.objectContaining({ keyword: "depth" })],
    });
    expect(
      createValidator(set, { maxDepth: 3 }).validate(
        "weldSpot",
        `${cell}/weld-spot`,
        json({ a: { b: { c: {} } } }),
      ),
    ).toMatchObject({ kind: "not-json" });
  });

  it("does not count brackets inside strings", () => {
    expect(exceedsDepth(enc.encode(JSON.stringify({ s: "[".repeat(100) + '\\"{'.repeat(50) })), 64)).toBe(
      false,
    );
    expect(exceedsDepth(enc.encode(`${"[".repeat(64)}${"]".repeat(64)}`), 64)).toBe(false);
  });

  it("refuses payloads above maxPayloadBytes without parsing", () => {
    const small = createValidator(set, { maxPayloadBytes: 10 });
    expect(small.validate("weldSpot", `${cell}/weld-spot`, enc.encode(`"${"x".repeat(20)}"`))).toMatchObject({
      outcome: "invalid",
      kind: "too-large",
      errors: [expect.objectContaining({ params: { limit: 10, size: 22 } })],
    });
  });

  it("reports an empty payload", () => {
    expect(v.validate("weldSpot", `${cell}/weld-spot`, new Uint8Array())).toMatchObject({ kind: "not-json" });
  });
});

describe("topic parameters", () => {
  it("checks 3.0 parameter enums", () => {
    const payload = json({ spotId: "S1", current: 1, time: "2024-05-01T10:00:00Z" });
    const r = v.validate("weldSpot", "acme/neckarsulm/body-shop/line-01/cell-09/weld-spot", payload);
    expect(r).toMatchObject({ outcome: "invalid", kind: "topic-parameter" });
    if (r.outcome !== "invalid") throw new Error();
    expect(r.errors[0]).toMatchObject({
      keyword: "enum",
      params: expect.objectContaining({ parameter: "cell", value: "cell-09" }),
    });
    expect(r.errors[0]!.message).toContain('"cell"');
  });

  it("checks 2.x parameter schemas, reading numbers from topic levels", () => {
    const p = json({ force: 12.5 });
    expect(v.validate(press, "acme/neckarsulm/press-shop/press-1/slot/3/stroke", p)).toEqual({
      outcome: "valid",
      message: "stroke",
    });
    expect(v.validate(press, "acme/neckarsulm/press-shop/press-1/slot/9/stroke", p)).toMatchObject({
      kind: "topic-parameter",
      errors: [
        expect.objectContaining({
          keyword: "maximum",
          params: expect.objectContaining({ parameter: "slot", value: "9" }),
        }),
      ],
    });
    expect(v.validate(press, "acme/neckarsulm/press-shop/press-1/slot/x/stroke", p)).toMatchObject({
      kind: "topic-parameter",
    });
    expect(v.validate(press, "acme/neckarsulm/press-shop/stamp-1/slot/1/stroke", p)).toMatchObject({
      kind: "topic-parameter",
      errors: [expect.objectContaining({ keyword: "pattern" })],
    });
  });

  it("refuses a topic that does not have the address's shape", () => {
    expect(v.validate(press, "acme/neckarsulm/press-shop/press-1/stroke", json({ force: 1 }))).toMatchObject({
      kind: "topic-parameter",
      errors: [expect.objectContaining({ keyword: "address" })],
    });
  });
});

describe("unsupported and broken contracts", () => {
  it("reports unsupported-format for Avro", () => {
    const r = v.validate("weldQuality", `${cell}/results/weld-quality`, json({ score: 1 }));
    expect(r).toMatchObject({ outcome: "invalid", kind: "unsupported-format", message: "quality" });
    if (r.outcome !== "invalid") throw new Error();
    expect(r.errors[0]!.message).toContain("Avro");
  });

  it("marks a schema that does not compile, without throwing", () => {
    const val = single([message("m", { type: "no-such-type" })]);
    const r = val.validate("c", "t/x", json({}));
    expect(r).toMatchObject({
      outcome: "invalid",
      kind: "unsupported-format",
      errors: [expect.objectContaining({ keyword: "schema-compile" })],
    });
    // and again from the cache
    expect(val.validate("c", "t/x", json({}))).toEqual(r);
  });

  it("accepts a payload that matches a usable message even when another is unsupported", () => {
    const val = single([
      message("avro", null, {
        supported: false,
        unsupportedReason: "Avro",
        schemaFormat: "application/vnd.apache.avro;version=1.9.0",
      }),
      message("js", { type: "object", required: ["a"] }),
    ]);
    expect(val.validate("c", "t/x", json({ a: 1 }))).toEqual({ outcome: "valid", message: "js" });
    expect(val.validate("c", "t/x", json({ b: 1 }))).toMatchObject({
      kind: "unsupported-format",
      tried: ["js"],
    });
  });

  it("accepts anything for a message without payload schema", () => {
    const val = single([message("free", null), message("typed", { type: "object" })]);
    expect(val.validate("c", "t/x", enc.encode("not json"))).toEqual({ outcome: "valid", message: "free" });
    expect(val.validate("c", "t/x", json({}))).toEqual({ outcome: "valid", message: "typed" });
  });

  it("treats a parameter schema that does not compile as unsupported", () => {
    const val = single([message("m", { type: "object" })], { parameters: { p: { type: 5 } } });
    expect(val.validate("c", "t/x", json({}))).toMatchObject({
      kind: "unsupported-format",
      errors: [expect.objectContaining({ keyword: "schema-compile" })],
    });
  });

  it("reports an unknown channel", () => {
    expect(v.hasChannel("nope")).toBe(false);
    expect(v.validate("nope", "t", json({}))).toMatchObject({
      outcome: "invalid",
      kind: "unsupported-format",
    });
  });
});
