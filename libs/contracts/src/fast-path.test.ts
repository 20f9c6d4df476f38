/**
 * Edge cases of the native fast path, each judged by ajv (through the same validator with
 * fastPath "off") and by the native checker, which must give the same verdict (or, where noted,
 * leave it to ajv). The generated cases are in fast-path-differential.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { ContractSet, JSONSchema } from "./contract-set.js";
import { createValidator, fastPathStatus, parsePayload } from "./validator.js";

const native = fastPathStatus().native;

function setOf(payload: JSONSchema): ContractSet {
  return {
    version: "edge",
    channels: [
      {
        id: "c",
        file: "edge",
        title: "edge",
        version: "1",
        address: null,
        filter: null,
        parameters: {},
        messages: [
          {
            name: "m",
            contentType: "application/json",
            schemaFormat: "application/vnd.aai.asyncapi+json;version=3.0.0",
            payload,
            supported: true,
            examples: [],
          },
        ],
      },
    ],
  };
}

/** [native verdict, ajv verdict]: 0 valid, 1 invalid, 2 unsure, 3 not strict JSON. */
function judge(schema: JSONSchema, text: string | Buffer): [number, number] {
  const set = setOf(schema);
  const fast = createValidator(set).fastChecks("c");
  if (!fast) throw new Error("schema not compiled for the fast path");
  const bytes = typeof text === "string" ? Buffer.from(text) : text;
  const parsed = parsePayload(bytes, 64);
  const ajv = createValidator(set, { fastPath: "off" });
  const expected = !parsed.ok ? 3 : ajv.validateValue("c", parsed.value).outcome === "valid" ? 0 : 1;
  return [fast[0]!.check(bytes, 64), expected];
}

function agree(schema: JSONSchema, cases: Array<string | Buffer>, want?: number[]): void {
  cases.forEach((text, i) => {
    const [got, expected] = judge(schema, text);
    expect(got, `${String(text)}`).toBe(expected);
    if (want) expect(expected, `${String(text)} (expected verdict)`).toBe(want[i]);
  });
}

describe.skipIf(!native)("fast path edge cases against ajv", () => {
  it("counts string length in code points, as ajv does (an astral character is one)", () => {
    const s = { type: "string", minLength: 2, maxLength: 3 };
    agree(
      s,
      ['"ab"', '"a😀"', '"😀😀😀"', '"😀😀😀😀"', '"é\u0301"', '"\\ud83d\\ude00"', '"a\\ud83d"', '"a"'],
      [0, 0, 0, 1, 0, 1, 0, 1],
    );
  });

  it("reads big and odd numbers as JSON.parse does: -0, 1e400, 2^53 + 1, 1.0 against integer", () => {
    const i = { type: "integer", minimum: 0, maximum: 9007199254740992 };
    agree(
      i,
      ["-0", "1.0", "1.5", "1e400", "9007199254740993", "9007199254740992.5", "1E2", "0.1e1", "-0.0"],
      [0, 0, 1, 1, 0, 0, 0, 0, 0],
    );
    agree({ type: "integer" }, ["1e400", "-1e400", "1e-400"], [0, 0, 0]);
    agree(
      { type: "number", exclusiveMaximum: 1 },
      ["0.99999999999999999", "0.9999999999999999", "1e-400"],
      [1, 0, 0],
    );
    agree({ multipleOf: 0.1 }, ["0.3", "0.7", "1e21", "1e400", "-0"]);
    agree({ enum: [0, "0"] }, ["-0", "0.0", '"0"', "[0]", "{}"], [0, 0, 0, 1, 1]);
  });

  it("compares numbers at bounds as the double JSON.parse rounds them to (shortcuts, Clinger, strtod)", () => {
    const b = { type: "number", minimum: 1, maximum: 1.5 };
    agree(
      b,
      [
        "1.5",
        "1.4999999999999999999", // rounds to 1.5
        "1.50000000000000001", // rounds to 1.5
        "1.5000000000000002", // the next double
        "0.99999999999999999", // rounds to 1
        "0.9999999999999999",
        "15e-1",
        "0.15e1",
        "150000000000000000000e-20", // 21 digits: strtod
        "1.50000000000000011102230246251565404236316680908203125", // halfway: to even, 1.5
        "1.500000000000000111022302462515654042363166809082031251", // just past halfway
        "1.4", // integer part 1: [1, 2] is not inside [1, 1.5], so the value decides
      ],
      [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0],
    );
    agree({ type: "array", items: { type: "number", minimum: 0, maximum: 50 } }, [
      "[0,49.9,50,50.0000000000000000001,50.00000000000001]",
      "[ 1 , 2 ,\n3]",
      "[-0,-0.0,0e400]",
      "[1e-400,4.9e-324]",
      "[-4.9e-324]",
    ]);
    agree({ type: "number", maximum: 1.7976931348623157e308 }, [
      "1.7976931348623157e308",
      "1.7976931348623158e308",
      "1.7976931348623159e308",
      "1e309",
    ]);
    agree({ type: "integer", minimum: 1, maximum: 255 }, ["255", "256", "255.0", "2.55e2", "0", "1", "-1"]);
  });

  it("finds member names by length, first byte and bytes, in any order, escaped or not", () => {
    const s = {
      type: "object",
      additionalProperties: false,
      required: ["ab"],
      properties: {
        a: { type: "integer" },
        ab: { type: "string" },
        abc: { type: "number" },
        b: { type: "null" },
        "": { type: "boolean" },
      },
    };
    agree(
      s,
      [
        '{"ab":"x"}',
        '{"abc":1,"ab":"x","a":2,"b":null,"":true}',
        '{"ab":"x","ac":1}',
        '{"ab":"x","Ab":1}',
        '{"a\\u0062":"x"}',
        '{"ab":"x","a":1,"\\u0061":1}',
        '{"ab":"x","":1}',
        '{"ab":1}',
        '{"abc":1}',
        '{"ab":"x","abcd":1}',
      ],
      [0, 0, 1, 1, 0, 3, 1, 1, 1, 1],
    );
    // Past 32 names outside `properties`, repeats are found by a hash set.
    const many = Array.from({ length: 40 }, (_, i) => `"n${i}":${i}`);
    const open = { type: "object", additionalProperties: { type: "integer", maximum: 38 } };
    agree(
      open,
      [`{${many.join(",")}}`, `{${many.join(",")},"n3":0}`, `{${many.slice(0, 39).join(",")}}`],
      [1, 3, 0],
    );
  });

  it("reads a time's seconds as ajv does where a fraction rounds up to 60 or 61", () => {
    const t = { type: "string", format: "time" };
    agree(
      t,
      [
        '"10:00:59.99999999999999999Z"', // +"59.99999999999999999" is 60: no leap second at 10:00
        '"10:00:59.9999999999999Z"',
        '"23:59:60.5Z"',
        '"23:59:60.99999999999999999Z"', // 61
        '"10:00:58.99999999999999999Z"',
      ],
      [1, 0, 0, 1, 0],
    );
  });

  it("refuses what parsePayload refuses: BOM, duplicate names (also escaped ones), bad UTF-8, depth", () => {
    const o = { type: "object" };
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("{}")]);
    agree(
      o,
      [bom, '{"a":1,"a":2}', '{"a":1,"\\u0061":2}', '{"a":{"b":1,"b":1}}', '{"a":1,"b":2}'],
      [3, 3, 3, 3, 0],
    );
    agree(
      o,
      [Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), Buffer.from('{"\xc0\xaf":1}', "latin1")],
      [3, 3],
    );
    agree(true, [`${"[".repeat(64)}${"]".repeat(64)}`, `${"[".repeat(65)}${"]".repeat(65)}`], [0, 3]);
    agree(
      o,
      ["", " ", "{} x", "{,}", '{"a":1,}', "[1,]", '{"a" 1}', "01", "\u00a0{}", '"\t"', '"\\x"'],
      [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
    );
  });

  it("matches member names and enum strings after decoding escapes", () => {
    const s = {
      type: "object",
      required: ["é"],
      properties: { é: { enum: ["a/b", 'q"'] } },
      additionalProperties: false,
    };
    agree(
      s,
      ['{"\\u00e9":"a\\/b"}', '{"é":"q\\""}', '{"é":"a/b","x":1}', '{"e":"a/b"}', '{"\\u00E9":"a\\u002fb"}'],
      [0, 0, 1, 1, 0],
    );
  });

  it("agrees on patterns and formats, leaving only lone surrogates and Unicode spaces to ajv", () => {
    agree({ pattern: "^[a-z]{2}\\d?$" }, ['"ab"', '"ab1"', '"abc"', '"aé"', '"AB"', "5"], [0, 0, 1, 1, 1, 0]);
    agree({ pattern: "^.$" }, ['"😀"', '"é"', '"\\n"', '"\\r"', '"ab"'], [0, 0, 1, 0, 1]);
    const dt = { type: "string", format: "date-time" };
    agree(
      dt,
      [
        '"2026-02-29T10:00:00Z"',
        '"2024-02-29t10:00:00.5+01:00"',
        '"2024-02-29 23:59:60Z"',
        '"2024-02-29T10:00:00"',
        '"2024-02-29T10:00:00+01:"',
        '"2024-02-29T10:00:00😀Z"',
      ],
      [1, 0, 0, 1, 1, 1],
    );
    expect(judge(dt, '"2024-02-29\u00a010:00:00Z"')).toEqual([2, 0]);
    expect(judge({ pattern: "a" }, '"a\\ud800"')).toEqual([2, 0]);
  });

  it("combines anyOf, oneOf, allOf and not like ajv", () => {
    agree({ oneOf: [{ type: "integer" }, { minimum: 2 }] }, ["1", "3", "2.5", '"x"'], [0, 1, 0, 0]);
    agree({ not: { anyOf: [{ type: "string" }, { const: null }] } }, ['"x"', "null", "1"], [1, 1, 0]);
  });

  it("judges a channel's messages in order, as ajv does, and the validator's answer is ajv's", () => {
    const set = setOf({ type: "object", required: ["a"] });
    set.channels[0]!.messages.push({
      ...set.channels[0]!.messages[0]!,
      name: "n",
      payload: { type: "object" },
    });
    const fast = createValidator(set);
    const ajv = createValidator(set, { fastPath: "off" });
    for (const text of ['{"a":1}', '{"b":1}', "[]", '{"a":1,"a":1}']) {
      expect(fast.validate("c", "t", Buffer.from(text))).toEqual(ajv.validate("c", "t", Buffer.from(text)));
    }
    expect(fast.validate("c", "t", Buffer.from('{"b":1}'))).toEqual({ outcome: "valid", message: "n" });
  });

  it("leaves schemas with keywords it does not reproduce to ajv alone (never a looser check)", () => {
    for (const schema of [
      { type: "string", format: "email" },
      { $ref: "#/$defs/x", $defs: { x: { type: "string" } } },
      { type: "array", uniqueItems: true },
      { type: "object", patternProperties: { "^x": { type: "string" } } },
      { type: "object", required: ["toString"] },
      { type: "string", pattern: "^(a|b)$" },
      { type: "string", nullable: true },
      { enum: [{ a: 1 }] },
    ]) {
      expect(createValidator(setOf(schema)).fastChecks("c"), JSON.stringify(schema)).toBeUndefined();
    }
    // Keywords ajv does not know are ignored by ajv (strict: false), so by the fast path too.
    expect(createValidator(setOf({ type: "string", "in ms.": null })).fastChecks("c")).toBeDefined();
  });
});

describe("fast path off", () => {
  it("uses ajv alone and gives the same results", () => {
    const set = setOf({ type: "integer" });
    const off = createValidator(set, { fastPath: "off" });
    expect(off.fastChecks("c")).toBeUndefined();
    expect(off.validate("c", "t", Buffer.from("1"))).toEqual({ outcome: "valid", message: "m" });
    expect(fastPathStatus("off")).toEqual({ native: false, reason: "validation.fastPath is off" });
  });
});
