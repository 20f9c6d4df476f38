import { connect as netConnect } from "node:net";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, PASSWORD, startTestServer, type TestServer, weldSpot } from "./helper.js";

const TOPIC = "acme/plant-a/body-shop/line-02/cell-03/weld-spot";

/** CONNECT packet (MQTT 3.1.1) written by hand, to send what MQTT.js refuses to send. */
function connectPacket(clientId: string, clean: boolean, username?: string, password?: string): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  let flags = clean ? 0x02 : 0;
  if (username) flags |= 0x80;
  if (password) flags |= 0x40;
  const body = Buffer.concat([
    str("MQTT"),
    Buffer.from([4, flags, 0, 30]),
    str(clientId),
    ...(username ? [str(username)] : []),
    ...(password ? [str(password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

function rawConnack(port: number, packet: Buffer): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(port, "127.0.0.1", () => sock.write(packet));
    let bytes = Buffer.alloc(0);
    sock.on("data", (d) => {
      bytes = Buffer.concat([bytes, d]);
    });
    sock.on("close", () => resolve({ bytes, closed: true }));
    sock.on("error", reject);
    setTimeout(() => {
      sock.destroy();
      resolve({ bytes, closed: false });
    }, 3000);
  });
}

describe("broker: MQTT 3.1.1 and access control", () => {
  let t: TestServer;
  let port: number;
  beforeAll(async () => {
    t = await startTestServer();
    port = Number(new URL(t.mqttUrl).port);
  });
  afterAll(async () => t?.close());

  it("refuses an empty client id with CleanSession=0: CONNACK 0x02 and close [MQTT-3.1.3-8]", async () => {
    const r = await rawConnack(port, connectPacket("", false, "device", PASSWORD));
    expect([...r.bytes.subarray(0, 4)]).toEqual([0x20, 0x02, 0x00, 0x02]);
    expect(r.closed).toBe(true);
  });

  it("accepts an empty client id with CleanSession=1", async () => {
    const r = await rawConnack(port, connectPacket("", true, "device", PASSWORD));
    expect([...r.bytes.subarray(0, 4)]).toEqual([0x20, 0x02, 0x00, 0x00]);
  });

  it("refuses a wrong password (0x04) and anonymous clients when anonymous access is off (0x05)", async () => {
    const bad = await rawConnack(port, connectPacket("x1", true, "device", "wrong"));
    expect(bad.bytes[3]).toBe(0x04);
    const anon = await rawConnack(port, connectPacket("x2", true));
    expect(anon.bytes[3]).toBe(0x05);
  });

  it("refuses a publish outside the client's rights without disconnecting it, and records it", async () => {
    const sub = await t.connect("admin");
    const got = collect(sub);
    await sub.subscribeAsync(["acme/#", "$uns/refused/#"], { qos: 1 });
    const pub = await t.connect("restricted", { clientId: "restricted-1" });
    await pub.publishAsync(TOPIC, JSON.stringify(weldSpot()), { qos: 1 });
    await pub.publishAsync("acme/sandbox/data", "ok", { qos: 1 });
    await eventually(
      () => got.map((m) => m.topic),
      (topics) => topics.includes("acme/sandbox/data") && topics.includes(`$uns/refused/${TOPIC}`),
    );
    expect(got.map((m) => m.topic)).not.toContain(TOPIC);
    expect(pub.connected).toBe(true);
    const list = await eventually(
      () =>
        t
          .api<{ items: { kind: string; topic: string }[] }>("/api/v1/violations?clientId=restricted-1")
          .then((r) => r.body),
      (l) => l.items.length === 1,
    );
    expect(list.items[0]).toMatchObject({ kind: "acl", topic: TOPIC });
  });

  it("refuses topics the tree does not allow, naming the level and what is accepted", async () => {
    const pub = await t.connect("admin", { clientId: "tree-breaker" });
    await pub.publishAsync("acme/plant-a/body-shop/LINE-1/cell-01/weld-spot", "{}", { qos: 1 });
    await pub.publishAsync("acme/plant-a//line-01", "{}", { qos: 1 });
    await pub.publishAsync("$uns/quarantine/fake", "{}", { qos: 1 });
    const list = await eventually(
      () =>
        t
          .api<{ items: { kind: string; errors: { message: string }[] }[] }>(
            "/api/v1/violations?clientId=tree-breaker",
          )
          .then((r) => r.body),
      (l) => l.items.length === 3,
    );
    expect(list.items.every((i) => i.kind === "topic")).toBe(true);
    const messages = list.items.map((i) => i.errors[0]!.message).join("\n");
    expect(messages).toMatch(/LINE-1/);
    expect(messages).toMatch(/reserved/);
    expect(pub.connected).toBe(true);
  });

  it("answers a forbidden subscription with 0x80 and keeps the client", async () => {
    const dev = await t.connect("device");
    // MQTT.js rejects when any filter is refused; the SUBACK it carries has the per-filter codes.
    const err = (await dev
      .subscribeAsync(["$uns/violations/#", "acme/plant-a/body-shop/line-01/cell-01/commands/#"], { qos: 1 })
      .catch((e) => e)) as {
      packet?: { granted: number[] };
    };
    expect(err.packet?.granted).toEqual([128, 1]);
    expect(dev.connected).toBe(true);
  });

  it("QoS 2 delivers exactly once; retained messages reach late subscribers", async () => {
    const pub = await t.connect("device");
    await pub.publishAsync(TOPIC, JSON.stringify(weldSpot({ spotId: "retained" })), { qos: 2, retain: true });
    const late = await t.connect("viewer");
    const got = collect(late);
    await late.subscribeAsync(TOPIC, { qos: 2 });
    await eventually(
      () => got.length,
      (n) => n === 1,
    );
    expect(got[0]!.retain).toBe(true);
    await pub.publishAsync(TOPIC, JSON.stringify(weldSpot({ spotId: "q2" })), { qos: 2 });
    await eventually(
      () => got.length,
      (n) => n === 2,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(got.length).toBe(2);
  });

  it("loses no message when a QoS 0 publish overtakes a retained QoS 1 one (aedes dedupe race)", async () => {
    const sub = await t.connect("admin");
    const got = collect(sub);
    await sub.subscribeAsync(["acme/sandbox/data", "$uns/race/#"], { qos: 1 });
    const broker = t.server.broker.broker;
    for (let i = 0; i < 20; i++) {
      broker.publish(
        {
          cmd: "publish",
          topic: `$uns/race/${i}`,
          payload: Buffer.from("retained-qos1"),
          qos: 1,
          retain: true,
          dup: false,
        },
        () => {},
      );
      broker.publish(
        {
          cmd: "publish",
          topic: "acme/sandbox/data",
          payload: Buffer.from(`qos0-${i}`),
          qos: 0,
          retain: false,
          dup: false,
        },
        () => {},
      );
    }
    // Live deliveries only: with a persistent store the retained scan that follows the SUBACK
    // may also find the retained ones just published and send them again, marked retained.
    await eventually(
      () => got.filter((m) => !m.retain).length,
      (n) => n === 40,
    );
  });

  it("fires a will when a client dies", async () => {
    const watcher = await t.connect("viewer");
    const got = collect(watcher);
    await watcher.subscribeAsync("acme/sandbox/data", { qos: 1 });
    const dying = await t.connect("device", {
      will: { topic: "acme/sandbox/data", payload: Buffer.from("gone"), qos: 1, retain: false },
    });
    (dying as unknown as { stream: { destroy(): void } }).stream.destroy();
    await eventually(
      () => got.map((m) => m.payload.toString()),
      (p) => p.includes("gone"),
    );
  });

  it("keeps a persistent session's messages while the client is away", async () => {
    const first = await t.connect("viewer", { clientId: "persistent-1", clean: false });
    await first.subscribeAsync("acme/sandbox/data", { qos: 1 });
    await first.endAsync();
    const pub = await t.connect("device");
    await pub.publishAsync("acme/sandbox/data", "while-away", { qos: 1 });
    const again = mqtt.connect(t.mqttUrl, {
      clientId: "persistent-1",
      clean: false,
      username: "viewer",
      password: PASSWORD,
      reconnectPeriod: 0,
    });
    const got = collect(again);
    await eventually(
      () => got.map((m) => m.payload.toString()),
      (p) => p.includes("while-away"),
    );
    await again.endAsync();
  });

  it("speaks MQTT over WebSocket at /mqtt on the HTTP port", async () => {
    const ws = await mqtt.connectAsync(`${t.httpUrl.replace("http", "ws")}/mqtt`, {
      username: "viewer",
      password: PASSWORD,
      reconnectPeriod: 0,
    });
    const got = collect(ws);
    await ws.subscribeAsync("acme/sandbox/data", { qos: 1 });
    const pub = await t.connect("device");
    await pub.publishAsync("acme/sandbox/data", "over-ws", { qos: 1 });
    await eventually(
      () => got.map((m) => m.payload.toString()),
      (p) => p.includes("over-ws"),
    );
    await ws.endAsync();
  });
});
