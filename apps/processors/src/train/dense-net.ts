import type { OnnxGraph, OnnxNode, OnnxTensor } from "../onnx/onnx-writer.js";

/**
 * A small fully connected network trained with Adam on mean squared error, in plain float64
 * loops. Every source of randomness is a seeded generator and every sum runs in a fixed order, so
 * the same seed and data give the same weights, bit for bit, on every machine running V8.
 */

export type Activation = "tanh" | "relu" | "linear";

export interface LayerSpec {
  units: number;
  activation: Activation;
}

interface Layer {
  inputs: number;
  units: number;
  activation: Activation;
  /** [inputs x units], row-major. */
  w: Float64Array;
  b: Float64Array;
  // Adam moments.
  mw: Float64Array;
  vw: Float64Array;
  mb: Float64Array;
  vb: Float64Array;
}

export interface DenseNet {
  readonly inputs: number;
  readonly layers: readonly Layer[];
  /** Forward pass for `rows` samples of `inputs` values each; returns [rows x last units]. */
  predict(x: Float64Array, rows: number): Float64Array;
}

/** mulberry32: tiny, seedable, good enough for weight init and shuffling. */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from a text seed (FNV-1a), so seeds can be names like "2026-03". */
export function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function createDenseNet(inputs: number, specs: readonly LayerSpec[], random: () => number): DenseNet {
  const layers: Layer[] = [];
  let fanIn = inputs;
  for (const spec of specs) {
    // Glorot-uniform initialisation.
    const limit = Math.sqrt(6 / (fanIn + spec.units));
    const w = new Float64Array(fanIn * spec.units);
    for (let i = 0; i < w.length; i++) w[i] = (random() * 2 - 1) * limit;
    layers.push({
      inputs: fanIn,
      units: spec.units,
      activation: spec.activation,
      w,
      b: new Float64Array(spec.units),
      mw: new Float64Array(w.length),
      vw: new Float64Array(w.length),
      mb: new Float64Array(spec.units),
      vb: new Float64Array(spec.units),
    });
    fanIn = spec.units;
  }
  return {
    inputs,
    layers,
    predict: (x, rows) => forward(layers, x, rows).at(-1)!,
  };
}

function forward(layers: readonly Layer[], x: Float64Array, rows: number): Float64Array[] {
  const outs: Float64Array[] = [x];
  let input = x;
  for (const l of layers) {
    const out = new Float64Array(rows * l.units);
    for (let r = 0; r < rows; r++) {
      const o = r * l.units;
      for (let u = 0; u < l.units; u++) out[o + u] = l.b[u]!;
      const xi = r * l.inputs;
      for (let i = 0; i < l.inputs; i++) {
        const v = input[xi + i]!;
        if (v === 0) continue;
        const wi = i * l.units;
        for (let u = 0; u < l.units; u++) out[o + u]! += v * l.w[wi + u]!;
      }
      if (l.activation === "tanh") for (let u = 0; u < l.units; u++) out[o + u] = Math.tanh(out[o + u]!);
      else if (l.activation === "relu")
        for (let u = 0; u < l.units; u++) out[o + u] = Math.max(0, out[o + u]!);
    }
    outs.push(out);
    input = out;
  }
  return outs;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 weight decay added to the gradient. */
  weightDecay?: number;
  random: () => number;
}

/**
 * Trains `net` to map x [rows x inputs] to y [rows x outputs] (mean squared error). Returns the
 * training loss of each epoch.
 */
export function trainDenseNet(
  net: DenseNet,
  x: Float64Array,
  y: Float64Array,
  rows: number,
  options: TrainOptions,
): number[] {
  const layers = net.layers as Layer[];
  const outputs = layers.at(-1)!.units;
  const order = Array.from({ length: rows }, (_, i) => i);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const decay = options.weightDecay ?? 0;
  let step = 0;
  const losses: number[] = [];
  const gw = layers.map((l) => new Float64Array(l.w.length));
  const gb = layers.map((l) => new Float64Array(l.units));
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    // Fisher-Yates with the seeded generator.
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(options.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let lossSum = 0;
    for (let start = 0; start < rows; start += options.batchSize) {
      const n = Math.min(options.batchSize, rows - start);
      const bx = new Float64Array(n * net.inputs);
      const by = new Float64Array(n * outputs);
      for (let k = 0; k < n; k++) {
        const r = order[start + k]!;
        bx.set(x.subarray(r * net.inputs, (r + 1) * net.inputs), k * net.inputs);
        by.set(y.subarray(r * outputs, (r + 1) * outputs), k * outputs);
      }
      const acts = forward(layers, bx, n);
      const out = acts.at(-1)!;
      // dLoss/dOut for the mean over samples and outputs of the squared error.
      let delta = new Float64Array(n * outputs);
      const scale = 2 / (n * outputs);
      for (let i = 0; i < delta.length; i++) {
        const d = out[i]! - by[i]!;
        lossSum += d * d;
        delta[i] = d * scale;
      }
      for (let li = layers.length - 1; li >= 0; li--) {
        const l = layers[li]!;
        const a = acts[li + 1]!;
        if (l.activation === "tanh") for (let i = 0; i < delta.length; i++) delta[i]! *= 1 - a[i]! * a[i]!;
        else if (l.activation === "relu") for (let i = 0; i < delta.length; i++) if (a[i]! <= 0) delta[i] = 0;
        const input = acts[li]!;
        const w = gw[li]!.fill(0);
        const b = gb[li]!.fill(0);
        const back = li > 0 ? new Float64Array(n * l.inputs) : null;
        for (let r = 0; r < n; r++) {
          const d0 = r * l.units;
          for (let u = 0; u < l.units; u++) b[u]! += delta[d0 + u]!;
          const x0 = r * l.inputs;
          for (let i = 0; i < l.inputs; i++) {
            const v = input[x0 + i]!;
            const wi = i * l.units;
            let s = 0;
            for (let u = 0; u < l.units; u++) {
              const du = delta[d0 + u]!;
              if (v !== 0) w[wi + u]! += v * du;
              s += l.w[wi + u]! * du;
            }
            if (back) back[x0 + i] = s;
          }
        }
        adam(l.w, w, l.mw, l.vw, step + 1, options.learningRate, decay, beta1, beta2, eps);
        adam(l.b, b, l.mb, l.vb, step + 1, options.learningRate, 0, beta1, beta2, eps);
        if (back) delta = back;
      }
      step++;
    }
    losses.push(lossSum / (rows * outputs));
  }
  return losses;
}

function adam(
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  lr: number,
  decay: number,
  b1: number,
  b2: number,
  eps: number,
): void {
  const c1 = 1 - b1 ** t;
  const c2 = 1 - b2 ** t;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! + decay * p[i]!;
    m[i] = b1 * m[i]! + (1 - b1) * gi;
    v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
    p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
  }
}

/** The network's layers as ONNX Gemm + activation nodes, from `input` to `output`. */
export function denseNetNodes(
  net: DenseNet,
  input: string,
  output: string,
  prefix: string,
): { nodes: OnnxNode[]; initializers: OnnxTensor[] } {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  let current = input;
  net.layers.forEach((l, i) => {
    const last = i === net.layers.length - 1;
    const w = `${prefix}${i}.weight`;
    const b = `${prefix}${i}.bias`;
    initializers.push({ name: w, dims: [l.inputs, l.units], data: l.w });
    initializers.push({ name: b, dims: [l.units], data: l.b });
    const linear = l.activation === "linear" && last ? output : `${prefix}${i}.linear`;
    nodes.push({ op: "Gemm", name: `${prefix}${i}.gemm`, inputs: [current, w, b], outputs: [linear] });
    current = linear;
    if (l.activation !== "linear") {
      const act = last ? output : `${prefix}${i}.act`;
      nodes.push({
        op: l.activation === "tanh" ? "Tanh" : "Relu",
        name: `${prefix}${i}.${l.activation}`,
        inputs: [linear],
        outputs: [act],
      });
      current = act;
    } else if (!last) {
      // keep `current` = linear output
    }
  });
  return { nodes, initializers };
}

export type { OnnxGraph };
