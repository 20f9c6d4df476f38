import { createRng, type Rng } from "./prng.js";

/**
 * Resistance spot welding, simulated at the controller's 1 ms sampling rate and resampled.
 *
 * The model is phenomenological, not finite-element: it keeps the shapes that quality engineers and
 * curve-based models rely on, with units as a medium-frequency DC controller reports them
 * (kA, V, mOhm, kN, ms; kA x mOhm = V and V x kA x ms = J, so no conversion factors appear).
 *
 * - Dynamic resistance: high contact resistance at the start that collapses within ~10 ms as the
 *   asperities soften, then a rise as the bulk heats (resistivity grows with temperature) up to the
 *   "beta peak" when melting starts, then a fall as the nugget grows and the electrodes indent.
 * - Heat state `q` = net Joule heat / heat needed to melt the volume under the tips (q = 1: melting).
 *   Nugget diameter grows with q beyond 1; expulsion happens when q passes a threshold: molten
 *   metal is ejected, the resistance drops suddenly, the electrode force dips.
 * - Electrode wear: a worn (mushroomed) tip has a larger face, so the current density, the bulk
 *   resistance and the heat per volume fall; the controller's current stepper compensates in part.
 * - Shunting: a nearby spot offers a parallel path; the controller's current is normal, but less
 *   of it flows through this spot, so the measured resistance is low and the nugget small.
 */

export type WeldFault = "none" | "expulsion" | "cold-weld" | "shunting";
export type TruthFault = "none" | "expulsion" | "cold-weld" | "shunting" | "worn-tips";

export interface WeldProgram {
  /** Program number on the controller. */
  number: number;
  /** Sheet thicknesses of the stack, mm. */
  sheets: readonly number[];
  /** Zinc-coated sheets have a higher initial contact resistance. */
  coated: boolean;
  /** Current setpoint before the stepper, kA. */
  current: number;
  /** Current-on time over all pulses, ms. */
  weldTime: number;
  pulses: number;
  /** Pause between pulses, ms. */
  coolTime: number;
  /** Electrode force setpoint, kN. */
  force: number;
  squeezeTime: number;
  holdTime: number;
  upslope: number;
}

export interface ElectrodeState {
  /** Tip face diameter, mm. */
  tipDiameter: number;
  /** Current stepper factor applied to the setpoint (1 = no compensation). */
  stepper: number;
}

export interface SpotInput {
  program: WeldProgram;
  electrode: ElectrodeState;
  fault: WeldFault;
  /** Number of points of each resampled curve. */
  points: number;
}

export interface SpotCurves {
  /** kA */ current: number[];
  /** V */ voltage: number[];
  /** mOhm */ resistance: number[];
  /** kN */ force: number[];
}

export interface ScaledCurves {
  current: Int32Array;
  voltage: Int32Array;
  resistance: Int32Array;
  force: Int32Array;
}

export interface SpotResult {
  /** Current setpoint after the stepper, kA. */
  currentSetpoint: number;
  /** Duration from first current to last current sample (pulses plus cool times), ms. */
  duration: number;
  /** Resampling interval, ms. */
  interval: number;
  curves: SpotCurves;
  /** The same curves as integers: current, voltage, force x 1000; resistance x 10000. */
  scaled: ScaledCurves;
  measured: {
    /** J */ energy: number;
    /** kA */ peakCurrent: number;
    /** kA */ rmsCurrent: number;
    /** V */ meanVoltage: number;
    /** mOhm */ peakResistance: number;
    /** mOhm */ endResistance: number;
    /** 0..1 */ stabilityFactor: number;
    expulsion: boolean;
    /** ms from the start of current, or null */ expulsionTime: number | null;
    /** ms of current-on time actually delivered */ weldTime: number;
  };
  truth: {
    /** mm, as an ultrasonic check would find it */ nuggetDiameter: number;
    /** mm, 4 x sqrt(thinnest sheet) */ minNuggetDiameter: number;
    expulsion: boolean;
    /** Peak heat state reached (1 = onset of melting); for diagnostics and tests. */
    heat: number;
  };
}

const NOMINAL_TIP_MM = 6;
const CONTACT_DECAY_PER_MS = Math.exp(-1 / 6);

/**
 * Measurement noise comes from a fixed table of standard normal samples indexed by the spot's PRNG:
 * four noise draws per simulated millisecond made Box-Muller the largest cost of a spot, and the
 * noise needs to look like sensor noise, not pass a normality test.
 */
const NOISE_TABLE_SIZE = 4096;
const NOISE = (() => {
  const table = new Float64Array(NOISE_TABLE_SIZE);
  const rng = createRng("weld-noise-table");
  for (let i = 0; i < NOISE_TABLE_SIZE; i++) table[i] = rng.normal();
  return table;
})();

/** Minimum acceptable nugget diameter: the common 4 x sqrt(t) rule on the thinnest sheet. */
export function minNuggetDiameter(sheets: readonly number[]): number {
  return 4 * Math.sqrt(Math.min(...sheets));
}

export function simulateSpot(input: SpotInput, rng: Rng): SpotResult {
  const { program, electrode, fault } = input;
  const thickness = program.sheets.reduce((a, b) => a + b, 0);
  const setpoint = program.current * electrode.stepper;

  // An expulsion fault stands for a misaligned or edge-near electrode: the same current through a
  // smaller contact area. A cold weld stands for a lost pulse or a bad part fit-up: less current.
  const areaFactor = fault === "expulsion" ? rng.uniform(0.7, 0.8) : 1;
  const area = (electrode.tipDiameter / NOMINAL_TIP_MM) ** 2 * areaFactor;
  const currentFactor = fault === "cold-weld" ? rng.uniform(0.66, 0.8) : 1;
  const shunt = fault === "shunting" ? rng.uniform(0.5, 1.0) : Number.POSITIVE_INFINITY; // mOhm

  const r0 = (0.085 * (thickness / 2)) / area; // cold bulk resistance, mOhm
  const rc0 = ((0.07 * (3.2 / program.force)) / area) * (program.coated ? 1.4 : 1); // contact, mOhm
  const meltHeat = 500 * area * thickness; // J to melt the volume under the tips
  const lossKw = 2 * area; // conduction into the water-cooled electrodes, kW
  const expulsionHeat = rng.normal(2.45, 0.05);

  const pulseLength = program.weldTime / program.pulses;
  const duration = Math.round(program.weldTime + (program.pulses - 1) * program.coolTime);

  const noise = () => NOISE[(rng.next() * NOISE_TABLE_SIZE) | 0]!;
  const { current, voltage, resistance, force } = scratch(duration);

  let q = 0;
  let qMax = 0;
  let contactDecay = 1;
  let expelledAt = -1;
  let expulsionDrop = 0;
  let nuggetAtExpulsion = 0;
  let energy = 0;
  let sumI2 = 0;
  let sumU = 0;
  let onSamples = 0;
  let peakI = 0;

  const period = pulseLength + program.coolTime;
  const upslope = Math.max(1, program.upslope);
  const shunted = Number.isFinite(shunt);
  const forceSet = program.force;
  for (let t = 0; t < duration; t++) {
    const phase = t % period;
    const inPulse = phase < pulseLength;
    let i = 0;
    if (inPulse) {
      const ramp = phase + 1 < upslope ? (phase + 1) / upslope : 1;
      // MFDC ripple and regulation noise: about 0.6 % of the setpoint.
      i = setpoint * currentFactor * ramp + 0.006 * setpoint * noise();
    }

    // Dynamic resistance of the stack through the spot (without the shunt path).
    const contact = rc0 * contactDecay;
    const heating = Math.min(q, 1);
    const growth = q > 1 ? 1 - Math.exp(-(q - 1) / 0.5) : 0;
    let bulk = r0 * (1 + 0.75 * heating - 0.55 * growth);
    if (expelledAt >= 0) {
      // The drop develops over ~2 ms: molten metal leaves, the electrodes sink into the sheet.
      const k = Math.min(1, (t - expelledAt + 1) / 2);
      bulk *= 1 - expulsionDrop * k;
    }
    const rSpot = contact + bulk;
    // Shunt path in parallel: the controller sees the combined resistance, the spot gets its share.
    const rSeen = shunted ? (rSpot * shunt) / (rSpot + shunt) : rSpot;
    const iSpot = shunted ? (i * shunt) / (rSpot + shunt) : i;

    const powerKw = iSpot * iSpot * rSpot; // kA^2 x mOhm = kW
    q += (powerKw - lossKw) / meltHeat; // kW x 1 ms = J
    if (q < 0) q = 0;
    if (q > qMax) qMax = q;

    if (expelledAt < 0 && q > expulsionHeat && inPulse) {
      expelledAt = t;
      expulsionDrop = rng.uniform(0.16, 0.28);
      nuggetAtExpulsion = nuggetDiameter(q, electrode.tipDiameter * Math.sqrt(areaFactor));
    }

    // Thermal expansion pushes the electrodes apart (force rises a few %); expulsion relieves it.
    let f = forceSet * (1 + 0.05 * Math.min(q, 1.5));
    if (expelledAt >= 0) {
      const since = t - expelledAt;
      const dip = since < 6 ? 0.09 * Math.sin((Math.PI * (since + 1)) / 7) : 0;
      f *= 0.97 - dip;
    }
    f += 0.004 * forceSet * noise();

    const u = inPulse ? i * rSeen + 0.004 * noise() : 0;
    current[t] = inPulse ? i : 0;
    voltage[t] = u;
    resistance[t] = inPulse && i > 0.5 ? rSeen * (1 + 0.003 * noise()) : 0;
    force[t] = f;

    if (inPulse) {
      // Contact resistance collapses with a time constant of ~6 ms of current.
      contactDecay *= CONTACT_DECAY_PER_MS;
      onSamples++;
      energy += u * i;
      sumI2 += i * i;
      sumU += u;
      if (i > peakI) peakI = i;
    } else {
      // Between pulses the heat flows into the electrodes.
      q = Math.max(0, q - lossKw / meltHeat);
    }
  }

  // Controller-side expulsion detection: a drop of more than 8 % within 3 ms, after the contact
  // phase, on the raw 1 ms resistance.
  let detectedAt: number | null = null;
  for (let t = 20; t < duration; t++) {
    const before = resistance[t - 3]!;
    const now = resistance[t]!;
    if (before > 0 && now > 0 && (before - now) / before > 0.08) {
      detectedAt = t - 3;
      break;
    }
  }

  const points = input.points;
  const scaled: ScaledCurves = {
    current: resample(current, points, 1000),
    voltage: resample(voltage, points, 1000),
    resistance: resample(resistance, points, 10000, true),
    force: resample(force, points, 1000),
  };
  const curves: SpotCurves = {
    current: unscale(scaled.current, 1000),
    voltage: unscale(scaled.voltage, 1000),
    resistance: unscale(scaled.resistance, 10000),
    force: unscale(scaled.force, 1000),
  };

  let peakR = 0;
  const contactEnd = Math.min(duration - 1, 15);
  for (let t = contactEnd; t < duration; t++) peakR = Math.max(peakR, resistance[t]!);
  let endR = 0;
  let endN = 0;
  for (let t = duration - 1; t >= 0 && endN < 5; t--) {
    if (resistance[t]! > 0) {
      endR += resistance[t]!;
      endN++;
    }
  }
  endR = endN > 0 ? endR / endN : 0;

  const tipEff = electrode.tipDiameter * Math.sqrt(areaFactor);
  let nugget = expelledAt >= 0 ? nuggetAtExpulsion * rng.uniform(0.93, 1.0) : nuggetDiameter(qMax, tipEff);
  // Ultrasonic measurement scatter.
  if (nugget > 0) nugget = Math.max(0, nugget + rng.normal(0, 0.12));

  // Stability: 1 for a smooth curve at the nominal heat, lower for sudden drops and for heat far off
  // the nominal window (cold or overheated).
  let maxDrop = 0;
  for (let t = 20; t < duration; t++) {
    const before = resistance[t - 3]!;
    const now = resistance[t]!;
    if (before > 0 && now > 0) maxDrop = Math.max(maxDrop, (before - now) / before);
  }
  const stability = clamp(1 - 3 * Math.max(0, maxDrop - 0.02) - 0.45 * Math.abs(1 - qMax / 2), 0, 1);

  return {
    currentSetpoint: round(setpoint, 2),
    duration,
    interval: round(duration / points, 3),
    curves,
    scaled,
    measured: {
      energy: round(energy, 1),
      peakCurrent: round(peakI, 3),
      rmsCurrent: round(Math.sqrt(sumI2 / Math.max(1, onSamples)), 3),
      meanVoltage: round(sumU / Math.max(1, onSamples), 3),
      peakResistance: round(peakR, 4),
      endResistance: round(endR, 4),
      stabilityFactor: round(stability, 3),
      expulsion: detectedAt !== null,
      expulsionTime: detectedAt,
      weldTime: onSamples,
    },
    truth: {
      nuggetDiameter: round(nugget, 2),
      minNuggetDiameter: round(minNuggetDiameter(program.sheets), 2),
      expulsion: expelledAt >= 0,
      heat: round(qMax, 3),
    },
  };
}

/** Nugget diameter (mm) from the peak heat state: none below melting, saturating near the tip face. */
function nuggetDiameter(q: number, tipDiameter: number): number {
  if (q <= 1) return 0;
  return 1.1 * tipDiameter * (1 - Math.exp(-2.5 * (q - 1)));
}

// Raw 1 ms signals of the spot being simulated. simulateSpot is synchronous, so one set of buffers,
// grown as needed, serves every spot and saves the garbage collector four arrays per spot.
let buffers = {
  current: new Float64Array(0),
  voltage: new Float64Array(0),
  resistance: new Float64Array(0),
  force: new Float64Array(0),
};

function scratch(length: number): typeof buffers {
  if (buffers.current.length < length) {
    const size = Math.max(length, 1024);
    buffers = {
      current: new Float64Array(size),
      voltage: new Float64Array(size),
      resistance: new Float64Array(size),
      force: new Float64Array(size),
    };
  }
  return {
    current: buffers.current.subarray(0, length),
    voltage: buffers.voltage.subarray(0, length),
    resistance: buffers.resistance.subarray(0, length),
    force: buffers.force.subarray(0, length),
  };
}

/**
 * Averages the raw 1 ms samples into `points` equal bins, as controllers do when they store a
 * fixed-length curve, and returns them as integers in units of 1/`scale` (rounded, never negative).
 * With `skipZeros` a bin averages only its non-zero samples (resistance is not defined while no
 * current flows and is reported as 0).
 */
export function resample(
  raw: ArrayLike<number>,
  points: number,
  scale: number,
  skipZeros = false,
): Int32Array {
  const out = new Int32Array(points);
  const n = raw.length;
  for (let p = 0; p < points; p++) {
    const from = Math.floor((p * n) / points);
    const to = Math.max(from + 1, Math.floor(((p + 1) * n) / points));
    let sum = 0;
    let count = 0;
    for (let k = from; k < to && k < n; k++) {
      const v = raw[k]!;
      if (skipZeros && v === 0) continue;
      sum += v;
      count++;
    }
    out[p] = count > 0 && sum > 0 ? Math.round((sum / count) * scale) : 0;
  }
  return out;
}

function unscale(values: Int32Array, scale: number): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! / scale;
  return out;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : Math.min(x, hi);
}

export function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
