/**
 * Features: how a model's input vector is read from a decoded payload, as its manifest declares
 * it. A feature is a dotted path into the payload; a number is taken as is, a boolean as 0 / 1;
 * an array either gives `length` values or is reduced (`sum`, `min`, `max`, `count`). Each value
 * is then scaled: (x - mean) / scale. The same description drives training and inference, so a
 * model cannot be fed differently from how it was trained.
 */

export interface FeatureSpec {
  /** Dotted path into the payload, e.g. `measured.energy` or `curves.current.values`. */
  path: string;
  /** For arrays: take exactly this many values. */
  length?: number;
  /** For arrays: reduce them to one value. */
  reduce?: "sum" | "min" | "max" | "count";
  /** Per value (an array when `length` is set). */
  mean: number | number[];
  scale: number | number[];
}

export type FeatureDescription = Omit<FeatureSpec, "mean" | "scale">;

export function featureWidth(f: FeatureDescription): number {
  return f.length ?? 1;
}

export function inputWidth(features: readonly FeatureDescription[]): number {
  return features.reduce((n, f) => n + featureWidth(f), 0);
}

function get(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return Number.NaN;
}

export type Extractor = (payload: unknown, out: Float32Array | Float64Array, offset: number) => string | null;

/**
 * Compiles feature descriptions into a function that writes the raw (unscaled) values of one
 * payload into `out` at `offset`. Returns null, or the first path that was missing or not a number.
 */
export function compileExtractor(features: readonly FeatureDescription[]): Extractor {
  const steps = features.map((f) => ({ f, path: f.path.split(".") }));
  return (payload, out, offset) => {
    let o = offset;
    for (const { f, path } of steps) {
      const v = get(payload, path);
      if (f.length !== undefined) {
        if (!Array.isArray(v) || v.length < f.length) return f.path;
        for (let i = 0; i < f.length; i++) {
          const x = num(v[i]);
          if (!Number.isFinite(x)) return `${f.path}[${i}]`;
          out[o++] = x;
        }
      } else if (f.reduce !== undefined) {
        if (!Array.isArray(v) || v.length === 0) return f.path;
        let acc = f.reduce === "sum" || f.reduce === "count" ? 0 : num(v[0]);
        for (const item of v) {
          const x = num(item);
          if (!Number.isFinite(x)) return f.path;
          if (f.reduce === "sum") acc += x;
          else if (f.reduce === "min") acc = Math.min(acc, x);
          else if (f.reduce === "max") acc = Math.max(acc, x);
          else acc++;
        }
        out[o++] = acc;
      } else {
        const x = num(v);
        if (!Number.isFinite(x)) return f.path;
        out[o++] = x;
      }
    }
    return null;
  };
}

/** Per-position mean and scale as flat arrays, for scaling an extracted vector in place. */
export function flatScaling(features: readonly FeatureSpec[]): { mean: Float64Array; scale: Float64Array } {
  const width = inputWidth(features);
  const mean = new Float64Array(width);
  const scale = new Float64Array(width);
  let o = 0;
  for (const f of features) {
    const w = featureWidth(f);
    for (let i = 0; i < w; i++) {
      mean[o] = Array.isArray(f.mean) ? f.mean[i]! : (f.mean as number);
      const s = Array.isArray(f.scale) ? f.scale[i]! : (f.scale as number);
      scale[o] = s === 0 ? 1 : s;
      o++;
    }
  }
  return { mean, scale };
}

/** Fits mean and standard deviation per position over `rows` raw vectors (scale 1 where constant). */
export function fitScaling(
  features: readonly FeatureDescription[],
  x: Float64Array,
  rows: number,
): FeatureSpec[] {
  const width = inputWidth(features);
  const mean = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < width; i++) {
      const v = x[r * width + i]!;
      mean[i]! += v;
      sq[i]! += v * v;
    }
  const round = (v: number) => Number(v.toPrecision(7));
  const scale = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    mean[i]! /= rows;
    const variance = Math.max(0, sq[i]! / rows - mean[i]! * mean[i]!);
    const sd = Math.sqrt(variance);
    scale[i] = sd < 1e-9 ? 1 : sd;
  }
  let o = 0;
  return features.map((f) => {
    const w = featureWidth(f);
    const m = Array.from(mean.subarray(o, o + w), round);
    const s = Array.from(scale.subarray(o, o + w), round);
    o += w;
    return { ...f, mean: f.length !== undefined ? m : m[0]!, scale: f.length !== undefined ? s : s[0]! };
  });
}

/** Scales `rows` raw vectors in place. */
export function applyScaling(
  x: Float32Array | Float64Array,
  rows: number,
  scaling: { mean: Float64Array; scale: Float64Array },
): void {
  const width = scaling.mean.length;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    for (let i = 0; i < width; i++) x[o + i] = (x[o + i]! - scaling.mean[i]!) / scaling.scale[i]!;
  }
}
