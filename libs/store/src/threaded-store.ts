import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Accumulator, type Batch } from "./batch.js";
import { errorMessage, storeError } from "./errors.js";
import { OutcomeLog } from "./outcome-log.js";
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
        case "settled":
          log?.settle(m.id);
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
      releaseAll();
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

  // ---- durability (group commit) ----
  // Each cut batch is appended to the outcome log here, on this thread (the writes and fsyncs run
  // on libuv's thread pool), and handed to the database thread once it is on disk; the worker's
  // priority and PGlite's synchronous writes never delay an fsync. Batches are numbered as they
  // are cut. A caller of whenDurable() waits for the batch that holds what it recorded; while one
  // batch is being fsynced, new waiters collect for the next cut, so concurrent PUBACKs share one
  // fsync.
  const log = await OutcomeLog.create(join(options.dataDir, "outcome-log")).catch((err: Error) => {
    logger.error(
      { code: "UNS_ERR_STORE_LOG_WRITE", err: errorMessage(err) },
      "store: no outcome log; results would be lost on a crash",
    );
    return null;
  });
  let logErrors = 0;
  /** The last batch's way through the log to the worker (in order: appends resolve in order). */
  let lastHandOver: Promise<void> = Promise.resolve();
  let postedSeq = 0;
  let durableSeq = 0;
  const waiting: { seq: number; resolve: () => void }[] = [];
  let nextCut: (() => void)[] = [];
  let groupCutScheduled = false;

  function onDurable(seq: number): void {
    durableSeq = Math.max(durableSeq, seq);
    while (waiting.length > 0 && waiting[0]!.seq <= durableSeq) waiting.shift()!.resolve();
    if (nextCut.length > 0 && durableSeq >= postedSeq) cut();
  }

  function releaseAll(): void {
    for (const w of waiting.splice(0)) w.resolve();
    for (const r of nextCut.splice(0)) r();
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
    const waiters = nextCut;
    nextCut = [];
    if (batch && !exited) {
      const seq = ++postedSeq;
      const b = batch;
      const handOver = () => {
        if (!exited) worker.postMessage({ type: "batch", batch: b } satisfies ToStoreWorker);
        onDurable(seq);
      };
      lastHandOver = log
        ? log.append(b).then(handOver, (err: Error) => {
            // Written anyway, just not crash-proof: say so (not for every batch), never hold the broker.
            if (logErrors++ % 100 === 0)
              logger.error(
                { code: "UNS_ERR_STORE_LOG_WRITE", err: errorMessage(err), occurrences: logErrors },
                "store: outcome log write failed; results are written but would be lost on a crash",
              );
            handOver();
          })
        : Promise.resolve().then(handOver);
      for (const resolve of waiters) waiting.push({ seq, resolve });
    } else {
      for (const resolve of waiters) resolve();
    }
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
      await lastHandOver;
      await call("flush");
    },
    whenDurable(): Promise<void> {
      if (exited || closing) return Promise.resolve();
      if (acc.outcomes === 0) {
        if (durableSeq >= postedSeq) return Promise.resolve();
        return new Promise<void>((resolve) => waiting.push({ seq: postedSeq, resolve }));
      }
      return new Promise<void>((resolve) => {
        nextCut.push(resolve);
        // Cut now unless a batch is being fsynced: then onDurable cuts for everyone waiting.
        if (durableSeq >= postedSeq && !groupCutScheduled) {
          groupCutScheduled = true;
          setImmediate(() => {
            groupCutScheduled = false;
            if (nextCut.length > 0 && durableSeq >= postedSeq) cut();
          });
        }
      });
    },
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      clearInterval(timer);
      cut();
      await lastHandOver;
      try {
        await call("close");
      } finally {
        releaseAll();
        await worker.terminate();
        // After the worker's close every batch is written or spooled: the segment goes.
        await log?.close();
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
  } as Store;
}
