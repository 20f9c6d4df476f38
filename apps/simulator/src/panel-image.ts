import type { RgbImage } from "./png.js";
import type { Rng } from "./prng.js";

/** A weld spot as seen by a camera; x and y are fractions of the image width and height. */
export interface PanelSpot {
  spotId: string;
  x: number;
  y: number;
  expulsion: boolean;
}

/** Labelled content of a rendered image, in px (origin top left), for training and scoring detectors. */
export interface PanelTruth {
  width: number;
  height: number;
  spots: { spotId: string; x: number; y: number; radius: number }[];
  splatter: { spotId: string; label: "splatter"; x: number; y: number; width: number; height: number }[];
}

const backgrounds = new Map<string, Uint8Array>();

/**
 * Renders a synthetic image of a body panel: bare steel with lighting falloff and grain, weld
 * flanges, the spots (dark craters with a heat-tint ring) and, around spots that expelled metal,
 * splatter specks (bright beads with a dark rim). Returns the image and the ground-truth boxes.
 *
 * The background (panel and flanges) depends only on the camera, so it is drawn once and copied.
 */
export function renderPanel(
  width: number,
  height: number,
  camera: string,
  flanges: readonly number[],
  spots: readonly PanelSpot[],
  rng: Rng,
): { image: RgbImage; truth: PanelTruth } {
  const key = `${camera}:${width}x${height}:${flanges.join(",")}`;
  let background = backgrounds.get(key);
  if (!background) {
    background = drawBackground(width, height, camera);
    // Flanges: a darker band with a bright edge where the sheets overlap.
    const canvas: RgbImage = { width, height, data: background };
    for (const fy of flanges) {
      const y0 = Math.round(fy * height);
      fillRect(canvas, 0, y0 - 9, width, 18, (r, g, b) => [r * 0.82, g * 0.82, b * 0.84]);
      fillRect(canvas, 0, y0 - 10, width, 1, () => [205, 208, 212]);
    }
    backgrounds.set(key, background);
  }
  const data = new Uint8Array(background);
  const image: RgbImage = { width, height, data };

  const radius = Math.max(3, Math.round(width * 0.011));
  const truth: PanelTruth = { width, height, spots: [], splatter: [] };
  for (const spot of spots) {
    const cx = Math.round(spot.x * width);
    const cy = Math.round(spot.y * height);
    truth.spots.push({ spotId: spot.spotId, x: cx, y: cy, radius });
    // Heat tint (blue-brown oxide) ring, then the electrode imprint.
    fillDisk(image, cx, cy, radius * 1.9, (r, g, b) => [r * 0.78 + 20, g * 0.72 + 8, b * 0.7 + 30]);
    fillDisk(image, cx, cy, radius, () => [72, 70, 68]);
    fillDisk(image, cx - radius * 0.3, cy - radius * 0.3, radius * 0.35, () => [110, 108, 104]);
    if (!spot.expulsion) continue;

    const specks = rng.int(5, 14);
    let minX = Number.POSITIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxX = Number.NEGATIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < specks; s++) {
      const angle = rng.uniform(0, 2 * Math.PI);
      const dist = rng.uniform(radius * 1.6, radius * 5);
      const sx = cx + Math.cos(angle) * dist;
      const sy = cy + Math.sin(angle) * dist;
      const sr = rng.uniform(1, 2.6);
      fillDisk(image, sx, sy, sr + 1, () => [52, 48, 44]);
      fillDisk(image, sx, sy, sr, () => [232, 230, 222]);
      minX = Math.min(minX, sx - sr - 1);
      minY = Math.min(minY, sy - sr - 1);
      maxX = Math.max(maxX, sx + sr + 1);
      maxY = Math.max(maxY, sy + sr + 1);
    }
    const x0 = Math.max(0, Math.floor(minX) - 2);
    const y0 = Math.max(0, Math.floor(minY) - 2);
    const x1 = Math.min(width, Math.ceil(maxX) + 2);
    const y1 = Math.min(height, Math.ceil(maxY) + 2);
    if (x1 > x0 && y1 > y0) {
      truth.splatter.push({
        spotId: spot.spotId,
        label: "splatter",
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
      });
    }
  }
  return { image, truth };
}

// Grain comes from a small tile repeated over the image. Independent noise per pixel made deflate
// the main cost of a simulated camera (about 60 ms per 640 x 400 image); with a 61 x 37 tile the
// PNG encoder finds repeats within each row and an image costs a few ms.
const TILE_W = 61;
const TILE_H = 37;

function drawBackground(width: number, height: number, camera: string): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  // A cheap integer hash (FNV-1a, then xorshift): deterministic per camera.
  let seed = 2166136261;
  for (let i = 0; i < camera.length; i++) seed = Math.imul(seed ^ camera.charCodeAt(i), 16777619);
  let state = seed >>> 0 || 1;
  const tile = new Int8Array(TILE_W * TILE_H);
  for (let i = 0; i < tile.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    tile[i] = ((state >>> 0) & 7) - 3;
  }
  for (let y = 0; y < height; y++) {
    const light = 1 - 0.25 * ((y / height - 0.35) ** 2 * 2.2);
    const row = (y % TILE_H) * TILE_W;
    for (let x = 0; x < width; x++) {
      const vignette = 1 - 0.18 * ((x / width - 0.5) * 2) ** 2;
      const base = 158 * light * vignette + tile[row + (x % TILE_W)]!;
      const o = (y * width + x) * 3;
      data[o] = clampByte(base);
      data[o + 1] = clampByte(base + 3);
      data[o + 2] = clampByte(base + 7);
    }
  }
  return data;
}

type Shade = (r: number, g: number, b: number) => [number, number, number];

function fillDisk(image: RgbImage, cx: number, cy: number, r: number, shade: Shade): void {
  const { width, height, data } = image;
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(width - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(height - 1, Math.ceil(cy + r));
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 > r2) continue;
      paint(data, (y * width + x) * 3, shade);
    }
  }
}

function fillRect(image: RgbImage, x: number, y: number, w: number, h: number, shade: Shade): void {
  const { width, height, data } = image;
  for (let yy = Math.max(0, y); yy < Math.min(height, y + h); yy++) {
    for (let xx = Math.max(0, x); xx < Math.min(width, x + w); xx++)
      paint(data, (yy * width + xx) * 3, shade);
  }
}

function paint(data: Uint8Array, o: number, shade: Shade): void {
  const [r, g, b] = shade(data[o]!, data[o + 1]!, data[o + 2]!);
  data[o] = clampByte(r);
  data[o + 1] = clampByte(g);
  data[o + 2] = clampByte(b);
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
