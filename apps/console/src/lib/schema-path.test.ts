import { describe, expect, it } from "vitest";
import { resolveSchemaPath } from "./schema-path";

const schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    currentKA: { type: "number", maximum: 30 },
    curve: { type: "array", items: { type: "number" } },
    "a/b": { type: "string" },
  },
};

describe("resolveSchemaPath", () => {
  it("finds the subschema that holds the failing keyword", () => {
    expect(resolveSchemaPath(schema, "#/properties/currentKA/maximum")).toEqual({
      pointer: "/properties/currentKA",
      schema: { type: "number", maximum: 30 },
      keyword: "maximum",
    });
    expect(resolveSchemaPath(schema, "#/properties/curve/items/type")?.schema).toEqual({ type: "number" });
    expect(resolveSchemaPath(schema, "#/additionalProperties")).toMatchObject({
      pointer: "",
      keyword: "additionalProperties",
    });
    expect(resolveSchemaPath(schema, "#/properties/a~1b/type")?.pointer).toBe("/properties/a~1b");
  });

  it("gives null when the path leaves the schema", () => {
    expect(resolveSchemaPath(schema, "#/properties/nope/type")).toBeNull();
    expect(resolveSchemaPath(schema, "other.json#/type")).toBeNull();
    expect(resolveSchemaPath(schema, undefined)).toBeNull();
  });
});
