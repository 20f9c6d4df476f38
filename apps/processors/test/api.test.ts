import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlServer, startControlServer } from "../src/runtime/control-server.js";
import { createProcessorsRuntime, type ProcessorsRuntime } from "../src/runtime/runtime.js";
import { freePort, PASSWORD, quietLogger, startPlant, type TestPlant, until } from "./helper.js";
import { makeSpots, publishSpots } from "./spots.js";

// The UNS server's API relays the processors' control interface: both real, over real sockets.
let plant: TestPlant;
let runtime: ProcessorsRuntime;
let control: ControlServer | null;
let device: MqttClient;

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected field by field
async function api(path: string, body?: unknown, user = "admin"): Promise<{ status: number; body: any }> {
  const res = await fetch(plant.httpUrl + path, {
    method: body === undefined ? "GET" : "POST",
    // Every API route needs a login: the admin user (unless told otherwise) over HTTP Basic.
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${PASSWORD}`).toString("base64")}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  const port = await freePort();
  plant = await startPlant({ "processors.url": `http://127.0.0.1:${port}` });
  device = await plant.connect("device");
  runtime = await createProcessorsRuntime(plant.processorsConfig({ "checkGate.enabled": false }), {
    logger: quietLogger(),
    contracts: await plant.contracts(),
  });
  await runtime.start();
  control = await startControlServer(runtime, { host: "127.0.0.1", port });
}, 300_000);

afterAll(async () => {
  await control?.close();
  await runtime?.stop();
  await plant?.close();
}, 120_000);

describe("processors in the server's API", { timeout: 180_000 }, () => {
  it("lists processors and models, deploys a shadow, refuses a rollback with nothing to go back to", async () => {
    await publishSpots(device, makeSpots(30, "api"));
    await until(() => runtime.weldQuality!.status().published >= 30);

    const processors = await api("/api/v1/processors");
    expect(processors.status).toBe(200);
    expect(processors.body[0]).toMatchObject({
      id: "weld-quality",
      up: true,
      connected: true,
      published: 30,
    });
    expect(processors.body[0].lagMs.p99).toBeGreaterThan(0);

    const models = await api("/api/v1/models");
    expect(models.status).toBe(200);
    const reg = models.body.find((m: { name: string }) => m.name === "rsw-nugget-regression");
    expect(reg.serving).toEqual({ live: "1.0.0", canary: null, shadow: null });
    expect(reg.versions["1.0.0"].metrics.heldOut.mae).toBeLessThan(0.3);

    const shadow = await api("/api/v1/models/rsw-nugget-regression/deploy", {
      version: "1.0.0",
      mode: "shadow",
      reason: "api test",
    });
    expect(shadow.status).toBe(200);
    expect(shadow.body.serving.shadow).toBe("1.0.0");
    // Who did it is the logged-in user, whatever the body says.
    expect(shadow.body.history.at(-1)).toMatchObject({
      action: "deploy-shadow",
      reason: "api test",
      by: "admin",
    });
    const impersonating = await api("/api/v1/models/rsw-nugget-regression/deploy", {
      version: "1.0.0",
      mode: "shadow",
      actor: "someone-else",
    });
    expect(impersonating.status).toBe(400);

    // A viewer sees models and processors, and may not change them.
    expect((await api("/api/v1/models", undefined, "viewer")).status).toBe(200);
    expect((await api("/api/v1/processors", undefined, "viewer")).status).toBe(200);
    const denied = await api("/api/v1/models/rsw-nugget-regression/promote", {}, "viewer");
    expect(denied.status).toBe(403);

    const rollback = await api("/api/v1/models/rsw-nugget-regression/rollback", {});
    expect(rollback.status).toBe(409);
    expect(rollback.body.error.code).toBe("UNS_ERR_MODEL_UNKNOWN");

    const unknown = await api("/api/v1/models/rsw-nugget-regression/deploy", { version: "7.7.7" });
    expect(unknown.status).toBe(409);
    expect(unknown.body.error.code).toBe("UNS_ERR_MODEL_MANIFEST");
    expect(unknown.body.error.message).toMatch(/7\.7\.7/);

    const bad = await api("/api/v1/models/rsw-nugget-regression/deploy", {
      version: "1.0.0",
      mode: "sometimes",
    });
    expect(bad.status).toBe(400);
  });

  it("answers 503 naming the processors when they are down", async () => {
    await control!.close();
    control = null;
    const res = await api("/api/v1/processors");
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("UNS_ERR_API_UNAVAILABLE");
    expect(res.body.error.message).toMatch(/processors at http:\/\/127\.0\.0\.1:\d+ do not answer/);
  });
});
