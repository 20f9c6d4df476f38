/**
 * Compiles a JSON Schema (a contract payload, already free of `$ref`s) into the program the
 * native checker runs. Only keywords whose ajv semantics the checker reproduces exactly are
 * accepted; any other keyword, format or pattern makes the whole schema unsupported, and that
 * schema is then checked by ajv alone, never more loosely.
 */
import { compilePattern, type Dfa } from "./regex-dfa.js";

export type Compiled = { program: Uint8Array } | { unsupported: string };

const TYPE_BITS: Record<string, number> = {
  null: 1,
  boolean: 2,
  integer: 4,
  number: 8 | 4,
  string: 16,
  array: 32,
  object: 64,
};
const ALL_TYPES = 127;
const ANY = -1;
const FORBID = -2;
const NO_NOT = -2;
const FORMATS: Record<string, number> = { "date-time": 1, date: 2, time: 3 };

/** Keywords ajv ignores (annotations) or that only matter through `$ref`, which is refused. */
const IGNORED = new Set([
  "title",
  "description",
  "default",
  "examples",
  "example",
  "$comment",
  "$id",
  "$schema",
  "$defs",
  "definitions",
  "$anchor",
  "deprecated",
  "readOnly",
  "writeOnly",
  "externalDocs",
  "contentMediaType",
  "contentEncoding",
]);

/**
 * Names an object inherits in JavaScript: ajv's `required` and `properties` read `data[name]`,
 * which finds `toString` even when the payload lacks it. Not worth reproducing: such schemas use ajv.
 */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

interface Node {
  types: number;
  alwaysFalse: boolean;
  numFlags: number;
  nums: [number, number, number, number, number];
  minLen: number;
  maxLen: number;
  pattern: number;
  format: number;
  items: number;
  minItems: number;
  maxItems: number;
  minProps: number;
  maxProps: number;
  additional: number;
  props: { name: string; node: number; inProperties: boolean; required: boolean }[];
  enumValues: unknown[] | null;
  allOf: number[];
  anyOf: number[];
  oneOf: number[];
  not: number;
}

class Unsupported extends Error {}

export interface CompileOptions {
  /**
   * Does the validator this program stands in for know keyword `name`? ajv (strict: false)
   * ignores keywords it does not know, so the program may too; without this option every
   * keyword outside the supported list makes the schema unsupported.
   */
  isKeyword?: (name: string) => boolean;
}

/** Keywords that change ajv's verdict even where ajv lacks a definition for them in some dialects. */
const ALWAYS_KNOWN = new Set(["nullable", "discriminator", "$ref", "$dynamicRef", "$recursiveRef"]);

function count(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new Unsupported(`${what} is not a small non-negative integer`);
  }
  return v;
}
function num(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Unsupported(`${what} is not a finite number`);
  return v;
}
/** No lone surrogates (in a `u` regex a well-formed pair is one code point, not \p{Surrogate}). */
function isPlainString(s: string): boolean {
  return !/\p{Surrogate}/u.test(s);
}

/**
 * Compile `schema` for the native checker.
 *
 * @example
 * compileSchema({ type: "object", required: ["a"], properties: { a: { type: "integer" } } })
 * // { program: Uint8Array [...] }
 * compileSchema({ type: "string", format: "uri" }) // { unsupported: "format uri" }
 */
export function compileSchema(schema: unknown, options: CompileOptions = {}): Compiled {
  const nodes: Node[] = [];
  const patterns: Dfa[] = [];
  const patternIds = new Map<string, number>();
  const visit = (s: unknown, path: string): number => {
    if (s === true) return ANY;
    const node: Node = {
      types: ALL_TYPES,
      alwaysFalse: s === false,
      numFlags: 0,
      nums: [0, 0, 0, 0, 0],
      minLen: -1,
      maxLen: -1,
      pattern: -1,
      format: 0,
      items: ANY,
      minItems: -1,
      maxItems: -1,
      minProps: -1,
      maxProps: -1,
      additional: ANY,
      props: [],
      enumValues: null,
      allOf: [],
      anyOf: [],
      oneOf: [],
      not: NO_NOT,
    };
    const id = nodes.length;
    nodes.push(node);
    if (s === false) return id;
    if (typeof s !== "object" || s === null || Array.isArray(s))
      throw new Unsupported(`${path}: not a schema`);
    const o = s as Record<string, unknown>;
    const at = (k: string) => `${path}/${k}`;
    const required = new Set<string>();
    for (const [k, v] of Object.entries(o)) {
      if (IGNORED.has(k) || k.startsWith("x-")) continue;
      switch (k) {
        case "type": {
          const list = Array.isArray(v) ? v : [v];
          let bits = 0;
          for (const t of list) {
            const b = typeof t === "string" ? TYPE_BITS[t] : undefined;
            if (b === undefined) throw new Unsupported(`${at(k)}: type ${JSON.stringify(t)}`);
            bits |= b;
          }
          if (list.length === 0) throw new Unsupported(`${at(k)}: empty type list`);
          node.types = bits;
          break;
        }
        case "minimum":
          node.numFlags |= 1;
          node.nums[0] = num(v, at(k));
          break;
        case "maximum":
          node.numFlags |= 2;
          node.nums[1] = num(v, at(k));
          break;
        case "exclusiveMinimum":
          node.numFlags |= 4;
          node.nums[2] = num(v, at(k)); // a draft-04 boolean is refused here
          break;
        case "exclusiveMaximum":
          node.numFlags |= 8;
          node.nums[3] = num(v, at(k));
          break;
        case "multipleOf":
          if (num(v, at(k)) <= 0) throw new Unsupported(`${at(k)}: not positive`);
          node.numFlags |= 16;
          node.nums[4] = v as number;
          break;
        case "minLength":
          node.minLen = count(v, at(k));
          break;
        case "maxLength":
          node.maxLen = count(v, at(k));
          break;
        case "pattern": {
          if (typeof v !== "string") throw new Unsupported(`${at(k)}: not a string`);
          let pid = patternIds.get(v);
          if (pid === undefined) {
            const c = compilePattern(v);
            if ("unsupported" in c) throw new Unsupported(`${at(k)}: ${c.unsupported}`);
            pid = patterns.length;
            patterns.push(c.dfa);
            patternIds.set(v, pid);
          }
          node.pattern = pid;
          break;
        }
        case "format": {
          const f = typeof v === "string" ? FORMATS[v] : undefined;
          if (f === undefined) throw new Unsupported(`${at(k)}: format ${String(v)}`);
          node.format = f;
          break;
        }
        case "items":
          if (Array.isArray(v)) throw new Unsupported(`${at(k)}: tuple form`);
          node.items = visit(v, at(k));
          break;
        case "minItems":
          node.minItems = count(v, at(k));
          break;
        case "maxItems":
          node.maxItems = count(v, at(k));
          break;
        case "minProperties":
          node.minProps = count(v, at(k));
          break;
        case "maxProperties":
          node.maxProps = count(v, at(k));
          break;
        case "required":
          if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
            throw new Unsupported(`${at(k)}: not a list of names`);
          }
          for (const name of v as string[]) required.add(name);
          break;
        case "properties":
          if (typeof v !== "object" || v === null || Array.isArray(v)) {
            throw new Unsupported(`${at(k)}: not an object`);
          }
          for (const [name, sub] of Object.entries(v)) {
            node.props.push({
              name,
              node: visit(sub, `${at(k)}/${name}`),
              inProperties: true,
              required: false,
            });
          }
          break;
        case "additionalProperties":
          node.additional = v === false ? FORBID : visit(v, at(k));
          break;
        case "enum":
          if (!Array.isArray(v)) throw new Unsupported(`${at(k)}: not a list`);
          node.enumValues = intersect(node.enumValues, literals(v, at(k)));
          break;
        case "const":
          node.enumValues = intersect(node.enumValues, literals([v], at(k)));
          break;
        case "allOf":
        case "anyOf":
        case "oneOf": {
          if (!Array.isArray(v) || v.length === 0) throw new Unsupported(`${at(k)}: not a non-empty list`);
          node[k] = v.map((sub, i) => visit(sub, `${at(k)}/${i}`));
          break;
        }
        case "not":
          node.not = visit(v, at(k));
          break;
        default:
          if (options.isKeyword && !ALWAYS_KNOWN.has(k) && !options.isKeyword(k)) break; // ignored by ajv too
          throw new Unsupported(`${at(k)}: keyword not supported by the fast path`);
      }
    }
    for (const name of required) {
      const p = node.props.find((x) => x.name === name);
      if (p) p.required = true;
      else node.props.push({ name, node: ANY, inProperties: false, required: true });
    }
    for (const p of node.props) {
      if (INHERITED.has(p.name) || !isPlainString(p.name)) {
        throw new Unsupported(`${path}: property name ${JSON.stringify(p.name)}`);
      }
    }
    return id;
  };
  try {
    const root = visit(schema, "#");
    return { program: write(nodes, patterns, root) };
  } catch (e) {
    if (e instanceof Unsupported) return { unsupported: e.message };
    throw e;
  }
}

/** enum/const values the checker compares exactly: JSON primitives (ajv's deep equal is `===` for them). */
function literals(values: unknown[], path: string): unknown[] {
  for (const v of values) {
    const ok =
      v === null ||
      typeof v === "boolean" ||
      (typeof v === "number" && Number.isFinite(v)) ||
      (typeof v === "string" && isPlainString(v));
    if (!ok) throw new Unsupported(`${path}: a value that is not a JSON primitive`);
  }
  return values;
}

/** `enum` and `const` on one schema: a value must satisfy both. */
function intersect(a: unknown[] | null, b: unknown[]): unknown[] {
  return a === null ? b : a.filter((x) => b.includes(x));
}

/**
 * Layout (little-endian), read by native/program.h readProgram:
 * "FCK1" u32, node count u32, pattern count u32, root i32;
 * patterns: flags u32 (1 = asciiOnly), states u32, start u32, accept u8 x states, table u16 x states x 129;
 * nodes: types u32, flags u32 (1 = false schema), numFlags u32, min max xmin xmax mult f64,
 * minLen maxLen pattern format items minItems maxItems minProps maxProps additional i32,
 * props u32 + (name str, node i32, flags u8: 1 in properties, 2 required),
 * enum count u32 (0xffffffff none) + (kind u8: 0 null 1 false 2 true 3 number + f64, 4 string + str),
 * allOf anyOf oneOf u32 + i32 each, not i32. str = u32 byte length + UTF-8.
 */
function write(nodes: Node[], patterns: Dfa[], root: number): Uint8Array {
  let buf = Buffer.alloc(4096);
  let at = 0;
  const room = (k: number) => {
    if (at + k <= buf.length) return;
    const bigger = Buffer.alloc(Math.max(buf.length * 2, at + k));
    buf.copy(bigger, 0, 0, at);
    buf = bigger;
  };
  const u32 = (v: number) => {
    room(4);
    at = buf.writeUInt32LE(v >>> 0, at);
  };
  const i32 = (v: number) => {
    room(4);
    at = buf.writeInt32LE(v, at);
  };
  const f64 = (v: number) => {
    room(8);
    at = buf.writeDoubleLE(v, at);
  };
  const u8 = (v: number) => {
    room(1);
    at = buf.writeUInt8(v, at);
  };
  const bytes = (b: Uint8Array) => {
    room(b.length);
    buf.set(b, at);
    at += b.length;
  };
  const str = (s: string) => {
    const b = Buffer.from(s, "utf8");
    u32(b.length);
    bytes(b);
  };
  // The u16 table is copied as it is in memory: little-endian, as on every platform we build for.
  const table = (t: Uint16Array) => bytes(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  u32(0x314b4346);
  u32(nodes.length);
  u32(patterns.length);
  i32(root);
  for (const p of patterns) {
    u32(p.asciiOnly ? 1 : 0);
    u32(p.accept.length);
    u32(p.start);
    bytes(p.accept);
    table(p.table);
  }
  for (const n of nodes) {
    u32(n.types);
    u32(n.alwaysFalse ? 1 : 0);
    u32(n.numFlags);
    for (const v of n.nums) f64(v);
    for (const v of [n.minLen, n.maxLen, n.pattern, n.format, n.items, n.minItems, n.maxItems]) i32(v);
    for (const v of [n.minProps, n.maxProps, n.additional]) i32(v);
    u32(n.props.length);
    for (const p of n.props) {
      str(p.name);
      i32(p.node);
      u8((p.inProperties ? 1 : 0) | (p.required ? 2 : 0));
    }
    if (n.enumValues === null) u32(0xffffffff);
    else {
      u32(n.enumValues.length);
      for (const v of n.enumValues) {
        if (v === null) u8(0);
        else if (v === false) u8(1);
        else if (v === true) u8(2);
        else if (typeof v === "number") {
          u8(3);
          f64(v);
        } else {
          u8(4);
          str(v as string);
        }
      }
    }
    for (const list of [n.allOf, n.anyOf, n.oneOf]) {
      u32(list.length);
      for (const x of list) i32(x);
    }
    i32(n.not);
  }
  return buf.subarray(0, at);
}
