/**
 * Drift: the Population Stability Index (PSI) of the inputs and of the anomaly score against the
 * training reference (the manifest's `reference`: per weld program, decile bins over good spots of
 * the simulated plant), in tumbling windows per weld program.
 *
 * Two scopes. Per line/cell the PSI is computed and reported, but it does not raise alarms: each
 * gun sits in its own narrow part of the fleet's range (tip wear, dress count), so a healthy cell
 * is routinely "far" from the fleet-wide reference. The whole stream per program (scope `*`), a
 * fleet of guns like the one the reference was drawn from, raises the alarm. Programs are kept
 * apart because cells weld different mixes of them.
 * PSI rule of thumb: < 0.1 stable, 0.1-0.25 moderate, > 0.25 a significant shift.
 */
export interface Histogram {
  /** Upper edges of the first n-1 bins; the last bin is open. */
  edges: number[];
  proportions: number[];
}

export interface DriftReference {
  inputs: string[];
  byProgram: Record<string, Record<string, Histogram>>;
}

/**
 * Decile bins of the reference values, merged so that no bin is narrower than `tolerance` x the
 * median. Plant data is narrow and every gun sits in its own part of the fleet's range (tip wear,
 * dress count); without the floor, one healthy gun's window already looks "shifted". A shift
 * smaller than the tolerance is not reported as drift.
 */
export function histogramOf(values: readonly number[], bins = 10, tolerance = 0.02): Histogram {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const minWidth = Math.abs(median) * tolerance;
  const edges: number[] = [];
  let previous = sorted[0] ?? 0;
  for (let i = 1; i < bins; i++) {
    const e = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / bins))]!;
    if (e - previous < minWidth || (edges.length > 0 && e <= edges.at(-1)!)) continue;
    edges.push(Number(e.toPrecision(7)));
    previous = e;
  }
  return { edges, proportions: proportions(values, edges) };
}

function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v < edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function proportions(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array(edges.length + 1).fill(0);
  for (const v of values) counts[binOf(edges, v)]++;
  return counts.map((c) => Number((c / Math.max(1, values.length)).toPrecision(6)));
}

/** PSI = sum (actual - expected) x ln(actual / expected), with empty bins floored at 1e-4. */
export function psi(reference: Histogram, values: readonly number[]): number {
  const actual = proportions(values, reference.edges);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = Math.max(actual[i]!, 1e-4);
    const e = Math.max(reference.proportions[i]!, 1e-4);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

export interface DriftState {
  /** `line/cell`, or `*` for the whole stream. */
  scope: string;
  program: string;
  spots: number;
  psi: Record<string, number>;
  /** Inputs over the threshold (only the `*` scope alarms). */
  alarm: string[];
  at: string;
}

export interface DriftMonitor {
  /** One spot: its cell, program and values in the order of `reference.inputs`. */
  add(cell: string, program: number, values: readonly number[]): DriftState[];
  states(): DriftState[];
  alarms(): DriftState[];
}

export const ALL_CELLS = "*";

export function createDriftMonitor(
  reference: DriftReference,
  options: { windowSpots: number; threshold: number; now?: () => Date },
): DriftMonitor {
  const windows = new Map<string, number[][]>();
  const latest = new Map<string, DriftState>();
  const now = options.now ?? (() => new Date());
  const push = (scope: string, program: number, values: readonly number[]): DriftState | null => {
    const ref = reference.byProgram[String(program)];
    if (!ref) return null;
    const key = `${scope}|${program}`;
    let w = windows.get(key);
    if (!w) {
      w = reference.inputs.map(() => []);
      windows.set(key, w);
    }
    for (let i = 0; i < values.length; i++) w[i]!.push(values[i]!);
    if (w[0]!.length < options.windowSpots) return null;
    windows.delete(key);
    const state: DriftState = {
      scope,
      program: String(program),
      spots: w[0]!.length,
      psi: {},
      alarm: [],
      at: now().toISOString(),
    };
    reference.inputs.forEach((name, i) => {
      const h = ref[name];
      if (!h) return;
      const p = Number(psi(h, w![i]!).toFixed(4));
      state.psi[name] = p;
      if (scope === ALL_CELLS && p > options.threshold) state.alarm.push(name);
    });
    latest.set(key, state);
    return state;
  };
  return {
    add(cell, program, values) {
      return [push(cell, program, values), push(ALL_CELLS, program, values)].filter(
        (s): s is DriftState => s !== null,
      );
    },
    states: () => [...latest.values()],
    alarms: () => [...latest.values()].filter((s) => s.alarm.length > 0),
  };
}
