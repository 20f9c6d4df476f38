// Failure modes of the validation workers on purpose, with a fixture worker (the shipped one
// plus two faults): a worker that dies and a worker that hangs. Every message is still counted
// once; enforce traffic that could not be checked is quarantined, never delivered.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, FAULTY_WORKER, startTestServer, type TestServer, weldSpot } from "./helper.js";

const MONITOR = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";
const ENFORCE = "acme/plant-b/body-shop/line-01/cell-01/weld-spot";

interface Totals {
  valid: number;
  unvalidated: number;
  total: number;
}

describe("validation workers that fail", () => {
  let t: TestServer;
  beforeAll(async () => {
    // What the workers do when they fail: every message goes to them (none judged on the event loop).
    t = await startTestServer(
      { "workers.size": 2, "workers.batchTimeoutMs": 1500, "validation.inlineMaxPerSecond": 0 },
      undefined,
      {
        validationWorker: FAULTY_WORKER,
      },
    );
  });
  afterAll(async () => t?.close());

  const totals = (clientId: string) =>
    t.api<Totals>(`/api/v1/compliance/totals?clientId=${clientId}`).then((r) => r.body);

  it("replaces a worker that dies and keeps the message count whole", async () => {
    const before = t.server.pool.stats().restarts;
    const pub = await t.connect("device", { clientId: "crash-witness" });
    await pub.publishAsync(MONITOR, JSON.stringify(weldSpot({ spotId: "__crash__" })), { qos: 1 });
    await Promise.all(
      Array.from({ length: 49 }, () => pub.publishAsync(MONITOR, JSON.stringify(weldSpot()), { qos: 1 })),
    );
    const c = await eventually(
      () => totals("crash-witness"),
      (x) => x.total === 50,
    );
    expect(c.valid + c.unvalidated).toBe(50);
    expect(c.unvalidated).toBeGreaterThanOrEqual(1);
    expect(t.server.pool.stats().restarts).toBe(before + 1);
    await eventually(
      () => t.server.pool.stats().alive,
      (a) => a === 2,
    );
  });

  it("replaces a hung worker after the batch timeout: monitor messages count as unvalidated", async () => {
    const stats = t.server.pool.stats();
    const pub = await t.connect("device", { clientId: "hang-monitor" });
    const started = Date.now();
    await pub.publishAsync(MONITOR, JSON.stringify(weldSpot({ spotId: "__hang__" })), { qos: 1 });
    const c = await eventually(
      () => totals("hang-monitor"),
      (x) => x.total === 1,
    );
    expect(c.unvalidated).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    const after = t.server.pool.stats();
    expect(after.hung).toBe(stats.hung + 1);
    expect(after.restarts).toBe(stats.restarts + 1);
    const health = await eventually(
      () => t.api<{ status: string; workers: { alive: number; hung: number } }>("/api/v1/health"),
      (h) => h.body.workers.alive === 2,
    );
    expect(health.body.workers.hung).toBe(after.hung);
    // The replacement validates again.
    await pub.publishAsync(MONITOR, JSON.stringify(weldSpot()), { qos: 1 });
    const c2 = await eventually(
      () => totals("hang-monitor"),
      (x) => x.total === 2,
    );
    const v = await t.api("/api/v1/violations?clientId=hang-monitor");
    expect(c2.valid, JSON.stringify(v.body)).toBe(1);
  });

  it("quarantines enforce messages of a hung worker instead of delivering them", async () => {
    const sub = await t.connect("admin");
    const got = collect(sub);
    await sub.subscribeAsync([ENFORCE, `$uns/quarantine/${ENFORCE}`], { qos: 1 });
    const hungBefore = t.server.pool.stats().hung;
    const pub = await t.connect("device", { clientId: "hang-enforce" });
    await pub.publishAsync(ENFORCE, JSON.stringify(weldSpot({ spotId: "__hang__" })), { qos: 1 });
    await eventually(
      () => got.length,
      (n) => n === 1,
    );
    // The next one (a batch of its own) is validated by a live worker and delivered.
    await pub.publishAsync(ENFORCE, JSON.stringify(weldSpot({ spotId: "after" })), { qos: 1 });
    await eventually(
      () => got.length,
      (n) => n === 2,
    );
    expect(got.map((m) => m.topic)).toEqual([`$uns/quarantine/${ENFORCE}`, ENFORCE]);
    expect(t.server.pool.stats().hung).toBe(hungBefore + 1);
    const c = await eventually(
      () => totals("hang-enforce"),
      (x) => x.total === 2,
    );
    expect(c).toMatchObject({ unvalidated: 1, valid: 1 });
  });
});
