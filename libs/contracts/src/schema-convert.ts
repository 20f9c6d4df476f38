import type { JSONSchema } from "./contract-set.js";

/**
 * Turning the schemas the AsyncAPI parser hands back into portable JSON Schema.
 *
 * The parser resolves every `$ref` by object identity, so a recursive schema comes back as a
 * circular object graph that neither JSON, nor ajv, nor a structured clone for the API can take
 * as is. We walk the graph along schema keywords only, hoist every object reached again while it
 * is still on the walk's stack (a back edge: the cycle's entry) into `$defs`, and reference it
 * with `$ref: "#/$defs/<name>"`. Removing all back edges leaves a DAG, so the output is finite.
 */

/** Keywords whose value is one schema. */
const SCHEMA_KEYWORDS = new Set([
  "additionalItems",
  "additionalProperties",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contentSchema",
  "items",
]);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LIST_KEYWORDS = new Set(["allOf", "anyOf", "oneOf", "prefixItems", "items"]);
/** Keywords whose value is a map of name -> schema. */
const SCHEMA_MAP_KEYWORDS = new Set([
  "properties",
  "patternProperties",
  "definitions",
  "$defs",
  "dependentSchemas",
  "dependencies",
]);

export interface ConvertOptions {
  /** Treat the schema as an OpenAPI 3.0 Schema Object (maps `nullable`). */
  openapi?: boolean;
  /** Give up (with a reason) beyond this many schema nodes after expanding shared references. */
  maxNodes?: number;
}

export type ConvertResult = { ok: true; schema: JSONSchema } | { ok: false; reason: string };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Visit each sub-schema of a schema object (its own position, not data such as enum or default). */
function forEachSubschema(schema: Obj, visit: (sub: unknown) => void): void {
  for (const [key, value] of Object.entries(schema)) {
    if (key === "items" && Array.isArray(value)) value.forEach(visit);
    else if (SCHEMA_KEYWORDS.has(key)) visit(value);
    else if (SCHEMA_LIST_KEYWORDS.has(key) && Array.isArray(value)) value.forEach(visit);
    else if (SCHEMA_MAP_KEYWORDS.has(key) && isObj(value)) {
      for (const sub of Object.values(value)) if (!(key === "dependencies" && Array.isArray(sub))) visit(sub);
    }
  }
}

/**
 * Convert a parsed schema into an acyclic, JSON-able JSON Schema ajv can compile.
 * Drops parser annotations (`x-parser-*`) and nested `$id`/`$schema` (all references are already
 * resolved, and a stray `$id` would change how our `#/$defs/...` references resolve).
 */
export function toPortableSchema(root: unknown, options: ConvertOptions = {}): ConvertResult {
  if (typeof root === "boolean") return { ok: true, schema: root };
  if (!isObj(root))
    return {
      ok: false,
      reason: `the payload schema is not an object (got ${Array.isArray(root) ? "a list" : typeof root})`,
    };

  // 1. Find the back-edge targets.
  const targets = new Set<Obj>();
  const onStack = new Set<Obj>();
  const done = new Set<Obj>();
  const find = (node: unknown): void => {
    if (!isObj(node)) return;
    if (onStack.has(node)) {
      targets.add(node);
      return;
    }
    if (done.has(node)) return;
    onStack.add(node);
    forEachSubschema(node, find);
    onStack.delete(node);
    done.add(node);
  };
  find(root);

  // 2. Emit, replacing targets by references.
  const maxNodes = options.maxNodes ?? 100_000;
  let nodes = 0;
  const defs: Record<string, JSONSchema> = {};
  const defNames = new Map<Obj, string>();
  const usedNames = new Set<string>();

  const nameFor = (node: Obj): string => {
    const existing = defNames.get(node);
    if (existing) return existing;
    const hint =
      typeof node["x-parser-schema-id"] === "string" ? (node["x-parser-schema-id"] as string) : "schema";
    const base = hint.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^_+|_+$/g, "") || "schema";
    let name = base;
    for (let i = 2; usedNames.has(name); i++) name = `${base}-${i}`;
    usedNames.add(name);
    defNames.set(node, name);
    return name;
  };

  const emit = (node: unknown, isRoot: boolean): unknown => {
    if (!isObj(node)) return typeof node === "boolean" ? node : copyData(node);
    if (!isRoot && targets.has(node)) {
      const seen = defNames.has(node);
      const name = nameFor(node);
      if (!seen) defs[name] = emitObject(node, false) as JSONSchema;
      return { $ref: `#/$defs/${name}` };
    }
    return emitObject(node, isRoot);
  };

  const emitObject = (node: Obj, isRoot: boolean): Obj => {
    if (++nodes > maxNodes) throw new TooLarge();
    const out: Obj = {};
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("x-parser-")) continue;
      if (key === "$id" || (key === "$schema" && !isRoot)) continue;
      if (key === "items" && Array.isArray(value)) out[key] = value.map((v) => emit(v, false));
      else if (SCHEMA_KEYWORDS.has(key)) out[key] = emit(value, false);
      else if (SCHEMA_LIST_KEYWORDS.has(key) && Array.isArray(value))
        out[key] = value.map((v) => emit(v, false));
      else if (SCHEMA_MAP_KEYWORDS.has(key) && isObj(value)) {
        const map: Obj = {};
        for (const [k, v] of Object.entries(value))
          map[k] = key === "dependencies" && Array.isArray(v) ? copyData(v) : emit(v, false);
        out[key] = map;
      } else out[key] = copyData(value);
    }
    if (options.openapi) applyOpenApi(out);
    return out;
  };

  try {
    let schema: Obj;
    if (targets.has(root)) {
      // The root itself recurs: make it a definition too, and point at it.
      const name = nameFor(root);
      defs[name] = emitObject(root, false) as JSONSchema;
      schema = { $ref: `#/$defs/${name}` };
      if (typeof root.$schema === "string") schema.$schema = root.$schema;
    } else {
      schema = emitObject(root, true);
    }
    if (Object.keys(defs).length > 0) {
      // Our definitions live beside any the author wrote; names from the parser are unique.
      const authored = isObj(schema.$defs) ? schema.$defs : {};
      schema.$defs = { ...authored, ...defs };
    }
    return { ok: true, schema };
  } catch (e) {
    if (e instanceof TooLarge) {
      return {
        ok: false,
        reason: `schema too large: more than ${maxNodes} nodes once shared references are expanded`,
      };
    }
    throw e;
  }
}

class TooLarge extends Error {}

/**
 * OpenAPI 3.0 Schema Object -> JSON Schema, leniently (OpenAPI 3.0.3 section 4.7.24): `nullable`
 * adds "null" to `type`; keywords JSON Schema does not know (discriminator, xml, example) are
 * ignored by ajv in non-strict mode.
 */
function applyOpenApi(out: Obj): void {
  if (out.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    else if (Array.isArray(out.type) && !out.type.includes("null")) out.type = [...out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  delete out.nullable;
}

/**
 * Copy a data value (enum, const, default, examples...): JSON types only, `undefined` dropped,
 * and a value that contains itself (possible only through a resolved `$ref`) cut to null.
 */
export function copyData(value: unknown, stack: Set<object> = new Set()): unknown {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) return null;
    return typeof value === "bigint" ? Number(value) : value;
  }
  if (value instanceof Date) return value.toISOString();
  if (stack.has(value)) return null;
  stack.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => (v === undefined ? null : copyData(v, stack)));
  } else {
    const o: Obj = {};
    for (const [k, v] of Object.entries(value))
      if (v !== undefined && typeof v !== "function") o[k] = copyData(v, stack);
    out = o;
  }
  stack.delete(value);
  return out;
}

export type SchemaFormatKind =
  | { kind: "json-schema"; dialect: "draft-07" | "2019-09" | "2020-12" }
  | { kind: "openapi" }
  | { kind: "unsupported"; name: string };

/**
 * What a message's schemaFormat means for validation (AsyncAPI 3.0.0 "Schema Formats" table;
 * 2.x "schemaFormat" of the Message Object). AsyncAPI Schema is a superset of JSON Schema
 * draft-07, so it is validated as draft-07 (unknown keywords such as `discriminator` ignored).
 */
export function classifySchemaFormat(schemaFormat: string): SchemaFormatKind {
  const f = schemaFormat.toLowerCase().replace(/\s+/g, "");
  const [type = "", ...params] = f.split(";");
  const version = params.find((p) => p.startsWith("version="))?.slice("version=".length) ?? "";
  if (/^application\/vnd\.aai\.asyncapi(\+json|\+yaml)?$/.test(type))
    return { kind: "json-schema", dialect: "draft-07" };
  if (/^application\/schema(\+json|\+yaml)?$/.test(type)) {
    if (version.includes("2020-12")) return { kind: "json-schema", dialect: "2020-12" };
    if (version.includes("2019-09")) return { kind: "json-schema", dialect: "2019-09" };
    return { kind: "json-schema", dialect: "draft-07" };
  }
  if (/^application\/vnd\.oai\.openapi(\+json|\+yaml)?$/.test(type)) {
    return version.startsWith("3.1") ? { kind: "json-schema", dialect: "2020-12" } : { kind: "openapi" };
  }
  if (type.startsWith("application/vnd.apache.avro")) return { kind: "unsupported", name: "Avro" };
  if (type.includes("protobuf")) return { kind: "unsupported", name: "Protobuf" };
  if (type.startsWith("application/raml")) return { kind: "unsupported", name: "RAML" };
  return { kind: "unsupported", name: schemaFormat };
}

/** The ajv dialect for a payload: its own `$schema` wins over the format's default. */
export function dialectOf(
  schema: JSONSchema,
  fallback: "draft-07" | "2019-09" | "2020-12",
): "draft-07" | "2019-09" | "2020-12" {
  if (typeof schema === "object" && typeof schema.$schema === "string") {
    if (schema.$schema.includes("2020-12")) return "2020-12";
    if (schema.$schema.includes("2019-09")) return "2019-09";
    return "draft-07";
  }
  return fallback;
}

/** Is the content type one whose payload we parse as JSON (RFC 8259; `+json` suffix, RFC 6839)? */
export function isJsonContentType(contentType: string): boolean {
  return contentType
    .toLowerCase()
    .split(",")
    .some((part) => {
      const type = part.split(";")[0]!.trim();
      return type === "application/json" || type.endsWith("+json") || type === "text/json";
    });
}
