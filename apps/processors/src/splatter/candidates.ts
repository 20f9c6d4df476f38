/**
 * Candidate finding over the full-resolution frame, in plain code (no downscaling: at 0.1 mm/px a
 * 0.4 mm speck is 4 px wide, and shrinking the frame would erase it).
 *
 * 1. One pass over the pixels keeps the min, max and sum of every 4 x 4 cell.
 * 2. The background of a cell is the mean of the cell means around it (7 x 7 cells, 28 px, from
 *    an integral image), so lighting gradients and broad reflections cancel out.
 * 3. A cell is hot when its min or max departs from the background by more than `threshold`;
 *    8-connected hot cells form a component. Components larger than a splatter bead can be (weld
 *    spots, sealant beads, panel edges) are dropped here.
 * 4. Each remaining component is refined at full resolution (its box) and described by a small
 *    patch plus a few shape values: the input of the patch classifier (ONNX).
 */
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
}

export const CELL = 4;
/** Side of the patch around a candidate (px) and of the classifier's input grid after 2 x 2 means. */
export const PATCH = 48;
export const GRID = PATCH / 2;
export const SHAPE_FEATURES = 6;
export const FEATURES = GRID * GRID + SHAPE_FEATURES;

export interface CandidateSet {
  candidates: Candidate[];
  /** [candidates x FEATURES] classifier inputs. */
  features: Float32Array;
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
  // Connected components (8-neighbourhood), iterative flood fill.
  const found: { box: Candidate; contrast: number; bg: number }[] = [];
  const stack = new Int32Array(cw * ch);
  for (let start = 0; start < hot.length; start++) {
    if (hot[start] !== 1) continue;
    hot[start] = 2;
    let top = 0;
    stack[top++] = start;
    let minX = cw;
    let minY = ch;
    let maxX = -1;
    let maxY = -1;
    let cells = 0;
    let contrast = 0;
    let bgSum = 0;
    while (top > 0) {
      const k = stack[--top]!;
      const cx = k % cw;
      const cy = (k - cx) / cw;
      cells++;
      if (cx < minX) minX = cx;
      if (cx > maxX) maxX = cx;
      if (cy < minY) minY = cy;
      if (cy > maxY) maxY = cy;
      contrast = Math.max(contrast, cmax[k]! - bg[k]!, bg[k]! - cmin[k]!);
      bgSum += bg[k]!;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = cy + dy;
        if (ny < 0 || ny >= ch) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = cx + dx;
          if (nx < 0 || nx >= cw) continue;
          const n = ny * cw + nx;
          if (hot[n] === 1) {
            hot[n] = 2;
            stack[top++] = n;
          }
        }
      }
    }
    if (maxX - minX + 1 > maxCells || maxY - minY + 1 > maxCells) continue;
    found.push({
      box: {
        x: minX * CELL,
        y: minY * CELL,
        width: (maxX - minX + 1) * CELL,
        height: (maxY - minY + 1) * CELL,
      },
      contrast,
      bg: bgSum / cells,
    });
  }
  found.sort((a, b) => b.contrast - a.contrast);
  const kept = found.slice(0, maxCandidates);
  const features = new Float32Array(kept.length * FEATURES);
  const candidates = kept.map((f, i) =>
    describe(p, w, h, f.box, f.bg, threshold, features.subarray(i * FEATURES, (i + 1) * FEATURES)),
  );
  return { candidates, features };
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

/**
 * Refines a component's box at full resolution (pixels departing from the background by more than
 * 60 % of the threshold) and writes the classifier inputs: the 48 x 48 patch around it as 24 x 24
 * means relative to the background, then box width and height, dark and bright contrast, the
 * share of the box that departs, and the number of departing pixels.
 */
function describe(
  p: Uint8Array,
  w: number,
  h: number,
  box: Candidate,
  bg: number,
  threshold: number,
  out: Float32Array,
): Candidate {
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
  for (let gy = 0; gy < GRID; gy++)
    for (let gx = 0; gx < GRID; gx++) {
      let s = 0;
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++) {
          const x = Math.min(w - 1, Math.max(0, px0 + gx * 2 + dx));
          const y = Math.min(h - 1, Math.max(0, py0 + gy * 2 + dy));
          s += p[y * w + x]!;
        }
      out[gy * GRID + gx] = (s / 4 - bg) / 64;
    }
  const o = GRID * GRID;
  out[o] = refined.width / 32;
  out[o + 1] = refined.height / 32;
  out[o + 2] = (bg - lo) / 64;
  out[o + 3] = (hi - bg) / 64;
  out[o + 4] = count / (refined.width * refined.height);
  out[o + 5] = Math.sqrt(count) / 16;
  return refined;
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
