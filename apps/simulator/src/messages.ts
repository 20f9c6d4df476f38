import type { SpotResult, TruthFault } from "./weld-physics.js";

/** Payload of the `weldSpot` channel (asyncapi/weld-spot.yaml#/components/schemas/WeldSpot). */
export interface WeldSpotPayload {
  spotId: string;
  seq: number;
  bodyId: string;
  program: number;
  source: { line: string; cell: string; robot: string; gun: string; controller: string };
  time: { start: string; end: string };
  stack: { thickness: number[]; coated: boolean };
  schedule: {
    current: number;
    weldTime: number;
    squeezeTime: number;
    holdTime: number;
    force: number;
    pulses: number;
    coolTime: number;
    upslope: number;
    stepper: number;
  };
  electrode: { tipDressCount: number; spotsSinceDress: number; tipDiameter: number; wear: number };
  measured: SpotResult["measured"];
  curves: {
    points: number;
    interval: number;
    current: { unit: "kA"; values: number[] };
    voltage: { unit: "V"; values: number[] };
    resistance: { unit: "mOhm"; values: number[] };
    force: { unit: "kN"; values: number[] };
  };
}

export interface SpotRef {
  controller: string;
  seq: number;
  bodyId: string;
  spotId: string;
}

/** Payload of the `weldSpotTruth` channel. */
export interface WeldSpotTruthPayload {
  spot: SpotRef;
  nuggetDiameter: number;
  minNuggetDiameter: number;
  expulsion: boolean;
  fault: TruthFault;
  quality: "ok" | "nok";
  method: "simulated";
  time: string;
}

export interface ImageEventPayload {
  eventId: string;
  camera: string;
  station: string;
  bodyId: string;
  sequence: number;
  captureTime: string;
  image: {
    uri: string;
    width: number;
    height: number;
    format: "png" | "jpeg";
    size: number;
    checksum: string;
  };
  exposure: { time: number; gain: number };
  groundTruth: string;
}

export type LineStateName = "running" | "stopped" | "starved" | "blocked" | "maintenance";

export interface LineStatePayload {
  line: string;
  state: LineStateName;
  reason: string | null;
  since: string;
  speed: number;
  plannedCycleTime: number;
  time: string;
}

export interface LineCountsPayload {
  line: string;
  shift: string;
  shiftStart: string;
  total: number;
  good: number;
  bad: number;
  plannedTime: number;
  runTime: number;
  idealCycleTime: number;
  time: string;
}

export interface AlarmPayload {
  alarmId: string;
  source: { cell?: string; device: string };
  severity: "info" | "warning" | "error" | "critical";
  code: string;
  text: string;
  state: "raised" | "cleared";
  raisedAt: string;
  clearedAt: string | null;
  time: string;
}

/** Payload of the `weldQuality` channel (what a quality model publishes). */
export interface WeldQualityPayload {
  spot: SpotRef;
  predictedNuggetDiameter: number;
  anomalyScore: number;
  anomalyThreshold: number;
  anomaly: boolean;
  verdict: "ok" | "nok" | "suspect";
  model: { name: string; version: string };
  time: string;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

const SHIFT_MS = 8 * 3600_000;
const SHIFT_LETTERS = ["c", "a", "b"] as const; // 22-06, 06-14, 14-22 (UTC)

/** Three 8 h shifts starting at 06:00, 14:00 and 22:00 UTC; the night shift carries its start date. */
export function shiftOf(ms: number): { id: string; start: number } {
  const offset = 6 * 3600_000; // shifts are aligned to 06:00 UTC
  const n = Math.floor((ms - offset) / SHIFT_MS);
  const start = n * SHIFT_MS + offset;
  const letter = SHIFT_LETTERS[((((n % 3) + 3) % 3) + 1) % 3]!;
  return { id: `${isoTime(start).slice(0, 10)}-${letter}`, start };
}
