import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Accumulator, type Batch } from "./batch.js";
import { errorMessage, storeError } from "./errors.js";
import { defaults, invalidOutcome } from "./store.js";
import { deserializeError, type FromStoreWorker, type ToStoreWorker } from "./store-protocol.js";
import type { MessageOutcome, Store, StoreHealth, StoreLogger, StoreOptions } from "./types.js";

function workerFile(): string {
  const here = fileURLToPath(new URL("./store-worker.js", import.meta.url));
  if (existsSync(here)) return here;
  const compiled = here.replace(/([\\/])src([\\/])/, "$1dist$2");
  if (existsSync(compiled)) return compiled;
  throw storeError(
    "UNS_ERR_STORE_OPEN",
    `store worker not found at ${here} or ${compiled}: run \`pnpm build\``,
  );
}

const silent: StoreLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The compliance store in a worker thread, with the same `Store` interface as `createStore`.
 * `record()` stays synchronous and cheap on the caller's thread: outcomes are aggregated here
 * (counts per minute, topic, channel and publisher; violations; last message per topic) and each
 * cut batch is posted to the worker, which writes it, spools it while the database is away, and
 * answers the queries.
 */
export async function createThreadedStore(options: StoreOptions): Promise<Store> {
  const logger = options.logger ?? silent;
  const flushIntervalMs = options.flushIntervalMs ?? defaults.flushIntervalMs;
  const batchMaxRows = options.batchMaxRows ?? defaults.batchMaxRows;
  const acc = new Accumulator(options.payloadCapBytes ?? defaults.payloadCapBytes);
  const worker = new Worker(workerFile(), { execArgv: [] });
  const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let health: StoreHealth = {
    up: false,
    driver: options.databaseUrl ? "pg" : "pglite",
    writeLagMs: 0,
    pending: 0,
    spooledBatches: 0,
    spoolBytes: 0,
    droppedBatches: 0,
    droppedOutcomes: 0,
  };
  let exited: Error | null = null;
  let closing = false;
  let recordErrors = 0;

  const opened = new Promise<void>((resolve, reject) => {
    worker.on("message", (m: FromStoreWorker) => {
      switch (m.type) {
        case "opened":
          resolve();
          break;
        case "open-failed":
          reject(deserializeError(m.error));
          break;
        case "health":
          health = m.health;
          break;
        case "log":
          logger[m.level](m.obj, m.msg);
          break;
        case "result": {
          health = m.health;
          const call = calls.get(m.id);
          calls.delete(m.id);
          if (m.error) call?.reject(deserializeError(m.error));
          else call?.resolve(m.value);
          break;
        }
      }
    });
    worker.on("error", (err) => {
      logger.error({ code: "UNS_ERR_STORE_WRITE", err: errorMessage(err) }, "store: worker thread failed");
    });
    worker.on("exit", (code) => {
      exited = new Error(`store worker stopped (exit code ${code})`);
      health = { ...health, up: false, lastError: exited.message };
      for (const c of calls.values()) c.reject(exited);
      calls.clear();
      reject(exited);
    });
  });
  const { logger: _dropped, ...plainOptions } = options;
  worker.postMessage({ type: "open", options: plainOptions } satisfies ToStoreWorker);
  try {
    await opened;
  } catch (err) {
    await worker.terminate();
    throw err;
  }

  function call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (exited) return Promise.reject(exited);
    return new Promise<T>((resolve, reject) => {
      const id = nextId++;
      calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ type: "call", id, method, args } satisfies ToStoreWorker);
    });
  }

  function cut(): void {
    let batch: Batch | null = null;
    try {
      batch = acc.cut(Date.now());
    } catch (err) {
      logger.error(
        { code: "UNS_ERR_STORE_RECORD", err: errorMessage(err) },
        "store: could not build a batch, results DROPPED",
      );
    }
    if (batch && !exited) worker.postMessage({ type: "batch", batch } satisfies ToStoreWorker);
  }

  const timer = setInterval(cut, flushIntervalMs);
  timer.unref();
  let cutScheduled = false;

  const query =
    <K extends keyof Store>(method: K) =>
    (...args: unknown[]) =>
      call(method, ...args);

  return {
    record(o: MessageOutcome): void {
      try {
        const bad = closing ? "record() after close()" : invalidOutcome(o);
        if (bad) {
          if (recordErrors++ % 1000 === 0)
            logger.error(
              { reason: bad, occurrences: recordErrors },
              "store: an outcome could not be recorded",
            );
          return;
        }
        acc.add(o, Date.now());
        if (acc.rows >= batchMaxRows && !cutScheduled) {
          cutScheduled = true;
          setImmediate(() => {
            cutScheduled = false;
            cut();
          });
        }
      } catch (err) {
        if (recordErrors++ % 1000 === 0)
          logger.error({ reason: errorMessage(err) }, "store: an outcome could not be recorded");
      }
    },
    async flush(): Promise<void> {
      cut();
      await call("flush");
    },
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      clearInterval(timer);
      cut();
      try {
        await call("close");
      } finally {
        await worker.terminate();
      }
    },
    health(): StoreHealth {
      // What is still aggregated on this thread is pending too.
      if (acc.outcomes === 0) return health;
      return {
        ...health,
        pending: health.pending + acc.outcomes,
        writeLagMs: Math.max(health.writeLagMs, Date.now() - acc.oldestAt),
      };
    },
    recordContracts: query("recordContracts"),
    runRetention: query("runRetention"),
    totals: query("totals"),
    summaryBy: query("summaryBy"),
    timeseries: query("timeseries"),
    listViolations: query("listViolations"),
    getViolation: query("getViolation"),
    similarViolations: query("similarViolations"),
    publishers: query("publishers"),
    violationKinds: query("violationKinds"),
    topics: query("topics"),
    lastMessage: query("lastMessage"),
    contracts: query("contracts"),
    contractDocument: query("contractDocument"),
    createApiToken: query("createApiToken"),
    useApiToken: query("useApiToken"),
    listApiTokens: query("listApiTokens"),
    revokeApiToken: query("revokeApiToken"),
    revokeUserTokens: query("revokeUserTokens"),
    appendAudit: query("appendAudit"),
    listAudit: query("listAudit"),
  } as Store;
}
