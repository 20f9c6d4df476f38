// One suite, run against both drivers: embedded PGlite and a real PostgreSQL server.
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "@uns/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "./index.js";
import {
  memoryLogger,
  outcome,
  spoolFiles,
  tempDir,
  testPostgres,
  violation,
  waitFor,
  weldTopic,
} from "./test-support.js";
import type { Store, StoreOptions } from "./types.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hour = 3_600_000;
const thisHour = Math.floor(Date.now() / hour) * hour;
let nextSlot = 1;
/** A window of its own for each test (an hour in the last days), so tests can share one store. */
function slot(): { base: number; from: Date; to: Date } {
  const base = thisHour - nextSlot++ * hour;
  return { base, from: new Date(base), to: new Date(base + hour) };
}

type Driver = "pglite" | "pg";

// Creating a PGlite cluster runs initdb in WebAssembly (seconds on a busy machine); tests copy one
// freshly created and migrated data dir instead, which is what a new store would hold.
let template: Promise<string> | null = null;
const templateDirs: string[] = [];
function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const tmp = await tempDir("uns-store-template-");
    templateDirs.push(tmp.path);
    const s = await createStore({ dataDir: tmp.path, logger: memoryLogger() });
    await s.close();
    return tmp.path;
  })();
  return template;
}

afterAll(async () => {
  for (const dir of templateDirs) await rm(dir, { recursive: true, force: true });
});

describe.each<Driver>(["pglite", "pg"])("store on %s", (driver) => {
  let pg: Awaited<ReturnType<typeof testPostgres>> | null = null;
  const cleanups: (() => Promise<void>)[] = [];
  let store: Store;

  /** A new data dir (holding a new PGlite database for the pglite driver). */
  async function freshDir(): Promise<string> {
    const tmp = await tempDir();
    cleanups.push(tmp.remove);
    if (driver === "pglite") {
      await cp(join(await pgliteTemplate(), "pglite"), join(tmp.path, "pglite"), { recursive: true });
    }
    return tmp.path;
  }

  /** A new store with its own data dir (and its own database for pg). */
  async function open(extra: Partial<StoreOptions> = {}, dataDir?: string): Promise<Store> {
    const dir = dataDir ?? (await freshDir());
    const s = await createStore({
      dataDir: dir,
      databaseUrl: driver === "pg" ? await pg!.newDatabaseUrl() : undefined,
      flushIntervalMs: 50,
      retryMinMs: 50,
      retryMaxMs: 200,
      logger: memoryLogger(),
      ...extra,
    });
    cleanups.push(() => s.close());
    return s;
  }

  beforeAll(async () => {
    if (driver === "pg") pg = await testPostgres();
    store = await open();
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await pg?.close();
  });

  it("writes at most every writeIntervalMs, the batches cut in between merged into one write", async () => {
    const s = await open({ flushIntervalMs: 20, writeIntervalMs: 3000 });
    const { base, from, to } = slot();
    const topic = weldTopic(1, 1);
    const total = async () => (await s.totals({ from, to })).total;
    // The first batch goes at once (nothing was written for writeIntervalMs)...
    for (let i = 0; i < 4; i++) s.record(outcome({ time: base + 1000 + i, topic }));
    await waitFor("the first batch", async () => (await total()) === 4);
    // ...the next ones wait for the interval: several cuts (20 ms apart), no write yet.
    const cutAt = Date.now();
    for (let wave = 0; wave < 3; wave++) {
      for (let i = 0; i < 5; i++) s.record(outcome({ time: base + 2000 + wave * 10 + i, topic }));
      await sleep(60);
    }
    if (Date.now() - cutAt < 2000) expect(await total()).toBe(4);
    expect(s.health().pending).toBeGreaterThanOrEqual(1);
    await waitFor("the merged write", async () => (await total()) === 19, { timeoutMs: 10_000 });
  });

  it("holds many small batches for one write (group commit cuts hundreds a second)", async () => {
    const s = await open({ flushIntervalMs: 10, writeIntervalMs: 3000 });
    const { base, from, to } = slot();
    const topic = weldTopic(1, 2);
    const total = async () => (await s.totals({ from, to })).total;
    s.record(outcome({ time: base + 1000, topic }));
    await waitFor("the first batch", async () => (await total()) === 1);
    // Far more batches than a count of 8 would hold, far fewer rows than 8 full batches.
    const cutAt = Date.now();
    for (let wave = 0; wave < 24; wave++) {
      s.record(outcome({ time: base + 2000 + wave, topic }));
      await sleep(25);
    }
    if (Date.now() - cutAt < 2000) {
      expect(await total()).toBe(1);
      expect(s.health().pending).toBe(24);
    }
    await waitFor("the merged write", async () => (await total()) === 25, { timeoutMs: 10_000 });
  });

  it("counts every outcome and answers the summary queries", async () => {
    const { base, from, to } = slot();
    const t = (min: number) => base + min * 60_000 + 1_000;
    const l1 = weldTopic(1, 1);
    const l2 = weldTopic(2, 3);
    for (let i = 0; i < 10; i++) store.record(outcome({ time: t(0), topic: l1, clientId: "c1" }));
    for (let i = 0; i < 3; i++) store.record(violation({ time: t(1), topic: l1, clientId: "c1" }));
    for (let i = 0; i < 5; i++) store.record(outcome({ time: t(2), topic: l2, clientId: "c2" }));
    store.record(violation({ time: t(2), topic: l2, clientId: "c2" }));
    store.record(
      outcome({
        time: t(3),
        topic: "acme/other",
        channel: null,
        contract: null,
        outcome: "unvalidated",
        clientId: "c2",
      }),
    );
    store.record(
      outcome({
        time: t(59),
        topic: "lab/x",
        channel: null,
        contract: null,
        outcome: "ungoverned",
        clientId: "c3",
      }),
    );
    // outside the window: not counted
    store.record(outcome({ time: base + hour + 1, topic: l1, clientId: "c1" }));
    await store.flush();

    expect(await store.totals({ from, to })).toEqual({
      valid: 15,
      invalid: 4,
      unvalidated: 1,
      ungoverned: 1,
      total: 21,
    });
    expect(await store.totals({ from, to, channel: "weldSpot", clientId: "c2" })).toMatchObject({
      valid: 5,
      invalid: 1,
      total: 6,
    });
    expect(await store.totals({ from, to, topicPrefix: "acme/neckarsulm/body-shop/line-02/" })).toMatchObject(
      {
        total: 6,
      },
    );

    const byChannel = await store.summaryBy({ from, to, by: "channel" });
    expect(byChannel).toEqual([
      {
        key: "weldSpot",
        valid: 15,
        invalid: 4,
        unvalidated: 0,
        ungoverned: 0,
        total: 19,
        complianceRate: 15 / 19,
      },
      { key: null, valid: 0, invalid: 0, unvalidated: 1, ungoverned: 1, total: 2, complianceRate: null },
    ]);
    const byLevel = await store.summaryBy({ from, to, by: "level", depth: 4 });
    expect(byLevel.map((r) => [r.key, r.total])).toEqual([
      ["acme/neckarsulm/body-shop/line-01", 13],
      ["acme/neckarsulm/body-shop/line-02", 6],
      ["acme/other", 1],
      ["lab/x", 1],
    ]);
    const byPublisher = await store.summaryBy({ from, to, by: "publisher", limit: 1 });
    expect(byPublisher).toMatchObject([{ key: "c1", total: 13, valid: 10, invalid: 3 }]);
    const byTopic = await store.summaryBy({ from, to, by: "topic", topicPrefix: "acme/neckarsulm/" });
    expect(byTopic.map((r) => r.key)).toEqual([l1, l2]);
    // One topic's own trend: exactly the topic, where a prefix would take in any subtopic.
    const sum = (ps: { valid: number; invalid: number; unvalidated: number; ungoverned: number }[]) =>
      ps.reduce((n, p) => n + p.valid + p.invalid + p.unvalidated + p.ungoverned, 0);
    expect(sum(await store.timeseries({ from, to, bucketSeconds: 120, topic: l1 }))).toBe(byTopic[0]!.total);
    expect(sum(await store.timeseries({ from, to, bucketSeconds: 120, topic: "acme/neckarsulm" }))).toBe(0);
    expect(
      sum(await store.timeseries({ from, to, bucketSeconds: 120, topicPrefix: "acme/neckarsulm" })),
    ).toBe(byTopic[0]!.total + byTopic[1]!.total);

    const series = await store.timeseries({ from, to, bucketSeconds: 120 });
    expect(series).toHaveLength(30);
    expect(series[0]).toEqual({
      t: new Date(base).toISOString(),
      valid: 10,
      invalid: 3,
      unvalidated: 0,
      ungoverned: 0,
    });
    expect(series[1]).toEqual({
      t: new Date(base + 120_000).toISOString(),
      valid: 5,
      invalid: 1,
      unvalidated: 1,
      ungoverned: 0,
    });
    expect(series[29]).toMatchObject({ ungoverned: 1 });
    expect(series.slice(2, 29).every((p) => p.valid + p.invalid + p.unvalidated + p.ungoverned === 0)).toBe(
      true,
    );

    const topics = await store.topics({ from, to, topicPrefix: "acme/" });
    expect(topics.map((r) => [r.topic, r.total])).toEqual([
      [l1, 13],
      [l2, 6],
      ["acme/other", 1],
    ]);
    expect(topics[0]?.lastMessageAt).toBe(new Date(base + hour + 1).toISOString());

    const pubs = await store.publishers({ from, to, sort: "invalidShare" });
    expect(pubs.map((p) => [p.clientId, p.messages, p.invalid])).toEqual([
      ["c1", 13, 3],
      ["c2", 7, 1],
      ["c3", 1, 0],
    ]);
    expect(pubs[0]).toMatchObject({
      username: "device",
      invalidShare: 3 / 13,
      channels: ["weldSpot"],
      firstViolation: new Date(t(1)).toISOString(),
    });
    expect(pubs[2]).toMatchObject({ firstViolation: null, lastViolation: null, channels: [] });
    expect((await store.publishers({ from, to, sort: "messages", limit: 1 }))[0]?.clientId).toBe("c1");

    const last = await store.lastMessage("lab/x");
    expect(last).toMatchObject({ topic: "lab/x", clientId: "c3", outcome: "ungoverned", channel: null });
    expect(await store.lastMessage("no/such/topic")).toBeNull();
    expect(store.health()).toMatchObject({
      up: true,
      driver,
      pending: 0,
      spooledBatches: 0,
      droppedBatches: 0,
    });
  });

  it("narrows publishers to a subtree and channel, sorts summaries worst first, charts one publisher, lists violation kinds", async () => {
    const { base, from, to } = slot();
    const t = (min: number) => base + min * 60_000 + 1_000;
    const l1 = weldTopic(1, 1);
    const l2 = weldTopic(2, 1);
    const image = "acme/neckarsulm/body-shop/line-01/cell-01/image-event";
    // p1: 10 valid + 1 invalid on line 1, and 4 invalid image events there.
    for (let i = 0; i < 10; i++) store.record(outcome({ time: t(0), topic: l1, clientId: "p1" }));
    store.record(violation({ time: t(0), topic: l1, clientId: "p1" }));
    for (let i = 0; i < 4; i++)
      store.record(
        violation({ time: t(2), topic: image, channel: "imageEvent", kind: "not-json", clientId: "p1" }),
      );
    // p2: 2 valid + 2 invalid on line 2, one refused (acl) outside any channel.
    for (let i = 0; i < 2; i++) store.record(outcome({ time: t(1), topic: l2, clientId: "p2" }));
    for (let i = 0; i < 2; i++) store.record(violation({ time: t(1), topic: l2, clientId: "p2" }));
    store.record(
      violation({ time: t(1), topic: "kinds/x", channel: null, contract: null, kind: "acl", clientId: "p2" }),
    );
    // unvalidated only: no compliance rate
    for (let i = 0; i < 50; i++)
      store.record(outcome({ time: t(3), topic: "kinds/y", outcome: "unvalidated", clientId: "p3" }));
    // outside the window: not a kind of this window
    store.record(violation({ time: base + hour + 1, kind: "too-large", clientId: "p3" }));
    await store.flush();

    // publishers: counts within the subtree / channel only
    const pubs = async (q: { topicPrefix?: string; channel?: string }) =>
      (await store.publishers({ from, to, ...q })).map((p) => [p.clientId, p.messages, p.invalid]);
    expect(await pubs({})).toEqual([
      ["p1", 15, 5],
      ["p2", 5, 3],
      ["p3", 50, 0],
    ]);
    expect(await pubs({ topicPrefix: "acme/neckarsulm/body-shop/line-02/" })).toEqual([["p2", 4, 2]]);
    expect(await pubs({ channel: "imageEvent" })).toEqual([["p1", 4, 4]]);
    expect(await pubs({ topicPrefix: "acme/neckarsulm/body-shop/line-01/", channel: "weldSpot" })).toEqual([
      ["p1", 11, 1],
    ]);
    expect(await pubs({ channel: "" })).toEqual([["p2", 1, 1]]);
    // the all-time columns are not narrowed
    expect((await store.publishers({ from, to, channel: "weldSpot" }))[0]).toMatchObject({
      clientId: "p2",
      channels: ["weldSpot"],
    });

    // summary sorts: total (default), invalid, complianceRate (worst first, null last)
    const keys = async (sort?: "total" | "invalid" | "complianceRate", limit?: number) =>
      (await store.summaryBy({ from, to, by: "topic", sort, limit })).map((r) => r.key);
    expect(await keys()).toEqual(["kinds/y", l1, image, l2, "kinds/x"]);
    expect(await keys("total")).toEqual(await keys());
    expect(await keys("invalid")).toEqual([image, l2, l1, "kinds/x", "kinds/y"]);
    // image and kinds/x are both 0 %: the larger total first
    expect(await keys("complianceRate")).toEqual([image, "kinds/x", l2, l1, "kinds/y"]);
    expect(await keys("complianceRate", 2)).toEqual([image, "kinds/x"]);
    await expect(store.summaryBy({ from, to, by: "topic", sort: "worst" as never })).rejects.toMatchObject({
      code: "UNS_ERR_STORE_ARGUMENT",
    });

    // timeseries of one publisher
    const series = await store.timeseries({ from, to, bucketSeconds: 60, clientId: "p2" });
    expect(series).toHaveLength(60);
    expect(series[1]).toMatchObject({ valid: 2, invalid: 3 });
    expect(series.reduce((n, p) => n + p.valid + p.invalid + p.unvalidated + p.ungoverned, 0)).toBe(5);

    // kinds present in the window, most frequent first
    expect(await store.violationKinds({ from, to })).toEqual([
      { kind: "not-json", count: 4 },
      { kind: "schema", count: 3 },
      { kind: "acl", count: 1 },
    ]);
    expect(await store.violationKinds({ from: new Date(0), to: new Date(hour) })).toEqual([]);
    await expect(store.violationKinds({ from: to, to: from })).rejects.toMatchObject({
      code: "UNS_ERR_STORE_ARGUMENT",
    });
  });

  it("adds to counts written by earlier batches (upsert)", async () => {
    const { base, from, to } = slot();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 7; i++) store.record(outcome({ time: base + 5_000, clientId: "up" }));
      store.record(violation({ time: base + 5_000, clientId: "up" }));
      await store.flush();
    }
    expect(await store.totals({ from, to, clientId: "up" })).toMatchObject({
      valid: 21,
      invalid: 3,
      total: 24,
    });
  });

  it("pages violations newest first with a keyset cursor, every row exactly once", async () => {
    const { base, from, to } = slot();
    const n = 1234;
    for (let i = 0; i < n; i++) {
      // 7 rows share each millisecond, so ties on time are broken by id
      store.record(
        violation({
          time: base + Math.floor(i / 7) * 1000,
          clientId: `pager-${i % 3}`,
          payload: new TextEncoder().encode(`{"i":${i}}`),
        }),
      );
    }
    await store.flush();
    const seen: { id: bigint; time: string }[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listViolations({ from, to, limit: 100, cursor });
      pages++;
      seen.push(...page.items.map((v) => ({ id: BigInt(v.id), time: v.time })));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toBe(13);
    expect(seen).toHaveLength(n);
    expect(new Set(seen.map((s) => s.id)).size).toBe(n);
    for (let i = 1; i < seen.length; i++) {
      const a = seen[i - 1]!;
      const b = seen[i]!;
      expect(a.time > b.time || (a.time === b.time && a.id > b.id), `row ${i} out of order`).toBe(true);
    }
    // with a filter
    let filtered = 0;
    cursor = undefined;
    do {
      const page = await store.listViolations({ from, to, clientId: "pager-1", limit: 500, cursor });
      expect(page.items.every((v) => v.clientId === "pager-1")).toBe(true);
      filtered += page.items.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(filtered).toBe(Math.floor(n / 3));
    const first = await store.listViolations({ from, to, limit: 1 });
    expect(first.items[0]).toMatchObject({
      kind: "schema",
      channel: "weldSpot",
      contractFile: "asyncapi/weld.yaml",
      contractVersion: "1.0.0",
      messageName: "WeldSpot",
      policy: "enforce",
      errors: [{ instancePath: "/current", keyword: "type", params: { type: "number" } }],
    });
    expect(first.items[0]).not.toHaveProperty("payload");
    await expect(store.listViolations({ cursor: "not-a-cursor" })).rejects.toMatchObject({
      code: "UNS_ERR_STORE_CURSOR",
    });
    await expect(store.listViolations({ limit: 0 })).rejects.toMatchObject({
      code: "UNS_ERR_STORE_ARGUMENT",
    });
  });

  it("treats % and _ in a topic prefix literally", async () => {
    const { base, from, to } = slot();
    for (const topic of ["pct/a_b/1", "pct/axb/1", "pct/100%/1", "pct/100x/1"]) {
      store.record(violation({ time: base + 1000, topic }));
    }
    await store.flush();
    const topicsOf = async (topicPrefix: string) =>
      (await store.listViolations({ from, to, topicPrefix })).items.map((v) => v.topic).sort();
    expect(await topicsOf("pct/a_b")).toEqual(["pct/a_b/1"]);
    expect(await topicsOf("pct/100%")).toEqual(["pct/100%/1"]);
    expect(await topicsOf("pct/")).toHaveLength(4);
    expect((await store.totals({ from, to, topicPrefix: "pct/a_" })).total).toBe(1);
  });

  it("caps stored payloads but keeps their full size", async () => {
    const s = await open({ payloadCapBytes: 1024 });
    const { base } = slot();
    const big = new TextEncoder().encode(JSON.stringify({ blob: "x".repeat(5000) }));
    const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x01]);
    s.record(violation({ time: base, topic: "cap/big", payload: big, payloadSize: big.byteLength }));
    s.record(violation({ time: base + 1, topic: "cap/bin", payload: binary, payloadSize: 4 }));
    await s.flush();
    const page = await s.listViolations({});
    const bigItem = page.items.find((v) => v.topic === "cap/big")!;
    expect(bigItem).toMatchObject({ payloadSize: big.byteLength, payloadTruncated: true });
    const detail = await s.getViolation(bigItem.id);
    expect(Buffer.from(detail!.payloadBase64, "base64")).toEqual(Buffer.from(big.subarray(0, 1024)));
    expect(detail!.payloadText).toBe(new TextDecoder().decode(big.subarray(0, 1024)));
    const bin = await s.getViolation(page.items.find((v) => v.topic === "cap/bin")!.id);
    expect(bin).toMatchObject({ payloadSize: 4, payloadTruncated: false, payloadBase64: "//4AAQ==" });
    expect(bin!.payloadText).toBeUndefined();
    expect(await s.lastMessage("cap/big")).toMatchObject({
      payloadSize: big.byteLength,
      payloadTruncated: true,
    });
    expect(await s.getViolation("999999999")).toBeNull();
  });

  it("finds the same error elsewhere, grouped by publisher and topic", async () => {
    const s = await open();
    const { base } = slot();
    const ref = { time: base, topic: weldTopic(1, 1), clientId: "a" };
    s.record(violation(ref));
    for (let i = 0; i < 4; i++)
      s.record(violation({ time: base + i, topic: weldTopic(1, 1), clientId: "a" }));
    for (let i = 0; i < 2; i++)
      s.record(violation({ time: base + i, topic: weldTopic(1, 2), clientId: "b" }));
    // other error, other channel: not similar
    s.record(
      violation({
        time: base,
        clientId: "c",
        errors: [{ instancePath: "/x", keyword: "required", message: "m" }],
      }),
    );
    s.record(violation({ time: base, clientId: "d", channel: "imageEvent" }));
    await s.flush();
    const all = (await s.listViolations({ limit: 500 })).items;
    const refId = all.find((v) => v.clientId === "a" && v.time === new Date(base).toISOString())!.id;
    const similar = await s.similarViolations(refId, 10);
    expect(similar).toMatchObject({
      channel: "weldSpot",
      kind: "schema",
      error: { instancePath: "/current", keyword: "type" },
      total: 6,
      clients: 2,
      topics: 2,
      groups: [
        { clientId: "a", topic: weldTopic(1, 1), count: 4 },
        { clientId: "b", topic: weldTopic(1, 2), count: 2 },
      ],
    });
    expect(await s.similarViolations("424242")).toBeNull();
  });

  it("keeps contract history once per (file, hash)", async () => {
    const s = store;
    const doc = { file: "asyncapi/weld.yaml", title: "Weld", version: "1.0.0", asyncapiVersion: "3.0.0" };
    await s.recordContracts([{ ...doc, hash: "h1", text: "asyncapi: 3.0.0 # v1" }]);
    await s.recordContracts([{ ...doc, hash: "h1", text: "asyncapi: 3.0.0 # v1" }]);
    await s.recordContracts([{ ...doc, version: "1.1.0", hash: "h2", text: "asyncapi: 3.0.0 # v2" }]);
    const history = await s.contracts();
    expect(history.map((c) => [c.version, c.hash])).toEqual([
      ["1.1.0", "h2"],
      ["1.0.0", "h1"],
    ]);
    expect(history[0]).toMatchObject({ file: "asyncapi/weld.yaml", asyncapiVersion: "3.0.0" });
    expect(await s.contractDocument(history[1]!.id)).toBe("asyncapi: 3.0.0 # v1");
  });

  it("retention deletes violations and counts older than retentionDays", async () => {
    const s = await open({ retentionDays: 30 });
    const now = Date.now();
    const old = now - 40 * 24 * hour;
    for (let i = 0; i < 5; i++) s.record(violation({ time: old + i * 60_000 }));
    s.record(outcome({ time: old }));
    s.record(violation({ time: now - 1000 }));
    s.record(outcome({ time: now - 1000 }));
    await s.flush();
    const r = await s.runRetention(new Date(now));
    expect(r).toMatchObject({ violations: 5, counts: 5 });
    const all = new Date(0);
    const far = new Date(now + hour);
    expect(await s.totals({ from: all, to: far })).toMatchObject({ valid: 1, invalid: 1, total: 2 });
    expect((await s.listViolations({})).items).toHaveLength(1);
  });

  it("never throws from record(), whatever it is given", async () => {
    const s = store;
    expect(() => s.record(null as never)).not.toThrow();
    expect(() => s.record({} as never)).not.toThrow();
    const { base, from, to } = slot();
    // a NUL in error params (echoed from a payload key) and an absurd payloadSize must not poison a batch
    s.record(
      violation({
        time: base,
        payloadSize: 2 ** 40,
        errors: [
          {
            instancePath: "",
            keyword: "additionalProperties",
            message: "m",
            params: { "a\u0000b": "x\u0000" },
          },
        ],
      }),
    );
    await s.flush();
    expect((await s.totals({ from, to })).invalid).toBe(1);
    expect(s.health()).toMatchObject({ up: true, droppedBatches: 0 });
  });

  it("replays spool files left by an earlier process, once", async () => {
    const dir = await freshDir();
    const sameDb = { databaseUrl: driver === "pg" ? await pg!.newDatabaseUrl() : undefined };
    const { base, from, to } = slot();
    // 1st process: the database is unreachable, so everything goes to the spool.
    const dead = await createStore({
      dataDir: dir,
      databaseUrl: `postgresql://postgres@127.0.0.1:${await freePort()}/none`,
      flushIntervalMs: 50,
      logger: memoryLogger(),
    });
    expect(dead.health()).toMatchObject({ up: false, driver: "pg" });
    for (let i = 0; i < 50; i++) dead.record(outcome({ time: base + i * 1000, clientId: "replayed" }));
    await dead.flush();
    for (let i = 0; i < 20; i++) dead.record(violation({ time: base + i * 1000, clientId: "replayed" }));
    await dead.close();
    const files = await spoolFiles(dir);
    expect(files.length).toBeGreaterThanOrEqual(2);
    const copy = await readFile(join(dir, "spool", files[0]!));

    // 2nd process on the same data dir: replays the spool, then deletes it.
    const s = await open(sameDb, dir);
    await waitFor("spool replay", () => s.health().spooledBatches === 0);
    expect(await spoolFiles(dir)).toEqual([]);
    expect(await s.totals({ from, to, clientId: "replayed" })).toMatchObject({
      valid: 50,
      invalid: 20,
      total: 70,
    });
    expect((await s.listViolations({ clientId: "replayed", limit: 500 })).items).toHaveLength(20);
    await s.close();

    // The same file replayed again (say the process died before deleting it) adds nothing.
    await writeFile(join(dir, "spool", files[0]!), copy);
    const again = await open(sameDb, dir);
    await waitFor("second replay", () => again.health().spooledBatches === 0);
    expect(await again.totals({ from, to, clientId: "replayed" })).toMatchObject({ total: 70 });
  });
});

describe("PGlite on disk", () => {
  it("keeps its data across closing and reopening the store", async () => {
    const tmp = await tempDir();
    try {
      await cp(join(await pgliteTemplate(), "pglite"), join(tmp.path, "pglite"), { recursive: true });
      const { base, from, to } = slot();
      const first = await createStore({ dataDir: tmp.path, logger: memoryLogger() });
      for (let i = 0; i < 30; i++) first.record(outcome({ time: base + i }));
      for (let i = 0; i < 4; i++) first.record(violation({ time: base + i }));
      await first.recordContracts([
        { file: "a.yaml", title: "A", version: "1", asyncapiVersion: "3.0.0", hash: "x", text: "t" },
      ]);
      await first.close();

      const second = await createStore({ dataDir: tmp.path, logger: memoryLogger() });
      try {
        expect(await second.totals({ from, to })).toMatchObject({ valid: 30, invalid: 4, total: 34 });
        expect((await second.listViolations({ from, to })).items).toHaveLength(4);
        expect(await second.contracts()).toHaveLength(1);
        expect(second.health()).toMatchObject({ driver: "pglite", up: true });
      } finally {
        await second.close();
      }
    } finally {
      await tmp.remove();
    }
  });
});
