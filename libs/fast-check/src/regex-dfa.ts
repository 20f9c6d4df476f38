/**
 * `pattern` for the native checker: a small, exactly understood subset of RE2 syntax (the engine
 * ajv runs patterns in, see libs/contracts/src/linear-regex.ts) compiled to a DFA. The subset is
 * what contracts use: an optional `^`, a sequence of atoms (ASCII literals, escaped punctuation,
 * `.`, `\d`, `\w`, `\D`, `\W`, bracket classes of ASCII items and ranges, negated or not), each
 * with an optional quantifier (`?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}`, lazy or not), an optional
 * `$`. Groups, alternation, `\s`, `\b`, non-ASCII literals, Unicode classes and flags are not in
 * it: such a schema is checked by ajv alone.
 *
 * The alphabet is the 128 ASCII code points plus one symbol (128) for every other code point:
 * re2js reads a non-ASCII code point (an astral one too) as one character, which `.`, `\D`,
 * `\W` and negated classes match and every other atom here does not. `asciiOnly` marks DFAs
 * where symbol 128 matters (informational; the differential test covers both kinds).
 */

export interface Dfa {
  asciiOnly: boolean;
  start: number;
  accept: Uint8Array;
  /** states x 129 next states. */
  table: Uint16Array;
}

const SYMBOLS = 129;
const OTHER = 128;
const MAX_POSITIONS = 600;
const MAX_STATES = 4000;

type CharSet = boolean[];

interface Atom {
  set: CharSet;
  min: number;
  /** -1: unbounded. */
  max: number;
}

function emptySet(): CharSet {
  return new Array<boolean>(SYMBOLS).fill(false);
}
function range(set: CharSet, from: number, to: number): void {
  for (let c = from; c <= to; c++) set[c] = true;
}
function digits(): CharSet {
  const s = emptySet();
  range(s, 0x30, 0x39);
  return s;
}
function word(): CharSet {
  const s = digits();
  range(s, 0x41, 0x5a);
  range(s, 0x61, 0x7a);
  s[0x5f] = true;
  return s;
}
function negate(s: CharSet): CharSet {
  return s.map((b) => !b);
}

const META = new Set("\\^$.|?*+()[]{}");
/** Escapes of ASCII punctuation mean the character itself in RE2. */
const PUNCT = /^[!-/:-@[-`{-~]$/;

class Unsupported extends Error {}

/** `\x` outside or inside a class: a set, or one code point. */
function escapeOf(ch: string): CharSet | number {
  if (ch === "d") return digits();
  if (ch === "D") return negate(digits());
  if (ch === "w") return word();
  if (ch === "W") return negate(word());
  if (ch === "n") return 0x0a;
  if (ch === "t") return 0x09;
  if (ch === "r") return 0x0d;
  if (PUNCT.test(ch)) return ch.charCodeAt(0);
  throw new Unsupported(`escape \\${ch}`);
}

function parseClass(src: string, at: number): { set: CharSet; end: number } {
  let i = at + 1;
  let negated = false;
  if (src[i] === "^") {
    negated = true;
    i++;
  }
  const set = emptySet();
  let first = true;
  const single = (): number | CharSet => {
    const ch = src[i];
    if (ch === undefined) throw new Unsupported("unterminated class");
    if (ch === "\\") {
      const e = src[i + 1];
      if (e === undefined) throw new Unsupported("trailing backslash");
      i += 2;
      return escapeOf(e);
    }
    if (ch === "[" || (ch === "]" && first)) throw new Unsupported("[ or leading ] in a class");
    const code = ch.charCodeAt(0);
    if (code >= 0x80) throw new Unsupported("non-ASCII in a class");
    i++;
    return code;
  };
  while (src[i] !== "]") {
    const lo = single();
    first = false;
    if (typeof lo !== "number") {
      lo.forEach((b, c) => {
        if (b) set[c] = true;
      });
      continue;
    }
    if (src[i] === "-" && src[i + 1] !== "]" && src[i + 1] !== undefined) {
      i++;
      const hi = single();
      if (typeof hi !== "number" || hi < lo) throw new Unsupported("bad range");
      range(set, lo, hi);
    } else {
      set[lo] = true;
    }
  }
  return { set: negated ? negate(set) : set, end: i + 1 };
}

function parse(src: string): { atoms: Atom[]; anchoredStart: boolean; anchoredEnd: boolean } {
  let i = 0;
  let anchoredStart = false;
  let anchoredEnd = false;
  if (src[0] === "^") {
    anchoredStart = true;
    i = 1;
  }
  const atoms: Atom[] = [];
  while (i < src.length) {
    const ch = src[i]!;
    let set: CharSet;
    if (ch === "$" && i === src.length - 1) {
      anchoredEnd = true;
      break;
    }
    if (ch === "[") {
      const c = parseClass(src, i);
      set = c.set;
      i = c.end;
    } else if (ch === ".") {
      // RE2 without the s flag: any character but a newline.
      set = negate(emptySet());
      set[0x0a] = false;
      i++;
    } else if (ch === "\\") {
      const e = src[i + 1];
      if (e === undefined) throw new Unsupported("trailing backslash");
      const r = escapeOf(e);
      set = typeof r === "number" ? emptySet() : r;
      if (typeof r === "number") set[r] = true;
      i += 2;
    } else if (META.has(ch)) {
      throw new Unsupported(`${ch} here`);
    } else {
      const code = ch.charCodeAt(0);
      if (code >= 0x80) throw new Unsupported("non-ASCII literal");
      set = emptySet();
      set[code] = true;
      i++;
    }
    let min = 1;
    let max = 1;
    const q = src[i];
    if (q === "?" || q === "*" || q === "+") {
      min = q === "+" ? 1 : 0;
      max = q === "?" ? 1 : -1;
      i++;
    } else if (q === "{") {
      const m = /^\{(\d{1,4})(,(\d{0,4}))?\}/.exec(src.slice(i));
      if (!m) throw new Unsupported("bad repetition");
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? -1 : Number(m[3]);
      if (max !== -1 && max < min) throw new Unsupported("bad repetition");
      if (min > 1000 || max > 1000) throw new Unsupported("repetition over 1000");
      i += m[0].length;
    }
    if (src[i] === "?" && (q === "?" || q === "*" || q === "+" || q === "{")) i++; // lazy: same language
    if (src[i] === "?" || src[i] === "*" || src[i] === "+" || src[i] === "{") {
      throw new Unsupported("stacked quantifiers");
    }
    atoms.push({ set, min, max });
  }
  return { atoms, anchoredStart, anchoredEnd };
}

/**
 * The DFA of `source`, or a reason it is outside the subset.
 *
 * @example
 * compilePattern("^line-[0-9]{2}$") // { dfa: {...} }
 * compilePattern("^(a|b)$") // { unsupported: "( here" }
 */
export function compilePattern(source: string): { dfa: Dfa } | { unsupported: string } {
  const hit = cache.get(source);
  if (hit) return hit;
  let result: { dfa: Dfa } | { unsupported: string };
  try {
    result = { dfa: build(source) };
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    result = { unsupported: e.message };
  }
  // Contracts repeat a few patterns across many schemas; bounded so hostile sets cannot grow it.
  if (cache.size >= 1000) cache.clear();
  cache.set(source, result);
  return result;
}

const cache = new Map<string, { dfa: Dfa } | { unsupported: string }>();

function build(source: string): Dfa {
  const { atoms, anchoredStart, anchoredEnd } = parse(source);
  // Positions: each atom expanded to `min` required steps, then one looping step (unbounded) or
  // max - min optional steps. Position N (= positions.length) is the end of the pattern.
  const sets: CharSet[] = [];
  const kind: ("req" | "opt" | "star")[] = [];
  for (const a of atoms) {
    for (let k = 0; k < a.min; k++) {
      sets.push(a.set);
      kind.push("req");
    }
    if (a.max === -1) {
      sets.push(a.set);
      kind.push("star");
    } else {
      for (let k = a.min; k < a.max; k++) {
        sets.push(a.set);
        kind.push("opt");
      }
    }
    if (sets.length > MAX_POSITIONS) throw new Unsupported("pattern too long");
  }
  const n = sets.length;
  const asciiOnly = sets.some((s) => s[OTHER]);
  // Symbols no atom tells apart share their transitions: compute one per class (a handful)
  // instead of 129 per state.
  const distinct = [...new Set(sets)];
  const classOf = new Array<number>(SYMBOLS);
  const classes: number[] = []; // a representative symbol per class
  const bySignature = new Map<string, number>();
  for (let sym = 0; sym < SYMBOLS; sym++) {
    const sig = distinct.map((set) => (set[sym] ? "1" : "0")).join("");
    let c = bySignature.get(sig);
    if (c === undefined) {
      c = classes.length;
      classes.push(sym);
      bySignature.set(sig, c);
    }
    classOf[sym] = c;
  }
  const mark = new Uint8Array(n + 1);
  const closure = (from: Iterable<number>): number[] => {
    mark.fill(0);
    for (const i of from) mark[i] = 1;
    const out: number[] = [];
    for (let i = 0; i <= n; i++) {
      if (!mark[i]) continue;
      out.push(i);
      if (i < n && kind[i] !== "req") mark[i + 1] = 1;
    }
    return out;
  };
  const ids = new Map<string, number>();
  const states: number[][] = [];
  const intern = (s: number[]): number => {
    // Unanchored end: once the end is reached the pattern has matched, whatever follows.
    const key = !anchoredEnd && s.includes(n) ? "match" : s.join(",");
    let id = ids.get(key);
    if (id === undefined) {
      id = states.length;
      if (id >= MAX_STATES) throw new Unsupported("pattern needs too many states");
      ids.set(key, id);
      states.push(key === "match" ? [n] : s);
    }
    return id;
  };
  const start = intern(closure([0]));
  const rows: number[][] = [];
  for (let id = 0; id < states.length; id++) {
    const s = states[id]!;
    const isMatch = !anchoredEnd && s.includes(n);
    const perClass = classes.map((sym) => {
      if (isMatch) return id;
      const next: number[] = [];
      for (const i of s) {
        if (i < n && sets[i]![sym]) next.push(kind[i] === "star" ? i : i + 1);
      }
      if (!anchoredStart) next.push(0);
      return intern(closure(next));
    });
    rows[id] = classOf.map((c) => perClass[c]!);
  }
  const accept = new Uint8Array(states.length);
  states.forEach((s, id) => {
    accept[id] = s.includes(n) ? 1 : 0;
  });
  const table = new Uint16Array(states.length * SYMBOLS);
  rows.forEach((row, id) => {
    table.set(row, id * SYMBOLS);
  });
  return { asciiOnly, start, accept, table };
}
