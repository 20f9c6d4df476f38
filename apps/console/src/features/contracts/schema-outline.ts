import type { JSONSchema } from "@uns/api-contract";

/** One row of a payload schema as a table: a field, its type, whether required, its limits. */
export interface OutlineRow {
  /** `curve[]`, `position.x`: where the field sits. */
  path: string;
  depth: number;
  name: string;
  type: string;
  required: boolean;
  constraints: string[];
  description?: string;
}

type S = Record<string, unknown>;

const CONSTRAINTS: [string, (v: unknown) => string][] = [
  ["const", (v) => `= ${JSON.stringify(v)}`],
  ["enum", (v) => `one of ${(v as unknown[]).map((x) => JSON.stringify(x)).join(", ")}`],
  ["format", (v) => `format ${v}`],
  ["pattern", (v) => `matches ${v}`],
  ["minimum", (v) => `≥ ${v}`],
  ["exclusiveMinimum", (v) => `> ${v}`],
  ["maximum", (v) => `≤ ${v}`],
  ["exclusiveMaximum", (v) => `< ${v}`],
  ["multipleOf", (v) => `multiple of ${v}`],
  ["minLength", (v) => `length ≥ ${v}`],
  ["maxLength", (v) => `length ≤ ${v}`],
  ["minItems", (v) => `items ≥ ${v}`],
  ["maxItems", (v) => `items ≤ ${v}`],
  ["uniqueItems", (v) => (v ? "unique items" : "")],
  ["minProperties", (v) => `properties ≥ ${v}`],
  ["maxProperties", (v) => `properties ≤ ${v}`],
];

function typeOf(s: S): string {
  if (Array.isArray(s.type)) return (s.type as string[]).join(" | ");
  if (typeof s.type === "string") {
    if (s.type === "array" && s.items && typeof s.items === "object" && !Array.isArray(s.items)) {
      return `array of ${typeOf(s.items as S)}`;
    }
    return s.type;
  }
  if ("const" in s) return typeof s.const;
  if (Array.isArray(s.enum)) return "enum";
  for (const k of ["oneOf", "anyOf", "allOf"]) if (Array.isArray(s[k])) return k;
  if (s.properties) return "object";
  return "any";
}

function constraints(s: S): string[] {
  const out: string[] = [];
  for (const [k, f] of CONSTRAINTS) if (k in s) out.push(f(s[k]));
  if (s.additionalProperties === false) out.push("no other properties");
  return out.filter(Boolean);
}

/**
 * A payload schema flattened into rows, depth-first, for a readable table: nested objects and
 * array items become indented rows. Stops at `maxDepth` and at boolean schemas.
 *
 * @example schemaOutline({ type: "object", required: ["a"], properties: { a: { type: "number", maximum: 3 } } })
 * // [{ path: "a", name: "a", type: "number", required: true, constraints: ["≤ 3"], depth: 0 }]
 */
export function schemaOutline(schema: JSONSchema | null | undefined, maxDepth = 6): OutlineRow[] {
  const rows: OutlineRow[] = [];
  const walk = (s: S, prefix: string, depth: number) => {
    if (depth > maxDepth) return;
    const props = (s.properties ?? {}) as Record<string, JSONSchema>;
    const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
    for (const [name, child] of Object.entries(props)) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (typeof child !== "object" || child === null) {
        rows.push({
          path,
          depth,
          name,
          type: child ? "any" : "never",
          required: required.has(name),
          constraints: [],
        });
        continue;
      }
      rows.push({
        path,
        depth,
        name,
        type: typeOf(child),
        required: required.has(name),
        constraints: constraints(child),
        description: typeof child.description === "string" ? child.description : undefined,
      });
      descend(child, path, depth + 1);
    }
  };
  const descend = (s: S, path: string, depth: number) => {
    if (s.properties) walk(s, path, depth);
    const items = s.items;
    if (items && typeof items === "object" && !Array.isArray(items)) {
      const it = items as S;
      if (it.properties) walk(it, `${path}[]`, depth);
      else if (constraints(it).length)
        rows.push({
          path: `${path}[]`,
          depth,
          name: "[]",
          type: typeOf(it),
          required: false,
          constraints: constraints(it),
        });
    }
  };
  if (schema && typeof schema === "object") {
    if (schema.properties) walk(schema, "", 0);
    else if (schema.items) descend(schema, "", 0);
  }
  return rows;
}
