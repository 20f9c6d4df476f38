import { encodeSparkplug } from "@uns/sparkplug";
import sparkplugClient from "sparkplug-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, PASSWORD, startTestServer, type TestServer } from "./helper.js";

type EdgeClient = ReturnType<typeof sparkplugClient.newClient>;

interface SparkplugView {
  hostId: string | null;
  groups: {
    group: string;
    edgeNodes: {
      edgeNode: string;
      online: boolean;
      lastDeath?: { reason: string } | null;
      devices: { device: string; online: boolean; metrics: { name: string; value: unknown }[] }[];
    }[];
  }[];
  rebirths: { edgeNode: string; reason: string }[];
}

const GROUP = "Plant1";
const CURVE = Float32Array.from({ length: 400 }, (_, i) => 100 + 40 * Math.exp(-(((i - 150) / 60) ** 2)));

function births(c: EdgeClient): void {
  const ts = Date.now();
  c.publishNodeBirth({
    timestamp: ts,
    metrics: [
      { name: "Node Control/Rebirth", type: "Boolean", value: false, timestamp: ts },
      {
        name: "Cell/Temperature",
        type: "Float",
        value: 31.5,
        timestamp: ts,
        properties: { engUnit: { type: "String", value: "degC" } },
      },
    ],
  });
  c.publishDeviceBirth("Gun1", {
    timestamp: ts,
    metrics: [
      {
        name: "Spot/CurrentRMS_kA",
        type: "Float",
        value: 0,
        timestamp: ts,
        properties: { engUnit: { type: "String", value: "kA" } },
      },
      { name: "Spot/Curve", type: "Bytes", value: new Uint8Array(), timestamp: ts },
    ],
  });
}

describe("Sparkplug B: a real Tahu edge node against the UNS server as primary host", () => {
  let t: TestServer;
  const edges: EdgeClient[] = [];
  beforeAll(async () => {
    t = await startTestServer({
      "sparkplug.hostId": "uns-host",
      "sparkplug.reorderWindowMs": 300,
      "sparkplug.rebirthMinIntervalMs": 0,
    });
  });
  afterAll(async () => {
    for (const e of edges) e.stop();
    await t?.close();
  });

  function edge(edgeNode: string, clientId: string): EdgeClient {
    const c = sparkplugClient.newClient({
      serverUrl: t.mqttUrl,
      username: "device",
      password: PASSWORD,
      groupId: GROUP,
      edgeNode,
      clientId,
      publishDeath: true,
      mqttOptions: { reconnectPeriod: 0 },
    } as never);
    c.on("birth", () => births(c));
    c.on("ncmd", (payload: { metrics?: { name: string; value: unknown }[] }) => {
      if (payload.metrics?.some((m) => m.name === "Node Control/Rebirth" && m.value === true)) births(c);
    });
    edges.push(c);
    return c;
  }

  const view = () => t.api<SparkplugView>("/api/v1/sparkplug").then((r) => r.body);
  const node = (v: SparkplugView, name: string) =>
    v.groups.find((g) => g.group === GROUP)?.edgeNodes.find((n) => n.edgeNode === name);

  it("publishes the host STATE, tracks births and data with a 400-value curve, keeps certificates and mirrors metrics as JSON", async () => {
    const watcher = await t.connect("admin");
    const got = collect(watcher);
    await watcher.subscribeAsync(["spBv1.0/STATE/#", "$sparkplug/certificates/#", "acme/#"], { qos: 1 });
    await eventually(
      () => got.find((m) => m.topic === "spBv1.0/STATE/uns-host"),
      (m) => m !== undefined,
    );
    expect(
      JSON.parse(got.find((m) => m.topic === "spBv1.0/STATE/uns-host")!.payload.toString()),
    ).toMatchObject({ online: true });

    const c = edge("Welder01", "welder-01");
    await eventually(
      view,
      (v) => node(v, "Welder01")?.devices.some((d) => d.device === "Gun1" && d.online) === true,
    );
    c.publishDeviceData("Gun1", {
      timestamp: Date.now(),
      metrics: [
        { name: "Spot/CurrentRMS_kA", type: "Float", value: 9.4, timestamp: Date.now() },
        {
          name: "Spot/Curve",
          type: "Bytes",
          value: new Uint8Array(CURVE.buffer.slice(0)),
          timestamp: Date.now(),
        },
      ],
    });
    const v = await eventually(
      view,
      (x) =>
        node(x, "Welder01")?.devices[0]?.metrics.find((m) => m.name === "Spot/CurrentRMS_kA")?.value !== 0,
    );
    expect(node(v, "Welder01")!.online).toBe(true);
    // Sparkplug-aware server: births retained for late joiners.
    await eventually(
      () => got.map((m) => m.topic),
      (ts) =>
        ts.includes("$sparkplug/certificates/spBv1.0/Plant1/NBIRTH/Welder01") &&
        ts.includes("$sparkplug/certificates/spBv1.0/Plant1/DBIRTH/Welder01/Gun1"),
    );
    // Readable mirror: plain JSON on a UNS topic.
    const mirror = await eventually(
      () =>
        got.filter(
          (m) => m.topic === "acme/neckarsulm/body-shop/line-01/cell-01/gun-1/sparkplug/spot/currentrms_ka",
        ),
      (ms) => ms.some((m) => JSON.parse(m.payload.toString()).value > 9),
    );
    expect(JSON.parse(mirror[mirror.length - 1]!.payload.toString())).toMatchObject({
      datatype: "Float",
      quality: "good",
      unit: "kA",
    });
  });

  it("marks a device dead on DDEATH and the node dead when its connection is killed (the will)", async () => {
    const c = edge("Welder02", "welder-02");
    await eventually(view, (v) => node(v, "Welder02")?.online === true);
    c.publishDeviceDeath("Gun1", { timestamp: Date.now() });
    await eventually(
      view,
      (v) => node(v, "Welder02")?.devices.find((d) => d.device === "Gun1")?.online === false,
    );
    expect(node(await view(), "Welder02")!.online).toBe(true);
    // Kill the socket: the broker fires the NDEATH will.
    (c as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
    const dead = await eventually(view, (v) => node(v, "Welder02")?.online === false);
    expect(node(dead, "Welder02")!.lastDeath?.reason).toMatch(/will|session-ended/);
  });

  it("records broken rules as violations naming the conformance id, and asks for a rebirth after a seq gap", async () => {
    const raw = await t.connect("device", { clientId: "raw-edge" });
    const ts = Date.now();
    const nbirth = encodeSparkplug({
      timestamp: ts,
      seq: 0,
      metrics: [
        { name: "bdSeq", type: "UInt64", value: 0, timestamp: ts },
        { name: "Node Control/Rebirth", type: "Boolean", value: false, timestamp: ts },
        { name: "Temp", type: "Float", value: 1, timestamp: ts },
      ],
    });
    await raw.publishAsync("spBv1.0/Plant1/NBIRTH/raw-node", Buffer.from(nbirth), { qos: 0 });
    const data = (seq: number, extra: { name: string; type: string; value: unknown }[] = []) =>
      Buffer.from(
        encodeSparkplug({
          timestamp: Date.now(),
          seq,
          metrics: [{ name: "Temp", type: "Float", value: 2, timestamp: Date.now() }, ...extra] as never,
        }),
      );
    await raw.publishAsync("spBv1.0/Plant1/NDATA/raw-node", data(1), { qos: 0 });
    await raw.publishAsync("spBv1.0/Plant1/NDATA/raw-node", data(5), { qos: 0 }); // seq gap 2..4
    await raw.publishAsync(
      "spBv1.0/Plant1/NDATA/raw-node",
      data(6, [{ name: "Undeclared", type: "Int32", value: 1 }]),
      { qos: 0 },
    );
    const list = await eventually(
      () =>
        t
          .api<{ items: { kind: string; errors: { keyword: string; message: string }[] }[] }>(
            "/api/v1/violations?clientId=raw-edge&kind=sparkplug",
          )
          .then((r) => r.body.items),
      (items) => {
        const rules = items.flatMap((i) => i.errors.map((e) => e.keyword));
        return rules.includes("seq-gap") && rules.some((r) => r.includes("undeclared"));
      },
    );
    expect(list.flatMap((i) => i.errors.map((e) => e.message)).join("\n")).toMatch(/tck-id-/);
    const v = await eventually(view, (x) => x.rebirths.some((r) => r.edgeNode === "raw-node"));
    expect(v.rebirths.find((r) => r.edgeNode === "raw-node")!.reason).toBe("seq-gap");
  });
});
