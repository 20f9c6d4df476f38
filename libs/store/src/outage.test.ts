// Failure modes on purpose: the PostgreSQL server stops or crashes under the store, the store
// process restarts meanwhile, the spool fills up, the database refuses a batch.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "@uns/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "./index.js";
import {
  memoryLogger,
  outcome,
  spoolFiles,
  tempDir,
  testPostgres,
  violation,
  waitFor,
} from "./test-support.js";
import type { MessageOutcome, Store, StoreOptions } from "./types.js";

let env: Awaited<ReturnType<typeof testPostgres>>;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  env = await testPostgres();
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await env?.close();
});

async function openStore(extra: Partial<StoreOptions> & { dataDir?: string } = {}) {
  let dataDir = extra.dataDir;
  if (!dataDir) {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    dataDir = tmp.path;
  }
  const logger = memoryLogger();
  const store = await createStore({
    flushIntervalMs: 50,
    retryMinMs: 100,
    retryMaxMs: 400,
    logger,
    ...extra,
    dataDir,
  });
  cleanups.push(() => store.close());
  return { store, logger, dataDir };
}

/** Records numbered outcomes (every 5th invalid, with a unique payload) and remembers what it sent. */
function recorder(store: () => Store) {
  const sent = { total: 0, invalid: 0 };
  return {
    sent,
    burst(n: number) {
      for (let i = 0; i < n; i++) {
        const seq = ++sent.total;
        const payload = new TextEncoder().encode(JSON.stringify({ seq }));
        const o: Partial<MessageOutcome> = {
          clientId: `dev-${seq % 4}`,
          payload,
          payloadSize: payload.byteLength,
        };
        if (seq % 5 === 0) {
          sent.invalid++;
          store().record(violation(o));
        } else store().record(outcome(o));
      }
    },
  };
}

async function dbState(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`select
      (select coalesce(sum(valid + invalid + unvalidated + ungoverned), 0)::int from message_counts) as counted,
      (select coalesce(sum(invalid), 0)::int from message_counts) as invalid,
      (select count(*)::int from violations) as violations,
      (select count(distinct payload)::int from violations) as distinct_payloads,
      (select coalesce(sum(messages), 0)::int from publishers) as publisher_messages`);
    return rows[0] as {
      counted: number;
      invalid: number;
      violations: number;
      distinct_payloads: number;
      publisher_messages: number;
    };
  } finally {
    await client.end();
  }
}

const hasOwnServer = () => env.server !== null;

describe.each(["stop", "kill"] as const)("PostgreSQL server %s mid-stream", (how) => {
  it("spools while it is away and writes every outcome exactly once when it is back", async (ctx) => {
    if (!hasOwnServer()) return ctx.skip();
    const server = env.server!;
    const url = await env.newDatabaseUrl();
    const { store, dataDir, logger } = await openStore({ databaseUrl: url });
    const rec = recorder(() => store);

    rec.burst(200);
    await store.flush();
    expect(store.health()).toMatchObject({ up: true, pending: 0 });

    await (how === "stop" ? server.stop() : server.kill());
    const before = { ...rec.sent };
    for (let round = 0; round < 10; round++) {
      rec.burst(50);
      await sleep(30); // several flush intervals: several batches
    }
    await store.flush();
    const down = store.health();
    expect(down.up).toBe(false);
    expect(down.lastError).toBeTruthy();
    // Nothing recorded since the server went away is written; all of it waits in the spool.
    expect(down.pending).toBe(rec.sent.total - before.total);
    expect(down.spooledBatches).toBeGreaterThan(1);
    expect(down.writeLagMs).toBeGreaterThan(0);
    expect(await spoolFiles(dataDir)).toHaveLength(down.spooledBatches);
    expect(down.droppedBatches).toBe(0);

    await server.start();
    rec.burst(100); // while the spool drains
    await waitFor(
      "the spool to drain",
      () => {
        const h = store.health();
        return h.up && h.pending === 0 && h.spooledBatches === 0;
      },
      { state: () => ({ health: store.health(), log: logger.records.slice(-5) }) },
    );
    expect(await spoolFiles(dataDir)).toEqual([]);
    const state = await dbState(url);
    expect(state).toEqual({
      counted: rec.sent.total,
      invalid: rec.sent.invalid,
      violations: rec.sent.invalid,
      distinct_payloads: rec.sent.invalid,
      publisher_messages: rec.sent.total,
    });
    expect(await store.totals({ from: new Date(0), to: new Date(Date.now() + 60_000) })).toMatchObject({
      total: rec.sent.total,
      invalid: rec.sent.invalid,
    });
  });
});

describe("store process restarts while PostgreSQL is away", () => {
  it("the next process replays the spool", async (ctx) => {
    if (!hasOwnServer()) return ctx.skip();
    const server = env.server!;
    const url = await env.newDatabaseUrl();
    const first = await openStore({ databaseUrl: url });
    let current = first.store;
    const rec = recorder(() => current);
    rec.burst(100);
    await current.flush();

    await server.stop();
    rec.burst(300);
    await current.close(); // spools what it could not write
    const files = await spoolFiles(first.dataDir);
    expect(files.length).toBeGreaterThan(0);
    await server.start();

    const second = await openStore({ databaseUrl: url, dataDir: first.dataDir });
    current = second.store;
    rec.burst(50);
    await waitFor(
      "the spool to drain",
      () => {
        const h = current.health();
        return h.pending === 0 && h.spooledBatches === 0;
      },
      { state: () => ({ health: current.health(), log: second.logger.records.slice(-5) }) },
    );
    expect(await dbState(url)).toMatchObject({
      counted: rec.sent.total,
      violations: rec.sent.invalid,
      distinct_payloads: rec.sent.invalid,
    });
  });
});

describe("a database that comes back after a long outage", () => {
  it("is seen within a few seconds with the default retry delays (not up to 30 s)", {
    timeout: 60_000,
  }, async (ctx) => {
    if (!hasOwnServer()) return ctx.skip();
    const server = env.server!;
    const url = await env.newDatabaseUrl();
    // The defaults, not this file's short test delays.
    const { store } = await openStore({ databaseUrl: url, retryMinMs: undefined, retryMaxMs: undefined });
    const rec = recorder(() => store);
    rec.burst(20);
    await store.flush();
    await server.stop();
    // 17 s down with traffic: doubling from 0.5 s, the next try would be ~16 s away.
    const downUntil = Date.now() + 17_000;
    while (Date.now() < downUntil) {
      rec.burst(5);
      await sleep(250);
    }
    expect(store.health().up).toBe(false);
    await server.start();
    const back = Date.now();
    await waitFor("the store to see the database", () => store.health().up, { timeoutMs: 20_000 });
    const seenAfterMs = Date.now() - back;
    console.log(`database seen ${seenAfterMs} ms after it came back`);
    expect(seenAfterMs).toBeLessThan(6000);
    await waitFor("the spool to drain", () => store.health().pending === 0);
    expect((await dbState(url)).counted).toBe(rec.sent.total);
  });
});

describe("store started while PostgreSQL is away", () => {
  it("opens, spools, then migrates and writes once the server answers", async (ctx) => {
    if (!hasOwnServer()) return ctx.skip();
    const server = env.server!;
    const url = await env.newDatabaseUrl();
    await server.stop();
    const { store, logger } = await openStore({ databaseUrl: url });
    expect(store.health()).toMatchObject({ up: false, driver: "pg" });
    const rec = recorder(() => store);
    rec.burst(120);
    await store.recordContracts([
      {
        file: "asyncapi/weld.yaml",
        title: "Weld",
        version: "1.0.0",
        asyncapiVersion: "3.0.0",
        hash: "h",
        text: "t",
      },
    ]);
    await store.flush();
    expect(store.health().spooledBatches).toBeGreaterThan(0);
    await server.start();
    await waitFor(
      "the spool to drain",
      () => {
        const h = store.health();
        return h.up && h.pending === 0;
      },
      { state: () => ({ health: store.health(), log: logger.records.slice(-5) }) },
    );
    expect(await dbState(url)).toMatchObject({ counted: 120, violations: rec.sent.invalid });
    expect(await store.contracts()).toHaveLength(1);
  });
});

describe("spool limits", () => {
  it("drops batches that do not fit, loudly, and counts them in health", async () => {
    const deadUrl = `postgresql://postgres@127.0.0.1:${await freePort()}/none`;
    const { store, logger } = await openStore({ databaseUrl: deadUrl, spoolMaxBytes: 20 * 1024 });
    const big = new Uint8Array(3000).fill(0x61);
    for (let round = 0; round < 5; round++) {
      store.record(violation({ payload: big, payloadSize: big.byteLength }));
      await store.flush();
    }
    const h = store.health();
    expect(h.spoolBytes).toBeLessThanOrEqual(20 * 1024);
    expect(h.spooledBatches).toBeGreaterThan(0);
    expect(h.droppedBatches).toBe(5 - h.spooledBatches);
    expect(h.droppedOutcomes).toBe(h.droppedBatches);
    const loud = logger.records.filter(
      (r) => r.level === "error" && r.obj.code === "UNS_ERR_STORE_SPOOL_FULL",
    );
    expect(loud).toHaveLength(h.droppedBatches);
  });

  it("sets aside a batch the database keeps refusing, and carries on", async () => {
    const url = await env.newDatabaseUrl();
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    // Make a spool file through a store that cannot reach its database, then break one row.
    const dead = await createStore({
      dataDir: tmp.path,
      databaseUrl: `postgresql://postgres@127.0.0.1:${await freePort()}/none`,
      logger: memoryLogger(),
    });
    dead.record(outcome({ clientId: "poison" }));
    await dead.close();
    const [file] = await spoolFiles(tmp.path);
    const path = join(tmp.path, "spool", file!);
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace(/"topic":"[^"]*"/, '"topic":null'));

    const { store, logger } = await openStore({
      databaseUrl: url,
      dataDir: tmp.path,
      retryMinMs: 20,
      retryMaxMs: 40,
    });
    await waitFor("the batch to be set aside", () => store.health().droppedBatches === 1, {
      state: () => ({ health: store.health(), log: logger.records.slice(-5) }),
    });
    expect(await spoolFiles(tmp.path)).toEqual([]);
    expect(await spoolFiles(tmp.path, ".rejected")).toHaveLength(1);
    expect(logger.records.some((r) => r.obj.code === "UNS_ERR_STORE_BATCH_REJECTED")).toBe(true);
    store.record(outcome({ clientId: "after" }));
    await store.flush();
    expect(store.health()).toMatchObject({ up: true, pending: 0, spooledBatches: 0 });
    expect(await dbState(url)).toMatchObject({ counted: 1 });
  });
});
