import type { ContractSet, ValidationResult } from "@uns/contracts";
import type { Batch } from "@uns/store";
import type { FlatWeldSpotMinutes } from "../quality/weld-spot-tally.js";

/**
 * Messages between the dispatcher and its validation workers. A batch travels as columns, not as
 * one object per message: typed arrays (transferred, no copy) and string arrays.
 */
export interface BatchRequest {
  type: "batch";
  id: number;
  /** All payloads back to back (transferred). */
  bytes: ArrayBuffer;
  /** offsets[i]..offsets[i+1] is payload i (length = count + 1). */
  offsets: Uint32Array;
  /** Receipt time of message i, ms since the epoch (Date.now() in authorizePublish). */
  times: Float64Array;
  /** Receipt of message i as `performance.timeOrigin + performance.now()`, for the latency histogram. */
  received: Float64Array;
  /** Per message: FLAG_ENFORCE and the like. */
  flags: Uint8Array;
  channels: string[];
  topics: string[];
  clientIds: string[];
  usernames: (string | null)[];
}

/** The message was published under an enforce policy. */
export const FLAG_ENFORCE = 1;
/** The verdict is reported to the pool's onJudged hook with the payload (quality KPIs, device alarms). */
export const FLAG_OBSERVE = 2;
/** A dry run (the console's "validate"): judged and answered in full, never counted. */
export const FLAG_DRY_RUN = 4;

/** Verdict codes, one byte per message in `BatchResult.verdicts`. */
export const VERDICT_VALID = 0;
export const VERDICT_INVALID = 1;
export const VERDICT_UNVALIDATED = 2;
export const VERDICT_CODES = ["valid", "invalid", "unvalidated"] as const;

/**
 * What a worker counted in one batch. The messages of a batch are counted only here, so a batch
 * that never comes back (worker died or hung) is counted `unvalidated` by the dispatcher instead,
 * and nothing is counted twice or not at all.
 */
export interface BatchTally {
  /** Counts per minute, topic, channel and publisher, publishers, violations, last messages. */
  store: Batch | null;
  /** Flat [second, valid, invalid, unvalidated, second, ...] for the live stats. */
  seconds: number[];
  /** Flat [channel, second, valid, invalid, ...] for the alert engine's compliance rates. */
  channelSeconds: (string | number)[];
  /** Messages by policy and verdict: [monitor valid, invalid, unvalidated, enforce valid, invalid, unvalidated]. */
  byPolicy: number[];
  /** Validation latency (receipt to verdict), counts per bucket of `LATENCY_BUCKETS_S` plus +Inf. */
  latencyBuckets: number[];
  latencySumS: number;
  /** Valid weld spots per cell and minute for the KPIs (quality/weld-spot-tally.ts). */
  weldSpots: FlatWeldSpotMinutes;
}

/** Histogram buckets of `uns_validation_latency_seconds` (the workers count into them). */
export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface BatchResult {
  type: "results";
  id: number;
  /** One VERDICT_* code per message (transferred). */
  verdicts: Uint8Array;
  tally: BatchTally;
  /** The full verdicts of FLAG_DRY_RUN messages: [index, verdict] pairs. */
  details: [number, Verdict][];
  busyMs: number;
}

export interface WorkerSettings {
  /** Payload bytes kept per violation and last message (the store's cap). */
  payloadCapBytes: number;
}

export type WorkerInbound =
  | BatchRequest
  | { type: "settings"; settings: WorkerSettings }
  | { type: "contracts"; set: ContractSet }
  /** The set as JSON text: posting a string is a copy, a structured clone of the schemas is not. */
  | { type: "contracts"; json: string };

export type WorkerOutbound = BatchResult | { type: "ready" };

/** What the dispatcher learns about a message: a worker's verdict, or why there is none. */
export type Verdict = ValidationResult | { outcome: "unvalidated"; reason: string };
