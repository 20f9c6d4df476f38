/**
 * Synthetic payload schemas for the fast path's differential test and bench: between them they
 * use every keyword, format and pattern feature the native checker takes, and the places where
 * its shortcuts could part from ajv (numbers at bounds, member-name lookup).
 */
import type { ContractSet, JSONSchema } from "./contract-set.js";

/** Schemas that between them use every keyword, format and pattern feature the fast path takes. */
export const SYNTHETIC: Record<string, JSONSchema> = {
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
  // Bounds where a number's text and its double part ways: decimals that round onto or past
  // a bound, the largest and smallest doubles, integers around 2^53 (what number.h decides
  // without the value, and where it must compute the correctly rounded one).
  bounds: {
    type: "object",
    additionalProperties: false,
    properties: {
      thick: { type: "number", minimum: 0.3, maximum: 5 },
      stepper: { type: "number", minimum: 1, maximum: 1.5 },
      interval: { type: "number", exclusiveMinimum: 0, maximum: 100 },
      tiny: { type: "number", minimum: -0.0001, maximum: 0.0001 },
      tenth: { type: "number", exclusiveMaximum: 0.1 },
      huge: { type: "number", maximum: 1.7976931348623157e308 },
      denormal: { type: "number", exclusiveMinimum: 0, maximum: 5e-324 },
      safe: { type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 },
      cents: { type: "number", multipleOf: 0.01, minimum: 0, maximum: 100 },
      curve: { type: "array", items: { type: "number", minimum: 0, maximum: 50 } },
      ints: { type: "array", items: { type: "integer", minimum: 1, maximum: 255 } },
    },
  },
  // Member names that share lengths, prefixes and first bytes, an empty one, escaped-looking
  // ones: the prop lookup (length, first byte, then the bytes) must find exactly the right one.
  names: {
    type: "object",
    additionalProperties: false,
    required: ["ab", "abc"],
    properties: {
      a: { type: "integer" },
      ab: { type: "string" },
      abc: { type: "number", maximum: 1 },
      abd: { type: "boolean" },
      ba: { type: "null" },
      "": { type: "integer" },
      "a/b": { type: "string" },
      'a"b': { type: "integer" },
      é: { type: "string" },
      "😀": { type: "integer" },
      longNameSharingAPrefix1: { type: "integer" },
      longNameSharingAPrefix2: { type: "string" },
    },
  },
  // Names outside `properties` judged by additionalProperties (and checked for repeats as text).
  open: {
    type: "object",
    properties: { k: { type: "integer" } },
    additionalProperties: { type: "number", maximum: 10 },
  },
};

/** The synthetic schemas as a contract set, one channel (and message) per schema. */
export function syntheticSet(): ContractSet {
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
