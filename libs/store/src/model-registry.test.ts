// The model registry's tables, on embedded PGlite (through the store thread, as the server uses
// it) and on a real PostgreSQL server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "./index.js";
import type { ModelChange } from "./model-registry.js";
import { memoryLogger, tempDir, testPostgres } from "./test-support.js";
import { createThreadedStore } from "./threaded-store.js";
import type { Store } from "./types.js";

const version = (v: string, at: string) => ({
  name: "rsw-nugget-regression",
  version: v,
  sha256: `sha-${v}`,
  kind: "regression",
  manifestPath: `/models/rsw-nugget-regression/${v}/manifest.json`,
  manifest: { input: { channel: "weldSpot" } },
  metrics: { heldOut: { mae: 0.2 } },
  registeredAt: at,
});
const change = (id: string, over: Partial<ModelChange>): ModelChange => ({
  id,
  name: "rsw-nugget-regression",
  at: "2026-03-02T06:00:00.000Z",
  action: "deploy-live",
  version: "1.0.0",
  previous: null,
  reason: "start",
  by: "processors",
  deployment: { live: "1.0.0", canary: null, shadow: null },
  revision: 1,
  ...over,
});

describe.each(["pglite", "pg"] as const)("model registry on %s", (driver) => {
  let store: Store;
  let pg: Awaited<ReturnType<typeof testPostgres>> | null = null;
  const dirs: { remove(): Promise<void> }[] = [];
  beforeAll(async () => {
    const dir = await tempDir();
    dirs.push(dir);
    if (driver === "pglite") store = await createThreadedStore({ dataDir: dir.path });
    else {
      pg = await testPostgres();
      store = await createStore({
        dataDir: dir.path,
        databaseUrl: await pg.newDatabaseUrl(),
        logger: memoryLogger(),
      });
    }
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await pg?.close();
    for (const d of dirs) await d.remove();
  }, 60_000);

  it("keeps versions, the deployment each change left, and the history in order, each change once", async () => {
    await store.registerModelVersions([version("1.0.0", "2026-03-02T05:00:00.000Z")]);
    // Registered again (every start does): the first time seen stays, the manifest follows.
    await store.registerModelVersions([
      { ...version("1.0.0", "2026-03-02T07:00:00.000Z"), sha256: "sha-1.0.0-b" },
      version("1.1.0", "2026-03-02T05:30:00.000Z"),
    ]);
    const changes = [
      change("c1", {}),
      change("c2", {
        at: "2026-03-02T06:01:00.000Z",
        action: "deploy-canary",
        version: "1.1.0",
        previous: "1.0.0",
        reason: "try it",
        by: "admin",
        deployment: { live: "1.0.0", canary: { version: "1.1.0", share: 0.25 }, shadow: null },
        revision: 2,
      }),
    ];
    expect(await store.recordModelChanges(changes)).toBe(2);
    // A replay (the processors re-syncing their cache) changes nothing, not even the deployment.
    const rollback = change("c3", {
      at: "2026-03-02T06:02:00.000Z",
      action: "rollback-canary",
      version: "1.1.0",
      previous: "1.0.0",
      reason: "automatic: disagreement",
      deployment: { live: "1.0.0", canary: null, shadow: "1.0.0" },
      revision: 3,
    });
    expect(await store.recordModelChanges([...changes, rollback])).toBe(1);
    expect(await store.recordModelChanges(changes)).toBe(0);

    const [record] = await store.modelRegistry();
    expect(record).toMatchObject({
      name: "rsw-nugget-regression",
      live: "1.0.0",
      canary: null,
      shadow: "1.0.0",
      revision: 3,
    });
    expect(record!.versions["1.0.0"]).toMatchObject({
      sha256: "sha-1.0.0-b",
      registeredAt: "2026-03-02T05:00:00.000Z",
      metrics: { heldOut: { mae: 0.2 } },
      manifest: { input: { channel: "weldSpot" } },
    });
    expect(Object.keys(record!.versions).sort()).toEqual(["1.0.0", "1.1.0"]);
    expect(record!.history.map((h) => [h.action, h.by])).toEqual([
      ["deploy-live", "processors"],
      ["deploy-canary", "admin"],
      ["rollback-canary", "processors"],
    ]);
    expect(record!.history[1]).toEqual({
      at: "2026-03-02T06:01:00.000Z",
      action: "deploy-canary",
      version: "1.1.0",
      previous: "1.0.0",
      reason: "try it",
      by: "admin",
    });
  });

  it("returns the last changes of each model, whatever the others have", async () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      change(`other-${i}`, { name: "rsw-curve-autoencoder", reason: `n${i}`, revision: i + 1 }),
    );
    await store.recordModelChanges(many);
    const records = await store.modelRegistry(5);
    const other = records.find((r) => r.name === "rsw-curve-autoencoder")!;
    expect(other.history.map((h) => h.reason)).toEqual(["n25", "n26", "n27", "n28", "n29"]);
    expect(other.live).toBe("1.0.0");
    expect(other.versions).toEqual({});
    expect(records.find((r) => r.name === "rsw-nugget-regression")!.history).toHaveLength(3);
  });

  it("refuses a change made on a stale revision, naming the state the store holds; two writers, one wins", async () => {
    const name = "two-writers";
    await store.recordModelChanges([change("w0", { name, revision: 1 })]);
    // Both hosts saw revision 1 and change the model at once: exactly one is recorded.
    const host = (id: string, version: string) =>
      store.recordModelChanges([
        change(id, {
          name,
          action: "deploy-canary",
          version,
          by: id,
          deployment: { live: "1.0.0", canary: { version, share: 0.2 }, shadow: null },
          revision: 2,
        }),
      ]);
    const outcomes = await Promise.allSettled([host("host-a", "1.1.0"), host("host-b", "1.2.0")]);
    const won = outcomes.filter((o) => o.status === "fulfilled");
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = outcomes[0]!.status === "fulfilled" ? "1.1.0" : "1.2.0";
    expect(lost[0]!.reason).toMatchObject({ code: "UNS_ERR_STORE_MODEL_CONFLICT", statusCode: 409 });
    expect(lost[0]!.reason.message).toMatch(
      new RegExp(
        `made on revision 1, the store is at revision 2: live 1.0.0, canary ${winner.replace(/\./g, "\\.")} at 0.2, shadow none`,
      ),
    );
    // A batch with a stale change records nothing of it, not even the changes before it.
    await expect(
      store.recordModelChanges([
        change("other-ok", { name: "third", revision: 1 }),
        change("stale", { name, revision: 2 }),
      ]),
    ).rejects.toMatchObject({ code: "UNS_ERR_STORE_MODEL_CONFLICT" });
    const records = await store.modelRegistry();
    expect(records.find((r) => r.name === "third")).toBeUndefined();
    const record = records.find((r) => r.name === name)!;
    expect(record).toMatchObject({ revision: 2, canary: { version: winner, share: 0.2 } });
    expect(record.history.map((h) => h.by)).toEqual(["processors", winner === "1.1.0" ? "host-a" : "host-b"]);
  });
});
