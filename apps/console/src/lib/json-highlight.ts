/**
 * Pretty-printing a JSON payload into lines whose every token knows its JSON Pointer (RFC 6901),
 * and finding the places that validation errors (ajv's `instancePath`, `keyword`, `params`)
 * point at, so the console can highlight exactly the failing field of a payload.
 */

export type SegmentRole = "key" | "string" | "number" | "boolean" | "null" | "punct";

export interface JsonSegment {
  text: string;
  role: SegmentRole;
  /** JSON Pointer of the value (or, for a key, of the property) this token belongs to. */
  path?: string;
}

export interface JsonLine {
  indent: number;
  segments: JsonSegment[];
  /** The pointer of the value that starts (or, for `}`/`]`, ends) on this line. */
  path: string;
  /** This line opens an object or array. */
  opens?: boolean;
}

export interface PrettyOptions {
  /** Arrays of at least this many numbers/booleans/nulls are packed several per line (default 12). */
  packFrom?: number;
  /** Values per packed line (default 10). */
  perLine?: number;
}

/** `a/b~c` -> `a~1b~0c` (RFC 6901 section 4). */
export function escapePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function unescapePointer(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** `/curve/3` -> ["curve", "3"]; "" (the whole document) -> []. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === "" || pointer === "/") return pointer === "/" ? [""] : [];
  return pointer.replace(/^\//, "").split("/").map(unescapePointer);
}

function isPrimitiveArray(v: unknown[]): boolean {
  return v.every((x) => x === null || typeof x === "number" || typeof x === "boolean");
}

function scalar(v: unknown, path: string): JsonSegment {
  if (v === null) return { text: "null", role: "null", path };
  if (typeof v === "string") return { text: JSON.stringify(v), role: "string", path };
  if (typeof v === "number") return { text: Number.isFinite(v) ? String(v) : "null", role: "number", path };
  if (typeof v === "boolean") return { text: String(v), role: "boolean", path };
  return { text: JSON.stringify(v) ?? "null", role: "null", path };
}

/**
 * Lines of `JSON.stringify(value, null, 2)`, except that long arrays of numbers are packed several
 * values to a line (a 400-point weld current curve is 40 lines, not 400).
 *
 * @example prettyLines({ a: [1] }).map((l) => l.path) // ["", "/a", "/a/0", "/a", ""]
 */
export function prettyLines(value: unknown, o: PrettyOptions = {}): JsonLine[] {
  const packFrom = o.packFrom ?? 12;
  const perLine = o.perLine ?? 10;
  const lines: JsonLine[] = [];

  function walk(v: unknown, path: string, indent: number, prefix: JsonSegment[], comma: boolean): void {
    const tail: JsonSegment[] = comma ? [{ text: ",", role: "punct" }] : [];
    if (Array.isArray(v) || (v !== null && typeof v === "object")) {
      const isArray = Array.isArray(v);
      const entries: [string, unknown][] = isArray
        ? v.map((x, i) => [String(i), x])
        : Object.entries(v as object);
      const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
      if (entries.length === 0) {
        lines.push({
          indent,
          path,
          segments: [...prefix, { text: open + close, role: "punct", path }, ...tail],
        });
        return;
      }
      lines.push({ indent, path, opens: true, segments: [...prefix, { text: open, role: "punct", path }] });
      if (isArray && entries.length >= packFrom && isPrimitiveArray(v as unknown[])) {
        for (let i = 0; i < entries.length; i += perLine) {
          const segs: JsonSegment[] = [];
          const end = Math.min(entries.length, i + perLine);
          for (let j = i; j < end; j++) {
            segs.push(scalar(entries[j]![1], `${path}/${j}`));
            if (j < entries.length - 1) segs.push({ text: j < end - 1 ? ", " : ",", role: "punct" });
          }
          lines.push({ indent: indent + 1, path: `${path}/${i}`, segments: segs });
        }
      } else {
        entries.forEach(([k, child], i) => {
          const childPath = `${path}/${escapePointer(k)}`;
          const keySegs: JsonSegment[] = isArray
            ? []
            : [
                { text: JSON.stringify(k), role: "key", path: childPath },
                { text: ": ", role: "punct" },
              ];
          walk(child, childPath, indent + 1, keySegs, i < entries.length - 1);
        });
      }
      lines.push({ indent, path, segments: [{ text: close, role: "punct", path }, ...tail] });
      return;
    }
    lines.push({ indent, path, segments: [...prefix, scalar(v, path), ...tail] });
  }

  walk(value, "", 0, [], false);
  return lines;
}

export interface ErrorLike {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown> | object;
}

export interface ErrorTarget {
  /** Pointer of the place to highlight. */
  path: string;
  /**
   * "value": the value at `path` (and everything inside it) is wrong.
   * "missing": the object at `path` lacks a property (`detail` names it); only its opening line is marked.
   */
  mode: "value" | "missing";
  /** A property name the error is about (extra, missing or badly named). */
  detail?: string;
}

function param(e: ErrorLike, name: string): string | undefined {
  const v = (e.params as Record<string, unknown> | undefined)?.[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * Where in the payload an error points. ajv reports errors about an object's properties at the
 * object and names the property in `params`: `additionalProperties` and `unevaluatedProperties`
 * are about the extra property (mark it), `required` about a missing one (mark the object).
 *
 * @example errorTarget({ instancePath: "", keyword: "additionalProperties", params: { additionalProperty: "temp" } })
 * // { path: "/temp", mode: "value", detail: "temp" }
 */
export function errorTarget(e: ErrorLike): ErrorTarget {
  const base = e.instancePath ?? "";
  const extra = param(e, "additionalProperty") ?? param(e, "unevaluatedProperty");
  if (
    (e.keyword === "additionalProperties" || e.keyword === "unevaluatedProperties") &&
    extra !== undefined
  ) {
    return { path: `${base}/${escapePointer(extra)}`, mode: "value", detail: extra };
  }
  if (e.keyword === "propertyNames") {
    const name = param(e, "propertyName");
    if (name !== undefined) return { path: `${base}/${escapePointer(name)}`, mode: "value", detail: name };
  }
  if (e.keyword === "required" || e.keyword === "dependentRequired" || e.keyword === "dependencies") {
    return { path: base, mode: "missing", detail: param(e, "missingProperty") };
  }
  return { path: base, mode: "value" };
}

/** Every pointer that exists in `value`. */
export function existingPointers(value: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, p: string) => {
    out.add(p);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], `${p}/${i}`);
    } else if (v !== null && typeof v === "object")
      for (const [k, x] of Object.entries(v)) walk(x, `${p}/${escapePointer(k)}`);
  };
  walk(value, "");
  return out;
}

/** The target itself when it exists in the payload, else its nearest existing ancestor. */
export function resolveTarget(t: ErrorTarget, existing: Set<string>): ErrorTarget & { exact: boolean } {
  let path = t.path;
  while (!existing.has(path) && path !== "") path = path.slice(0, path.lastIndexOf("/"));
  return path === t.path ? { ...t, exact: true } : { path, mode: "missing", detail: t.detail, exact: false };
}

function within(path: string | undefined, target: string): boolean {
  if (path === undefined) return false;
  return path === target || path.startsWith(`${target}/`);
}

/** For a missing property: the object's opening brace (or its `{}`), not its key or closing brace. */
function marksMissing(s: JsonSegment, line: JsonLine, target: string): boolean {
  if (s.path !== target || s.role === "key") return false;
  return s.role !== "punct" || line.opens === true || s.text === "{}" || s.text === "[]";
}

export interface HighlightedLine extends JsonLine {
  /** Indexes (into the errors array) of the errors that mark this line. */
  errors: number[];
  /** Per segment, the errors that mark it (same order as `segments`). */
  segmentErrors: number[][];
}

/**
 * Pretty lines of `value` with the errors' places marked: a line is marked when it shows (part
 * of) a failing value, or opens the object a required property is missing from.
 */
export function highlightPayload(
  value: unknown,
  errors: readonly ErrorLike[],
  o: PrettyOptions = {},
): HighlightedLine[] {
  const lines = prettyLines(value, o);
  const existing = existingPointers(value);
  const targets = errors.map((e) => resolveTarget(errorTarget(e), existing));
  return lines.map((line) => {
    const segmentErrors = line.segments.map((s) => {
      const hits: number[] = [];
      targets.forEach((t, i) => {
        if (t.mode === "value" ? within(s.path, t.path) : marksMissing(s, line, t.path)) hits.push(i);
      });
      return hits;
    });
    const errs = [...new Set(segmentErrors.flat())].sort((a, b) => a - b);
    return { ...line, errors: errs, segmentErrors };
  });
}

export type ParsedPayload = { ok: true; value: unknown } | { ok: false; reason: string };

/** The payload as JSON, when it is JSON. */
export function parsePayload(text: string | undefined): ParsedPayload {
  if (text === undefined) return { ok: false, reason: "the payload is not UTF-8 text" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
