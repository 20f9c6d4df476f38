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
}

/**
 * A batch of raw payloads of one input channel. `payloads` is every payload concatenated as one
 * latin1 string (lossless, one char per byte: cheaper to clone than many buffers); `lengths` cuts
 * it. `models` are the keys to run; `use[i]` the indices into `models` for spot i.
 */
export interface ScoreRequest {
  type: "score";
  id: number;
  channel: string;
  topics: string[];
  payloads: string;
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
