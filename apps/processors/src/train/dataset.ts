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
  /** Spots between tip dressings (the plant's default when unset). */
  tipDressInterval?: number;
}

/** Fault rates of the training data: several times the plant's, so faults are not too rare to learn. */
export const TRAINING_FAULTS = { expulsion: 0.05, coldWeld: 0.03, shunting: 0.03, dresserFailure: 0.15 };

/** The plant's own fault rates (the simulator's defaults). */
export const PLANT_FAULTS = { expulsion: 0.02, coldWeld: 0.004, shunting: 0.006, dresserFailure: 0.02 };

/**
 * Worn tips come from the simulator's own electrode physics: a cap face grows with the spots
 * since its last dressing, and past 6.85 mm the stepper no longer compensates (the truth says
 * `worn-tips`). With the plant's 200-spot interval a gun needs several failed dressings in a row
 * to get there, which a few thousand spots spread over the whole plant never show. So part of
 * every split comes from a plant whose dressing is overdue (every 1,000 spots): guns start
 * anywhere in that interval, so about half of its spots are welded with worn caps, the rest with
 * caps on their way there, by the same physics as every other spot.
 */
export const OVERDUE_DRESSING = { tipDressInterval: 1000 };

const START = Date.parse("2026-03-02T06:00:00Z");

export function generateSpots(options: DatasetOptions): LabelledSpot[] {
  const input = structuredClone(DEFAULT_PLANT_INPUT) as Record<string, unknown>;
  input.process = {
    faults: options.faults ?? TRAINING_FAULTS,
    lineStop: { probability: 0 },
    ...(options.tipDressInterval ? { tipDressInterval: options.tipDressInterval } : {}),
  };
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
