import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { classifySchemaFormat, copyData, isJsonContentType, toPortableSchema } from "./schema-convert.js";

function ok(result: ReturnType<typeof toPortableSchema>) {
  if (!result.ok) throw new Error(result.reason);
  return result.schema;
}

describe("toPortableSchema", () => {
  it("replaces a self-reference with $ref into $defs", () => {
    const node: Record<string, unknown> = {
      type: "object",
      "x-parser-schema-id": "Node",
      properties: { name: { type: "string" } },
    };
    (node.properties as Record<string, unknown>).children = { type: "array", items: node };
    const schema = ok(toPortableSchema({ type: "object", properties: { root: node } }));
    expect(schema).toEqual({
      type: "object",
      properties: { root: { $ref: "#/$defs/Node" } },
      $defs: {
        Node: {
          type: "object",
          properties: {
            name: { type: "string" },
            children: { type: "array", items: { $ref: "#/$defs/Node" } },
          },
        },
      },
    });
    const validate = new Ajv({ strict: false }).compile(schema as object);
    expect(validate({ root: { name: "a", children: [{ name: "b", children: [{ name: "c" }] }] } })).toBe(
      true,
    );
    expect(validate({ root: { name: "a", children: [{ name: "b", children: [{ name: 1 }] }] } })).toBe(false);
  });

  it("handles a recursive root and mutual recursion", () => {
    const a: Record<string, unknown> = { type: "object" };
    const b: Record<string, unknown> = { type: "object", properties: { a } };
    a.properties = { b };
    const schema = ok(toPortableSchema(a));
    expect(schema).toMatchObject({ $ref: expect.stringMatching(/^#\/\$defs\//) });
    const validate = new Ajv({ strict: false }).compile(schema as object);
    expect(validate({ b: { a: { b: {} } } })).toBe(true);
    expect(validate({ b: { a: { b: 5 } } })).toBe(false);
    expect(() => JSON.stringify(schema)).not.toThrow();
  });

  it("copies shared (non-circular) sub-schemas and data, dropping parser annotations and nested $id", () => {
    const sentAt = { type: "string", format: "date-time", $id: "sentAt", "x-parser-schema-id": "sentAt" };
    const schema = ok(
      toPortableSchema({
        $schema: "http://json-schema.org/draft-07/schema#",
        properties: { a: sentAt, b: sentAt },
      }),
    );
    expect(schema).toEqual({
      $schema: "http://json-schema.org/draft-07/schema#",
      properties: { a: { type: "string", format: "date-time" }, b: { type: "string", format: "date-time" } },
    });
  });

  it("treats data keywords as data: a property called 'items' or an enum object is not a schema", () => {
    const schema = ok(
      toPortableSchema({
        properties: { items: { type: "array" }, $id: { type: "string" } },
        enum: [{ $id: "kept" }],
        default: { "x-parser-schema-id": 1 },
      }),
    );
    expect(schema).toEqual({
      properties: { items: { type: "array" }, $id: { type: "string" } },
      enum: [{ $id: "kept" }],
      default: { "x-parser-schema-id": 1 },
    });
  });

  it("gives up on huge schemas with a reason instead of running away", () => {
    // 2^25 paths if expanded: each level refers twice to the next.
    let s: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 25; i++) s = { properties: { l: s, r: s } };
    const r = toPortableSchema(s, { maxNodes: 10_000 });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining("too large") });
  });

  it("maps OpenAPI nullable", () => {
    expect(ok(toPortableSchema({ type: "string", nullable: true, enum: ["a"] }, { openapi: true }))).toEqual({
      type: ["string", "null"],
      enum: ["a", null],
    });
  });

  it("accepts boolean schemas and refuses non-schemas", () => {
    expect(ok(toPortableSchema(true))).toBe(true);
    expect(toPortableSchema("x")).toMatchObject({ ok: false });
  });
});

describe("copyData", () => {
  it("cuts cycles and drops undefined", () => {
    const a: Record<string, unknown> = { x: 1, u: undefined };
    a.self = a;
    expect(copyData(a)).toEqual({ x: 1, self: null });
  });
});

describe("classifySchemaFormat", () => {
  it("knows the AsyncAPI 3.0 schema formats", () => {
    expect(classifySchemaFormat("application/vnd.aai.asyncapi;version=3.0.0")).toEqual({
      kind: "json-schema",
      dialect: "draft-07",
    });
    expect(classifySchemaFormat("application/vnd.aai.asyncapi+yaml;version=2.6.0")).toEqual({
      kind: "json-schema",
      dialect: "draft-07",
    });
    expect(classifySchemaFormat("application/schema+json;version=draft-07")).toEqual({
      kind: "json-schema",
      dialect: "draft-07",
    });
    expect(classifySchemaFormat("application/schema+json;version=2020-12")).toEqual({
      kind: "json-schema",
      dialect: "2020-12",
    });
    expect(classifySchemaFormat("application/vnd.oai.openapi;version=3.0.0")).toEqual({ kind: "openapi" });
    expect(classifySchemaFormat("application/vnd.apache.avro+json;version=1.9.0")).toEqual({
      kind: "unsupported",
      name: "Avro",
    });
    expect(classifySchemaFormat("application/raml+yaml;version=1.0")).toEqual({
      kind: "unsupported",
      name: "RAML",
    });
    expect(classifySchemaFormat("application/vnd.google.protobuf;version=3")).toEqual({
      kind: "unsupported",
      name: "Protobuf",
    });
    expect(classifySchemaFormat("application/x-custom")).toEqual({
      kind: "unsupported",
      name: "application/x-custom",
    });
  });
});

describe("isJsonContentType", () => {
  it("accepts JSON and +json types", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("application/cloudevents+json; charset=utf-8")).toBe(true);
    expect(isJsonContentType("application/json, text/csv")).toBe(true);
    expect(isJsonContentType("text/plain")).toBe(false);
    expect(isJsonContentType("application/octet-stream")).toBe(false);
  });
});
