import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcessorsRuntime, type ProcessorsRuntime } from "../src/runtime/runtime.js";
import { connectDurable, quietLogger, startPlant, type TestPlant, until } from "./helper.js";
import { makeSpots, publishSpots, type SimSpot } from "./spots.js";

// The server goes away under a running processor and comes back on the same port with the same
// data (its sessions and QoS 1 queues are on disk, mqtt.persistence "level"). The processor must
// reconnect by itself, keep its persistent session and score everything, before and after.
let plant: TestPlant;
let runtime: ProcessorsRuntime;
const clients: MqttClient[] = [];
const results = new Map<string, number>();
const lines: string[] = [];

const durable = (user: "device" | "viewer", clientId: string) =>
  connectDurable(plant.mqttUrl, user, clientId, clients);

beforeAll(async () => {
  plant = await startPlant();
  const viewer = await durable("viewer", "reconnect-test-viewer");
  viewer.on("message", (_topic, payload) => {
    const r = JSON.parse(payload.toString());
    const key = `${r.spot.controller}/${r.spot.seq}`;
    results.set(key, (results.get(key) ?? 0) + 1);
  });
  await viewer.subscribeAsync("acme/+/+/+/+/results/weld-quality", { qos: 1 });
  runtime = await createProcessorsRuntime(plant.processorsConfig({ "checkGate.enabled": false }), {
    logger: quietLogger(lines),
    contracts: await plant.contracts(),
  });
  await runtime.start();
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  await plant?.close();
}, 120_000);

const scored = (spots: SimSpot[]) => spots.filter((s) => results.has(s.key)).length;

describe("processor and a server restart", { timeout: 240_000 }, () => {
  it("reconnects by itself and scores what was published before and after the restart", async () => {
    const device = await durable("device", "reconnect-test-device");
    const spots = makeSpots(300, "reconnect");
    const before = spots.slice(0, 150);
    const after = spots.slice(150);
    await publishSpots(device, before, false);
    await until(() => scored(before) === before.length, 60_000, "results before the restart");
    await runtime.weldQuality!.idle();

    await plant.restart(async () => {
      // The server is down: the processor notices, and keeps running.
      await until(() => !runtime.weldQuality!.status().connected, 20_000, "processor offline");
    });
    // Published as soon as the device is back, likely before the processor has reconnected: these
    // wait in the processor's persistent session on the restarted server.
    await until(() => device.connected, 20_000, "device reconnected");
    await publishSpots(device, after, false);
    await until(() => runtime.weldQuality!.status().connected, 20_000, "processor reconnected");
    await until(() => scored(after) === after.length, 60_000, "results after the restart");
    await runtime.weldQuality!.idle();

    const status = runtime.weldQuality!.status();
    // Every spot scored and none refused; its result delivered. QoS 1 is at least once: a spot whose
    // PUBACK was still on the wire when the server stopped comes again after the restart (a few at
    // most, bounded by what was in flight), and is scored again with the same result.
    expect(status.received).toBeGreaterThanOrEqual(300);
    expect(status.received).toBeLessThanOrEqual(316);
    expect(status.scored).toBe(status.received);
    expect(status.invalid + status.refusedResults + status.modelErrors).toBe(0);
    expect(scored(spots)).toBe(300);
    expect(lines.some((l) => /mqtt offline/.test(l))).toBe(true);
  });
});
