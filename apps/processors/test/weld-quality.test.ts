import { createValidator } from "@uns/contracts";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcessorsRuntime } from "../src/runtime/runtime.js";
import { quietLogger, startPlant, type TestPlant, until } from "./helper.js";
import { makeSpots, publishSpots } from "./spots.js";

// The real UNS server, real MQTT.js clients, real worker threads and real onnxruntime.
let plant: TestPlant;
let device: MqttClient;
let viewer: MqttClient;
const results = new Map<string, Record<string, unknown>[]>();

beforeAll(async () => {
  plant = await startPlant();
  device = await plant.connect("device");
  viewer = await plant.connect("viewer");
  viewer.on("message", (topic, payload) => {
    if (!topic.endsWith("/results/weld-quality")) return;
    const r = JSON.parse(payload.toString());
    const key = `${r.spot.controller}/${r.spot.seq}`;
    results.set(key, [...(results.get(key) ?? []), { ...r, topic }]);
  });
  await viewer.subscribeAsync("acme/+/+/+/+/results/weld-quality", { qos: 1 });
}, 300_000);

afterAll(async () => {
  await plant?.close();
}, 120_000);

describe("weld quality processor", { timeout: 180_000 }, () => {
  it("scores every spot, publishes a result valid against weldQuality, and resumes after a restart without loss", async () => {
    const spots = makeSpots(220);
    const first = spots.slice(0, 100);
    const whileDown = spots.slice(100);
    const lines: string[] = [];
    const config = plant.processorsConfig({ "checkGate.enabled": false });
    let runtime = await createProcessorsRuntime(config, {
      logger: quietLogger(lines),
      contracts: await plant.contracts(),
    });
    await runtime.start();
    await publishSpots(device, first);
    await until(() => results.size >= 100, 20_000, "100 results");

    const validator = createValidator(await plant.contracts());
    for (const s of first) {
      const r = results.get(s.key);
      expect(r, s.key).toHaveLength(1);
      const { topic, ...payload } = r![0]!;
      expect(validator.validateValue("weldQuality", payload).outcome).toBe("valid");
      // Same line and cell as the spot.
      expect(topic).toBe(s.topic.replace(/weld-spot$/, "results/weld-quality"));
      expect(payload.model).toEqual({ name: "rsw-nugget-regression", version: "1.0.0" });
      expect(payload.anomalyModel).toEqual({ name: "rsw-curve-autoencoder", version: "1.0.0" });
    }
    const status = runtime.weldQuality!.status();
    expect(status.received).toBe(100);
    expect(status.published).toBe(100);
    expect(status.invalid).toBe(0);
    // The delayed truth was joined to the predictions: online accuracy per version.
    await until(() =>
      Object.values(runtime.weldQuality!.status().versions).every((v) => v.accuracy.truths > 0),
    );
    const reg = Object.values(runtime.weldQuality!.status().versions).find(
      (v) => v.name === "rsw-nugget-regression",
    )!;
    expect(reg.accuracy.mae).toBeLessThan(0.4);

    // Restart: spots published while the processor is down wait in its persistent session.
    await runtime.stop();
    await publishSpots(device, whileDown);
    await new Promise((r) => setTimeout(r, 200));
    expect(results.size).toBe(100);
    runtime = await createProcessorsRuntime(config, {
      logger: quietLogger(lines),
      contracts: await plant.contracts(),
    });
    await runtime.start();
    await until(() => results.size >= 220, 20_000, "220 results");
    await runtime.weldQuality!.idle();
    await new Promise((r) => setTimeout(r, 200));
    for (const s of spots) expect(results.get(s.key), s.key).toHaveLength(1);
    expect(runtime.weldQuality!.status().received).toBe(120);
    await runtime.stop();
  });
});
