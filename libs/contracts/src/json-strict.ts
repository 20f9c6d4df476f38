/**
 * Payload checks that make "valid" mean the same to every JSON reader downstream. JSON.parse
 * (and TextDecoder) quietly drop a leading byte order mark and keep the last of two members
 * with the same name; other parsers refuse the BOM or keep the first member, so a payload the
 * broker calls valid could be read as something else by a subscriber. Both are refused:
 * RFC 8259 section 8.1 (no BOM on the wire) and I-JSON, RFC 7493 section 2.3 (member names
 * MUST be unique).
 */

/** UTF-8 BOM: EF BB BF. A three-byte compare, free on the hot path. */
export function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

const COLON = 0x3a;

function countColons(buf: Buffer): number {
  let n = 0;
  for (let at = buf.indexOf(COLON); at !== -1; at = buf.indexOf(COLON, at + 1)) n++;
  return n;
}

/** `\u003a` / `\u003A` escapes: colons in parsed strings that are not ':' bytes in the text. */
function countEscapedColons(text: string): number {
  let n = 0;
  for (let at = text.indexOf("\\u003"); at !== -1; at = text.indexOf("\\u003", at + 5)) {
    const c = text.charCodeAt(at + 5);
    if (c === 0x61 || c === 0x41) n++;
  }
  return n;
}

function colonsIn(s: string): number {
  let n = 0;
  for (let at = s.indexOf(":"); at !== -1; at = s.indexOf(":", at + 1)) n++;
  return n;
}

/** Members of all objects in `value` plus the colons inside all its strings (names and values). */
function tally(value: unknown): number {
  if (typeof value === "string") return colonsIn(value);
  if (typeof value !== "object" || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += tally(v);
    return n;
  }
  for (const key in value) {
    n += 1 + colonsIn(key) + tally((value as Record<string, unknown>)[key]);
  }
  return n;
}

/**
 * The JSON pointer of the first repeated member name in `text` (valid JSON), or undefined.
 *
 * Fast path: in valid JSON every ':' byte outside strings separates a member name from its
 * value, so ':' bytes + `\u003a` escapes = members + colons inside strings, exactly when no
 * member was dropped. That needs only native indexOf scans and one walk of the parsed value.
 * Only when the two differ (a repeat, or a literal `\\u003a` counted by mistake) is the text
 * tokenised to find the name.
 */
export function findDuplicateKey(bytes: Uint8Array, text: string, parsed: unknown): string | undefined {
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (countColons(buf) + countEscapedColons(text) === tally(parsed)) return undefined;
  return scanForDuplicate(text);
}

/** Exact, slower: tokenise the (valid) JSON text with a set of member names per open object. */
function scanForDuplicate(text: string): string | undefined {
  type Frame = { names: Set<string> | null; path: string; key: string | null; index: number };
  const stack: Frame[] = [];
  let expectName = false;
  const escapePart = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");
  const childPath = (f: Frame) => (f.names ? `${f.path}/${escapePart(f.key ?? "")}` : `${f.path}/${f.index}`);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.names && expectName) {
        const name = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.names.has(name)) return `${top.path}/${escapePart(name)}`;
        top.names.add(name);
        top.key = name;
        expectName = false;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      const top = stack[stack.length - 1];
      const path = top ? childPath(top) : "";
      stack.push({ names: c === 0x7b ? new Set() : null, path, key: null, index: 0 });
      expectName = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top?.names) expectName = true;
      else if (top) top.index++;
    }
  }
  return undefined;
}
