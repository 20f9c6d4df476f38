/**
 * The MQTT workbench routes (issue 13 items 1, 3, 4) against a real server: real MQTT.js
 * publishers, the real validation workers, real retained storage, and every reply checked
 * against its schema (checkResponses). Viewers read and validate; they cannot clear or publish.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, PASSWORD, startTestServer, type TestServer, weldSpot } from "./helper.js";

const MONITORED = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";
const ENFORCED = "acme/plant-b/body-shop/line-02/cell-03/weld-spot";

interface Topics {
  seq: number;
  full: boolean;
  total: number;
  topics: {
    topic: string;
    messages: number;
    ratePerSecond: number;
    retained: boolean;
    preview: string;
    channel: string | null;
    policy: string | null;
    outcomes: { valid: number; invalid: number };
  }[];
}

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ "mqtt.persistence": "memory", "browser.messagesPerTopic": 5 });
}, 180_000);
afterAll(async () => {
  await t?.close();
});

describe("live topic browser", () => {
  it("lists topics seen with rate now, last value, retained flag, contract and compliance; deltas by seq", async () => {
    const dev = await t.connect("device");
    // 25 ms apart: the browser keeps every message of a topic slower than one per 20 ms.
    for (let i = 0; i < 8; i++) {
      await dev.publishAsync(
        MONITORED,
        JSON.stringify(weldSpot({ spotId: `s-${i}`, currentKA: i === 7 ? 45 : 9 })),
        { qos: 1 },
      );
      await new Promise((r) => setTimeout(r, 25));
    }
    await dev.publishAsync("acme/plant-a/body-shop/line-01/state", JSON.stringify({ state: "running" }), {
      qos: 1,
      retain: true,
    });
    const first = await eventually(
      () => t.api<Topics>("/api/v1/browser/topics").then((r) => r.body),
      (b) => b.topics.find((x) => x.topic === MONITORED)?.outcomes.invalid === 1,
    );
    expect(first.full).toBe(true);
    const spot = first.topics.find((x) => x.topic === MONITORED)!;
    expect(spot.messages).toBe(8);
    expect(spot.outcomes.valid).toBe(7);
    expect(spot.channel).toBe("weldSpot");
    expect(spot.policy).toBe("monitor");
    expect(spot.ratePerSecond).toBeGreaterThan(0);
    expect(spot.preview).toContain('"spotId":"s-7"');
    expect(spot.retained).toBe(false);
    expect(first.topics.find((x) => x.topic === "acme/plant-a/body-shop/line-01/state")?.retained).toBe(true);
    // `$SYS` heartbeats and the quarantine are the broker's own: not in the browser.
    expect(first.topics.some((x) => x.topic.startsWith("$"))).toBe(false);

    // A delta names only what changed since (and what is still active): a new topic appears in it.
    await dev.publishAsync("acme/plant-a/body-shop/line-02/cell-05/weld-spot", JSON.stringify(weldSpot()), {
      qos: 1,
    });
    const delta = await eventually(
      () => t.api<Topics>(`/api/v1/browser/topics?since=${first.seq}`).then((r) => r.body),
      (b) => b.topics.some((x) => x.topic.includes("line-02/cell-05")),
    );
    expect(delta.full).toBe(false);
    expect(delta.seq).toBeGreaterThan(first.seq);
  });

  it("serves the tree's list in columns, gzipped when accepted, with the same deltas by seq", async () => {
    const dev = await t.connect("device");
    // 120 topics: a reply past the 8 kB under which nothing is compressed.
    for (let i = 0; i < 120; i++) {
      const line = String(10 + Math.floor(i / 60)).padStart(2, "0");
      const cell = String(i % 60).padStart(2, "0");
      dev.publish(
        `acme/plant-a/body-shop/line-${line}/cell-${cell}/weld-spot`,
        JSON.stringify(weldSpot({ spotId: `t-${i}` })),
        { qos: 0 },
      );
    }
    // Its own topic: the next test counts MONITORED's messages.
    const spot = "acme/plant-a/body-shop/line-01/cell-07/weld-spot";
    await dev.publishAsync(spot, JSON.stringify(weldSpot({ spotId: "s-8", currentKA: 45 })), { qos: 1 });
    interface Tree {
      seq: number;
      at: number;
      full: boolean;
      total: number;
      topics: string[];
      lastAt: number[];
      rate: number[];
      retained: number[];
      preview: string[];
      invalid: number[];
    }
    const tree = await eventually(
      () => t.request<Tree>("GET", "/api/v1/browser/tree", undefined, "viewer"),
      (r) =>
        r.status === 200 && r.body.topics.length >= 120 && r.body.invalid[r.body.topics.indexOf(spot)] === 1,
    );
    const b = tree.body;
    expect(tree.headers.get("content-encoding")).toBe("gzip");
    expect(b.full).toBe(true);
    expect(b.total).toBe(b.topics.length);
    for (const col of [b.lastAt, b.rate, b.retained, b.preview, b.invalid])
      expect(col).toHaveLength(b.topics.length);
    // The same topics and values as the full rows of /browser/topics.
    const full = (await t.api<Topics>("/api/v1/browser/topics")).body;
    expect(new Set(b.topics)).toEqual(new Set(full.topics.map((x) => x.topic)));
    const i = b.topics.indexOf(spot);
    const row = full.topics.find((x) => x.topic === spot)!;
    expect(b.invalid[i]).toBe(row.outcomes.invalid);
    expect(b.preview[i]).toBe(row.preview);
    expect(b.preview[i]).toContain('"spotId":"s-8"');
    expect(b.lastAt[i]).toBeGreaterThan(b.at - 60_000);
    expect(b.rate[i]).toBeGreaterThan(0);
    expect(b.retained[b.topics.indexOf("acme/plant-a/body-shop/line-01/state")]).toBe(1);
    expect(b.retained[i]).toBe(0);
    // Compact: well under half of the full rows, before any compression.
    const plain = await fetch(`${t.httpUrl}/api/v1/browser/tree`, {
      headers: {
        authorization: `Basic ${Buffer.from(`viewer:${PASSWORD}`).toString("base64")}`,
        "accept-encoding": "identity",
      },
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect((await plain.text()).length).toBeLessThan(JSON.stringify(full).length / 2);

    // A delta: only the topic published since.
    await dev.publishAsync(spot, JSON.stringify(weldSpot({ spotId: "s-9" })), { qos: 1 });
    const delta = await eventually(
      () => t.api<Tree>(`/api/v1/browser/tree?since=${b.seq}`).then((r) => r.body),
      (d) => d.topics.includes(spot),
    );
    expect(delta.full).toBe(false);
    expect(delta.topics.length).toBeLessThan(10);
    expect(delta.preview[delta.topics.indexOf(spot)]).toContain('"spotId":"s-9"');
    expect((await fetch(`${t.httpUrl}/api/v1/browser/tree`)).status).toBe(401);
  });

  it("returns a topic's recent messages, bounded by browser.messagesPerTopic, pretty and decoded", async () => {
    const r = await t.api<{ messages: { payload: { format: string; value: { spotId: string } } }[] }>(
      `/api/v1/browser/topic?topic=${encodeURIComponent(MONITORED)}`,
    );
    expect(r.status).toBe(200);
    expect(r.body.messages.map((m) => m.payload.value.spotId)).toEqual(["s-3", "s-4", "s-5", "s-6", "s-7"]);
    expect(r.body.messages[0]!.payload.format).toBe("json");

    const dev = await t.connect("device");
    await dev.publishAsync(
      "acme/plant-a/body-shop/line-01/cell-09/weld-spot",
      Buffer.from([0xff, 0x00, 0x10]),
      { qos: 1 },
    );
    const bin = await eventually(
      () =>
        t.api<{ messages: { payload: { format: string; hex?: string } }[] }>(
          `/api/v1/browser/topic?topic=${encodeURIComponent("acme/plant-a/body-shop/line-01/cell-09/weld-spot")}`,
        ),
      (x) => x.status === 200,
    );
    expect(bin.body.messages[0]!.payload).toMatchObject({ format: "binary", hex: "ff 00 10" });
    expect((await t.api("/api/v1/browser/topic?topic=no/such")).status).toBe(404);
  });

  it("is readable by a viewer and closed without a login", async () => {
    expect((await t.request("GET", "/api/v1/browser/topics", undefined, "viewer")).status).toBe(200);
    expect((await fetch(`${t.httpUrl}/api/v1/browser/topics`)).status).toBe(401);
  });
});

describe("retained messages", () => {
  it("lists, views and (admins) clears one or a subtree, audited; viewers cannot clear", async () => {
    const dev = await t.connect("device");
    for (const line of ["line-03", "line-04"])
      await dev.publishAsync(
        `acme/plant-a/body-shop/${line}/state`,
        JSON.stringify({ state: "stopped", reason: "x" }),
        {
          qos: 1,
          retain: true,
        },
      );
    const list = await eventually(
      () =>
        t.api<{ items: { topic: string; channel: string | null }[] }>(
          "/api/v1/retained?prefix=acme/plant-a/",
        ),
      (r) => r.body.items.length >= 3,
    );
    expect(list.body.items.map((i) => i.topic)).toEqual([
      "acme/plant-a/body-shop/line-01/state",
      "acme/plant-a/body-shop/line-03/state",
      "acme/plant-a/body-shop/line-04/state",
    ]);
    expect(list.body.items[0]!.channel).toBe("lineState");
    const filtered = await t.api<{ items: unknown[] }>("/api/v1/retained?q=line-04");
    expect(filtered.body.items).toHaveLength(1);
    const one = await t.api<{ payload: { value: unknown } }>(
      "/api/v1/retained/message?topic=acme/plant-a/body-shop/line-03/state",
    );
    expect(one.body.payload.value).toEqual({ state: "stopped", reason: "x" });

    const byViewer = await t.request(
      "POST",
      "/api/v1/retained/clear",
      { topic: "acme/plant-a/body-shop/line-03/state" },
      "viewer",
    );
    expect(byViewer.status).toBe(403);

    const cleared = await t.request<{ cleared: string[] }>("POST", "/api/v1/retained/clear", {
      topic: "acme/plant-a/body-shop/line-03/state",
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.cleared).toEqual(["acme/plant-a/body-shop/line-03/state"]);
    // A new subscriber gets no retained message there any more; the other line's stays.
    const sub = await t.connect("admin");
    const got = collect(sub);
    await sub.subscribeAsync("acme/plant-a/body-shop/+/state");
    await eventually(
      () => got.length,
      (n) => n >= 2,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(got.map((m) => m.topic).sort()).toEqual([
      "acme/plant-a/body-shop/line-01/state",
      "acme/plant-a/body-shop/line-04/state",
    ]);

    const subtree = await t.request<{ cleared: string[] }>("POST", "/api/v1/retained/clear", {
      topic: "acme/plant-a/body-shop",
      subtree: true,
    });
    expect(subtree.body.cleared.sort()).toEqual([
      "acme/plant-a/body-shop/line-01/state",
      "acme/plant-a/body-shop/line-04/state",
    ]);
    expect((await t.api<{ items: unknown[] }>("/api/v1/retained")).body.items).toEqual([]);
    const wild = await t.request<{ error: { code: string } }>("POST", "/api/v1/retained/clear", {
      topic: "acme/#",
    });
    expect(wild.status).toBe(400);

    const auditLog = await t.api<{
      entries: { action: string; target: string; actor: string; details: { cleared: number } }[];
    }>("/api/v1/audit?action=retained.clear");
    expect(auditLog.body.entries.map((e) => [e.actor, e.target, e.details.cleared])).toEqual(
      expect.arrayContaining([
        ["admin", "acme/plant-a/body-shop/line-03/state", 1],
        ["admin", "acme/plant-a/body-shop", 2],
      ]),
    );
  });
});

describe("validate and publish", () => {
  const good = JSON.stringify(weldSpot({ spotId: "wb-1" }));
  const bad = JSON.stringify(weldSpot({ spotId: "wb-2", currentKA: 99 }));

  it("validates without publishing: verdict and errors, the topic checked against the channel", async () => {
    const ok = await t.request<{ outcome: string; message: string }>(
      "POST",
      "/api/v1/workbench/validate",
      {
        topic: MONITORED,
        payload: good,
        channel: "weldSpot",
      },
      "viewer",
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ outcome: "valid", message: "weldSpot", policy: "monitor" });
    const no = await t.request<{ outcome: string; errors: { instancePath: string; keyword: string }[] }>(
      "POST",
      "/api/v1/workbench/validate",
      { topic: MONITORED, payload: bad, channel: "weldSpot" },
    );
    expect(no.body.outcome).toBe("invalid");
    expect(no.body.errors).toEqual([
      expect.objectContaining({ instancePath: "/currentKA", keyword: "maximum" }),
    ]);
    const wrongChannel = await t.request<{ outcome: string; reason: string }>(
      "POST",
      "/api/v1/workbench/validate",
      {
        topic: "acme/plant-a/body-shop/line-01/state",
        payload: good,
        channel: "weldSpot",
      },
    );
    expect(wrongChannel.body.outcome).toBe("refused");
    expect(wrongChannel.body.reason).toContain("lineState");
    const notJson = await t.request<{ outcome: string; kind: string }>("POST", "/api/v1/workbench/validate", {
      topic: MONITORED,
      payload: "{nope",
    });
    expect(notJson.body).toMatchObject({ outcome: "invalid", kind: "not-json" });
  });

  it("publishes as the user when allowed, records the outcome, refuses viewers and invalid enforced payloads", async () => {
    const sub = await t.connect("admin");
    const got = collect(sub);
    await sub.subscribeAsync("acme/#");

    const byViewer = await t.request<{ error: { code: string } }>(
      "POST",
      "/api/v1/workbench/publish",
      {
        topic: MONITORED,
        payload: good,
      },
      "viewer",
    );
    expect(byViewer.status).toBe(403);
    expect(byViewer.body.error.code).toBe("UNS_ERR_WORKBENCH_PUBLISH_FORBIDDEN");

    const enforcedBad = await t.request<{ error: { code: string; message: string } }>(
      "POST",
      "/api/v1/workbench/publish",
      {
        topic: ENFORCED,
        payload: bad,
      },
    );
    expect(enforcedBad.status).toBe(422);
    expect(enforcedBad.body.error.code).toBe("UNS_ERR_WORKBENCH_REFUSED");
    expect(enforcedBad.body.error.message).toContain("/currentKA");

    const pub = await t.request<{ published: boolean; verdict: { outcome: string } }>(
      "POST",
      "/api/v1/workbench/publish",
      {
        topic: MONITORED,
        payload: good,
        channel: "weldSpot",
        qos: 1,
      },
    );
    expect(pub.status).toBe(200);
    expect(pub.body).toMatchObject({ published: true, verdict: { outcome: "valid" } });
    await eventually(
      () => got.filter((m) => m.payload.toString().includes("wb-1")).length,
      (n) => n === 1,
    );
    expect(got.some((m) => m.payload.toString().includes("wb-2"))).toBe(false);
    // Recorded like any message: the last message of the topic in the store is this one.
    await eventually(
      () =>
        t.api<{ clientId: string; payloadText: string }>(
          `/api/v1/topics/last-message?topic=${encodeURIComponent(MONITORED)}`,
        ),
      (r) => r.status === 200 && r.body.payloadText.includes("wb-1"),
    );
    const auditLog = await t.api<{ entries: { action: string; outcome: string; actor: string }[] }>(
      "/api/v1/audit?action=mqtt.publish",
    );
    expect(auditLog.body.entries.map((e) => [e.actor, e.outcome])).toEqual(
      expect.arrayContaining([
        ["admin", "ok"],
        ["viewer", "refused"],
      ]),
    );
    const wildcard = await t.request<{ error: { code: string } }>("POST", "/api/v1/workbench/publish", {
      topic: "acme/+/x",
      payload: "{}",
    });
    expect(wildcard.status).toBe(422);
  });
});
