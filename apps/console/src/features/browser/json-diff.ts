/**
 * What changed between two consecutive messages of a topic, as JSON pointer paths: the values
 * that differ, the fields added and removed. Arrays compare element by element (a curve whose
 * samples moved shows the samples that moved), capped so a 10,000-sample curve stays readable.
 */
export interface DiffEntry {
  path: string;
  change: "changed" | "added" | "removed";
  before?: unknown;
  after?: unknown;
}

const MAX_ENTRIES = 200;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const escapeKey = (k: string) => k.replace(/~/g, "~0").replace(/\//g, "~1");

export function jsonDiff(before: unknown, after: unknown): { entries: DiffEntry[]; capped: boolean } {
  const entries: DiffEntry[] = [];
  let capped = false;
  const push = (e: DiffEntry) => {
    if (entries.length < MAX_ENTRIES) entries.push(e);
    else capped = true;
  };
  const walk = (a: unknown, b: unknown, path: string) => {
    if (capped) return;
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        if (i >= a.length) push({ path: `${path}/${i}`, change: "added", after: b[i] });
        else if (i >= b.length) push({ path: `${path}/${i}`, change: "removed", before: a[i] });
        else walk(a[i], b[i], `${path}/${i}`);
      }
      return;
    }
    if (isObject(a) && isObject(b)) {
      for (const k of Object.keys(a))
        if (!(k in b)) push({ path: `${path}/${escapeKey(k)}`, change: "removed", before: a[k] });
      for (const k of Object.keys(b)) {
        const p = `${path}/${escapeKey(k)}`;
        if (!(k in a)) push({ path: p, change: "added", after: b[k] });
        else walk(a[k], b[k], p);
      }
      return;
    }
    if (a !== b && JSON.stringify(a) !== JSON.stringify(b))
      push({ path: path || "/", change: "changed", before: a, after: b });
  };
  walk(before, after, "");
  return { entries, capped };
}

/**
 * A numeric field of a message by path: `currentKA`, `curve.3`, `a.b[2]` or a JSON pointer
 * `/a/b/2`. Numbers only (a numeric string counts); anything else is null, so the chart has a gap.
 */
export function pickNumber(value: unknown, path: string): number | null {
  const p = path.trim();
  if (!p) return null;
  const parts = p.startsWith("/")
    ? p
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    : p
        .replace(/\[(\d+)\]/g, ".$1")
        .split(".")
        .filter((s) => s !== "");
  let v: unknown = value;
  for (const k of parts) {
    if (Array.isArray(v)) v = v[Number(k)];
    else if (isObject(v)) v = v[k];
    else return null;
  }
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return null;
}

/** Paths of the numeric fields of a value (first levels), to offer in the chart's picker. */
export function numericPaths(value: unknown, limit = 50): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string, depth: number) => {
    if (out.length >= limit || depth > 4) return;
    if (typeof v === "number") out.push(path);
    else if (isObject(v))
      for (const [k, c] of Object.entries(v)) walk(c, path ? `${path}.${k}` : k, depth + 1);
  };
  walk(value, "", 0);
  return out;
}
