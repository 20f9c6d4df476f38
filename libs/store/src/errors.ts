/**
 * Every error code of @uns/store, with what it means and how to fix it. Thrown errors carry the
 * code in `err.code`; conditions that are only logged (the store keeps running) carry it in the
 * log record's `code` field. Errors about a query's arguments carry HTTP status 400.
 */
import { defineErrors, type ErrorRegistry, type UnsError } from "@uns/errors";

export { errorMessage } from "@uns/errors";

export const storeErrorCodes = {
  UNS_ERR_STORE_OPTIONS: {
    message: "Invalid store options.",
    fix: "Check the store settings named in the message (sizes and intervals must be positive integers).",
  },
  UNS_ERR_STORE_OPEN: {
    message: "The database could not be opened.",
    fix: "For PGlite check that <dataDir>/pglite is writable and not used by another process; for PostgreSQL check the URL.",
  },
  UNS_ERR_STORE_SPOOL_DIR: {
    message: "The spool directory could not be created or read.",
    fix: "Make <dataDir>/spool writable by the broker's user.",
  },
  UNS_ERR_STORE_MIGRATE: {
    message: "Database migrations failed.",
    fix: "Check that the migrations folder is the repository's /migrations and that the database user may create tables.",
  },
  UNS_ERR_STORE_CLOSED: {
    message: "The store is closed.",
    fix: "Do not use the store after close(); create a new one.",
  },
  UNS_ERR_STORE_QUERY: {
    message: "A query on the compliance store failed.",
    fix: "See the cause; when the database is down the store's health says so (up: false, lastError).",
  },
  UNS_ERR_STORE_ARGUMENT: {
    status: 400,
    message: "Invalid query argument.",
    fix: "Pass the values the message names (dates, positive limits, bucket sizes that are multiples of 60 s).",
  },
  UNS_ERR_STORE_CURSOR: {
    status: 400,
    message: "Invalid violations cursor.",
    fix: "Pass the nextCursor string returned by the previous listViolations call unchanged.",
  },
  UNS_ERR_STORE_RECORD: {
    message: "An outcome passed to record() was malformed and not counted (logged, never thrown).",
    fix: "A bug in the caller: the log names the field; outcomes need topic, clientId, outcome and payload.",
  },
  UNS_ERR_STORE_WRITE: {
    message: "Writing a batch to the database failed; the batch is spooled to disk and retried.",
    fix: "Check that PostgreSQL is reachable; the spool is replayed automatically when it is.",
  },
  UNS_ERR_STORE_WORKER_EXIT: {
    message: "The store's worker thread stopped; a new one is started and replays the spool.",
    fix: "See the log before it for the cause; health().workerRestarts and lostOnWorkerExit say what it cost.",
  },
  UNS_ERR_STORE_SPOOL_FULL: {
    message: "The spool is full: a batch of results was dropped.",
    fix: "Bring the database back, or raise spoolMaxBytes; health().droppedBatches counts the losses.",
  },
  UNS_ERR_STORE_SPOOL_WRITE: {
    message: "A batch could not be written to the spool and was dropped.",
    fix: "Check free disk space and permissions of <dataDir>/spool.",
  },
  UNS_ERR_STORE_SPOOL_CORRUPT: {
    message: "A spool file could not be read; it was moved aside as *.corrupt.",
    fix: "Inspect the .corrupt file in <dataDir>/spool; delete it once understood.",
  },
  UNS_ERR_STORE_BATCH_REJECTED: {
    message: "The database rejected a batch repeatedly while reachable; it was moved aside as *.rejected.",
    fix: "Inspect the .rejected file in <dataDir>/spool and the logged cause (a data or schema problem).",
  },
  UNS_ERR_STORE_LOG_WRITE: {
    message:
      "A result batch could not be written to the outcome log (write-ahead log); it is still written to the database but would be lost on a crash.",
    fix: "Check free space and permissions of <dataDir>/outcome-log.",
  },
  UNS_ERR_STORE_RETENTION: {
    message: "The retention job failed; it runs again the next day.",
    fix: "See the cause; check that the database is reachable.",
  },
  UNS_ERR_STORE_MODEL_CONFLICT: {
    status: 409,
    message:
      "A model registry change was made on a stale view (another processors host changed the model first); nothing of the batch was recorded.",
    fix: "Nothing to do by hand: the processors read the registry again, follow what the store holds and log it; repeat the change if it is still wanted.",
  },
} as const satisfies ErrorRegistry;

export type StoreErrorCode = keyof typeof storeErrorCodes;

export type StoreError = UnsError<StoreErrorCode>;

const { createError } = defineErrors(storeErrorCodes);

/** Make an error with a code from {@link storeErrorCodes}. */
export function storeError(code: StoreErrorCode, message: string, cause?: unknown): StoreError {
  return createError(code, message, { cause });
}
