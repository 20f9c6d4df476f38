/**
 * "Why it failed" in one line per error: what the contract expected and what was sent, from
 * ajv's `keyword` and `params` plus the value found at the error's path in the payload. Errors
 * that differ only by an array index (the same keyword and schema place) collapse into one row
 * over an index range: `/curve/0-48` instead of 49 rows. Pure: the page and the tests use it.
 */
import { type ErrorLike, errorTarget, escapePointer, pointerTokens } from "../../lib/json-highlight";

export interface ErrorInput extends ErrorLike {
  schemaPath?: string;
}

export interface ExplainedRow {
  /** Indexes into the error list this row stands for (one, or the collapsed ones). */
  indexes: number[];
  /** The place: a pointer, or an array pointer with an index range (`/curve/0-48`). */
  path: string;
  /** Pointer of the first place, for "show in the payload". */
  firstPath: string;
  keyword: string;
  expected: string;
  sent: string;
  /** The whole row in one line of plain words. */
  text: string;
}

export interface Explained {
  rows: ExplainedRow[];
  /** The validator keeps at most `cap` errors: there may be more than were stored. */
  capped: boolean;
  cap: number;
}

/** The validator's default (libs/contracts validator.ts `maxErrors`). */
export const STORED_ERRORS_CAP = 50;

const ABSENT = Symbol("absent");
type Found = unknown | typeof ABSENT;

/** The value at a JSON Pointer in `doc`, or ABSENT. */
export function valueAt(doc: unknown, pointer: string): Found {
  let v: unknown = doc;
  for (const t of pointerTokens(pointer)) {
    if (v === null || typeof v !== "object") return ABSENT;
    if (!Object.hasOwn(v, t)) return ABSENT;
    v = (v as Record<string, unknown>)[t];
  }
  return v;
}

/** A value as it would be written in the payload, shortened. */
export function show(v: Found, max = 40): string {
  if (v === ABSENT) return "nothing (absent)";
  if (v === undefined) return "nothing";
  let s: string;
  if (Array.isArray(v)) s = `an array of ${v.length}`;
  else if (v !== null && typeof v === "object") s = `an object with ${Object.keys(v).length} properties`;
  else s = JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function typeOf(v: Found): string {
  if (v === ABSENT) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

const p = (e: ErrorLike): Record<string, unknown> => (e.params ?? {}) as Record<string, unknown>;
const list = (xs: unknown): string =>
  Array.isArray(xs) ? xs.map((x) => JSON.stringify(x)).join(", ") : JSON.stringify(xs);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const sizeOf = (v: Found): number | null =>
  typeof v === "string"
    ? [...v].length
    : Array.isArray(v)
      ? v.length
      : v !== null && typeof v === "object"
        ? Object.keys(v as object).length
        : null;

/** What the keyword wanted, and what the payload had there, in words. */
export function expectedAndSent(e: ErrorLike, value: Found): { expected: string; sent: string } {
  const q = p(e);
  const sent = show(value);
  switch (e.keyword) {
    case "type":
      return {
        expected: `a value of type ${String(q.type).replace(/,/g, " or ")}`,
        sent: `${typeOf(value)} ${sent}`,
      };
    case "required":
    case "dependentRequired":
    case "dependencies":
      return {
        expected: `property "${q.missingProperty}"${q.property ? ` (needed with "${q.property}")` : ""}`,
        sent: "nothing (absent)",
      };
    case "additionalProperties":
    case "unevaluatedProperties":
      return {
        expected: "no other properties",
        sent: `extra property "${q.additionalProperty ?? q.unevaluatedProperty}" = ${sent}`,
      };
    case "enum":
      return { expected: `one of ${list(q.allowedValues)}`, sent };
    case "const":
      return { expected: `exactly ${JSON.stringify(q.allowedValue)}`, sent };
    case "maximum":
      return { expected: `at most ${q.limit}`, sent };
    case "exclusiveMaximum":
      return { expected: `below ${q.limit}`, sent };
    case "minimum":
      return { expected: `at least ${q.limit}`, sent };
    case "exclusiveMinimum":
      return { expected: `above ${q.limit}`, sent };
    case "multipleOf":
      return { expected: `a multiple of ${q.multipleOf}`, sent };
    case "maxLength":
      return {
        expected: `at most ${plural(Number(q.limit), "character")}`,
        sent: `${plural(sizeOf(value) ?? 0, "character")}: ${sent}`,
      };
    case "minLength":
      return {
        expected: `at least ${plural(Number(q.limit), "character")}`,
        sent: `${plural(sizeOf(value) ?? 0, "character")}: ${sent}`,
      };
    case "pattern":
      return { expected: `text matching ${q.pattern}`, sent };
    case "format":
      return { expected: `a ${q.format} (format)`, sent };
    case "maxItems":
      return {
        expected: `at most ${plural(Number(q.limit), "item")}`,
        sent: plural(sizeOf(value) ?? 0, "item"),
      };
    case "minItems":
      return {
        expected: `at least ${plural(Number(q.limit), "item")}`,
        sent: plural(sizeOf(value) ?? 0, "item"),
      };
    case "uniqueItems":
      return { expected: "no duplicate items", sent: `items ${q.j} and ${q.i} are equal` };
    case "contains":
      return {
        expected:
          q.maxContains !== undefined
            ? `between ${q.minContains ?? 1} and ${q.maxContains} matching items`
            : `at least ${q.minContains ?? 1} matching item(s)`,
        sent,
      };
    case "maxProperties":
      return {
        expected: `at most ${plural(Number(q.limit), "property", "properties")}`,
        sent: plural(sizeOf(value) ?? 0, "property", "properties"),
      };
    case "minProperties":
      return {
        expected: `at least ${plural(Number(q.limit), "property", "properties")}`,
        sent: plural(sizeOf(value) ?? 0, "property", "properties"),
      };
    case "propertyNames":
      return { expected: "property names the schema allows", sent: `property "${q.propertyName}"` };
    case "oneOf":
      return {
        expected: "exactly one of the alternatives",
        sent: Array.isArray(q.passingSchemas)
          ? `${sent}, which fits alternatives ${q.passingSchemas.join(" and ")}`
          : `${sent}, which fits none`,
      };
    case "anyOf":
      return { expected: "at least one of the alternatives", sent: `${sent}, which fits none` };
    case "not":
      return { expected: "a value the schema's `not` excludes not to match", sent };
    case "if":
      return { expected: `what the "${q.failingKeyword}" branch of if/then/else requires`, sent };
    case "false schema":
      return { expected: "nothing here (the schema is false)", sent };
    case "discriminator":
      return { expected: `a known value of "${q.tag}"`, sent };
    case "address":
      return { expected: `a topic shaped like ${q.address}`, sent: "a topic that is not" };
    case "message":
      return { expected: "a message the channel defines", sent: e.message ?? "another" };
    case "json":
      return {
        expected: "a JSON document",
        sent:
          q.position !== undefined
            ? `text that stops being JSON at byte ${q.position}`
            : (e.message ?? "not JSON"),
      };
    case "utf8":
      return { expected: "UTF-8 text", sent: `bytes that are not UTF-8 from byte ${q.offset}` };
    case "bom":
      return { expected: "JSON without a byte order mark", sent: "a payload starting with EF BB BF" };
    case "depth":
      return { expected: `at most ${q.maxDepth} levels of nesting`, sent: "a payload nested deeper" };
    case "duplicate-key":
      return { expected: "each member name once per object", sent: `${q.pointer} twice` };
    case "maxPayloadBytes":
      return { expected: `at most ${q.limit} bytes`, sent: `${q.size} bytes` };
    default:
      if (q.parameter !== undefined)
        return {
          expected: `topic level "${q.parameter}" ${e.message?.replace(/^topic parameter "[^"]+" value "[^"]*" /, "") ?? "valid"}`,
          sent: JSON.stringify(q.value),
        };
      // Not an ajv keyword (acl, reserved, channel, unvalidated...): the server's own sentence.
      return { expected: e.message ?? e.keyword, sent: "" };
  }
}

/** `[0,1,2,5,7,8]` -> "0-2, 5, 7-8" */
export function ranges(ns: readonly number[]): string {
  const sorted = [...ns].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i]!;
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i]! + 1) i++;
    out.push(start === sorted[i] ? `${start}` : `${start}-${sorted[i]}`);
  }
  return out.join(", ");
}

/** The error's pointer split into the array it is in and its index, when it is an array item. */
function arrayItem(path: string, doc: unknown): { parent: string; index: number } | null {
  const m = /^(.*)\/(0|[1-9][0-9]*)$/.exec(path);
  if (!m) return null;
  return Array.isArray(valueAt(doc, m[1]!)) ? { parent: m[1]!, index: Number(m[2]) } : null;
}

function collapsedSent(e: ErrorLike, values: Found[]): string {
  const nums = values.filter((v): v is number => typeof v === "number");
  const n = plural(values.length, "value");
  if (nums.length === values.length && nums.length > 0) {
    if (e.keyword === "maximum" || e.keyword === "exclusiveMaximum")
      return `${n}, max sent ${Math.max(...nums)}`;
    if (e.keyword === "minimum" || e.keyword === "exclusiveMinimum")
      return `${n}, min sent ${Math.min(...nums)}`;
    return `${n}, from ${Math.min(...nums)} to ${Math.max(...nums)}`;
  }
  if (e.keyword === "type") return `${n} of type ${[...new Set(values.map(typeOf))].join(", ")}`;
  const shown = values.slice(0, 3).map((v) => show(v, 16));
  return `${n}: ${shown.join(", ")}${values.length > 3 ? ", …" : ""}`;
}

/**
 * One row per error, errors over array items collapsed; `doc` is the parsed payload (undefined
 * when it is not JSON, or was cut by the store: then "sent" says what can be said).
 */
export function explainErrors(
  errors: readonly ErrorInput[],
  doc: unknown,
  o: { cap?: number; docKnown?: boolean } = {},
): Explained {
  const cap = o.cap ?? STORED_ERRORS_CAP;
  const known = o.docKnown ?? doc !== undefined;
  const groups = new Map<
    string,
    { e: ErrorInput; parent: string; items: { i: number; index: number; path: string }[] }
  >();
  const rows: (ExplainedRow | { group: string })[] = [];
  errors.forEach((e, i) => {
    const t = errorTarget(e);
    const item =
      known && t.mode === "value" && t.path === (e.instancePath ?? "") ? arrayItem(t.path, doc) : null;
    if (item) {
      const key = `${item.parent}|${e.keyword}|${e.schemaPath ?? ""}|${JSON.stringify(e.params ?? {})}`;
      const g = groups.get(key);
      if (g) {
        g.items.push({ i, index: item.index, path: t.path });
        return;
      }
      groups.set(key, { e, parent: item.parent, items: [{ i, index: item.index, path: t.path }] });
      rows.push({ group: key });
      return;
    }
    rows.push(single(e, i, t.path, doc, known));
  });
  const out = rows.map((r) => {
    if (!("group" in r)) return r;
    const g = groups.get(r.group)!;
    if (g.items.length === 1) return single(g.e, g.items[0]!.i, g.items[0]!.path, doc, known);
    const path = `${g.parent}/${ranges(g.items.map((x) => x.index))}`;
    const { expected } = expectedAndSent(g.e, ABSENT);
    const sent = collapsedSent(
      g.e,
      g.items.map((x) => valueAt(doc, x.path)),
    );
    return {
      indexes: g.items.map((x) => x.i),
      path,
      firstPath: g.items[0]!.path,
      keyword: g.e.keyword,
      expected,
      sent,
      text: line(path, expected, sent),
    };
  });
  return { rows: out, capped: errors.length >= cap, cap };
}

function single(e: ErrorInput, i: number, path: string, doc: unknown, known: boolean): ExplainedRow {
  const value = known ? valueAt(doc, path) : undefined;
  const { expected, sent } = expectedAndSent(e, value);
  const shownPath =
    e.keyword === "required" && p(e).missingProperty !== undefined
      ? `${e.instancePath}/${escapePointer(String(p(e).missingProperty))}`
      : path;
  const needsValue = VALUE_KEYWORDS.has(e.keyword);
  const sentText = !needsValue || known ? sent : "not known (the payload was not kept whole)";
  return {
    indexes: [i],
    path: shownPath,
    firstPath: path,
    keyword: e.keyword,
    expected,
    sent: sentText,
    text: line(shownPath, expected, sentText),
  };
}

/** Keywords whose "sent" is the value at the path (the others carry what was sent in params). */
const VALUE_KEYWORDS = new Set([
  "type",
  "additionalProperties",
  "unevaluatedProperties",
  "enum",
  "const",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "multipleOf",
  "maxLength",
  "minLength",
  "pattern",
  "format",
  "maxItems",
  "minItems",
  "contains",
  "maxProperties",
  "minProperties",
  "oneOf",
  "anyOf",
  "not",
  "if",
  "false schema",
  "discriminator",
]);

function line(path: string, expected: string, sent: string): string {
  const where = path || "(payload)";
  return sent ? `${where}: expected ${expected}; sent ${sent}` : `${where}: ${expected}`;
}
