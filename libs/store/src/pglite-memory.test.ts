import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "./db.js";

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The embedded database runs with the memory settings it is given (PGlite's default is
 * PostgreSQL's 128 MB of shared_buffers, about 150 MB of resident WASM heap), both on a folder it
 * creates (initdb in a thread of its own) and on one it reopens.
 */
describe("PGlite memory settings", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "uns-pglite-mem-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const settings = async (pglite: {
    sharedBuffersMb: number;
    workMemMb: number;
    maintenanceWorkMemMb: number;
  }) => {
    const db = await openDb({ pgliteDir: join(dir, "pglite"), poolSize: 1, logger: silent, pglite });
    try {
      const show = async (name: string) =>
        (await db.rows<Record<string, string>>(sql.raw(`show ${name}`)))[0]![name];
      return {
        shared: await show("shared_buffers"),
        work: await show("work_mem"),
        maintenance: await show("maintenance_work_mem"),
        database: (await db.rows<{ d: string }>(sql`select current_database() as d`))[0]!.d,
      };
    } finally {
      await db.close();
    }
  };

  it("creates the folder with them and keeps the tables in template1 (where PGlite 0.3 put them)", async () => {
    const s = await settings({ sharedBuffersMb: 8, workMemMb: 3, maintenanceWorkMemMb: 12 });
    expect(existsSync(join(dir, "pglite", "PG_VERSION"))).toBe(true);
    expect(s).toEqual({ shared: "8MB", work: "3MB", maintenance: "12MB", database: "template1" });
  });

  it("applies new settings when it reopens the folder", async () => {
    const s = await settings({ sharedBuffersMb: 24, workMemMb: 1, maintenanceWorkMemMb: 16 });
    expect(s).toEqual({ shared: "24MB", work: "1MB", maintenance: "16MB", database: "template1" });
  });
});
