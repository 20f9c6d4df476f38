import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSimulation } from "../src/run-simulation.js";

// A bare aedes broker on a real socket, and real MQTT.js clients: no mocks.
let broker: Aedes;
let server: Server;
let url: string;
const dir = mkdtempSync(join(tmpdir(), "uns-sim-e2e-"));

beforeAll(async () => {
  broker = await Aedes.createBroker();
  server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  url = `mqtt://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe("against a real broker", () => {
  it("publishes a bounded run at QoS 1 with every message acknowledged and delivered", async () => {
    const subscriber = await mqtt.connectAsync(url, { clientId: "e2e-subscriber" });
    const received = new Map<string, number>();
    subscriber.on("message", (topic) =>
      received.set(topic.split("/").pop()!, (received.get(topic.split("/").pop()!) ?? 0) + 1),
    );
    await subscriber.subscribeAsync("acme/#", { qos: 1 });

    const summary = await runSimulation({
      url,
      count: 2500,
      rate: "max",
      qos: 1,
      clients: 3,
      window: 200,
      seed: "e2e",
      startTime: "2026-03-02T06:00:00Z",
      badRate: 0.05,
      imageDir: join(dir, "images"),
      truth: "both",
      truthFile: join(dir, "truth.jsonl"),
      progressIntervalMs: 100_000,
    });
    expect(summary.sent).toBe(2500);
    expect(summary.acknowledged).toBe(2500);
    expect(summary.failed).toBe(0);
    expect(summary.inFlight).toBe(0);
    expect(summary.errors).toEqual([]);
    const kinds = Object.values(summary.byKind).reduce((a, k) => a + k.sent, 0);
    expect(kinds).toBe(2500);
    expect(summary.byKind.valid!.completed).toBeGreaterThan(2300);
    expect(summary.images).toBeGreaterThan(0);

    // The truth file has a record per weld spot built (bad ones included).
    const truthLines = readFileSync(join(dir, "truth.jsonl"), "utf8").trim().split("\n");
    expect(truthLines.length).toBe(summary.truthRecords);

    // Everything published under acme/ reaches a subscriber.
    const deadline = Date.now() + 10_000;
    const total = () => [...received.values()].reduce((a, b) => a + b, 0);
    while (total() < 2500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(total()).toBe(2500);
    expect(received.get("weld-spot")).toBeGreaterThan(1000);
    await subscriber.endAsync();
  });

  it("keeps to the requested rate", async () => {
    const started = Date.now();
    const summary = await runSimulation({
      url,
      count: 150,
      rate: 300,
      qos: 1,
      seed: 2,
      channels: ["weldSpot"],
    });
    const elapsed = Date.now() - started;
    expect(summary.acknowledged).toBe(150);
    // 150 messages at 300/s: about 0.5 s (the first goes at once).
    expect(summary.durationMs).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(5000);
  });

  it("runs at QoS 0 for a duration and stops on abort", async () => {
    const summary = await runSimulation({
      url,
      durationMs: 600,
      rate: "max",
      qos: 0,
      seed: 3,
      channels: ["weldSpot"],
    });
    expect(summary.acknowledged).toBeNull();
    expect(summary.sent).toBeGreaterThan(0);
    expect(summary.completed).toBe(summary.sent);
    expect(summary.durationMs).toBeLessThan(5000);

    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const aborted = await runSimulation({
      url,
      rate: 50,
      qos: 1,
      seed: 4,
      channels: ["weldSpot"],
      signal: stop.signal,
    });
    expect(aborted.sent).toBeGreaterThan(0);
    expect(aborted.acknowledged).toBe(aborted.sent);
  });

  it("says clearly when it cannot connect", async () => {
    await expect(
      runSimulation({ url: "mqtt://127.0.0.1:1", count: 1, channels: ["weldSpot"] }),
    ).rejects.toThrow(/cannot connect to mqtt:\/\/127.0.0.1:1/);
  });
});
