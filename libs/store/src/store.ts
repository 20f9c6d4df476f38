import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as aq from "./alert-queries.js";
import { Accumulator, type Batch, mergeBatches } from "./batch.js";
import { type Db, isConnectionError, openDb, rootCause } from "./db.js";
import { errorMessage, type StoreErrorCode, storeError } from "./errors.js";
import * as mr from "./model-registry.js";
import { OutcomeLog } from "./outcome-log.js";
import * as kq from "./quality-queries.js";
import * as q from "./queries.js";
import { contracts as contractsTable } from "./schema.js";
import * as sec from "./security.js";
import { Spool, type SpoolEntry } from "./spool.js";
import type { ContractDoc, MessageOutcome, Store, StoreHealth, StoreLogger, StoreOptions } from "./types.js";
import { writeBatch } from "./write-batch.js";

/** The repository's /migrations, from src/ and from dist/ alike. */
export const defaultMigrationsDir = fileURLToPath(new URL("../../../migrations", import.meta.url));

export const defaults = {
  batchMaxRows: 2000,
  flushIntervalMs: 250,
  writeIntervalMs: 0,
  spoolMaxBytes: 512 * 1024 * 1024,
  payloadCapBytes: 64 * 1024,
  retentionDays: 30,
  // A returned database is seen within a few seconds: the spool (and what it may drop when full)
  // should not grow for half a minute while PostgreSQL is already back.
  retryMinMs: 500,
  retryMaxMs: 4000,
  poolSize: 4,
} as const;

/**
 * Held in memory while the writer waits (writeIntervalMs) or is busy, at most: rows of this many
 * full batches (batchMaxRows each), and this many batches (group commit cuts small ones, hundreds
 * a second); more go to the spool. Half of either writes at once.
 */
const maxQueuedFullBatches = 8;
const maxQueuedBatches = 512;
/** Attempts at a batch the database refuses while reachable, before it is set aside. */
const maxAttempts = 3;
const dayMs = 86_400_000;
/** The first retention run, after start (later runs are daily). */
const firstRetentionMs = 60_000;

const consoleLogger: StoreLogger = {
  info: () => undefined,
  warn: (obj, msg) => console.warn(`[uns/store] ${msg}`, obj),
  error: (obj, msg) => console.error(`[uns/store] ${msg}`, obj),
};

/**
 * Open the compliance store: PostgreSQL when `databaseUrl` is set, else PGlite in
 * `<dataDir>/pglite`. Runs migrations, replays leftover spool files, then writes recorded outcomes
 * in batches. If PostgreSQL is unreachable at start the store still opens: results go to the spool
 * until it is back.
 *
 * @example
 * const store = await createStore({ dataDir: "./data" });
 * store.record(outcome);
 * const page = await store.listViolations({ limit: 50 });
 * await store.close();
 */
export async function createStore(options: StoreOptions): Promise<Store> {
  return openStore(options);
}

export interface InternalStore extends Store {
  ingest(batch: Batch): void;
}

/**
 * The store with its internal `ingest` (used by the store's worker thread). With
 * `recoverOutcomeLog`, what an unclean stop left in `<dataDir>/outcome-log` is moved to the spool
 * first (replayed once); `onSettled` hears of every ingested batch that left the queue (written,
 * spooled or dropped), so the log's writer can let it go.
 */
export async function openStore(
  options: StoreOptions,
  internal: { recoverOutcomeLog?: boolean; onSettled?: (batchId: string) => void } = {},
): Promise<InternalStore> {
  const o = resolveOptions(options);
  const spool = await Spool.open(join(o.dataDir, "spool"), o.spoolMaxBytes);
  for (const name of spool.corruptAtOpen) {
    o.logger.error(
      { code: "UNS_ERR_STORE_SPOOL_CORRUPT", file: name },
      "store: unreadable spool file moved aside (*.corrupt)",
    );
  }
  if (internal.recoverOutcomeLog) {
    try {
      await OutcomeLog.recover(join(o.dataDir, "outcome-log"), spool, o.logger);
    } catch (err) {
      throw storeError(
        "UNS_ERR_STORE_SPOOL_DIR",
        `Cannot use the outcome log in ${join(o.dataDir, "outcome-log")}: ${errorMessage(err)}`,
        err,
      );
    }
  }
  const db = await openDb({
    databaseUrl: o.databaseUrl,
    pgliteDir: join(o.dataDir, "pglite"),
    poolSize: o.poolSize,
    logger: o.logger,
    pglite: o.pglite,
  });
  const store = new StoreImpl(o, db, spool, internal.onSettled);
  try {
    await store.start();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return store;
}

type Resolved = Required<Omit<StoreOptions, "databaseUrl">> & { databaseUrl?: string };

function resolveOptions(options: StoreOptions): Resolved {
  const problems: string[] = [];
  if (typeof options?.dataDir !== "string" || options.dataDir === "")
    problems.push("dataDir must be a directory path");
  const r = { ...defaults, ...stripUndefined(options) } as Resolved;
  for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) {
    const v = r[key];
    // writeIntervalMs may be 0 (each batch written as it is cut); every other setting must be > 0.
    const least = key === "writeIntervalMs" ? 0 : Number.MIN_VALUE;
    if (!(Number.isFinite(v) && v >= least))
      problems.push(
        `${key} must be a ${least === 0 ? "non-negative" : "positive"} number (got ${String(v)})`,
      );
  }
  if (problems.length)
    throw storeError("UNS_ERR_STORE_OPTIONS", `Invalid store options: ${problems.join("; ")}`);
  r.migrationsDir = options.migrationsDir ?? defaultMigrationsDir;
  r.logger = options.logger ?? consoleLogger;
  return r;
}

const outcomes = new Set(["valid", "invalid", "unvalidated", "ungoverned"]);

/** Why an outcome cannot be stored, or null. Only the fields that key rows are checked (O(1)). */
export function invalidOutcome(o: MessageOutcome): string | null {
  if (o === null || typeof o !== "object") return "outcome is not an object";
  if (typeof o.topic !== "string") return "topic must be a string";
  if (typeof o.clientId !== "string") return "clientId must be a string";
  if (!outcomes.has(o.outcome))
    return `outcome must be valid, invalid, unvalidated or ungoverned (got ${String(o.outcome)})`;
  if (!(o.payload instanceof Uint8Array)) return "payload must be a Uint8Array";
  return null;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

class StoreImpl implements Store {
  private readonly acc: Accumulator;
  /** Cut batches not yet written; always newer than everything in the spool. */
  private readonly queue: Batch[] = [];
  private pendingContracts: ContractDoc[] = [];
  private up = false;
  private migrated = false;
  private lastError: string | undefined;
  private retryDelay: number;
  /** Set by the retry timer: while down, the database is tried again only when this is set. */
  private retryDue = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  /** Set while a paced write (writeIntervalMs) waits for its time. */
  private writeTimer: NodeJS.Timeout | undefined;
  private lastWriteAt = 0;
  /** A merged write failed on its data: write the next batches of the queue one by one. */
  private writeSingly = 0;
  private retentionTimer: NodeJS.Timeout | undefined;
  private cutScheduled = false;
  private pump: Promise<void> | null = null;
  private pumpAgain = false;
  private closing = false;
  private closed = false;
  private droppedBatches = 0;
  private droppedOutcomes = 0;
  private readonly attempts = new Map<string, number>();
  private recordErrors = 0;

  constructor(
    private readonly o: Resolved,
    private readonly db: Db,
    private readonly spool: Spool,
    private readonly onSettled?: (batchId: string) => void,
  ) {
    this.acc = new Accumulator(o.payloadCapBytes);
    this.retryDelay = o.retryMinMs;
  }

  async start(): Promise<void> {
    try {
      await this.db.migrate(this.o.migrationsDir);
      this.migrated = true;
      this.up = true;
    } catch (err) {
      if (this.db.driver !== "pg" || !isConnectionError(err)) {
        throw storeError(
          "UNS_ERR_STORE_MIGRATE",
          `Migrations from ${this.o.migrationsDir} failed: ${errorMessage(rootCause(err))}`,
          err,
        );
      }
      // The broker must run without its database: spool, and migrate once the server answers.
      this.markDown(err, "store: PostgreSQL unreachable at start; results are spooled until it is back");
    }
    this.flushTimer = setInterval(() => this.tick(), this.o.flushIntervalMs);
    this.flushTimer.unref();
    const retention = () => {
      this.runRetention().catch((err) =>
        this.o.logger.error(
          { code: "UNS_ERR_STORE_RETENTION", err: errorMessage(rootCause(err)) },
          "store: retention failed",
        ),
      );
    };
    this.retentionTimer = setTimeout(() => {
      retention();
      this.retentionTimer = setInterval(retention, dayMs);
      this.retentionTimer.unref();
    }, firstRetentionMs);
    this.retentionTimer.unref();
    if (this.spool.count > 0) {
      this.o.logger.info({ batches: this.spool.count, bytes: this.spool.bytes }, "store: replaying spool");
      void this.kick();
    }
  }

  // ---- recording ----

  record(outcome: MessageOutcome): void {
    if (this.closing) {
      this.recordProblem("record() after close()");
      return;
    }
    try {
      const bad = invalidOutcome(outcome);
      if (bad) {
        this.recordProblem(bad);
        return;
      }
      this.acc.add(outcome, Date.now());
      this.scheduleCutIfFull();
    } catch (err) {
      this.recordProblem(errorMessage(err));
    }
  }

  recordAggregate(batch: Batch): void {
    if (this.closing) {
      this.recordProblem("recordAggregate() after close()");
      return;
    }
    try {
      this.acc.merge(batch, Date.now());
      this.scheduleCutIfFull();
    } catch (err) {
      this.recordProblem(errorMessage(err));
    }
  }

  private scheduleCutIfFull(): void {
    if (this.acc.rows >= this.o.batchMaxRows && !this.cutScheduled) {
      this.cutScheduled = true;
      setImmediate(() => {
        this.cutScheduled = false;
        this.tick();
      });
    }
  }

  /** A batch cut elsewhere (by the main thread of a threaded store): write it like our own. */
  ingest(batch: Batch): void {
    this.queue.push(batch);
    this.kickPaced();
  }

  /**
   * Write now, or at `writeIntervalMs` after the last write: at low rates each transaction costs
   * the writer about the same whatever it holds, so batches cut in between are merged into one.
   * Half of the queue's bound waiting writes at once (the queue spills to the spool past it).
   */
  private kickPaced(): void {
    const wait = this.lastWriteAt + this.o.writeIntervalMs - Date.now();
    if (wait <= 0 || this.queueFilled() >= 0.5 || this.closing) {
      void this.kick();
      return;
    }
    if (this.writeTimer) return;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = undefined;
      void this.kick();
    }, wait);
    this.writeTimer.unref();
  }

  /** How full the in-memory queue is: 1 = at its bound in rows or in batches. */
  private queueFilled(): number {
    let rows = 0;
    for (const b of this.queue)
      rows += b.counts.length + b.violations.length + b.lastMessages.length + b.publishers.length;
    return Math.max(
      rows / (maxQueuedFullBatches * this.o.batchMaxRows),
      this.queue.length / maxQueuedBatches,
    );
  }

  /** The batch left the queue (written, spooled or dropped): the outcome log no longer needs it. */
  private settle(batch: Batch): void {
    this.onSettled?.(batch.id);
  }

  private recordProblem(reason: string): void {
    // Logged for the first and then every 1000th occurrence: loud, without flooding the log.
    if (this.recordErrors++ % 1000 === 0) {
      this.o.logger.error(
        { reason, occurrences: this.recordErrors },
        "store: an outcome could not be recorded",
      );
    }
  }

  private tick(): void {
    let batch: Batch | null;
    try {
      batch = this.acc.cut(Date.now());
    } catch (err) {
      // Cannot happen with validated outcomes; if it does, say so loudly rather than crash the broker.
      this.drop(0, "UNS_ERR_STORE_RECORD", "store: could not build a batch, results DROPPED", {
        err: errorMessage(err),
      });
      return;
    }
    if (batch) {
      this.queue.push(batch);
      this.kickPaced();
    }
  }

  // ---- writing ----

  /** Run the writer until it has nothing it can do now; callers share one run. */
  private kick(): Promise<void> {
    this.pumpAgain = true;
    if (!this.pump) {
      this.pump = (async () => {
        try {
          while (this.pumpAgain) {
            this.pumpAgain = false;
            try {
              await this.drain();
            } catch (err) {
              // A spool file that cannot be deleted, say: never an unhandled rejection in the
              // broker; log, back off, try again (written batches are not applied twice).
              this.o.logger.error(
                { code: "UNS_ERR_STORE_WRITE", err: errorMessage(err) },
                "store: writer failed",
              );
              this.markDown(err);
            }
          }
        } finally {
          this.pump = null;
        }
      })();
    }
    return this.pump;
  }

  /** Write the spool (oldest first), then the queue; database errors are handled here. */
  private async drain(): Promise<void> {
    for (;;) {
      if (!this.up) {
        // Flag, not a clock comparison: a timer may fire a millisecond "early" by Date.now(),
        // and a retry skipped then would never be scheduled again.
        if (!this.retryDue) return this.spoolQueue();
        this.retryDue = false;
        try {
          await this.db.ping();
          if (!this.migrated) {
            await this.db.migrate(this.o.migrationsDir);
            this.migrated = true;
          }
          this.markUp();
        } catch (err) {
          this.markDown(err);
          return this.spoolQueue();
        }
      }
      if (this.pendingContracts.length) {
        try {
          await this.writeContracts(this.pendingContracts);
          this.pendingContracts = [];
        } catch (err) {
          this.markDown(err);
          return this.spoolQueue();
        }
      }
      // Keep memory bounded, and keep order: everything queued is newer than the spool.
      if (this.queueFilled() > 1 || (this.closing && this.spool.count > 0)) {
        await this.spoolQueue();
        if (this.closing) return;
      }
      const entry: SpoolEntry | undefined = this.spool.entries[0];
      let batch: Batch | undefined;
      if (entry) {
        try {
          batch = await this.spool.read(entry);
        } catch (err) {
          this.o.logger.error(
            { code: "UNS_ERR_STORE_SPOOL_CORRUPT", file: entry.name, err: errorMessage(err) },
            "store: unreadable spool file moved aside (*.corrupt); its results are lost",
          );
          this.droppedBatches++;
          this.droppedOutcomes += entry.outcomes;
          await this.spool.setAside(entry, "corrupt");
          continue;
        }
      } else {
        const group = this.writeSingly > 0 ? 1 : this.queue.length;
        batch = group > 0 ? mergeBatches(this.queue.slice(0, group), this.o.payloadCapBytes) : undefined;
      }
      if (!batch) return;
      try {
        await writeBatch(this.db, batch);
        this.markUp();
        this.attempts.delete(batch.id);
        if (entry) await this.spool.remove(entry);
        else {
          const parts = batch.mergedIds?.length ?? 1;
          for (const b of this.queue.splice(0, parts)) this.settle(b);
          this.writeSingly = Math.max(0, this.writeSingly - parts);
          this.lastWriteAt = Date.now();
        }
      } catch (err) {
        // A merged write refused for its data: find the batch at fault by writing them one by one.
        if (batch.mergedIds && !isConnectionError(err)) {
          this.writeSingly = batch.mergedIds.length;
          continue;
        }
        if (await this.rejectIfPoison(batch, entry, err)) continue;
        this.markDown(err);
        return this.spoolQueue();
      }
    }
  }

  /**
   * A batch the database refuses while it is reachable (a data or schema problem) would block the
   * queue forever: after a few attempts it is set aside as *.rejected and counted as dropped.
   */
  private async rejectIfPoison(batch: Batch, entry: SpoolEntry | undefined, err: unknown): Promise<boolean> {
    if (isConnectionError(err)) return false;
    const reachable = await this.db.ping().then(
      () => true,
      () => false,
    );
    if (!reachable) return false;
    const n = (this.attempts.get(batch.id) ?? 0) + 1;
    this.attempts.set(batch.id, n);
    if (n < maxAttempts) return false;
    this.attempts.delete(batch.id);
    let file: string | undefined = entry?.name;
    try {
      if (entry) await this.spool.setAside(entry, "rejected");
      else {
        this.settle(this.queue.shift()!);
        file = await this.spool.writeAside(batch, "rejected");
      }
    } catch {
      // logged below; the batch is dropped either way
    }
    this.drop(
      batch.outcomes,
      "UNS_ERR_STORE_BATCH_REJECTED",
      "store: the database rejected a batch; set aside",
      {
        file,
        err: errorMessage(rootCause(err)),
      },
    );
    return true;
  }

  /** Move every queued batch to the spool, in order; a batch that does not fit is dropped loudly. */
  private async spoolQueue(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue[0] as Batch;
      try {
        const r = await this.spool.append(batch);
        if (!r.ok) {
          this.drop(batch.outcomes, "UNS_ERR_STORE_SPOOL_FULL", "store: spool full, batch DROPPED", {
            batchBytes: r.bytes,
            spoolBytes: this.spool.bytes,
            spoolMaxBytes: this.o.spoolMaxBytes,
          });
        }
      } catch (err) {
        this.drop(batch.outcomes, "UNS_ERR_STORE_SPOOL_WRITE", "store: cannot write spool, batch DROPPED", {
          err: errorMessage(err),
        });
      }
      // In the spool now (or dropped, loudly): the log no longer needs it.
      this.settle(this.queue.shift()!);
    }
  }

  private drop(outcomes: number, code: StoreErrorCode, msg: string, fields: object): void {
    this.droppedBatches++;
    this.droppedOutcomes += outcomes;
    this.o.logger.error(
      {
        code,
        outcomes,
        droppedBatches: this.droppedBatches,
        droppedOutcomes: this.droppedOutcomes,
        ...fields,
      },
      msg,
    );
  }

  private markUp(): void {
    if (!this.up && this.lastError !== undefined) {
      this.o.logger.info({ spooledBatches: this.spool.count }, "store: database reachable again");
    }
    this.up = true;
    this.retryDelay = this.o.retryMinMs;
    this.retryDue = false;
    clearTimeout(this.retryTimer);
  }

  private markDown(err: unknown, msg = "store: database write failed; spooling and retrying"): void {
    const message = errorMessage(rootCause(err));
    if (this.up || this.lastError !== message) {
      this.o.logger.warn({ code: "UNS_ERR_STORE_WRITE", err: message, retryInMs: this.retryDelay }, msg);
    }
    this.up = false;
    this.lastError = message;
    this.retryDue = false;
    clearTimeout(this.retryTimer);
    if (!this.closing) {
      this.retryTimer = setTimeout(() => {
        this.retryDue = true;
        void this.kick();
      }, this.retryDelay);
      this.retryTimer.unref();
    }
    this.retryDelay = Math.min(this.retryDelay * 2, this.o.retryMaxMs);
  }

  async flush(): Promise<void> {
    this.assertOpen();
    this.tick();
    await this.kick();
  }

  async whenDurable(): Promise<void> {
    if (this.closing) return;
    this.tick();
    await this.kick();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    clearInterval(this.flushTimer);
    clearTimeout(this.retentionTimer);
    clearInterval(this.retentionTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.writeTimer);
    this.tick();
    await this.kick();
    await this.pump; // a run started by a timer just before close
    this.closed = true;
    if (this.pendingContracts.length) {
      this.o.logger.warn(
        { documents: this.pendingContracts.length },
        "store: contracts not recorded (database down)",
      );
    }
    await this.db
      .close()
      .catch((err) => this.o.logger.warn({ err: errorMessage(err) }, "store: close failed"));
  }

  health(): StoreHealth {
    const now = Date.now();
    let oldest = Number.POSITIVE_INFINITY;
    for (const e of this.spool.entries) oldest = Math.min(oldest, e.oldestAt);
    for (const b of this.queue) oldest = Math.min(oldest, b.oldestAt);
    if (this.acc.outcomes > 0) oldest = Math.min(oldest, this.acc.oldestAt);
    let pending = this.acc.outcomes + this.spool.outcomes;
    for (const b of this.queue) pending += b.outcomes;
    const h: StoreHealth = {
      up: this.up,
      driver: this.db.driver,
      writeLagMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0,
      pending,
      spooledBatches: this.spool.count,
      spoolBytes: this.spool.bytes,
      droppedBatches: this.droppedBatches,
      droppedOutcomes: this.droppedOutcomes,
    };
    if (this.lastError !== undefined) h.lastError = this.lastError;
    return h;
  }

  async recordContracts(docs: ContractDoc[]): Promise<void> {
    this.assertOpen();
    if (docs.length === 0) return;
    try {
      if (!this.migrated) throw new Error("database not migrated yet");
      await this.writeContracts(docs);
    } catch (err) {
      this.pendingContracts.push(...docs);
      this.o.logger.warn(
        { err: errorMessage(rootCause(err)), documents: docs.length },
        "store: contracts not recorded yet; retried when the database is back",
      );
      if (this.up) this.markDown(err);
    }
  }

  private async writeContracts(docs: ContractDoc[]): Promise<void> {
    await this.db.orm
      .insert(contractsTable)
      .values(
        docs.map((d) => ({
          file: d.file,
          title: d.title,
          version: d.version,
          asyncapiVersion: d.asyncapiVersion,
          hash: d.hash,
          document: d.text,
        })),
      )
      .onConflictDoNothing({ target: [contractsTable.file, contractsTable.hash] });
  }

  async runRetention(now = new Date()) {
    this.assertOpen();
    const cutoff = new Date(now.getTime() - this.o.retentionDays * dayMs);
    const r = await this.query(() => q.deleteOlderThan(this.db, cutoff));
    if (r.violations || r.counts)
      this.o.logger.info({ ...r, cutoff: cutoff.toISOString() }, "store: retention");
    return { cutoff: cutoff.toISOString(), ...r };
  }

  // ---- queries ----

  private assertOpen(): void {
    if (this.closed || this.closing) throw storeError("UNS_ERR_STORE_CLOSED", "The store is closed");
  }

  private async query<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (
        code === "UNS_ERR_STORE_ARGUMENT" ||
        code === "UNS_ERR_STORE_CURSOR" ||
        code === "UNS_ERR_STORE_MODEL_CONFLICT"
      )
        throw err;
      throw storeError("UNS_ERR_STORE_QUERY", `Store query failed: ${errorMessage(rootCause(err))}`, err);
    }
  }

  totals: Store["totals"] = (a) => this.query(() => q.totals(this.db, a));
  summaryBy: Store["summaryBy"] = (a) => this.query(() => q.summaryBy(this.db, a));
  timeseries: Store["timeseries"] = (a) => this.query(() => q.timeseries(this.db, a));
  listViolations: Store["listViolations"] = (a) => this.query(() => q.listViolations(this.db, a));
  getViolation: Store["getViolation"] = (id) => this.query(() => q.getViolation(this.db, id));
  similarViolations: Store["similarViolations"] = (id, limit) =>
    this.query(() => q.similarViolations(this.db, id, limit));
  publishers: Store["publishers"] = (a) => this.query(() => q.publishers(this.db, a));
  violationKinds: Store["violationKinds"] = (a) => this.query(() => q.violationKinds(this.db, a));
  topics: Store["topics"] = (a) => this.query(() => q.topics(this.db, a));
  lastMessage: Store["lastMessage"] = (topic) => this.query(() => q.lastMessage(this.db, topic));
  contracts: Store["contracts"] = () => this.query(() => q.contracts(this.db));
  contractDocument: Store["contractDocument"] = (id) => this.query(() => q.contractDocument(this.db, id));
  createApiToken: Store["createApiToken"] = (t) => this.query(() => sec.createApiToken(this.db, t));
  useApiToken: Store["useApiToken"] = (hash) => this.query(() => sec.useApiToken(this.db, hash));
  listApiTokens: Store["listApiTokens"] = () => this.query(() => sec.listApiTokens(this.db));
  revokeApiToken: Store["revokeApiToken"] = (id) => this.query(() => sec.revokeApiToken(this.db, id));
  revokeUserTokens: Store["revokeUserTokens"] = (u) => this.query(() => sec.revokeUserTokens(this.db, u));
  appendAudit: Store["appendAudit"] = (e) => this.query(() => sec.appendAudit(this.db, e));
  listAudit: Store["listAudit"] = (a) => this.query(() => sec.listAudit(this.db, a));
  registerModelVersions: Store["registerModelVersions"] = (v) =>
    this.query(() => mr.registerModelVersions(this.db, v));
  recordModelChanges: Store["recordModelChanges"] = (c) =>
    this.query(() => mr.recordModelChanges(this.db, c));
  modelRegistry: Store["modelRegistry"] = (n) => this.query(() => mr.modelRegistry(this.db, n));

  // The quality side (KPIs, body trace, alerts): see quality-queries.ts and alert-queries.ts.
  writeQuality: Store["writeQuality"] = (b) => this.query(() => kq.writeQuality(this.db, b));
  oeeSeries: Store["oeeSeries"] = (a) => this.query(() => kq.oeeSeries(this.db, a));
  oeeBreakdown: Store["oeeBreakdown"] = (a) => this.query(() => kq.oeeBreakdown(this.db, a));
  oeeByShift: Store["oeeByShift"] = (a) => this.query(() => kq.oeeByShift(this.db, a));
  lineTimeline: Store["lineTimeline"] = (a) => this.query(() => kq.lineTimeline(this.db, a));
  cellQuality: Store["cellQuality"] = (a) => this.query(() => kq.cellQuality(this.db, a));
  cellTrend: Store["cellTrend"] = (a) => this.query(() => kq.cellTrend(this.db, a));
  tallies: Store["tallies"] = (a) => this.query(() => kq.tallies(this.db, a));
  splatterRates: Store["splatterRates"] = (a) => this.query(() => kq.splatterRates(this.db, a));
  gateDecisions: Store["gateDecisions"] = (a) => this.query(() => kq.gateDecisions(this.db, a));
  bodyTrace: Store["bodyTrace"] = (id) => this.query(() => kq.bodyTrace(this.db, id));
  saveAlert: Store["saveAlert"] = (w) => this.query(() => aq.saveAlert(this.db, w));
  listAlerts: Store["listAlerts"] = (a) => this.query(() => aq.listAlerts(this.db, a));
  getAlert: Store["getAlert"] = (id) => this.query(() => aq.getAlert(this.db, id));
  openAlerts: Store["openAlerts"] = () => this.query(() => aq.openAlerts(this.db));
}
