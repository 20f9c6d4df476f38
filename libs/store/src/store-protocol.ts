import type { Batch } from "./batch.js";
import type { StoreHealth, StoreOptions } from "./types.js";

/** Messages between a threaded store (main thread) and its worker. */
export type ToStoreWorker =
  /** `recoverOutcomeLog`: the first worker moves what a crash left in the outcome log to the spool. */
  | { type: "open"; options: Omit<StoreOptions, "logger">; recoverOutcomeLog?: boolean }
  /** A batch already fsynced in the outcome log (by the broker's thread). */
  | { type: "batch"; batch: Batch }
  | { type: "call"; id: number; method: string; args: unknown[] };

export type FromStoreWorker =
  | { type: "opened" }
  | { type: "open-failed"; error: SerializedError }
  | { type: "health"; health: StoreHealth }
  /** The batch is in the database or the spool: the outcome log may let it go. */
  | { type: "settled"; id: string }
  | { type: "log"; level: "info" | "warn" | "error"; obj: object; msg: string }
  | { type: "result"; id: number; value?: unknown; error?: SerializedError; health: StoreHealth };

export interface SerializedError {
  message: string;
  code?: string;
  statusCode?: number;
}

export function serializeError(err: unknown): SerializedError {
  const e = err as { message?: string; code?: unknown; statusCode?: unknown };
  return {
    message: String(e?.message ?? err),
    ...(typeof e?.code === "string" ? { code: e.code } : {}),
    ...(typeof e?.statusCode === "number" ? { statusCode: e.statusCode } : {}),
  };
}

export function deserializeError(s: SerializedError): Error {
  return Object.assign(
    new Error(s.message),
    s.code ? { code: s.code } : {},
    s.statusCode ? { statusCode: s.statusCode } : {},
  );
}
