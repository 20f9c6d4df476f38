import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderConfigDoc, renderErrorsDoc } from "../src/docs.js";
import { serverErrorCodes } from "../src/errors.js";
import { eventually, PASSWORD, startTestServer, type TestServer, weldSpot } from "./helper.js";

describe("HTTP API", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  it("reports health of broker, database and workers", async () => {
    const h = await t.api<{
      status: string;
      broker: { up: boolean };
      database: { up: boolean };
      workers: { alive: number };
    }>("/api/v1/health");
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({
      status: "ok",
      broker: { up: true },
      database: { up: true },
      workers: { alive: 2 },
    });
  });

  it("answers bad input with a JSON error naming the parameter", async () => {
    const r = await t.api<{ error: { code: string; message: string } }>(
      "/api/v1/compliance/summary?by=planet",
    );
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("UNS_ERR_API_VALIDATION");
    expect(r.body.error.message).toMatch(/by/);
    const nf = await t.api<{ error: { code: string } }>("/api/v1/violations/999999");
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe("UNS_ERR_API_NOT_FOUND");
    const bad = await t.api<{ error: { code: string } }>("/api/v1/violations?limit=100000");
    expect(bad.status).toBe(400);
  });

  it("serves summaries by channel, publisher and topic level, and pages violations with a cursor", async () => {
    const pub = await t.connect("device", { clientId: "api-pub" });
    for (let i = 0; i < 12; i++) {
      await pub.publishAsync(
        `acme/plant-a/body-shop/line-0${(i % 3) + 1}/cell-01/weld-spot`,
        JSON.stringify(weldSpot(i % 2 ? { currentKA: -5 } : {})),
        { qos: 1 },
      );
    }
    const byChannel = await eventually(
      () =>
        t
          .api<{ rows: { key: string; total: number; invalid: number }[] }>(
            "/api/v1/compliance/summary?by=channel",
          )
          .then((r) => r.body.rows),
      (rows) => rows.find((r) => r.key === "weldSpot")?.total === 12,
    );
    expect(byChannel.find((r) => r.key === "weldSpot")!.invalid).toBe(6);
    const byLine = await t.api<{ rows: { key: string; total: number }[] }>(
      "/api/v1/compliance/summary?by=level&depth=4",
    );
    expect(byLine.body.rows.map((r) => r.key).sort()).toEqual([
      "acme/plant-a/body-shop/line-01",
      "acme/plant-a/body-shop/line-02",
      "acme/plant-a/body-shop/line-03",
    ]);
    const pubs = await t.api<{ rows: { clientId: string; invalid: number }[] }>("/api/v1/publishers");
    expect(pubs.body.rows.find((r) => r.clientId === "api-pub")!.invalid).toBe(6);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await t.api(
        `/api/v1/violations?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      seen.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(6);
    expect(new Set(seen).size).toBe(6);
    const ts = await t.api<{ points: { valid: number; invalid: number }[] }>("/api/v1/compliance/timeseries");
    expect(ts.body.points.reduce((s, p) => s + p.valid + p.invalid, 0)).toBe(12);
  });

  it("lists contracts, the topic tree, users without hashes, OpenAPI and Prometheus metrics", async () => {
    const c = await t.api<{ channels: { id: string }[]; documents: { file: string }[] }>("/api/v1/contracts");
    expect(c.body.channels.map((x) => x.id).sort()).toEqual(["lineState", "weldSpot"]);
    const tree = await t.api<{ tree: unknown; leaves: unknown[] }>("/api/v1/topics");
    expect(tree.status).toBe(200);
    expect(tree.body.leaves.length).toBeGreaterThan(0);
    const users = await t.api<{ users: unknown[] }>("/api/v1/users");
    expect(JSON.stringify(users.body)).not.toMatch(/scrypt/);
    expect(users.body.users.length).toBe(4);
    const openapi = await t.api<{ openapi: string; paths: Record<string, unknown> }>("/api/v1/openapi.json");
    expect(openapi.body.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.body.paths)).toContain("/api/v1/violations");
    const metrics = await t.api<string>("/metrics");
    for (const name of [
      "uns_messages_total",
      "uns_validation_queue_depth",
      "uns_validation_queue_bytes",
      "uns_worker_utilisation_ratio",
      "uns_validation_latency_seconds",
      "uns_db_write_lag_seconds",
      "uns_violations_total",
      "process_cpu_seconds_total",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(metrics.body).toContain(name);
    }
    // Prometheus conventions: `_total` only on counters (ours; prom-client has one gauge of its own).
    for (const m of (metrics.body as string).matchAll(/^# TYPE (uns_\S+_total) (\w+)$/gm))
      expect(m[2], m[1]).toBe("counter");
  });

  it("streams new violations and rates as server-sent events", async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${t.httpUrl}/api/v1/stream`, {
      signal: ctrl.signal,
      headers: { authorization: `Basic ${Buffer.from(`viewer:${PASSWORD}`).toString("base64")}` },
    });
    const reader = res.body!.getReader();
    let text = "";
    const pub = await t.connect("device", { clientId: "sse-pub" });
    await pub.publishAsync(
      "acme/plant-a/body-shop/line-01/cell-01/weld-spot",
      JSON.stringify(weldSpot({ currentKA: -1 })),
      { qos: 1 },
    );
    const until = Date.now() + 5000;
    while (Date.now() < until && !(text.includes("event: violation") && text.includes("event: rates"))) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    ctrl.abort();
    expect(text).toContain("event: violation");
    expect(text).toContain("sse-pub");
    expect(text).toContain("event: rates");
  });

  it("narrows publishers to a subtree and channel, sorts summaries, charts one publisher and lists violation kinds", async () => {
    // plant-b only, so that the counts of the tests above do not mix in.
    const weld = (line: number) => `acme/plant-b/body-shop/line-0${line}/cell-02/weld-spot`;
    const notes = "acme/plant-b/body-shop/line-01/cell-02/notes"; // a leaf without channel
    const a = await t.connect("device", { clientId: "narrow-a" });
    const b = await t.connect("device", { clientId: "narrow-b" });
    for (let i = 0; i < 5; i++) await a.publishAsync(weld(1), JSON.stringify(weldSpot()), { qos: 1 });
    await a.publishAsync(weld(1), JSON.stringify(weldSpot({ currentKA: -1 })), { qos: 1 });
    await a.publishAsync(notes, "free text", { qos: 1 });
    await b.publishAsync(weld(2), JSON.stringify(weldSpot()), { qos: 1 });
    for (let i = 0; i < 2; i++)
      await b.publishAsync(weld(2), JSON.stringify(weldSpot({ currentKA: -1 })), { qos: 1 });
    await b.publishAsync(weld(2), "not json", { qos: 1 });

    type Pubs = { rows: { clientId: string; messages: number; invalid: number }[] };
    const pubs = (query: string) =>
      t
        .api<Pubs>(`/api/v1/publishers?${query}`)
        .then((r) => r.body.rows.map((p) => [p.clientId, p.messages, p.invalid]));
    expect(
      await eventually(
        () => pubs("topicPrefix=acme/plant-b/"),
        (rows) => rows.reduce((n, r) => n + Number(r[1]), 0) === 11,
      ),
    ).toEqual([
      ["narrow-b", 4, 3],
      ["narrow-a", 7, 1],
    ]);
    expect(await pubs("topicPrefix=acme/plant-b/&channel=weldSpot")).toEqual([
      ["narrow-b", 4, 3],
      ["narrow-a", 6, 1],
    ]);
    expect(await pubs("topicPrefix=acme/plant-b/body-shop/line-01/&sort=messages")).toEqual([
      ["narrow-a", 7, 1],
    ]);

    type Summary = { sort: string; rows: { key: string; complianceRate: number | null }[] };
    const summary = (sort: string, limit?: number) =>
      t
        .api<Summary>(
          `/api/v1/compliance/summary?by=topic&topicPrefix=acme/plant-b/${sort ? `&sort=${sort}` : ""}${limit ? `&limit=${limit}` : ""}`,
        )
        .then((r) => r.body);
    expect((await summary("")).rows.map((r) => r.key)).toEqual([weld(1), weld(2), notes]);
    expect((await summary("invalid", 1)).rows.map((r) => r.key)).toEqual([weld(2)]);
    const worst = await summary("complianceRate");
    expect(worst.sort).toBe("complianceRate");
    expect(worst.rows.map((r) => [r.key, r.complianceRate])).toEqual([
      [weld(2), 0.25],
      [weld(1), 5 / 6],
      [notes, null],
    ]);
    const badSort = await t.api<{ error: { code: string; message: string } }>(
      "/api/v1/compliance/summary?by=topic&sort=worst",
    );
    expect(badSort.status).toBe(400);
    expect(badSort.body.error.message).toMatch(/sort/);

    const series = await t.api<{ points: { valid: number; invalid: number }[] }>(
      "/api/v1/compliance/timeseries?clientId=narrow-b",
    );
    expect(series.body.points.reduce((n, p) => n + p.valid + p.invalid, 0)).toBe(4);
    expect(series.body.points.reduce((n, p) => n + p.invalid, 0)).toBe(3);

    const kinds = await eventually(
      () =>
        t
          .api<{ kinds: { kind: string; count: number }[] }>("/api/v1/violations/kinds")
          .then((r) => r.body.kinds),
      (ks) => ks.some((k) => k.kind === "not-json"),
    );
    expect(kinds.find((k) => k.kind === "not-json")?.count).toBe(1);
    expect(kinds[0]).toMatchObject({ kind: "schema" });
    expect(kinds.map((k) => k.count)).toEqual(kinds.map((k) => k.count).sort((x, y) => y - x));
    const empty = await t.api<{ kinds: unknown[] }>(
      "/api/v1/violations/kinds?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z",
    );
    expect(empty.body.kinds).toEqual([]);
    const reversed = await t.api<{ error: { code: string } }>(
      "/api/v1/violations/kinds?from=2020-01-02T00:00:00Z&to=2020-01-01T00:00:00Z",
    );
    expect(reversed.status).toBe(400);
    const openapi = await t.api<{ paths: Record<string, unknown> }>("/api/v1/openapi.json");
    expect(Object.keys(openapi.body.paths)).toContain("/api/v1/violations/kinds");
  });
});

describe("generated docs", () => {
  it("docs/errors.md lists every error code of the server and the libraries (regenerate with `pnpm uns docs`)", () => {
    const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    expect(doc).toBe(renderErrorsDoc());
    for (const code of Object.keys(serverErrorCodes)) expect(doc).toContain(`\`${code}\``);
  });
  it("docs/configuration.md lists every setting (regenerate with `pnpm uns docs`)", () => {
    expect(readFileSync(new URL("../../../docs/configuration.md", import.meta.url), "utf8")).toBe(
      renderConfigDoc(),
    );
  });

  it("docs/errors.md lists every UNS_ERR_* code used anywhere in the tree's sources", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    // The processors are their own process with their own generated reference; docs/errors.md links it.
    const doc =
      readFileSync(join(root, "docs/errors.md"), "utf8") +
      readFileSync(join(root, "apps/processors/docs/reference.md"), "utf8");
    const used = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|tsx|mjs)$/.test(name))
          for (const m of readFileSync(path, "utf8").matchAll(
            /UNS_ERR_[A-Z0-9]+(?:_[A-Z0-9]+)+(?![A-Z0-9_])/g,
          ))
            if (!used.has(m[0])) used.set(m[0], path.slice(root.length));
      }
    };
    for (const top of ["apps", "libs"]) walk(join(root, top));
    expect(used.size).toBeGreaterThan(40);
    const missing = [...used].filter(([code]) => !doc.includes(`\`${code}\``)).map(([c, f]) => `${c} (${f})`);
    expect(missing).toEqual([]);
  });
});
