// Judging on the event loop at low rates (validation.inlineMaxPerSecond), on a real server: the
// valid messages are judged there and counted exactly like the workers count, what the native
// checker does not call valid still gets ajv's verdict from a worker, enforce still quarantines.
import { fastPathStatus } from "@uns/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, startTestServer, type TestServer, weldSpot } from "./helper.js";

interface Totals {
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
  total: number;
}

const MONITOR = "acme/plant-a/body-shop/line-02/cell-01/weld-spot";
const ENFORCE = "acme/plant-b/body-shop/line-02/cell-01/weld-spot";
const native = fastPathStatus().native;

/** Weld spots the KPIs counted for a line's cell-01 (counted by the judge, inline or a worker). */
async function welded(t: TestServer, line: string): Promise<number> {
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const r = await t.api<{ cells: { cell: string; welded: number }[] }>(
    `/api/v1/quality/cells?scope=${encodeURIComponent(line)}&from=${from}`,
  );
  return r.body.cells?.find((c) => c.cell === "cell-01")?.welded ?? 0;
}

describe.skipIf(!native)("validation on the event loop at low rates", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  const totals = (clientId: string) =>
    t.api<Totals>(`/api/v1/compliance/totals?clientId=${clientId}`).then((r) => r.body);

  it("judges valid messages without a worker and counts every message once", async () => {
    const sub = await t.connect("admin");
    const got = collect(sub);
    await sub.subscribeAsync([MONITOR, ENFORCE, `$uns/quarantine/${ENFORCE}`], { qos: 1 });
    const pub = await t.connect("device", { clientId: "inline-low-rate" });
    // The channel's first message compiles it on the event loop; then a quiet moment.
    await pub.publishAsync(MONITOR, JSON.stringify(weldSpot()), { qos: 1 });
    await new Promise((r) => setTimeout(r, 250));
    const before = t.server.inline.stats().judged;
    const busyBefore = t.server.pool.stats().busyMs.reduce((a, b) => a + b, 0);
    const n = 40;
    for (let i = 0; i < n; i++) {
      await pub.publishAsync(MONITOR, JSON.stringify(weldSpot({ seq: i })), { qos: 1 });
      await pub.publishAsync(ENFORCE, JSON.stringify(weldSpot({ seq: i })), { qos: 1 });
    }
    expect(t.server.inline.stats().judged - before).toBe(2 * n);
    expect(t.server.pool.stats().busyMs.reduce((a, b) => a + b, 0)).toBe(busyBefore);
    // Invalid ones: the native checker does not call them valid, a worker judges them with ajv.
    await pub.publishAsync(MONITOR, JSON.stringify(weldSpot({ currentKA: 99 })), { qos: 1 });
    await pub.publishAsync(ENFORCE, JSON.stringify(weldSpot({ currentKA: -1 })), { qos: 1 });
    expect(t.server.inline.stats().judged - before).toBe(2 * n);
    const c = await eventually(
      () => totals("inline-low-rate"),
      (x) => x.total === 2 * n + 3,
    );
    expect(c).toMatchObject({ valid: 2 * n + 1, invalid: 2, unvalidated: 0, ungoverned: 0 });
    const v = await t.api<{ items: { errors: { instancePath: string; keyword: string }[] }[] }>(
      "/api/v1/violations?clientId=inline-low-rate",
    );
    expect(v.body.items.flatMap((i) => i.errors.map((e) => `${e.instancePath} ${e.keyword}`)).sort()).toEqual(
      ["/currentKA maximum", "/currentKA minimum"].sort(),
    );
    await eventually(
      () => got.length,
      (len) => len === 2 * n + 3,
    );
    expect(got.filter((m) => m.topic === ENFORCE)).toHaveLength(n);
    expect(got.filter((m) => m.topic === `$uns/quarantine/${ENFORCE}`)).toHaveLength(1);
    const live = t.server.live.totals();
    expect(live.valid + live.invalid).toBe(live.total);
    // The KPIs count the valid spots once, the invalid ones not at all.
    await eventually(
      () => welded(t, "acme/plant-a/body-shop/line-02"),
      (w) => w === n + 1,
    );
    await eventually(
      () => welded(t, "acme/plant-b/body-shop/line-02"),
      (w) => w === n,
    );
  });
});

describe.skipIf(!native)("validation on the event loop with store.ackAfterDurable", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ "store.ackAfterDurable": true });
  });
  afterAll(async () => t?.close());

  it("leaves QoS 1 messages to the workers: their outcome is stored before the PUBACK", async () => {
    const pub = await t.connect("device", { clientId: "inline-durable" });
    for (let i = 0; i < 5; i++) await pub.publishAsync(MONITOR, JSON.stringify(weldSpot()), { qos: 1 });
    expect(t.server.inline.stats().judged).toBe(0);
    const c = await eventually(
      () => t.api<Totals>("/api/v1/compliance/totals?clientId=inline-durable").then((r) => r.body),
      (x) => x.total === 5,
    );
    expect(c.valid).toBe(5);
    await eventually(
      () => welded(t, "acme/plant-a/body-shop/line-02"),
      (w) => w === 5,
    );
  });
});
