import type { Candidate } from "./candidates.js";

/**
 * The classifier's view of a candidate: a 48 x 48 px patch around it as 24 x 24 means (the
 * context: a weld spot's annulus, a sealant line, an edge), the central 16 x 16 px at full
 * resolution (the detail that tells a 0.4 mm bead with its highlight from dust or a scratch,
 * which 2 x 2 means blur away), all relative to the local background, and seven shape values.
 */
export const PATCH = 48;
export const GRID = PATCH / 2;
export const CENTRE = 16;
export const SHAPE_FEATURES = 7;
/** Features of the base layout (every model up to 3.0.0). */
export const FEATURES = GRID * GRID + CENTRE * CENTRE + SHAPE_FEATURES;

/**
 * How a model wants its candidates described (its manifest's `patch`): the base layout, with
 * departures below the background scaled by `darkScale`, and optionally a wider, coarser view
 * appended after the shape values: `context.size` px square around the candidate as
 * `context.grid` x `context.grid` means. The 48 px patch shows a sealant line's end or its
 * crossing with a weld spot as a dark blob with a tail, like a bead touching the line; 96 px
 * shows the line going on (most false alarms of 3.0.0 on held-out frames were such places).
 */
export interface PatchLayout {
  darkRelative: boolean;
  context?: { size: number; grid: number };
}

/** The context a new model is trained with: 96 px as 12 x 12 means of 8 x 8 px. */
export const CONTEXT = { size: 96, grid: 12 } as const;

export function featureCount(layout: Pick<PatchLayout, "context">): number {
  return FEATURES + (layout.context ? layout.context.grid * layout.context.grid : 0);
}

/** The layout a manifest's `patch` block asks for. */
export function layoutOf(patch: {
  darkRelative?: boolean;
  context?: { size: number; grid: number };
}): PatchLayout {
  return patch.context
    ? { darkRelative: patch.darkRelative === true, context: patch.context }
    : { darkRelative: patch.darkRelative === true };
}

/** Grey levels that make one unit of a feature: a fixed 64, the scale of the first models. */
const SCALE = 64;
/** With `darkRelative`, the scale below the background is the background itself, from this floor. */
const DARK_FLOOR = 24;

/**
 * The scale of departures below the background `bg`. Fixed, a dark oxide bead (55-90 levels
 * below the panel) on the dark fixture beyond the panel edge (background 15-60) is clipped at
 * black and shows a fraction of its depth, so the network scored most beads there below the
 * threshold (fixture recall 0.78 against 0.99 on the panel). `darkRelative` measures darkness
 * against the headroom the background leaves, up to the fixed scale: the same on the panel,
 * black counts as fully dark on the fixture (a Weber contrast, floored so sensor noise on a
 * near-black surface is not blown up). Model 3.0.0, trained so: fixture recall 0.95 on 2,000
 * held-out frames.
 */
export function darkScale(bg: number, darkRelative: boolean): number {
  return darkRelative ? Math.min(SCALE, Math.max(DARK_FLOOR, bg)) : SCALE;
}

/**
 * Refines a component's box at full resolution (pixels departing from the background by more than
 * 60 % of the threshold it was found at) and writes the classifier inputs: the context grid, the
 * centre patch, then box width and height, dark and bright contrast, the share of the box that
 * departs, the number of departing pixels and the split level (0 when found whole); then the
 * wider context grid when the layout has one.
 */
export function describe(
  p: Uint8Array,
  w: number,
  h: number,
  box: Candidate,
  bg: number,
  threshold: number,
  level: number,
  out: Float32Array,
  layout: PatchLayout = { darkRelative: false },
): Candidate {
  const below = darkScale(bg, layout.darkRelative);
  /** A departure from the background in feature units. */
  const unit = (d: number) => (d < 0 ? d / below : d / SCALE);
  const x0 = Math.max(0, box.x - 4);
  const y0 = Math.max(0, box.y - 4);
  const x1 = Math.min(w, box.x + box.width + 4);
  const y1 = Math.min(h, box.y + box.height + 4);
  const cut = threshold * 0.6;
  let minX = w;
  let minY = h;
  let maxX = -1;
  let maxY = -1;
  let lo = 255;
  let hi = 0;
  let count = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const v = p[y * w + x]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (Math.abs(v - bg) > cut) {
        count++;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  const refined = maxX < 0 ? box : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
  const cx = Math.round(refined.x + refined.width / 2);
  const cy = Math.round(refined.y + refined.height / 2);
  const px0 = cx - PATCH / 2;
  const py0 = cy - PATCH / 2;
  const at = (x: number, y: number) =>
    p[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))]!;
  for (let gy = 0; gy < GRID; gy++)
    for (let gx = 0; gx < GRID; gx++) {
      const x = px0 + gx * 2;
      const y = py0 + gy * 2;
      const s = at(x, y) + at(x + 1, y) + at(x, y + 1) + at(x + 1, y + 1);
      out[gy * GRID + gx] = unit(s / 4 - bg);
    }
  const c0 = GRID * GRID;
  const qx = cx - CENTRE / 2;
  const qy = cy - CENTRE / 2;
  for (let y = 0; y < CENTRE; y++)
    for (let x = 0; x < CENTRE; x++) out[c0 + y * CENTRE + x] = unit(at(qx + x, qy + y) - bg);
  const o = c0 + CENTRE * CENTRE;
  out[o] = refined.width / 32;
  out[o + 1] = refined.height / 32;
  out[o + 2] = -unit(lo - bg);
  out[o + 3] = unit(hi - bg);
  out[o + 4] = count / (refined.width * refined.height);
  out[o + 5] = Math.sqrt(count) / 16;
  out[o + 6] = level / 3;
  if (layout.context) {
    const { size, grid } = layout.context;
    const side = size / grid;
    const x0c = cx - size / 2;
    const y0c = cy - size / 2;
    const k0 = o + SHAPE_FEATURES;
    for (let gy = 0; gy < grid; gy++)
      for (let gx = 0; gx < grid; gx++) {
        let s = 0;
        for (let y = 0; y < side; y++)
          for (let x = 0; x < side; x++) s += at(x0c + gx * side + x, y0c + gy * side + y);
        out[k0 + gy * grid + gx] = unit(s / (side * side) - bg);
      }
  }
  return refined;
}

/**
 * For each feature, the one it comes from in the transposed patch (x <-> y: every grid mirrored on
 * its diagonal, box width and height swapped). The transpose is the one symmetry that keeps the
 * light where it was: a bead's highlight sits towards the light (upper left) and its shadow away
 * from it, so a flip or a quarter turn would show the classifier beads lit from elsewhere, which
 * it never saw (on bench frames the mean over all 8 symmetries lost recall).
 */
export function transposition(layout: Pick<PatchLayout, "context">): Int32Array {
  const key = featureCount(layout);
  const known = transpositions.get(key);
  if (known) return known;
  const from = Int32Array.from({ length: key }, (_, i) => i);
  const mirror = (offset: number, side: number) => {
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) from[offset + y * side + x] = offset + x * side + y;
  };
  mirror(0, GRID);
  mirror(GRID * GRID, CENTRE);
  const shape = GRID * GRID + CENTRE * CENTRE;
  from[shape] = shape + 1;
  from[shape + 1] = shape;
  if (layout.context) mirror(FEATURES, layout.context.grid);
  transpositions.set(key, from);
  return from;
}
const transpositions = new Map<number, Int32Array>();

/** The rows `rows` of `features` ([n x featureCount]), each transposed, as a [rows.length x featureCount] batch. */
export function transposedRows(
  features: Float32Array,
  rows: readonly number[],
  layout: Pick<PatchLayout, "context"> = {},
): Float32Array {
  const n = featureCount(layout);
  const from = transposition(layout);
  const out = new Float32Array(rows.length * n);
  rows.forEach((r, k) => {
    const src = r * n;
    const dst = k * n;
    for (let j = 0; j < n; j++) out[dst + j] = features[src + from[j]!]!;
  });
  return out;
}

/**
 * Test-time augmentation for the borderline: every score (clamped to [0, 1]) inside `band` is
 * replaced by the mean of it and the score of the transposed patch. Only a few per cent of the
 * candidates fall in the band, so the second model run is small.
 */
export async function averageTransposed(
  scores: Float32Array,
  features: Float32Array,
  band: readonly [number, number],
  score: (batch: Float32Array, rows: number) => Promise<ArrayLike<number>> | ArrayLike<number>,
  layout: Pick<PatchLayout, "context"> = {},
): Promise<Float32Array> {
  const rows: number[] = [];
  scores.forEach((s, i) => {
    if (s >= band[0] && s <= band[1]) rows.push(i);
  });
  if (rows.length === 0) return scores;
  const again = await score(transposedRows(features, rows, layout), rows.length);
  rows.forEach((r, k) => {
    scores[r] = (scores[r]! + clamp01(again[k]!)) / 2;
  });
  return scores;
}

export function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}
