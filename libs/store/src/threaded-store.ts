import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { Accumulator, type Batch } from "./batch.js";
import { errorMessage } from "./errors.js";
import { modelRegistryMethods } from "./model-registry.js";
import { OutcomeLog } from "./outcome-log.js";
import { qualityStoreMethods } from "./quality-types.js";
import { besideModule, startWorker } from "./start-worker.js";
import { defaults, invalidOutcome } from "./store.js";
import { deserializeError, type FromStoreWorker, type ToStoreWorker } from "./store-protocol.js";
import type { MessageOutcome, Store, StoreHealth, StoreLogger, StoreOptions } from "./types.js";

const silent: StoreLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The writer isolate's young generation (MiB). V8's default lets it grow to 48 (two 16 MiB
 * semi-spaces resident after PGlite's start-up alone); the writer's JavaScript builds one batch's
 * SQL at a time and its time goes to PGlite's WASM, so a small one costs it nothing measurable
 * and saves about 8 MB of RSS (docs/benchmark.md, footprint).
 */
const WRITER_YOUNG_GENERATION_MB = 6;

/** store.ackAfterDurable: cuts for waiting acks at most this often (ms); an ack waits up to this much longer. */
const GROUP_COMMIT_MIN_MS = 5;
/** Batches kept on this thread while the worker restarts, at most (then they are dropped, counted). */
const MAX_WAITING_BATCHES = 256;

export interface ThreadedStoreOptions extends StoreOptions {
  /** The worker script; default the shipped store worker. Tests pass fixture workers. */
  workerUrl?: URL;
}

/**
 * Hand a cut batch to the writer. Its payloads (violations, last messages) are copies the batch
 * owns, each in its own buffer: they are transferred, not cloned, so that a batch of thousands
 * of violations does not cost the broker's event loop a second copy of every payload.
 */
function postBatch(w: Worker, batch: Batch): void {
  const buffers = new Set<ArrayBuffer>();
  for (const v of batch.violations) ownBuffer(v.payload, buffers);
  for (const l of batch.lastMessages) ownBuffer(l.payload, buffers);
  w.postMessage({ type: "batch", batch } satisfies ToStoreWorker, [...buffers]);
}

/** A payload that is the whole of a plain ArrayBuffer can be transferred (others are cloned). */
function ownBuffer(p: Uint8Array, into: Set<ArrayBuffer>): void {
  const b = p.buffer;
  if (b instanceof ArrayBuffer && p.byteOffset === 0 && p.byteLength === b.byteLength) into.add(b);
}

/**
 * The compliance store in a worker thread, with the same `Store` interface as `createStore`.
 * `record()` stays synchronous and cheap on the caller's thread: outcomes are aggregated here
 * (counts per minute, topic, channel and publisher; violations; last message per topic) and each
 * cut batch is posted to the worker, which writes it, spools it while the database is away, and
 * answers the queries.
 *
 * A worker that exits is started again (the new one replays the spool on disk); batches cut
 * meanwhile wait here. What the dead worker held in memory is lost: health counts the restarts
 * and, at most, the outcomes it had not yet written or spooled.
 */
export async function createThreadedStore(options: ThreadedStoreOptions): Promise<Store> {
  const logger = options.logger ?? silent;
  const flushIntervalMs = options.flushIntervalMs ?? defaults.flushIntervalMs;
  const batchMaxRows = options.batchMaxRows ?? defaults.batchMaxRows;
  const acc = new Accumulator(options.payloadCapBytes ?? defaults.payloadCapBytes);
  const entry = options.workerUrl ?? besideModule(import.meta.url, "store-worker");
  const { logger: _logger, workerUrl: _workerUrl, ...plainOptions } = options;
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
  // Kept on this thread, so they survive a worker's restart.
  let workerRestarts = 0;
  let lostOnExit = 0;
  let droppedWaiting = 0;
  let worker: Worker | null = null;
  let exited: Error | null = null;
  let closing = false;
  let recordErrors = 0;
  const waiting: Batch[] = [];
  let logOpened = false;
  let log: OutcomeLog | null = null;

  /** Start a worker and open the store in it; rejects when it cannot open. */
  function start(): Promise<void> {
    const w = startWorker(entry, {
      resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB },
    });
    worker = w;
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      w.on("message", (m: FromStoreWorker) => {
        switch (m.type) {
          case "opened":
            opened = true;
            exited = null;
            for (const batch of waiting.splice(0)) postBatch(w, batch);
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
      w.on("error", (err) => {
        logger.error({ code: "UNS_ERR_STORE_WRITE", err: errorMessage(err) }, "store: worker thread failed");
      });
      w.on("exit", (code) => {
        exited = new Error(`store worker stopped (exit code ${code})`);
        // What it had neither written nor spooled is gone with it (an upper bound: some of the
        // pending outcomes may be in the spool, which the next worker replays).
        if (!closing) lostOnExit += health.pending;
        health = { ...health, up: false, pending: 0, writeLagMs: 0, lastError: exited.message };
        for (const c of calls.values()) c.reject(exited);
        calls.clear();
        if (!opened) return reject(exited);
        if (closing) return;
        workerRestarts++;
        logger.error(
          { code: "UNS_ERR_STORE_WORKER_EXIT", exitCode: code, restarts: workerRestarts },
          "store: worker thread stopped; starting a new one",
        );
        restart();
      });
      // Only the first worker recovers the outcome log: later ones would take the segment this
      // thread is writing. What a dead worker had not settled stays in the log for the next start.
      const recover = !logOpened;
      logOpened = true;
      w.postMessage({
        type: "open",
        options: plainOptions,
        recoverOutcomeLog: recover,
      } satisfies ToStoreWorker);
    });
  }

  function restart(): void {
    // Back off a little if it keeps dying, so a poisoned batch cannot spin the CPU.
    setTimeout(
      () => {
        if (closing) return;
        start().catch((err) => {
          logger.error(
            { code: "UNS_ERR_STORE_OPEN", err: errorMessage(err) },
            "store: restart failed; retrying",
          );
          void worker?.terminate();
        });
      },
      Math.min(5000, 100 * workerRestarts),
    ).unref();
  }

  try {
    await start();
  } catch (err) {
    await (worker as Worker | null)?.terminate();
    throw err;
  }

  function call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (exited || !worker) return Promise.reject(exited ?? new Error("store worker not started"));
    const w = worker;
    return new Promise<T>((resolve, reject) => {
      const id = nextId++;
      calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ type: "call", id, method, args } satisfies ToStoreWorker);
    });
  }

  function post(batch: Batch): void {
    if (!exited && worker) {
      postBatch(worker, batch);
      return;
    }
    if (waiting.length < MAX_WAITING_BATCHES) {
      waiting.push(batch);
      return;
    }
    droppedWaiting++;
    logger.error(
      { code: "UNS_ERR_STORE_SPOOL_FULL", waiting: waiting.length },
      "store: worker down too long, a batch of results DROPPED",
    );
  }

  // ---- durability (group commit) ----
  // Each cut batch is appended to the outcome log here, on this thread (the writes and fsyncs run
  // on libuv's thread pool), and handed to the database thread once it is on disk; the worker's
  // priority and PGlite's synchronous writes never delay an fsync. Batches are numbered as they
  // are cut. A caller of whenDurable() waits for the batch that holds what it recorded; while one
  // batch is being fsynced, new waiters collect for the next cut, so concurrent PUBACKs share one
  // fsync.
  log = await OutcomeLog.create(join(options.dataDir, "outcome-log")).catch((err: Error) => {
    logger.error(
      { code: "UNS_ERR_STORE_LOG_WRITE", err: errorMessage(err) },
      "store: no outcome log; results would be lost on a crash",
    );
    return null;
  });
  let logErrors = 0;
  /** The last batch's way through the log to the worker (in order: appends resolve in order). */
  let lastHandOver: Promise<void> = Promise.resolve();
  let cutSeq = 0;
  let durableSeq = 0;
  const durableWaiters: { seq: number; resolve: () => void }[] = [];
  let nextCut: (() => void)[] = [];
  let groupCutScheduled = false;
  let lastCutAt = 0;

  function onDurable(seq: number): void {
    durableSeq = Math.max(durableSeq, seq);
    while (durableWaiters.length > 0 && durableWaiters[0]!.seq <= durableSeq)
      durableWaiters.shift()!.resolve();
    scheduleGroupCut();
  }

  /**
   * A cut for the acks waiting in nextCut, once no batch is being fsynced and at most every
   * GROUP_COMMIT_MIN_MS: a cut costs an append, an fsync and a hand-over to the database thread
   * whatever it holds, so at a plant's rates a cut per fsync would keep the core busy with
   * batches of a few messages (measured: 2,000 QoS 1 msg/s took the whole broker core).
   */
  function scheduleGroupCut(): void {
    if (groupCutScheduled || nextCut.length === 0 || durableSeq < cutSeq) return;
    groupCutScheduled = true;
    const run = () => {
      groupCutScheduled = false;
      if (nextCut.length > 0 && durableSeq >= cutSeq) cut();
    };
    const wait = lastCutAt + GROUP_COMMIT_MIN_MS - Date.now();
    if (wait > 0) setTimeout(run, wait);
    else setImmediate(run);
  }

  function cut(): void {
    lastCutAt = Date.now();
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
    if (!batch) {
      for (const resolve of waiters) resolve();
      return;
    }
    const seq = ++cutSeq;
    const b = batch;
    const handOver = () => {
      post(b);
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
    for (const resolve of waiters) durableWaiters.push({ seq, resolve });
  }

  const timer = setInterval(cut, flushIntervalMs);
  timer.unref();
  let cutScheduled = false;
  function cutIfFull(): void {
    if (acc.rows >= batchMaxRows && !cutScheduled) {
      cutScheduled = true;
      setImmediate(() => {
        cutScheduled = false;
        cut();
      });
    }
  }

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
        cutIfFull();
      } catch (err) {
        if (recordErrors++ % 1000 === 0)
          logger.error({ reason: errorMessage(err) }, "store: an outcome could not be recorded");
      }
    },
    recordAggregate(batch: Batch): void {
      try {
        if (closing) throw new Error("recordAggregate() after close()");
        acc.merge(batch, Date.now());
        cutIfFull();
      } catch (err) {
        if (recordErrors++ % 1000 === 0)
          logger.error({ reason: errorMessage(err) }, "store: aggregated outcomes could not be recorded");
      }
    },
    async flush(): Promise<void> {
      cut();
      await lastHandOver;
      await call("flush");
    },
    whenDurable(): Promise<void> {
      if (closing) return Promise.resolve();
      if (acc.outcomes === 0) {
        if (durableSeq >= cutSeq) return Promise.resolve();
        return new Promise<void>((resolve) => durableWaiters.push({ seq: cutSeq, resolve }));
      }
      return new Promise<void>((resolve) => {
        nextCut.push(resolve);
        // Unless a batch is being fsynced: then onDurable schedules the cut for everyone waiting.
        scheduleGroupCut();
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
        for (const w of durableWaiters.splice(0)) w.resolve();
        for (const r of nextCut.splice(0)) r();
        await worker?.terminate();
        // After the worker's close every batch is written or spooled: the segment goes.
        await log?.close();
      }
    },
    health(): StoreHealth {
      let waitingOutcomes = 0;
      for (const b of waiting) waitingOutcomes += b.outcomes;
      const h: StoreHealth = {
        ...health,
        workerRestarts,
        lostOnWorkerExit: lostOnExit,
        droppedBatches: health.droppedBatches + droppedWaiting,
        pending: health.pending + waitingOutcomes,
      };
      // What is still aggregated on this thread is pending too.
      if (acc.outcomes === 0) return h;
      return {
        ...h,
        pending: h.pending + acc.outcomes,
        writeLagMs: Math.max(h.writeLagMs, Date.now() - acc.oldestAt),
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
    ...Object.fromEntries(qualityStoreMethods.map((m) => [m, query(m)])),
    ...Object.fromEntries(modelRegistryMethods.map((m) => [m, query(m)])),
  } as Store;
}
