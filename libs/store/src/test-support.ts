// Helpers shared by this package's tests (not built, not exported).
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createDatabase, type PostgresServer, startPostgres } from "@uns/testkit";
import type { MessageOutcome, StoreLogger } from "./types.js";

export const weldTopic = (line = 1, cell = 1) =>
  `acme/neckarsulm/body-shop/line-${String(line).padStart(2, "0")}/cell-${String(cell).padStart(2, "0")}/weld-spot`;

const enc = new TextEncoder();

/** A valid weld-spot message; override any field. */
export function outcome(over: Partial<MessageOutcome> = {}): MessageOutcome {
  const payload = over.payload ?? enc.encode(JSON.stringify({ current: 11.2, seq: Math.random() }));
  return {
    time: Date.now(),
    clientId: "cell-01",
    username: "device",
    topic: weldTopic(),
    channel: "weldSpot",
    contract: { file: "asyncapi/weld.yaml", version: "1.0.0", title: "Weld" },
    outcome: "valid",
    messageName: "WeldSpot",
    payload,
    payloadSize: payload.byteLength,
    policy: "enforce",
    ...over,
  };
}

/** An invalid weld-spot message (schema error at /current). */
export function violation(over: Partial<MessageOutcome> = {}): MessageOutcome {
  return outcome({
    outcome: "invalid",
    kind: "schema",
    errors: [
      {
        instancePath: "/current",
        keyword: "type",
        message: "must be number",
        schemaPath: "#/properties/current/type",
        params: { type: "number" },
      },
    ],
    ...over,
  });
}

export async function tempDir(prefix = "uns-store-"): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  opts: { timeoutMs?: number; state?: () => unknown } = {},
) {
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) {
      const state = opts.state ? ` (state: ${JSON.stringify(opts.state())})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state}`);
    }
    await sleep(25);
  }
}

export async function spoolFiles(dataDir: string, ext = ".jsonl"): Promise<string[]> {
  return (await readdir(join(dataDir, "spool")).catch(() => [] as string[])).filter((n) => n.endsWith(ext));
}

export interface LogRecord {
  level: "info" | "warn" | "error";
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps what it is told, for assertions. */
export function memoryLogger(): StoreLogger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at = (level: LogRecord["level"]) => (obj: object, msg: string) =>
    void records.push({ level, obj: obj as Record<string, unknown>, msg });
  return { records, info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * A PostgreSQL server for a test file: the one named by UNS_TEST_DATABASE_URL when set (tests
 * that stop or kill the server are skipped then), else a throwaway cluster from @uns/testkit.
 */
export async function testPostgres(): Promise<{
  server: PostgresServer | null;
  newDatabaseUrl(): Promise<string>;
  close(): Promise<void>;
}> {
  const external = process.env.UNS_TEST_DATABASE_URL;
  const server = external ? null : await startPostgres();
  const adminUrl = external ?? (server as PostgresServer).url;
  const dbs: { drop(): Promise<void> }[] = [];
  return {
    server,
    async newDatabaseUrl() {
      const db = await createDatabase(adminUrl);
      dbs.push(db);
      return db.url;
    },
    async close() {
      if (server) await server.destroy();
      else for (const db of dbs) await db.drop().catch(() => undefined);
    },
  };
}
