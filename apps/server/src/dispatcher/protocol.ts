import type { ContractSet, ValidationResult } from "@uns/contracts";

/** Messages between the dispatcher and its validation workers. */
export interface BatchRequest {
  type: "batch";
  id: number;
  /** All payloads back to back, as a latin1 string (byte i = character i). */
  bytes: string;
  /** offsets[i]..offsets[i+1] is payload i (length = count + 1). */
  offsets: number[];
  channels: string[];
  topics: string[];
}

export type WorkerInbound =
  | BatchRequest
  | { type: "contracts"; set: ContractSet }
  /** The set as JSON text: posting a string is a copy, a structured clone of the schemas is not. */
  | { type: "contracts"; json: string };

export type WorkerOutbound =
  | { type: "results"; id: number; results: ValidationResult[]; busyMs: number }
  | { type: "ready" };

/** What the dispatcher learns about a message: a worker's verdict, or why there is none. */
export type Verdict = ValidationResult | { outcome: "unvalidated"; reason: string };
