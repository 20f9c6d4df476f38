import { pointerTokens } from "./json-highlight";

export interface SchemaPart {
  /** Pointer (without `#`) of the subschema that holds the failing keyword. */
  pointer: string;
  /** The subschema itself. */
  schema: unknown;
  /** The failing keyword, e.g. `maximum`. */
  keyword: string;
}

/**
 * The part of a payload schema that an error's `schemaPath` names: the subschema holding the
 * keyword (`#/properties/currentKA/maximum` -> the `currentKA` schema, keyword `maximum`).
 * Null when the path leaves the schema (a `$ref` into another document, or a schema that has
 * changed since).
 *
 * @example resolveSchemaPath({ properties: { a: { maximum: 3 } } }, "#/properties/a/maximum")
 * // { pointer: "/properties/a", schema: { maximum: 3 }, keyword: "maximum" }
 */
export function resolveSchemaPath(root: unknown, schemaPath: string | undefined): SchemaPart | null {
  if (!schemaPath?.startsWith("#")) return null;
  const tokens = pointerTokens(schemaPath.slice(1));
  const keyword = tokens.pop();
  if (keyword === undefined) return null;
  let node: unknown = root;
  for (const t of tokens) {
    if (node === null || typeof node !== "object") return null;
    node = (node as Record<string, unknown>)[t];
  }
  if (node === null || typeof node !== "object") return null;
  const pointer = tokens.map((t) => `/${t.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
  return { pointer, schema: node, keyword };
}
