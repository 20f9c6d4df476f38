import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Accumulator } from "./batch.js";
import { createThreadedStore } from "./threaded-store.js";
import type { MessageOutcome } from "./types.js";

const dir = mkdtempSync(join(tmpdir(), "uns-threaded-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function outcome(i: number, o: MessageOutcome["outcome"]): MessageOutcome {
  const payload = Buffer.from(JSON.stringify({ i }));
  return {
    time: Date.now(),
    clientId: "c1",
    username: null,
    topic: `a/b/${i % 3}`,
    channel: "ch",
    contract: null,
    outcome: o,
    kind: o === "invalid" ? "schema" : undefined,
    errors:
      o === "invalid" ? [{ instancePath: "/i", keyword: "type", message: "must be string" }] : undefined,
    payload,
    payloadSize: payload.byteLength,
    policy: "monitor",
  };
}

describe("threaded store (PGlite in a worker thread)", () => {
  it("aggregates on the caller's thread, writes in the worker, answers queries and keeps error codes", async () => {
    const store = await createThreadedStore({ dataDir: dir, flushIntervalMs: 60_000 });
    try {
      for (let i = 0; i < 100; i++) store.record(outcome(i, i % 10 === 0 ? "invalid" : "valid"));
      expect(store.health().pending).toBe(100);
      await store.flush();
      const w = { from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 60_000) };
      expect(await store.totals(w)).toMatchObject({ valid: 90, invalid: 10, total: 100 });
      const page = await store.listViolations({ limit: 500 });
      expect(page.items).toHaveLength(10);
      expect(store.health()).toMatchObject({ up: true, pending: 0, driver: "pglite" });
      const err = (await store.listViolations({ cursor: "not-a-cursor" }).catch((e) => e)) as {
        code?: string;
      };
      expect(err.code).toMatch(/^UNS_ERR_STORE_/);
    } finally {
      await store.close();
    }
  });
});

describe("threaded store fed with aggregates (what validation workers count)", () => {
  it("writes merged counts, violations with their payload and last messages, and covers them in health", async () => {
    const own = mkdtempSync(join(tmpdir(), "uns-threaded-agg-"));
    const store = await createThreadedStore({ dataDir: own, flushIntervalMs: 60_000 });
    try {
      // Two "workers" count 50 messages each; the store merges their cuts with one recorded outcome.
      for (const offset of [0, 50]) {
        const acc = new Accumulator(1024);
        for (let i = offset; i < offset + 50; i++)
          acc.add(outcome(i, i % 10 === 0 ? "invalid" : "valid"), Date.now());
        store.recordAggregate(acc.cut(Date.now())!);
      }
      store.record(outcome(100, "valid"));
      expect(store.health().pending).toBe(101);
      await store.flush();
      const w = { from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 60_000) };
      expect(await store.totals(w)).toMatchObject({ valid: 91, invalid: 10, total: 101 });
      // The payloads were transferred to the writer, not cloned: they must arrive whole.
      const page = await store.listViolations({ limit: 500 });
      expect(page.items).toHaveLength(10);
      const detail = await store.getViolation(page.items[0]!.id);
      expect(JSON.parse(Buffer.from(detail!.payloadBase64, "base64").toString())).toHaveProperty("i");
      const last = await store.lastMessage("a/b/1");
      expect(last).not.toBeNull();
    } finally {
      await store.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe("threaded store whose worker stops", () => {
  it("starts a new worker, keeps recording, and says in health what it cost", async () => {
    const own = mkdtempSync(join(tmpdir(), "uns-threaded-exit-"));
    const store = await createThreadedStore({
      dataDir: own,
      flushIntervalMs: 60_000,
      workerUrl: new URL("../test-fixtures/exiting-store-worker.ts", import.meta.url),
    });
    const w = () => ({ from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 60_000) });
    try {
      for (let i = 0; i < 10; i++) store.record(outcome(i, "valid"));
      await store.flush();
      expect(await store.totals(w())).toMatchObject({ total: 10 });
      // A batch the worker dies with: its 5 outcomes are lost, and counted as such.
      for (let i = 0; i < 4; i++) store.record(outcome(i, "valid"));
      store.record({ ...outcome(99, "valid"), topic: "__exit__" });
      await expect(store.flush()).rejects.toThrow(/store worker stopped \(exit code 7\)/);
      expect(store.health()).toMatchObject({ up: false, workerRestarts: 1 });
      // Recorded while the worker restarts: kept on this thread, written by the next worker.
      for (let i = 0; i < 3; i++) store.record(outcome(i, "invalid"));
      const until = Date.now() + 30_000;
      while (!store.health().up && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      await store.flush();
      expect(await store.totals(w())).toMatchObject({ valid: 10, invalid: 3, total: 13 });
      expect(store.health()).toMatchObject({ up: true, workerRestarts: 1 });
      expect(store.health().lostOnWorkerExit).toBeLessThanOrEqual(5);
    } finally {
      await store.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});
