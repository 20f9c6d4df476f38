/**
 * The roles shipped in topics/access.yaml give each device only what it is: a device cannot
 * publish for another cell, read another cell's commands, or write the Sparkplug host's STATE.
 * Checked on the real file with a real broker and MQTT.js clients.
 */
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addUser, parseAccess } from "@uns/contracts";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, startTestServer, type TestServer, weldSpot } from "./helper.js";

const SHIPPED = fileURLToPath(new URL("../../../topics/access.yaml", import.meta.url));
const access = parseAccess(readFileSync(SHIPPED, "utf8"), SHIPPED, null, "users.yaml");
const as = (username: string, role: string, clientId = username) => ({ username, clientId, roles: [role] });
const CELL = "acme/plant-a/body-shop/line-01";

describe("shipped roles (rules)", () => {
  it("let a cell device publish its own measurements only", () => {
    const dev = as("cell-01", "device");
    expect(access.canPublish(dev, `${CELL}/cell-01/weld-spot`)).toBe(true);
    expect(access.canPublish(dev, `${CELL}/cell-02/weld-spot`)).toBe(false);
    expect(access.canPublish(dev, `${CELL}/cell-01/results/weld-quality`)).toBe(false);
    expect(access.canSubscribe(dev, `${CELL}/cell-01/commands/#`)).toBe(true);
    expect(access.canSubscribe(dev, `${CELL}/cell-02/commands/#`)).toBe(false);
    expect(access.canSubscribe(dev, "acme/+/+/+/+/commands/#")).toBe(false);
  });

  it("let an edge node speak for itself only, and nobody but the host write STATE", () => {
    const edge = as("edge-7", "edge-node");
    expect(access.canPublish(edge, "spBv1.0/plant/NDATA/edge-7")).toBe(true);
    expect(access.canPublish(edge, "spBv1.0/plant/DDATA/edge-7/press")).toBe(true);
    expect(access.canPublish(edge, "spBv1.0/plant/NDATA/edge-8")).toBe(false);
    expect(access.canPublish(edge, "spBv1.0/plant/NCMD/edge-8")).toBe(false);
    expect(access.canSubscribe(edge, "spBv1.0/plant/NCMD/edge-7")).toBe(true);
    expect(access.canSubscribe(edge, "spBv1.0/+/NCMD/#")).toBe(false);
    for (const role of ["device", "line-device", "edge-node", "gateway", "processor"]) {
      expect(access.canPublish(as("uns-host", role), "spBv1.0/STATE/uns-host"), role).toBe(false);
    }
    expect(access.canPublish(as("uns-host", "sparkplug-host"), "spBv1.0/STATE/uns-host")).toBe(true);
    expect(access.canPublish(as("other-host", "sparkplug-host"), "spBv1.0/STATE/uns-host")).toBe(false);
  });

  it("let a line PLC publish its line only; a gateway every cell", () => {
    const plc = as("line-01", "line-device");
    expect(access.canPublish(plc, `${CELL}/state`)).toBe(true);
    expect(access.canPublish(plc, "acme/plant-a/body-shop/line-02/state")).toBe(false);
    expect(access.canPublish(as("sim", "gateway"), "acme/x/y/line-09/cell-99/weld-spot")).toBe(true);
  });
});

describe("shipped roles (broker)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({}, async (dir) => {
      const topics = join(dir, "topics");
      copyFileSync(SHIPPED, join(topics, "access.yaml"));
      // The helper's users include one of a test-only role.
      const text = readFileSync(join(topics, "access.yaml"), "utf8");
      (await import("node:fs")).writeFileSync(join(topics, "access.yaml"), `${text}  restricted: {}\n`);
      await addUser(topics, "cell-01", "test-password-1", ["device"]);
      await addUser(topics, "edge-7", "test-password-1", ["edge-node"]);
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it("refuses a device acting as another cell or as the Sparkplug host; delivers what it may send", async () => {
    const watcher = await t.connect("admin", { clientId: "watcher" });
    await watcher.subscribeAsync(["acme/#", "spBv1.0/#", "$uns/refused/#"]);
    const got = collect(watcher);
    const dev: MqttClient = await t.connect("cell-01", { clientId: "cell-01" });
    const payload = JSON.stringify(weldSpot());
    await dev.publishAsync(`${CELL}/cell-02/weld-spot`, payload, { qos: 1 });
    await dev.publishAsync("spBv1.0/STATE/uns-host", JSON.stringify({ online: false, timestamp: 1 }), {
      qos: 1,
      retain: true,
    });
    await dev.publishAsync(`${CELL}/cell-01/weld-spot`, payload, { qos: 1 });
    await eventually(
      () => got.map((m) => m.topic),
      (topics) =>
        topics.includes(`${CELL}/cell-01/weld-spot`) &&
        topics.filter((x) => x.startsWith("$uns/refused/")).length === 2,
    );
    const topics = got.map((m) => m.topic);
    expect(topics).not.toContain(`${CELL}/cell-02/weld-spot`);
    expect(topics).not.toContain("spBv1.0/STATE/uns-host");
    expect(topics).toContain(`$uns/refused/${CELL}/cell-02/weld-spot`);
    expect(topics).toContain("$uns/refused/spBv1.0/STATE/uns-host");

    // Another cell's commands, and the commands of every cell, are refused (0x80).
    // mqtt.js rejects a SUBACK with 0x80; the granted QoS is in the error's packet.
    const suback = (c: MqttClient, filter: string) =>
      c.subscribeAsync(filter).then(
        (g) => g[0]!.qos,
        (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0] ?? -1,
      );
    expect(await suback(dev, `${CELL}/cell-02/commands/#`)).toBe(128);
    expect(await suback(dev, "acme/+/+/+/+/commands/#")).toBe(128);
    expect(await suback(dev, `${CELL}/cell-01/commands/#`)).toBe(0);
    const edge = await t.connect("edge-7", { clientId: "edge-7" });
    expect(await suback(edge, "spBv1.0/g/NCMD/edge-8")).toBe(128);
    expect(await suback(edge, "spBv1.0/g/NCMD/edge-7")).toBe(0);
  });
});
