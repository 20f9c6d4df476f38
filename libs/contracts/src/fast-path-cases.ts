/**
 * Payload cases for the fast path's differential test and bench: values generated from a JSON
 * Schema (valid by construction where the schema allows it), then mutated as values and as
 * bytes, towards the edges where a checker that does not build the message could go wrong
 * (bounds, -0, 1e400, 1.0 against integer, code point lengths, escapes, duplicate names, BOM,
 * depth, broken UTF-8). Seeded: a failure names its seed and is replayed exactly.
 */
import { compilePattern, type Dfa } from "@uns/fast-check";

export type Rng = () => number;

/** mulberry32: small, fast, good enough to spread cases. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Schema = Record<string, unknown> | boolean;
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Characters with interesting lengths: ASCII, 2-byte, 3-byte, astral (2 UTF-16 units), combining. */
const CHARS = [
  "a",
  "Z",
  "0",
  "-",
  "_",
  ".",
  " ",
  "é",
  "ß",
  "€",
  "中",
  "😀",
  "𝄞",
  "\u0301",
  '"',
  "\\",
  "/",
  "\n",
];

function randomString(r: Rng, min = 0, max = min + 8): string {
  const n = int(r, min, Math.min(max, min + 12));
  let s = "";
  for (let i = 0; i < n; i++) s += r() < 0.6 ? String.fromCharCode(int(r, 0x61, 0x7a)) : pick(r, CHARS);
  return s;
}

export function randomValue(r: Rng, depth = 0): unknown {
  const k = int(r, 0, depth > 2 ? 4 : 6);
  if (k === 0) return null;
  if (k === 1) return r() < 0.5;
  if (k === 2) return pick(r, [0, -1, 1, 2.5, 1e21, -0.0001, 90, 255, 4294967296]);
  if (k === 3) return int(r, -1000, 1000) / pick(r, [1, 10, 1000]);
  if (k === 4) return randomString(r);
  if (k === 5) return Array.from({ length: int(r, 0, 3) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = int(r, 0, 3); i > 0; i--) o[randomString(r, 1, 4)] = randomValue(r, depth + 1);
  return o;
}

interface Walkable extends Dfa {
  live: Uint8Array;
  /** Per state, the printable ASCII characters that keep a match possible (filled lazily). */
  moves: (number[] | undefined)[];
}
const dfaCache = new Map<string, Walkable | null>();

/** States from which an accepting state can still be reached. */
function liveStates(dfa: Dfa): Uint8Array {
  const n = dfa.accept.length;
  const live = Uint8Array.from(dfa.accept);
  for (let changed = true; changed; ) {
    changed = false;
    for (let st = 0; st < n; st++) {
      if (live[st]) continue;
      for (let c = 0; c < 129; c++) {
        if (live[dfa.table[st * 129 + c]!]) {
          live[st] = 1;
          changed = true;
          break;
        }
      }
    }
  }
  return live;
}

/** A random string the pattern's DFA accepts (a walk through live states), or undefined. */
function fromPattern(r: Rng, pattern: string, minLen: number, maxLen: number): string | undefined {
  let dfa = dfaCache.get(pattern);
  if (dfa === undefined) {
    const c = compilePattern(pattern);
    dfa = "dfa" in c ? { ...c.dfa, live: liveStates(c.dfa), moves: [] } : null;
    dfaCache.set(pattern, dfa);
  }
  if (!dfa) return undefined;
  const d = dfa;
  const movesOf = (st: number) => {
    let m = d.moves[st];
    if (!m) {
      m = [];
      for (let c = 0x20; c < 0x7f; c++) if (d.live[d.table[st * 129 + c]!]) m.push(c);
      d.moves[st] = m;
    }
    return m;
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    let st = d.start;
    let out = "";
    const target = int(r, minLen, Math.min(maxLen, minLen + 20));
    for (let i = 0; i < target + 80; i++) {
      if (d.accept[st] && out.length >= target) break;
      const live = movesOf(st);
      if (live.length === 0) break;
      const c = pick(r, live);
      st = d.table[st * 129 + c]!;
      out += String.fromCharCode(c);
    }
    if (d.accept[st] && out.length >= minLen && out.length <= maxLen) return out;
  }
  return undefined;
}

function dateTime(r: Rng): string {
  const p2 = (n: number) => String(n).padStart(2, "0");
  const date = `${int(r, 1990, 2030)}-${p2(int(r, 1, 12))}-${p2(int(r, 1, 28))}`;
  const frac = r() < 0.5 ? `.${int(r, 0, 999)}` : "";
  const zone = pick(r, ["Z", "z", "+01:00", "-05:30", "+0200", "+03"]);
  return `${date}${pick(r, ["T", "t", " "])}${p2(int(r, 0, 23))}:${p2(int(r, 0, 59))}:${p2(int(r, 0, 59))}${frac}${zone}`;
}

/** A value meant to satisfy `schema` (not always possible: oneOf, not, impossible bounds). */
export function generate(r: Rng, schema: Schema, depth = 0): unknown {
  if (schema === true || depth > 8) return randomValue(r, 2);
  if (schema === false) return randomValue(r, 2);
  const s = schema;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum)) return pick(r, s.enum);
  if (Array.isArray(s.anyOf)) return generate(r, pick(r, s.anyOf as Schema[]), depth + 1);
  if (Array.isArray(s.oneOf)) return generate(r, pick(r, s.oneOf as Schema[]), depth + 1);
  if (Array.isArray(s.allOf))
    return generate(r, { ...(s.allOf[0] as object), ...s, allOf: undefined }, depth + 1);
  let types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === "string" ? [s.type] : [];
  if (types.length === 0) {
    if (s.properties || s.required) types = ["object"];
    else if (s.items) types = ["array"];
    else if (s.pattern || s.format || s.minLength !== undefined) types = ["string"];
    else if (s.minimum !== undefined || s.maximum !== undefined) types = ["number"];
    else return randomValue(r, 1);
  }
  const type = pick(r, types);
  switch (type) {
    case "null":
      return null;
    case "boolean":
      return r() < 0.5;
    case "integer":
    case "number": {
      const lo = num(s.minimum) ?? num(s.exclusiveMinimum) ?? -1000;
      const hi = num(s.maximum) ?? num(s.exclusiveMaximum) ?? Math.max(lo + 1000, 1000);
      const m = num(s.multipleOf);
      if (m) return Math.ceil(lo / m) * m + m * int(r, 0, 3);
      if (type === "integer" || r() < 0.3) return Math.round(lo + r() * (hi - lo));
      if (r() < 0.2) return pick(r, [lo, hi]); // at the bounds: mutateText respells them nearby
      return Number((lo + r() * (hi - lo)).toFixed(int(r, 0, 5)));
    }
    case "string": {
      const min = num(s.minLength) ?? 0;
      const max = num(s.maxLength) ?? min + 10;
      if (s.format === "date-time") return dateTime(r);
      if (s.format === "date") return dateTime(r).slice(0, 10);
      if (s.format === "time") return dateTime(r).slice(11);
      if (typeof s.pattern === "string") {
        return fromPattern(r, s.pattern, min, num(s.maxLength) ?? 200) ?? randomString(r, min, max);
      }
      return randomString(r, min, max);
    }
    case "array": {
      const min = num(s.minItems) ?? 0;
      const max = num(s.maxItems) ?? min + 4;
      const n = int(r, min, Math.min(max, min + 4));
      return Array.from({ length: n }, () => generate(r, (s.items as Schema) ?? true, depth + 1));
    }
    default: {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      const o: Record<string, unknown> = {};
      for (const [k, sub] of Object.entries(props)) {
        if (required.has(k) || r() < 0.6) o[k] = generate(r, sub, depth + 1);
      }
      for (const k of required) if (!(k in o)) o[k] = randomValue(r, 2);
      if (s.additionalProperties !== false && r() < 0.3) {
        o[`x${int(r, 0, 99)}`] =
          typeof s.additionalProperties === "object"
            ? generate(r, s.additionalProperties as Schema, depth + 1)
            : randomValue(r, 2);
      }
      return o;
    }
  }
}

function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}

const EDGE_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  1e-7,
  2 ** 53,
  2 ** 53 + 2,
  1e21,
  -1e21,
  4294967295,
  4294967296,
  255,
  256,
];

/** A random path into `v`: a random descent that stops at each level with some chance. */
function randomPath(r: Rng, v: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  let at = v;
  while (at && typeof at === "object" && r() < 0.75) {
    const keys: (string | number)[] = Array.isArray(at) ? at.map((_, i) => i) : Object.keys(at);
    if (keys.length === 0) break;
    const k = pick(r, keys);
    path.push(k);
    at = (at as Record<string | number, unknown>)[k];
  }
  return path;
}

/** `name` itself and names that share its length, first byte or prefix (what the prop lookup compares). */
function nearNames(name: string): string[] {
  const last = name.charCodeAt(name.length - 1);
  return [
    name,
    `${name}x`,
    name.slice(0, -1),
    `${name.slice(0, -1)}${String.fromCharCode(last + 1)}`,
    `${name.charAt(0).toUpperCase()}${name.slice(1)}`,
  ];
}

/** One structural change to a copy of `v`. */
export function mutateValue(r: Rng, v: unknown): unknown {
  const copy = structuredClone(v);
  const path = randomPath(r, copy);
  const replace = (nv: unknown) => {
    if (path.length === 0) return nv;
    let parent = copy as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    parent[path[path.length - 1]!] = nv;
    return copy;
  };
  const target = path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], copy);
  const k = int(r, 0, 9);
  if (typeof target === "number" && k < 6) {
    const nv = pick(r, [
      target + 1,
      target - 1,
      target + 1e-9,
      target - 1e-9,
      -target,
      target * 10,
      target / 10,
      pick(r, EDGE_NUMBERS),
    ]);
    return replace(nv);
  }
  if (typeof target === "string" && k < 6) {
    return replace(
      pick(r, [
        `${target}a`,
        target.slice(1),
        `${target}😀`,
        `😀${target.slice(2)}`,
        target.toUpperCase(),
        `${target}\u0301`,
        "",
        `${target} `,
        target.replace(/[0-9]/, "x"),
      ]),
    );
  }
  if (target && typeof target === "object" && !Array.isArray(target) && k < 6) {
    const o = target as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length && r() < 0.5) delete o[pick(r, keys)];
    else
      o[pick(r, ["extra", "toString", "__proto__x", "é", ...nearNames(pick(r, keys) ?? "k")])] = randomValue(
        r,
        2,
      );
    return copy;
  }
  if (Array.isArray(target) && k < 6) {
    if (target.length && r() < 0.5) target.pop();
    else target.push(target.length ? structuredClone(target[0]) : randomValue(r, 2));
    return copy;
  }
  return replace(randomValue(r, 1));
}

const enc = new TextEncoder();

/** One change to the JSON text or its bytes; most of them keep it strict JSON. */
export function mutateText(r: Rng, text: string): Uint8Array {
  const k = int(r, 0, 19);
  const at = int(r, 0, text.length);
  switch (k) {
    case 0:
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    case 1: {
      // duplicate the first member name of some object
      const m = /\{"((?:[^"\\]|\\.)*)":/.exec(text.slice(at)) ?? /\{"((?:[^"\\]|\\.)*)":/.exec(text);
      if (!m) return enc.encode(text);
      const i = text.indexOf(m[0], m.index) + 1;
      return enc.encode(`${text.slice(0, i)}"${m[1]}":0,${text.slice(i)}`);
    }
    case 2: // a name or value character as a \u escape (same value)
      return enc.encode(
        text.replace(/"([a-z])/, (_, c: string) => `"\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
      );
    case 3: // a number in another spelling (same value), or the integer 1 as 1.0
      return enc.encode(
        text.replace(
          /([:,[])(\d+)([,\]}])/,
          (_, a, d, b) => `${a}${pick(r, [`${d}.0`, `${d}e0`, `${d}0E-1`, `${d}.000`])}${b}`,
        ),
      );
    case 4:
      return enc.encode(
        text.replace(
          /([:,[])(-?\d+(?:\.\d+)?)/,
          (_, a) =>
            `${a}${pick(r, ["1e400", "-1e400", "-0", "-0.0", "1E+2", "0.1e1", "01", "1.", ".5", "+1", "-", "9007199254740993", "1e-400"])}`,
        ),
      );
    case 5:
      return enc.encode(text.slice(0, at));
    case 6: {
      const b = Buffer.from(text);
      if (b.length) b[Math.min(at, b.length - 1)] = int(r, 0, 255);
      return b;
    }
    case 7:
      return enc.encode(
        `${text.slice(0, at)}${pick(r, [" ", "\n", "\t", "\r", "\u00a0", ",", "]", "}", ":", "\u0000"])}${text.slice(at)}`,
      );
    case 8: // strings: lone surrogates, escaped pairs, raw control characters, broken UTF-8
      return Buffer.concat([
        Buffer.from(
          text.replace(
            /"([^"\\]{0,3})"/,
            (_, s) =>
              `"${s}${pick(r, ["\\ud83d", "\\ud83d\\ude00", "\\udc00", "\\u00e9", "\\n", "\\/", "\\x", "\t"])}"`,
          ),
        ),
        Buffer.from(r() < 0.2 ? [0xff] : []),
      ]);
    case 9: {
      const depth = pick(r, [30, 63, 64, 65, 70]);
      return enc.encode(`${text.slice(0, at)}${"[".repeat(depth)}${"]".repeat(depth)}${text.slice(at)}`);
    }
    case 10:
      return enc.encode(`[${text}]`);
    case 11:
      return enc.encode(` ${text}\n`);
    case 12: // a value -> another JSON literal
      return enc.encode(
        text.replace(
          /:(\d+(?:\.\d+)?|"[^"]*"|true|false|null)/,
          `:${pick(r, ["null", "true", "false", '""', "[]", "{}", "0", '"0"'])}`,
        ),
      );
    case 13: // an escaped name that equals another one (a duplicate only after decoding)
      return enc.encode(
        text.replace(
          /,"([a-z])([^"]*)":/,
          (_, c: string, rest: string) => `,"\\u00${c.charCodeAt(0).toString(16)}${rest}":`,
        ),
      );
    case 14:
    case 15: // a number spelled another way, or moved to a neighbouring or hard-to-read value
      return enc.encode(respellNumberIn(r, text));
    case 16:
      return enc.encode(escapeInName(r, text));
    case 17:
      return enc.encode(repeatName(r, text));
    case 18:
      return enc.encode(manyNames(r, text));
    default:
      return enc.encode(text);
  }
}

/** Numbers whose text is hard to read right: the ends of the doubles, denormals, long mantissas. */
const HARD_NUMBERS = [
  "-0",
  "-0.0",
  "0e400",
  "-0e-400",
  "1e308",
  "1.7976931348623157e308",
  "1.7976931348623158e308",
  "1.7976931348623159e308",
  "4.9e-324",
  "5e-324",
  "2.4703282292062328e-324",
  "2.4703282292062327e-324",
  "2.2250738585072011e-308",
  "1e-400",
  "123456789012345678901234567890",
  "9007199254740993",
  "9007199254740992.000000001",
  "0.1e-7",
  "1E22",
  "1e23",
  "0.30000000000000004",
  "0.3000000000000000166533453693773481063544750213623046875",
];

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The double next to `v`, above it (`up`) or below. */
function nextDouble(v: number, up: boolean): number {
  if (!Number.isFinite(v)) return v;
  if (v === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = v;
  u64[0] = v > 0 === up ? u64[0]! + 1n : u64[0]! - 1n; // the bits count magnitudes
  return f64[0]!;
}

/** `v` as an integer times a power of two. */
function dyadic(v: number): { m: bigint; e: number } {
  f64[0] = Math.abs(v);
  const bits = u64[0]!;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  return exp === 0 ? { m: frac, e: -1074 } : { m: frac | (1n << 52n), e: exp - 1075 };
}

/**
 * The exact decimal halfway between `v` and its neighbour: a tie, which a correct reader rounds
 * to the even one of the two (and one more digit decides it).
 */
function halfway(v: number, up: boolean): string {
  const w = nextDouble(v, up);
  if (!Number.isFinite(w) || Math.sign(w) !== Math.sign(v) || v === 0) return String(w);
  const a = dyadic(v);
  const b = dyadic(w);
  const e = Math.min(a.e, b.e);
  const sum = (a.m << BigInt(a.e - e)) + (b.m << BigInt(b.e - e)); // 2 * midpoint / 2^e
  const k = e - 1; // midpoint = sum * 2^k
  const sign = v < 0 ? "-" : "";
  if (k >= 0) return `${sign}${(sum << BigInt(k)).toString()}`;
  const digits = (sum * 5n ** BigInt(-k)).toString().padStart(-k + 1, "0");
  const point = digits.length + k;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Another text for the number `token`: same value, a neighbour, a tie, or a hard case. */
function respell(r: Rng, token: string): string {
  const v = Number(token);
  const plain = /^(-?)(\d+)(?:\.(\d+))?$/.exec(token);
  const k = int(r, 0, 7);
  if (k === 0) return pick(r, HARD_NUMBERS);
  if (k === 1 || !plain) return String(nextDouble(v, r() < 0.5));
  if (k === 2) return halfway(v, r() < 0.5);
  if (k === 3) return `${halfway(v, r() < 0.5)}${r() < 0.5 ? "1" : "0000001"}`;
  const [, sign, ip, fp = ""] = plain;
  const zeros = "0".repeat(int(r, 1, 25));
  if (k === 4) return `${token}${fp ? "" : "."}${zeros}`; // same value, a long mantissa
  if (k === 5) return `${token}${fp ? "" : "."}${zeros}1`; // a hair above
  if (k === 6) {
    const digits = `${ip}${fp}`.replace(/^0+(?=\d)/, "");
    return r() < 0.5
      ? `${sign}${digits}${pick(r, ["e", "E"])}-${fp.length}`
      : `${sign}0.${ip}${fp}e${ip!.length}`;
  }
  return sign ? token.slice(1) : `-${token}`;
}

function respellNumberIn(r: Rng, text: string): string {
  const tokens = [...text.matchAll(/(?<=[:,[\s])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g)];
  if (tokens.length === 0) return text;
  const m = pick(r, tokens);
  return `${text.slice(0, m.index)}${respell(r, m[0])}${text.slice(m.index + m[0].length)}`;
}

const NAME = /"((?:[^"\\]|\\.)*)"\s*:/g;

/** One character of some member name as a \u escape (the same name once decoded). */
function escapeInName(r: Rng, text: string): string {
  const names = [...text.matchAll(NAME)].filter((m) => m[1]!.length > 0);
  if (names.length === 0) return text;
  const m = pick(r, names);
  const i = int(r, 0, m[1]!.length - 1);
  const c = m[1]!.charCodeAt(i);
  if (c === 0x5c || c > 0x7f) return text;
  const hex = c.toString(16).padStart(4, "0");
  const at = m.index + 1 + i;
  return `${text.slice(0, at)}\\u${r() < 0.5 ? hex : hex.toUpperCase()}${text.slice(at + 1)}`;
}

/** Some member (not only the first) repeated in its object, just before itself. */
function repeatName(r: Rng, text: string): string {
  const names = [...text.matchAll(NAME)];
  if (names.length === 0) return text;
  const m = pick(r, names);
  return `${text.slice(0, m.index)}"${m[1]}":null,${text.slice(m.index)}`;
}

/** Forty more names in the first object (past the walker's 32 kept in a list), maybe one twice. */
function manyNames(r: Rng, text: string): string {
  const at = text.indexOf("{");
  if (at < 0) return text;
  const names = Array.from({ length: 40 }, (_, i) => `"n${i}":${i % 12}`);
  if (r() < 0.5) names.splice(int(r, 1, 39), 0, `"n${int(r, 0, 39)}":0`);
  const sep = text[at + 1] === "}" ? "" : ",";
  return `${text.slice(0, at + 1)}${names.join(",")}${sep}${text.slice(at + 1)}`;
}

/** A serialisation of `v`, sometimes pretty, sometimes with escaped non-ASCII. */
export function serialize(r: Rng, v: unknown): string {
  const t = r() < 0.2 ? JSON.stringify(v, null, 2) : JSON.stringify(v);
  if (t === undefined) return "null";
  return r() < 0.15
    ? t.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    : t;
}
