import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { type SQL, sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { storeError } from "./errors.js";
import { besideModule, startWorker } from "./start-worker.js";
import type { StoreLogger } from "./types.js";

export type Orm = PgDatabase<PgQueryResultHKT>;

/** Run one parameterized statement ($1, $2, ...) inside a transaction. */
export type Exec = (text: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/**
 * The two drivers behind one small interface: drizzle for migrations and small writes, SQL
 * templates for queries, and plain parameterized SQL in a transaction for the batch writer (the
 * query builder's per-value overhead dominated at thousands of rows per batch).
 */
export interface Db {
  readonly driver: "pg" | "pglite";
  readonly orm: Orm;
  rows<T>(query: SQL): Promise<T[]>;
  transaction<T>(fn: (exec: Exec) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  migrate(migrationsFolder: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  databaseUrl?: string;
  pgliteDir: string;
  poolSize: number;
  logger: StoreLogger;
  pglite?: PgliteMemory;
}

/** The embedded database's memory settings (PostgreSQL's, in MiB). */
export interface PgliteMemory {
  /** shared_buffers (wal_buffers follows it: 1/32 of it). */
  sharedBuffersMb: number;
  /** work_mem: per sort or hash step of a query. */
  workMemMb: number;
  /** maintenance_work_mem: retention deletes' vacuum, index builds. */
  maintenanceWorkMemMb: number;
}

export const defaultPgliteMemory: PgliteMemory = {
  sharedBuffersMb: 16,
  workMemMb: 2,
  maintenanceWorkMemMb: 16,
};

export async function openDb(o: OpenDbOptions): Promise<Db> {
  return o.databaseUrl ? openPg(o.databaseUrl, o) : openPglite(o.pgliteDir, o.pglite ?? defaultPgliteMemory);
}

/**
 * PGlite's own start parameters (0.4.x `defaultStartParams`) plus the memory settings. PGlite
 * runs single-user PostgreSQL inside WebAssembly, and its "shared memory" is zeroed WASM heap:
 * with the stock 128 MB of shared_buffers every page is resident from the start (about 150 MB
 * of the process's RSS). The store writes appends and reads small recent ranges, so 16 MB of
 * buffers cost it little; the OS page cache still holds the files.
 */
function pgliteStartParams(m: PgliteMemory): string[] {
  return [
    "--single",
    "-F",
    "-O",
    "-j",
    "-c",
    "search_path=public",
    "-c",
    "exit_on_error=false",
    "-c",
    "log_checkpoints=false",
    "-c",
    "max_worker_processes=0",
    "-c",
    "max_parallel_workers=0",
    "-c",
    "max_parallel_workers_per_gather=0",
    "-c",
    `shared_buffers=${m.sharedBuffersMb}MB`,
    "-c",
    `work_mem=${m.workMemMb}MB`,
    "-c",
    `maintenance_work_mem=${m.maintenanceWorkMemMb}MB`,
    // Session-local buffers for temporary tables, which the store does not use.
    "-c",
    "temp_buffers=1MB",
  ];
}

function openPg(databaseUrl: string, o: OpenDbOptions): Db {
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: databaseUrl,
      max: o.poolSize,
      // Fail fast when the server is away: the writer spools and retries on its own schedule.
      connectionTimeoutMillis: 5_000,
      // A write that hangs (half-open TCP) must not block the writer forever; a commit whose
      // answer is lost is made harmless by the batch id (see schema.appliedBatches).
      query_timeout: 60_000,
      idleTimeoutMillis: 10_000,
      application_name: "uns-store",
    });
  } catch (err) {
    throw storeError("UNS_ERR_STORE_OPEN", `Cannot use the PostgreSQL URL: ${(err as Error).message}`, err);
  }
  // An idle client losing its connection (server restart) is reported here; without a listener
  // the pool would crash the process.
  pool.on("error", (err) => o.logger.warn({ err: err.message }, "store: idle PostgreSQL connection lost"));
  const orm = drizzlePg({ client: pool }) as unknown as Orm;
  return {
    driver: "pg",
    orm,
    rows: async <T>(q: SQL) => ((await orm.execute(q)) as unknown as { rows: T[] }).rows,
    transaction: async (fn) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query("begin");
        const result = await fn((text, params) => client.query(text, params));
        await client.query("commit");
        return result;
      } catch (err) {
        await client.query("rollback").catch((e: Error) => {
          broken = e; // the connection is gone: do not return it to the pool
        });
        throw err;
      } finally {
        client.release(broken);
      }
    },
    ping: async () => {
      await pool.query("select 1");
    },
    migrate: (migrationsFolder) => migratePg(orm as never, { migrationsFolder }),
    close: () => pool.end(),
  };
}

// PGlite up to 0.3 used template1 by default (0.4 uses postgres): data folders made by earlier
// versions hold their tables there.
const PGLITE_DATABASE = "template1";

/** initdb in a thread that ends after it, so its peak memory does not stay with the store. */
function initPgliteInThread(dir: string, startParams: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = startWorker(besideModule(import.meta.url, "pglite-init"), {
      workerData: { dir, database: PGLITE_DATABASE, startParams },
    });
    let answer: { ok: boolean; message?: string } | null = null;
    w.once("message", (m: { ok: boolean; message?: string }) => {
      answer = m;
    });
    w.once("error", reject);
    w.once("exit", (code) => {
      if (answer?.ok) resolve();
      else reject(new Error(answer?.message ?? `initdb thread exited with code ${code}`));
    });
  });
}

async function openPglite(dir: string, memory: PgliteMemory): Promise<Db> {
  let client: PGlite;
  try {
    await mkdir(dir, { recursive: true });
    const startParams = pgliteStartParams(memory);
    if (!existsSync(join(dir, "PG_VERSION"))) await initPgliteInThread(dir, startParams);
    client = await PGlite.create(dir, { database: PGLITE_DATABASE, startParams });
  } catch (err) {
    throw storeError("UNS_ERR_STORE_OPEN", `Cannot open PGlite in ${dir}: ${(err as Error).message}`, err);
  }
  const orm = drizzlePglite({ client }) as unknown as Orm;
  return {
    driver: "pglite",
    orm,
    rows: async <T>(q: SQL) => ((await orm.execute(q)) as unknown as { rows: T[] }).rows,
    transaction: (fn) =>
      client.transaction((tx) =>
        fn(async (text, params) => ({ rows: (await tx.query<Record<string, unknown>>(text, params)).rows })),
      ),
    ping: async () => {
      await orm.execute(sql`select 1`);
    },
    migrate: (migrationsFolder) => migratePglite(orm as never, { migrationsFolder }),
    close: () => client.close(),
  };
}

const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up / shutting down)
  "53300", // too_many_connections
]);

/** The innermost cause: drizzle wraps driver errors (with the full query and its parameters). */
export function rootCause(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5 && e instanceof Error && e.cause !== undefined; i++) e = e.cause;
  return e;
}

/** Whether an error means "the server is not reachable" rather than "the server refused this". */
export function isConnectionError(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e instanceof Error && i < 6; e = e.cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (connectionCodes.has(code) || code.startsWith("08"))) return true;
    if (
      /Connection terminated|connection error|timeout exceeded when trying to connect|Query read timeout/i.test(
        e.message,
      )
    )
      return true;
  }
  return false;
}
