// The one-line explanations checked against the real validator's errors (libs/contracts, ajv),
// so a keyword whose params change shape fails here, not on a plant engineer's screen.
import { createValidator, type MessageSpec } from "@uns/contracts";
import { describe, expect, it } from "vitest";
import { explainErrors, ranges, STORED_ERRORS_CAP, valueAt } from "./explain-errors";

function errorsOf(payload: unknown, schema: Record<string, unknown>) {
  const message: MessageSpec = {
    name: "m",
    contentType: "application/json",
    schemaFormat: "application/vnd.aai.asyncapi;version=3.0.0",
    payload: schema,
    supported: true,
    examples: [],
  };
  const v = createValidator({
    version: "t",
    channels: [
      {
        id: "c",
        file: "t.yaml",
        title: "T",
        version: "1",
        address: "t/x",
        filter: "t/x",
        parameters: {},
        messages: [message],
      },
    ],
  });
  const r = v.validate("c", "t/x", new TextEncoder().encode(JSON.stringify(payload)));
  if (r.outcome !== "invalid") throw new Error(`expected invalid, got ${JSON.stringify(r)}`);
  return r.errors;
}

describe("explainErrors", () => {
  it("says expected and sent for every common keyword, from the real validator", () => {
    const schema = {
      type: "object",
      additionalProperties: false,
      required: ["id", "currentKA", "mode", "tag", "time", "points", "code", "shape", "kind", "step"],
      properties: {
        id: { type: "string" },
        currentKA: { type: "number", maximum: 30 },
        low: { type: "number", exclusiveMinimum: 0 },
        mode: { enum: ["auto", "manual"] },
        tag: { type: "string", maxLength: 4 },
        short: { type: "string", minLength: 3 },
        time: { type: "string", format: "date-time" },
        points: { type: "array", minItems: 3, uniqueItems: true },
        code: { type: "string", pattern: "^[A-Z]{3}$" },
        shape: { const: "round" },
        kind: { oneOf: [{ type: "string" }, { type: "number" }] },
        step: { type: "number", multipleOf: 5 },
        props: { type: "object", maxProperties: 1 },
      },
    };
    const payload = {
      id: 7,
      currentKA: 47.2,
      low: 0,
      mode: "fast",
      tag: "TOOLONG",
      short: "ab",
      time: "yesterday",
      points: [1, 1],
      code: "ab1",
      shape: "square",
      kind: true,
      step: 7,
      props: { a: 1, b: 2 },
      temp: 80,
    };
    const errors = errorsOf(payload, schema);
    const { rows } = explainErrors(errors, payload);
    const text = (path: string, keyword: string) =>
      rows.find((r) => r.path === path && r.keyword === keyword)?.text;
    expect(text("/id", "type")).toBe("/id: expected a value of type string; sent integer 7");
    expect(text("/currentKA", "maximum")).toBe("/currentKA: expected at most 30; sent 47.2");
    expect(text("/low", "exclusiveMinimum")).toBe("/low: expected above 0; sent 0");
    expect(text("/mode", "enum")).toBe('/mode: expected one of "auto", "manual"; sent "fast"');
    expect(text("/tag", "maxLength")).toBe(
      '/tag: expected at most 4 characters; sent 7 characters: "TOOLONG"',
    );
    expect(text("/short", "minLength")).toBe(
      '/short: expected at least 3 characters; sent 2 characters: "ab"',
    );
    expect(text("/time", "format")).toBe('/time: expected a date-time (format); sent "yesterday"');
    expect(text("/points", "minItems")).toBe("/points: expected at least 3 items; sent 2 items");
    expect(text("/points", "uniqueItems")).toBe(
      "/points: expected no duplicate items; sent items 0 and 1 are equal",
    );
    expect(text("/code", "pattern")).toBe('/code: expected text matching ^[A-Z]{3}$; sent "ab1"');
    expect(text("/shape", "const")).toBe('/shape: expected exactly "round"; sent "square"');
    expect(text("/kind", "oneOf")).toBe(
      "/kind: expected exactly one of the alternatives; sent true, which fits none",
    );
    expect(text("/step", "multipleOf")).toBe("/step: expected a multiple of 5; sent 7");
    expect(text("/props", "maxProperties")).toBe("/props: expected at most 1 property; sent 2 properties");
    expect(text("/temp", "additionalProperties")).toBe(
      '/temp: expected no other properties; sent extra property "temp" = 80',
    );
    // No row falls back to ajv's own message: every one says expected and sent.
    for (const r of rows) {
      expect(r.expected).not.toBe("");
      expect(r.sent).not.toBe("");
      expect(r.text).toMatch(/: expected .+; sent .+/);
    }
  });

  it("names a missing property at its own path", () => {
    const payload = { a: 1 };
    const { rows } = explainErrors(
      errorsOf(payload, { type: "object", required: ["spotId"], properties: {} }),
      payload,
    );
    expect(rows[0]!.text).toBe('/spotId: expected property "spotId"; sent nothing (absent)');
    expect(rows[0]!.firstPath).toBe("");
  });

  it("collapses errors over an array's items into one row with the range and the worst value", () => {
    const values = Array.from({ length: 60 }, (_, i) => (i < 49 ? 16 + (i % 10) + (i === 20 ? 1.3 : 0) : 5));
    const payload = { curves: { force: { values } } };
    const schema = {
      type: "object",
      properties: {
        curves: {
          type: "object",
          properties: {
            force: {
              type: "object",
              properties: { values: { type: "array", items: { type: "number", maximum: 15 } } },
            },
          },
        },
      },
    };
    const errors = errorsOf(payload, schema);
    expect(errors).toHaveLength(49);
    const { rows, capped } = explainErrors(errors, payload);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.text).toBe("/curves/force/values/0-48: expected at most 15; sent 49 values, max sent 25");
    expect(rows[0]!.firstPath).toBe("/curves/force/values/0");
    expect(rows[0]!.indexes).toHaveLength(49);
    expect(capped).toBe(false);
  });

  it("keeps gaps in the range and says the type of collapsed values", () => {
    const payload = { curve: [1, "x", "y", 4, "z"] };
    const errors = errorsOf(payload, {
      type: "object",
      properties: { curve: { items: { type: "number" } } },
    });
    const { rows } = explainErrors(errors, payload);
    expect(rows.map((r) => r.text)).toEqual([
      "/curve/1-2, 4: expected a value of type number; sent 3 values of type string",
    ]);
    expect(ranges([7, 1, 2, 3, 5])).toBe("1-3, 5, 7");
  });

  it("says when the stored list is capped", () => {
    const payload = { curve: Array.from({ length: 80 }, () => "x") };
    const errors = errorsOf(payload, {
      type: "object",
      properties: { curve: { items: { type: "number" } } },
    });
    expect(errors).toHaveLength(STORED_ERRORS_CAP);
    const e = explainErrors(errors, payload);
    expect(e.capped).toBe(true);
    expect(e.rows[0]!.path).toBe("/curve/0-49");
  });

  it("explains a topic parameter, a not-JSON payload and an unknown keyword without the payload", () => {
    const rows = explainErrors(
      [
        {
          instancePath: "",
          keyword: "json",
          message: "the payload is not valid JSON",
          params: { position: 12 },
        },
        { instancePath: "", keyword: "acl", message: "user device may not publish here" },
      ],
      undefined,
    ).rows;
    expect(rows[0]!.text).toBe(
      "(payload): expected a JSON document; sent text that stops being JSON at byte 12",
    );
    expect(rows[1]!.text).toBe("(payload): user device may not publish here");
    const cut = explainErrors(
      [{ instancePath: "/currentKA", keyword: "maximum", message: "", params: { limit: 30 } }],
      undefined,
    );
    expect(cut.rows[0]!.text).toBe(
      "/currentKA: expected at most 30; sent not known (the payload was not kept whole)",
    );
  });

  it("finds values by JSON Pointer, escapes included", () => {
    expect(valueAt({ "a/b": { "c~d": [0, 9] } }, "/a~1b/c~0d/1")).toBe(9);
  });
});
