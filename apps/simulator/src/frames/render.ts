import { createRng, type Rng } from "../prng.js";

/**
 * Full-size camera frames of a body panel for the weld splatter station: an 8-bit greyscale image
 * (industrial inspection cameras are mostly monochrome) with the ground truth of every object.
 *
 * Sizes are physical: splatter is 0.4-2.5 mm across and becomes pixels through the camera's
 * mm-per-pixel (0.1 mm/px by default, so a 5472 x 3648 frame sees 547 x 365 mm of panel). That is
 * why the frame cannot be downscaled before detection: at 1/8 a 0.5 mm speck is below a pixel.
 *
 * What is drawn, besides the splatter (the labelled boxes):
 * - lighting: a linear gradient, vignetting and broad specular reflection bands;
 * - structure: weld spots (electrode imprints, 5-7 mm), sealant beads, panel edges and holes;
 * - hard negatives, labelled separately: scratches, punch rings and dust, which are small and
 *   contrasty like splatter but are not.
 */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SplatterTruth extends Box {
  diameterMm: number;
}

export interface HardNegativeTruth extends Box {
  kind: "scratch" | "ring" | "dust" | "hole";
}

export interface FrameTruth {
  seed: string;
  width: number;
  height: number;
  mmPerPixel: number;
  splatter: SplatterTruth[];
  hardNegatives: HardNegativeTruth[];
  weldSpots: Box[];
  /** Beyond the panel edge: the dark fixture (35 % of the light); absent when the frame has none. */
  fixture?: Box;
}

export interface FrameOptions {
  seed: string;
  width?: number;
  height?: number;
  mmPerPixel?: number;
  /** Splatter count; default 0-10 drawn from the seed (a fifth of frames are clean). */
  splatter?: number;
  /** Where splatter may land (image coordinates); default the whole frame. */
  splatterArea?: Box;
  /** Scales the number of weld spots, sealant beads and hard negatives (default 1). */
  clutter?: number;
}

export interface RenderedFrame {
  width: number;
  height: number;
  /** One byte per pixel, row-major. */
  pixels: Uint8Array;
  truth: FrameTruth;
}

export const FRAME_WIDTH = 5472;
export const FRAME_HEIGHT = 3648;
export const DEFAULT_MM_PER_PIXEL = 0.1;

export function renderFrame(options: FrameOptions): RenderedFrame {
  const width = options.width ?? FRAME_WIDTH;
  const height = options.height ?? FRAME_HEIGHT;
  const mm = options.mmPerPixel ?? DEFAULT_MM_PER_PIXEL;
  const px = (v: number) => v / mm;
  const rng = createRng(`frame:${options.seed}`);
  const clutter = options.clutter ?? 1;
  const area = width * height;
  const img = new Float32Array(area);
  const fixture = lighting(img, width, height, rng.fork("light"));
  const truth: FrameTruth = {
    seed: options.seed,
    width,
    height,
    mmPerPixel: mm,
    splatter: [],
    hardNegatives: [],
    weldSpots: [],
    ...(fixture ? { fixture } : {}),
  };
  const perMegapixel = area / 20e6;
  const count = (n: number) => Math.round(n * perMegapixel * clutter);

  const s = rng.fork("structure");
  for (let i = 0, n = s.int(0, count(2)); i < n; i++) {
    const d = px(s.uniform(5, 12));
    const cx = s.uniform(0, width);
    const cy = s.uniform(0, height);
    disc(img, width, height, cx, cy, d / 2, d / 2, -70, 1.2);
    truth.hardNegatives.push({ kind: "hole", ...boxOf(cx, cy, d / 2 + 2, d / 2 + 2, width, height) });
  }
  for (let i = 0, n = s.int(count(1), count(3)); i < n; i++) {
    const x0 = s.uniform(0, width);
    const y0 = s.uniform(0, height);
    const angle = s.uniform(0, Math.PI);
    const len = s.uniform(0.2, 0.8) * width;
    sealant(
      img,
      width,
      height,
      x0,
      y0,
      x0 + Math.cos(angle) * len,
      y0 + Math.sin(angle) * len,
      px(s.uniform(3, 6)),
      s,
    );
  }
  for (let i = 0, n = s.int(count(20), count(50)); i < n; i++) {
    const d = px(s.uniform(5, 7));
    const cx = s.uniform(d, width - d);
    const cy = s.uniform(d, height - d);
    weldSpot(img, width, height, cx, cy, d / 2, s);
    truth.weldSpots.push(boxOf(cx, cy, d / 2, d / 2, width, height));
  }

  const h = rng.fork("hard-negatives");
  for (let i = 0, n = h.int(count(4), count(12)); i < n; i++) {
    const len = px(h.uniform(2, 10));
    const angle = h.uniform(0, Math.PI);
    const cx = h.uniform(20, width - 20);
    const cy = h.uniform(20, height - 20);
    const dx = (Math.cos(angle) * len) / 2;
    const dy = (Math.sin(angle) * len) / 2;
    line(
      img,
      width,
      height,
      cx - dx,
      cy - dy,
      cx + dx,
      cy + dy,
      Math.max(0.6, px(h.uniform(0.06, 0.15))),
      h.uniform(-45, 45),
    );
    truth.hardNegatives.push({
      kind: "scratch",
      ...boxOf(cx, cy, Math.abs(dx) + 1, Math.abs(dy) + 1, width, height),
    });
  }
  for (let i = 0, n = h.int(count(2), count(8)); i < n; i++) {
    const r = px(h.uniform(1, 2));
    const cx = h.uniform(20, width - 20);
    const cy = h.uniform(20, height - 20);
    ring(img, width, height, cx, cy, r, Math.max(0.8, px(h.uniform(0.08, 0.15))), h.chance(0.5) ? -40 : 40);
    truth.hardNegatives.push({ kind: "ring", ...boxOf(cx, cy, r + 1, r + 1, width, height) });
  }
  for (let i = 0, n = h.int(count(10), count(30)); i < n; i++) {
    const r = Math.max(0.5, px(h.uniform(0.05, 0.12)));
    const cx = h.uniform(20, width - 20);
    const cy = h.uniform(20, height - 20);
    disc(img, width, height, cx, cy, r, r, h.chance(0.6) ? -h.uniform(35, 70) : h.uniform(35, 70), 0.7);
    truth.hardNegatives.push({ kind: "dust", ...boxOf(cx, cy, r + 1, r + 1, width, height) });
  }

  const sp = rng.fork("splatter");
  const n = options.splatter ?? (sp.chance(0.2) ? 0 : sp.int(1, 10));
  const where = options.splatterArea ?? { x: 0, y: 0, width, height };
  for (let i = 0; i < n; i++) {
    const d = sp.uniform(0.4, 2.5);
    const r = px(d) / 2;
    const cx = where.x + 30 + sp.uniform(0, Math.max(1, where.width - 60));
    const cy = where.y + 30 + sp.uniform(0, Math.max(1, where.height - 60));
    const ext = splatter(img, width, height, cx, cy, r, sp);
    truth.splatter.push({ ...boxOf(cx, cy, ext.rx, ext.ry, width, height), diameterMm: round(d, 2) });
  }

  return { width, height, pixels: quantise(img, rng.next() * 2 ** 31), truth };
}

/**
 * Base brightness: gradient, vignetting and 1-3 soft specular bands (via a lookup table); in most
 * frames a panel edge, beyond which the darker fixture (returned as a box).
 */
function lighting(img: Float32Array, w: number, h: number, rng: Rng): Box | null {
  const base = rng.uniform(95, 140);
  const gx = rng.uniform(-30, 30) / w;
  const gy = rng.uniform(-25, 25) / h;
  const vig = rng.uniform(15, 35);
  const bands = Array.from({ length: rng.int(1, 3) }, () => {
    const a = rng.uniform(0, Math.PI);
    return {
      nx: Math.cos(a),
      ny: Math.sin(a),
      c: rng.uniform(0, w * Math.abs(Math.cos(a)) + h * Math.abs(Math.sin(a))),
      sigma: rng.uniform(100, 350),
      amp: rng.uniform(25, 70),
    };
  });
  const gauss = new Float32Array(1025);
  for (let i = 0; i <= 1024; i++) gauss[i] = Math.exp(-((i / 256) ** 2));
  const cx = w / 2;
  const cy = h / 2;
  const r2 = cx * cx + cy * cy;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const dy2 = (y - cy) ** 2;
    const rowBase = base + gy * y;
    for (let x = 0; x < w; x++) {
      let v = rowBase + gx * x - (vig * ((x - cx) ** 2 + dy2)) / r2;
      for (const b of bands) {
        const t = Math.abs(b.nx * x + b.ny * y - b.c) / b.sigma;
        if (t < 4) v += b.amp * gauss[(t * 256) | 0]!;
      }
      img[row + x] = v;
    }
  }
  // A panel edge: beyond it the darker fixture.
  if (rng.chance(0.7)) {
    const vertical = rng.chance(0.5);
    const at = rng.uniform(0.05, 0.2) * (vertical ? w : h);
    const far = rng.chance(0.5);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const c = vertical ? x : y;
        const beyond = far ? c > (vertical ? w : h) - at : c < at;
        if (beyond) img[y * w + x] = img[y * w + x]! * 0.35 + 10;
      }
    const band = Math.ceil(at);
    if (vertical) return { x: far ? w - band : 0, y: 0, width: band, height: h };
    return { x: 0, y: far ? h - band : 0, width: w, height: band };
  }
  return null;
}

function boxOf(cx: number, cy: number, rx: number, ry: number, w: number, h: number): Box {
  const x = Math.max(0, Math.floor(cx - rx));
  const y = Math.max(0, Math.floor(cy - ry));
  const x1 = Math.min(w, Math.ceil(cx + rx));
  const y1 = Math.min(h, Math.ceil(cy + ry));
  return { x, y, width: Math.max(1, x1 - x), height: Math.max(1, y1 - y) };
}

/**
 * The one drawing loop of every shape: for each row from y0 to y1 (clamped to the frame), the
 * pixels from `span(y)` (inclusive, clamped) get `amp * cover(x, y)` where cover is above 0. The
 * shapes differ only in their cover (anti-aliased edge) and their rows' spans.
 */
function paint(
  img: Float32Array,
  w: number,
  h: number,
  y0: number,
  y1: number,
  span: (y: number) => readonly [number, number],
  amp: number,
  cover: (x: number, y: number) => number,
): void {
  const ya = Math.max(0, Math.floor(y0));
  const yb = Math.min(h - 1, y1);
  for (let y = ya; y <= yb; y++) {
    const [xa, xb] = span(y);
    const x1 = Math.min(w - 1, xb);
    for (let x = Math.max(0, Math.floor(xa)); x <= x1; x++) {
      const c = cover(x, y);
      if (c > 0) img[y * w + x] = img[y * w + x]! + amp * c;
    }
  }
}

/** Adds `amp` inside an ellipse, with an anti-aliased edge `soft` px wide. */
function disc(
  img: Float32Array,
  w: number,
  h: number,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  amp: number,
  soft: number,
): void {
  const r = Math.max(rx, ry);
  const xs = [Math.floor(cx - rx - soft - 1), Math.ceil(cx + rx + soft + 1)] as const;
  paint(
    img,
    w,
    h,
    Math.floor(cy - ry - soft - 1),
    Math.ceil(cy + ry + soft + 1),
    () => xs,
    amp,
    (x, y) => {
      const d = Math.sqrt(((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2) * r;
      return Math.min(1, Math.max(0, (r - d) / soft + 0.5));
    },
  );
}

function ring(
  img: Float32Array,
  w: number,
  h: number,
  cx: number,
  cy: number,
  r: number,
  t: number,
  amp: number,
): void {
  const e = Math.ceil(r + t + 2);
  const xs = [Math.floor(cx - e), cx + e] as const;
  paint(
    img,
    w,
    h,
    cy - e,
    cy + e,
    () => xs,
    amp,
    (x, y) => {
      const d = Math.abs(Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - r);
      return Math.min(1, Math.max(0, t / 2 - d + 0.5));
    },
  );
}

/**
 * A straight stroke `t` px wide. Each row only visits the pixels near the stroke (the span where
 * the distance to its axis can be under t / 2 + 0.5, with a pixel of margin), not the whole
 * bounding box: a diagonal sealant bead across the frame would otherwise cost millions of pixels.
 */
function line(
  img: Float32Array,
  w: number,
  h: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  t: number,
  amp: number,
): void {
  const len = Math.hypot(x1 - x0, y1 - y0) || 1;
  const ux = (x1 - x0) / len;
  const uy = (y1 - y0) / len;
  const e = t + 2;
  const left = Math.floor(Math.min(x0, x1) - e);
  const right = Math.max(x0, x1) + e;
  const reach = t / 2 + 0.5;
  const span = (y: number): readonly [number, number] => {
    // |px * uy - py * ux| < reach, px = x + 0.5 - x0, solved for x.
    if (Math.abs(uy) < 1e-3) return [left, right];
    const py = y + 0.5 - y0;
    const a = (py * ux - reach) / uy;
    const b = (py * ux + reach) / uy;
    const lo = Math.min(a, b) + x0 - 0.5;
    const hi = Math.max(a, b) + x0 - 0.5;
    return [Math.max(left, Math.floor(lo) - 1), Math.min(right, Math.ceil(hi) + 1)];
  };
  paint(img, w, h, Math.min(y0, y1) - e, Math.max(y0, y1) + e, span, amp, (x, y) => {
    const px = x + 0.5 - x0;
    const py = y + 0.5 - y0;
    const along = px * ux + py * uy;
    if (along < 0 || along > len) return 0;
    const d = Math.abs(px * uy - py * ux);
    return Math.min(1, Math.max(0, t / 2 - d + 0.5));
  });
}

/** A sealant bead: a dark band with a soft highlight along its middle. */
function sealant(
  img: Float32Array,
  w: number,
  h: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  t: number,
  rng: Rng,
): void {
  line(img, w, h, x0, y0, x1, y1, t, -rng.uniform(30, 60));
  line(img, w, h, x0, y0, x1, y1, t / 3, rng.uniform(15, 40));
}

/** An electrode imprint: dark annulus, grey centre, faint bright rim. */
function weldSpot(
  img: Float32Array,
  w: number,
  h: number,
  cx: number,
  cy: number,
  r: number,
  rng: Rng,
): void {
  disc(img, w, h, cx, cy, r, r, -rng.uniform(40, 70), 1.5);
  disc(img, w, h, cx, cy, r * 0.6, r * 0.6, rng.uniform(20, 45), 3);
  ring(img, w, h, cx, cy, r + 1.5, 2, rng.uniform(10, 25));
}

/**
 * A splatter bead: an irregular dark (oxidised) blob with a small specular highlight offset
 * towards the light and a soft shadow; returns its extent.
 */
function splatter(
  img: Float32Array,
  w: number,
  h: number,
  cx: number,
  cy: number,
  r: number,
  rng: Rng,
): { rx: number; ry: number } {
  const aspect = rng.uniform(1, 1.5);
  const horizontal = rng.chance(0.5);
  const rx = Math.max(1.6, horizontal ? r * aspect : r);
  const ry = Math.max(1.6, horizontal ? r : r * aspect);
  disc(img, w, h, cx + r * 0.3, cy + r * 0.3, rx * 1.3, ry * 1.3, -rng.uniform(8, 20), Math.max(1, r * 0.5));
  disc(img, w, h, cx, cy, rx, ry, -rng.uniform(55, 90), 0.8);
  const hr = Math.max(0.6, r * rng.uniform(0.25, 0.4));
  disc(img, w, h, cx - r * 0.3, cy - r * 0.3, hr, hr, rng.uniform(90, 150), 0.7);
  return { rx: rx * 1.15 + 1, ry: ry * 1.15 + 1 };
}

/** Sensor noise (triangular, sd ~2.5 DN, from a fast xorshift) and clamping to 8 bits. */
function quantise(img: Float32Array, seed: number): Uint8Array {
  const out = new Uint8Array(img.length);
  let s = seed | 1;
  for (let i = 0; i < img.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const n = ((s & 0xff) + ((s >>> 8) & 0xff) - 255) / 21;
    const v = img[i]! + n;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5;
  }
  return out;
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}
