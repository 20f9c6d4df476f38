import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { operations, routeSchema } from "@uns/api-contract";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkResponses } from "../src/api/check-responses.js";
import { installErrorHandling } from "../src/api/error-handler.js";
import { startTestServer, type TestServer } from "./helper.js";

const cursor = (s: string) => Buffer.from(s).toString("base64url");
const NUL = "%00";
const dates = ["0000-01-01T00:00:00Z", "2024-13-01T00:00:00Z", "yesterday", `2024-01-01T00:00:00Z${NUL}`];
const ints = ["1e309", "-1", "NaN", "1.5", "99999999999999999999", "0", ""];

/** [path and query, the parameter the 400 must name] */
function malformed(): [string, string][] {
  const out: [string, string][] = [];
  const windowed = [
    "/api/v1/compliance/totals",
    "/api/v1/compliance/summary?by=channel&",
    "/api/v1/compliance/timeseries",
    "/api/v1/violations",
    "/api/v1/violations/kinds",
    "/api/v1/publishers",
    "/api/v1/contracts",
    "/api/v1/topics",
  ];
  const join = (p: string, q: string) => (p.endsWith("&") ? `${p}${q}` : `${p}?${q}`);
  for (const p of windowed)
    for (const d of dates) {
      out.push([join(p, `from=${d}`), "from"]);
      out.push([join(p, `to=${d}`), "to"]);
    }
  for (const p of ["/api/v1/compliance/totals", "/api/v1/violations", "/api/v1/compliance/timeseries"])
    for (const k of ["topicPrefix", "channel", "clientId"]) out.push([join(p, `${k}=a${NUL}b`), k]);
  out.push([`/api/v1/topics?topicPrefix=acme${NUL}`, "topicPrefix"]);
  out.push([`/api/v1/violations?kind=schema${NUL}`, "kind"]);
  out.push([`/api/v1/topics/last-message?topic=acme${NUL}x`, "topic"]);
  out.push(["/api/v1/topics/last-message", "topic"]);
  for (const v of ints) {
    out.push([`/api/v1/violations?limit=${v}`, "limit"]);
    out.push([`/api/v1/publishers?limit=${v}`, "limit"]);
    out.push([`/api/v1/compliance/summary?by=level&depth=${v}`, "depth"]);
    out.push([`/api/v1/compliance/timeseries?bucketSeconds=${v}`, "bucketSeconds"]);
  }
  out.push(["/api/v1/compliance/timeseries?bucketSeconds=90", "bucketSeconds"]);
  for (const c of [
    "!!!",
    `a${NUL}`,
    cursor("v1:99999999999999999999:1"),
    cursor("v1:1:99999999999999999999"),
    cursor("v2:1:1"),
    cursor("v1:1"),
    "x".repeat(600),
  ])
    out.push([`/api/v1/violations?cursor=${c}`, "cursor"]);
  // A huge window: 0001 to 9999 in minute buckets.
  out.push([
    "/api/v1/compliance/timeseries?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z&bucketSeconds=60",
    "bucketSeconds",
  ]);
  out.push(["/api/v1/compliance/totals?from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z", "from"]);
  out.push(["/api/v1/compliance/summary?by=planet", "by"]);
  out.push(["/api/v1/compliance/summary?by=topic&sort=worst", "sort"]);
  out.push(["/api/v1/compliance/summary", "by"]);
  out.push(["/api/v1/violations/12abc", "id"]);
  out.push(["/api/v1/violations/1234567890123456789012", "id"]);
  out.push([`/api/v1/contracts/a${NUL}.yaml`, "file"]);
  out.push(["/api/v1/compliance/totals?planet=mars", "planet"]);
  return out;
}

describe("the HTTP contract", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  it("answers about 100 malformed requests with 400 naming the parameter, never 500", async () => {
    const cases = malformed();
    expect(cases.length).toBeGreaterThan(90);
    const wrong: string[] = [];
    for (const [path, param] of cases) {
      const r = await t.api<{ error?: { code: string; message: string } }>(path);
      if (
        r.status !== 400 ||
        r.body.error?.code !== "UNS_ERR_API_VALIDATION" ||
        !r.body.error.message.includes(param)
      )
        wrong.push(`${path} -> ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
    // ... and keeps answering.
    expect((await t.api("/api/v1/compliance/totals")).status).toBe(200);
    expect((await t.api("/api/v1/violations?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z")).status).toBe(
      200,
    );
  });

  it("describes every operation in OpenAPI: id, tag, success and error replies with the error shape", async () => {
    const doc = (
      await t.api<{
        paths: Record<
          string,
          Record<
            string,
            {
              operationId?: string;
              tags?: string[];
              responses?: Record<
                string,
                { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }
              >;
            }
          >
        >;
      }>("/api/v1/openapi.json")
    ).body;
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(o.operationId, where).toBeTruthy();
        expect(ids.has(o.operationId!), `${where}: operationId used twice`).toBe(false);
        ids.add(o.operationId!);
        expect(o.tags?.length, where).toBeGreaterThan(0);
        if (o.operationId === "streamEvents") continue;
        expect(Object.keys(o.responses ?? {}), where).toContain("200");
        const error = o.responses?.["500"]?.content?.["application/json"]?.schema;
        expect(error?.properties, `${where}: error reply`).toHaveProperty("error");
      }
    }
    for (const op of Object.values(operations)) expect(ids).toContain(op.operationId);
  });
});

describe("response checking (test mode)", () => {
  it("turns a reply its schema refuses into a 500 that names the route and the field", async () => {
    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
    installErrorHandling(app);
    checkResponses(app);
    let body: unknown = { timeZone: "UTC", mqttWebSocketPath: "/mqtt", version: "1" };
    app.get(operations.config.url, { schema: routeSchema(operations.config) }, async () => body as never);
    try {
      expect((await app.inject(operations.config.url)).statusCode).toBe(200);
      body = { timeZone: 5, mqttWebSocketPath: "/mqtt", version: "1" };
      const bad = await app.inject(operations.config.url);
      expect(bad.statusCode).toBe(500);
      expect(bad.json().error.code).toBe("UNS_ERR_API_RESPONSE_INVALID");
      expect(bad.json().error.message).toMatch(/GET \/api\/v1\/config .*timeZone/);
      body = { timeZone: "UTC", mqttWebSocketPath: "/mqtt", version: "1", secret: "x" };
      expect((await app.inject(operations.config.url)).statusCode).toBe(500);
    } finally {
      await app.close();
    }
  });
});
