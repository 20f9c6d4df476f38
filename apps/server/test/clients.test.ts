// The Clients API and the exports on a real server: a client appears with its user, roles,
// subscriptions and rates; disconnects carry their reason (clean, keep-alive timeout, will sent,
// admin); a refused CONNECT keeps its return code; viewers read, only admins disconnect (audited);
// exports stream CSV and JSON with the filters applied.
import { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestServer, type TestServer, weldSpot } from "./helper.js";

type Client = {
  clientId: string;
  username: string | null;
  roles: string[];
  protocol: string;
  keepaliveSeconds: number;
  subscriptions: { topic: string; qos: number }[];
  messagesIn: number;
  messagesOut: number;
  compliance: { messages: number; invalid: number; nonCompliantSince: string | null } | null;
};
type Event = {
  event: string;
  clientId: string | null;
  username?: string | null;
  reason?: string;
  returnCode?: number;
  willSent?: boolean;
  willTopic?: string;
  by?: string;
};

const WELD = (cell: string) => `acme/plant-a/body-shop/line-01/${cell}/weld-spot`;

describe("clients API", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s?.close();
  });

  const clients = async (q = "") => (await s.api<{ clients: Client[] }>(`/api/v1/clients${q}`)).body.clients;
  const history = async (q = "") =>
    (await s.api<{ items: Event[] }>(`/api/v1/clients/history${q}`)).body.items;

  it("lists a connected client with user, roles, subscriptions, counts and compliance", async () => {
    const dev = await s.connect("device", { clientId: "press-7", keepalive: 30 });
    await dev.subscribeAsync("acme/plant-a/body-shop/line-01/cell-01/commands/#", { qos: 1 });
    await dev.publishAsync(WELD("cell-01"), JSON.stringify(weldSpot()), { qos: 1 });
    await dev.publishAsync(WELD("cell-01"), JSON.stringify(weldSpot({ currentKA: 99 })), { qos: 1 });
    const [c] = await eventually(
      () => clients("?q=press"),
      (l) => l.length === 1 && l[0]!.compliance?.invalid === 1 && l[0]!.compliance.messages === 2,
    );
    expect(c).toMatchObject({
      clientId: "press-7",
      username: "device",
      roles: ["device"],
      protocol: "MQTT 3.1.1",
      keepaliveSeconds: 30,
      subscriptions: [{ topic: "acme/plant-a/body-shop/line-01/cell-01/commands/#", qos: 1 }],
      messagesIn: 2,
    });
    expect(c!.compliance).toMatchObject({ messages: 2, invalid: 1 });
    expect(c!.compliance!.nonCompliantSince).not.toBeNull();
    // Search matches user and subscription too; a miss is an empty list.
    expect((await clients("?q=commands")).map((x) => x.clientId)).toContain("press-7");
    expect(await clients("?q=nobody-has-this")).toEqual([]);
    await dev.endAsync();
    const [d] = await eventually(
      () => history("?q=press-7&event=disconnect"),
      (h) => h.length === 1,
    );
    expect(d).toMatchObject({ reason: "clean", willSent: false });
  });

  it("counts messages delivered to a subscriber", async () => {
    const sub = await s.connect("viewer", { clientId: "watcher-1" });
    // Only this topic: the server publishes on other acme/ topics itself (alerts).
    await sub.subscribeAsync(WELD("cell-02"));
    const dev = await s.connect("device", { clientId: "press-8" });
    for (let i = 0; i < 3; i++)
      await dev.publishAsync(WELD("cell-02"), JSON.stringify(weldSpot()), { qos: 1 });
    await eventually(
      () => clients("?q=watcher-1"),
      (l) => l[0]?.messagesOut === 3,
    );
  });

  it("records a connection lost with its Will sent, and a keep-alive timeout", async () => {
    const dev = await s.connect("device", {
      clientId: "press-9",
      will: {
        topic: "acme/plant-a/body-shop/line-01/cell-03/state",
        payload: Buffer.from("gone"),
        qos: 0,
        retain: false,
      },
    });
    (dev as unknown as { stream: Socket }).stream.destroy();
    const [lost] = await eventually(
      () => history("?q=press-9&event=disconnect"),
      (h) => h.length === 1,
    );
    expect(lost).toMatchObject({
      reason: "connection-lost",
      willSent: true,
      willTopic: "acme/plant-a/body-shop/line-01/cell-03/state",
    });

    // A raw client asks for 1 s keep-alive and then stays silent: aedes drops it after 1.5 s.
    const sock = new Socket();
    await new Promise<void>((r) => sock.connect(Number(new URL(s.mqttUrl).port), "127.0.0.1", r));
    sock.on("error", () => {});
    sock.write(connectPacket("silent-1", 1, "device", "test-password-1"));
    const [timeout] = await eventually(
      () => history("?q=silent-1&event=disconnect"),
      (h) => h.length === 1,
      8000,
    );
    expect(timeout!.reason).toBe("keepalive-timeout");
    sock.destroy();
  });

  it("keeps a refused CONNECT with its return code and the user name it tried, never the password", async () => {
    await expect(s.connect("device", { clientId: "wrong-pw", password: "nope-secret-1" })).rejects.toThrow();
    const [r] = await eventually(
      () => history("?q=wrong-pw&event=refused"),
      (h) => h.length === 1,
    );
    expect(r).toMatchObject({ event: "refused", returnCode: 4, username: "device" });
    // An unknown user is named too (5 tries of a name are how a guesser shows).
    await expect(s.connect("nobody-such", { clientId: "who-am-i", password: "x" })).rejects.toThrow();
    const [u] = await eventually(
      () => history("?q=who-am-i&event=refused"),
      (h) => h.length === 1,
    );
    expect(u).toMatchObject({ returnCode: 4, username: "nobody-such" });
    const all = await s.api<unknown>("/api/v1/clients/history?limit=1000");
    expect(JSON.stringify(all.body)).not.toContain("nope-secret-1");
  });

  it("lets viewers read but only admins disconnect, and audits it", async () => {
    await s.connect("device", { clientId: "press-10" });
    const asViewer = await s.request("GET", "/api/v1/clients", undefined, "viewer");
    expect(asViewer.status).toBe(200);
    const refused = await s.request("POST", "/api/v1/clients/press-10/disconnect", undefined, "viewer");
    expect(refused.status).toBe(403);
    const anonymous = await fetch(`${s.httpUrl}/api/v1/clients`);
    expect(anonymous.status).toBe(401);
    const missing = await s.request<{ error: { code: string } }>("POST", "/api/v1/clients/nobody/disconnect");
    expect(missing.status).toBe(404);

    const ok = await s.request("POST", "/api/v1/clients/press-10/disconnect");
    expect(ok).toMatchObject({ status: 200, body: { disconnected: true, clientId: "press-10" } });
    const [d] = await eventually(
      () => history("?q=press-10&event=disconnect"),
      (h) => h.length === 1,
    );
    expect(d).toMatchObject({ reason: "admin", by: "admin" });
    const audit = await s.api<{ entries: { action: string; target: string; actor: string }[] }>(
      "/api/v1/audit?limit=20",
    );
    expect(JSON.stringify(audit.body)).toMatch(
      /client\.disconnect[^}]*press-10|press-10[^}]*client\.disconnect/,
    );
  });

  it("refuses a bad query with a 400 naming the parameter", async () => {
    const r = await s.request<{ error: { code: string; message: string } }>(
      "GET",
      "/api/v1/clients/history?limit=0",
    );
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/limit/);
  });
});

describe("exports", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
    const dev = await s.connect("device", { clientId: "exporter-1" });
    for (let i = 0; i < 3; i++)
      await dev.publishAsync(WELD("cell-01"), JSON.stringify(weldSpot({ currentKA: 50 + i })), { qos: 1 });
    await dev.publishAsync(WELD("cell-02"), JSON.stringify(weldSpot({ currentKA: 77 })), { qos: 1 });
    await eventually(
      () => s.api<{ items: unknown[] }>("/api/v1/violations?limit=10"),
      (r) => r.body.items.length === 4,
    );
  });
  afterAll(async () => {
    await s?.close();
  });

  it("streams the filtered violations as CSV, with a header and one row each", async () => {
    const r = await s.request<string>(
      "GET",
      "/api/v1/exports/violations?topicPrefix=acme/plant-a/body-shop/line-01/cell-01/",
      undefined,
      "viewer",
    );
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(r.headers.get("content-disposition")).toMatch(/attachment; filename="uns-violations-.*\.csv"/);
    const lines = String(r.body).trimEnd().split("\r\n");
    expect(lines[0]).toMatch(/^id,time,clientId,/);
    expect(lines).toHaveLength(4);
    expect(
      lines.slice(1).every((l) => l.includes("/cell-01/") && l.includes("/currentKA must be <= 30")),
    ).toBe(true);
  });

  it("answers ajv's params in a violation's errors (they were serialised as {})", async () => {
    const page = await s.api<{ items: { id: string }[] }>("/api/v1/violations?limit=1");
    const v = await s.api<{ violation: { errors: { keyword: string; params?: { limit?: number } }[] } }>(
      `/api/v1/violations/${page.body.items[0]!.id}`,
    );
    expect(v.body.violation.errors[0]).toMatchObject({ keyword: "maximum", params: { limit: 30 } });
  });

  it("pages through more rows than one store page, and as JSON", async () => {
    const r = await s.request<unknown[]>("GET", "/api/v1/exports/violations?format=json&limit=2");
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(2);
    const all = await s.request<{ topic: string }[]>("GET", "/api/v1/exports/violations?format=json");
    expect(all.body).toHaveLength(4);
  });

  it("exports publishers, clients and compliance", async () => {
    const pub = await s.request<string>("GET", "/api/v1/exports/publishers");
    expect(String(pub.body)).toMatch(/exporter-1,device,4,4,/);
    const cl = await s.request<{ clientId: string }[]>(
      "GET",
      "/api/v1/exports/clients?format=json&q=exporter",
    );
    expect(cl.body.map((c) => c.clientId)).toEqual(["exporter-1"]);
    const comp = await s.request<string>("GET", "/api/v1/exports/compliance?by=topic");
    expect(String(comp.body).split("\r\n")[0]).toBe(
      "key,total,valid,invalid,unvalidated,ungoverned,complianceRate,nonCompliantSince",
    );
    expect(String(comp.body)).toContain(WELD("cell-02"));
  });

  it("refuses an unknown table or format, and anonymous callers", async () => {
    expect((await s.request("GET", "/api/v1/exports/passwords")).status).toBe(400);
    expect((await s.request("GET", "/api/v1/exports/violations?format=xlsx")).status).toBe(400);
    expect((await fetch(`${s.httpUrl}/api/v1/exports/violations`)).status).toBe(401);
  });
});

/** An MQTT 3.1.1 CONNECT with a client id, keep-alive and login [MQTT-3.1]. */
function connectPacket(clientId: string, keepalive: number, username: string, password: string): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
  };
  const body = Buffer.concat([
    str("MQTT"),
    Buffer.from([4, 0b11000010, keepalive >> 8, keepalive & 255]),
    str(clientId),
    str(username),
    str(password),
  ]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}
