// The outcome log (write-ahead log of result batches) on a real file system: what a crash leaves
// is moved to the spool once, a torn record is ignored, settled segments go, files are private.
import { appendFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Accumulator, type Batch } from "./batch.js";
import { OutcomeLog } from "./outcome-log.js";
import { Spool } from "./spool.js";
import { memoryLogger, outcome, tempDir, violation } from "./test-support.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function dirs() {
  const tmp = await tempDir();
  cleanups.push(tmp.remove);
  return { logDir: join(tmp.path, "outcome-log"), spoolDir: join(tmp.path, "spool") };
}

function batchOf(n: number, invalidEvery = 3): Batch {
  const acc = new Accumulator(1024);
  for (let i = 0; i < n; i++) acc.add(i % invalidEvery === 0 ? violation() : outcome(), Date.now());
  return acc.cut(Date.now())!;
}

describe("outcome log", () => {
  it("moves the batches of an unclean stop into the spool, exactly once, and starts empty", async () => {
    const { logDir, spoolDir } = await dirs();
    const spool = await Spool.open(spoolDir, 1 << 30);
    const { log } = await OutcomeLog.open(logDir, spool, memoryLogger());
    const batches = [batchOf(10), batchOf(5), batchOf(7)];
    await Promise.all(batches.map((b) => log.append(b)));
    // no close(): the process died here

    const spool2 = await Spool.open(spoolDir, 1 << 30);
    const logger = memoryLogger();
    const reopened = await OutcomeLog.open(logDir, spool2, logger);
    expect(reopened.recoveredBatches).toBe(3);
    expect(reopened.recoveredOutcomes).toBe(22);
    expect(spool2.entries.map((e) => e.id)).toEqual(batches.map((b) => b.id));
    const replayed = await spool2.read(spool2.entries[0]!);
    expect(replayed.violations).toHaveLength(4);
    expect(replayed.outcomes).toBe(10);
    expect(await readdir(logDir)).toEqual([]);
    expect(logger.records.some((r) => r.msg.includes("recovered from the outcome log"))).toBe(true);

    // A second start finds nothing more to recover.
    const again = await OutcomeLog.open(logDir, await Spool.open(spoolDir, 1 << 30), memoryLogger());
    expect(again.recoveredBatches).toBe(0);
  });

  it("ignores a torn record at the end (a crash during the write, never acknowledged)", async () => {
    const { logDir, spoolDir } = await dirs();
    const { log } = await OutcomeLog.open(logDir, await Spool.open(spoolDir, 1 << 30), memoryLogger());
    const whole = batchOf(4);
    await log.append(whole);
    const [segment] = await readdir(logDir);
    await appendFile(join(logDir, segment!), `${JSON.stringify({ log: 1, id: "x", bytes: 5000 })}\n{"v":1,`);
    const spool = await Spool.open(spoolDir, 1 << 30);
    const r = await OutcomeLog.open(logDir, spool, memoryLogger());
    expect(r.recoveredBatches).toBe(1);
    expect(spool.entries.map((e) => e.id)).toEqual([whole.id]);
  });

  it("deletes a segment once every batch in it is settled (in the database or the spool)", async () => {
    const { logDir, spoolDir } = await dirs();
    const { log } = await OutcomeLog.open(logDir, await Spool.open(spoolDir, 1 << 30), memoryLogger());
    const a = batchOf(3);
    const b = batchOf(3);
    await log.append(a);
    await log.append(b);
    expect(await readdir(logDir)).toHaveLength(1);
    log.settle(a.id);
    await new Promise((r) => setTimeout(r, 20));
    expect(await readdir(logDir)).toHaveLength(1); // b is not settled yet
    log.settle(b.id);
    await new Promise((r) => setTimeout(r, 50));
    expect(await readdir(logDir)).toEqual([]);
    expect(log.bytes).toBe(0);
  });

  it("shares one fsync among the appends that arrive while one is running (group commit)", async () => {
    const { logDir, spoolDir } = await dirs();
    const { log } = await OutcomeLog.open(logDir, await Spool.open(spoolDir, 1 << 30), memoryLogger());
    const order: number[] = [];
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(batchOf(1)).then(() => order.push(i))));
    // resolved in the order appended
    expect(order).toEqual([...order].sort((x, y) => x - y));
    const spool = await Spool.open(spoolDir, 1 << 30);
    expect((await OutcomeLog.open(logDir, spool, memoryLogger())).recoveredBatches).toBe(50);
  });

  it("keeps payloads private: log and spool files 0600, their folders 0700", async () => {
    const { logDir, spoolDir } = await dirs();
    const spool = await Spool.open(spoolDir, 1 << 30);
    const { log } = await OutcomeLog.open(logDir, spool, memoryLogger());
    await log.append(batchOf(2));
    await spool.append(batchOf(2));
    const [segment] = await readdir(logDir);
    const [spooled] = await readdir(spoolDir);
    const mode = async (p: string) => (await stat(p)).mode & 0o777;
    expect(await mode(logDir)).toBe(0o700);
    expect(await mode(spoolDir)).toBe(0o700);
    expect(await mode(join(logDir, segment!))).toBe(0o600);
    expect(await mode(join(spoolDir, spooled!))).toBe(0o600);
  });
});
