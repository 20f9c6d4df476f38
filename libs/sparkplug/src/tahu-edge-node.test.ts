// A real third-party edge node (Eclipse Tahu's npm `sparkplug-client`) against a bare aedes 1.2.0,
// with the tracker wired to the broker the way the server does it: CONNECT, every PUBLISH under
// spBv1.0/, client gone; certificates, mirror messages and rebirth commands published back.
import { readFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { Aedes, type Client } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import sparkplugClient from "sparkplug-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeSparkplug } from "./decode.js";
import { createMirrorMapper, parseMirrorMapping } from "./mirror-mapping.js";
import { createSparkplugTracker, type SparkplugTracker } from "./tracker.js";
import type { OutgoingMessage, SparkplugResult, SparkplugTickResult, SparkplugViolation } from "./types.js";

type EdgeClient = ReturnType<typeof sparkplugClient.newClient>;
type UPayload = Parameters<EdgeClient["publishNodeBirth"]>[0];

const GROUP = "Plant1";
const mapper = createMirrorMapper(
  parseMirrorMapping(readFileSync(new URL("../test-fixtures/sparkplug.yaml", import.meta.url), "utf8")),
);

let broker: Aedes;
let server: Server;
let port: number;
let tracker: SparkplugTracker;
let violations: SparkplugViolation[] = [];
const published: { topic: string; payload: Buffer; retain: boolean }[] = [];
const clients: EdgeClient[] = [];
let observer: MqttClient;
const observed = new Map<string, Buffer>();

function newTracker(): SparkplugTracker {
  return createSparkplugTracker({ reorderWindowMs: 500, rebirthMinIntervalMs: 10_000, deathGraceMs: 1000 });
}

function publish(m: { topic: string; payload: Uint8Array | string; qos: 0 | 1; retain: boolean }): void {
  const payload = typeof m.payload === "string" ? Buffer.from(m.payload) : Buffer.from(m.payload);
  published.push({ topic: m.topic, payload, retain: m.retain });
  broker.publish(
    { cmd: "publish", topic: m.topic, payload, qos: m.qos, retain: m.retain, dup: false },
    () => {},
  );
}

/** What the server does with a tracker result. */
function act(r: SparkplugResult | SparkplugTickResult): void {
  violations.push(...r.violations);
  if ("certificate" in r && r.certificate) publish(r.certificate);
  const rebirths: OutgoingMessage[] =
    "rebirths" in r ? r.rebirths.map((x) => x.command) : r.rebirth ? [r.rebirth.command] : [];
  for (const cmd of rebirths) publish(cmd);
  for (const m of mapper.mapAll(r.mirror ?? [])) publish(m);
}

async function waitFor(what: string, predicate: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function edgeNode(edgeNode: string, clientId: string): EdgeClient {
  const c = sparkplugClient.newClient({
    serverUrl: `mqtt://127.0.0.1:${port}`,
    username: "",
    password: "",
    groupId: GROUP,
    edgeNode,
    clientId,
    publishDeath: true,
    mqttOptions: { reconnectPeriod: 0 },
  });
  c.on("birth", () => births(c));
  // [tck-id-operational-behavior-data-commands-rebirth-action-2]: answer a rebirth with NBIRTH + DBIRTH.
  c.on("ncmd", (payload: UPayload) => {
    const rebirth = payload.metrics?.find((m) => m.name === "Node Control/Rebirth");
    if (rebirth?.value === true) births(c);
  });
  clients.push(c);
  return c;
}

function births(c: EdgeClient): void {
  const ts = Date.now();
  c.publishNodeBirth({
    timestamp: ts,
    metrics: [
      { name: "Node Control/Rebirth", type: "Boolean", value: false, timestamp: ts },
      { name: "Properties/Vendor", type: "String", value: "ext-test", timestamp: ts },
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
      { name: "Spot/Id", type: "UInt64", value: 0, timestamp: ts },
      {
        name: "Spot/CurrentRMS_kA",
        type: "Float",
        value: 0,
        timestamp: ts,
        properties: { engUnit: { type: "String", value: "kA" } },
      },
      { name: "Spot/WeldTime_ms", type: "Int32", value: 0, timestamp: ts },
      { name: "Spot/Expulsion", type: "Boolean", value: false, timestamp: ts },
      { name: "Spot/Curve", type: "Bytes", value: new Uint8Array(), timestamp: ts },
      {
        name: "Spot/CurveTable",
        type: "DataSet",
        value: { numOfColumns: 2, columns: ["t_ms", "r_uOhm"], types: ["Int32", "Float"], rows: [] },
        timestamp: ts,
      },
    ],
  });
}

/** A resistance curve with its beta peak: 400 float32 values. */
const CURVE = Float32Array.from({ length: 400 }, (_, i) => 100 + 40 * Math.exp(-(((i - 150) / 60) ** 2)));

function spot(c: EdgeClient, id: number): void {
  const ts = Date.now();
  c.publishDeviceData("Gun1", {
    timestamp: ts,
    metrics: [
      { name: "Spot/Id", type: "UInt64", value: id, timestamp: ts },
      { name: "Spot/CurrentRMS_kA", type: "Float", value: 9.4, timestamp: ts },
      { name: "Spot/WeldTime_ms", type: "Int32", value: 283, timestamp: ts },
      { name: "Spot/Curve", type: "Bytes", value: new Uint8Array(CURVE.buffer.slice(0)), timestamp: ts },
      {
        name: "Spot/CurveTable",
        type: "DataSet",
        value: {
          numOfColumns: 2,
          columns: ["t_ms", "r_uOhm"],
          types: ["Int32", "Float"],
          rows: Array.from(CURVE, (r, i) => [i, r]),
        },
        timestamp: ts,
      },
    ],
  });
}

function metric(
  view: { metrics: { name: string; value: unknown; quality: string }[] } | undefined,
  name: string,
) {
  return view?.metrics.find((m) => m.name === name);
}

beforeAll(async () => {
  broker = await Aedes.createBroker();
  tracker = newTracker();
  broker.on("client", (client: Client) => {
    const will = (
      client as Client & { will?: { topic: string; payload: Buffer; qos: number; retain: boolean } }
    ).will;
    tracker.onConnect({ clientId: client.id, clean: client.clean, will: will ?? null });
  });
  broker.on("clientDisconnect", (client: Client) => {
    act(
      tracker.onClientGone(client.id, {
        clean: (client as Client & { _disconnected?: boolean })._disconnected === true,
      }),
    );
  });
  broker.on("publish", (packet, client) => {
    if (!packet.topic.startsWith("spBv1.0/")) return;
    act(
      tracker.onMessage({
        topic: packet.topic,
        payload: packet.payload as Buffer,
        qos: packet.qos,
        retain: packet.retain,
        clientId: client?.id ?? null,
        will: client?.closed === true,
      }),
    );
  });
  server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const c of clients) c.stop();
  observer?.end(true);
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("a Tahu sparkplug-client edge node against aedes", () => {
  let welder01: EdgeClient;

  it("births: node and device online with their metrics, certificates retained, mirror published", async () => {
    welder01 = edgeNode("Welder01", "welder-01");
    await waitFor(
      "Welder01 and Gun1 online",
      () => tracker.device(GROUP, "Welder01", "Gun1")?.online === true,
    );

    const node = tracker.node(GROUP, "Welder01")!;
    expect(node).toMatchObject({
      online: true,
      bdSeq: 0,
      lastSeq: 1,
      clientId: "welder-01",
      pendingSeqs: [],
    });
    expect(node.metrics.map((m) => `${m.name}:${m.datatype}`)).toEqual([
      "Cell/Temperature:Float",
      "Node Control/Rebirth:Boolean",
      "Properties/Vendor:String",
      "bdSeq:UInt64",
    ]);
    expect(metric(node, "Cell/Temperature")).toMatchObject({ value: 31.5, unit: "degC", quality: "good" });
    const gun = tracker.device(GROUP, "Welder01", "Gun1")!;
    expect(gun.metrics.map((m) => `${m.name}:${m.datatype}`)).toEqual([
      "Spot/CurrentRMS_kA:Float",
      "Spot/Curve:Bytes",
      "Spot/CurveTable:DataSet",
      "Spot/Expulsion:Boolean",
      "Spot/Id:UInt64",
      "Spot/WeldTime_ms:Int32",
    ]);

    // What Tahu gets wrong, seen on a real node: its NDEATH Will is registered at QoS 0, and the
    // bdSeq metric it appends to the NBIRTH carries no timestamp.
    expect(violations.map((v) => [v.rule, v.conformance])).toEqual([
      ["metric-timestamp-missing", "tck-id-payloads-name-birth-data-requirement"],
      ["will-qos", "tck-id-message-flow-edge-node-birth-publish-will-message-qos"],
    ]);
    expect(violations[0]!.message).toMatch(/1 of 4 have none: bdSeq/);

    // A late joiner learns the metric definitions from the retained certificates and reads the mirror.
    observer = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: "late-joiner" });
    observer.on("message", (topic, payload) => observed.set(topic, payload));
    await new Promise<void>((resolve, reject) =>
      observer.subscribe(["$sparkplug/certificates/#", "acme/#"], { qos: 1 }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    await waitFor("retained certificates", () =>
      observed.has("$sparkplug/certificates/spBv1.0/Plant1/DBIRTH/Welder01/Gun1"),
    );
    const cert = decodeSparkplug(observed.get("$sparkplug/certificates/spBv1.0/Plant1/NBIRTH/Welder01")!);
    expect(cert.ok && cert.payload.metrics.map((m) => m.name)).toContain("bdSeq");
    const temp = observed.get("acme/neckarsulm/body-shop/line-01/cell-01/sparkplug/cell/temperature");
    expect(JSON.parse(String(temp))).toMatchObject({
      value: 31.5,
      datatype: "Float",
      quality: "good",
      unit: "degC",
    });
    expect(observed.has("acme/neckarsulm/body-shop/line-01/cell-01/sparkplug/bdseq")).toBe(false);
  });

  it("DDATA with a 400-value curve (Bytes and DataSet): current values and the JSON mirror", async () => {
    violations = [];
    spot(welder01, 1);
    await waitFor(
      "Spot/Id = 1",
      () => metric(tracker.device(GROUP, "Welder01", "Gun1"), "Spot/Id")?.value === 1,
    );
    const gun = tracker.device(GROUP, "Welder01", "Gun1")!;
    expect(metric(gun, "Spot/CurrentRMS_kA")!.value).toBeCloseTo(9.4, 5);
    const bytes = Buffer.from(metric(gun, "Spot/Curve")!.value as string, "base64");
    expect(Array.from({ length: 400 }, (_, i) => bytes.readFloatLE(i * 4))).toEqual(Array.from(CURVE));
    const table = metric(gun, "Spot/CurveTable")!.value as { columns: string[]; rows: [number, number][] };
    expect(table.columns).toEqual(["t_ms", "r_uOhm"]);
    expect(table.rows).toHaveLength(400);
    expect(table.rows[150]).toEqual([150, CURVE[150]]);
    expect(tracker.node(GROUP, "Welder01")!.lastSeq).toBe(2);
    expect(violations).toEqual([]);

    const mirrorTopic = "acme/neckarsulm/body-shop/line-01/cell-01/gun-1/sparkplug/spot/currentrms_ka";
    await waitFor(
      "mirror of Spot/CurrentRMS_kA",
      () => JSON.parse(String(observed.get(mirrorTopic) ?? "{}")).value > 9,
    );
    expect(JSON.parse(String(observed.get(mirrorTopic)))).toMatchObject({
      datatype: "Float",
      quality: "good",
      unit: "kA",
    });
    const tableTopic = "acme/neckarsulm/body-shop/line-01/cell-01/gun-1/sparkplug/spot/curvetable";
    await waitFor(
      "mirror of the curve table",
      () => JSON.parse(String(observed.get(tableTopic) ?? "{}")).value?.rows?.length === 400,
    );
  });

  it("a device death (DDEATH): the device goes offline and stale, the node stays online", async () => {
    welder01.publishDeviceDeath("Gun1", { timestamp: Date.now() });
    await waitFor("Gun1 offline", () => tracker.device(GROUP, "Welder01", "Gun1")?.online === false);
    const gun = tracker.device(GROUP, "Welder01", "Gun1")!;
    expect(gun.lastDeath?.reason).toBe("ddeath");
    expect(gun.metrics.every((m) => m.quality === "stale")).toBe(true);
    expect(tracker.node(GROUP, "Welder01")).toMatchObject({ online: true, lastSeq: 3 });
    expect(violations).toEqual([]);
    const mirrorTopic = "acme/neckarsulm/body-shop/line-01/cell-01/gun-1/sparkplug/spot/id";
    await waitFor(
      "stale mirror",
      () => JSON.parse(String(observed.get(mirrorTopic) ?? "{}")).quality === "stale",
    );
  });

  it("a clean stop (NDEATH, then DISCONNECT): offline with reason ndeath; Tahu sends NDEATH at QoS 0", async () => {
    welder01.stop();
    await waitFor("Welder01 offline", () => tracker.node(GROUP, "Welder01")?.online === false);
    expect(tracker.node(GROUP, "Welder01")).toMatchObject({ lastDeath: { reason: "ndeath", bdSeq: 0 } });
    expect(violations.map((v) => [v.rule, v.conformance])).toEqual([
      ["mqtt-qos", "tck-id-payloads-ndeath-will-message-qos"],
    ]);
    expect(violations[0]!.message).toBe("expected NDEATH at QoS 1, got QoS 0");
    await waitFor(
      "temperature mirror stale",
      () =>
        JSON.parse(
          String(observed.get("acme/neckarsulm/body-shop/line-01/cell-01/sparkplug/cell/temperature")),
        ).quality === "stale",
    );
    act(tracker.tick(Date.now() + 5000));
    expect(violations).toHaveLength(1);
  });

  it("a killed connection fires the node's Will: offline with reason will", async () => {
    violations = [];
    const welder02 = edgeNode("Welder02", "welder-02");
    await waitFor("Welder02 online", () => tracker.device(GROUP, "Welder02", "Gun1")?.online === true);
    violations = [];
    // The socket dies without DISCONNECT: aedes publishes the Will.
    (welder02 as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
    await waitFor("Welder02 offline", () => tracker.node(GROUP, "Welder02")?.online === false);
    const node = tracker.node(GROUP, "Welder02")!;
    expect(node.lastDeath).toMatchObject({ reason: "will", bdSeq: 0 });
    expect(tracker.device(GROUP, "Welder02", "Gun1")).toMatchObject({
      online: false,
      lastDeath: { reason: "node-death" },
    });
    expect(violations.map((v) => v.rule)).toEqual(["mqtt-qos"]);
    expect(violations[0]!.message).toBe("expected NDEATH at QoS 1, got QoS 0 (MQTT Will)");
    act(tracker.tick(Date.now() + 5000));
    expect(violations).toHaveLength(1); // no will-missing: the Will did arrive
  });

  it("a host that joins late asks for a rebirth, and the node answers the NCMD with new births", async () => {
    const welder03 = edgeNode("Welder03", "welder-03");
    await waitFor("Welder03 online", () => tracker.device(GROUP, "Welder03", "Gun1")?.online === true);
    const ncmds: UPayload[] = [];
    welder03.on("ncmd", (p: UPayload) => ncmds.push(p));

    // The host restarts: a fresh tracker that has seen no birth.
    tracker = newTracker();
    violations = [];
    const before = published.length;
    spot(welder03, 7);
    spot(welder03, 8);
    await waitFor("Welder03 reborn", () => tracker.device(GROUP, "Welder03", "Gun1")?.online === true);

    const commands = published.slice(before).filter((p) => p.topic === "spBv1.0/Plant1/NCMD/Welder03");
    expect(commands).toHaveLength(1); // the second DDATA was inside rebirthMinIntervalMs
    expect(ncmds).toHaveLength(1);
    expect(ncmds[0]!.metrics).toMatchObject([{ name: "Node Control/Rebirth", value: true }]);
    expect(violations.slice(0, 2).map((v) => [v.rule, v.severity, v.conformance])).toEqual([
      ["data-before-birth", "warning", "tck-id-payloads-ddata-order"],
      ["data-before-birth", "warning", "tck-id-payloads-ddata-order"],
    ]);
    const node = tracker.node(GROUP, "Welder03")!;
    expect(node).toMatchObject({
      online: true,
      bdSeq: 0,
      lastSeq: 1,
      rebirths: { requested: 1, suppressed: 1 },
    });
    expect(node.history.map((h) => h.event)).toEqual(["rebirth-requested", "birth"]);

    violations = [];
    spot(welder03, 9);
    await waitFor(
      "Spot/Id = 9",
      () => metric(tracker.device(GROUP, "Welder03", "Gun1"), "Spot/Id")?.value === 9,
    );
    expect(violations).toEqual([]);
  });
});
