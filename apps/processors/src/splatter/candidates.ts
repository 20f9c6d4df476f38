/**
 * Candidate finding over the full-resolution frame, in plain code (no downscaling: at 0.1 mm/px a
 * 0.4 mm speck is 4 px wide, and shrinking the frame would erase it).
 *
 * 1. One pass over the pixels keeps the min, max and sum of every 4 x 4 cell.
 * 2. The background of a cell is the mean of the cell means around it (7 x 7 cells, 28 px, from
 *    an integral image), so lighting gradients and broad reflections cancel out.
 * 3. A cell is hot when its min or max departs from the background by more than `threshold`;
 *    8-connected hot cells form a component.
 * 4. A component larger than a splatter bead can be (a weld spot, a sealant bead, a panel edge,
 *    or a bead touching one of them) is not dropped whole: its cells are thresholded again at
 *    rising levels (x1.6, x2.4, x3.4) and re-connected, so the strongly contrasted core of a bead
 *    (a dark oxide blob with a bright highlight) separates from the softer structure it touched.
 *    Only what is still too large at the last level is dropped. Before this step, beads touching
 *    a weld spot or a sealant line were never looked at (most of the misses).
 * 5. Each remaining component is refined at full resolution (its box) and described by patches
 *    plus a few shape values (`patch-features.ts`): the input of the patch classifier (ONNX).
 */
import { describe, featureCount, type PatchLayout } from "./patch-features.js";

export { FEATURES, GRID, PATCH, SHAPE_FEATURES } from "./patch-features.js";

export interface Candidate {
  /** Box in image coordinates (px). */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface CandidateOptions {
  /** Grey levels a cell must depart from its background by. */
  threshold?: number;
  /** Largest component side, in cells, that can still be splatter. */
  maxCells?: number;
  /** At most this many candidates per frame (the most contrasted first). */
  maxCandidates?: number;
  /** How each candidate is described (the model's manifest; default: the base layout, fixed scale). */
  layout?: PatchLayout;
}

export const CELL = 4;
/** Threshold multipliers at which oversized components are split again. */
export const SPLIT_LEVELS = [1.6, 2.4, 3.4] as const;

export interface CandidateSet {
  candidates: Candidate[];
  /** [candidates x featureCount(layout)] classifier inputs. */
  features: Float32Array;
  /** Each candidate's local background (grey level, the mean of its cells' backgrounds). */
  backgrounds: Float32Array;
}

export function findCandidates(
  p: Uint8Array,
  w: number,
  h: number,
  options: CandidateOptions = {},
): CandidateSet {
  const threshold = options.threshold ?? 26;
  const maxCells = options.maxCells ?? 14;
  const maxCandidates = options.maxCandidates ?? 2000;
  const cw = Math.ceil(w / CELL);
  const ch = Math.ceil(h / CELL);
  const cmin = new Uint8Array(cw * ch);
  const cmax = new Uint8Array(cw * ch);
  const csum = new Uint32Array(cw * ch);
  cellStats(p, w, h, cw, cmin, cmax, csum);
  // Integral image of the cell means (edge cells are scaled to a full cell's count).
  const iw = cw + 1;
  const integral = new Float64Array(iw * (ch + 1));
  for (let cy = 0; cy < ch; cy++) {
    let acc = 0;
    const rows = Math.min(CELL, h - cy * CELL);
    for (let cx = 0; cx < cw; cx++) {
      const cols = Math.min(CELL, w - cx * CELL);
      acc += csum[cy * cw + cx]! / (rows * cols);
      integral[(cy + 1) * iw + cx + 1] = integral[cy * iw + cx + 1]! + acc;
    }
  }
  const R = 3;
  const bg = new Float32Array(cw * ch);
  const hot = new Uint8Array(cw * ch);
  for (let cy = 0; cy < ch; cy++) {
    const y0 = Math.max(0, cy - R);
    const y1 = Math.min(ch, cy + R + 1);
    for (let cx = 0; cx < cw; cx++) {
      const x0 = Math.max(0, cx - R);
      const x1 = Math.min(cw, cx + R + 1);
      const s =
        integral[y1 * iw + x1]! - integral[y0 * iw + x1]! - integral[y1 * iw + x0]! + integral[y0 * iw + x0]!;
      const k = cy * cw + cx;
      const m = s / ((y1 - y0) * (x1 - x0));
      bg[k] = m;
      if (cmax[k]! - m > threshold || m - cmin[k]! > threshold) hot[k] = 1;
    }
  }
  const dep = (k: number) => Math.max(cmax[k]! - bg[k]!, bg[k]! - cmin[k]!);
  const found: Found[] = [];
  const stack = new Int32Array(cw * ch);
  const members = new Int32Array(cw * ch);
  // Cells allowed in the current split: stamped with the split's number, so no clearing is needed.
  const allowed = new Int32Array(cw * ch);
  let stamp = 0;
  /**
   * Flood fill from `start` over cells for which `take(n)` holds (it must also mark them taken);
   * writes the component into `members` from `at`; returns its end and box.
   */
  const fill = (start: number, at: number, take: (n: number) => boolean) => {
    let top = 0;
    stack[top++] = start;
    let end = at;
    let minX = cw;
    let minY = ch;
    let maxX = -1;
    let maxY = -1;
    while (top > 0) {
      const k = stack[--top]!;
      members[end++] = k;
      const cx = k % cw;
      const cy = (k - cx) / cw;
      if (cx < minX) minX = cx;
      if (cx > maxX) maxX = cx;
      if (cy < minY) minY = cy;
      if (cy > maxY) maxY = cy;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = cy + dy;
        if (ny < 0 || ny >= ch) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = cx + dx;
          if (nx < 0 || nx >= cw) continue;
          const n = ny * cw + nx;
          if (take(n)) stack[top++] = n;
        }
      }
    }
    return { end, minX, minY, maxX, maxY };
  };
  const keep = (from: number, to: number, b: ReturnType<typeof fill>, level: number) => {
    let contrast = 0;
    let bgSum = 0;
    for (let i = from; i < to; i++) {
      const k = members[i]!;
      contrast = Math.max(contrast, dep(k));
      bgSum += bg[k]!;
    }
    found.push({
      box: {
        x: b.minX * CELL,
        y: b.minY * CELL,
        width: (b.maxX - b.minX + 1) * CELL,
        height: (b.maxY - b.minY + 1) * CELL,
      },
      contrast,
      bg: bgSum / (to - from),
      level,
    });
  };
  const fits = (b: ReturnType<typeof fill>) =>
    b.maxX - b.minX + 1 <= maxCells && b.maxY - b.minY + 1 <= maxCells;
  /** Splits the oversized component in members[from..to) at SPLIT_LEVELS[level - 1]. */
  const split = (from: number, to: number, level: number): void => {
    // Past the last level, or a component so vast (a frame of noise) that its sub-components
    // would not fit the scratch list, it is no bead: dropped.
    if (level > SPLIT_LEVELS.length || to + (to - from) > members.length) return;
    const t = threshold * SPLIT_LEVELS[level - 1]!;
    const s = ++stamp;
    // The sub-components are written after `to` (members has room: they are a subset).
    for (let i = from; i < to; i++) if (dep(members[i]!) > t) allowed[members[i]!] = s;
    let at = to;
    for (let i = from; i < to; i++) {
      const k = members[i]!;
      if (allowed[k] !== s) continue;
      allowed[k] = -s;
      const b = fill(k, at, (n) => {
        if (allowed[n] !== s) return false;
        allowed[n] = -s;
        return true;
      });
      if (fits(b)) keep(at, b.end, b, level);
      else split(at, b.end, level + 1);
      at = b.end;
    }
  };
  for (let start = 0; start < hot.length; start++) {
    if (hot[start] !== 1) continue;
    hot[start] = 2;
    const b = fill(start, 0, (n) => {
      if (hot[n] !== 1) return false;
      hot[n] = 2;
      return true;
    });
    if (fits(b)) keep(0, b.end, b, 0);
    else split(0, b.end, 1);
  }
  found.sort((a, b) => b.contrast - a.contrast);
  const kept = found.slice(0, maxCandidates);
  const layout = options.layout ?? { darkRelative: false };
  const n = featureCount(layout);
  const features = new Float32Array(kept.length * n);
  const candidates = kept.map((f, i) =>
    describe(
      p,
      w,
      h,
      f.box,
      f.bg,
      f.level === 0 ? threshold : threshold * SPLIT_LEVELS[f.level - 1]!,
      f.level,
      features.subarray(i * n, (i + 1) * n),
      layout,
    ),
  );
  return { candidates, features, backgrounds: Float32Array.from(kept, (f) => f.bg) };
}

interface Found {
  box: Candidate;
  contrast: number;
  bg: number;
  /** 0: found whole; n: split out of a larger component at SPLIT_LEVELS[n - 1]. */
  level: number;
}

/**
 * Min, max and sum of every 4 x 4 cell. The fast path reads four pixels per 32-bit word and
 * writes each cell once (this pass touches all 20 M pixels, so it dominates the time).
 */
function cellStats(
  p: Uint8Array,
  w: number,
  h: number,
  cw: number,
  cmin: Uint8Array,
  cmax: Uint8Array,
  csum: Uint32Array,
): void {
  if (w % CELL === 0 && h % CELL === 0 && p.byteOffset % 4 === 0) {
    const q = new Uint32Array(p.buffer, p.byteOffset, p.length >> 2);
    const qw = w >> 2;
    const ch = h >> 2;
    for (let cy = 0; cy < ch; cy++) {
      const r0 = cy * 4 * qw;
      for (let c = 0; c < cw; c++) {
        let lo = 255;
        let hi = 0;
        let s = 0;
        for (let r = 0; r < 4; r++) {
          const v = q[r0 + r * qw + c]!;
          const a = v & 255;
          const b = (v >>> 8) & 255;
          const d = (v >>> 16) & 255;
          const e = v >>> 24;
          s += a + b + d + e;
          if (a < lo) lo = a;
          if (b < lo) lo = b;
          if (d < lo) lo = d;
          if (e < lo) lo = e;
          if (a > hi) hi = a;
          if (b > hi) hi = b;
          if (d > hi) hi = d;
          if (e > hi) hi = e;
        }
        const k = cy * cw + c;
        cmin[k] = lo;
        cmax[k] = hi;
        csum[k] = s;
      }
    }
    return;
  }
  cmin.fill(255);
  for (let y = 0; y < h; y++) {
    const crow = (y >> 2) * cw;
    for (let x = 0; x < w; x++) {
      const v = p[y * w + x]!;
      const k = crow + (x >> 2);
      if (v < cmin[k]!) cmin[k] = v;
      if (v > cmax[k]!) cmax[k] = v;
      csum[k] = csum[k]! + v;
    }
  }
}

/** Intersection over union of two boxes. */
export function iou(a: Candidate, b: Candidate): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** The match rule: IoU >= 0.3, or the detection's centre inside the true box. */
export function matches(detection: Candidate, truth: Candidate): boolean {
  const cx = detection.x + detection.width / 2;
  const cy = detection.y + detection.height / 2;
  const inside =
    cx >= truth.x && cx <= truth.x + truth.width && cy >= truth.y && cy <= truth.y + truth.height;
  return inside || iou(detection, truth) >= 0.3;
}
