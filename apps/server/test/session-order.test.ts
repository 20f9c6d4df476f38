// [MQTT-4.6.0-6] a persistent session (clean: false) receives QoS 1 messages in the order they
// were published, with the default LevelDB persistence: aedes stores each message before
// writing it, and the stores complete in any order (broker/persistence.ts).
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inPublishOrder } from "../src/broker/persistence.js";
import { eventually, startTestServer, type TestServer } from "./helper.js";

const TOPIC = "acme/sandbox/data";
const COUNT = 400;

let t: TestServer;
let pub: MqttClient;
let sub: MqttClient;

beforeAll(async () => {
  t = await startTestServer({ "mqtt.persistence": "level" });
  pub = await t.connect("device");
  sub = await t.connect("viewer", { clean: false, clientId: "ordered-session" });
  await sub.subscribeAsync(TOPIC, { qos: 1 });
}, 120_000);

afterAll(async () => {
  await t?.close();
}, 60_000);

describe("persistent session delivery order", { timeout: 120_000 }, () => {
  it(`delivers ${COUNT} QoS 1 messages sent back to back in the order they were published`, async () => {
    const got: number[] = [];
    sub.on("message", (_topic, payload) => got.push(Number(payload.toString())));
    await Promise.all(
      Array.from({ length: COUNT }, (_, i) => pub.publishAsync(TOPIC, String(i), { qos: 1 })),
    );
    await eventually(
      () => got.length,
      (n) => n >= COUNT,
      30_000,
    );
    expect(got).toEqual(Array.from({ length: COUNT }, (_, i) => i));
  });

  it("resolves each client's updates in the order they were asked for, and lets them run at once", async () => {
    const resolvers: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const fake = inPublishOrder({
      outgoingUpdate: () =>
        new Promise<void>((resolve) => {
          running++;
          most = Math.max(most, running);
          resolvers.push(() => {
            running--;
            resolve();
          });
        }),
    });
    const done: string[] = [];
    const ask = (id: string, n: number) => fake.outgoingUpdate({ id }, {}).then(() => done.push(`${id}${n}`));
    const all = Promise.all([ask("a", 1), ask("a", 2), ask("b", 1), ask("a", 3)]);
    // The store answers backwards: a3, b1, a2, a1.
    for (const r of [...resolvers].reverse()) {
      r();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await all;
    expect(most).toBe(4);
    expect(done).toEqual(["b1", "a1", "a2", "a3"]);
  });
});
