// BatchedLevel (broker/batched-level.ts): aedes-persistence-level's LevelDB calls of one turn of
// the event loop as one batch, recent writes read back from memory (issue 10). What aedes awaited
// must be in LevelDB when the promise resolves, reads must answer the last write, and writes land
// in the order they were asked for.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { afterAll, describe, expect, it } from "vitest";
import { BatchedLevel, compareUtf8, type LevelDb } from "../src/broker/batched-level.js";
import { withoutCleanSessionAckReads } from "../src/broker/persistence.js";

const require = createRequire(import.meta.url);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function openDb(): Promise<ClassicLevel<string, Buffer>> {
  const dir = mkdtempSync(join(tmpdir(), "uns-batched-level-"));
  dirs.push(dir);
  const db = new ClassicLevel<string, Buffer>(dir, { valueEncoding: "buffer" });
  await db.open();
  return db;
}

/** Counts the batches the real database gets. */
function counting(db: ClassicLevel<string, Buffer>) {
  const calls: number[] = [];
  const spy = {
    get: db.get.bind(db),
    values: db.values.bind(db),
    clear: db.clear.bind(db),
    close: db.close.bind(db),
    batch: ((ops: unknown[]) => {
      calls.push(ops.length);
      return db.batch(ops as never);
    }) as never,
  } as LevelDb;
  return { spy, calls };
}

const buf = (s: string) => Buffer.from(s);
const text = (b: Buffer | undefined) => b?.toString();
const allValues = async (db: { values(o: object): AsyncIterable<Buffer> }) => {
  const out: string[] = [];
  for await (const v of db.values({ gte: "", lt: "\uffff" })) out.push(v.toString());
  return out;
};

describe("BatchedLevel", () => {
  it("writes one turn's puts and dels as one batch, each resolving once it is in LevelDB", async () => {
    const db = await openDb();
    const { spy, calls } = counting(db);
    const b = new BatchedLevel(spy);
    await db.put("gone", buf("old"));
    const writes = [
      ...Array.from({ length: 50 }, (_, i) => b.put(`k:${i}`, buf(`v${i}`))),
      b.del("gone"),
      b.batch([{ type: "put", key: "x", value: buf("x1") }]),
    ];
    expect(calls).toEqual([]);
    await Promise.all(writes);
    expect(calls).toEqual([52]);
    // Read from LevelDB itself, not through the batched view.
    expect(text(await db.get("k:49"))).toBe("v49");
    expect(text(await db.get("x"))).toBe("x1");
    expect(await db.get("gone")).toBeUndefined();
    await b.close();
  });

  it("answers a read with the last write of the key, queued or written", async () => {
    const db = await openDb();
    const b = new BatchedLevel(db);
    await db.put("a", buf("on disk"));
    const w1 = b.put("a", buf("queued"));
    expect(text(await b.get("a"))).toBe("queued");
    const w2 = b.del("a");
    expect(await b.get("a")).toBeUndefined();
    await Promise.all([w1, w2]);
    expect(await db.get("a")).toBeUndefined();
    expect(await b.get("a")).toBeUndefined();
    // A key never written through it is read from LevelDB.
    await db.put("other", buf("from disk"));
    expect(text(await b.get("other"))).toBe("from disk");
    await b.close();
  });

  it("runs one batch at a time, in the order the writes were asked for", async () => {
    const started: string[][] = [];
    const finish: (() => void)[] = [];
    const fake = {
      get: async () => undefined,
      values: () => [] as never,
      clear: async () => undefined,
      close: async () => undefined,
      batch: ((ops: { key: string; type: string }[]) => {
        started.push(ops.map((o) => `${o.type} ${o.key}`));
        return new Promise<void>((resolve) => finish.push(resolve));
      }) as never,
    } as LevelDb;
    const b = new BatchedLevel(fake);
    const first = b.put("k", buf("1"));
    await new Promise((r) => setImmediate(r));
    // The first batch is running: these wait for it and go in the next one, together.
    const second = b.put("k", buf("2"));
    const third = b.del("j");
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toEqual([["put k"]]);
    expect(text(await b.get("k"))).toBe("2");
    finish[0]!();
    await first;
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toEqual([["put k"], ["put k", "del j"]]);
    finish[1]!();
    await Promise.all([second, third]);
  });

  it("orders keys as LevelDB does (UTF-8 bytes), surrogates and U+E000-FFFF included", async () => {
    const keys = [
      "a",
      "ab",
      "a;",
      "a:",
      "\u00e9",
      "\u07ff",
      "\u0800",
      "\ud7ff",
      "\ue000",
      "\uffff",
      "\ud800\udc00",
      "\udbff\udfff",
      "x\ud83d\ude00y",
      "x\uff01y",
      "",
    ];
    const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    for (const a of keys)
      for (const b of keys) expect(Math.sign(compareUtf8(a, b)), `${a} vs ${b}`).toBe(byBytes(a, b));
    // And LevelDB itself: clear() of a range removes from the cache what LevelDB removes from disk.
    const db = await openDb();
    const b = new BatchedLevel(db);
    for (const k of keys) await b.put(`p:${k}`, Buffer.from(k));
    await b.clear({ gte: "p:\ue000", lt: "p:\ud800\udc00" });
    const onDisk = new Set<string>();
    for await (const v of db.values({ gte: "p:", lt: "p;" })) onDisk.add(v.toString());
    for (const k of keys)
      expect(await b.get(`p:${k}`), k).toEqual(onDisk.has(k) ? Buffer.from(k) : undefined);
    expect(onDisk.has("\uffff")).toBe(false);
    expect(onDisk.has("\ud800\udc00")).toBe(true);
    await b.close();
  });

  it("lets values() and clear() see every write asked for before them", async () => {
    const db = await openDb();
    const b = new BatchedLevel(db);
    await db.put("p:0", buf("p0"));
    void b.put("p:1", buf("p1"));
    void b.put("p:2", buf("p2"));
    void b.put("q:1", buf("q1"));
    expect(await allValues(b)).toEqual(["p0", "p1", "p2", "q1"]);
    void b.put("p:3", buf("p3"));
    const cleared = b.clear({ gte: "p:", lt: "p;" });
    // Cleared at once for readers (also a key only on disk), and a write after the clear survives it.
    expect(await b.get("p:1")).toBeUndefined();
    expect(await b.get("p:0")).toBeUndefined();
    const after = b.put("p:4", buf("p4"));
    await Promise.all([cleared, after]);
    expect(await allValues(db)).toEqual(["p4", "q1"]);
    expect(text(await b.get("p:4"))).toBe("p4");
    expect(await b.get("p:3")).toBeUndefined();
    await b.close();
  });

  it("reads evicted keys back from LevelDB, and never evicts a key whose write is queued", async () => {
    const db = await openDb();
    const b = new BatchedLevel(db, { cacheEntries: 10 });
    await b.put("kept", buf("first"));
    await Promise.all(Array.from({ length: 100 }, (_, i) => b.put(`n:${i}`, buf(`${i}`))));
    for (const i of [0, 50, 99]) expect(text(await b.get(`n:${i}`))).toBe(`${i}`);
    expect(text(await b.get("kept"))).toBe("first");
    const overwrite = b.put("kept", buf("second"));
    // 100 more queued writes in the same batch: the cache is over its bound, "kept" is unwritten.
    const more = Array.from({ length: 100 }, (_, i) => b.put(`m:${i}`, buf(`${i}`)));
    expect(text(await b.get("kept"))).toBe("second");
    await Promise.all([overwrite, ...more]);
    expect(text(await b.get("kept"))).toBe("second");
    expect(text(await db.get("kept"))).toBe("second");
    // A batch completes (and evicts) while "kept", now the oldest entry, waits in the next one.
    const running = Array.from({ length: 100 }, (_, i) => b.put(`r:${i}`, buf(`${i}`)));
    await new Promise((r) => setImmediate(r));
    const third = b.put("kept", buf("third"));
    const again = running.map((_, i) => b.put(`r:${i}`, buf(`again ${i}`)));
    await Promise.all(running);
    expect(text(await b.get("kept"))).toBe("third");
    await Promise.all([third, ...again]);
    expect(text(await db.get("kept"))).toBe("third");
    await b.close();
  });

  it("keeps at most cacheBytes of values in memory, reading the rest back from LevelDB", async () => {
    const db = await openDb();
    let reads = 0;
    const spy = {
      ...counting(db).spy,
      get: ((key: string) => {
        reads++;
        return db.get(key);
      }) as never,
    } as LevelDb;
    const small = new BatchedLevel(spy, { cacheBytes: 100 });
    const value = (i: number) => buf(`${i}`.padStart(50, "x"));
    await Promise.all(Array.from({ length: 10 }, (_, i) => small.put(`s:${i}`, value(i))));
    for (let i = 0; i < 10; i++) expect(text(await small.get(`s:${i}`))).toBe(text(value(i)));
    // Two values of 50 bytes fit: the other eight were evicted.
    expect(reads).toBe(8);
    reads = 0;
    const roomy = new BatchedLevel(spy);
    await Promise.all(Array.from({ length: 10 }, (_, i) => roomy.put(`s:${i}`, value(i))));
    for (let i = 0; i < 10; i++) expect(text(await roomy.get(`s:${i}`))).toBe(text(value(i)));
    expect(reads).toBe(0);
    await roomy.close();
  });

  it("rejects the writes of a failed batch and reads those keys from LevelDB again", async () => {
    let fail = true;
    const stored = new Map<string, Buffer>([["k", buf("stored")]]);
    const fake = {
      get: async (key: string) => stored.get(key),
      values: () => [] as never,
      clear: async () => undefined,
      close: async () => undefined,
      batch: (async (ops: { key: string; value: Buffer }[]) => {
        if (fail) throw new Error("disk full");
        for (const o of ops) stored.set(o.key, o.value);
      }) as never,
    } as LevelDb;
    const b = new BatchedLevel(fake);
    await expect(b.put("k", buf("lost"))).rejects.toThrow("disk full");
    expect(text(await b.get("k"))).toBe("stored");
    fail = false;
    await b.put("k", buf("new"));
    expect(text(await b.get("k"))).toBe("new");
  });

  it("writes a chained batch with write(), and names a wrong operation type", async () => {
    const db = await openDb();
    const b = new BatchedLevel(db);
    await db.put("d", buf("x"));
    const chained = b.batch();
    chained.put("c", buf("c1")).del("d");
    expect(chained.length).toBe(2);
    await chained.write();
    expect(text(await db.get("c"))).toBe("c1");
    expect(await db.get("d")).toBeUndefined();
    expect(() => b.batch([{ type: "merge", key: "z" } as never])).toThrow(
      'batch operation type "merge": expected "put" or "del"',
    );
    await b.close();
  });

  it("under aedes-persistence-level: a queued session message is in LevelDB when the enqueue resolves", async () => {
    const db = await openDb();
    const AsyncLevelPersistence = require("aedes-persistence-level/asyncPersistence.js");
    const p = new AsyncLevelPersistence(new BatchedLevel(db));
    await p.setup({ id: "broker-1" });
    const client = { id: "session-1" };
    const sub = { clientId: client.id, topic: "a/#", qos: 1 };
    await p.addSubscriptions(client, [sub]);
    const packet = {
      cmd: "publish",
      brokerId: "broker-1",
      brokerCounter: 7,
      topic: "a/b",
      payload: buf("hello"),
      qos: 1,
      retain: false,
      dup: false,
    };
    await p.outgoingEnqueueCombi([sub], packet);
    const keys: string[] = [];
    for await (const k of db.keys()) keys.push(k);
    expect(keys).toContain("outgoing:session-1:broker-1:0000000000000007");
    expect(keys).toContain("subscriptions:session-1:a/#");
    // Sent with message id 3, then acknowledged: the queue is empty again.
    await p.outgoingUpdate(client, { ...packet, messageId: 3 });
    const acked = await p.outgoingClearMessageId(client, { cmd: "puback", messageId: 3 });
    expect(acked.payload.toString()).toBe("hello");
    const left: unknown[] = [];
    for await (const m of p.outgoingStream(client)) left.push(m);
    expect(left).toEqual([]);
    await p.destroy();
  });
});

describe("withoutCleanSessionAckReads", () => {
  it("answers a clean-session client's PUBACK without the persistence, and passes every other call on", async () => {
    const calls: string[] = [];
    const p = withoutCleanSessionAckReads({
      outgoingClearMessageId: async (client: { id: string }, packet: { cmd: string }) => {
        calls.push(`${client.id} ${packet.cmd}`);
        return { stored: true };
      },
    });
    expect(await p.outgoingClearMessageId({ id: "clean", clean: true } as never, { cmd: "puback" })).toBe(
      undefined,
    );
    // On connect, aedes clears what an earlier persistent session of a clean client left queued.
    expect(await p.outgoingClearMessageId({ id: "clean", clean: true } as never, { cmd: "publish" })).toEqual(
      { stored: true },
    );
    expect(await p.outgoingClearMessageId({ id: "kept", clean: false } as never, { cmd: "puback" })).toEqual({
      stored: true,
    });
    expect(calls).toEqual(["clean publish", "kept puback"]);
  });
});
