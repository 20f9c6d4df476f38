import type { ContractSet } from "@uns/contracts";
import type { FeatureDescription, FeatureSpec } from "../model/features.js";

/** Messages between the main thread and the scoring workers (structured-clone safe). */

export interface LoadRequest {
  type: "load";
  id: number;
  key: string;
  bytes: Uint8Array;
  features: FeatureSpec[];
  onnx: { input: string; output: string };
}

export interface UnloadRequest {
  type: "unload";
  key: string;
}

export interface ContractsRequest {
  type: "contracts";
  set: ContractSet;
  /** "off": ajv alone (the bench's baseline); default "auto", the native checker first. */
  fastPath?: "auto" | "off";
}

/**
 * A batch of raw payloads of one input channel. `payloads` is every payload concatenated in one
 * byte array of its own, transferred to the worker rather than copied (`packPayloads`); `lengths`
 * cuts it. `models` are the keys to run; `use[i]` the indices into `models` for spot i.
 */
export interface ScoreRequest {
  type: "score";
  id: number;
  channel: string;
  topics: string[];
  payloads: Uint8Array;
  lengths: number[];
  models: string[];
  use: number[][];
  /** Feature paths whose raw values come back for drift monitoring. */
  monitor: FeatureDescription[] | null;
}

export type SpotOutcome =
  | {
      ok: true;
      /** The decoded spot identity, for the result and for joining the truth later. */
      ref: { controller: string; seq: number; bodyId: string; spotId: string; program: number };
      /** Acceptance limit of the nugget, 4 x sqrt(thinnest sheet) in mm. */
      minNugget: number;
      /** Per entry of `use[i]`: the model's output for this spot (NaN when the model failed). */
      outputs: number[];
      /** Raw monitored feature values, when requested. */
      monitored?: number[];
    }
  | { ok: false; reason: string };

export interface ScoreResponse {
  type: "scored";
  id: number;
  spots: SpotOutcome[];
  /** Per model key: ms of onnxruntime time for this batch, and the error if it threw. */
  runs: Record<string, { ms: number; spots: number; error?: string }>;
}

export interface LoadResponse {
  type: "loaded";
  id: number;
  error?: string;
}

export type WorkerRequest = LoadRequest | UnloadRequest | ContractsRequest | ScoreRequest | { type: "crash" };
export type WorkerResponse = LoadResponse | ScoreResponse;

/**
 * Concatenates payloads into one fresh ArrayBuffer (never Node's shared Buffer pool), so that it
 * can be transferred to a worker: a batch of 256 spots is ~800 KB, and a transfer moves it in
 * constant time where a structured clone copies it (and the former latin1 string had to be
 * re-encoded on both sides).
 */
export function packPayloads(payloads: readonly Uint8Array[]): { payloads: Uint8Array; lengths: number[] } {
  let total = 0;
  for (const p of payloads) total += p.length;
  const out = new Uint8Array(new ArrayBuffer(total));
  let offset = 0;
  const lengths = new Array<number>(payloads.length);
  for (let i = 0; i < payloads.length; i++) {
    out.set(payloads[i]!, offset);
    offset += payloads[i]!.length;
    lengths[i] = payloads[i]!.length;
  }
  return { payloads: out, lengths };
}
