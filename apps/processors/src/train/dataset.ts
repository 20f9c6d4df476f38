/**
 * Training data: weld spots and their ground truth from the plant simulator's own generator.
 *
 * Training is a development tool, so it may use the simulator in-process (the runtime never
 * does). Fault rates are raised above the plant defaults so that a few thousand spots hold enough
 * faulty ones to train and to measure on; the rates are recorded in the manifest.
 */
import { createPlant, createTraffic, DEFAULT_PLANT_INPUT } from "@uns/simulator";

export interface LabelledSpot {
  spot: Record<string, unknown>;
  truth: {
    nuggetDiameter: number;
    minNuggetDiameter: number;
    expulsion: boolean;
    fault: "none" | "expulsion" | "cold-weld" | "shunting" | "worn-tips";
    quality: "ok" | "nok";
  };
}

export interface DatasetOptions {
  seed: string;
  spots: number;
  faults?: { expulsion: number; coldWeld: number; shunting: number; dresserFailure: number };
}

/** Fault rates of the training data: several times the plant's, so faults are not too rare to learn. */
export const TRAINING_FAULTS = { expulsion: 0.05, coldWeld: 0.03, shunting: 0.03, dresserFailure: 0.15 };

/** The plant's own fault rates (the simulator's defaults). */
export const PLANT_FAULTS = { expulsion: 0.02, coldWeld: 0.004, shunting: 0.006, dresserFailure: 0.02 };

const START = Date.parse("2026-03-02T06:00:00Z");

export function generateSpots(options: DatasetOptions): LabelledSpot[] {
  const input = structuredClone(DEFAULT_PLANT_INPUT) as Record<string, unknown>;
  input.process = { faults: options.faults ?? TRAINING_FAULTS, lineStop: { probability: 0 } };
  const traffic = createTraffic(createPlant(input), {
    seed: options.seed,
    startTime: START,
    channels: ["weldSpot", "weldSpotTruth"],
  });
  const pending = new Map<string, Record<string, unknown>>();
  const out: LabelledSpot[] = [];
  while (out.length < options.spots) {
    const m = traffic.next();
    const payload = JSON.parse(m.payload.toString("utf8"));
    if (m.channel === "weldSpot") {
      pending.set(`${payload.source.controller}/${payload.seq}`, payload);
    } else if (m.channel === "weldSpotTruth") {
      const key = `${payload.spot.controller}/${payload.spot.seq}`;
      const spot = pending.get(key);
      if (!spot) continue;
      pending.delete(key);
      out.push({ spot, truth: payload });
    }
  }
  return out;
}
