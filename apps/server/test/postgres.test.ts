import { startPostgres } from "@uns/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestServer, type TestServer, weldSpot } from "./helper.js";

interface Totals {
  valid: number;
  invalid: number;
  total: number;
}

describe("with a PostgreSQL server: stopped and restarted mid-stream, nothing lost", () => {
  let pg: Awaited<ReturnType<typeof startPostgres>>;
  let t: TestServer;
  beforeAll(async () => {
    pg = await startPostgres();
    t = await startTestServer({ databaseUrl: pg.url });
  });
  afterAll(async () => {
    await t?.close();
    await pg?.destroy();
  });

  it("keeps the broker running while the database is away and writes every result when it returns", async () => {
    const pub = await t.connect("device", { clientId: "pg-stream" });
    const topic = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";
    const send = async (from: number, count: number) => {
      for (let i = from; i < from + count; i++) {
        await pub.publishAsync(
          topic,
          JSON.stringify(weldSpot(i % 10 === 0 ? { currentKA: -1, seq: i } : { seq: i })),
          { qos: 1 },
        );
      }
    };
    await send(0, 100);
    await eventually(
      () => t.api<Totals>("/api/v1/compliance/totals?clientId=pg-stream").then((r) => r.body.total),
      (n) => n === 100,
    );

    await pg.stop();
    await send(100, 200);
    const down = await eventually(
      () => t.api<{ status: string; database: { up: boolean; spooledBatches: number } }>("/api/v1/health"),
      (h) => !h.body.database.up,
    );
    expect(down.status).toBe(503);
    expect(pub.connected).toBe(true);

    await pg.start();
    const totals = await eventually(
      () => t.api<Totals>("/api/v1/compliance/totals?clientId=pg-stream").then((r) => r.body),
      (x) => x.total === 300,
      60_000,
    );
    expect(totals).toMatchObject({ valid: 270, invalid: 30 });
    const ids = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await t.api(
        `/api/v1/violations?clientId=pg-stream&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      for (const i of page.body.items) ids.add(i.id);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(ids.size).toBe(30);
    await eventually(
      () => t.api<{ status: string }>("/api/v1/health").then((r) => r.body.status),
      (s) => s === "ok",
      30_000,
    );
  });
});
