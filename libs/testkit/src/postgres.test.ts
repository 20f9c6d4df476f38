import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type PostgresServer, startPostgres } from "./index.js";

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe("freePort", () => {
  it("returns a usable TCP port", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });
});

describe("startPostgres", () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it("runs a real server on a loopback port", async () => {
    expect(server.url).toBe(`postgresql://postgres@127.0.0.1:${server.port}/postgres`);
    const rows = await query(server.url, "select current_setting('server_version_num')::int as v");
    expect((rows[0] as { v: number }).v).toBeGreaterThanOrEqual(130000);
  });

  it("stop() and start() keep port and data", async () => {
    await query(server.url, "create table kept (x int); insert into kept values (42)");
    await server.stop();
    await expect(query(server.url, "select 1")).rejects.toThrow();
    await server.start();
    expect(await query(server.url, "select x from kept")).toEqual([{ x: 42 }]);
  });

  it("kill() crashes the server and start() recovers committed data", async () => {
    await query(server.url, "insert into kept values (43)");
    await server.kill();
    await expect(query(server.url, "select 1")).rejects.toThrow();
    await server.start();
    expect(await query(server.url, "select x from kept order by x")).toEqual([{ x: 42 }, { x: 43 }]);
  });

  it("createDatabase() gives an isolated database that drop() removes", async () => {
    const db = await server.createDatabase();
    expect(await query(db.url, "select current_database() as name")).toEqual([{ name: db.name }]);
    await db.drop();
    const rows = await query(server.url, `select 1 from pg_database where datname = '${db.name}'`);
    expect(rows).toEqual([]);
  });

  it("destroy() removes the cluster's files", async () => {
    const other = await startPostgres();
    await other.destroy();
    const { existsSync } = await import("node:fs");
    expect(existsSync(other.rootDir)).toBe(false);
  });
});
