// Merged writes (store.writeIntervalMs) against the embedded database: every part's id is
// recorded, a replay of any part is skipped, a group with some parts applied is refused whole.
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Accumulator, type Batch, mergeBatches } from "./batch.js";
import { type Db, openDb } from "./db.js";
import { defaultMigrationsDir } from "./store.js";
import { outcome, violation, weldTopic } from "./test-support.js";
import { writeBatch } from "./write-batch.js";

const silent = { info() {}, warn() {}, error() {} };
const minute = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

function batchOf(n: number, invalid: number): Batch {
  const acc = new Accumulator(1024);
  for (let i = 0; i < n; i++)
    acc.add(outcome({ time: minute + i, topic: weldTopic(1, 1), clientId: "c1" }), minute);
  for (let i = 0; i < invalid; i++)
    acc.add(violation({ time: minute + i, topic: weldTopic(1, 1), clientId: "c1" }), minute);
  return acc.cut(minute)!;
}

describe("writeBatch with merged batches", () => {
  let dir: string;
  let db: Db;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "uns-write-batch-"));
    db = await openDb({ pgliteDir: join(dir, "pglite"), poolSize: 1, logger: silent });
    await db.migrate(defaultMigrationsDir);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const counted = async () =>
    (
      await db.rows<{ valid: string; invalid: string }>(
        sql`select coalesce(sum(valid), 0) as valid, coalesce(sum(invalid), 0) as invalid from message_counts`,
      )
    )[0]!;
  const violations = async () =>
    Number((await db.rows<{ n: string }>(sql`select count(*) as n from violations`))[0]!.n);

  it("writes the parts once, records each id, and skips a replay of any of them", async () => {
    const parts = [batchOf(10, 1), batchOf(20, 2), batchOf(5, 0)];
    expect(await writeBatch(db, mergeBatches(parts, 1024))).toBe(true);
    expect(await counted()).toEqual({ valid: "35", invalid: "3" });
    expect(await violations()).toBe(3);
    for (const p of parts) expect(await writeBatch(db, p)).toBe(false);
    expect(await writeBatch(db, mergeBatches(parts, 1024))).toBe(false);
    expect(await counted()).toEqual({ valid: "35", invalid: "3" });
  });

  it("refuses, and rolls back, a group of which only some parts were applied", async () => {
    const done = batchOf(4, 0);
    expect(await writeBatch(db, done)).toBe(true);
    const fresh = batchOf(7, 1);
    await expect(writeBatch(db, mergeBatches([done, fresh], 1024))).rejects.toThrow(/1 of 2 already applied/);
    expect(await counted()).toEqual({ valid: "39", invalid: "3" });
    expect(await writeBatch(db, fresh)).toBe(true);
    expect(await counted()).toEqual({ valid: "46", invalid: "4" });
  });
});
